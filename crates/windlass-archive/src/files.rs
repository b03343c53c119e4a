//! The file operations of the format: hashing as every checksum is made, writing so that no
//! reader sees half a file, and the one-component names entries may have.

use crate::ArchiveError;
use anyhow::Result;
use std::path::Path;

/// The SHA-256 of a file, in lowercase hex, read as a stream (release binaries are large).
pub fn sha256_file(path: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    let fail = |e: std::io::Error| -> anyhow::Error {
        ArchiveError::new(format!("cannot read {}: {e}", path.display())).into()
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

/// Writes `contents` to `path` beside it and renames it into place: a failure leaves the
/// previous file (or none).
pub fn write_atomic(path: &Path, contents: &[u8], executable: bool) -> Result<()> {
    let fail = |e: std::io::Error| -> anyhow::Error {
        ArchiveError::new(format!("cannot write {}: {e}", path.display())).into()
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let partial = path.with_file_name(format!(".{name}.windlass-partial"));
    let result = std::fs::write(&partial, contents)
        .and_then(|()| {
            #[cfg(unix)]
            if executable {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o755))?;
            }
            let _ = executable;
            Ok(())
        })
        .and_then(|()| std::fs::rename(&partial, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&partial);
        return Err(fail(e));
    }
    Ok(())
}

/// Whether `name` is one file name: not empty, not `.` or `..`, without a path separator or
/// a control character — what an archive entry's name must be to be unpacked.
pub fn is_file_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && name.len() <= 255
        && !name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control())
}
