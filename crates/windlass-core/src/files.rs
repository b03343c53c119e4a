//! Files, as every task writes and deletes them: through [`windlass_fs`], the one door to the
//! file system — resolved under a root without following links, replaced atomically keeping
//! the file's mode, removed only as what they are — with its refusals turned into windlass's
//! errors (exit 2, the path and the fix).

use crate::error::{ErrorKind, UsageError};
use anyhow::Result;
use std::path::Path;
pub use windlass_fs::{Entry, FsError, Kind, Perm, Problem, Root, TEXT_LIMIT, TextStyle};

/// A file-system refusal or failure as windlass reports it: `refused` for a link, a path
/// outside its root, a pipe or an oversized file; `io` for the rest.
pub fn error(err: FsError) -> anyhow::Error {
    let kind = if err.is_refusal() {
        ErrorKind::Refused
    } else {
        ErrorKind::Io
    };
    let mut usage = UsageError::new(err.to_string()).kind(kind);
    if let Some(hint) = err.hint() {
        usage = usage.hint(hint);
    }
    usage.into()
}

/// Opens `dir` as a root to work under, creating it when missing.
pub fn root(dir: &Path) -> Result<Root> {
    Root::create(dir).map_err(error)
}

/// Writes `contents` to `path` (absolute, or relative to `root`), which must lie under `root`
/// without a link on the way; atomically, keeping the replaced file's mode.
pub fn write(root: &Path, path: &Path, contents: &[u8]) -> Result<()> {
    windlass_fs::write_under(root, path, contents, Perm::Keep).map_err(error)
}

/// As [`write()`], the file made executable (a hook).
pub fn write_executable(root: &Path, path: &Path, contents: &[u8]) -> Result<()> {
    windlass_fs::write_under(root, path, contents, Perm::Executable).map_err(error)
}

/// Writes `contents` to a file the user named (`--sarif PATH`, a report): its directory is
/// theirs, the file itself is replaced atomically and never followed if it is a link.
pub fn write_named(path: &Path, contents: &[u8]) -> Result<()> {
    windlass_fs::write_beside(path, contents, Perm::Keep).map_err(error)
}

/// Removes the file (or link) `path` under `root`; `false` when it was not there.
pub fn remove(root: &Path, path: &Path) -> Result<bool> {
    let root = Root::open(root).map_err(error)?;
    let rel = root.relative(path).map_err(error)?;
    root.remove_file(&rel).map_err(error)
}

/// A repository file windlass parses, read whole up to [`TEXT_LIMIT`]: a pipe, a device or
/// a file larger than that is refused instead of read until memory runs out. A link inside
/// the repository is followed (a `README.md` pointing at `docs/`): reading it moves nothing.
pub fn read_text(path: &Path) -> Result<String> {
    read_text_limited(path, TEXT_LIMIT)
}

/// As [`read_text`], at most `limit` bytes.
pub fn read_text_limited(path: &Path, limit: u64) -> Result<String> {
    use std::io::Read;
    let fail = |e: std::io::Error| -> anyhow::Error {
        UsageError::io(format!("cannot read {}: {e}", path.display()))
            .kind(ErrorKind::Io)
            .into()
    };
    let meta = std::fs::metadata(path).map_err(fail)?;
    if !meta.is_file() {
        return Err(UsageError::new(format!(
            "{} is not a regular file: windlass reads no pipe, device or directory in its place",
            path.display()
        ))
        .kind(ErrorKind::Refused)
        .into());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(fail)?
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(fail)?;
    if bytes.len() as u64 > limit {
        return Err(UsageError::new(format!(
            "{} is larger than {limit} bytes, the most windlass reads of it",
            path.display()
        ))
        .kind(ErrorKind::Refused)
        .into());
    }
    Ok(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// windlass's own cache directory: `$WINDLASS_CACHE_DIR`, else `$XDG_CACHE_HOME/windlass`,
/// else `~/.cache/windlass`, else one in the temporary directory named after the user. What
/// windlass keeps between runs (the advisory index) lives here, never beside a user's files.
pub fn cache_dir() -> std::path::PathBuf {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(std::path::PathBuf::from)
    };
    if let Some(dir) = var("WINDLASS_CACHE_DIR") {
        return dir;
    }
    if let Some(dir) = var("XDG_CACHE_HOME") {
        return dir.join("windlass");
    }
    if let Some(home) = var("HOME") {
        return home.join(".cache").join("windlass");
    }
    let user = std::env::var("USER").unwrap_or_else(|_| "user".into());
    std::env::temp_dir().join(format!("windlass-cache-{user}"))
}

/// A directory of windlass's own for one run (logs of test services, a download), made new
/// under [`cache_dir`] — never an existing one, so nothing someone placed there first is
/// written through — and removed, with what is in it, when dropped.
#[derive(Debug)]
pub struct ScratchDir {
    parent: Root,
    name: std::path::PathBuf,
    path: std::path::PathBuf,
}

impl ScratchDir {
    /// A new directory `PREFIX-PID-N` under the cache directory.
    pub fn new(prefix: &str) -> Result<Self> {
        let parent = root(&cache_dir())?;
        for attempt in 0..100u32 {
            let name =
                std::path::PathBuf::from(format!("{prefix}-{}-{attempt}", std::process::id()));
            if parent.kind(&name).map_err(error)?.is_some() {
                continue;
            }
            parent.create_dir_all(&name).map_err(error)?;
            let path = parent.path().join(&name);
            return Ok(Self { parent, name, path });
        }
        Err(UsageError::new(format!(
            "cannot make a directory for {prefix} in {}",
            cache_dir().display()
        ))
        .kind(ErrorKind::Io)
        .into())
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// It, as a root to write under.
    pub fn root(&self) -> Result<Root> {
        Root::open(&self.path).map_err(error)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = self.parent.remove_tree(&self.name);
    }
}

/// The SHA-256 of a file, in lowercase hex: the hash every checksum windlass records or
/// checks is made with.
pub fn sha256_file(path: &Path) -> Result<String> {
    windlass_fs::sha256_file(path).map_err(|e| {
        UsageError::io(format!("cannot read {}: {e}", path.display()))
            .kind(ErrorKind::Io)
            .into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_name_the_path_and_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(outside.path(), dir.path().join("xtask")).unwrap();
        let err = write(dir.path(), &dir.path().join("xtask/Cargo.toml"), b"x").unwrap_err();
        let usage = err.downcast_ref::<UsageError>().unwrap();
        assert_eq!(usage.kind, ErrorKind::Refused);
        assert!(usage.message.contains("xtask"), "{usage}");
        assert!(usage.hint.as_ref().unwrap().contains("symbolic link"));
        assert!(std::fs::read_dir(outside.path()).unwrap().next().is_none());
        let err = write(dir.path(), Path::new("/etc/x"), b"x").unwrap_err();
        assert!(err.to_string().contains("leaves"), "{err}");
    }

    #[test]
    fn reads_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "0123456789").unwrap();
        assert_eq!(read_text_limited(&path, 10).unwrap(), "0123456789");
        assert!(
            read_text_limited(&path, 9)
                .unwrap_err()
                .to_string()
                .contains("larger than 9")
        );
        assert!(
            read_text(Path::new("/dev/zero"))
                .unwrap_err()
                .to_string()
                .contains("not a regular file")
        );
        assert!(read_text(dir.path()).is_err());
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
        assert!(
            sha256_file(&dir.path().join("none"))
                .unwrap_err()
                .to_string()
                .contains("cannot read")
        );
    }
}
