//! What `init` wrote, so that a run that cannot finish leaves the repository as it found it.
//!
//! Every write goes through the journal, which keeps each file's previous bytes (or that it
//! did not exist) and each directory it had to create; [`Journal::undo`] puts them back in
//! reverse order. Writes stay under the repository root and never pass through a link (a
//! committed `xtask` link to elsewhere is refused, not written through); a file that is
//! replaced keeps its mode, and its line ends and byte-order mark.

use anyhow::Result;
use std::path::{Path, PathBuf};
use windlass_core::files::{self, Perm, Root, TEXT_LIMIT, TextStyle};

/// The files and directories one `init` run changed.
#[derive(Debug)]
pub struct Journal {
    root: Root,
    /// Each changed file (relative to the root), with what it held before (`None`: absent).
    files: Vec<(PathBuf, Option<Vec<u8>>)>,
    /// The directories created (relative), outermost first.
    dirs: Vec<PathBuf>,
}

impl Journal {
    /// A journal of writes under `root` (the repository).
    pub fn new(root: &Path) -> Result<Self> {
        Ok(Self {
            root: files::root(root)?,
            files: Vec::new(),
            dirs: Vec::new(),
        })
    }

    /// The text of `path` as init edits it — without a byte-order mark, with `\n` line ends —
    /// or `None` when it is absent. A link or a file too large is an error.
    pub fn read(&self, path: &Path) -> Result<Option<String>> {
        let rel = self.root.relative(path).map_err(files::error)?;
        match self.root.kind(&rel).map_err(files::error)? {
            None => Ok(None),
            Some(_) => {
                let bytes = self.root.read(&rel, TEXT_LIMIT).map_err(files::error)?;
                Ok(Some(TextStyle::decode(&String::from_utf8_lossy(&bytes)).0))
            }
        }
    }

    /// Writes `text` to `path` atomically, remembering what was there; an existing file keeps
    /// its mode, line ends and byte-order mark.
    pub fn write(&mut self, path: &Path, text: &str) -> Result<()> {
        let rel = self.remember(path)?;
        let style = match self.before(&rel) {
            Some(bytes) => TextStyle::of(&String::from_utf8_lossy(bytes)),
            None => TextStyle::default(),
        };
        let (body, _) = TextStyle::decode(text);
        let bytes = style.encode(&body).into_bytes();
        self.root
            .write_atomic(&rel, &bytes, Perm::Keep)
            .map_err(files::error)
    }

    /// Copies `from` to `path`, remembering what was there.
    pub fn copy(&mut self, from: &Path, path: &Path) -> Result<()> {
        let rel = self.remember(path)?;
        self.root
            .copy_in(from, &rel, Perm::Keep)
            .map_err(files::error)
    }

    /// Removes `path`, remembering it.
    pub fn remove(&mut self, path: &Path) -> Result<()> {
        let rel = self.remember(path)?;
        self.root.remove_file(&rel).map(drop).map_err(files::error)
    }

    fn before(&self, rel: &Path) -> Option<&Vec<u8>> {
        self.files
            .iter()
            .find(|(p, _)| p == rel)
            .and_then(|(_, b)| b.as_ref())
    }

    /// Records `path` as it is now, for a command that may write it (cargo creating
    /// `Cargo.lock` as it resolves): undo puts it back, or removes it when it was not there.
    pub fn record(&mut self, path: &Path) -> Result<()> {
        self.remember(path).map(|_| ())
    }

    /// Records `path`'s bytes and the directories a write to it creates; its path relative to
    /// the root. A path outside the root or through a link is refused here, before anything.
    fn remember(&mut self, path: &Path) -> Result<PathBuf> {
        let rel = self.root.relative(path).map_err(files::error)?;
        if self.files.iter().any(|(p, _)| *p == rel) {
            return Ok(rel);
        }
        let mut missing = Vec::new();
        for dir in rel.ancestors().skip(1) {
            if dir.as_os_str().is_empty() {
                break;
            }
            match self.root.kind(dir).map_err(files::error)? {
                None => missing.push(dir.to_path_buf()),
                Some(files::Kind::Dir) => break,
                Some(kind) => {
                    return Err(files::error(windlass_core::files::FsError {
                        path: self.root.path().join(dir),
                        problem: if kind == files::Kind::Link {
                            files::Problem::Link
                        } else {
                            files::Problem::NotADirectory
                        },
                        source: None,
                        limit: None,
                    }));
                }
            }
        }
        missing.reverse();
        for dir in missing {
            if !self.dirs.contains(&dir) {
                self.dirs.push(dir);
            }
        }
        let before = match self.root.kind(&rel).map_err(files::error)? {
            None => None,
            Some(_) => Some(self.root.read(&rel, TEXT_LIMIT).map_err(files::error)?),
        };
        self.files.push((rel.clone(), before));
        Ok(rel)
    }

    /// Puts every file back as it was and removes the directories the run created; the
    /// paths it could not restore are returned (to be named to the user).
    pub fn undo(self) -> Vec<PathBuf> {
        let mut failed = Vec::new();
        for (rel, before) in self.files.into_iter().rev() {
            let restored = match &before {
                Some(bytes) => self.root.write_atomic(&rel, bytes, Perm::Keep).is_ok(),
                None => self.root.remove_file(&rel).is_ok(),
            };
            if !restored {
                failed.push(self.root.path().join(rel));
            }
        }
        for dir in self.dirs.iter().rev() {
            // Only what is empty again: anything else in it is not ours (a build's target/).
            let _ = self.root.remove_empty_dir(dir);
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
        let mut journal = Journal::new(dir.path()).unwrap();
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
        let mut journal = Journal::new(dir.path()).unwrap();
        journal.remove(&file).unwrap();
        assert!(!file.exists());
        journal.undo();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "on: push\n");
    }
}

#[cfg(test)]
mod hostile {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_link_out_of_the_repository_is_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("xtask")).unwrap();
        let mut journal = Journal::new(dir.path()).unwrap();
        let err = journal
            .write(&dir.path().join("xtask/Cargo.toml"), "x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("symbolic link"), "{err}");
        assert!(std::fs::read_dir(outside.path()).unwrap().next().is_none());
    }

    #[test]
    fn mode_line_ends_and_bom_are_kept_and_restored() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        std::fs::write(&config, "\u{feff}[registry]\r\ntoken = \"t\"\r\n").unwrap();
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
        let mut journal = Journal::new(dir.path()).unwrap();
        let text = journal.read(&config).unwrap().unwrap();
        assert_eq!(text, "[registry]\ntoken = \"t\"\n");
        journal
            .write(&config, &format!("{text}[alias]\nxtask = \"run\"\n"))
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(&config).unwrap(),
            "\u{feff}[registry]\r\ntoken = \"t\"\r\n[alias]\r\nxtask = \"run\"\r\n"
        );
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&config), 0o600);
        assert!(journal.undo().is_empty());
        assert_eq!(
            std::fs::read_to_string(&config).unwrap(),
            "\u{feff}[registry]\r\ntoken = \"t\"\r\n"
        );
        assert_eq!(mode(&config), 0o600);
    }
}
