//! Doing the release: the changes up to the commit as one transaction (any failure puts every
//! file back), then the steps after it, each recorded in the journal and each recognising
//! "already done", so that `--resume` finishes what a failure interrupted.

use crate::artifacts::{self, Bin, Build};
use crate::config::ReleaseConfig;
use crate::journal::Journal;
use crate::plan::{self, Plan};
use crate::snapshot::Snapshot;
use crate::{git, publish, sbom};
use anyhow::Result;
use std::path::{Path, PathBuf};
use windlass_core::event::Severity;
use windlass_core::runner::Capture;
use windlass_core::{Session, UsageError, Workspace};
use xshell::cmd;

/// The step name of the release itself.
pub const STEP: &str = "release";

/// What the steps after the commit need besides the journal.
pub struct After<'a> {
    /// The release config.
    pub config: &'a ReleaseConfig,
    /// The journal's path.
    pub journal_path: PathBuf,
}

/// How the commit went.
pub enum Committed {
    /// Made; its hash.
    Done(String),
    /// Made, but the run was stopped (Ctrl-C) as it landed: the journal must record it.
    Interrupted(String, anyhow::Error),
}

/// Writes, updates the lockfile, commits. On failure every file and the index are restored,
/// and the error says so — unless the commit landed after all (an interrupt during
/// `git commit`), which is then reported as made.
pub fn commit(ws: &Workspace, session: &mut Session, plan: &Plan) -> Result<Committed> {
    let git_dir = git::git_dir(session)?;
    let base = git::head(session)?;
    let mut snapshot = Snapshot::default();
    let mut paths: Vec<String> = Vec::new();
    let result = (|| -> Result<String> {
        for edit in &plan.edits {
            snapshot.write(&ws.repo_root, &edit.path, &edit.after)?;
            paths.push(edit.path.display().to_string());
        }
        let lockfile = ws.root.join("Cargo.lock");
        if lockfile.is_file() {
            snapshot.save(&ws.repo_root, &lockfile)?;
            update_lockfile(ws, session)?;
            if git::is_tracked(session, &lockfile)? {
                paths.push(lockfile.display().to_string());
            }
        }
        if let Some((path, text)) = &plan.changelog {
            snapshot.write(&ws.repo_root, path, text)?;
            paths.push(path.display().to_string());
        }
        // The index is restored from its bytes, not with `git reset`: after an interrupt no
        // process may be started.
        snapshot.save(&git_dir, &git_dir.join("index"))?;
        git::commit(session, &paths, &plan.commit_message)?;
        git::head(session)?.ok_or_else(|| anyhow::anyhow!("no HEAD after the release commit"))
    })();
    let err = match result {
        Ok(commit) => return Ok(Committed::Done(commit)),
        Err(err) => err,
    };
    if let Some(landed) = git::head_on_disk(&git_dir).filter(|h| Some(h) != base.as_ref()) {
        return Ok(Committed::Interrupted(landed, err));
    }
    let failed = snapshot.restore();
    if failed.is_empty() {
        Err(err.context("the release stopped before its commit; every file is as it was"))
    } else {
        Err(err.context(format!(
            "the release stopped before its commit, and these files could not be restored: {}",
            failed.join("; ")
        )))
    }
}

/// Moves the members' versions in `Cargo.lock`, then checks cargo agrees it is consistent.
fn update_lockfile(ws: &Workspace, session: &mut Session) -> Result<()> {
    let sh = session.shell();
    let manifest = ws.manifest_path.clone();
    let update = session.run(
        cmd!(
            sh,
            "cargo update --workspace --offline --manifest-path {manifest}"
        ),
        Capture::Everything,
    )?;
    if !update.success() {
        return Err(UsageError::new(format!(
            "cannot update Cargo.lock for the new versions:\n{}",
            update.stderr.trim()
        ))
        .hint("run `cargo update --workspace` to see why, fix it, and release again")
        .into());
    }
    let check = session.run(
        cmd!(
            sh,
            "cargo metadata --locked --format-version 1 --manifest-path {manifest}"
        ),
        Capture::Everything,
    )?;
    if !check.success() {
        return Err(UsageError::new(format!(
            "Cargo.lock is not consistent after the bump (`cargo metadata --locked`):\n{}",
            check.stderr.trim()
        ))
        .into());
    }
    Ok(())
}

