//! windlass's deploy safety: a bad release is detected and the previous one serves again,
//! automatically, with every step logged.
//!
//! - [`health`]: `health-check`, the gate every switch goes through;
//! - [`validate`]: `validate-config`, what the host must provide, checked before any change;
//! - [`deploy`]: `deploy` (release directory, atomic switch, restart, health gate, automatic
//!   rollback, lock, pruning, deploy log and `--stats`) and `rollback`;
//! - [`systemd`]: `systemd-unit`, a hardened unit running the `current` release.

pub mod config;
pub mod deploy;
pub mod health;
pub mod releases;
pub mod systemd;
pub mod validate;

use anyhow::Result;
use windlass_core::Plan;
use windlass_core::{Session, Step, StepOutcome, Workspace};

/// The `health-check` step.
#[derive(Debug, Clone)]
pub struct HealthCheck {
    /// How to check.
    pub options: health::HealthOptions,
}

impl Step for HealthCheck {
    fn name(&self) -> &str {
        "health-check"
    }

    fn plan(&self, _ws: &Workspace, _session: &mut Session) -> Result<Plan> {
        Ok(Plan::describe(format!(
            "GET {} until healthy, for at most {:.0}s",
            self.options.url,
            self.options.deadline.as_secs_f64()
        )))
    }

    fn run(&self, _ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        let outcome = health::wait_healthy(session, "health-check", &self.options)?;
        let summary = format!(
            "{} attempts in {:.2}s",
            outcome.attempts,
            outcome.elapsed.as_secs_f64()
        );
        if outcome.healthy {
            Ok(StepOutcome::passed(format!("healthy after {summary}")))
        } else {
            Ok(StepOutcome::failed(
                format!(
                    "not healthy after {summary}: {}",
                    outcome.last_reason.unwrap_or_default()
                ),
                format!("curl -sS -i {}", self.options.url),
            ))
        }
    }
}
