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
    lines: HashMap<(String, String), u32>,
}

/// A package's identity in the lockfile.
type Key = (String, String);

fn key(name: &str, version: &str) -> Key {
    (name.to_string(), version.to_string())
}

impl Lock {
    /// Reads `path`; a missing or unreadable lockfile is a usage error naming it.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            UsageError::new(format!("cannot read {}: {e}", path.display()))
                .hint("create it with `cargo generate-lockfile`, or pass --file PATH")
        })?;
        let lockfile: Lockfile = text.parse().map_err(|e| {
            UsageError::new(format!("{} is not a valid Cargo.lock: {e}", path.display()))
                .hint("regenerate it with `cargo generate-lockfile`")
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            lockfile,
            lines: package_lines(&text),
        })
    }

    /// The 1-based line of `name = "..."` of that package's `[[package]]` entry.
    pub fn line_of(&self, package: &Package) -> Option<u32> {
        self.lines
            .get(&key(package.name.as_str(), &package.version.to_string()))
            .copied()
    }

    /// The shortest chain from a workspace (path) package down to `target`, as
    /// `name version` strings, the member first and `target` last.
    pub fn dependency_path(&self, target: &Package) -> Vec<String> {
        let packages = &self.lockfile.packages;
        let mut dependents: HashMap<Key, Vec<usize>> = HashMap::new();
        for (i, package) in packages.iter().enumerate() {
            for dep in &package.dependencies {
                dependents
                    .entry(key(dep.name.as_str(), &dep.version.to_string()))
                    .or_default()
                    .push(i);
            }
        }
        let label = |p: &Package| format!("{} {}", p.name, p.version);
        let start = key(target.name.as_str(), &target.version.to_string());
        let mut came_from: HashMap<Key, Option<Key>> = HashMap::from([(start.clone(), None)]);
        let mut queue = VecDeque::from([start.clone()]);
        let index: HashMap<Key, usize> = packages
            .iter()
            .enumerate()
            .map(|(i, p)| (key(p.name.as_str(), &p.version.to_string()), i))
            .collect();
        while let Some(current) = queue.pop_front() {
            let is_member = index
                .get(&current)
                .is_some_and(|&i| packages[i].source.is_none());
            if is_member && current != start {
                let mut chain = vec![current.clone()];
                let mut at = current;
                while let Some(Some(next)) = came_from.get(&at) {
                    chain.push(next.clone());
                    at = next.clone();
                }
                return chain
                    .into_iter()
                    .filter_map(|k| index.get(&k).map(|&i| label(&packages[i])))
                    .collect();
            }
            for &i in dependents.get(&current).into_iter().flatten() {
                let parent = key(packages[i].name.as_str(), &packages[i].version.to_string());
                if !came_from.contains_key(&parent) {
                    came_from.insert(parent.clone(), Some(current.clone()));
                    queue.push_back(parent);
                }
            }
        }
        vec![label(target)]
    }
}

fn package_lines(text: &str) -> HashMap<Key, u32> {
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
