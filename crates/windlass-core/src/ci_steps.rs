//! What `[workspace.metadata.windlass.ci]` says: the `ci` pipeline's steps, in order, with
//! their arguments. The `ci` task runs them; `release` runs them before it changes anything
//! and the workflow generator makes a job of each, so they are read here, once, for all.

use crate::task::registry::{CiEntry, Registry, StepList};
use crate::workspace::Workspace;
use anyhow::Result;
use serde::Deserialize;

/// `ci`'s config section.
pub const CI_SECTION: &str = "ci";

/// Where `ci`'s steps are written.
pub const CI_LIST: StepList = StepList {
    section: CI_SECTION,
    key: "steps",
};

/// `[workspace.metadata.windlass.ci]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CiConfig {
    /// The steps, in order (default: every task `ci` runs by default), each a task's name
    /// with the arguments to run it with (`"fmt-comments --check"`).
    pub steps: Option<Vec<String>>,
    /// Run every step even after one fails.
    #[serde(default)]
    pub keep_going: bool,
}

/// The `ci` pipeline's entries: `[ci] steps` in its order (each checked), else the
/// default tasks in registered order.
pub fn entries(registry: &Registry, ws: &Workspace) -> Result<Vec<CiEntry>> {
    let config: CiConfig = ws.config.section(CI_SECTION)?;
    let entries: Vec<CiEntry> = match config.steps {
        Some(steps) => steps.iter().map(|s| CiEntry::parse(s)).collect(),
        None => registry
            .default_ci_steps()
            .into_iter()
            .map(|name| CiEntry {
                name,
                args: Vec::new(),
            })
            .collect(),
    };
    entries
        .into_iter()
        .map(|mut entry| {
            let Some(kind) = registry.get(&entry.name) else {
                return Err(registry.unknown_step(ws, &entry.name, CI_LIST));
            };
            if entry.args.is_empty() {
                entry.args = kind.ci_args();
            }
            Ok(entry)
        })
        .collect()
}

/// The names of the `ci` pipeline's steps.
pub fn step_names(registry: &Registry, ws: &Workspace) -> Result<Vec<String>> {
    Ok(entries(registry, ws)?.into_iter().map(|e| e.name).collect())
}
