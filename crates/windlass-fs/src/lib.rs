//! windlass's one door to the file system: every write, rename and delete of every windlass
//! crate goes through here (`tests/architecture.rs` forbids `std::fs`'s writers elsewhere).
//!
//! - [`Root`]: a directory held open, under which paths are resolved one component at a time
//!   without following links (`openat` with `O_NOFOLLOW`), so that a link anywhere — to a
//!   folder outside the repository, into a target directory, in place of a file — stops the
//!   operation instead of redirecting it; writes are atomic and keep the replaced file's mode;
//!   reads are bounded and refuse pipes and devices;
//! - [`TextStyle`]: line ends and byte-order mark kept across an edit;
//! - [`sha256_file`] and [`is_file_name`]: the one hash every checksum is made with, and what a
//!   single file name is.
//!
//! docs/filesystem.md says why openat-style resolution through `nix` (already in every xtask's
//! graph) rather than `cap-std` or path checks.

mod entry;
mod error;
#[cfg(unix)]
mod root;
#[cfg(not(unix))]
#[path = "portable.rs"]
mod root;
mod text;

pub use entry::{Entry, Kind, Perm};
pub use error::{FsError, Problem, Result};
pub use root::Root;
pub use text::TextStyle;

use std::path::Path;

/// The most windlass reads of a repository file it parses (a manifest, a workflow, a
/// Dockerfile, a compose file, a log): far above any real one, far below memory.
pub const TEXT_LIMIT: u64 = 64 * 1024 * 1024;

/// Writes `contents` to the absolute `path`, which must lie under `root`: resolved below
/// `root` without following links, atomically, keeping the replaced file's mode.
pub fn write_under(root: &Path, path: &Path, contents: &[u8], perm: Perm) -> Result<()> {
    let root = Root::create(root)?;
    let rel = root.relative(path)?;
    root.write_atomic(&rel, contents, perm)
}

/// Writes `contents` to `path` in its own directory (a report, a file the user named on the
/// command line): the directory is the user's choice; the file itself is never a link
/// followed, and it is replaced atomically, keeping its mode.
pub fn write_beside(path: &Path, contents: &[u8], perm: Perm) -> Result<()> {
    let (dir, name) = split(path)?;
    Root::create(&dir)?.write_atomic(Path::new(&name), contents, perm)
}

/// Reads the regular file `path` (not through a link at its last component; not a pipe or
/// a device), at most `limit` bytes.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let (dir, name) = split(path)?;
    Root::open(&dir)?.read(Path::new(&name), limit)
}

/// As [`read_bounded`], as text (invalid UTF-8 replaced).
pub fn read_text(path: &Path, limit: u64) -> Result<String> {
    read_bounded(path, limit).map(|b| match String::from_utf8(b) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

fn split(path: &Path) -> Result<(std::path::PathBuf, std::ffi::OsString)> {
    let absolute = std::path::absolute(path).map_err(|e| FsError::io(path, e))?;
    match (absolute.parent(), absolute.file_name()) {
        (Some(dir), Some(name)) => Ok((dir.to_path_buf(), name.to_os_string())),
        _ => Err(FsError::new(path, Problem::NotAFile)),
    }
}

/// The SHA-256 of a file, in lowercase hex, read as a stream (release binaries are large):
/// the hash every checksum windlass records or checks is made with.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Whether `name` is one file name: not empty, not `.` or `..`, without a path separator or
/// a control character, at most 255 bytes — what a config may name as a file in a directory
/// of windlass's, and what an archive entry's name must be to be unpacked.
pub fn is_file_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && name.len() <= 255
        && !name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control())
}

#[cfg(test)]
mod tests;
