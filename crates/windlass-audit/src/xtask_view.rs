//! The project's own dependency graph, without the xtask's: packages only windlass brings in
//! (windlass and its tree, where an xtask that is a workspace member depends on it) are its
//! automation's, audited by that automation's own CI, not findings of the project. Left out
//! by default, said so, and put back with `--include-xtask`.

use crate::lockfile::Lock;
use anyhow::Result;
use cargo_metadata::Metadata;
use std::collections::{HashSet, VecDeque};
use windlass_core::{Session, Workspace};

/// What the audit leaves out.
#[derive(Debug, Default, Clone)]
pub struct LeftOut {
    /// The members that depend on windlass (the xtask).
    pub xtasks: Vec<String>,
    /// Every package only they reach (themselves included), as `(name, version)`.
    pub packages: HashSet<(String, String)>,
}

impl LeftOut {
    /// Whether `name version` is left out.
    pub fn contains(&self, name: &str, version: &str) -> bool {
        self.packages
            .contains(&(name.to_string(), version.to_string()))
    }

    /// `metadata` without the left-out packages (nor the xtask among the members).
    pub fn filter_metadata(&self, metadata: &Metadata) -> Metadata {
        let mut view = metadata.clone();
        let out =
            |p: &cargo_metadata::Package| self.contains(p.name.as_str(), &p.version.to_string());
        let dropped: HashSet<cargo_metadata::PackageId> = view
            .packages
            .iter()
            .filter(|p| out(p))
            .map(|p| p.id.clone())
            .collect();
        view.packages.retain(|p| !dropped.contains(&p.id));
        view.workspace_members.retain(|id| !dropped.contains(id));
        if let Some(resolve) = &mut view.resolve {
            resolve.nodes.retain(|n| !dropped.contains(&n.id));
            for node in &mut resolve.nodes {
                node.deps.retain(|d| !dropped.contains(&d.pkg));
                node.dependencies.retain(|d| !dropped.contains(d));
            }
        }
        view
    }
}

/// The packages of `lock` that only windlass brings in — reached from no workspace member
/// but through a `windlass` package that is not itself a member (the dependency of an xtask
/// member) — `None` when there is none. The xtask's own other dependencies stay: they are the
/// project's choice.
pub fn xtask_only(ws: &Workspace, session: &mut Session, lock: &Lock) -> Result<Option<LeftOut>> {
    let packages = &lock.lockfile.packages;
    // Without a windlass package, nothing to leave out: spare the workspace's metadata.
    if !packages.iter().any(|p| p.name.as_str() == WINDLASS) {
        return Ok(None);
    }
    let members: Vec<(String, String)> = ws
        .members(session)?
        .iter()
        .map(|p| (p.name.to_string(), p.version.to_string()))
        .collect();
    let is_member =
        |name: &str, version: &str| members.iter().any(|(n, v)| n == name && v == version);
    let index = |name: &str, version: &str| {
        packages
            .iter()
            .position(|p| p.name.as_str() == name && p.version.to_string() == version)
    };
    let mut reached = vec![false; packages.len()];
    let mut queue: VecDeque<usize> = members.iter().filter_map(|(n, v)| index(n, v)).collect();
    for &i in &queue {
        reached[i] = true;
    }
    while let Some(i) = queue.pop_front() {
        for dep in &packages[i].dependencies {
            let (name, version) = (dep.name.as_str(), dep.version.to_string());
            if name == WINDLASS && !is_member(name, &version) {
                continue;
            }
            if let Some(d) = index(name, &version)
                && !reached[d]
            {
                reached[d] = true;
                queue.push_back(d);
            }
        }
    }
    let left: HashSet<(String, String)> = packages
        .iter()
        .zip(&reached)
        .filter(|(_, reached)| !**reached)
        .map(|(p, _)| (p.name.to_string(), p.version.to_string()))
        .collect();
    let through: Vec<String> = packages
        .iter()
        .filter(|p| {
            p.dependencies.iter().any(|d| d.name.as_str() == WINDLASS)
                && is_member(p.name.as_str(), &p.version.to_string())
        })
        .map(|p| p.name.to_string())
        .collect();
    Ok((!left.is_empty()).then_some(LeftOut {
        xtasks: through,
        packages: left,
    }))
}

/// The crate whose tree is the xtask's, not the project's.
const WINDLASS: &str = "windlass";