/// The steps after the commit that are not done yet, in order, each said as it is done.
pub fn finish(
    ws: &Workspace,
    session: &mut Session,
    journal: &mut Journal,
    after: &After<'_>,
) -> Result<()> {
    for step in crate::journal::AFTER_COMMIT {
        if !journal.wanted.iter().any(|w| w == step) || journal.is_done(step) {
            continue;
        }
        match step {
            "tag" => {
                let done = tag(session, journal)?;
                crate::say(session, STEP, done);
            }
            "artifacts" => {
                let build = Build {
                    profile: journal
                        .profile
                        .clone()
                        .unwrap_or_else(|| after.config.profile.clone()),
                    target: journal.target.clone(),
                    sign: journal.sign,
                };
                let made = make_artifacts(
                    ws,
                    session,
                    after.config,
                    &build,
                    &journal.version,
                    &journal.commit,
                )?;
                crate::say(session, STEP, made);
            }
            "push" => {
                let done = push(session, journal)?;
                crate::say(session, STEP, done);
            }
            "publish" => {
                let done = publish_all(ws, session, journal, &after.journal_path)?;
                crate::say(session, STEP, done);
            }
            _ => {}
        }
        journal.mark(step, &after.journal_path)?;
    }
    Ok(())
}

fn tag(session: &mut Session, journal: &Journal) -> Result<String> {
    if let Some(at) = git::tag_commit(session, &journal.tag)? {
        if at == journal.commit {
            return Ok(format!("tag {} already at the release commit", journal.tag));
        }
        return Err(UsageError::new(format!(
            "the tag {} exists at {at}, not at the release commit {}",
            journal.tag, journal.commit
        ))
        .hint("delete the stray tag (`git tag -d TAG`) and `release --resume`")
        .into());
    }
    let message = if journal.tag_message.is_empty() {
        format!("Release {}", journal.version)
    } else {
        journal.tag_message.clone()
    };
    git::tag(session, &journal.tag, &journal.commit, &message)?;
    Ok(format!("tagged {}", journal.tag))
}

fn push(session: &mut Session, journal: &Journal) -> Result<String> {
    let (Some(remote), Some(branch)) = (&journal.remote, &journal.branch) else {
        return Err(UsageError::new("there is no remote to push the release to")
            .hint("add one (`git remote add origin URL`), or release without --push")
            .into());
    };
    let local = git::tag_object(session, &journal.tag)?;
    let remote_tag = git::remote_ref(session, remote, &format!("refs/tags/{}", journal.tag))?;
    if local.is_some() && remote_tag == local {
        return Ok(format!("{remote} already has {}", journal.tag));
    }
    if let Some(theirs) = remote_tag.filter(|t| Some(t) != local.as_ref()) {
        // No resume can push over a tag the remote has: say so, and how to undo.
        return Err(UsageError::new(format!(
            "{remote} already has the tag {} at {}, not this release's: pushing it can never succeed, and `release --resume` cannot finish this release",
            journal.tag,
            &theirs[..theirs.len().min(12)]
        ))
        .hint(format!(
            "undo the local release: `git tag -d {tag} && git reset --keep {commit}~1 && rm \"$(git rev-parse --git-path windlass/release.json)\"`, then `git fetch --tags` and release the next version",
            tag = journal.tag,
            commit = &journal.commit[..journal.commit.len().min(12)],
        ))
        .into());
    }
    git::push(session, remote, branch, &journal.tag)?;
    Ok(format!("pushed {branch} and {} to {remote}", journal.tag))
}

/// The binaries to ship: the configured ones, else every binary of every released member but
/// the xtask.
pub fn bins(ws: &Workspace, session: &mut Session, config: &ReleaseConfig) -> Result<Vec<Bin>> {
    let mut bins = Vec::new();
    for package in ws.members(session)? {
        if config.exclude.iter().any(|e| e == package.name.as_str()) {
            continue;
        }
        for target in package.targets.iter().filter(|t| t.is_bin()) {
            let wanted = if config.bins.is_empty() {
                !windlass_core::workspace::is_xtask(package)
            } else {
                config.bins.contains(&target.name)
            };
            if wanted {
                bins.push(Bin {
                    name: target.name.clone(),
                    package: package.name.to_string(),
                    dir: package
                        .manifest_path
                        .parent()
                        .map(|d| d.as_std_path().to_path_buf())
                        .unwrap_or_default(),
                });
            }
        }
    }
    for name in &config.bins {
        if !bins.iter().any(|b| &b.name == name) {
            return Err(UsageError::new(format!(
                "{}: bins under [workspace.metadata.windlass.release] names `{name}`, which no member builds",
                ws.display_path(&ws.manifest_path)
            ))
            .into());
        }
    }
    Ok(bins)
}

/// The directory a version's artifacts go to.
pub fn artifacts_dir(ws: &Workspace, config: &ReleaseConfig, version: &str) -> PathBuf {
    ws.root.join(&config.artifacts_dir).join(version)
}

/// The key `--sign` signs with: the config's `signing-key` file, else `WINDLASS_SIGNING_KEY`.
pub fn signing_key(config: &ReleaseConfig) -> Result<windlass_archive::minisign::SecretKey> {
    windlass_archive::minisign::SecretKey::load(config.signing_key.as_deref())
}

