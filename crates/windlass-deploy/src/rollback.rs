//! `rollback`: back to the newest release that passed its gate (never one that failed it,
//! unless named and forced), switched to, restarted and health-gated like a deploy.

use crate::deploy::{Rollback, engine};
use crate::engine::{Engine, Release, Timings};
use crate::flow::{Flow, guarded};
use crate::ledger::{Ledger, Verdict};
use crate::record::{Record, decide};
use anyhow::Result;
use std::time::SystemTime;
use windlass_core::{Plan, Session, Step, StepOutcome, UsageError, Workspace};

impl Step for Rollback {
    fn name(&self) -> &str {
        crate::names::ROLLBACK
    }

    fn plan(&self, _ws: &Workspace, _session: &mut Session) -> Result<Plan> {
        Ok(Plan::describe(format!(
            "switch {} back to {}, health gate",
            self.env_name,
            self.to.as_deref().unwrap_or("the previous release")
        )))
    }

    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        let started = SystemTime::now();
        let mut engine = engine(ws, session, &self.env_name, &self.env, None, None, false)?;
        engine.lock(session)?;
        let flow = Flow {
            env_name: &self.env_name,
            env: &self.env,
            started,
            keep_on_interrupt: false,
            promoted_from: None,
        };
        let result = Ledger::load(&engine.ledger(), &engine.log()).and_then(|mut ledger| {
            rollback(
                engine.as_mut(),
                session,
                &flow,
                (self.to.as_deref(), self.force),
                &mut ledger,
            )
        });
        engine.unlock(session);
        result
    }
}

/// The release a rollback goes to: `to` when named (refused, unless forced, when the ledger
/// says it failed its gate), else the newest release that passed its gate and is not live.
fn rollback_target(
    engine: &mut dyn Engine,
    session: &mut Session,
    env_name: &str,
    (to, force): (Option<&str>, bool),
    ledger: &Ledger,
) -> Result<String> {
    let live = engine.live(session)?;
    let known = || -> String {
        let ids: Vec<String> = ledger
            .releases
            .iter()
            .rev()
            .filter(|e| !e.pruned)
            .map(|e| format!("{} ({})", e.id, e.verdict.as_str()))
            .collect();
        if ids.is_empty() {
            "the ledger records none".into()
        } else {
            format!("the releases are: {}", ids.join(", "))
        }
    };
    if let Some(to) = to {
        let entry = ledger.get(to);
        if !engine.restorable(session, to, entry.and_then(|e| e.image.as_deref()))? {
            return Err(UsageError::new(format!("no release {to} in {env_name}"))
                .hint(known())
                .into());
        }
        if let Some(entry) = entry.filter(|e| !e.verdict.passed()) {
            let why = if entry.reasons.is_empty() {
                String::new()
            } else {
                format!(": {}", entry.reasons.join("; "))
            };
            if !force {
                return Err(UsageError::new(format!(
                    "{to} did not pass its gate in {env_name} (ledger: {}{why})",
                    entry.verdict.as_str()
                ))
                .kind(windlass_core::error::ErrorKind::Refused)
                .hint(format!(
                    "go back to it anyway with `cargo xtask rollback --env {env_name} --to {to} --force`; {}",
                    known()
                ))
                .into());
            }
            session.message(
                windlass_core::Severity::Warning,
                format!(
                    "going back to {to}, which did not pass its gate (ledger: {}), because --force says so",
                    entry.verdict.as_str()
                ),
            );
        }
        return Ok(to.to_string());
    }
    let candidates: Vec<(String, Option<String>)> = ledger
        .candidates(live.as_deref())
        .map(|e| (e.id.clone(), e.image.clone()))
        .collect();
    for (id, image) in candidates {
        if engine.restorable(session, &id, image.as_deref())? {
            return Ok(id);
        }
    }
    Err(UsageError::new(format!(
        "no release of {env_name} besides the live one passed its health gate: nothing to roll back to"
    ))
    .hint(format!(
        "name one with --to RELEASE (--force for one that failed); {}",
        known()
    ))
    .into())
}

/// The rollback flow, under the lock.
fn rollback(
    engine: &mut dyn Engine,
    session: &mut Session,
    flow: &Flow<'_>,
    to: (Option<&str>, bool),
    ledger: &mut Ledger,
) -> Result<StepOutcome> {
    let (env_name, started) = (flow.env_name, flow.started);
    let target = rollback_target(engine, session, env_name, to, ledger)?;
    let mut timings = Timings::default();
    // Going back is itself recovery: it finishes even when interrupted.
    let activated =
        session.recovering(|session| guarded(|| engine.activate(session, &target, &mut timings)));
    let healthy = matches!(activated, Ok(true));
    if healthy {
        // Proven healthy again here: whatever an old record said, it passed its gate now.
        decide(session, ledger, &target, Verdict::Healthy, Vec::new());
    } else {
        decide(
            session,
            ledger,
            &target,
            Verdict::Unhealthy,
            vec!["it was not healthy when rolled back to".into()],
        );
    }
    engine.settle(session, healthy, None, ledger);
    Record {
        kind: crate::names::ROLLBACK,
        env: env_name,
        release: &target,
        commit: "",
        dirty: false,
        started,
        log: engine.log(),
        commit_time: None,
    }
    .write(
        &timings,
        if healthy { "success" } else { "failed" },
        true,
        &[],
    );
    let entry = ledger.get(&target);
    let release = Release {
        id: target.clone(),
        version: entry.map(|e| e.version.clone()).unwrap_or_default(),
        commit: entry.map(|e| e.commit.clone()).unwrap_or_default(),
        ..Release::default()
    };
    let verdict = if healthy { "rolled-back" } else { "failed" };
    flow.after_rollback(session, &release, verdict, healthy);
    if let Err(err) = activated {
        return Err(err.context(format!("rolling back {env_name} to {target}")));
    }
    if healthy {
        Ok(StepOutcome::passed(format!("{target} is live and healthy")))
    } else {
        Ok(StepOutcome::failed(
            format!("{target} is live but NOT healthy"),
            format!("cargo xtask rollback --env {env_name} --to RELEASE"),
        ))
    }
}
