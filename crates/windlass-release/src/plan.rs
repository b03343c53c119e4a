//! The release plan: every version, file, commit, tag and artifact the release will make,
//! computed before anything changes, so that the dry run shows exactly what `--execute` does.

use crate::changelog::{self, Notes};
use crate::config::ReleaseConfig;
use crate::manifest::{self, FileEdit, Member};
use crate::version::{self, Level, Target};
use crate::{Options, git};
use anyhow::Result;
use cargo_metadata::semver::Version;
use std::collections::BTreeMap;
use std::path::PathBuf;
use windlass_core::{Session, UsageError, Workspace};

/// One member's bump.
#[derive(Debug, Clone)]
pub struct Bump {
    /// The member.
    pub member: Member,
    /// Its new version.
    pub new: Version,
    /// Whether it inherits `workspace.package.version`.
    pub inherited: bool,
}

/// Everything the release will do.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The version before.
    pub old: Version,
    /// The version released.
    pub version: Version,
    /// The level used (`auto` resolved), `None` for an explicit version.
    pub level: Option<Level>,
    /// The members' bumps.
    pub bumps: Vec<Bump>,
    /// The tag to create.
    pub tag: String,
    /// The previous release's tag.
    pub previous_tag: Option<String>,
    /// The commits since it.
    pub commit_count: usize,
    /// The changelog section.
    pub notes: Notes,
    /// The manifest edits.
    pub edits: Vec<FileEdit>,
    /// The changelog file and its new text.
    pub changelog: Option<(PathBuf, String)>,
    /// The release commit's message.
    pub commit_message: String,
    /// The release date, `YYYY-MM-DD`.
    pub date: String,
    /// The branch, `None` on a detached HEAD.
    pub branch: Option<String>,
}

/// Computes the plan. Reads the manifests, `cargo metadata` and git; writes nothing.
// Long: the plan's fields computed in dependency order (members, versions, bump, tag, changelog,
// files), each from the ones before.
pub fn compute(
    ws: &Workspace,
    session: &mut Session,
    config: &ReleaseConfig,
    options: &Options,
) -> Result<Plan> {
    git::git_dir(session)?;
    if git::head(session)?.is_none() {
        return Err(UsageError::new("the repository has no commits yet")
            .hint("commit the workspace first: a release tags a commit")
            .into());
    }
    let members = members(ws, session, config)?;
    let workspace_version = manifest::workspace_version(&ws.manifest_path)?;
    let mut inherited = BTreeMap::new();
    for member in &members {
        inherited.insert(
            member.name.clone(),
            manifest::inherits_version(&member.manifest)?,
        );
    }
    let old = primary_version(
        ws,
        session,
        &members,
        &inherited,
        workspace_version.as_ref(),
    )?;

    let previous_tag = previous_tag(session, config, &old)?;
    let commits = git::commits(session, previous_tag.as_deref())?;
    let release_prefix = config
        .commit_message
        .split("{version}")
        .next()
        .unwrap_or("")
        .to_string();
    let changes: Vec<_> = commits
        .iter()
        .filter(|c| release_prefix.is_empty() || !c.subject.starts_with(&release_prefix))
        .map(changelog::parse)
        .collect();
    let notes = Notes::from_changes(&changes);

    let target = options.target.clone().unwrap_or(Target::Level(Level::Auto));
    let (version, level) = match &target {
        Target::Exact(v) => (v.clone(), None),
        Target::Level(level) => {
            let level = level.resolve(notes.breaking(), notes.features());
            (version::bump(&old, level)?, Some(level))
        }
    };
    let bumps = members
        .into_iter()
        .map(|member| {
            let inherits = inherited.get(&member.name).copied().unwrap_or(false);
            let new = if inherits || member.version == old {
                Ok(version.clone())
            } else {
                match &target {
                    Target::Exact(v) => Ok(v.clone()),
                    Target::Level(_) => {
                        version::bump(&member.version, level.unwrap_or(Level::Patch))
                    }
                }
            }?;
            Ok(Bump {
                member,
                new,
                inherited: inherits,
            })
        })
        .collect::<Result<Vec<_>>>()?;

    let new_versions: BTreeMap<String, Version> = bumps
        .iter()
        .map(|b| (b.member.name.clone(), b.new.clone()))
        .collect();
    let member_list: Vec<Member> = bumps.iter().map(|b| b.member.clone()).collect();
    let new_workspace_version = bumps.iter().any(|b| b.inherited).then_some(&version);
    let edits = manifest::plan(
        &ws.manifest_path,
        &member_list,
        &new_versions,
        new_workspace_version,
    )?;

    let date = release_date()?;
    let changelog = if config.changelog.is_empty() {
        None
    } else {
        let path = ws.root.join(&config.changelog);
        let existing = if path.exists() {
            let text = windlass_core::files::read_text(&path)?;
            Some(windlass_core::files::TextStyle::decode(&text).0)
        } else {
            None
        };
        let mut text = changelog::insert(existing.as_deref(), &version.to_string(), &date, &notes);
        let branch = git::branch(session)?;
        let base = match git::remote(session, branch.as_deref())? {
            Some(remote) => {
                git::remote_url(session, &remote)?.and_then(|u| changelog::web_base(&u))
            }
            None => None,
        };
        if let Some(base) = base {
            let tag = config.tag_for(&version.to_string());
            text = changelog::with_links(
                &text,
                &base,
                &version.to_string(),
                &tag,
                previous_tag.as_deref(),
            );
        }
        Some((path, text))
    };

    Ok(Plan {
        tag: config.tag_for(&version.to_string()),
        commit_message: config
            .commit_message
            .replace("{version}", &version.to_string()),
        old,
        version,
        level,
        bumps,
        previous_tag,
        commit_count: commits.len(),
        notes,
        edits,
        changelog,
        date,
        branch: git::branch(session)?,
    })
}

