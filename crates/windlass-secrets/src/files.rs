//! The files of a tree: those git tracks plus the untracked ones it does not ignore (or, outside
//! a git checkout, every file below the root but build output), scanned in parallel.

use crate::{Finding, scan_text};
use anyhow::Result;
use std::path::{Path, PathBuf};
use windlass_core::Session;
use windlass_core::runner::Capture;

/// Files larger than this are not read (they are the size check's business).
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// The files to scan under `root`, relative to it.
pub fn list(session: &mut Session, root: &Path) -> Result<Vec<PathBuf>> {
    if root.join(".git").exists() {
        let sh = session.shell();
        let cmd = sh.cmd("git").arg("-C").arg(root).args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ]);
        let finished = session.run(cmd, Capture::Everything)?;
        if finished.success() {
            let mut files: Vec<PathBuf> = finished
                .stdout
                .split('\0')
                .filter(|p| !p.is_empty())
                .map(PathBuf::from)
                .collect();
            files.sort();
            files.dedup();
            return Ok(files);
        }
    }
    let skip = |name: &str| matches!(name, ".git" | "target" | "node_modules" | ".venv");
    Ok(walkdir::WalkDir::new(root)
        .into_iter()
        .filter_entry(|e| !skip(&e.file_name().to_string_lossy()))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| e.path().strip_prefix(root).ok().map(Path::to_path_buf))
        .collect())
}

/// Scans `files` (relative to `root`) on every core; returns the findings in path order and
/// how many files were scanned (binary, unreadable and oversized files are not).
pub fn scan(root: &Path, files: &[PathBuf]) -> (Vec<Finding>, usize) {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len().max(1));
    let chunk = files.len().div_ceil(workers).max(1);
    let results: Vec<(Vec<Finding>, usize)> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut found = Vec::new();
                    let mut scanned = 0;
                    for file in part {
                        if let Some(text) = read_text(&root.join(file)) {
                            scanned += 1;
                            scan_text(
                                &file.to_string_lossy().replace('\\', "/"),
                                &text,
                                &mut found,
                            );
                        }
                    }
                    (found, scanned)
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let scanned = results.iter().map(|(_, n)| n).sum();
    let mut findings: Vec<Finding> = results.into_iter().flat_map(|(f, _)| f).collect();
    findings.sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
    (findings, scanned)
}

/// A file's text, or `None` for a binary (a NUL byte early on), unreadable or oversized file.
fn read_text(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_FILE_BYTES {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    if bytes.iter().take(8000).any(|&b| b == 0) {
        return None;
    }
    Some(String::from_utf8_lossy(&bytes).into_owned())
}
