//! [`Root`] where there is no `openat`: the same operations through paths, each component
//! checked with `symlink_metadata` before it is used. Not proof against a race with another
//! process changing the tree, as the Unix implementation is; the same refusals otherwise.

use crate::entry::{Entry, Kind, Perm};
use crate::error::{FsError, Problem, Result};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

/// A directory windlass may write under.
#[derive(Debug)]
pub struct Root {
    path: PathBuf,
}

fn kind_of(meta: &std::fs::Metadata) -> Kind {
    let t = meta.file_type();
    if t.is_symlink() {
        Kind::Link
    } else if t.is_dir() {
        Kind::Dir
    } else if t.is_file() {
        Kind::File
    } else {
        Kind::Other
    }
}

impl Root {
    /// Opens `path` as a root.
    pub fn open(path: &Path) -> Result<Root> {
        let path = std::path::absolute(path).map_err(|e| FsError::io(path, e))?;
        if !path.is_dir() {
            return Err(FsError::new(path, Problem::NotADirectory));
        }
        Ok(Root { path })
    }

    /// As [`Root::open`], refusing a link.
    pub fn open_no_link(path: &Path) -> Result<Root> {
        if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(FsError::new(path, Problem::Link));
        }
        Root::open(path)
    }

    /// Opens `path`, creating it first.
    pub fn create(path: &Path) -> Result<Root> {
        std::fs::create_dir_all(path).map_err(|e| FsError::io(path, e))?;
        Root::open(path)
    }

    /// The root's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `path` relative to the root, refused outside it.
    pub fn relative(&self, path: &Path) -> Result<PathBuf> {
        let rel = if path.is_absolute() {
            path.strip_prefix(&self.path)
                .map(Path::to_path_buf)
                .map_err(|_| FsError::new(path, Problem::Outside))?
        } else {
            path.to_path_buf()
        };
        if rel
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
        {
            return Err(FsError::new(path, Problem::Outside));
        }
        Ok(rel)
    }

    /// Checks every directory on the way to `rel` is a real one; creates them when asked.
    fn resolve(&self, rel: &Path, create: bool) -> Result<PathBuf> {
        let rel = self.relative(rel)?;
        let mut current = self.path.clone();
        let parts: Vec<_> = rel.components().collect();
        for (i, part) in parts.iter().enumerate() {
            current.push(part.as_os_str());
            let last = i + 1 == parts.len();
            match std::fs::symlink_metadata(&current) {
                Ok(meta) if kind_of(&meta) == Kind::Link && !last => {
                    return Err(FsError::new(&current, Problem::Link));
                }
                Ok(meta) if !last && !meta.is_dir() => {
                    return Err(FsError::new(&current, Problem::NotADirectory));
                }
                Err(_) if create && !last => {
                    std::fs::create_dir(&current).map_err(|e| FsError::io(&current, e))?;
                }
                _ => {}
            }
        }
        Ok(current)
    }

    /// A subdirectory as a root.
    pub fn subdir(&self, rel: &Path) -> Result<Root> {
        let path = self.resolve(rel, false)?;
        if self.kind(rel)? != Some(Kind::Dir) {
            return Err(FsError::new(path, Problem::NotADirectory));
        }
        Ok(Root { path })
    }

    /// What `rel` is.
    pub fn kind(&self, rel: &Path) -> Result<Option<Kind>> {
        let path = match self.resolve(rel, false) {
            Ok(p) => p,
            Err(e) if e.problem == Problem::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(std::fs::symlink_metadata(path).ok().map(|m| kind_of(&m)))
    }

    /// Whether `rel` is a regular file.
    pub fn is_file(&self, rel: &Path) -> bool {
        matches!(self.kind(rel), Ok(Some(Kind::File)))
    }

    /// Whether `rel` is a real directory.
    pub fn is_dir(&self, rel: &Path) -> bool {
        matches!(self.kind(rel), Ok(Some(Kind::Dir)))
    }

    fn regular(&self, rel: &Path) -> Result<PathBuf> {
        let path = self.resolve(rel, false)?;
        match self.kind(rel)? {
            Some(Kind::File) => Ok(path),
            Some(Kind::Link) => Err(FsError::new(path, Problem::Link)),
            None => Err(FsError::new(path, Problem::NotFound)),
            Some(_) => Err(FsError::new(path, Problem::NotAFile)),
        }
    }

    /// Opens the regular file `rel` for reading.
    pub fn open_read(&self, rel: &Path) -> Result<File> {
        let path = self.regular(rel)?;
        File::open(&path).map_err(|e| FsError::io(&path, e))
    }

    /// At most `limit` bytes of `rel`.
    pub fn read(&self, rel: &Path, limit: u64) -> Result<Vec<u8>> {
        let path = self.path.join(rel);
        let mut bytes = Vec::new();
        self.open_read(rel)?
            .take(limit.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| FsError::io(&path, e))?;
        if bytes.len() as u64 > limit {
            return Err(FsError {
                limit: Some(limit),
                ..FsError::new(path, Problem::TooLarge)
            });
        }
        Ok(bytes)
    }

    /// Writes atomically.
    pub fn write_atomic(&self, rel: &Path, contents: &[u8], perm: Perm) -> Result<()> {
        self.write_from(rel, &mut &contents[..], perm)
    }

    /// Writes atomically from a reader.
    pub fn write_from(&self, rel: &Path, source: &mut dyn Read, _perm: Perm) -> Result<()> {
        let path = self.resolve(rel, true)?;
        let existing = std::fs::symlink_metadata(&path).ok();
        match existing.as_ref().map(kind_of) {
            Some(Kind::Link) => return Err(FsError::new(path, Problem::Link)),
            Some(Kind::Dir | Kind::Other) => return Err(FsError::new(path, Problem::NotAFile)),
            _ => {}
        }
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let partial =
            path.with_file_name(format!(".{name}.{}.windlass-partial", std::process::id()));
        let result = (|| -> std::io::Result<()> {
            let mut file = File::create(&partial)?;
            std::io::copy(source, &mut file)?;
            if let Some(meta) = &existing {
                file.set_permissions(meta.permissions())?;
            }
            file.flush()?;
            file.sync_all()?;
            drop(file);
            std::fs::rename(&partial, &path)
        })();
        if let Err(e) = result {
            let _ = std::fs::remove_file(&partial);
            return Err(FsError::io(path, e));
        }
        Ok(())
    }

    /// Copies `source` to `rel`.
    pub fn copy_in(&self, source: &Path, rel: &Path, perm: Perm) -> Result<()> {
        let mut file = File::open(source).map_err(|e| FsError::io(source, e))?;
        self.write_from(rel, &mut file, perm)
    }

    /// Creates `rel` and its parents.
    pub fn create_dir_all(&self, rel: &Path) -> Result<()> {
        let path = self.resolve(rel, true)?;
        match self.kind(rel)? {
            Some(Kind::Dir) => Ok(()),
            Some(Kind::Link) => Err(FsError::new(path, Problem::Link)),
            Some(_) => Err(FsError::new(path, Problem::NotADirectory)),
            None => std::fs::create_dir(&path).map_err(|e| FsError::io(path, e)),
        }
    }

    fn writable(&self, rel: &Path, append: bool) -> Result<File> {
        let path = self.resolve(rel, true)?;
        match self.kind(rel)? {
            None | Some(Kind::File) => {}
            Some(Kind::Link) => return Err(FsError::new(path, Problem::Link)),
            Some(_) => return Err(FsError::new(path, Problem::NotAFile)),
        }
        std::fs::OpenOptions::new()
            .read(!append)
            .write(true)
            .append(append)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| FsError::io(path, e))
    }

    /// Opens `rel` for appending.
    pub fn append(&self, rel: &Path) -> Result<File> {
        self.writable(rel, true)
    }

    /// Opens `rel` for reading and writing.
    pub fn open_rw(&self, rel: &Path) -> Result<File> {
        self.writable(rel, false)
    }

    /// Removes a file or link.
    pub fn remove_file(&self, rel: &Path) -> Result<bool> {
        let path = match self.resolve(rel, false) {
            Ok(p) => p,
            Err(e) if e.problem == Problem::NotFound => return Ok(false),
            Err(e) => return Err(e),
        };
        match self.kind(rel)? {
            None => Ok(false),
            Some(Kind::Dir) => Err(FsError::new(path, Problem::NotAFile)),
            Some(_) => std::fs::remove_file(&path)
                .map(|()| true)
                .map_err(|e| FsError::io(path, e)),
        }
    }

    /// Removes an empty directory.
    pub fn remove_empty_dir(&self, rel: &Path) -> Result<bool> {
        if self.kind(rel)? != Some(Kind::Dir) {
            return Ok(false);
        }
        Ok(std::fs::remove_dir(self.resolve(rel, false)?).is_ok())
    }

    /// Removes a tree (std's `remove_dir_all` removes links as links).
    pub fn remove_tree(&self, rel: &Path) -> Result<bool> {
        let path = self.resolve(rel, false)?;
        match self.kind(rel)? {
            None => Ok(false),
            Some(Kind::Dir) => std::fs::remove_dir_all(&path)
                .map(|()| true)
                .map_err(|e| FsError::io(path, e)),
            Some(_) => self.remove_file(rel),
        }
    }

    /// Renames within the root.
    pub fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        let from = self.resolve(from, false)?;
        let to = self.resolve(to, true)?;
        std::fs::rename(&from, &to).map_err(|e| FsError::io(from, e))
    }

    /// Makes a link.
    pub fn symlink(&self, target: &Path, rel: &Path) -> Result<()> {
        let path = self.resolve(rel, true)?;
        #[cfg(windows)]
        let made = std::os::windows::fs::symlink_dir(target, &path);
        #[cfg(not(windows))]
        let made: std::io::Result<()> = Err(std::io::Error::other("links are not supported"));
        made.map_err(|e| FsError::io(path, e))
    }

    /// Where a link points.
    pub fn read_link(&self, rel: &Path) -> Result<PathBuf> {
        let path = self.resolve(rel, false)?;
        std::fs::read_link(&path).map_err(|e| FsError::io(path, e))
    }

    /// The entries of a directory, sorted.
    pub fn entries(&self, rel: &Path) -> Result<Vec<Entry>> {
        let path = self.resolve(rel, false)?;
        let mut out: Vec<Entry> = std::fs::read_dir(&path)
            .map_err(|e| FsError::io(&path, e))?
            .flatten()
            .filter_map(|e| {
                let meta = std::fs::symlink_metadata(e.path()).ok()?;
                Some(Entry {
                    name: e.file_name(),
                    kind: kind_of(&meta),
                })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// The bytes under `rel`.
    pub fn size(&self, rel: &Path) -> u64 {
        let Ok(path) = self.resolve(rel, false) else {
            return 0;
        };
        fn walk(path: &Path, depth: usize) -> u64 {
            let Ok(meta) = std::fs::symlink_metadata(path) else {
                return 0;
            };
            if !meta.is_dir() || depth > 256 {
                return meta.len();
            }
            std::fs::read_dir(path)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| walk(&e.path(), depth + 1))
                .fold(0, u64::saturating_add)
        }
        walk(&path, 0)
    }
}
