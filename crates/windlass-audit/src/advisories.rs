//! Matching the lockfile's packages against the advisories, as cargo-audit does: same query,
//! same kinds, withdrawn advisories skipped, ignores honoured (by id or alias).

use crate::database::Database;
use crate::lockfile::Lock;
use crate::policy::Ignored;
use anyhow::Result;
use rustsec::Advisory;
use rustsec::advisory::Informational;
use rustsec::database::Query;
use rustsec::package::Package;
use serde::Serialize;

/// What an advisory says about a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A vulnerability: always fails.
    Vulnerability,
    /// The crate is no longer maintained.
    Unmaintained,
    /// The crate has unsound code.
    Unsound,
    /// Something worth knowing.
    Notice,
}

impl Kind {
    /// The lowercase name (`--deny unmaintained`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Vulnerability => "vulnerability",
            Kind::Unmaintained => "unmaintained",
            Kind::Unsound => "unsound",
            Kind::Notice => "notice",
        }
    }
}

/// One advisory matching one package.
#[derive(Debug, Clone)]
pub struct Finding {
    /// What kind.
    pub kind: Kind,
    /// The advisory.
    pub advisory: Advisory,
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

/// Scans every crates.io package of `lock`.
pub fn scan(db: &mut Database, lock: &Lock, ignore: &[Ignored]) -> Result<Scan> {
    let mut out = Scan::default();
    let mut used = vec![false; ignore.len()];
    for package in &lock.lockfile.packages {
        // cargo-audit checks packages of the default registry only; advisories are about them.
        if !package
            .source
            .as_ref()
            .is_some_and(|s| s.is_default_registry())
        {
            continue;
        }
        out.checked += 1;
        let query = Query::new().package(package).withdrawn(false);
        for advisory in db.advisories_for(package.name.as_str(), &package.version)? {
            if !query.matches(advisory) {
                continue;
            }
            let kind = match &advisory.metadata.informational {
                None => Kind::Vulnerability,
                Some(Informational::Unmaintained) => Kind::Unmaintained,
                Some(Informational::Unsound) => Kind::Unsound,
                Some(Informational::Notice) => Kind::Notice,
                Some(_) => continue,
            };
            let ids: Vec<&str> = std::iter::once(advisory.metadata.id.as_str())
                .chain(advisory.metadata.aliases.iter().map(|a| a.as_str()))
                .collect();
            if let Some(i) = ignore
                .iter()
                .position(|entry| ids.contains(&entry.id.as_str()))
            {
                used[i] = true;
                out.ignored.push((
                    advisory.metadata.id.to_string(),
                    format!("{} {}", package.name, package.version),
                ));
                continue;
            }
            out.findings.push(Finding {
                kind,
                advisory: advisory.clone(),
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
