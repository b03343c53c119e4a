//! Files: written so that a reader never sees half of one (every task that writes — a hook,
//! a workflow, a report, a journal — writes beside the target and renames over it), and
//! hashed the one way every checksum windlass records or checks is made.

use crate::error::UsageError;
use anyhow::Result;
use std::path::Path;

/// Writes `contents` to `path` atomically, creating its directory; `executable` sets 0755.
/// A failure leaves the previous file (or none) in place and names the path.
pub fn write_atomic(path: &Path, contents: &[u8], executable: bool) -> Result<()> {
    let fail = |what: &Path, e: std::io::Error| -> anyhow::Error {
        UsageError::new(format!("cannot write {}: {e}", what.display())).into()
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| fail(dir, e))?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let partial = path.with_file_name(format!(".{name}.windlass-partial"));
    let result = std::fs::write(&partial, contents)
        .and_then(|()| set_executable(&partial, executable))
        .and_then(|()| std::fs::rename(&partial, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&partial);
        return Err(fail(path, e));
    }
    Ok(())
}

/// The SHA-256 of a file, in lowercase hex, read as a stream (release binaries are large).
pub fn sha256_file(path: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    let fail = |e: std::io::Error| -> anyhow::Error {
        UsageError::new(format!("cannot read {}: {e}", path.display())).into()
    };
    let mut file = std::fs::File::open(path).map_err(fail)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(fail)?;
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

#[cfg(unix)]
fn set_executable(path: &Path, executable: bool) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if executable {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn set_executable(_path: &Path, _executable: bool) -> std::io::Result<()> {
    Ok(())
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
