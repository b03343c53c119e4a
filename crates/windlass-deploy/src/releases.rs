//! The layout on the host: `releases/<id>/`, the `current` link, the lock, the journal of a
//! deploy in progress, and the deploy log.
//!
//! `current` is switched atomically: a new link is made beside it and renamed over it, so
//! that at every instant it names a whole release (never delete-then-create).

use crate::ledger::Ledger;
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use windlass_core::UsageError;
use windlass_core::error::ErrorKind;
use windlass_core::files::{self, Kind, Perm, Root, sha256_file};

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
    let text = files::read_text_limited(&path, 1024 * 1024)?;
    serde_json::from_str(&text).map_err(|e| {
        UsageError::new(format!("{} is not a release record: {e}", path.display())).into()
    })
}

fn io(path: &Path, err: std::io::Error) -> anyhow::Error {
    UsageError::new(format!("{}: {err}", path.display()))
        .kind(ErrorKind::Io)
        .into()
}

/// The journal's, the lock's, the log's and the ledger's names in the root.
const JOURNAL: &str = ".windlass-deploy.journal";
const LOCK: &str = ".windlass-deploy.lock";
const LOG: &str = "deploy.log";
const LEDGER: &str = "ledger.json";
const CURRENT: &str = "current";
const RELEASES: &str = "releases";

/// What a prune did: the releases it removed, and the entries of `releases/` it left
/// because no ledger says windlass made them.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Removed (their ledger records marked `pruned`).
    pub removed: Vec<String>,
    /// Left alone: not recorded in the ledger.
    pub foreign: Vec<String>,
}

impl Layout {
    /// The root, opened (and created): every change below it goes through it, never through
    /// a link.
    fn dir(&self) -> Result<Root> {
        files::root(&self.root)
    }

    /// `releases/`.
    pub fn releases(&self) -> PathBuf {
        self.root.join(RELEASES)
    }

    /// The `current` link.
    pub fn current_link(&self) -> PathBuf {
        self.root.join(CURRENT)
    }

    /// The deploy log.
    pub fn log(&self) -> PathBuf {
        self.root.join(LOG)
    }

    /// The release ledger.
    pub fn ledger(&self) -> PathBuf {
        self.root.join(LEDGER)
    }

    /// The release `current` names.
    pub fn current(&self) -> Option<String> {
        let root = Root::open(&self.root).ok()?;
        let target = root.read_link(Path::new(CURRENT)).ok()?;
        target.file_name().map(|n| n.to_string_lossy().into_owned())
    }

