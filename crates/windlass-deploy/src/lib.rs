//! windlass's deploy safety: a bad release is detected and the previous one serves again,
//! automatically, with every step logged.
//!
//! - [`health`]: `health-check`, the gate every switch goes through;
//! - [`validate`]: `validate-config`, what the host must provide, checked before any change;
//! - [`deploy`]: `deploy` and `rollback`, one flow (lock, roll out, health gate, automatic
//!   rollback, deploy log and `--stats`) over an [`engine`]: [`host`] (release directories,
//!   an atomic `current` switch, a restart command) or [`swarm`] (a Docker Swarm service);
//! - [`systemd`]: `systemd-unit`, a hardened unit running the `current` release.

pub mod canary;
pub mod codes;
pub mod config;
pub mod curl;
pub mod deploy;
pub mod engine;
mod flow;
pub mod gate;
pub mod health;
pub mod history;
pub mod host;
pub mod http;
pub mod ledger;
pub mod names;
pub mod notify;
pub mod promote;
mod record;
pub mod releases;
mod rollback;
pub mod stats;
pub mod swarm;
pub mod systemd;
pub mod task;
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
        task::HEALTH_CHECK
    }

    fn plan(&self, _ws: &Workspace, _session: &mut Session) -> Result<Plan> {
        Ok(Plan::describe(format!(
            "GET {} until healthy, for at most {:.0}s",
            self.options.url,
            self.options.deadline.as_secs_f64()
        )))
    }

    fn run(&self, _ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        let outcome = health::wait_healthy(session, task::HEALTH_CHECK, &self.options)?;
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

/// `health-check --env NAME`: an environment's health, by the gate its deploys pass.
#[derive(Debug, Clone)]
pub struct EnvironmentHealth {
    /// The environment's name.
    pub env_name: String,
    /// Its settings.
    pub env: config::Environment,
}

impl Step for EnvironmentHealth {
    fn name(&self) -> &str {
        task::HEALTH_CHECK
    }

    fn plan(&self, _ws: &Workspace, _session: &mut Session) -> Result<Plan> {
        Ok(Plan::describe(format!(
            "check the health of {} ({}) as its deploys do",
            self.env_name,
            self.env.engine.as_str()
        )))
    }

    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        let mut engine = deploy::engine(ws, session, &self.env_name, &self.env, None, None, false)?;
        Ok(if engine.healthy(session)? {
            StepOutcome::passed(format!("{} is healthy", self.env_name))
        } else {
            StepOutcome::failed(
                format!("{} is NOT healthy", self.env_name),
                format!("cargo xtask rollback --env {}", self.env_name),
            )
        })
    }
}
