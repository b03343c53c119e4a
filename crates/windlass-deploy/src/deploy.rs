//! `deploy` and `rollback`: one flow over every engine ([`crate::engine`]) — lock, prepare,
//! validate, stage, note what runs, roll out, health gate, and on failure roll back
//! automatically and confirm the previous release healthy again. Every run appends a line to
//! the deploy log, which `--stats` reads.

use crate::config::{EngineKind, Environment};
use crate::engine::Engine;
use crate::flow::Flow;
use crate::ledger::Ledger;
use crate::promote::Promotion;
use anyhow::Result;
use std::path::PathBuf;
use std::time::SystemTime;
use windlass_core::Plan;
use windlass_core::{Session, Step, StepOutcome, UsageError, Workspace};

/// The `deploy` step.
#[derive(Debug, Clone)]
pub struct Deploy {
    /// The environment's name.
    pub env_name: String,
    /// Its settings.
    pub env: Environment,
    /// Ship this file instead of building the binary (host).
    pub artifact: Option<PathBuf>,
    /// Roll out this image instead of the configured one (swarm).
    pub image: Option<String>,
    /// Refuse to build from a work tree with uncommitted changes (host).
    pub require_clean: bool,
    /// Ctrl-C during the bake keeps the release instead of rolling it back.
    pub keep_on_interrupt: bool,
    /// Deploy exactly what this environment baked.
    pub promote: Option<String>,
}

/// The `rollback` step.
#[derive(Debug, Clone)]
pub struct Rollback {
    /// The environment's name.
    pub env_name: String,
    /// Its settings.
    pub env: Environment,
    /// The release to go back to (default: the newest one that passed its gate).
    pub to: Option<String>,
    /// Go back to `to` even when the ledger says it failed its gate.
    pub force: bool,
}

/// The engine of an environment.
pub fn engine(
    ws: &Workspace,
    session: &mut Session,
    env_name: &str,
    env: &Environment,
    artifact: Option<PathBuf>,
    image: Option<String>,
    require_clean: bool,
) -> Result<Box<dyn Engine>> {
    Ok(match env.engine {
        EngineKind::Host => {
            let mut host = crate::host::HostEngine::new(
                env_name,
                env.clone(),
                env.root(ws, env_name)?,
                artifact,
            )?;
            host.require_clean = require_clean;
            Box::new(host)
        }
        EngineKind::Swarm => Box::new(crate::swarm::SwarmEngine::new(
            ws,
            session,
            env_name,
            env.clone(),
            image,
        )?),
    })
}

/// Where an environment's deploy log is, without starting its engine (`deploy --stats`).
pub fn log_path(ws: &Workspace, env_name: &str, env: &Environment) -> Result<PathBuf> {
    Ok(match env.engine {
        EngineKind::Host => crate::releases::Layout {
            root: env.root(ws, env_name)?,
        }
        .log(),
        EngineKind::Swarm => crate::swarm::log_path(ws, env_name, env),
    })
}

/// Where an environment's ledger and log are, and the release live there (host: `current`;
/// swarm: the service's), without taking its lock: `deploy --history`.
pub fn ledger_of(
    ws: &Workspace,
    session: &mut Session,
    env_name: &str,
    env: &Environment,
) -> Result<(PathBuf, PathBuf, Option<String>)> {
    let mut engine = engine(ws, session, env_name, env, None, None, false)?;
    let live = engine.live(session).unwrap_or(None);
    Ok((engine.ledger(), engine.log(), live))
}

impl Deploy {
    /// What `--promote` resolves to; a deploy of an environment that only takes promotions
    /// (`promote-from`) without one is refused.
    fn promotion(&self, ws: &Workspace, session: &mut Session) -> Result<Option<Promotion>> {
        let source = match (&self.promote, &self.env.promote_from) {
            (Some(source), _) => source.clone(),
            (None, Some(required)) => {
                return Err(UsageError::new(format!(
                    "{} only deploys what {required} baked (`promote-from`)",
                    self.env_name
                ))
                .kind(windlass_core::error::ErrorKind::Refused)
                .hint(format!(
                    "cargo xtask deploy --env {} --promote {required}",
                    self.env_name
                ))
                .into());
            }
            (None, None) => return Ok(None),
        };
        if let Some(required) = &self.env.promote_from
            && required != &source
        {
            return Err(UsageError::new(format!(
                "{} takes promotions from {required}, not {source}",
                self.env_name
            ))
            .kind(windlass_core::error::ErrorKind::Refused)
            .into());
        }
        crate::promote::resolve(
            ws,
            session,
            (&self.env_name, &self.env),
            &source,
            self.artifact.as_deref(),
            &mut |session, name, env| ledger_of(ws, session, name, env),
        )
        .map(Some)
    }
}

impl Step for Deploy {
    fn name(&self) -> &str {
        crate::names::DEPLOY
    }

    fn plan(&self, _ws: &Workspace, _session: &mut Session) -> Result<Plan> {
        Ok(Plan::describe(format!(
            "deploy to {} ({}): validate, roll out, health gate, roll back on failure",
            self.env_name,
            self.env.engine.as_str()
        )))
    }

    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        let promotion = self.promotion(ws, session)?;
        let (artifact, image) = match &promotion {
            Some(p) => (p.artifact.clone(), p.image.clone()),
            None => (self.artifact.clone(), self.image.clone()),
        };
        let mut engine = engine(
            ws,
            session,
            &self.env_name,
            &self.env,
            artifact,
            image,
            self.require_clean,
        )?;
        let flow = Flow {
            env_name: &self.env_name,
            env: &self.env,
            started: SystemTime::now(),
            keep_on_interrupt: self.keep_on_interrupt,
            promoted_from: promotion.as_ref().map(|p| p.from.clone()),
        };
        if let Some(p) = &promotion {
            session.message(
                windlass_core::Severity::Notice,
                format!(
                    "promoting {} to {}: the artifact it baked, checked by its hash",
                    p.from, self.env_name
                ),
            );
        }
        engine.lock(session)?;
        let result = Ledger::load(&engine.ledger(), &engine.log()).and_then(|mut ledger| {
            crate::flow::deploy(engine.as_mut(), session, ws, &flow, &mut ledger)
        });
        engine.unlock(session);
        result
    }
}
