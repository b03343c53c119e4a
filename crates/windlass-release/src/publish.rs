//! Publishing to the crate registry, opt-in: members in dependency order (a crate after the
//! members it depends on, dev-dependencies aside as cargo does), `publish = false` skipped,
//! and a version the registry already has counted as done, so that `--resume` can go on.

use anyhow::Result;
use cargo_metadata::{DependencyKind, Package};
use std::collections::{BTreeMap, BTreeSet};
use windlass_core::runner::Capture;
use windlass_core::{Session, UsageError};
use xshell::cmd;

/// The members to publish, in order; `Err` names a cycle.
pub fn order(members: &[&Package]) -> Result<Vec<String>> {
    let publishable: BTreeMap<&str, &Package> = members
        .iter()
        .filter(|p| {
            p.publish
                .as_ref()
                .is_none_or(|registries| !registries.is_empty())
        })
        .map(|p| (p.name.as_str(), *p))
        .collect();
    let mut done: Vec<String> = Vec::new();
    let mut placed: BTreeSet<&str> = BTreeSet::new();
    while placed.len() < publishable.len() {
        let ready: Vec<&str> = publishable
            .iter()
            .filter(|(name, _)| !placed.contains(*name))
            .filter(|(_, package)| {
                package.dependencies.iter().all(|d| {
                    d.kind == DependencyKind::Development
                        || !publishable.contains_key(d.name.as_str())
                        || placed.contains(d.name.as_str())
                        || d.name.as_str() == package.name.as_str()
                })
            })
            .map(|(name, _)| *name)
            .collect();
        if ready.is_empty() {
            let rest: Vec<&str> = publishable
                .keys()
                .filter(|n| !placed.contains(*n))
                .copied()
                .collect();
            return Err(UsageError::new(format!(
                "the members {} depend on each other: no order publishes them",
                rest.join(", ")
            ))
            .into());
        }
        for name in ready {
            placed.insert(name);
            done.push(name.to_string());
        }
    }
    Ok(done)
}

/// The registry a member is published to: the one its `publish = ["name"]` names, else
/// the default (crates.io, or the user's `registry.default`).
pub fn registry_of(package: &Package) -> Option<&str> {
    match package.publish.as_deref() {
        Some([only]) => Some(only.as_str()),
        _ => None,
    }
}

/// `cargo publish` of one member; `Ok(false)` when the registry already has this version.
pub fn publish(session: &mut Session, package: &str, registry: Option<&str>) -> Result<bool> {
    let sh = session.shell();
    let registry: Vec<&str> = registry.map(|r| vec!["--registry", r]).unwrap_or_default();
    let finished = session.run(
        cmd!(
            sh,
            "cargo publish --locked --package {package} {registry...}"
        ),
        Capture::Everything,
    )?;
    if finished.success() {
        return Ok(true);
    }
    let stderr = finished.stderr;
    if stderr.contains("already exists") || stderr.contains("already uploaded") {
        return Ok(false);
    }
    Err(UsageError::new(format!(
        "`cargo publish --package {package}` failed:\n{}",
        stderr.trim()
    ))
    .hint("fix the problem above, then `release --resume` publishes the rest")
    .into())
}