    /// Every release directory (a real directory, not a link), oldest first (ids sort by
    /// time).
    pub fn list(&self) -> Vec<String> {
        let Ok(root) = Root::open(&self.root) else {
            return Vec::new();
        };
        root.entries(Path::new(RELEASES))
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e.kind == Kind::Dir)
            .map(|e| e.name.to_string_lossy().into_owned())
            .collect()
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
            .kind(ErrorKind::Refused)
            .hint(format!(
                "move it aside (`mv {0} {0}.before-windlass`) and deploy again; nothing was changed",
                link.display()
            ))
            .into()
        };
        let root = self.dir()?;
        match root.kind(Path::new(CURRENT)).map_err(files::error)? {
            None => return Ok(()),
            Some(Kind::Dir) => return Err(refuse("a directory".into())),
            Some(Kind::File | Kind::Other) => return Err(refuse("a regular file".into())),
            Some(Kind::Link) => {}
        }
        let target = root.read_link(Path::new(CURRENT)).map_err(files::error)?;
        let ours = target.parent() == Some(Path::new(RELEASES))
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
        let root = self.dir()?;
        let staging = PathBuf::from(format!("current.windlass-{}", std::process::id()));
        let _ = root.remove_file(&staging);
        root.symlink(&Path::new(RELEASES).join(release), &staging)
            .map_err(files::error)?;
        root.rename(&staging, Path::new(CURRENT)).map_err(|e| {
            let _ = root.remove_file(&staging);
            files::error(e)
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
        let root = self.dir()?;
        let dir = Path::new(RELEASES).join(id);
        if root.kind(&dir).map_err(files::error)?.is_some() {
            return Err(UsageError::new(format!(
                "{} already exists: a release id is never reused",
                self.root.join(&dir).display()
            ))
            .kind(ErrorKind::Refused)
            .into());
        }
        let result = (|| {
            root.create_dir_all(&dir).map_err(files::error)?;
            let source = sha256_file(binary)?;
            let dest = dir.join(bin_name);
            root.copy_in(binary, &dest, Perm::Executable)
                .map_err(files::error)?;
            let copied = sha256_file(&self.root.join(&dest))?;
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
            let json = serde_json::to_string_pretty(&info)? + "\n";
            root.write_atomic(&dir.join("release.json"), json.as_bytes(), Perm::Keep)
                .map_err(files::error)?;
            Ok(info)
        })();
        if result.is_err() {
            let _ = root.remove_tree(&dir);
        }
        result
    }

    /// Copies `file` into the release `id`'s directory as `name`.
    pub fn keep_beside(&self, id: &str, file: &Path, name: &str) -> Result<()> {
        self.dir()?
            .copy_in(file, &Path::new(RELEASES).join(id).join(name), Perm::Keep)
            .map_err(files::error)
    }

    /// Removes the release `id`'s directory (a first release withdrawn), and `current` when
    /// it names it; `releases/` too when that leaves it empty.
    pub fn withdraw(&self, id: &str) -> Result<()> {
        let root = self.dir()?;
        if self.current().as_deref() == Some(id) {
            root.remove_file(Path::new(CURRENT)).map_err(files::error)?;
        }
        root.remove_tree(&Path::new(RELEASES).join(id))
            .map_err(files::error)?;
        let _ = root.remove_empty_dir(Path::new(RELEASES));
        Ok(())
    }

    /// Removes the oldest releases the ledger recorded beyond `keep`, never `current` nor
    /// `previous`; a directory of `releases/` the ledger does not name is not windlass's and
    /// is left (and reported).
    pub fn prune(&self, keep: usize, previous: Option<&str>, ledger: &mut Ledger) -> Pruned {
        let current = self.current();
        let mut pruned = Pruned::default();
        let present = self.list();
        let (ours, foreign): (Vec<String>, Vec<String>) = present
            .into_iter()
            .partition(|id| ledger.get(id).is_some_and(|e| !e.pruned));
        pruned.foreign = foreign;
        let excess = ours.len().saturating_sub(keep);
        let Ok(root) = self.dir() else {
            return pruned;
        };
        for id in ours.into_iter().take(excess) {
            if Some(id.as_str()) == current.as_deref() || Some(id.as_str()) == previous {
                continue;
            }
            if root.remove_tree(&Path::new(RELEASES).join(&id)).is_ok() {
                ledger.update(&id, |e| e.pruned = true);
                pruned.removed.push(id);
            }
        }
        pruned
    }

    /// The journal of an unfinished deploy, if one was interrupted.
    pub fn journal(&self) -> Option<Journal> {
        let root = Root::open(&self.root).ok()?;
        let bytes = root.read(Path::new(JOURNAL), 1024 * 1024).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Records progress.
    pub fn write_journal(&self, journal: &Journal) -> Result<()> {
        self.dir()?
            .write_atomic(
                Path::new(JOURNAL),
                serde_json::to_string(journal)?.as_bytes(),
                Perm::Keep,
            )
            .map_err(files::error)
    }

    /// The deploy is over.
    pub fn clear_journal(&self) {
        if let Ok(root) = Root::open(&self.root) {
            let _ = root.remove_file(Path::new(JOURNAL));
        }
    }

    /// Appends a line to the deploy log.
    pub fn append_log(&self, line: &serde_json::Value) -> Result<()> {
        append_line(&self.log(), line)
    }
}

/// Appends `line` to the log at `path` (its directory created), never through a link.
pub fn append_line(path: &Path, line: &serde_json::Value) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().unwrap_or_default();
    let mut file = files::root(dir)?
        .append(Path::new(name))
        .map_err(files::error)?;
    writeln!(file, "{line}").map_err(|e| io(path, e))
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
        let path = root.join(LOCK);
        let mut file = files::root(root)?
            .open_rw(Path::new(LOCK))
            .map_err(files::error)?;
        let holder = |file: &mut std::fs::File| -> Option<u32> {
            use std::io::{Read, Seek};
            let mut text = String::new();
            file.seek(std::io::SeekFrom::Start(0)).ok()?;
            file.take(64).read_to_string(&mut text).ok()?;
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
                .kind(ErrorKind::Refused)
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
        let mut ledger = Ledger::load(&layout.ledger(), &layout.log()).unwrap();
        for id in ["r1", "r2", "r3", "r4"] {
            std::fs::create_dir_all(layout.releases().join(id)).unwrap();
            ledger.stage(crate::ledger::Entry::staged(id, "1", "c", "t"));
        }
        // An operator's backup beside them: not a release windlass recorded.
        std::fs::create_dir_all(layout.releases().join("0000-operator-backup")).unwrap();
        std::fs::write(layout.releases().join("0000-operator-backup/db.dump"), "x").unwrap();
        layout.switch("r1").unwrap();
        assert_eq!(layout.current().as_deref(), Some("r1"));
        layout.switch("r2").unwrap();
        assert_eq!(layout.current().as_deref(), Some("r2"));
        let pruned = layout.prune(2, Some("r1"), &mut ledger);
        assert_eq!(
            pruned.removed,
            Vec::<String>::new(),
            "r1 is previous, r2 current"
        );
        assert_eq!(pruned.foreign, ["0000-operator-backup"]);
        layout.switch("r4").unwrap();
        assert_eq!(
            layout.prune(2, Some("r3"), &mut ledger).removed,
            ["r1", "r2"]
        );
        assert_eq!(layout.list(), ["0000-operator-backup", "r3", "r4"]);
        assert!(ledger.get("r1").unwrap().pruned);
        assert!(
            layout
                .releases()
                .join("0000-operator-backup/db.dump")
                .exists()
        );
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
