//! The files of a tree: those git tracks plus the untracked ones it does not ignore (or, outside
//! a git checkout, every file below the root but build output), scanned in parallel.

use crate::{Finding, scan_text};
use anyhow::Result;
use std::path::{Path, PathBuf};
use windlass_core::Session;
use windlass_core::runner::Capture;

/// Files larger than this are not read unless the config says (`max-file-size`): they are
/// the size check's business, and each one skipped is said.
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// Why a file was not scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// Larger than the limit (its size).
    TooLarge(u64),
    /// Binary content.
    Binary,
    /// Could not be read (why).
    Unreadable(String),
    /// A link that leads outside the repository (where).
    OutsideRoot(PathBuf),
}

impl Skip {
    /// Its reason, as the report groups them.
    pub fn reason(&self) -> &'static str {
        match self {
            Skip::TooLarge(_) => "larger than the limit",
            Skip::Binary => "binary",
            Skip::Unreadable(_) => "unreadable",
            Skip::OutsideRoot(_) => "links out of the repository",
        }
    }
}

/// What a scan of files found, and what it could not read.
#[derive(Debug, Default)]
pub struct Scanned {
    /// The findings, in path order.
    pub findings: Vec<Finding>,
    /// How many files were read.
    pub files: usize,
    /// Every file not read, with why.
    pub skipped: Vec<(PathBuf, Skip)>,
}

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

/// Scans `files` (relative to `root`) on every core: the findings in path order, how many
/// files were read, and every one that was not (too large, binary, unreadable, a link out of
/// the repository), with why.
pub fn scan(root: &Path, files: &[PathBuf], max_bytes: u64) -> Scanned {
    let real_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len().max(1));
    let chunk = files.len().div_ceil(workers).max(1);
    let results: Vec<Scanned> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                let real_root = &real_root;
                scope.spawn(move || {
                    let mut out = Scanned::default();
                    for file in part {
                        match read_text(&root.join(file), real_root, max_bytes) {
                            Ok(text) => {
                                out.files += 1;
                                scan_text(
                                    &file.to_string_lossy().replace('\\', "/"),
                                    &text,
                                    &mut out.findings,
                                );
                            }
                            Err(skip) => out.skipped.push((file.clone(), skip)),
                        }
                    }
                    out
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let mut all = Scanned::default();
    for part in results {
        all.files += part.files;
        all.findings.extend(part.findings);
        all.skipped.extend(part.skipped);
    }
    all.findings
        .sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
    all.skipped.sort_by(|a, b| a.0.cmp(&b.0));
    all
}

/// A file's text, or why it is not read: over `max_bytes`, binary, unreadable, or a link
/// whose target is outside `real_root` (never read: the repository is what is scanned).
fn read_text(path: &Path, real_root: &Path, max_bytes: u64) -> std::result::Result<String, Skip> {
    let unreadable = |e: std::io::Error| Skip::Unreadable(e.to_string());
    let link = std::fs::symlink_metadata(path).map_err(unreadable)?;
    if link.file_type().is_symlink() {
        let target = path.canonicalize().map_err(unreadable)?;
        if !target.starts_with(real_root) {
            return Err(Skip::OutsideRoot(target));
        }
    }
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if !meta.is_file() {
        return Err(Skip::Unreadable("not a regular file".into()));
    }
    if meta.len() > max_bytes {
        return Err(Skip::TooLarge(meta.len()));
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    // UTF-16 and UTF-32 (a Windows editor's `.env`, a PowerShell script) are text too: their
    // NUL bytes are half of every character, not a sign of a binary.
    if let Some(text) = decode_wide(&bytes) {
        return Ok(text);
    }
    if is_binary(&bytes) {
        return Err(Skip::Binary);
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Text in UTF-16 or UTF-32, told by its byte-order mark (or, for UTF-16 without one, by a
/// NUL in every other byte of ASCII-range text); `None` for anything else.
pub fn decode_wide(bytes: &[u8]) -> Option<String> {
    let units32 = |body: &[u8], be: bool| -> String {
        body.chunks_exact(4)
            .map(|c| {
                let arr = [c[0], c[1], c[2], c[3]];
                let n = if be {
                    u32::from_be_bytes(arr)
                } else {
                    u32::from_le_bytes(arr)
                };
                char::from_u32(n).unwrap_or('\u{FFFD}')
            })
            .collect()
    };
    let units16 = |body: &[u8], be: bool| -> String {
        let units: Vec<u16> = body
            .chunks_exact(2)
            .map(|c| {
                if be {
                    u16::from_be_bytes([c[0], c[1]])
                } else {
                    u16::from_le_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16_lossy(&units)
    };
    match bytes {
        [0xFF, 0xFE, 0, 0, rest @ ..] => Some(units32(rest, false)),
        [0, 0, 0xFE, 0xFF, rest @ ..] => Some(units32(rest, true)),
        [0xFF, 0xFE, rest @ ..] => Some(units16(rest, false)),
        [0xFE, 0xFF, rest @ ..] => Some(units16(rest, true)),
        _ => {
            let sample = &bytes[..bytes.len().min(4096) & !1];
            if sample.len() < 16 {
                return None;
            }
            let pairs = sample.len() / 2;
            let le = sample
                .chunks_exact(2)
                .filter(|c| c[1] == 0 && c[0] != 0)
                .count();
            let be = sample
                .chunks_exact(2)
                .filter(|c| c[0] == 0 && c[1] != 0)
                .count();
            if le * 10 >= pairs * 9 {
                Some(units16(bytes, false))
            } else if be * 10 >= pairs * 9 {
                Some(units16(bytes, true))
            } else {
                None
            }
        }
    }
}

/// Whether content is binary, judged on its first 8 KiB: many bytes that are neither text
/// nor the whitespace of text (NUL and other control bytes), or mostly invalid UTF-8. One
/// NUL — a marker, a stray byte — does not make an otherwise textual file binary.
pub fn is_binary(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(8192)];
    if sample.is_empty() {
        return false;
    }
    let control = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b))
        .count();
    if control * 10 > sample.len() {
        return true;
    }
    // Random bytes (compressed data) are mostly not UTF-8; text in any script is.
    let invalid = String::from_utf8_lossy(sample).matches('\u{FFFD}').count();
    invalid * 5 > sample.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_and_utf32_are_read_as_the_text_they_are() {
        let text = "AWS_SECRET_ACCESS_KEY=abc\n";
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        let bare: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let wide: Vec<u8> = [0xFF, 0xFE, 0, 0]
            .into_iter()
            .chain(text.chars().flat_map(|c| (c as u32).to_le_bytes()))
            .collect();
        for bytes in [le, be, bare, wide] {
            assert_eq!(decode_wide(&bytes).as_deref(), Some(text), "{bytes:?}");
        }
        assert_eq!(decode_wide(b"plain utf-8 text, nothing wide"), None);
    }

    #[test]
    fn a_stray_nul_does_not_make_text_binary_but_binaries_are() {
        assert!(!is_binary(
            b"\0export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI\nmore text\n"
        ));
        assert!(!is_binary("caf\u{e9} \u{4e2d}\u{6587} text".as_bytes()));
        let elf: Vec<u8> = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0\x01\0\0\0"
            .iter()
            .copied()
            .cycle()
            .take(4096)
            .collect();
        assert!(is_binary(&elf));
        let random: Vec<u8> = (0u32..4096)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        assert!(is_binary(&random));
    }
}
