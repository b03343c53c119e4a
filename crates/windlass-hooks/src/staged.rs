//! What the index holds: the staged files, their contents and sizes, and the lines they add.

use anyhow::Result;
use std::path::Path;
use windlass_core::runner::Capture;
use windlass_core::{Session, UsageError};
use windlass_secrets::diff::{self, AddedLines};

/// A staged file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedFile {
    /// `A`dded, `M`odified, `C`opied, or `T`ype-changed.
    pub status: char,
    /// Its path, relative to the repository root.
    pub path: String,
}

fn git(session: &mut Session, root: &Path, args: &[&str]) -> Result<String> {
    let sh = session.shell();
    let cmd = sh
        .cmd("git")
        .arg("-C")
        .arg(root)
        .args(["-c", "core.quotePath=false"])
        .args(args);
    // Reading the index is plumbing: echoed with `-v` only.
    let finished = session.run_quiet(cmd)?;
    if !finished.success() {
        return Err(UsageError::new(format!(
            "git {} failed: {}",
            args.join(" "),
            finished.stderr.trim()
        ))
        .hint("run the hook inside a git work tree")
        .into());
    }
    Ok(finished.stdout)
}

/// The files the commit adds or changes (deletions need no check).
pub fn files(session: &mut Session, root: &Path) -> Result<Vec<StagedFile>> {
    let out = git(
        session,
        root,
        &[
            "diff",
            "--cached",
            "--name-status",
            "-z",
            "--no-renames",
            "--diff-filter=ACMT",
        ],
    )?;
    let mut parts = out.split('\0').filter(|p| !p.is_empty());
    let mut files = Vec::new();
    while let (Some(status), Some(path)) = (parts.next(), parts.next()) {
        files.push(StagedFile {
            status: status.chars().next().unwrap_or('M'),
            path: path.to_string(),
        });
    }
    Ok(files)
}

/// The lines the commit adds, with their numbers in the staged files.
pub fn added_lines(session: &mut Session, root: &Path) -> Result<(Vec<AddedLines>, bool)> {
    let out = git(
        session,
        root,
        &[
            "diff",
            "--cached",
            "-U0",
            "--no-color",
            "--no-ext-diff",
            "--no-renames",
            "--diff-filter=ACMT",
        ],
    )?;
    Ok((diff::parse(&out), !out.trim().is_empty()))
}

/// The staged content of `path`.
pub fn content(session: &mut Session, root: &Path, path: &str) -> Result<String> {
    git(session, root, &["show", &format!(":{path}")])
}

/// The staged size of each path, in bytes.
pub fn sizes(session: &mut Session, root: &Path, paths: &[&str]) -> Result<Vec<u64>> {
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let input: String = paths.iter().map(|p| format!(":{p}\n")).collect();
    let sh = session.shell();
    let cmd = sh
        .cmd("git")
        .arg("-C")
        .arg(root)
        .args(["cat-file", "--batch-check=%(objectsize)"]);
    let finished = session
        .cmd(cmd)
        .capture(Capture::Everything)
        .stdin(input.into_bytes())
        .quiet()
        .run()?;
    if !finished.success() {
        return Err(
            UsageError::new(format!("git cat-file failed: {}", finished.stderr.trim())).into(),
        );
    }
    Ok(finished
        .stdout
        .lines()
        .map(|l| l.trim().parse().unwrap_or(0))
        .collect())
}
