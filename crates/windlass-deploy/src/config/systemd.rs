//! `[...deploy.<env>.systemd]`: the generated unit's settings.

use serde::Deserialize;

/// `[...deploy.<env>.systemd]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SystemdConfig {
    /// The unit's description.
    pub description: Option<String>,
    /// The account it runs as (default: a dynamic user).
    pub user: Option<String>,
    /// Arguments after the binary.
    #[serde(default)]
    pub args: Vec<String>,
    /// `EnvironmentFile` (secrets stay out of the unit).
    pub environment_file: Option<String>,
    /// `MemoryMax` (default 512M).
    pub memory_max: Option<String>,
    /// `CPUQuota` (default 100%).
    pub cpu_quota: Option<String>,
    /// Extra `ReadWritePaths` beyond the root.
    #[serde(default)]
    pub read_write_paths: Vec<String>,
}
