//! `[workspace.metadata.windlass.deploy.<environment>]`.

pub mod canary;
pub mod systemd;

use crate::health::HealthConfig;
use anyhow::Result;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use windlass_core::{UsageError, Workspace};

/// Where an environment's releases run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    /// This machine: a `current` link and a restart command.
    #[default]
    Host,
    /// A Docker Swarm service, updated replica by replica.
    Swarm,
}

impl EngineKind {
    /// Its name in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            EngineKind::Host => "host",
            EngineKind::Swarm => "swarm",
        }
    }
}

/// How a swarm service is updated: `update = { parallelism, delay, order, monitor }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct UpdateConfig {
    /// Replicas updated at a time (default 1).
    pub parallelism: Option<u32>,
    /// Wait between batches (default 0s).
    pub delay: Option<windlass_core::units::Duration>,
    /// `start-first` (a new task runs before the old one stops; the default) or `stop-first`.
    pub order: Option<UpdateOrder>,
    /// How long swarm watches each new task for failure (default 5s).
    pub monitor: Option<windlass_core::units::Duration>,
}

/// `update.order`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpdateOrder {
    /// Start the new task, then stop the old one.
    StartFirst,
    /// Stop the old task, then start the new one.
    StopFirst,
}

/// One environment's settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Environment {
    /// Where releases run: `host` (the default) or `swarm`.
    #[serde(default)]
    pub engine: EngineKind,
    /// Where `releases/`, `current`, the lock and the deploy log live (host).
    pub root: Option<PathBuf>,
    /// The swarm service's name (default: the environment's).
    pub service: Option<String>,
    /// The image to roll out (default: the `docker-build` image at the release's version).
    pub image: Option<String>,
    /// The service's replicas (default 1).
    pub replicas: Option<u32>,
    /// How the service is updated.
    #[serde(default)]
    pub update: UpdateConfig,
    /// The canary a swarm update with an analysis starts with.
    pub canary: Option<canary::CanaryConfig>,
    /// Ports to publish, `published:target` (host mode: every node, no routing mesh).
    #[serde(default)]
    pub publish: Vec<String>,
    /// Variables for the service's containers.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Existing swarm secrets to give the service.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// The deploy log (swarm; default `target/windlass/deploy/<env>.log`).
    pub log: Option<PathBuf>,
    /// The workspace binary to ship.
    #[serde(default, deserialize_with = "windlass_core::paths::de::file_name")]
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
    pub systemd: Option<systemd::SystemdConfig>,
    /// The minisign public key releases must be signed with (`RWQ…`, or a `.pub` file's path
    /// relative to the workspace root). Set, only a release archive whose `SHA256SUMS` carries a
    /// valid signature is deployed: anything else is refused before it moves.
    pub public_key: Option<String>,
    /// The most a release archive may unpack to, every entry counted (default `2GB`): a
    /// decompression bomb is refused before the disk fills.
    pub max_unpacked: Option<windlass_core::units::Size>,
    /// After the health gate, how long the release stays under watch (health polled, the
    /// analysis evaluated) before it counts as baked; a failure inside it rolls back.
    pub bake: Option<windlass_core::units::Duration>,
    /// Metric analysis against Prometheus during the watch.
    pub analysis: Option<crate::gate::analysis::AnalysisConfig>,
    /// Webhooks told of each phase of a deploy.
    #[serde(default)]
    pub notify: Vec<crate::notify::NotifyConfig>,
    /// Commands run before a deploy, after it, and after a rollback.
    #[serde(default)]
    pub hooks: crate::notify::HooksConfig,
    /// The environment whose baked release is the only thing this one deploys
    /// (`deploy --promote NAME`); a deploy without it is refused.
    pub promote_from: Option<String>,
}

/// All environments, by name.
pub type Environments = BTreeMap<String, Environment>;

/// The config section of the deploy tasks.
pub const SECTION: &str = "deploy";

/// The named environment; an unknown one is a usage error listing the known ones.
pub fn environment(ws: &Workspace, name: &str) -> Result<Environment> {
    let all: Environments = ws.config.section(SECTION)?;
    pick(&all, ws, name)
}

/// The environment `name` of `all`, or the error listing the known ones.
pub fn pick(all: &Environments, ws: &Workspace, name: &str) -> Result<Environment> {
    all.get(name).cloned().ok_or_else(|| {
        let known: Vec<&str> = all.keys().map(String::as_str).collect();
        UsageError::new(format!(
            "no [{}.deploy.{name}] in {}",
            ws.config.table_name(),
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
