//! The RustSec advisory database: where it lives, keeping it fresh with the `git` CLI, and
//! reading only the advisories of the crates a lockfile holds.
//!
//! The default location is the one cargo-audit uses (`$CARGO_HOME/advisory-db`), so the two
//! share a copy. Fetching is shallow and bounded in time; a failed fetch over an existing copy
//! is a warning naming the copy's age, never the end of the audit. Offline (`--no-fetch`,
//! `CARGO_NET_OFFLINE=true`) the network is never touched.

use crate::index::Index;
use crate::shown::Shown;
use anyhow::Result;
use rustsec::advisory::Id;
use rustsec::advisory::Versions;
use rustsec::osv::OsvRange;
use rustsec::{Advisory, Version, VersionReq};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use windlass_core::runner::Capture;
use windlass_core::{Session, Severity, UsageError};

/// The public database.
pub const DEFAULT_URL: &str = "https://github.com/rustsec/advisory-db.git";

/// How long a fetch may take before it is abandoned.
const FETCH_TIMEOUT: Duration = Duration::from_secs(120);

/// Where the database is and whether it may be fetched.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// The checkout; `None` for `$CARGO_HOME/advisory-db`.
    pub path: Option<PathBuf>,
    /// The repository to clone or fetch from.
    pub url: String,
    /// Whether the network may be used.
    pub fetch: bool,
    /// A copy older than this is fetched again.
    pub max_age: Duration,
}

/// The default location: `$CARGO_HOME/advisory-db`, or `~/.cargo/advisory-db`.
pub fn default_path() -> PathBuf {
    windlass_core::cargo_env::cargo_home().join("advisory-db")
}

/// Whether cargo has been told to stay offline.
pub fn cargo_offline() -> bool {
    windlass_core::cargo_env::offline()
}

/// A copy whose own data is older than this is reported as stale, whatever its files' times
/// say (a `cp -r` of an old snapshot looks new by them).
pub const STALE_AFTER: Duration = Duration::from_secs(30 * 86_400);

/// An opened database.
#[derive(Debug)]
pub struct Database {
    root: PathBuf,
    /// How old its contents are: since its last commit (a git checkout) or its newest
    /// advisory's date (a copy without history).
    pub age: Option<Duration>,
    cache: HashMap<String, Vec<Entry>>,
    index: Index,
    /// Whether findings need their whole advisory (a machine-readable report): the index
    /// keeps what a finding shows, and the rest is read from the advisory's file.
    whole: bool,
}

impl Drop for Database {
    fn drop(&mut self) {
        self.index.save();
    }
}

/// One advisory: its text (from its file) or what a finding shows of it (from the index),
/// its version ranges when they could be read without a full parse, and the full parse once
/// something needed it.
#[derive(Debug)]
struct Entry {
    path: PathBuf,
    text: Source,
    /// The versions it affects, as rustsec's `Versions::is_vulnerable` computes them (it
    /// builds these ranges on every call: here they are built once).
    ranges: Option<Vec<OsvRange>>,
    shown: Option<Shown>,
    advisory: Option<Advisory>,
}

/// Whether `ranges` (`None`: not known without a full parse) may include `version`.
fn may_affect(ranges: Option<&Vec<OsvRange>>, version: &Version) -> bool {
    ranges.is_none_or(|r| r.iter().any(|range| range.affects(version)))
}

#[derive(Debug)]
enum Source {
    /// The advisory file's text.
    File(String),
    /// The index's JSON of its [`Shown`] (the file is read only if the whole is wanted).
    Indexed(std::rc::Rc<str>),
}

/// The `patched` and `unaffected` requirements of an advisory's `[versions]` table, read from
/// its text; `None` whenever the text is not in the plain layout the database uses, so that
/// the caller falls back to a full parse.
fn version_ranges(text: &str) -> Option<Versions> {
    let start = text.find("\n[versions]")?;
    let section = &text[start + "\n[versions]".len()..];
    let end = section
        .find("\n[")
        .into_iter()
        .chain(section.find("\n```"))
        .min()
        .unwrap_or(section.len());
    let section = &section[..end];
    let (mut patched, mut unaffected) = (None, None);
    let mut rest = section;
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].trim();
        let after = rest[eq + 1..].trim_start();
        let body = after.strip_prefix('[')?;
        let close = body.find(']')?;
        // Between the quotes: the requirements; outside them only separators.
        let mut reqs = Vec::new();
        for (i, part) in body[..close].split('"').enumerate() {
            if i % 2 == 1 {
                reqs.push(part.parse::<VersionReq>().ok()?);
            } else if !part.chars().all(|c| c == ',' || c.is_whitespace()) {
                return None;
            }
        }
        match key {
            "patched" => patched = Some(reqs),
            "unaffected" => unaffected = Some(reqs),
            _ => return None,
        }
        rest = &body[close + 1..];
    }
    Versions::new(patched.unwrap_or_default(), unaffected.unwrap_or_default()).ok()
}

