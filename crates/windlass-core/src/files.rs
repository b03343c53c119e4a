//! Files: written so that a reader never sees half of one (every task that writes — a hook,
//! a workflow, a report, a journal — writes beside the target and renames over it), and
//! hashed the one way every checksum windlass records or checks is made.

use crate::error::UsageError;
use anyhow::Result;
use std::path::Path;

/// Writes `contents` to `path` atomically, creating its directory; `executable` sets 0755.
/// A failure leaves the previous file (or none) in place and names the path. One
/// implementation with the release archive's ([`windlass_archive::write_atomic`]).
pub fn write_atomic(path: &Path, contents: &[u8], executable: bool) -> Result<()> {
    windlass_archive::write_atomic(path, contents, executable).map_err(as_io)
}

/// The SHA-256 of a file, in lowercase hex, read as a stream (release binaries are large):
/// the hash every checksum windlass records or checks is made with.
pub fn sha256_file(path: &Path) -> Result<String> {
    windlass_archive::sha256_file(path).map_err(as_io)
}

/// The archive's error about a file, as an input/output error of windlass's.
fn as_io(err: anyhow::Error) -> anyhow::Error {
    match err.downcast::<windlass_archive::ArchiveError>() {
        Ok(e) => UsageError::new(e.message)
            .kind(crate::error::ErrorKind::Io)
            .into(),
        Err(err) => err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_a_file_whole_and_leaves_no_partial_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/out.txt");
        write_atomic(&path, b"one", false).unwrap();
        write_atomic(&path, b"two", true).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1);
        let err = write_atomic(&dir.path().join("sub/out.txt/nested"), b"x", false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot write"), "{err}");
    }

    #[test]
    fn hashes_like_sha256sum() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc");
        std::fs::write(&path, "abc").unwrap();
        assert_eq!(
            sha256_file(&path).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let err = sha256_file(&dir.path().join("none"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot read"), "{err}");
    }
}
