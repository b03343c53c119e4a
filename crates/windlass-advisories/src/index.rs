//! A compact index of the advisory database, kept beside it, so that an audit reads one file
//! instead of parsing every candidate advisory again on each run.
//!
//! It holds, for each crate an audit has looked up, every advisory's version ranges (to tell
//! in a few comparisons whether it can affect a version) and the advisory itself as JSON (a
//! fraction of the cost of its TOML and Markdown), and the list of crates the database has
//! advisories for. It is filled lazily — a crate is indexed the first time a lockfile holds it —
//! and never trusted when stale: the whole index is dropped when the checkout's commit
//! changes, the crate list is read again when `crates/` changes, and each crate's entry is
//! used only while its directory is unchanged. A missing, damaged or unwritable index costs
//! speed, never a finding: the advisory files remain the truth.

use crate::shown::Shown;
use rustsec::osv::OsvRange;
use rustsec::{Advisory, Version};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The first line of an index file; a file with any other is ignored (and replaced).
const MAGIC: &str = "windlass-advisory-index 5";

/// One advisory of an indexed crate.
#[derive(Debug, Clone)]
pub struct Indexed {
    /// Its file's name in the crate's directory.
    pub file: String,
    /// The versions it affects (`[versions]` as rustsec reads it: `[introduced, fixed)`).
    pub ranges: Vec<OsvRange>,
    /// What a finding shows of it ([`Shown`]), as JSON (the whole advisory is read from its
    /// file when wanted).
    pub json: std::rc::Rc<str>,
}

/// The index of one database.
#[derive(Debug)]
pub struct Index {
    /// Where it is stored.
    path: PathBuf,
    crates_dir: PathBuf,
    /// The database's commit (`-` for a copy that is not a git checkout).
    commit: String,
    /// `crates/`'s modification time when `names` was read.
    crates_mtime: u128,
    /// Every crate the database has a directory for.
    names: HashSet<String>,
    /// Indexed crates: the directory's modification time and the advisories.
    sections: HashMap<String, (u128, Section)>,
    /// The stored file's text, which `Section::Stored` ranges point into.
    stored: String,
    dirty: bool,
}

/// A crate's advisories: as stored (read only when the crate is looked up), or read.
#[derive(Debug)]
enum Section {
    /// The byte range of its lines in the stored file's text.
    Stored(std::ops::Range<usize>),
    Read(Vec<Indexed>),
}

/// The advisories of a stored section: one line each.
fn parse_section(text: &str) -> Option<Vec<Indexed>> {
    text.lines()
        .map(|line| {
            let mut fields = line.splitn(3, '\t');
            let file = fields.next()?.to_string();
            let ranges = parse_ranges(fields.next()?)?;
            Some(Indexed {
                file,
                ranges,
                json: fields.next()?.into(),
            })
        })
        .collect()
}

/// A path's modification time in nanoseconds (0 when it cannot be read).
fn mtime(path: &Path) -> u128 {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map_or(0, windlass_core::time::unix_nanos)
}

/// The commit a git checkout is at, read from `.git` without running git.
fn commit_of(root: &Path) -> String {
    let git = root.join(".git");
    let Ok(head) = std::fs::read_to_string(git.join("HEAD")) else {
        return "-".into();
    };
    let head = head.trim();
    let Some(reference) = head.strip_prefix("ref: ") else {
        return head.to_string();
    };
    if let Ok(id) = std::fs::read_to_string(git.join(reference)) {
        return id.trim().to_string();
    }
    std::fs::read_to_string(git.join("packed-refs"))
        .ok()
        .and_then(|packed| {
            packed.lines().find_map(|l| {
                let (id, name) = l.split_once(' ')?;
                (name == reference).then(|| id.to_string())
            })
        })
        .unwrap_or_else(|| "-".into())
}

/// Where the index of the database at `root` is kept: in windlass's own cache directory,
/// named by a hash of the database's path — never beside the database or inside it, which
/// belong to whoever put the database there (and may be shared with cargo-audit).
fn location(root: &Path) -> PathBuf {
    use std::hash::{Hash, Hasher};
    let canonical = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    canonical.hash(&mut hasher);
    windlass_core::files::cache_dir()
        .join("advisory-index")
        .join(format!("{:016x}.index", hasher.finish()))
}

/// `introduced..fixed;...`, either side empty when open.
fn ranges_text(ranges: &[OsvRange]) -> String {
    let side = |v: &Option<Version>| v.as_ref().map(ToString::to_string).unwrap_or_default();
    ranges
        .iter()
        .map(|r| format!("{}..{}", side(&r.introduced), side(&r.fixed)))
        .collect::<Vec<_>>()
        .join(";")
}