/// Makes sure a usable copy exists (fetching it when allowed and needed) and opens it.
pub fn open(session: &mut Session, options: &DbOptions) -> Result<Database> {
    let path = options.path.clone().unwrap_or_else(default_path);
    let exists = path.join("crates").is_dir();
    let mut age = fetched_ago(&path);
    if !exists {
        if !options.fetch {
            return Err(missing(
                &path,
                &options.url,
                "fetching is off (--no-fetch or CARGO_NET_OFFLINE)",
            ));
        }
        clone(session, &path, &options.url)?;
        age = Some(Duration::ZERO);
    } else if options.fetch && is_git(&path) && age.is_none_or(|age| age > options.max_age) {
        if update(session, &path, age) {
            age = Some(Duration::ZERO);
        }
    } else if let Some(age) = age.filter(|age| *age > options.max_age) {
        let why = if is_git(&path) {
            "fetching is off"
        } else {
            "it is not a git checkout"
        };
        session.message(
            Severity::Warning,
            format!(
                "the advisory database at {} is {} old and {why}; findings may be missing",
                path.display(),
                human_age(age)
            ),
        );
    }
    let content_age = content_age(session, &path);
    if let Some((old, by)) = content_age
        .as_ref()
        .filter(|(old, _)| *old > STALE_AFTER.max(options.max_age))
    {
        session.message(
            Severity::Warning,
            format!(
                "the advisory database at {} is {} old by {by}; findings may be missing ({})",
                path.display(),
                human_age(*old),
                if is_git(&path) {
                    format!(
                        "fetch it: `git -C {} pull`, or audit with network",
                        path.display()
                    )
                } else {
                    format!(
                        "a current copy: `git clone --depth 1 {} ~/.cargo/advisory-db`",
                        options.url
                    )
                }
            ),
        );
    }
    let _ = age;
    Ok(Database {
        age: content_age.map(|(age, _)| age),
        whole: session.wants_details(),
        index: Index::open(&path),
        root: path,
        cache: HashMap::new(),
    })
}

fn missing(path: &Path, url: &str, why: &str) -> anyhow::Error {
    UsageError::new(format!(
        "no advisory database at {} ({why})",
        path.display()
    ))
    .hint(format!(
        "get one with `git clone --depth 1 {url} {}`, or pass --db PATH",
        path.display()
    ))
    .into()
}

