//! The layout on the host: `releases/<id>/`, the `current` link, the lock, the journal of a
//! deploy in progress, and the deploy log.
//!
//! `current` is switched atomically: a new link is made beside it and renamed over it, so
//! that at every instant it names a whole release (never delete-then-create).

use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use windlass_core::UsageError;
use windlass_core::files::sha256_file;

/// The paths of one environment.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The environment's root.
    pub root: PathBuf,
}

/// What a deploy in progress has done, so that an interrupted one can be recognised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// The release being switched to.
    pub release: String,
    /// The release `current` named before.
    pub previous: Option<String>,
    /// `switched`: `current` names `release`, its health not yet known.
    pub phase: String,
}

/// `release.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReleaseInfo {
    /// The crate's version.
    pub version: String,
    /// The commit it was built from.
    pub commit: String,
    /// When it was made (UTC, RFC 3339).
    pub time: String,
    /// The binary's SHA-256.
    pub sha256: String,
    /// The binary's file name.
    pub bin: String,
    /// Built from a work tree with uncommitted changes: `commit` is not all of it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dirty: bool,
}

/// The `release.json` of the release directory `dir`.
pub fn read_info(dir: &Path) -> Result<ReleaseInfo> {
    let path = dir.join("release.json");
    let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
    serde_json::from_str(&text).map_err(|e| {
        UsageError::new(format!("{} is not a release record: {e}", path.display())).into()
    })
}

fn io(path: &Path, err: std::io::Error) -> anyhow::Error {
    UsageError::new(format!("{}: {err}", path.display())).into()
}

impl Layout {
    /// `releases/`.
    pub fn releases(&self) -> PathBuf {
        self.root.join("releases")
    }

    /// The `current` link.
    pub fn current_link(&self) -> PathBuf {
        self.root.join("current")
    }

    /// The deploy log.
    pub fn log(&self) -> PathBuf {
        self.root.join("deploy.log")
    }

    fn journal_path(&self) -> PathBuf {
        self.root.join(".windlass-deploy.journal")
    }

    /// The release `current` names.
    pub fn current(&self) -> Option<String> {
        let target = std::fs::read_link(self.current_link()).ok()?;
        target.file_name().map(|n| n.to_string_lossy().into_owned())
    }

    /// Every release, oldest first (ids sort by time).
    pub fn list(&self) -> Vec<String> {
        let mut ids: Vec<String> = std::fs::read_dir(self.releases())
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        ids.sort();
        ids
    }

    /// `current` as windlass leaves it — absent, or a link to `releases/<id>` — else an error
    /// naming what is there and how to make room: a file or directory of someone else's is
    /// never replaced by a deploy.
    pub fn check_current(&self) -> Result<()> {
        let link = self.current_link();
        let refuse = |what: String| -> anyhow::Error {
            UsageError::new(format!(
                "{} is {what}, not the link windlass switches: a deploy would replace it",
                link.display()
            ))
            .hint(format!(
                "move it aside (`mv {0} {0}.before-windlass`) and deploy again; nothing was changed",
                link.display()
            ))
            .into()
        };
        let meta = match std::fs::symlink_metadata(&link) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io(&link, e)),
            Ok(meta) => meta,
        };
        if meta.is_dir() {
            return Err(refuse("a directory".into()));
        }
        if !meta.file_type().is_symlink() {
            return Err(refuse("a regular file".into()));
        }
        let target = std::fs::read_link(&link).map_err(|e| io(&link, e))?;
        let ours = target.parent() == Some(Path::new("releases"))
            && target
                .file_name()
                .is_some_and(|n| !n.is_empty() && n != "." && n != "..");
        if !ours {
            return Err(refuse(format!("a link to {}", target.display())));
        }
        Ok(())
    }

    /// Points `current` at `release`, atomically.
    pub fn switch(&self, release: &str) -> Result<()> {
        let staging = self
            .root
            .join(format!("current.windlass-{}", std::process::id()));
        let _ = std::fs::remove_file(&staging);
        symlink(&Path::new("releases").join(release), &staging).map_err(|e| io(&staging, e))?;
        std::fs::rename(&staging, self.current_link()).map_err(|e| {
            let _ = std::fs::remove_file(&staging);
            io(&self.current_link(), e)
        })
    }

    /// Copies `binary` into a new release directory, checks the copy's SHA-256, and writes
    /// `release.json`. A failure leaves no release directory behind.
    pub fn create(
        &self,
        id: &str,
        binary: &Path,
        bin_name: &str,
        version: &str,
        commit: &str,
        dirty: bool,
    ) -> Result<ReleaseInfo> {
        let dir = self.releases().join(id);
        let result = (|| {
            std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
            let source = sha256_file(binary)?;
            let dest = dir.join(bin_name);
            std::fs::copy(binary, &dest).map_err(|e| io(&dest, e))?;
            make_executable(&dest)?;
            let copied = sha256_file(&dest)?;
            if copied != source {
                return Err(UsageError::new(format!(
                    "the copy of {} is corrupt (SHA-256 {copied}, expected {source})",
                    binary.display()
                ))
                .into());
            }
            let info = ReleaseInfo {
                version: version.into(),
                commit: commit.into(),
                time: rfc3339(SystemTime::now()),
                sha256: source,
                bin: bin_name.into(),
                dirty,
            };
            let json = serde_json::to_string_pretty(&info)?;
            std::fs::write(dir.join("release.json"), json + "\n").map_err(|e| io(&dir, e))?;
            Ok(info)
        })();
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        result
    }

    /// Removes the oldest releases beyond `keep`, never `current` nor `previous`.
    pub fn prune(&self, keep: usize, previous: Option<&str>) -> Vec<String> {
        let current = self.current();
        let all = self.list();
        let excess = all.len().saturating_sub(keep);
        let mut removed = Vec::new();
        for id in all.into_iter().take(excess) {
            if Some(id.as_str()) == current.as_deref() || Some(id.as_str()) == previous {
                continue;
            }
            if std::fs::remove_dir_all(self.releases().join(&id)).is_ok() {
                removed.push(id);
            }
        }
        removed
    }

    /// The journal of an unfinished deploy, if one was interrupted.
    pub fn journal(&self) -> Option<Journal> {
        serde_json::from_str(&std::fs::read_to_string(self.journal_path()).ok()?).ok()
    }

    /// Records progress.
    pub fn write_journal(&self, journal: &Journal) -> Result<()> {
        windlass_core::files::write_atomic(
            &self.journal_path(),
            serde_json::to_string(journal)?.as_bytes(),
            false,
        )
    }

    /// The deploy is over.
    pub fn clear_journal(&self) {
        let _ = std::fs::remove_file(self.journal_path());
    }

    /// Appends a line to the deploy log.
    pub fn append_log(&self, line: &serde_json::Value) -> Result<()> {
        let path = self.log();
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| io(&path, e))?;
        writeln!(file, "{line}").map_err(|e| io(&path, e))
    }
}