/// Builds, packs, describes and checksums the binaries of the release `version` made at
/// `commit` (checked out); with `build.sign`, signs the checksums.
// Long: build, pack, SBOM, checksums and signature in the order a release publishes them, sharing
// the artifact list.
pub fn make_artifacts(
    ws: &Workspace,
    session: &mut Session,
    config: &ReleaseConfig,
    build: &Build,
    version: &str,
    commit: &str,
) -> Result<String> {
    let bins = bins(ws, session, config)?;
    if bins.is_empty() {
        session.message(Severity::Warning, "no binaries to ship: artifacts skipped");
        return Ok("no binaries: no artifacts".into());
    }
    let target = match &build.target {
        Some(t) => t.clone(),
        None => artifacts::host_target(session)?,
    };
    let auditable = artifacts::auditable(session, config.auditable)?;
    let built = build.run(session, &bins, auditable)?;
    let epoch = match plan::release_epoch()? {
        Some(epoch) => epoch,
        None => git::commit_time(session, commit)?,
    };
    let timestamp =
        windlass_core::time::rfc3339(std::time::UNIX_EPOCH + std::time::Duration::from_secs(epoch));
    let metadata = ws.platform_metadata(session, &target)?;
    let checksums = std::fs::read_to_string(ws.root.join("Cargo.lock"))
        .map(|text| sbom::lock_checksums(&text))
        .unwrap_or_default();
    let out = artifacts_dir(ws, config, version);
    let mut files = Vec::new();
    for bin in &bins {
        let executable = built
            .get(&bin.name)
            .ok_or_else(|| anyhow::anyhow!("cargo built no executable named `{}`", bin.name))?;
        let stem = artifacts::stem(&bin.name, version, &target);
        let archive = out.join(format!("{stem}.tar.gz"));
        if artifacts::already_made(&archive) {
            crate::say(
                session,
                STEP,
                format!(
                    "  kept {} (checksum matches SHA256SUMS)",
                    ws.display_path(&archive)
                ),
            );
        } else {
            let companions = artifacts::companions(&bin.dir, &ws.root);
            artifacts::pack(&out, &stem, executable, &bin.name, &companions, epoch)?;
            crate::say(
                session,
                STEP,
                format!("  packed {}", ws.display_path(&archive)),
            );
        }
        files.push(archive);
        let package = metadata
            .packages
            .iter()
            .find(|p| p.name.as_str() == bin.package && metadata.workspace_members.contains(&p.id))
            .ok_or_else(|| anyhow::anyhow!("no package {} in cargo metadata", bin.package))?;
        let bom = sbom::build(
            &sbom::Subject {
                metadata: &metadata,
                package: &package.id,
                bin: &bin.name,
                version,
                timestamp: &timestamp,
                tool: ("windlass", env!("CARGO_PKG_VERSION")),
            },
            &checksums,
        );
        let sbom_path = out.join(windlass_archive::sbom_name(&stem));
        windlass_core::files::write_named(&sbom_path, bom.as_bytes())?;
        files.push(sbom_path);
    }
    let sums = artifacts::checksums(&files)?;
    windlass_core::files::write_named(&out.join(windlass_archive::CHECKSUMS), sums.as_bytes())?;
    if build.sign {
        let key = signing_key(config)?;
        let trusted = format!(
            "timestamp:{epoch}\tfile:{}\thashed",
            windlass_archive::CHECKSUMS
        );
        windlass_core::files::write_named(
            &out.join(windlass_archive::CHECKSUMS_SIGNATURE),
            key.sign(sums.as_bytes(), &trusted).as_bytes(),
        )?;
    }
    Ok(format!(
        "{} artifact(s), SBOMs and SHA256SUMS in {}",
        bins.len(),
        ws.display_path(&out)
    ))
}

fn publish_all(
    ws: &Workspace,
    session: &mut Session,
    journal: &mut Journal,
    journal_path: &Path,
) -> Result<String> {
    let members = ws.members(session)?;
    let order = publish::order(&members)?;
    if order.is_empty() {
        return Ok("nothing to publish: every member has publish = false".into());
    }
    let mut published = 0;
    for name in &order {
        let key = format!("publish:{name}");
        if journal.is_done(&key) {
            continue;
        }
        let registry = members
            .iter()
            .find(|p| p.name.as_str() == name)
            .and_then(|p| publish::registry_of(p));
        if publish::publish(session, name, registry)? {
            published += 1;
        } else {
            crate::say(
                session,
                STEP,
                format!("  {name} {} is on the registry already", journal.version),
            );
        }
        journal.mark(&key, journal_path)?;
    }
    Ok(format!("published {published} of {} crate(s)", order.len()))
}
