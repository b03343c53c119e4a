//! A directory windlass works under, held open, and every path resolved beneath it one
//! component at a time with `O_NOFOLLOW`: a symbolic link anywhere on the way — a committed
//! `xtask` link, a `.github/workflows` link to a folder outside, a `deps` link in a target
//! directory — stops the operation instead of redirecting it. Holding the directory open
//! (rather than re-resolving its path) also means a directory renamed or replaced mid-way
//! cannot send a later write somewhere else.

use crate::entry::{Entry, Kind, Perm};
use crate::error::{FsError, Problem, Result};
use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, openat, readlinkat, renameat};
use nix::sys::stat::{FileStat, Mode, SFlag, fchmod, fstat, fstatat, mkdirat};
use nix::unistd::{Gid, Uid, UnlinkatFlags, fchown, symlinkat, unlinkat};
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Component, Path, PathBuf};

/// How deep [`Root::remove_tree`] and [`Root::size`] walk: far beyond any tree cargo or a
/// deploy makes, short of what a hostile one could use to exhaust the stack.
const MAX_DEPTH: usize = 256;

/// Directories are opened read-only, never through a link, and not inherited by children.
fn dir_flags() -> OFlag {
    OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC
}

/// A directory windlass may write under.
#[derive(Debug)]
pub struct Root {
    fd: OwnedFd,
    path: PathBuf,
}

impl Root {
    /// Opens `path`, which the user named (a link in it is their choice), as a root.
    pub fn open(path: &Path) -> Result<Root> {
        let absolute = absolute(path);
        let fd = nix::fcntl::open(
            &absolute,
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| errno(&absolute, e))?;
        Ok(Root { fd, path: absolute })
    }

