//! `Cargo.lock`: its packages, the line each stands on, and the path from a workspace member
//! to any package (which direct dependency to upgrade).

use anyhow::Result;
use rustsec::Lockfile;
use rustsec::package::Package;
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use windlass_core::UsageError;

/// A loaded lockfile.
pub struct Lock {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its packages.
    pub lockfile: Lockfile,
    /// Each package's indices by name (a name has several when several versions are locked).
    by_name: HashMap<String, Vec<usize>>,
    /// The line of each package's `name = ...`, by index (empty when there is no file).
    lines: Vec<u32>,
    graph: std::cell::OnceCell<Graph>,
}

/// Who depends on whom, by package index; built once, on the first path asked for.
struct Graph {
    dependents: Vec<Vec<usize>>,
}

impl Graph {
    fn new(lock: &Lock) -> Self {
        let packages = &lock.lockfile.packages;
        let mut dependents = vec![Vec::new(); packages.len()];
        for (i, package) in packages.iter().enumerate() {
            for dep in &package.dependencies {
                if let Some(d) = lock.index_of(dep.name.as_str(), &dep.version) {
                    dependents[d].push(i);
                }
            }
        }
        Self { dependents }
    }
}

impl Lock {
    /// Reads `path`; a missing or unreadable lockfile is a usage error naming it.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            UsageError::io(format!("cannot read {}: {e}", path.display()))
                .hint("create it with `cargo generate-lockfile`, or pass --file PATH")
        })?;
        let (lockfile, lines) = parse(&text).map_err(|e| {
            UsageError::new(format!("{} is not a valid Cargo.lock: {e}", path.display()))
                .hint("regenerate it with `cargo generate-lockfile`")
        })?;
        // Cargo lists every workspace member, dependencies or not: a lockfile with no package
        // is not one cargo wrote, and an audit of it would pass having read nothing.
        if lockfile.packages.is_empty() {
            return Err(UsageError::new(format!(
                "{} lists no package: it is not a lockfile cargo wrote, and nothing could be audited",
                path.display()
            ))
            .hint("regenerate it with `cargo generate-lockfile`")
            .into());
        }
        Ok(Self::new(path, lockfile, lines))
    }

    fn new(path: &Path, lockfile: Lockfile, lines: Vec<u32>) -> Self {
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, p) in lockfile.packages.iter().enumerate() {
            by_name
                .entry(p.name.as_str().to_string())
                .or_default()
                .push(i);
        }
        Self {
            path: path.to_path_buf(),
            lockfile,
            by_name,
            lines,
            graph: std::cell::OnceCell::new(),
        }
    }

    /// The packages of something that is not a lockfile but lists the same (a binary's
    /// embedded dependency list, an SBOM), shown as `path`; its findings have no line.
    pub fn from_text(path: &Path, text: &str) -> Result<Self> {
        let (lockfile, _) = parse(text).map_err(|e| {
            anyhow::anyhow!(
                "the dependency list read from {} is malformed: {e}",
                path.display()
            )
        })?;
        Ok(Self::new(path, lockfile, Vec::new()))
    }

    /// The same lockfile without the packages `drop` says to leave out (each keeping its
    /// line), for an audit of part of the graph.
    pub fn without(&self, drop: impl Fn(&Package) -> bool) -> Self {
        let mut lockfile = self.lockfile.clone();
        let mut lines = Vec::new();
        let mut packages = Vec::new();
        for (i, package) in self.lockfile.packages.iter().enumerate() {
            if !drop(package) {
                packages.push(package.clone());
                if let Some(line) = self.lines.get(i) {
                    lines.push(*line);
                }
            }
        }
        lockfile.packages = packages;
        Self::new(&self.path, lockfile, lines)
    }

    fn index_of(&self, name: &str, version: &rustsec::Version) -> Option<usize> {
        self.by_name
            .get(name)?
            .iter()
            .copied()
            .find(|&i| self.lockfile.packages[i].version == *version)
    }

    /// The 1-based line of `name = "..."` of that package's `[[package]]` entry.
    pub fn line_of(&self, package: &Package) -> Option<u32> {
        let i = self.index_of(package.name.as_str(), &package.version)?;
        self.lines.get(i).copied()
    }

    /// The shortest chain from a workspace (path) package down to `target`, as
    /// `name version` strings, the member first and `target` last.
    pub fn dependency_path(&self, target: &Package) -> Vec<String> {
        let packages = &self.lockfile.packages;
        let graph = self.graph.get_or_init(|| Graph::new(self));
        let label = |i: usize| format!("{} {}", packages[i].name, packages[i].version);
        let Some(start) = self.index_of(target.name.as_str(), &target.version) else {
            return vec![format!("{} {}", target.name, target.version)];
        };
        let mut came_from: Vec<Option<usize>> = vec![None; packages.len()];
        let mut seen = vec![false; packages.len()];
        seen[start] = true;
        let mut queue = VecDeque::from([start]);
        while let Some(current) = queue.pop_front() {
            if current != start && packages[current].source.is_none() {
                let mut chain = vec![label(current)];
                let mut at = current;
                while let Some(next) = came_from[at] {
                    chain.push(label(next));
                    at = next;
                }
                return chain;
            }
            for &parent in &graph.dependents[current] {
                if !seen[parent] {
                    seen[parent] = true;
                    came_from[parent] = Some(current);
                    queue.push_back(parent);
                }
            }
        }
        vec![label(start)]
    }
}