fn parse_ranges(text: &str) -> Option<Vec<OsvRange>> {
    let side = |v: &str| -> Option<Option<Version>> {
        if v.is_empty() {
            Some(None)
        } else {
            v.parse().ok().map(Some)
        }
    };
    text.split(';')
        .filter(|r| !r.is_empty())
        .map(|r| {
            let (introduced, fixed) = r.split_once("..")?;
            Some(OsvRange {
                introduced: side(introduced)?,
                fixed: side(fixed)?,
            })
        })
        .collect()
}

impl Index {
    /// The index of the database at `root`, as stored (or empty, when there is none, it is
    /// damaged, or it describes another commit).
    pub fn open(root: &Path) -> Self {
        let path = location(root);
        let crates_dir = root.join("crates");
        let commit = commit_of(root);
        let mut index = Self {
            path,
            crates_dir,
            commit,
            crates_mtime: 0,
            names: HashSet::new(),
            sections: HashMap::new(),
            stored: String::new(),
            dirty: false,
        };
        if let Ok(text) = std::fs::read_to_string(&index.path) {
            if index.load(&text).is_some() {
                index.stored = text;
            } else {
                index.crates_mtime = 0;
                index.names.clear();
                index.sections.clear();
            }
        }
        let now = mtime(&index.crates_dir);
        if index.crates_mtime != now || now == 0 {
            index.names = std::fs::read_dir(&index.crates_dir)
                .map(|dir| {
                    dir.flatten()
                        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            index.crates_mtime = now;
            index.dirty = true;
        }
        index
    }

    /// Reads a stored index; `None` when it is not one this version wrote for this commit.
    fn load(&mut self, text: &str) -> Option<()> {
        let mut header = text.splitn(4, '\n');
        if header.next()? != MAGIC {
            return None;
        }
        if header.next()?.strip_prefix("commit ")? != self.commit {
            return None;
        }
        let crates = header.next()?.strip_prefix("crates ")?;
        let (stamp, names) = crates.split_once(' ').unwrap_or((crates, ""));
        self.crates_mtime = stamp.parse().ok()?;
        self.names = names
            .split(' ')
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .collect();
        let rest = header.next().unwrap_or("");
        let offset = text.len() - rest.len();
        // Each section's lines are kept as text, and parsed only for a crate looked up.
        let mut at = 0;
        while at < rest.len() {
            let end = rest[at..].find('\n').map_or(rest.len(), |i| at + i);
            let line = &rest[at..end];
            at = end + 1;
            if line.is_empty() {
                continue;
            }
            let mut head = line.strip_prefix("section ")?.split(' ');
            let name = head.next()?.to_string();
            let stamp: u128 = head.next()?.parse().ok()?;
            let count: usize = head.next()?.parse().ok()?;
            let start = at.min(rest.len());
            for _ in 0..count {
                at = rest[at.min(rest.len())..].find('\n').map(|i| at + i + 1)?;
            }
            self.sections
                .insert(name, (stamp, Section::Stored(offset + start..offset + at)));
        }
        Some(())
    }

    /// Whether the database has advisories about crate `name` at all.
    pub fn has_crate(&self, name: &str) -> bool {
        self.names.contains(name)
    }

    /// The indexed advisories of `name`, when its directory has not changed since.
    pub fn lookup(&mut self, name: &str) -> Option<&[Indexed]> {
        let current = mtime(&self.crates_dir.join(name));
        let (stamp, section) = self.sections.get_mut(name)?;
        if *stamp == 0 || *stamp != current {
            return None;
        }
        if let Section::Stored(range) = section {
            *section = Section::Read(parse_section(self.stored.get(range.clone())?)?);
        }
        match section {
            Section::Read(entries) => Some(entries.as_slice()),
            Section::Stored(_) => None,
        }
    }

    /// Records the advisories of `name`, read from their files.
    pub fn store(&mut self, name: &str, advisories: &[(String, &Advisory)]) {
        let stamp = mtime(&self.crates_dir.join(name));
        let mut entries = Vec::with_capacity(advisories.len());
        for (file, advisory) in advisories {
            let Ok(json) = serde_json::to_string(&Shown::of(advisory)) else {
                return;
            };
            // A name with a tab or newline cannot be written in the index's layout.
            if file.contains(['\t', '\n']) {
                return;
            }
            entries.push(Indexed {
                file: file.clone(),
                ranges: rustsec::osv::ranges_for_advisory(&advisory.versions),
                json: json.into(),
            });
        }
        self.sections
            .insert(name.to_string(), (stamp, Section::Read(entries)));
        self.dirty = true;
    }

    /// Writes the index when it changed: to a temporary file renamed over the old one, so
    /// that a reader never sees half of it. Failing to write is not an error.
    pub fn save(&mut self) {
        if !self.dirty {
            return;
        }
        let mut names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        names.sort_unstable();
        let mut text = format!(
            "{MAGIC}\ncommit {}\ncrates {} {}\n",
            self.commit,
            self.crates_mtime,
            names.join(" ")
        );
        let mut sections: Vec<(&String, &(u128, Section))> = self.sections.iter().collect();
        sections.sort_by(|a, b| a.0.cmp(b.0));
        for (name, (stamp, section)) in sections {
            match section {
                Section::Stored(range) => {
                    let lines = self.stored.get(range.clone()).unwrap_or_default();
                    let count = lines.lines().count();
                    text.push_str(&format!("section {name} {stamp} {count}\n{lines}"));
                }
                Section::Read(entries) => {
                    text.push_str(&format!("section {name} {stamp} {}\n", entries.len()));
                    for entry in entries {
                        text.push_str(&format!(
                            "{}\t{}\t{}\n",
                            entry.file,
                            ranges_text(&entry.ranges),
                            entry.json
                        ));
                    }
                }
            }
        }
        // A cache: failing to write it only costs the next run its speed.
        if windlass_core::files::write_named(&self.path, text.as_bytes()).is_ok() {
            self.dirty = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap().flatten() {
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy_dir(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }

    fn test_db() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("advisory-db");
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../windlass/tests/data/advisory-db"),
            &db,
        );
        (dir, db)
    }

    fn advisories(db: &Path, name: &str) -> Vec<(String, Advisory)> {
        let mut files: Vec<_> = std::fs::read_dir(db.join("crates").join(name))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|p| {
                let advisory: Advisory = std::fs::read_to_string(&p).unwrap().parse().unwrap();
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    advisory,
                )
            })
            .collect()
    }

    #[test]
    fn every_advisory_survives_the_index_unchanged() {
        let (_dir, db) = test_db();
        let mut index = Index::open(&db);
        let names: Vec<String> = index.names.iter().cloned().collect();
        assert!(!names.is_empty());
        for name in &names {
            let read = advisories(&db, name);
            let refs: Vec<(String, &Advisory)> = read.iter().map(|(f, a)| (f.clone(), a)).collect();
            index.store(name, &refs);
        }
        index.save();
        let mut again = Index::open(&db);
        for name in &names {
            let read = advisories(&db, name);
            let indexed = again.lookup(name).expect("indexed and unchanged");
            assert_eq!(indexed.len(), read.len(), "{name}");
            for (entry, (file, advisory)) in indexed.iter().zip(&read) {
                assert_eq!(&entry.file, file);
                assert_eq!(
                    ranges_text(&entry.ranges),
                    ranges_text(&rustsec::osv::ranges_for_advisory(&advisory.versions)),
                    "{file}"
                );
                let back: Shown = serde_json::from_str(&entry.json).unwrap();
                assert_eq!(back, Shown::of(advisory), "{file}");
            }
        }
    }

    #[test]
    fn a_changed_crate_or_commit_is_never_read_from_the_index() {
        let (_dir, db) = test_db();
        let mut index = Index::open(&db);
        let name = index.names.iter().next().unwrap().clone();
        let read = advisories(&db, &name);
        let refs: Vec<(String, &Advisory)> = read.iter().map(|(f, a)| (f.clone(), a)).collect();
        index.store(&name, &refs);
        index.save();
        assert!(Index::open(&db).lookup(&name).is_some());

        // A new advisory file in the crate's directory: its entry is stale.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(
            db.join("crates").join(&name).join("RUSTSEC-2099-0001.md"),
            "x",
        )
        .unwrap();
        assert!(Index::open(&db).lookup(&name).is_none());

        // A git checkout (the index then lives in its .git), at one commit and then another:
        // nothing of the first commit's index is used.
        std::fs::create_dir_all(db.join(".git/refs/heads")).unwrap();
        std::fs::write(db.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
        std::fs::write(db.join(".git/refs/heads/main"), "1111\n").unwrap();
        let mut index = Index::open(&db);
        assert!(index.path.starts_with(windlass_core::files::cache_dir()));
        assert!(
            !index.path.starts_with(db.parent().unwrap()),
            "never beside the database"
        );
        index.store(&name, &refs);
        index.save();
        assert!(Index::open(&db).lookup(&name).is_some());
        std::fs::write(db.join(".git/refs/heads/main"), "2222\n").unwrap();
        assert!(Index::open(&db).lookup(&name).is_none());

        // A new crate directory: the crate list is read again.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::create_dir_all(db.join("crates/brand-new-crate")).unwrap();
        assert!(Index::open(&db).has_crate("brand-new-crate"));
    }

    #[test]
    fn a_damaged_index_is_ignored() {
        let (_dir, db) = test_db();
        let index = Index::open(&db);
        std::fs::create_dir_all(index.path.parent().unwrap()).unwrap();
        std::fs::write(&index.path, format!("{MAGIC}\ncommit -\ncrates x\nsection")).unwrap();
        let again = Index::open(&db);
        assert!(again.sections.is_empty());
        assert!(
            !again.names.is_empty(),
            "the crate list is read from the database"
        );
    }
}
