//! The git the release needs, through the `git` CLI (lean build, and exactly what the user's
//! own git, hooks and signing config would do).

use crate::changelog::Commit;
use anyhow::Result;
use std::path::{Path, PathBuf};
use windlass_core::runner::{Capture, Finished};
use windlass_core::{Session, UsageError};
use xshell::cmd;

/// Runs `git ARGS` in the workspace root, capturing everything.
fn git(session: &mut Session, args: &[&str]) -> Result<Finished> {
    let sh = session.shell();
    session.run(cmd!(sh, "git {args...}"), Capture::Everything)
}

/// `git ARGS`, which must succeed; its stdout, trimmed.
fn git_ok(session: &mut Session, args: &[&str]) -> Result<String> {
    let finished = git(session, args)?;
    if !finished.success() {
        return Err(UsageError::new(format!(
            "`git {}` failed: {}",
            args.join(" "),
            finished.stderr.trim()
        ))
        .into());
    }
    Ok(finished.stdout.trim().to_string())
}

/// `git ARGS` that may fail: its stdout when it succeeded.
fn git_maybe(session: &mut Session, args: &[&str]) -> Result<Option<String>> {
    let finished = git(session, args)?;
    Ok(finished
        .success()
        .then(|| finished.stdout.trim().to_string()))
}

/// The repository's git directory, absolute (the journal lives there, out of the tree).
pub fn git_dir(session: &mut Session) -> Result<PathBuf> {
    match git_maybe(session, &["rev-parse", "--absolute-git-dir"])? {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => Err(UsageError::new("the workspace is not in a git repository")
            .hint("a release is a commit and a tag: run `git init` and commit the workspace first")
            .into()),
    }
}

/// `git status --porcelain` lines: (tracked changes, untracked paths).
pub fn status(session: &mut Session) -> Result<(Vec<String>, Vec<String>)> {
    let out = git_ok(
        session,
        &["status", "--porcelain=v1", "--untracked-files=normal"],
    )?;
    let (untracked, changed): (Vec<String>, Vec<String>) = out
        .lines()
        .map(str::to_string)
        .partition(|l| l.starts_with("??"));
    Ok((changed, untracked))
}

/// The checked-out branch, `None` on a detached HEAD.
pub fn branch(session: &mut Session) -> Result<Option<String>> {
    git_maybe(session, &["symbolic-ref", "--short", "-q", "HEAD"])
}

/// The remote a branch pushes to: its upstream's, else `origin` when there is one.
pub fn remote(session: &mut Session, branch: Option<&str>) -> Result<Option<String>> {
    if let Some(branch) = branch {
        let key = format!("branch.{branch}.remote");
        if let Some(remote) = git_maybe(session, &["config", "--get", &key])?
            && remote != "."
        {
            return Ok(Some(remote));
        }
    }
    let remotes = git_ok(session, &["remote"])?;
    Ok(remotes.lines().find(|r| *r == "origin").map(str::to_string))
}

/// A remote's URL.
pub fn remote_url(session: &mut Session, remote: &str) -> Result<Option<String>> {
    git_maybe(session, &["remote", "get-url", remote])
}

/// The upstream of the current branch (`origin/main`), when it has one.
pub fn upstream(session: &mut Session) -> Result<Option<String>> {
    git_maybe(
        session,
        &[
            "rev-parse",
            "--abbrev-ref",
            "--symbolic-full-name",
            "@{upstream}",
        ],
    )
}

/// Fetches `remote` so that "behind" is measured against what it holds now; `Err` text
/// when it cannot be reached (offline), which the caller reports and goes on with.
pub fn fetch(session: &mut Session, remote: &str) -> Result<std::result::Result<(), String>> {
    let sh = session.shell();
    let finished = session.run_timeout(
        cmd!(sh, "git fetch --quiet --no-tags --end-of-options {remote}"),
        Capture::Everything,
        std::time::Duration::from_secs(60),
    )?;
    Ok(if finished.success() {
        Ok(())
    } else {
        Err(finished.stderr.trim().to_string())
    })
}

/// How many commits of `upstream` HEAD does not have.
pub fn behind(session: &mut Session, upstream: &str) -> Result<u64> {
    let range = format!("HEAD..{upstream}");
    let out = git_ok(session, &["rev-list", "--count", &range])?;
    Ok(out.parse().unwrap_or(0))
}

/// The commit a tag points at, if the tag exists.
pub fn tag_commit(session: &mut Session, tag: &str) -> Result<Option<String>> {
    let spec = format!("refs/tags/{tag}^{{commit}}");
    git_maybe(session, &["rev-parse", "-q", "--verify", &spec])
}

/// The object a tag ref names (the annotated tag object itself).
pub fn tag_object(session: &mut Session, tag: &str) -> Result<Option<String>> {
    let spec = format!("refs/tags/{tag}");
    git_maybe(session, &["rev-parse", "-q", "--verify", &spec])
}

/// The tags that point at `commit`.
pub fn tags_at(session: &mut Session, commit: &str) -> Result<Vec<String>> {
    let out = git_ok(session, &["tag", "--points-at", commit])?;
    Ok(out.lines().map(str::to_string).collect())
}

/// HEAD's commit, `None` in a repository without commits.
pub fn head(session: &mut Session) -> Result<Option<String>> {
    git_maybe(session, &["rev-parse", "-q", "--verify", "HEAD^{commit}"])
}

/// Tags reachable from HEAD that start with `prefix`.
pub fn merged_tags(session: &mut Session, prefix: &str) -> Result<Vec<String>> {
    let pattern = format!("{prefix}*");
    let out = git_ok(session, &["tag", "--merged", "HEAD", "--list", &pattern])?;
    Ok(out.lines().map(str::to_string).collect())
}

