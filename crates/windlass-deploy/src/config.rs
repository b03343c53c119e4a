//! `[workspace.metadata.windlass.deploy.<environment>]`.

use crate::health::HealthConfig;
use anyhow::Result;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use windlass_core::{UsageError, Workspace};

/// One environment's settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Environment {
    /// Where `releases/`, `current`, the lock and the deploy log live.
    pub root: Option<PathBuf>,
    /// The workspace binary to ship.
    pub bin: Option<String>,
    /// The cargo profile to build it with (default `release`).
    pub profile: Option<String>,
    /// Run after each switch, e.g. `["systemctl", "restart", "svc"]`.
    #[serde(default)]
    pub restart: Vec<String>,
    /// The health gate.
    #[serde(default)]
    pub health: HealthConfig,
    /// Releases to keep (default 5; never the current or the previous one).
    pub keep: Option<usize>,
    /// Environment variables that must be set and non-empty.
    #[serde(default)]
    pub required_env: Vec<String>,
    /// Files that must exist and parse as TOML.
    #[serde(default)]
    pub config_files: Vec<PathBuf>,
    /// `host:port`s that must accept a TCP connection.
    #[serde(default)]
    pub reachable: Vec<String>,
    /// The systemd unit's settings.
    #[serde(default)]
    pub systemd: Option<crate::systemd::SystemdConfig>,
    /// The minisign public key releases must be signed with (`RWQ…`, or a `.pub` file's path
    /// relative to the workspace root). Set, only a release archive whose `SHA256SUMS` carries a
    /// valid signature is deployed: anything else is refused before it moves.
    pub public_key: Option<String>,
}

/// All environments, by name.
pub type Environments = BTreeMap<String, Environment>;

/// The named environment; an unknown one is a usage error listing the known ones.
pub fn environment(ws: &Workspace, name: &str) -> Result<Environment> {
    let all: Environments = ws.config.section("deploy")?;
    all.get(name).cloned().ok_or_else(|| {
        let known: Vec<&str> = all.keys().map(String::as_str).collect();
        UsageError::new(format!(
            "no [workspace.metadata.windlass.deploy.{name}] in {}",
            ws.config.manifest().display()
        ))
        .hint(if known.is_empty() {
            "add the section: root, bin, restart, health".to_string()
        } else {
            format!("the environments are: {}", known.join(", "))
        })
        .into()
    })
}

impl Environment {
    /// The root, required for deploy and rollback; relative paths are from the workspace.
    pub fn root(&self, ws: &Workspace, env: &str) -> Result<PathBuf> {
        let root = self.root.clone().ok_or_else(|| {
            UsageError::new(format!(
                "[workspace.metadata.windlass.deploy.{env}] has no `root`"
            ))
            .hint("set root = \"/opt/svc\": releases and the `current` link live there")
        })?;
        Ok(if root.is_absolute() {
            root
        } else {
            ws.root.join(root)
        })
    }

    /// Releases to keep.
    pub fn keep(&self) -> usize {
        self.keep.unwrap_or(5).max(2)
    }
}