/// Held while a deploy or rollback runs; a second one is refused.
///
/// The lock is the kernel's (`flock`, through `File::try_lock`) on `.windlass-deploy.lock`:
/// taking it is one atomic step, and it is released when its holder's file closes — on exit,
/// on a panic, on SIGKILL — so a dead holder can never keep it, and no one ever has to guess
/// that a lock is stale and delete it (the race that let two deploys in). The file stays; it
/// holds the pid of the deploy that has it, for the message a second one gets, and is emptied
/// on release, so a pid found in it when the lock is free names a holder that was killed.
pub struct Lock {
    file: std::fs::File,
}

impl Lock {
    /// Takes the lock, or says who holds it. Returns the pid of a holder that ended without
    /// releasing it (killed mid-way), when there was one.
    pub fn take(root: &Path) -> Result<(Self, Option<u32>)> {
        std::fs::create_dir_all(root).map_err(|e| io(root, e))?;
        let path = root.join(".windlass-deploy.lock");
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| io(&path, e))?;
        let holder = |file: &mut std::fs::File| -> Option<u32> {
            use std::io::{Read, Seek};
            let mut text = String::new();
            file.seek(std::io::SeekFrom::Start(0)).ok()?;
            file.read_to_string(&mut text).ok()?;
            text.trim().parse().ok()
        };
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let pid = holder(&mut file)
                    .map_or_else(|| "just starting".to_string(), |p| format!("pid {p}"));
                return Err(UsageError::new(format!(
                    "another deploy ({pid}) is running in {}",
                    root.display()
                ))
                .hint("wait for it to finish")
                .into());
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(&path, e)),
        }
        let killed = holder(&mut file).filter(|pid| *pid != std::process::id());
        let written = (|| {
            use std::io::{Seek, Write};
            file.set_len(0)?;
            file.seek(std::io::SeekFrom::Start(0))?;
            write!(file, "{}", std::process::id())?;
            file.flush()
        })();
        written.map_err(|e| io(&path, e))?;
        Ok((Self { file }, killed))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Emptied first: a pid left in the file means its deploy never got here.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::windows::fs::symlink_dir(target, link)
}

fn make_executable(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| io(path, e))?;
    }
    let _ = path;
    Ok(())
}

/// A release id: UTC time to the millisecond, then the short commit.
pub fn release_id(now: SystemTime, short_sha: &str) -> String {
    let (date, time, millis) = civil(now);
    format!(
        "{}T{}{millis:03}Z-{short_sha}",
        date.replace('-', ""),
        time.replace(':', "")
    )
}

use windlass_core::time::civil;
pub use windlass_core::time::rfc3339;

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn ids_and_times_are_utc() {
        let t = UNIX_EPOCH + Duration::from_millis(1_795_777_031_042);
        assert_eq!(rfc3339(t), "2026-11-27T10:57:11Z");
        assert_eq!(release_id(t, "abc1234"), "20261127T105711042Z-abc1234");
    }

    #[test]
    fn switching_is_a_rename_and_pruning_spares_current_and_previous() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout {
            root: dir.path().to_path_buf(),
        };
        for id in ["r1", "r2", "r3", "r4"] {
            std::fs::create_dir_all(layout.releases().join(id)).unwrap();
        }
        layout.switch("r1").unwrap();
        assert_eq!(layout.current().as_deref(), Some("r1"));
        layout.switch("r2").unwrap();
        assert_eq!(layout.current().as_deref(), Some("r2"));
        let removed = layout.prune(2, Some("r1"));
        assert_eq!(removed, Vec::<String>::new(), "r1 is previous, r2 current");
        layout.switch("r4").unwrap();
        assert_eq!(layout.prune(2, Some("r3")), ["r1", "r2"]);
        assert_eq!(layout.list(), ["r3", "r4"]);
    }

    #[test]
    fn a_second_lock_is_refused_and_a_dead_holders_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let (lock, stale) = Lock::take(dir.path()).unwrap();
        assert_eq!(stale, None);
        assert!(
            Lock::take(dir.path())
                .err()
                .unwrap()
                .to_string()
                .contains("another deploy")
        );
        drop(lock);
        std::fs::write(dir.path().join(".windlass-deploy.lock"), "999999999").unwrap();
        let (_lock, stale) = Lock::take(dir.path()).unwrap();
        assert_eq!(stale, Some(999_999_999));
    }
}
