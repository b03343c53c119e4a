//! The dependency graph the bans and sources checks walk: every package with its source,
//! whether it may be published, its resolved dependencies with their kinds, and the version
//! requirements its manifest writes — from `cargo metadata`, as cargo-deny reads it. For a
//! lone lockfile (`--file`) the lockfile's graph stands in, without kinds or manifests.

use crate::lockfile::Lock;
use cargo_metadata::{DependencyKind, Metadata};
use semver::{Version, VersionReq};
use std::collections::{BTreeSet, HashMap};

/// One package.
#[derive(Debug, Clone)]
pub struct Node {
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: Version,
    /// `registry+URL`, `sparse+URL`, `git+URL#sha`; `None` for a path package.
    pub source: Option<String>,
    /// A workspace member.
    pub member: bool,
    /// `publish = false`.
    pub private: bool,
    /// Resolved dependencies: the node, and whether the edge is a dev-dependency only.
    pub deps: Vec<(usize, bool)>,
    /// What the manifest asks for: name, requirement, kind, whether it resolves to a registry.
    pub declared: Vec<Declared>,
    /// The manifest, for a workspace member (to place a finding in it).
    pub manifest: Option<std::path::PathBuf>,
}

/// A dependency as a manifest declares it.
#[derive(Debug, Clone)]
pub struct Declared {
    /// The crate it names.
    pub name: String,
    /// The version requirement (`*` when none is written).
    pub req: VersionReq,
    /// Whether it is a dev-dependency.
    pub dev: bool,
    /// Whether it comes from a registry (not a path or git).
    pub registry: bool,
}

/// Every package, sorted by name and version.
#[derive(Debug, Default)]
pub struct Graph {
    /// The packages.
    pub nodes: Vec<Node>,
}

impl Graph {
    /// From `cargo metadata` with the resolved graph.
    pub fn from_metadata(metadata: &Metadata) -> Self {
        let mut nodes: Vec<Node> = metadata
            .packages
            .iter()
            .map(|p| Node {
                name: p.name.to_string(),
                version: p.version.clone(),
                source: p.source.as_ref().map(|s| s.repr.clone()),
                member: metadata.workspace_members.contains(&p.id),
                private: p.publish.as_ref().is_some_and(Vec::is_empty),
                deps: Vec::new(),
                declared: p
                    .dependencies
                    .iter()
                    .map(|d| Declared {
                        name: d.name.clone(),
                        req: d.req.clone(),
                        dev: d.kind == DependencyKind::Development,
                        registry: d.path.is_none()
                            && d.source
                                .as_ref()
                                .is_none_or(|s| !s.repr.starts_with("git+")),
                    })
                    .collect(),
                manifest: metadata
                    .workspace_members
                    .contains(&p.id)
                    .then(|| p.manifest_path.clone().into_std_path_buf()),
            })
            .collect();
        let ids: Vec<&cargo_metadata::PackageId> =
            metadata.packages.iter().map(|p| &p.id).collect();
        let index: HashMap<&cargo_metadata::PackageId, usize> =
            ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        if let Some(resolve) = &metadata.resolve {
            for node in &resolve.nodes {
                let Some(&from) = index.get(&node.id) else {
                    continue;
                };
                for dep in &node.deps {
                    let Some(&to) = index.get(&dep.pkg) else {
                        continue;
                    };
                    let dev_only = !dep.dep_kinds.is_empty()
                        && dep
                            .dep_kinds
                            .iter()
                            .all(|k| k.kind == DependencyKind::Development);
                    nodes[from].deps.push((to, dev_only));
                }
            }
        }
        Self::sorted(nodes)
    }

    /// From a lockfile alone: every edge a normal one, nothing declared, no members known but
    /// the packages with no source (path packages).
    pub fn from_lock(lock: &Lock) -> Self {
        let packages = &lock.lockfile.packages;
        let mut nodes: Vec<Node> = packages
            .iter()
            .map(|p| Node {
                name: p.name.as_str().to_string(),
                version: p.version.clone(),
                source: p.source.as_ref().map(ToString::to_string),
                member: p.source.is_none(),
                private: false,
                deps: Vec::new(),
                declared: Vec::new(),
                manifest: None,
            })
            .collect();
        for (from, p) in packages.iter().enumerate() {
            for dep in &p.dependencies {
                let to = packages
                    .iter()
                    .position(|q| q.name == dep.name && dep.version == q.version);
                if let Some(to) = to {
                    nodes[from].deps.push((to, false));
                }
            }
        }
        Self::sorted(nodes)
    }

    /// Sorts the nodes by name and version, renumbering the edges.
    fn sorted(nodes: Vec<Node>) -> Self {
        let mut order: Vec<usize> = (0..nodes.len()).collect();
        order.sort_by(|&a, &b| {
            (&nodes[a].name, &nodes[a].version).cmp(&(&nodes[b].name, &nodes[b].version))
        });
        let mut new_index = vec![0; nodes.len()];
        for (new, &old) in order.iter().enumerate() {
            new_index[old] = new;
        }
        let mut sorted: Vec<Node> = order.iter().map(|&old| nodes[old].clone()).collect();
        for node in &mut sorted {
            for (to, _) in &mut node.deps {
                *to = new_index[*to];
            }
        }
        Self { nodes: sorted }
    }

    /// The packages that depend on `index` directly.
    pub fn dependents(&self, index: usize) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].deps.iter().any(|(to, _)| *to == index))
            .collect()
    }

    /// The packages reached from the workspace members without going through a dev-only edge:
    /// what a build ships.
    pub fn without_dev(&self) -> BTreeSet<usize> {
        self.reached(false, true)
    }

    /// The packages reached from the workspace members — the unpublished ones left out as
    /// roots when `exclude_unpublished` — through normal and build edges, and dev edges too
    /// unless `exclude_dev`: cargo-deny's `[graph] exclude-unpublished` and `exclude-dev`.
    pub fn reached(&self, exclude_unpublished: bool, exclude_dev: bool) -> BTreeSet<usize> {
        let mut reached: BTreeSet<usize> = (0..self.nodes.len())
            .filter(|&i| self.nodes[i].member && !(exclude_unpublished && self.nodes[i].private))
            .collect();
        let mut pending: Vec<usize> = reached.iter().copied().collect();
        while let Some(i) = pending.pop() {
            for &(to, dev_only) in &self.nodes[i].deps {
                if !(exclude_dev && dev_only) && reached.insert(to) {
                    pending.push(to);
                }
            }
        }
        reached
    }

    /// `root` and its dependencies down to `depth` levels (`None`: all), as cargo-deny's
    /// `skip-tree` counts them (the root is level 1).
    pub fn tree(&self, root: usize, depth: Option<usize>) -> BTreeSet<usize> {
        let max = depth.unwrap_or(usize::MAX);
        let mut seen = BTreeSet::new();
        let mut pending = vec![(root, 1usize)];
        while let Some((i, level)) = pending.pop() {
            if seen.insert(i) && level < max {
                for &(to, _) in &self.nodes[i].deps {
                    pending.push((to, level + 1));
                }
            }
        }
        seen
    }
}
