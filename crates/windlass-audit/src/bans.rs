//! `[bans]` and `[sources]` of `deny.toml`, with cargo-deny's meaning, so that one policy
//! file serves both tools:
//! - denied crates (by name and version; allowed when every direct dependent is one of their
//!   `wrappers`), an `allow` list, duplicate versions (`multiple-versions`, with `skip`,
//!   `skip-tree` and `depth`, dev-only crates left out unless
//!   `multiple-versions-include-dev`), wildcard requirements (`allow-wildcard-paths`);
//! - sources: registries other than `allow-registry` (crates.io by default) and git
//!   repositories other than `allow-git`, `private` prefixes or `allow-org` organisations.
//!
//! Each finding names the waiver id that would accept it (`ban:openssl`, `duplicate:syn`,
//! `wildcard:x`, `source:URL`) and the config entry it breaks.

use crate::graph::Graph;
use crate::spec::{Entry, Written};
use serde::Deserialize;
use std::collections::BTreeMap;

/// What a rule does when broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Nothing.
    Allow,
    /// A warning; fails only with `--deny warnings`.
    #[default]
    Warn,
    /// An error.
    Deny,
}

/// `[bans]`, as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct BansSection {
    #[serde(default)]
    multiple_versions: Level,
    #[serde(default)]
    multiple_versions_include_dev: bool,
    /// `allow` unless set: cargo-deny's own default (its documentation says `warn`).
    #[serde(default = "allow")]
    wildcards: Level,
    #[serde(default)]
    allow_wildcard_paths: bool,
    #[serde(default)]
    deny: Vec<Written>,
    #[serde(default)]
    allow: Vec<Written>,
    #[serde(default)]
    skip: Vec<Written>,
    #[serde(default)]
    skip_tree: Vec<Written>,
}

/// `[sources]`, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct SourcesSection {
    #[serde(default)]
    unknown_registry: Level,
    #[serde(default)]
    unknown_git: Level,
    #[serde(default = "crates_io")]
    allow_registry: Vec<String>,
    #[serde(default)]
    allow_git: Vec<String>,
    #[serde(default)]
    private: Vec<String>,
    #[serde(default)]
    allow_org: AllowOrg,
}

/// `[sources.allow-org]`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AllowOrg {
    #[serde(default)]
    github: Vec<String>,
    #[serde(default)]
    gitlab: Vec<String>,
    #[serde(default)]
    bitbucket: Vec<String>,
}

/// crates.io's index, as cargo-deny names it.
pub const CRATES_IO: &str = "https://github.com/rust-lang/crates.io-index";

fn allow() -> Level {
    Level::Allow
}

fn crates_io() -> Vec<String> {
    vec![CRATES_IO.to_string()]
}

/// The bans policy, checked.
#[derive(Debug, Clone)]
pub struct Bans {
    multiple_versions: Level,
    include_dev: bool,
    wildcards: Level,
    allow_wildcard_paths: bool,
    deny: Vec<Entry>,
    allow: Vec<Entry>,
    skip: Vec<Entry>,
    skip_tree: Vec<Entry>,
}

/// The sources policy.
#[derive(Debug, Clone)]
pub struct Sources {
    section: SourcesSection,
}

/// A broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The waiver id that accepts it: `ban:NAME`, `duplicate:NAME`, `wildcard:NAME`,
    /// `not-allowed:NAME`, `source:URL`, `stale-skip:SPEC`.
    pub id: String,
    /// How serious.
    pub level: Level,
    /// The package it is placed at (an index into the graph); `None`: at the config entry.
    pub node: Option<usize>,
    /// What is wrong, and what to do.
    pub message: String,
    /// The config entry it breaks, as written (to find its line), or the key.
    pub config: String,
}

fn entries(written: &[Written], what: &str) -> Result<Vec<Entry>, String> {
    written
        .iter()
        .map(|w| w.entry().map_err(|e| format!("[bans] {what}: {e}")))
        .collect()
}

impl BansSection {
    /// The policy, its package specs checked.
    pub fn policy(&self) -> Result<Bans, String> {
        Ok(Bans {
            multiple_versions: self.multiple_versions,
            include_dev: self.multiple_versions_include_dev,
            wildcards: self.wildcards,
            allow_wildcard_paths: self.allow_wildcard_paths,
            deny: entries(&self.deny, "deny")?,
            allow: entries(&self.allow, "allow")?,
            skip: entries(&self.skip, "skip")?,
            skip_tree: entries(&self.skip_tree, "skip-tree")?,
        })
    }
}