/// The commits after `since` (every commit when `None`), newest first, merges left out.
pub fn commits(session: &mut Session, since: Option<&str>) -> Result<Vec<Commit>> {
    let range = since.map_or_else(|| "HEAD".to_string(), |tag| format!("{tag}..HEAD"));
    let out = git_ok(
        session,
        &["log", "--no-merges", "--format=%h%x1f%s%x1f%b%x1e", &range],
    )?;
    Ok(out
        .split('\x1e')
        .filter_map(|record| {
            let mut fields = record.trim_start_matches('\n').splitn(3, '\x1f');
            let hash = fields.next()?.trim();
            if hash.is_empty() {
                return None;
            }
            Some(Commit {
                hash: hash.to_string(),
                subject: fields.next().unwrap_or("").to_string(),
                body: fields.next().unwrap_or("").trim().to_string(),
            })
        })
        .collect())
}

/// A commit's committer date, seconds since the epoch.
pub fn commit_time(session: &mut Session, commit: &str) -> Result<u64> {
    let out = git_ok(session, &["log", "-1", "--format=%ct", commit])?;
    Ok(out.parse().unwrap_or(0))
}

/// HEAD's commit read from the files of the git directory, without starting git (after an
/// interrupt, no process may be started): the loose ref, else `packed-refs`.
pub fn head_on_disk(git_dir: &Path) -> Option<String> {
    let head = std::fs::read_to_string(git_dir.join("HEAD")).ok()?;
    let Some(name) = head.trim().strip_prefix("ref: ") else {
        return Some(head.trim().to_string());
    };
    // A worktree's branches live in the common directory.
    let common = std::fs::read_to_string(git_dir.join("commondir"))
        .map(|c| git_dir.join(c.trim()))
        .unwrap_or_else(|_| git_dir.to_path_buf());
    for dir in [git_dir, common.as_path()] {
        if let Ok(hash) = std::fs::read_to_string(dir.join(name)) {
            return Some(hash.trim().to_string());
        }
    }
    let packed = std::fs::read_to_string(common.join("packed-refs")).ok()?;
    packed.lines().find_map(|l| {
        let (hash, refname) = l.split_once(' ')?;
        (refname == name).then(|| hash.to_string())
    })
}

/// Whether git tracks `path` (an ignored Cargo.lock is updated but not committed).
pub fn is_tracked(session: &mut Session, path: &Path) -> Result<bool> {
    let path = path.to_string_lossy();
    Ok(git(session, &["ls-files", "--error-unmatch", "--", &path])?.success())
}

/// Stages `paths` and commits them with `message`; the user's hooks run, as for any commit.
pub fn commit(session: &mut Session, paths: &[String], message: &str) -> Result<()> {
    let mut add = vec!["add", "--"];
    add.extend(paths.iter().map(String::as_str));
    git_ok(session, &add)?;
    let finished = git(session, &["commit", "--quiet", "-m", message])?;
    if !finished.success() {
        return Err(UsageError::new(format!(
            "`git commit` failed:\n{}",
            (finished.stdout + &finished.stderr).trim()
        ))
        .hint("fix what git or its hooks reported above, then run the release again")
        .into());
    }
    Ok(())
}

/// Creates the annotated tag `name` at `commit`.
pub fn tag(session: &mut Session, name: &str, commit: &str, message: &str) -> Result<()> {
    git_ok(session, &["tag", "--annotate", name, commit, "-m", message]).map(drop)
}

/// Pushes the branch and the tag in one atomic push.
pub fn push(session: &mut Session, remote: &str, branch: &str, tag: &str) -> Result<()> {
    let branch_ref = format!("HEAD:refs/heads/{branch}");
    let tag_ref = format!("refs/tags/{tag}");
    let finished = git(
        session,
        &[
            "push",
            "--atomic",
            "--end-of-options",
            remote,
            &branch_ref,
            &tag_ref,
        ],
    )?;
    if !finished.success() {
        return Err(UsageError::new(format!(
            "`git push` to {remote} failed:\n{}",
            finished.stderr.trim()
        ))
        .hint("fix the remote's complaint above, then `release --resume`")
        .into());
    }
    Ok(())
}

/// What `remote` holds for the tag `tag`: `Ok(None)` when it does not have it, `Err` with
/// git's words when the remote cannot be asked.
pub fn remote_tag(
    session: &mut Session,
    remote: &str,
    tag: &str,
) -> Result<std::result::Result<Option<String>, String>> {
    let refname = format!("refs/tags/{tag}");
    let finished = git(
        session,
        &["ls-remote", "--tags", "--end-of-options", remote, &refname],
    )?;
    if !finished.success() {
        return Ok(Err(finished.stderr.trim().to_string()));
    }
    Ok(Ok(finished
        .stdout
        .lines()
        .find(|l| l.ends_with(&refname))
        .and_then(|l| l.split_whitespace().next())
        .map(str::to_string)))
}

/// What `remote` holds for a ref, `None` when it does not have it.
pub fn remote_ref(session: &mut Session, remote: &str, refname: &str) -> Result<Option<String>> {
    let out = git_maybe(session, &["ls-remote", "--end-of-options", remote, refname])?;
    Ok(out.and_then(|o| o.split_whitespace().next().map(str::to_string)))
}

/// Whether `commit` is an ancestor of (or is) `of`.
pub fn is_ancestor(session: &mut Session, commit: &str, of: &str) -> Result<bool> {
    Ok(git(session, &["merge-base", "--is-ancestor", commit, of])?.success())
}
