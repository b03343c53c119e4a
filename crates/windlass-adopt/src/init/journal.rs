//! What `init` wrote, so that a run that cannot finish leaves the repository as it found it.
//!
//! Every write goes through the journal, which keeps each file's previous bytes (or that it
//! did not exist) and each directory it had to create; [`Journal::undo`] puts them back in
//! reverse order.

use anyhow::Result;
use std::path::{Path, PathBuf};

/// The files and directories one `init` run changed.
#[derive(Debug, Default)]
pub struct Journal {
    /// Each changed file, with what it held before (`None`: it did not exist).
    files: Vec<(PathBuf, Option<Vec<u8>>)>,
    /// The directories created, outermost first.
    dirs: Vec<PathBuf>,
}

impl Journal {
    /// Writes `text` to `path` atomically, remembering what was there.
    pub fn write(&mut self, path: &Path, text: &str) -> Result<()> {
        self.remember(path);
        windlass_core::files::write_atomic(path, text.as_bytes(), false)
    }

    /// Copies `from` to `path`, remembering what was there.
    pub fn copy(&mut self, from: &Path, path: &Path) -> Result<()> {
        let bytes = std::fs::read(from).map_err(|e| {
            windlass_core::UsageError::new(format!("cannot read {}: {e}", from.display()))
        })?;
        self.remember(path);
        windlass_core::files::write_atomic(path, &bytes, false)
    }

    /// Removes `path`, remembering it.
    pub fn remove(&mut self, path: &Path) -> Result<()> {
        self.remember(path);
        std::fs::remove_file(path).map_err(|e| {
            windlass_core::UsageError::new(format!("cannot remove {}: {e}", path.display())).into()
        })
    }

    fn remember(&mut self, path: &Path) {
        if self.files.iter().any(|(p, _)| p == path) {
            return;
        }
        // The directories a write will create, so that undo removes them again.
        let mut missing: Vec<PathBuf> = path
            .ancestors()
            .skip(1)
            .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
            .map(Path::to_path_buf)
            .collect();
        missing.reverse();
        for dir in missing {
            if !self.dirs.contains(&dir) {
                self.dirs.push(dir);
            }
        }
        self.files
            .push((path.to_path_buf(), std::fs::read(path).ok()));
    }

    /// Puts every file back as it was and removes the directories the run created; the
    /// paths it could not restore are returned (to be named to the user).
    pub fn undo(self) -> Vec<PathBuf> {
        let mut failed = Vec::new();
        for (path, before) in self.files.into_iter().rev() {
            let restored = match &before {
                Some(bytes) => windlass_core::files::write_atomic(&path, bytes, false).is_ok(),
                None => match std::fs::remove_file(&path) {
                    Ok(()) => true,
                    Err(e) => e.kind() == std::io::ErrorKind::NotFound,
                },
            };
            if !restored {
                failed.push(path);
            }
        }
        for dir in self.dirs.iter().rev() {
            // Only what is empty again: anything else in it is not ours (a build's target/).
            let _ = std::fs::remove_dir(dir);
        }
        failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undo_restores_changed_files_and_removes_new_ones_and_their_directories() {
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join("Cargo.toml");
        std::fs::write(&kept, "[package]\n").unwrap();
        let mut journal = Journal::default();
        journal.write(&kept, "[package]\nchanged = 1\n").unwrap();
        journal
            .write(&dir.path().join("xtask/src/main.rs"), "fn main() {}\n")
            .unwrap();
        journal
            .write(&dir.path().join("xtask/Cargo.toml"), "x")
            .unwrap();
        journal.write(&kept, "twice").unwrap();
        assert!(journal.undo().is_empty());
        assert_eq!(std::fs::read_to_string(&kept).unwrap(), "[package]\n");
        assert!(!dir.path().join("xtask").exists());
    }

    #[test]
    fn undo_brings_back_a_removed_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ci.yml");
        std::fs::write(&file, "on: push\n").unwrap();
        let mut journal = Journal::default();
        journal.remove(&file).unwrap();
        assert!(!file.exists());
        journal.undo();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "on: push\n");
    }
}