impl SourcesSection {
    /// The policy.
    pub fn policy(&self) -> Sources {
        Sources {
            section: self.clone(),
        }
    }
}

impl Bans {
    /// Every broken rule of `graph`, in package order.
    pub fn check(&self, graph: &Graph) -> Vec<Finding> {
        let mut out = Vec::new();
        self.denied(graph, &mut out);
        self.not_allowed(graph, &mut out);
        self.duplicates(graph, &mut out);
        self.wildcard_requirements(graph, &mut out);
        out
    }

    fn denied(&self, graph: &Graph, out: &mut Vec<Finding>) {
        for (i, node) in graph.nodes.iter().enumerate() {
            for entry in self
                .deny
                .iter()
                .filter(|e| e.spec.matches_parts(&node.name, &node.version))
            {
                if entry.deny_multiple_versions {
                    continue;
                }
                let parents: Vec<&str> = graph
                    .dependents(i)
                    .into_iter()
                    .map(|p| graph.nodes[p].name.as_str())
                    .collect();
                if !entry.wrappers.is_empty()
                    && !parents.is_empty()
                    && parents
                        .iter()
                        .all(|p| entry.wrappers.iter().any(|w| w == p))
                {
                    continue;
                }
                let mut message = format!(
                    "{} {} is denied by [bans] deny `{}`",
                    node.name, node.version, entry.spec.written
                );
                if let Some(reason) = &entry.reason {
                    message.push_str(&format!(": {reason}"));
                }
                if let Some(instead) = &entry.use_instead {
                    message.push_str(&format!("; use `{instead}` instead"));
                }
                if !entry.wrappers.is_empty() {
                    let outside: Vec<&str> = parents
                        .iter()
                        .copied()
                        .filter(|p| !entry.wrappers.iter().any(|w| w == p))
                        .collect();
                    message.push_str(&format!(
                        "\nallowed only through {}; also depended on by {}",
                        entry.wrappers.join(", "),
                        outside.join(", ")
                    ));
                }
                out.push(Finding {
                    id: format!("ban:{}", node.name),
                    level: Level::Deny,
                    node: Some(i),
                    message,
                    config: entry.spec.written.clone(),
                });
            }
        }
    }

    fn not_allowed(&self, graph: &Graph, out: &mut Vec<Finding>) {
        if self.allow.is_empty() {
            return;
        }
        for (i, node) in graph.nodes.iter().enumerate() {
            if node.member
                || self
                    .allow
                    .iter()
                    .any(|e| e.spec.matches_parts(&node.name, &node.version))
            {
                continue;
            }
            out.push(Finding {
                id: format!("not-allowed:{}", node.name),
                level: Level::Deny,
                node: Some(i),
                message: format!(
                    "{} {} is not in [bans] allow, which lists every crate the workspace may use",
                    node.name, node.version
                ),
                config: "allow".into(),
            });
        }
    }

