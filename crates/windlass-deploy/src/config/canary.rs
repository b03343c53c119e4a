//! `[...deploy.<env>] canary`: the swarm canary's settings.

use serde::Deserialize;

/// `canary = { replicas = 1, publish = ["18081:8080"] }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CanaryConfig {
    /// Replicas of the canary (default 1).
    pub replicas: Option<u32>,
    /// Ports the canary publishes (`published:target`, host mode), so that a Prometheus
    /// outside the swarm can scrape it; none by default (one inside scrapes it).
    #[serde(default)]
    pub publish: Vec<String>,
}
