//! Matching the lockfile's packages against the advisories, as cargo-audit does: same query,
//! same kinds, withdrawn advisories skipped, ignores honoured (by id or alias).

use crate::database::Database;
use crate::lockfile::Lock;
use crate::shown::source_key;
pub use crate::shown::{Kind, Shown};
use anyhow::Result;
use rustsec::Advisory;
use rustsec::package::{Package, SourceId};

/// An `[advisories] ignore` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignored {
    /// The advisory id (or an alias such as a CVE or GHSA id).
    pub id: String,
    /// Why it is ignored.
    pub reason: Option<String>,
}

/// One advisory matching one package.
#[derive(Debug, Clone)]
pub struct Finding {
    /// What kind.
    pub kind: Kind,
    /// What the finding shows of the advisory.
    pub shown: Shown,
    /// The whole advisory, when the report carries it (`Session::wants_details`).
    pub advisory: Option<Advisory>,
    /// The package it matches.
    pub package: Package,
}

/// The result of a scan.
#[derive(Debug, Default)]
pub struct Scan {
    /// Matches, in lockfile order.
    pub findings: Vec<Finding>,
    /// Matches left out by an ignore entry: (advisory id, `name version`).
    pub ignored: Vec<(String, String)>,
    /// Ignore entries that matched nothing.
    pub stale: Vec<Ignored>,
    /// How many packages were checked (those from crates.io).
    pub checked: usize,
}

/// What `Query::new().package(package).withdrawn(false).matches(advisory)` decides, for an
/// advisory the database already found to affect the package's version: the same crate, from
/// the same source, not withdrawn. (The query would work out the version ranges once more.)
fn applies(shown: &Shown, package: &Package, crates_io: &(String, String)) -> bool {
    let source = shown.source.as_ref().unwrap_or(crates_io);
    shown.package == package.name.as_str()
        && package
            .source
            .as_ref()
            .is_none_or(|s| source_key(s) == *source)
        && !shown.withdrawn
}

/// Scans every crates.io package of `lock`.
pub fn scan(db: &mut Database, lock: &Lock, ignore: &[Ignored]) -> Result<Scan> {
    scan_only(db, lock, ignore, &|_| true)
}

/// Scans the crates.io packages of `lock` that `keep` keeps: those the build's features and
/// targets pull in, as cargo-deny checks them (`scan` is cargo-audit's lockfile-wide view).
pub fn scan_only(
    db: &mut Database,
    lock: &Lock,
    ignore: &[Ignored],
    keep: &dyn Fn(&Package) -> bool,
) -> Result<Scan> {
    let mut out = Scan::default();
    let mut used = vec![false; ignore.len()];
    let crates_io = source_key(&SourceId::default());
    for package in lock.lockfile.packages.iter().filter(|p| keep(p)) {
        // cargo-audit checks packages of the default registry only; advisories are about them.
        if !package
            .source
            .as_ref()
            .is_some_and(|s| s.is_default_registry())
        {
            continue;
        }
        out.checked += 1;
        for (shown, advisory) in db.advisories_for(package.name.as_str(), &package.version)? {
            if !applies(shown, package, &crates_io) {
                continue;
            }
            let Some(kind) = shown.kind else {
                continue;
            };
            let ids = shown.ids();
            if let Some(i) = ignore
                .iter()
                .position(|entry| ids.contains(&entry.id.as_str()))
            {
                used[i] = true;
                out.ignored.push((
                    shown.id.clone(),
                    format!("{} {}", package.name, package.version),
                ));
                continue;
            }
            out.findings.push(Finding {
                kind,
                shown: shown.clone(),
                advisory: advisory.cloned(),
                package: package.clone(),
            });
        }
    }
    out.stale = ignore
        .iter()
        .zip(used)
        .filter(|(_, used)| !used)
        .map(|(entry, _)| entry.clone())
        .collect();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustsec::database::Query;

    /// `applies` after the database's range check decides exactly what rustsec's query does,
    /// for every advisory of the tests' database and versions around each of its bounds.
    #[test]
    fn the_shortcut_agrees_with_rustsecs_query() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../windlass/tests/data/advisory-db/crates");
        let crates_io = SourceId::default();
        let crates_io_key = source_key(&crates_io);
        let mut compared = 0;
        for dir in std::fs::read_dir(root).unwrap().flatten() {
            for file in std::fs::read_dir(dir.path()).unwrap().flatten() {
                let text = std::fs::read_to_string(file.path()).unwrap();
                let advisory: Advisory = text.parse().unwrap();
                let ranges = rustsec::osv::ranges_for_advisory(&advisory.versions);
                let mut versions: Vec<rustsec::Version> = ranges
                    .iter()
                    .flat_map(|r| [r.introduced.clone(), r.fixed.clone()])
                    .flatten()
                    .flat_map(|v| {
                        let mut below = v.clone();
                        if below.patch > 0 {
                            below.patch -= 1;
                        }
                        let mut above = v.clone();
                        above.patch += 1;
                        [below, v, above]
                    })
                    .collect();
                versions.push("0.0.1".parse().unwrap());
                versions.push("999.0.0".parse().unwrap());
                for version in versions {
                    let package = Package {
                        name: advisory.metadata.package.clone(),
                        version: version.clone(),
                        source: Some(crates_io.clone()),
                        checksum: None,
                        dependencies: Vec::new(),
                        replace: None,
                    };
                    let query = Query::new().package(&package).withdrawn(false);
                    let ours = ranges.iter().any(|r| r.affects(&version))
                        && applies(&Shown::of(&advisory), &package, &crates_io_key);
                    assert_eq!(
                        ours,
                        query.matches(&advisory),
                        "{} at {version}",
                        advisory.metadata.id
                    );
                    compared += 1;
                }
            }
        }
        assert!(compared > 100, "{compared}");
    }
}
