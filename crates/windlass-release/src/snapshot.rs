//! Every file a release changes before its commit, as it was: a failure anywhere before the
//! commit puts them all back, so that the repository is exactly as before. Files are written
//! under their root without following links, keeping their mode, line ends and byte-order
//! mark.

use anyhow::Result;
use std::path::{Path, PathBuf};
use windlass_core::files::{self, Perm, Root, TEXT_LIMIT, TextStyle};

/// The saved files.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Each file: its root, its path relative to it, and its bytes before (`None`: absent).
    files: Vec<(PathBuf, PathBuf, Option<Vec<u8>>)>,
}

impl Snapshot {
    /// Saves `path` (under `root`) as it is now (or its absence), once.
    pub fn save(&mut self, root: &Path, path: &Path) -> Result<()> {
        let dir = files::root(root)?;
        let rel = dir.relative(path).map_err(files::error)?;
        if self.files.iter().any(|(r, p, _)| r == root && *p == rel) {
            return Ok(());
        }
        let contents = match dir.kind(&rel).map_err(files::error)? {
            None => None,
            Some(_) => Some(
                dir.read(&rel, TEXT_LIMIT.max(1 << 30))
                    .map_err(files::error)?,
            ),
        };
        self.files.push((root.to_path_buf(), rel, contents));
        Ok(())
    }

    /// Saves `path`, then writes `text` to it atomically, in the line ends and byte-order
    /// mark the file had.
    pub fn write(&mut self, root: &Path, path: &Path, text: &str) -> Result<()> {
        self.save(root, path)?;
        let dir = files::root(root)?;
        let rel = dir.relative(path).map_err(files::error)?;
        let style = self
            .files
            .iter()
            .find(|(r, p, _)| r == root && *p == rel)
            .and_then(|(_, _, before)| before.as_ref())
            .map(|bytes| TextStyle::of(&String::from_utf8_lossy(bytes)))
            .unwrap_or_default();
        let bytes = style.encode(&TextStyle::decode(text).0).into_bytes();
        dir.write_atomic(&rel, &bytes, Perm::Keep)
            .map_err(files::error)
    }

    /// Puts every saved file back; returns the ones it could not restore.
    pub fn restore(&self) -> Vec<String> {
        let mut failed = Vec::new();
        for (root, rel, contents) in self.files.iter().rev() {
            let result = Root::open(root).and_then(|dir| match contents {
                Some(bytes) => dir.write_atomic(rel, bytes, Perm::Keep),
                None => dir.remove_file(rel).map(drop),
            });
            if let Err(e) = result {
                failed.push(format!("{}: {e}", root.join(rel).display()));
            }
        }
        failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restores_changed_and_removes_created() {
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join("a.toml");
        let created = dir.path().join("NEW.md");
        std::fs::write(&kept, "before").unwrap();
        let mut snapshot = Snapshot::default();
        snapshot.write(dir.path(), &kept, "after").unwrap();
        snapshot.write(dir.path(), &kept, "again").unwrap();
        snapshot.write(dir.path(), &created, "new").unwrap();
        assert!(snapshot.restore().is_empty());
        assert_eq!(std::fs::read_to_string(&kept).unwrap(), "before");
        assert!(!created.exists());
    }
}
