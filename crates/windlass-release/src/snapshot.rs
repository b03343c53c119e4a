//! Every file a release changes before its commit, as it was: a failure anywhere before the
//! commit puts them all back, so that the repository is exactly as before.

use anyhow::Result;
use std::path::{Path, PathBuf};

/// The saved files.
#[derive(Debug, Default)]
pub struct Snapshot {
    files: Vec<(PathBuf, Option<Vec<u8>>)>,
}

impl Snapshot {
    /// Saves `path` as it is now (or its absence), once.
    pub fn save(&mut self, path: &Path) -> Result<()> {
        if self.files.iter().any(|(p, _)| p == path) {
            return Ok(());
        }
        let contents = match std::fs::read(path) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(anyhow::anyhow!("cannot read {}: {e}", path.display())),
        };
        self.files.push((path.to_path_buf(), contents));
        Ok(())
    }

    /// Saves `path`, then writes `contents` to it atomically.
    pub fn write(&mut self, path: &Path, contents: &[u8]) -> Result<()> {
        self.save(path)?;
        windlass_core::files::write_atomic(path, contents, false)
    }

    /// Puts every saved file back; returns the ones it could not restore.
    pub fn restore(&self) -> Vec<String> {
        let mut failed = Vec::new();
        for (path, contents) in self.files.iter().rev() {
            let result = match contents {
                Some(bytes) => windlass_core::files::write_atomic(path, bytes, false),
                None => match std::fs::remove_file(path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
                    _ => Ok(()),
                },
            };
            if let Err(e) = result {
                failed.push(format!("{}: {e}", path.display()));
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
        snapshot.write(&kept, b"after").unwrap();
        snapshot.write(&kept, b"again").unwrap();
        snapshot.write(&created, b"new").unwrap();
        assert!(snapshot.restore().is_empty());
        assert_eq!(std::fs::read_to_string(&kept).unwrap(), "before");
        assert!(!created.exists());
    }
}
