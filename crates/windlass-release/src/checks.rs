//! The checks before any change: a release from a dirty tree, the wrong branch, a stale
//! clone, over an existing tag or to a lower version is refused, each with its fix.

use crate::codes;
use crate::config::ReleaseConfig;
use crate::journal::Journal;
use crate::plan::Plan;
use crate::{git, semver};
use anyhow::Result;
use windlass_core::code::Code;
use windlass_core::event::{Diagnostic, Severity};
use windlass_core::{Session, Workspace};

/// The step name the findings are filed under.
pub const STEP: &str = "release-checks";

fn refusal(code: Code, message: String, fix: &str) -> Diagnostic {
    Diagnostic::new(
        STEP,
        Severity::Error,
        code,
        format!("{message}\n  fix: {fix}"),
    )
}

/// What stops the release, as diagnostics (empty: go ahead). Warnings (untracked files, a
/// remote that cannot be reached) are reported straight away.
pub fn run(
    ws: &Workspace,
    session: &mut Session,
    config: &ReleaseConfig,
    plan: &Plan,
    push: bool,
) -> Result<Vec<Diagnostic>> {
    let mut found = Vec::new();
    if push && git::remote(session, plan.branch.as_deref())?.is_none() {
        found.push(refusal(
            codes::NO_REMOTE,
            "--push was asked for, but the branch has no upstream and there is no `origin`".into(),
            "`git remote add origin URL` (and `git push -u origin BRANCH`), or release without --push",
        ));
    }
    found.extend(unfinished_release(session)?);
    found.extend(work_tree(session)?);
    found.extend(branch(ws, config, plan));
    found.extend(behind_upstream(session)?);
    if push {
        found.extend(remote_tag(session, plan)?);
    }
    if let Some(at) = git::tag_commit(session, &plan.tag)? {
        found.push(refusal(
            codes::TAG_EXISTS,
            format!(
                "the tag {} already exists (at {})",
                plan.tag,
                &at[..at.len().min(12)]
            ),
            "release a higher version, or delete the tag if it was a mistake: `git tag -d TAG`",
        ));
    }
    found.extend(versions(plan));
    if let Some(refused) = semver_check(ws, session, config, plan)? {
        found.push(refused);
    }
    Ok(found)
}

/// A release that was started and not finished (its journal is there).
fn unfinished_release(session: &mut Session) -> Result<Option<Diagnostic>> {
    let journal = Journal::path(&git::git_dir(session)?);
    Ok(Journal::load(&journal)?.map(|open| {
        refusal(
            codes::RELEASE_IN_PROGRESS,
            format!(
                "the release of {} is not finished (done: {})",
                open.version,
                open.done.join(", ")
            ),
            &format!(
                "`release --resume` finishes it; if it was abandoned, delete {}",
                journal.display()
            ),
        )
    }))
}

/// Uncommitted changes refuse the release; untracked files are a warning.
fn work_tree(session: &mut Session) -> Result<Option<Diagnostic>> {
    let (changed, untracked) = git::status(session)?;
    if !untracked.is_empty() {
        session.message(
            Severity::Warning,
            format!(
                "{} untracked file(s) are left out of the release commit (first: {})",
                untracked.len(),
                untracked[0].trim_start_matches("?? ")
            ),
        );
    }
    if changed.is_empty() {
        return Ok(None);
    }
    let list: Vec<String> = changed
        .iter()
        .take(10)
        .map(|l| format!("    {l}"))
        .collect();
    Ok(Some(refusal(
        codes::DIRTY_TREE,
        format!(
            "the work tree has uncommitted changes ({}):\n{}",
            changed.len(),
            list.join("\n")
        ),
        "commit or stash them: a release commits only its own changes",
    )))
}

/// A detached HEAD, or a branch releases are not made from.
fn branch(ws: &Workspace, config: &ReleaseConfig, plan: &Plan) -> Option<Diagnostic> {
    match &plan.branch {
        None => Some(refusal(
            codes::DETACHED_HEAD,
            "HEAD is detached: a release is made on a branch".into(),
            &format!("check out one of: {}", config.branches.join(", ")),
        )),
        Some(branch) if !config.branch_allowed(branch) => Some(refusal(
            codes::BRANCH,
            format!(
                "releases are made from {}; this is `{branch}`",
                config.branches.join(", ")
            ),
            &format!(
                "check out an allowed branch, or add `{branch}` to branches under [workspace.metadata.windlass.release] in {}",
                ws.display_path(&ws.manifest_path)
            ),
        )),
        Some(_) => None,
    }
}