/// Reads a lockfile (format versions 1 to 4) into `cargo_lock`'s types.
///
/// Cargo writes lockfiles in one fixed layout, read here line by line; anything else (a
/// hand-edited file) goes through a full TOML parse. `Lockfile::from_str`'s serde code,
/// compiled into an unoptimised xtask, was half of an audit's time.
fn parse(text: &str) -> std::result::Result<(Lockfile, Vec<u32>), String> {
    let raw = match raw_entries(text) {
        Some(raw) => raw,
        None => toml_entries(text)?,
    };
    build(raw)
}

/// One `[[package]]` entry as written.
#[derive(Default)]
struct RawEntry {
    /// The line of its `name = ...` (0 when not known).
    line: u32,
    name: Option<String>,
    version: Option<String>,
    source: Option<String>,
    checksum: Option<String>,
    dependencies: Vec<String>,
}

struct Raw {
    format: Option<i64>,
    entries: Vec<RawEntry>,
}

/// The line reader: `None` as soon as a line is not in cargo's layout.
fn raw_entries(text: &str) -> Option<Raw> {
    let mut raw = Raw {
        format: None,
        entries: Vec::new(),
    };
    let mut in_package = false;
    let mut in_other_table = false;
    let mut in_dependencies = false;
    for (number, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if in_dependencies {
            if line == "]" {
                in_dependencies = false;
            } else {
                let dep = line.trim().trim_end_matches(',');
                raw.entries.last_mut()?.dependencies.push(unquote(dep)?);
            }
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line == "[[package]]" {
            raw.entries.push(RawEntry::default());
            in_package = true;
            continue;
        }
        if line.starts_with('[') {
            // [metadata] (format 1 checksums) and [[patch.unused]]: nothing we need.
            in_package = false;
            in_other_table = true;
            continue;
        }
        let (key, value) = line.split_once(" = ")?;
        if in_other_table {
            continue;
        }
        if !in_package {
            // Before the first table cargo writes only the format version: anything else is
            // not its layout, and the full parse judges it.
            if key != "version" {
                return None;
            }
            raw.format = Some(value.parse().ok()?);
            continue;
        }
        let entry = raw.entries.last_mut()?;
        match key {
            "name" => {
                entry.name = Some(unquote(value)?);
                entry.line = u32::try_from(number + 1).unwrap_or(u32::MAX);
            }
            "version" => entry.version = Some(unquote(value)?),
            "source" => entry.source = Some(unquote(value)?),
            "checksum" => entry.checksum = Some(unquote(value)?),
            "dependencies" if value == "[" => in_dependencies = true,
            "dependencies" => {
                let inner = value.strip_prefix('[')?.strip_suffix(']')?;
                for dep in inner.split(',').map(str::trim).filter(|d| !d.is_empty()) {
                    entry.dependencies.push(unquote(dep)?);
                }
            }
            _ => {}
        }
    }
    Some(raw)
}

/// `"text"` without escapes, as cargo writes every value it puts there.
fn unquote(value: &str) -> Option<String> {
    let inner = value.strip_prefix('"')?.strip_suffix('"')?;
    // A byte scan: `str::contains` with a char set is slow in an unoptimised build.
    (!inner.bytes().any(|b| b == b'"' || b == b'\\')).then(|| inner.to_string())
}

/// The same entries through a full TOML parse.
fn toml_entries(text: &str) -> std::result::Result<Raw, String> {
    let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    let field = |t: &toml::Table, k: &str| t.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let mut raw = Raw {
        format: doc.get("version").and_then(|v| v.as_integer()),
        entries: Vec::new(),
    };
    for entry in doc
        .get("package")
        .and_then(|p| p.as_array())
        .into_iter()
        .flatten()
    {
        let table = entry
            .as_table()
            .ok_or("a [[package]] entry is not a table")?;
        raw.entries.push(RawEntry {
            line: 0,
            name: field(table, "name"),
            version: field(table, "version"),
            source: field(table, "source"),
            checksum: field(table, "checksum"),
            dependencies: table
                .get("dependencies")
                .and_then(|d| d.as_array())
                .into_iter()
                .flatten()
                .filter_map(|d| d.as_str().map(str::to_string))
                .collect(),
        });
    }
    // A hand-edited file's lines, found by their `name = ` and `version = ` pairs.
    let lines = package_lines(text);
    for entry in &mut raw.entries {
        if let (Some(name), Some(version)) = (&entry.name, &entry.version) {
            entry.line = lines
                .get(&(name.clone(), version.clone()))
                .copied()
                .unwrap_or(0);
        }
    }
    Ok(raw)
}

// Long: one pass from the raw TOML to rustsec's Lockfile, field by field, as Cargo.lock's format
// lists them.
fn build(raw: Raw) -> std::result::Result<(Lockfile, Vec<u32>), String> {
    use rustsec::cargo_lock::{Dependency, ResolveVersion, SourceId};
    let mut sources: HashMap<String, SourceId> = HashMap::new();
    let mut packages = Vec::with_capacity(raw.entries.len());
    let mut raw_deps = Vec::with_capacity(raw.entries.len());
    let mut lines = Vec::with_capacity(raw.entries.len());
    let mut versions_written = Vec::with_capacity(raw.entries.len());
    for entry in raw.entries {
        lines.push(entry.line);
        let name = entry.name.ok_or("a package without a name")?;
        let version = entry
            .version
            .ok_or_else(|| format!("package `{name}` without a version"))?;
        let source = match entry.source {
            None => None,
            Some(text) => match sources.get(&text) {
                Some(known) => Some(known.clone()),
                None => {
                    let parsed: SourceId =
                        text.parse().map_err(|e| format!("source `{text}`: {e}"))?;
                    sources.insert(text, parsed.clone());
                    Some(parsed)
                }
            },
        };
        packages.push(Package {
            name: name
                .parse()
                .map_err(|e| format!("package name `{name}`: {e}"))?,
            version: version
                .parse()
                .map_err(|e| format!("version of `{name}`: {e}"))?,
            source,
            checksum: entry.checksum.and_then(|c| c.parse().ok()),
            dependencies: Vec::new(),
            replace: None,
        });
        raw_deps.push(entry.dependencies);
        versions_written.push(version);
    }
    // Formats 3 and 4 write a dependency as just its name when one version is locked.
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, p) in packages.iter().enumerate() {
        by_name
            .entry(p.name.as_str().to_string())
            .or_default()
            .push(i);
    }
    for (i, deps) in raw_deps.into_iter().enumerate() {
        let mut resolved = Vec::with_capacity(deps.len());
        for dep in deps {
            let mut parts = dep.splitn(3, ' ');
            let name = parts.next().unwrap_or_default();
            let version = parts.next();
            let candidates = by_name.get(name).map(Vec::as_slice).unwrap_or_default();
            let target = match version {
                // Compared as written: cargo writes a version the one way it displays it.
                Some(v) => candidates.iter().find(|&&c| versions_written[c] == v),
                None => candidates.first(),
            };
            if let Some(&t) = target {
                resolved.push(Dependency {
                    name: packages[t].name.clone(),
                    version: packages[t].version.clone(),
                    source: packages[t].source.clone(),
                });
            }
        }
        packages[i].dependencies = resolved;
    }
    let version = match raw.format {
        Some(1) | None => ResolveVersion::V1,
        Some(2) => ResolveVersion::V2,
        Some(3) => ResolveVersion::V3,
        _ => ResolveVersion::V4,
    };
    Ok((
        Lockfile {
            version,
            packages,
            root: None,
            metadata: Default::default(),
            patch: Default::default(),
        },
        lines,
    ))
}