    // Long: cargo-deny's duplicate rules in its order (skip, skip-tree, workspace members, dev)
    // over one pass of the graph, kept together so the verdicts stay comparable with cargo-deny's.
    fn duplicates(&self, graph: &Graph, out: &mut Vec<Finding>) {
        let shipped = if self.include_dev {
            (0..graph.nodes.len()).collect()
        } else {
            graph.without_dev()
        };
        let mut tree_skipped = std::collections::BTreeSet::new();
        for entry in &self.skip_tree {
            for (i, node) in graph.nodes.iter().enumerate() {
                if entry.spec.matches_parts(&node.name, &node.version) {
                    tree_skipped.extend(graph.tree(i, entry.depth));
                }
            }
        }
        let mut skip_used = vec![false; self.skip.len()];
        let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        // A workspace member that shares a registry crate's name (a fork, a vendored
        // `tracing 0.0.0`) is the workspace's own, never a second version of it.
        for i in shipped.into_iter().filter(|&i| !graph.nodes[i].member) {
            by_name
                .entry(graph.nodes[i].name.as_str())
                .or_default()
                .push(i);
        }
        for (name, mut versions) in by_name {
            if versions.len() < 2 {
                continue;
            }
            // A crate whose only dependents are other versions of itself (the semver trick)
            // is not a duplicate anyone chose.
            versions.retain(|&i| {
                let dependents = graph.dependents(i);
                dependents.is_empty() || !dependents.iter().all(|&d| graph.nodes[d].name == name)
            });
            let counted: Vec<usize> = versions
                .iter()
                .copied()
                .filter(|&i| {
                    let node = &graph.nodes[i];
                    let skipped = self
                        .skip
                        .iter()
                        .position(|e| e.spec.matches_parts(&node.name, &node.version));
                    if let Some(at) = skipped {
                        skip_used[at] = true;
                    }
                    skipped.is_none() && !tree_skipped.contains(&i)
                })
                .collect();
            if counted.len() < 2 {
                continue;
            }
            let denied_here = self.deny.iter().any(|e| {
                e.deny_multiple_versions
                    && counted
                        .iter()
                        .any(|&i| e.spec.matches_parts(name, &graph.nodes[i].version))
            });
            let level = if denied_here {
                Level::Deny
            } else {
                self.multiple_versions
            };
            if level == Level::Allow {
                continue;
            }
            let listed: Vec<String> = counted
                .iter()
                .map(|&i| graph.nodes[i].version.to_string())
                .collect();
            out.push(Finding {
                id: format!("duplicate:{name}"),
                level,
                node: Some(counted[0]),
                message: format!(
                    "{name} is in the graph in {} versions: {}\nunify them (`cargo update -p {name}`, or upgrade the crates that pull in the old one), or list a version in [bans] skip",
                    counted.len(),
                    listed.join(", ")
                ),
                config: "multiple-versions".into(),
            });
        }
        for (entry, used) in self.skip.iter().zip(skip_used) {
            if !used {
                out.push(Finding {
                    id: format!("stale-skip:{}", entry.spec.written),
                    level: Level::Warn,
                    node: None,
                    message: format!(
                        "[bans] skip `{}` matches no duplicate: remove it",
                        entry.spec.written
                    ),
                    config: entry.spec.written.clone(),
                });
            }
        }
    }

    fn wildcard_requirements(&self, graph: &Graph, out: &mut Vec<Finding>) {
        if self.wildcards == Level::Allow {
            return;
        }
        for (i, node) in graph.nodes.iter().enumerate() {
            if node
                .source
                .as_deref()
                .is_some_and(|s| s.starts_with("git+"))
            {
                continue;
            }
            for dep in &node.declared {
                if dep.req != semver::VersionReq::STAR || dep.name == node.name {
                    continue;
                }
                if self.allow_wildcard_paths && !dep.registry && (node.private || dep.dev) {
                    continue;
                }
                out.push(Finding {
                    id: format!("wildcard:{}", dep.name),
                    level: self.wildcards,
                    node: Some(i),
                    message: format!(
                        "{} {} depends on `{}` with a wildcard requirement (`*`): any version, including a breaking one, may be used; give a version{}",
                        node.name,
                        node.version,
                        dep.name,
                        if dep.registry {
                            ""
                        } else {
                            " (or `allow-wildcard-paths = true` for path dependencies of private crates)"
                        }
                    ),
                    config: "wildcards".into(),
                });
            }
        }
    }
}

impl Sources {
    /// Every package from a source the policy does not allow.
    pub fn check(&self, graph: &Graph) -> Vec<Finding> {
        let s = &self.section;
        let mut out = Vec::new();
        for (i, node) in graph.nodes.iter().enumerate() {
            let Some(source) = &node.source else {
                continue;
            };
            if let Some(url) = registry_url(source) {
                let allowed = s.allow_registry.iter().any(|a| same_url(a, &url));
                if !allowed && s.unknown_registry != Level::Allow {
                    out.push(Finding {
                        id: format!("source:{url}"),
                        level: s.unknown_registry,
                        node: Some(i),
                        message: format!(
                            "{} {} comes from the registry {url}, which [sources] allow-registry does not list",
                            node.name, node.version
                        ),
                        config: "unknown-registry".into(),
                    });
                }
            } else if let Some(url) = git_url(source) {
                let org = org_of(&url);
                let allowed = s.allow_git.iter().any(|a| same_url(a, &url))
                    || s.private
                        .iter()
                        .any(|p| url.starts_with(p.trim_end_matches('/')))
                    || org.as_ref().is_some_and(|(host, org)| {
                        let list = match host.as_str() {
                            "github.com" => &s.allow_org.github,
                            "gitlab.com" => &s.allow_org.gitlab,
                            "bitbucket.org" => &s.allow_org.bitbucket,
                            _ => return false,
                        };
                        list.iter().any(|o| o.eq_ignore_ascii_case(org))
                    });
                if !allowed && s.unknown_git != Level::Allow {
                    out.push(Finding {
                        id: format!("source:{url}"),
                        level: s.unknown_git,
                        node: Some(i),
                        message: format!(
                            "{} {} comes from the git repository {url}, which neither [sources] allow-git nor allow-org lists",
                            node.name, node.version
                        ),
                        config: "unknown-git".into(),
                    });
                }
            }
        }
        out
    }
}