fn clone(session: &mut Session, path: &Path, url: &str) -> Result<()> {
    // Clone next to the target and rename, so that a failed clone leaves nothing behind. The
    // partial copy's name is windlass's and this run's: nothing else of that name is removed.
    let name = path.file_name().map_or_else(
        || "advisory-db".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let partial = path.with_file_name(format!(".{name}.windlass-partial-{}", std::process::id()));
    let parent = windlass_core::files::root(path.parent().unwrap_or(Path::new(".")))?;
    let partial_rel = PathBuf::from(partial.file_name().unwrap_or_default());
    let _ = parent.remove_tree(&partial_rel);
    let sh = session.shell();
    let cmd = sh
        .cmd("git")
        .args(["clone", "--quiet", "--depth", "1", url])
        .arg(&partial)
        .env("GIT_TERMINAL_PROMPT", "0");
    let finished = session.run_timeout(cmd, Capture::Everything, FETCH_TIMEOUT)?;
    let target_rel = PathBuf::from(path.file_name().unwrap_or_default());
    if !finished.success() || parent.rename(&partial_rel, &target_rel).is_err() {
        let _ = parent.remove_tree(&partial_rel);
        let reason = if finished.timed_out {
            "the clone timed out".to_string()
        } else {
            finished.stderr.trim().to_string()
        };
        return Err(missing(path, url, &format!("cloning it failed: {reason}")));
    }
    Ok(())
}

/// Fetches the latest database into the checkout; whether it worked. `age` is the copy's age
/// before trying (git touches its files even when a fetch fails).
fn update(session: &mut Session, path: &Path, age: Option<Duration>) -> bool {
    let sh = session.shell();
    let fetch = sh
        .cmd("git")
        .arg("-C")
        .arg(path)
        .args(["fetch", "--quiet", "--depth", "1", "origin", "HEAD"])
        .env("GIT_TERMINAL_PROMPT", "0");
    let fetched = session.run_timeout(fetch, Capture::Everything, FETCH_TIMEOUT);
    let ok = match fetched {
        Ok(f) if f.success() => {
            let reset = sh.cmd("git").arg("-C").arg(path).args([
                "reset",
                "--quiet",
                "--hard",
                "FETCH_HEAD",
            ]);
            session
                .run(reset, Capture::Everything)
                .is_ok_and(|r| r.success())
        }
        _ => false,
    };
    if !ok {
        let age = age.map_or_else(
            || "of unknown age".to_string(),
            |a| format!("{} old", human_age(a)),
        );
        session.message(
            Severity::Warning,
            format!(
                "could not update the advisory database; auditing with the copy at {} ({age})",
                path.display()
            ),
        );
    }
    ok
}

fn is_git(path: &Path) -> bool {
    path.join(".git").exists()
}

/// How long ago this checkout was last fetched by git (FETCH_HEAD, or HEAD after a clone):
/// what decides whether to fetch again. Not how old its contents are ([`content_age`]).
fn fetched_ago(path: &Path) -> Option<Duration> {
    let marker = [path.join(".git/FETCH_HEAD"), path.join(".git/HEAD")]
        .into_iter()
        .find(|p| p.exists())?;
    let modified = std::fs::metadata(marker).and_then(|m| m.modified()).ok()?;
    SystemTime::now().duration_since(modified).ok()
}

/// How old the database's contents are, from its own data: the time of its last commit in a
/// git checkout, else the date of its newest advisory; and which of the two told.
fn content_age(session: &mut Session, path: &Path) -> Option<(Duration, &'static str)> {
    let now = SystemTime::now();
    if is_git(path) {
        let sh = session.shell();
        let cmd = sh
            .cmd("git")
            .arg("-C")
            .arg(path)
            .args(["log", "-1", "--format=%ct"]);
        if let Ok(out) = session.run_quiet(cmd)
            && out.success()
            && let Ok(secs) = out.stdout.trim().parse::<u64>()
        {
            let at = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
            return Some((
                now.duration_since(at).unwrap_or_default(),
                "its last commit",
            ));
        }
    }
    let newest = newest_advisory_date(&path.join("crates"))?;
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(newest);
    Some((
        now.duration_since(at).unwrap_or_default(),
        "its newest advisory's date",
    ))
}

/// The newest `date = "YYYY-MM-DD"` of the advisories under `crates/`, as seconds since the
/// epoch. Only each file's head is read: the date is in its front matter.
fn newest_advisory_date(crates: &Path) -> Option<u64> {
    use std::io::Read;
    let mut newest: Option<u64> = None;
    for krate in std::fs::read_dir(crates).ok()?.flatten() {
        let Ok(files) = std::fs::read_dir(krate.path()) else {
            continue;
        };
        for file in files.flatten() {
            let mut head = [0u8; 1024];
            let Ok(n) = std::fs::File::open(file.path()).and_then(|mut f| f.read(&mut head)) else {
                continue;
            };
            let text = String::from_utf8_lossy(&head[..n]);
            let date = text.lines().find_map(|l| {
                let value = l
                    .trim()
                    .strip_prefix("date")?
                    .trim_start()
                    .strip_prefix('=')?;
                days_from_date(value.trim().trim_matches('"'))
            });
            if let Some(days) = date {
                newest = Some(newest.map_or(days, |n| n.max(days)));
            }
        }
    }
    newest.map(|days| days * 86_400)
}

fn days_from_date(date: &str) -> Option<u64> {
    windlass_core::time::days_from_date(date).and_then(|d| u64::try_from(d).ok())
}

/// An error and its causes on one line: rustsec keeps the useful part in the source.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// The whole advisory of an entry, from its file's text (read now for an indexed one).
fn parse(root: &Path, entry: &Entry) -> Result<Advisory> {
    let damaged = |reason: String| {
        UsageError::new(format!(
            "the advisory database at {} is damaged: {}: {reason}",
            root.display(),
            entry.path.display(),
        ))
        .hint("delete it and fetch a fresh copy")
    };
    let read;
    let text = match &entry.text {
        Source::File(text) => text,
        Source::Indexed(_) => {
            read = std::fs::read_to_string(&entry.path).map_err(|e| damaged(e.to_string()))?;
            &read
        }
    };
    let mut advisory: Advisory = text
        .parse()
        .map_err(|e: rustsec::Error| damaged(error_chain(&e)))?;
    advisory.metadata.collection = Some(rustsec::Collection::Crates);
    Ok(advisory)
}

/// `3 days`, `5 hours`, `12 minutes`.
pub fn human_age(age: Duration) -> String {
    let secs = age.as_secs();
    let (n, unit) = match secs {
        s if s >= 2 * 86_400 => (s / 86_400, "days"),
        s if s >= 2 * 3_600 => (s / 3_600, "hours"),
        s => (s / 60, "minutes"),
    };
    format!("{n} {unit}")
}

impl Database {
    /// The database's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The advisories about crate `name` that may affect `version`.
    ///
    /// Files are read once per crate; each advisory's `[versions]` ranges are read from its
    /// text and checked with rustsec's own `Versions::is_vulnerable`, and only an advisory
    /// that may affect the version is parsed in full (and parsed once). Parsing every
    /// advisory of the database is most of cargo-audit's run.
    pub fn advisories_for(
        &mut self,
        name: &str,
        version: &Version,
    ) -> Result<Vec<(&Shown, Option<&Advisory>)>> {
        if !self.cache.contains_key(name) {
            let entries = self.entries_of(name);
            self.cache.insert(name.to_string(), entries);
        }
        let root = self.root.clone();
        let whole = self.whole;
        let entries = self
            .cache
            .get_mut(name)
            .map(Vec::as_mut_slice)
            .unwrap_or_default();
        for entry in entries.iter_mut() {
            if !may_affect(entry.ranges.as_ref(), version) {
                continue;
            }
            if entry.shown.is_none()
                && let Source::Indexed(json) = &entry.text
            {
                entry.shown = serde_json::from_str(json).ok();
            }
            // Not known from the index (or the whole is wanted): the advisory itself, and
            // from it its ranges and what a finding shows.
            if entry.advisory.is_none()
                && (entry.shown.is_none() || entry.ranges.is_none() || whole)
            {
                entry.advisory = Some(parse(&root, entry)?);
            }
            if let Some(advisory) = &entry.advisory {
                if entry.ranges.is_none() {
                    entry.ranges = Some(rustsec::osv::ranges_for_advisory(&advisory.versions));
                }
                if entry.shown.is_none() {
                    entry.shown = Some(Shown::of(advisory));
                }
            }
        }
        Ok(entries
            .iter()
            .filter(|e| may_affect(e.ranges.as_ref(), version))
            .filter_map(|e| {
                let shown = e.shown.as_ref()?;
                Some((shown, e.advisory.as_ref().filter(|_| whole)))
            })
            .collect())
    }

    /// The advisories of crate `name`: from the index while it is current, else from their
    /// files, which then go into the index.
    fn entries_of(&mut self, name: &str) -> Vec<Entry> {
        if !self.index.has_crate(name) {
            return Vec::new();
        }
        let dir = self.root.join("crates").join(name);
        if let Some(indexed) = self.index.lookup(name) {
            return indexed
                .iter()
                .map(|i| Entry {
                    path: dir.join(&i.file),
                    text: Source::Indexed(i.json.clone()),
                    ranges: Some(i.ranges.clone()),
                    shown: None,
                    advisory: None,
                })
                .collect();
        }
        let mut entries = self.read_crate(name);
        // Indexing needs every advisory parsed; one that does not parse stays out of the
        // index and is reported when (and only when) it could affect a package.
        let root = self.root.clone();
        let parsed: Vec<Option<Advisory>> = entries.iter().map(|e| parse(&root, e).ok()).collect();
        if parsed.iter().all(Option::is_some) {
            for (entry, advisory) in entries.iter_mut().zip(parsed) {
                if let Some(advisory) = &advisory {
                    entry.ranges = Some(rustsec::osv::ranges_for_advisory(&advisory.versions));
                    entry.shown = Some(Shown::of(advisory));
                }
                entry.advisory = advisory;
            }
            let stored: Vec<(String, &Advisory)> = entries
                .iter()
                .filter_map(|e| {
                    Some((
                        e.path.file_name()?.to_string_lossy().into_owned(),
                        e.advisory.as_ref()?,
                    ))
                })
                .collect();
            self.index.store(name, &stored);
        }
        entries
    }

    fn read_crate(&self, name: &str) -> Vec<Entry> {
        let Ok(dir) = std::fs::read_dir(self.root.join("crates").join(name)) else {
            return Vec::new();
        };
        let mut paths: Vec<PathBuf> = dir.flatten().map(|e| e.path()).collect();
        paths.sort();
        paths
            .into_iter()
            .filter(|p| {
                p.extension().is_some_and(|e| e == "md" || e == "toml") && !Advisory::is_draft(p)
            })
            .filter_map(|path| {
                let text = std::fs::read_to_string(&path).ok()?;
                let ranges = version_ranges(&text).map(|v| rustsec::osv::ranges_for_advisory(&v));
                Some(Entry {
                    path,
                    text: Source::File(text),
                    ranges,
                    shown: None,
                    advisory: None,
                })
            })
            .collect()
    }

    /// Whether an advisory with this id (or alias) exists anywhere in the database. Used to
    /// tell a stale `ignore` entry (the advisory exists but matches nothing) from a typo.
    pub fn knows(&mut self, id: &Id) -> bool {
        let Ok(entries) = std::fs::read_dir(self.root.join("crates")) else {
            return false;
        };
        let file = format!("{}.md", id.as_str());
        entries.flatten().any(|e| e.path().join(&file).is_file())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shortcut must read exactly what the full parse reads, for every advisory of the
    /// real database that it reads at all: the whole snapshot where it is found, else the
    /// tests' subset of it in the repository.
    #[test]
    fn version_ranges_agree_with_the_full_parse_on_the_real_database() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        let db = std::env::var_os("WINDLASS_ADVISORY_DB")
            .map(PathBuf::from)
            .or_else(|| {
                here.ancestors()
                    .map(|a| a.join("shared/advisory-db"))
                    .find(|p| p.join("crates").is_dir())
            })
            .unwrap_or_else(|| here.join("../windlass/tests/data/advisory-db"));
        let (mut read, mut total) = (0, 0);
        for dir in std::fs::read_dir(db.join("crates")).unwrap().flatten() {
            for file in std::fs::read_dir(dir.path()).unwrap().flatten() {
                let text = std::fs::read_to_string(file.path()).unwrap();
                let full: Advisory = text.parse().unwrap();
                total += 1;
                if let Some(versions) = version_ranges(&text) {
                    read += 1;
                    assert_eq!(versions, full.versions, "{}", file.path().display());
                }
            }
        }
        assert!(
            read * 100 / total >= 95,
            "the shortcut read only {read} of {total} advisories"
        );
    }

    #[test]
    fn ages_parse_in_common_units() {
        assert_eq!(human_age(Duration::from_secs(3 * 86_400 + 5)), "3 days");
        assert_eq!(human_age(Duration::from_secs(600)), "10 minutes");
    }

    #[test]
    fn the_contents_tell_their_age_not_the_files_times() {
        assert_eq!(days_from_date("1970-01-02"), Some(1));
        assert_eq!(days_from_date("2024-03-01"), Some(19_783));
        assert_eq!(days_from_date("2024-13-01"), None);
        assert_eq!(days_from_date("x"), None);
        let dir = tempfile::tempdir().unwrap();
        for (krate, date) in [("a", "2020-05-01"), ("b", "2021-07-09")] {
            std::fs::create_dir_all(dir.path().join(krate)).unwrap();
            std::fs::write(
                dir.path().join(krate).join("RUSTSEC-2020-0001.md"),
                format!(
                    "```toml\n[advisory]\nid = \"RUSTSEC-2020-0001\"\ndate = \"{date}\"\n```\n"
                ),
            )
            .unwrap();
        }
        // Copied just now, yet its newest advisory says 2021.
        assert_eq!(
            newest_advisory_date(dir.path()),
            days_from_date("2021-07-09").map(|d| d * 86_400)
        );
    }
}