/// A branch behind its upstream (fetched first; a failed fetch compares with the last one).
fn behind_upstream(session: &mut Session) -> Result<Option<Diagnostic>> {
    let Some(upstream) = git::upstream(session)? else {
        return Ok(None);
    };
    let remote = upstream.split('/').next().unwrap_or("origin").to_string();
    if let Err(why) = git::fetch(session, &remote)? {
        session.message(
            Severity::Warning,
            format!(
                "cannot fetch {remote} ({}); comparing with what was fetched last",
                why.lines().next().unwrap_or("")
            ),
        );
    }
    let behind = git::behind(session, &upstream)?;
    Ok((behind > 0).then(|| {
        refusal(
            codes::BEHIND_UPSTREAM,
            format!("the branch is {behind} commit(s) behind {upstream}"),
            "`git pull --rebase`, check again, then release",
        )
    }))
}

/// A push that cannot succeed, found before anything is committed: the remote already has
/// the tag (someone released this version), or cannot be asked.
fn remote_tag(session: &mut Session, plan: &Plan) -> Result<Option<Diagnostic>> {
    let Some(remote) = git::remote(session, plan.branch.as_deref())? else {
        return Ok(None);
    };
    Ok(match git::remote_tag(session, &remote, &plan.tag)? {
        Ok(None) => None,
        Ok(Some(at)) => Some(refusal(
            codes::TAG_EXISTS_ON_REMOTE,
            format!(
                "{remote} already has the tag {} (at {}): the push would be rejected after the commit",
                plan.tag,
                &at[..at.len().min(12)]
            ),
            "release a higher version (`git fetch --tags` shows it), or delete the remote tag if it was a mistake",
        )),
        Err(why) => Some(refusal(
            codes::REMOTE_UNREACHABLE,
            format!(
                "cannot ask {remote} whether it has the tag {}: {}",
                plan.tag,
                why.lines().next().unwrap_or("")
            ),
            "release when the remote can be reached, or without --push (push later with `release --resume`)",
        )),
    })
}

/// A version that would not rise; one line for every member that shares the version.
fn versions(plan: &Plan) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for bump in &plan.bumps {
        if bump.new <= bump.member.version {
            found.push(refusal(
                codes::VERSION_NOT_GREATER,
                format!(
                    "{} would go from {} to {}: a release must raise the version",
                    bump.member.name, bump.member.version, bump.new
                ),
                "name a higher version or a bump level",
            ));
            if bump.inherited {
                break;
            }
        }
    }
    found
}

/// The public API against the previous release's, judged by the bump this release makes:
/// required, skipped or (unset) run when cargo-semver-checks is installed.
fn semver_check(
    ws: &Workspace,
    session: &mut Session,
    config: &ReleaseConfig,
    plan: &Plan,
) -> Result<Option<Diagnostic>> {
    let Some(previous) = &plan.previous_tag else {
        return Ok(None);
    };
    match config.semver_checks {
        Some(false) => return Ok(None),
        None if !semver::installed() => {
            session.message(
                Severity::Notice,
                format!(
                    "cargo-semver-checks is not installed: the API was not compared with {previous} (`{}`; `semver-checks = false` under [workspace.metadata.windlass.release] says not to)",
                    semver::INSTALL
                ),
            );
            return Ok(None);
        }
        _ => {}
    }
    let allowed = semver::ReleaseType::between(&plan.old, &plan.version);
    Ok(
        match semver::check(ws, session, STEP, previous, Some(allowed))? {
            semver::Verdict::Compatible | semver::Verdict::NoLibrary => None,
            semver::Verdict::Breaking(summary) => Some(refusal(
                codes::SEMVER,
                format!(
                    "{} → {} breaks the public API of {previous}: {summary}",
                    plan.old, plan.version
                ),
                "release the major version it is (`release major`), or restore what the findings above name",
            )),
        },
    )
}