    /// As [`Root::open`], but `path` itself must not be a link (a `--target-dir` that is one
    /// is refused, not followed).
    pub fn open_no_link(path: &Path) -> Result<Root> {
        let absolute = absolute(path);
        if std::fs::symlink_metadata(&absolute).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(FsError::new(absolute, Problem::Link));
        }
        Root::open(&absolute)
    }

    /// Opens `path` as a root, creating it (and its parents) first when missing.
    pub fn create(path: &Path) -> Result<Root> {
        let absolute = absolute(path);
        if !absolute.is_dir() {
            // The root's own path is the user's: std follows links in it, as any tool would.
            std::fs::DirBuilder::new()
                .recursive(true)
                .create(&absolute)
                .map_err(|e| FsError::io(&absolute, e))?;
        }
        Root::open(&absolute)
    }

    /// The root's path (absolute, as it was opened).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `path` relative to the root: a relative path as it is (checked to stay inside), an
    /// absolute one with the root's path taken off — refused when it is not under the root.
    pub fn relative(&self, path: &Path) -> Result<PathBuf> {
        let rel = if path.is_absolute() {
            let normalized = normalize(path);
            normalized
                .strip_prefix(&self.path)
                .map(Path::to_path_buf)
                .map_err(|_| FsError::new(path, Problem::Outside))?
        } else {
            path.to_path_buf()
        };
        components(&rel).ok_or_else(|| FsError::new(self.path.join(&rel), Problem::Outside))?;
        Ok(rel)
    }

    /// The directory `rel` (which must exist and be a real directory) as a root of its own.
    pub fn subdir(&self, rel: &Path) -> Result<Root> {
        let rel = self.relative(rel)?;
        let fd = self.walk(&rel, &self.components_of(&rel)?, false)?;
        Ok(Root {
            fd,
            path: self.path.join(rel),
        })
    }

    /// What `rel` is, without following it; `None` when nothing is there. A link on the way
    /// to it is an error.
    pub fn kind(&self, rel: &Path) -> Result<Option<Kind>> {
        let rel = self.relative(rel)?;
        let parts = self.components_of(&rel)?;
        let Some((name, parents)) = parts.split_last() else {
            return Ok(Some(Kind::Dir));
        };
        let dir = match self.walk(&rel, parents, false) {
            Ok(dir) => dir,
            Err(e) if e.problem == Problem::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        kind_at(dir.as_fd(), name).map_err(|e| errno(&self.path.join(&rel), e))
    }

    /// Whether `rel` is a regular file (not a link to one).
    pub fn is_file(&self, rel: &Path) -> bool {
        matches!(self.kind(rel), Ok(Some(Kind::File)))
    }

    /// Whether `rel` is a real directory (not a link to one).
    pub fn is_dir(&self, rel: &Path) -> bool {
        matches!(self.kind(rel), Ok(Some(Kind::Dir)))
    }

    /// Opens the regular file `rel` for reading. A link, a pipe or a device is refused —
    /// opening a pipe would wait for a writer, reading a device might never end.
    pub fn open_read(&self, rel: &Path) -> Result<File> {
        let (dir, name, shown) = self.parent(rel, false)?;
        let flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK;
        let fd = openat(dir.as_fd(), name.as_os_str(), flags, Mode::empty())
            .map_err(|e| link_or(dir.as_fd(), &name, &shown, e))?;
        regular(&fd, &shown)?;
        Ok(File::from(fd))
    }

    /// The bytes of the regular file `rel`, at most `limit` of them: a larger file is refused
    /// (a file that lies about its size, as `/proc` files do, is cut off at the bound and
    /// refused too).
    pub fn read(&self, rel: &Path, limit: u64) -> Result<Vec<u8>> {
        let shown = self.path.join(rel);
        let file = self.open_read(rel)?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let too_large = || FsError {
            limit: Some(limit),
            ..FsError::new(&shown, Problem::TooLarge)
        };
        if size > limit {
            return Err(too_large());
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        file.take(limit.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| FsError::io(&shown, e))?;
        if bytes.len() as u64 > limit {
            return Err(too_large());
        }
        Ok(bytes)
    }

    /// Writes `contents` to `rel` so that no reader ever sees half of it: beside it, synced,
    /// then renamed over it. Missing directories are created; a link on the way, or at `rel`
    /// itself, is refused. The replaced file's mode and owner are kept ([`Perm`]).
    pub fn write_atomic(&self, rel: &Path, contents: &[u8], perm: Perm) -> Result<()> {
        self.write_from(rel, &mut &contents[..], perm)
    }

    /// As [`Root::write_atomic`], the contents read from `source` (a large binary, streamed).
    pub fn write_from(&self, rel: &Path, source: &mut dyn Read, perm: Perm) -> Result<()> {
        let (dir, name, shown) = self.parent(rel, true)?;
        let existing = match fstatat(dir.as_fd(), name.as_os_str(), AtFlags::AT_SYMLINK_NOFOLLOW) {
            Ok(st) => match kind_of(&st) {
                Kind::File => Some(st),
                Kind::Link => return Err(FsError::new(&shown, Problem::Link)),
                Kind::Dir | Kind::Other => return Err(FsError::new(&shown, Problem::NotAFile)),
            },
            Err(Errno::ENOENT) => None,
            Err(e) => return Err(errno(&shown, e)),
        };
        let partial = partial_name(&name);
        let _ = unlinkat(dir.as_fd(), partial.as_os_str(), UnlinkatFlags::NoRemoveDir);
        let new_mode = match perm {
            Perm::Keep => Mode::from_bits_truncate(0o666),
            Perm::Executable => Mode::from_bits_truncate(0o755),
        };
        let flags =
            OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        let fd = openat(dir.as_fd(), partial.as_os_str(), flags, new_mode)
            .map_err(|e| errno(&shown, e))?;
        let written = (|| -> std::io::Result<()> {
            let mut file = File::from(fd);
            std::io::copy(source, &mut file)?;
            let mode = match (&existing, perm) {
                (Some(st), Perm::Keep) => Some(st.st_mode & 0o7777),
                (Some(st), Perm::Executable) => {
                    let m = st.st_mode & 0o7777;
                    Some(m | ((m & 0o444) >> 2))
                }
                (None, Perm::Executable) => Some(0o755),
                (None, Perm::Keep) => None,
            };
            if let Some(st) = &existing {
                // Only root can give a file away; for anyone else the owner is already theirs.
                let _ = fchown(
                    file.as_fd(),
                    Some(Uid::from_raw(st.st_uid)),
                    Some(Gid::from_raw(st.st_gid)),
                );
            }
            if let Some(mode) = mode {
                fchmod(file.as_fd(), Mode::from_bits_truncate(mode))?;
            }
            file.flush()?;
            file.sync_all()
        })();
        let renamed = written.map_err(|e| FsError::io(&shown, e)).and_then(|()| {
            renameat(
                dir.as_fd(),
                partial.as_os_str(),
                dir.as_fd(),
                name.as_os_str(),
            )
            .map_err(|e| errno(&shown, e))
        });
        if renamed.is_err() {
            let _ = unlinkat(dir.as_fd(), partial.as_os_str(), UnlinkatFlags::NoRemoveDir);
        }
        renamed
    }

    /// Copies the file at `source` (anywhere: it is only read) to `rel`, atomically.
    pub fn copy_in(&self, source: &Path, rel: &Path, perm: Perm) -> Result<()> {
        let mut file = File::open(source).map_err(|e| FsError::io(source, e))?;
        let meta = file.metadata().map_err(|e| FsError::io(source, e))?;
        if !meta.is_file() {
            return Err(FsError::new(source, Problem::NotAFile));
        }
        self.write_from(rel, &mut file, perm)
    }

    /// Creates the directory `rel` and every missing one above it, never through a link.
    pub fn create_dir_all(&self, rel: &Path) -> Result<()> {
        let rel = self.relative(rel)?;
        let parts = self.components_of(&rel)?;
        self.walk(&rel, &parts, true).map(drop)
    }

    /// Opens `rel` for appending (a log), creating it; it must be a regular file.
    pub fn append(&self, rel: &Path) -> Result<File> {
        self.open_writable(rel, OFlag::O_APPEND)
    }

    /// Opens `rel` for reading and writing (a lock file), creating it; a regular file.
    pub fn open_rw(&self, rel: &Path) -> Result<File> {
        self.open_writable(rel, OFlag::O_RDWR)
    }

    fn open_writable(&self, rel: &Path, how: OFlag) -> Result<File> {
        let (dir, name, shown) = self.parent(rel, true)?;
        let access = if how.contains(OFlag::O_RDWR) {
            OFlag::O_RDWR
        } else {
            OFlag::O_WRONLY | how
        };
        let flags =
            access | OFlag::O_CREAT | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK;
        let fd = openat(
            dir.as_fd(),
            name.as_os_str(),
            flags,
            Mode::from_bits_truncate(0o666),
        )
        .map_err(|e| link_or(dir.as_fd(), &name, &shown, e))?;
        regular(&fd, &shown)?;
        // Regular files never block; the flag only kept a pipe from stalling the open.
        let _ = nix::fcntl::fcntl(fd.as_fd(), nix::fcntl::FcntlArg::F_SETFL(how));
        Ok(File::from(fd))
    }

    /// Removes the file or link `rel` (never what a link names). `false` when nothing was
    /// there; a directory is refused.
    pub fn remove_file(&self, rel: &Path) -> Result<bool> {
        let Some((dir, name, shown)) = self.existing_parent(rel)? else {
            return Ok(false);
        };
        match kind_at(dir.as_fd(), &name).map_err(|e| errno(&shown, e))? {
            None => Ok(false),
            Some(Kind::Dir) => Err(FsError::new(&shown, Problem::NotAFile)),
            Some(_) => unlink(dir.as_fd(), &name, false, &shown),
        }
    }

    /// Removes the directory `rel` when it is empty: `true` when it was removed, `false`
    /// when it was absent or still holds something (which is then not windlass's to remove).
    pub fn remove_empty_dir(&self, rel: &Path) -> Result<bool> {
        let Some((dir, name, shown)) = self.existing_parent(rel)? else {
            return Ok(false);
        };
        if kind_at(dir.as_fd(), &name).map_err(|e| errno(&shown, e))? != Some(Kind::Dir) {
            return Ok(false);
        }
        match unlinkat(dir.as_fd(), name.as_os_str(), UnlinkatFlags::RemoveDir) {
            Ok(()) => Ok(true),
            Err(Errno::ENOTEMPTY | Errno::EEXIST | Errno::ENOENT) => Ok(false),
            Err(e) => Err(errno(&shown, e)),
        }
    }

    /// Removes `rel` and, when it is a directory, everything in it. Links inside are removed
    /// as links; nothing outside the tree is ever reached. `false` when nothing was there.
    pub fn remove_tree(&self, rel: &Path) -> Result<bool> {
        let Some((dir, name, shown)) = self.existing_parent(rel)? else {
            return Ok(false);
        };
        match kind_at(dir.as_fd(), &name).map_err(|e| errno(&shown, e))? {
            None => Ok(false),
            Some(Kind::Dir) => {
                match openat(dir.as_fd(), name.as_os_str(), dir_flags(), Mode::empty()) {
                    Ok(sub) => empty_tree(&sub, &shown, 0)?,
                    // Replaced by a link since it was looked at: removed as the link it is.
                    Err(Errno::ELOOP | Errno::ENOTDIR) => {
                        return unlink(dir.as_fd(), &name, false, &shown);
                    }
                    Err(e) => return Err(errno(&shown, e)),
                }
                unlink(dir.as_fd(), &name, true, &shown)
            }
            Some(_) => unlink(dir.as_fd(), &name, false, &shown),
        }
    }

    /// Renames `from` to `to`, both under the root (a link at `to` is replaced, as a link).
    pub fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        let (from_dir, from_name, from_shown) = self.parent(from, false)?;
        let (to_dir, to_name, _) = self.parent(to, true)?;
        renameat(
            from_dir.as_fd(),
            from_name.as_os_str(),
            to_dir.as_fd(),
            to_name.as_os_str(),
        )
        .map_err(|e| errno(&from_shown, e))
    }

    /// Makes `rel` a symbolic link to `target` (which is not resolved).
    pub fn symlink(&self, target: &Path, rel: &Path) -> Result<()> {
        let (dir, name, shown) = self.parent(rel, true)?;
        symlinkat(target, dir.as_fd(), name.as_os_str()).map_err(|e| errno(&shown, e))
    }

    /// Where the link `rel` points, unresolved.
    pub fn read_link(&self, rel: &Path) -> Result<PathBuf> {
        let (dir, name, shown) = self.parent(rel, false)?;
        readlinkat(dir.as_fd(), name.as_os_str())
            .map(PathBuf::from)
            .map_err(|e| errno(&shown, e))
    }

    /// The entries of the directory `rel` (`""` for the root), sorted by name; a link to a
    /// directory is listed as a link, never entered.
    pub fn entries(&self, rel: &Path) -> Result<Vec<Entry>> {
        let rel = self.relative(rel)?;
        let parts = self.components_of(&rel)?;
        let fd = self.walk(&rel, &parts, false)?;
        list(&fd, &self.path.join(&rel))
    }

    /// The bytes of the files under `rel` (a link counts as itself; nothing outside is
    /// reached); 0 when nothing is there.
    pub fn size(&self, rel: &Path) -> u64 {
        let Ok(rel) = self.relative(rel) else {
            return 0;
        };
        let Ok(parts) = self.components_of(&rel) else {
            return 0;
        };
        let Some((name, parents)) = parts.split_last() else {
            return tree_size(&self.fd, 0);
        };
        let Ok(dir) = self.walk(&rel, parents, false) else {
            return 0;
        };
        match fstatat(dir.as_fd(), *name, AtFlags::AT_SYMLINK_NOFOLLOW) {
            Ok(st) if kind_of(&st) == Kind::Dir => {
                openat(dir.as_fd(), *name, dir_flags(), Mode::empty())
                    .map_or(0, |sub| tree_size(&sub, 0))
            }
            Ok(st) => u64::try_from(st.st_size).unwrap_or(0),
            Err(_) => 0,
        }
    }

    fn components_of<'a>(&self, rel: &'a Path) -> Result<Vec<&'a OsStr>> {
        components(rel).ok_or_else(|| FsError::new(self.path.join(rel), Problem::Outside))
    }

    /// Opens the directory reached by `parts` (below the root), creating what is missing when
    /// `create`.
    fn walk(&self, rel: &Path, parts: &[&OsStr], create: bool) -> Result<OwnedFd> {
        let mut current = self
            .fd
            .try_clone()
            .map_err(|e| FsError::io(&self.path, e))?;
        let mut shown = self.path.clone();
        for part in parts {
            shown.push(part);
            let opened = match openat(current.as_fd(), *part, dir_flags(), Mode::empty()) {
                Err(Errno::ENOENT) if create => {
                    match mkdirat(current.as_fd(), *part, Mode::from_bits_truncate(0o777)) {
                        Ok(()) | Err(Errno::EEXIST) => {}
                        Err(e) => return Err(errno(&shown, e)),
                    }
                    openat(current.as_fd(), *part, dir_flags(), Mode::empty())
                }
                other => other,
            };
            current = match opened {
                Ok(fd) => fd,
                Err(e) => return Err(link_or(current.as_fd(), part, &shown, e)),
            };
        }
        let _ = rel;
        Ok(current)
    }

    /// The directory holding `rel`'s last component, that component, and `rel` as shown.
    fn parent(&self, rel: &Path, create: bool) -> Result<(OwnedFd, OsString, PathBuf)> {
        let rel = self.relative(rel)?;
        let shown = self.path.join(&rel);
        let parts = self.components_of(&rel)?;
        let Some((name, parents)) = parts.split_last() else {
            return Err(FsError::new(&shown, Problem::NotAFile));
        };
        let dir = self.walk(&rel, parents, create)?;
        Ok((dir, name.to_os_string(), shown))
    }

    /// As [`Root::parent`], `None` when a directory on the way does not exist.
    fn existing_parent(&self, rel: &Path) -> Result<Option<(OwnedFd, OsString, PathBuf)>> {
        match self.parent(rel, false) {
            Ok(found) => Ok(Some(found)),
            Err(e) if e.problem == Problem::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The components of a relative path that stays where it is: `None` for an absolute path or
/// one with `..` (windlass's own paths never need either).
fn components(rel: &Path) -> Option<Vec<&OsStr>> {
    let mut parts = Vec::new();
    for component in rel.components() {
        match component {
            Component::Normal(part) => parts.push(part),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts)
}

fn absolute(path: &Path) -> PathBuf {
    normalize(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}

/// `.` removed and `..` resolved lexically.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn kind_of(st: &FileStat) -> Kind {
    let format = SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits());
    if format == SFlag::S_IFREG {
        Kind::File
    } else if format == SFlag::S_IFDIR {
        Kind::Dir
    } else if format == SFlag::S_IFLNK {
        Kind::Link
    } else {
        Kind::Other
    }
}

fn kind_at(dir: BorrowedFd<'_>, name: &OsStr) -> nix::Result<Option<Kind>> {
    match fstatat(dir, name, AtFlags::AT_SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(kind_of(&st))),
        Err(Errno::ENOENT) => Ok(None),
        Err(e) => Err(e),
    }
}

fn regular(fd: &OwnedFd, shown: &Path) -> Result<()> {
    let st = fstat(fd.as_fd()).map_err(|e| errno(shown, e))?;
    if kind_of(&st) == Kind::File {
        Ok(())
    } else {
        Err(FsError::new(shown, Problem::NotAFile))
    }
}

/// An open that failed: a link where a directory or file was expected is a refusal.
fn link_or(dir: BorrowedFd<'_>, name: &OsStr, shown: &Path, err: Errno) -> FsError {
    match err {
        Errno::ELOOP => FsError::new(shown, Problem::Link),
        // A pipe opened for writing without a reader, or a device without a driver.
        Errno::ENXIO | Errno::ENODEV => FsError::new(shown, Problem::NotAFile),
        Errno::ENOTDIR => match kind_at(dir, name) {
            Ok(Some(Kind::Link)) => FsError::new(shown, Problem::Link),
            _ => FsError::new(shown, Problem::NotADirectory),
        },
        other => errno(shown, other),
    }
}

fn errno(path: &Path, err: Errno) -> FsError {
    FsError::io(path, std::io::Error::from(err))
}

fn unlink(dir: BorrowedFd<'_>, name: &OsStr, is_dir: bool, shown: &Path) -> Result<bool> {
    let flag = if is_dir {
        UnlinkatFlags::RemoveDir
    } else {
        UnlinkatFlags::NoRemoveDir
    };
    match unlinkat(dir, name, flag) {
        Ok(()) => Ok(true),
        Err(Errno::ENOENT) => Ok(false),
        Err(e) => Err(errno(shown, e)),
    }
}

/// `.name.PID.windlass-partial`, short enough for any file system's name limit.
fn partial_name(name: &OsStr) -> OsString {
    let text = name.to_string_lossy();
    let mut end = text.len().min(180);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    OsString::from(format!(
        ".{}.{}.windlass-partial",
        &text[..end],
        std::process::id()
    ))
}

fn list(dir: &OwnedFd, shown: &Path) -> Result<Vec<Entry>> {
    // A descriptor of its own: reading a directory moves its offset.
    let fresh =
        openat(dir.as_fd(), ".", dir_flags(), Mode::empty()).map_err(|e| errno(shown, e))?;
    let mut stream = nix::dir::Dir::from_fd(fresh).map_err(|e| errno(shown, e))?;
    let mut entries = Vec::new();
    for entry in stream.iter() {
        let entry = entry.map_err(|e| errno(shown, e))?;
        let bytes = entry.file_name().to_bytes();
        if bytes == b"." || bytes == b".." {
            continue;
        }
        let name = {
            use std::os::unix::ffi::OsStrExt;
            OsStr::from_bytes(bytes).to_os_string()
        };
        let kind = match entry.file_type() {
            Some(nix::dir::Type::File) => Kind::File,
            Some(nix::dir::Type::Directory) => Kind::Dir,
            Some(nix::dir::Type::Symlink) => Kind::Link,
            Some(_) => Kind::Other,
            None => match kind_at(dir.as_fd(), &name) {
                Ok(Some(kind)) => kind,
                _ => continue,
            },
        };
        entries.push(Entry { name, kind });
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(entries)
}

/// Removes everything inside the open directory `dir`.
fn empty_tree(dir: &OwnedFd, shown: &Path, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(FsError::new(shown, Problem::TooDeep));
    }
    for entry in list(dir, shown)? {
        let path = shown.join(&entry.name);
        if entry.kind == Kind::Dir {
            match openat(
                dir.as_fd(),
                entry.name.as_os_str(),
                dir_flags(),
                Mode::empty(),
            ) {
                Ok(sub) => {
                    empty_tree(&sub, &path, depth + 1)?;
                    unlink(dir.as_fd(), &entry.name, true, &path)?;
                }
                Err(Errno::ELOOP | Errno::ENOTDIR) => {
                    unlink(dir.as_fd(), &entry.name, false, &path)?;
                }
                Err(e) => return Err(errno(&path, e)),
            }
        } else {
            unlink(dir.as_fd(), &entry.name, false, &path)?;
        }
    }
    Ok(())
}

fn tree_size(dir: &OwnedFd, depth: usize) -> u64 {
    if depth > MAX_DEPTH {
        return 0;
    }
    let Ok(entries) = list(dir, Path::new("")) else {
        return 0;
    };
    entries
        .iter()
        .map(|entry| {
            if entry.kind == Kind::Dir {
                openat(
                    dir.as_fd(),
                    entry.name.as_os_str(),
                    dir_flags(),
                    Mode::empty(),
                )
                .map_or(0, |sub| tree_size(&sub, depth + 1))
            } else {
                fstatat(
                    dir.as_fd(),
                    entry.name.as_os_str(),
                    AtFlags::AT_SYMLINK_NOFOLLOW,
                )
                .map_or(0, |st| u64::try_from(st.st_size).unwrap_or(0))
            }
        })
        .fold(0u64, u64::saturating_add)
}