/// A registry source's index URL; crates.io's sparse index counts as crates.io.
fn registry_url(source: &str) -> Option<String> {
    let url = source
        .strip_prefix("registry+")
        .or_else(|| source.strip_prefix("sparse+"))?;
    if url.trim_end_matches('/') == "https://index.crates.io" {
        return Some(CRATES_IO.into());
    }
    Some(url.to_string())
}

/// A git source's repository URL, without the query, fragment and `.git`.
fn git_url(source: &str) -> Option<String> {
    let url = source.strip_prefix("git+")?;
    let url = url.split(['?', '#']).next().unwrap_or(url);
    Some(
        url.trim_end_matches('/')
            .trim_end_matches(".git")
            .to_string(),
    )
}

fn same_url(a: &str, b: &str) -> bool {
    let norm = |u: &str| {
        u.trim_end_matches('/')
            .trim_end_matches(".git")
            .to_ascii_lowercase()
    };
    norm(a) == norm(b)
}

/// (host, organisation) of an `https://host/org/repo` URL.
fn org_of(url: &str) -> Option<(String, String)> {
    let rest = url.split_once("://")?.1;
    let mut parts = rest.split('/');
    let host = parts.next()?.to_ascii_lowercase();
    let org = parts.next()?.to_string();
    Some((host, org))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Node;

    fn node(name: &str, version: &str, member: bool, deps: Vec<(usize, bool)>) -> Node {
        Node {
            name: name.into(),
            version: version.parse().unwrap(),
            source: (!member).then(|| format!("registry+{CRATES_IO}")),
            member,
            private: false,
            deps,
            declared: Vec::new(),
            manifest: None,
        }
    }

    #[test]
    fn a_workspace_member_is_never_a_duplicate_of_a_registry_crate() {
        let bans = toml::from_str::<BansSection>("multiple-versions = \"deny\"")
            .unwrap()
            .policy()
            .unwrap();
        // app → tracing 0.1.44 and app → a; the workspace's own `tracing 0.0.0` beside them.
        let graph = Graph {
            nodes: vec![
                node("app", "0.1.0", true, vec![(1, false), (3, false)]),
                node("tracing", "0.1.44", false, Vec::new()),
                node("tracing", "0.0.0", true, Vec::new()),
                node("a", "1.0.0", false, vec![(4, false)]),
                node("tracing", "0.1.30", false, Vec::new()),
            ],
        };
        let found = bans.check(&graph);
        let duplicates: Vec<&str> = found
            .iter()
            .filter(|f| f.id.starts_with("duplicate:"))
            .map(|f| f.message.as_str())
            .collect();
        assert_eq!(duplicates.len(), 1, "{found:?}");
        assert!(duplicates[0].contains("in 2 versions"), "{duplicates:?}");
        assert!(!duplicates[0].contains("0.0.0"), "{duplicates:?}");
    }

    #[test]
    fn sources_read_like_cargo_writes_them() {
        assert_eq!(
            registry_url("sparse+https://index.crates.io/").as_deref(),
            Some(CRATES_IO)
        );
        assert_eq!(
            registry_url("registry+https://github.com/rust-lang/crates.io-index").as_deref(),
            Some(CRATES_IO)
        );
        assert_eq!(
            git_url("git+https://github.com/acme/fork.git?branch=fix#0123abcd").as_deref(),
            Some("https://github.com/acme/fork")
        );
        assert_eq!(
            org_of("https://github.com/acme/fork"),
            Some(("github.com".into(), "acme".into()))
        );
    }
}