/// The members to bump, from `cargo metadata`.
pub fn members(
    ws: &Workspace,
    session: &mut Session,
    config: &ReleaseConfig,
) -> Result<Vec<Member>> {
    let packages = ws.members(session)?;
    for name in &config.exclude {
        if !packages.iter().any(|p| p.name.as_str() == name) {
            return Err(UsageError::new(format!(
                "{}: [workspace.metadata.windlass.release] exclude names `{name}`, which is not a member",
                ws.manifest_path.display()
            ))
            .hint(format!(
                "the members are: {}",
                packages
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .into());
        }
    }
    Ok(packages
        .into_iter()
        .filter(|p| !config.exclude.iter().any(|e| e == p.name.as_str()))
        .map(|p| Member {
            name: p.name.to_string(),
            manifest: p.manifest_path.clone().into_std_path_buf(),
            version: p.version.clone(),
        })
        .collect())
}

/// The version the tag names: the shared workspace version, else the root package's, else
/// the one every member has.
fn primary_version(
    ws: &Workspace,
    session: &mut Session,
    members: &[Member],
    inherited: &BTreeMap<String, bool>,
    workspace_version: Option<&Version>,
) -> Result<Version> {
    if let Some(version) = workspace_version.filter(|_| inherited.values().any(|i| *i)) {
        return Ok(version.clone());
    }
    let root = ws
        .metadata(session)?
        .root_package()
        .map(|p| p.name.to_string());
    if let Some(member) = root.and_then(|r| members.iter().find(|m| m.name == r)) {
        return Ok(member.version.clone());
    }
    let mut versions: Vec<&Version> = members.iter().map(|m| &m.version).collect();
    versions.sort();
    versions.dedup();
    match versions.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(UsageError::new(format!(
            "{}: the workspace has no member to release",
            ws.manifest_path.display()
        ))
        .hint("check [workspace.metadata.windlass.release] exclude")
        .into()),
        _ => Err(UsageError::new(format!(
            "{}: the members have different versions and the workspace has no version of its own",
            ws.manifest_path.display()
        ))
        .hint(
            "set `version` under [workspace.package] and `version.workspace = true` in each member",
        )
        .into()),
    }
}

/// The latest earlier release tag reachable from HEAD.
fn previous_tag(
    session: &mut Session,
    config: &ReleaseConfig,
    current: &Version,
) -> Result<Option<String>> {
    let tags = git::merged_tags(session, config.tag_prefix())?;
    Ok(tags
        .into_iter()
        .filter_map(|tag| {
            let version = Version::parse(config.version_of_tag(&tag)?).ok()?;
            (version <= *current).then_some((version, tag))
        })
        .max()
        .map(|(_, tag)| tag))
}

/// `SOURCE_DATE_EPOCH` if set (reproducible builds); a value that is not a time is an error.
pub fn release_epoch() -> Result<Option<u64>> {
    Ok(windlass_core::cargo_env::source_date_epoch()?)
}

/// The release's date: `SOURCE_DATE_EPOCH`, else today; UTC.
fn release_date() -> Result<String> {
    let now = match release_epoch()? {
        Some(secs) => std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs),
        None => std::time::SystemTime::now(),
    };
    Ok(windlass_core::time::civil(now).0)
}
