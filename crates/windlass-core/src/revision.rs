//! Revisions a user names (`--since origin/main`, `--baseline-rev v1.2.0`), made safe to hand
//! to git and to tools: never an option (`--output=FILE` is refused before git sees it), and
//! resolved to the commit it names with `git rev-parse --verify --end-of-options`, so that
//! what runs afterwards gets a full hash, not the user's text.

use crate::error::{ErrorKind, UsageError};
use crate::runner::Capture;
use crate::session::Session;
use anyhow::Result;
use std::path::Path;

/// Whether `rev` could be read as an option or is not one revision: empty, starting with
/// `-`, or holding a control character.
pub fn is_unsafe(rev: &str) -> bool {
    rev.is_empty() || rev.starts_with('-') || rev.chars().any(char::is_control)
}

/// The commit `rev` names in the repository at `repo`, as a full hash; exit 2 naming the
/// revision when it is not one (an option, a typo, a branch not fetched).
pub fn resolve(session: &mut Session, repo: &Path, rev: &str, flag: &str) -> Result<String> {
    let shown = crate::sanitize::terminal(rev, false).into_owned();
    if is_unsafe(rev) {
        return Err(UsageError::new(format!(
            "`{flag} {shown}` is not a revision: a revision never starts with `-` or holds control characters"
        ))
        .kind(ErrorKind::Usage)
        .hint(format!("name a branch, tag or commit: `{flag} origin/main`"))
        .into());
    }
    let sh = session.shell();
    let cmd = sh
        .cmd("git")
        .arg("-C")
        .arg(repo)
        .args(["rev-parse", "--quiet", "--verify", "--end-of-options"])
        .arg(format!("{rev}^{{commit}}"));
    let finished = session.run(cmd, Capture::Everything)?;
    let hash = finished.stdout.trim();
    if !finished.success() || hash.is_empty() {
        return Err(UsageError::new(format!(
            "`{flag} {shown}` names no commit in {}",
            repo.display()
        ))
        .hint("check the name, and that the branch or tag is fetched (`git fetch origin main`)")
        .into());
    }
    Ok(hash.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_and_control_characters_are_never_revisions() {
        for bad in ["", "--output=/tmp/x", "-p", "main\n--all", "a\u{1b}[2J"] {
            assert!(is_unsafe(bad), "{bad:?}");
        }
        for ok in ["origin/main", "v1.2.0", "HEAD~3", "abc123", "feature/x-y"] {
            assert!(!is_unsafe(ok), "{ok}");
        }
    }
}
