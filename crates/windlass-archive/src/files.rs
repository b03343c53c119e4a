//! The file operations of the format: hashing as every checksum is made and writing so that
//! no reader sees half a file, both through windlass's one door to the file system.

use anyhow::Result;
use std::path::Path;

pub use windlass_fs::is_file_name;

/// The SHA-256 of a file, in lowercase hex, read as a stream (release binaries are large).
pub fn sha256_file(path: &Path) -> Result<String> {
    windlass_fs::sha256_file(path)
        .map_err(|e| crate::error::io(format!("cannot read {}: {e}", path.display())).into())
}

/// Writes `contents` to `path` in its directory, atomically, never through a link at `path`.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    windlass_fs::write_beside(path, contents, windlass_fs::Perm::Keep)
        .map_err(windlass_core::files::error)
}