fn package_lines(text: &str) -> HashMap<(String, String), u32> {
    let mut lines = HashMap::new();
    let mut name: Option<(String, u32)> = None;
    for (i, line) in text.lines().enumerate() {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if line.starts_with("[[package]]") {
            name = None;
        } else if let Some(value) = line.strip_prefix("name = ") {
            name = Some((value.trim_matches('"').to_string(), number));
        } else if let Some(value) = line.strip_prefix("version = ")
            && let Some((n, at)) = name.take()
        {
            lines.insert((n, value.trim_matches('"').to_string()), at);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "hyper",
]

[[package]]
name = "h2"
version = "0.3.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "hyper"
version = "0.14.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = [
 "h2",
]
"#;

    fn lock() -> Lock {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Cargo.lock");
        std::fs::write(&path, LOCK).unwrap();
        Lock::load(&path).unwrap()
    }

    #[test]
    fn finds_lines_and_the_path_from_the_member() {
        let lock = lock();
        let h2 = lock
            .lockfile
            .packages
            .iter()
            .find(|p| p.name.as_str() == "h2")
            .unwrap();
        assert_eq!(lock.line_of(h2), Some(11));
        assert_eq!(
            lock.dependency_path(h2),
            ["app 0.1.0", "hyper 0.14.0", "h2 0.3.0"]
        );
    }

    #[test]
    fn the_line_reader_and_the_toml_parse_agree() {
        let hand_edited = LOCK.replace(
            "dependencies = [\n \"hyper\",\n]",
            "dependencies = [ \"hyper\" ]  # edited",
        );
        assert!(
            raw_entries(&hand_edited).is_none(),
            "a comment after a value is not cargo's layout"
        );
        for text in [LOCK.to_string(), hand_edited] {
            let (lockfile, _) = parse(&text).unwrap();
            let names: Vec<_> = lockfile
                .packages
                .iter()
                .map(|p| p.name.as_str().to_string())
                .collect();
            assert_eq!(names, ["app", "h2", "hyper"]);
            assert_eq!(lockfile.packages[0].dependencies[0].name.as_str(), "hyper");
            assert_eq!(
                lockfile.packages[2].dependencies[0].version.to_string(),
                "0.3.0"
            );
            assert!(
                lockfile.packages[1]
                    .source
                    .as_ref()
                    .is_some_and(|s| s.is_default_registry())
            );
        }
    }

    #[test]
    fn a_lockfile_that_is_not_one_is_refused_not_passed() {
        let dir = tempfile::tempdir().unwrap();
        for (text, why) in [
            ("this is = = not toml\n", "is not a valid Cargo.lock"),
            ("", "lists no package"),
            ("# just a comment\nversion = 4\n", "lists no package"),
        ] {
            let path = dir.path().join("Cargo.lock");
            std::fs::write(&path, text).unwrap();
            let err = Lock::load(&path).err().map(|e| e.to_string());
            assert!(
                err.as_deref().is_some_and(|e| e.contains(why)),
                "{text:?}: {err:?}"
            );
        }
    }

    #[test]
    fn a_missing_lockfile_names_itself_and_the_fix() {
        let err = Lock::load(Path::new("/nowhere/Cargo.lock"))
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("/nowhere/Cargo.lock") && err.contains("cargo generate-lockfile"),
            "{err}"
        );
    }
}
