//! `deploy` and `rollback`: one flow over every engine ([`crate::engine`]) — lock, prepare,
//! validate, stage, note what runs, roll out, health gate, and on failure roll back
//! automatically and confirm the previous release healthy again. Every run appends a line to
//! the deploy log, which `--stats` reads.

use crate::config::{EngineKind, Environment};
use crate::engine::{Engine, Timings};
use crate::releases::rfc3339;
use anyhow::Result;
use serde_json::json;
use std::io::Write as _;
use std::path::{Path, PathBuf};
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
}

/// The `rollback` step.
#[derive(Debug, Clone)]
pub struct Rollback {
    /// The environment's name.
    pub env_name: String,
    /// Its settings.
    pub env: Environment,
    /// The release to go back to (default: the previous one).
    pub to: Option<String>,
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

/// What a deploy log line says of the run it records.
struct Record<'a> {
    kind: &'a str,
    env: &'a str,
    release: &'a str,
    commit: &'a str,
    dirty: bool,
    started: SystemTime,
    log: PathBuf,
}

impl Record<'_> {
    /// Appends the line: the result, whether it rolled back, and each phase's duration.
    fn write(&self, timings: &Timings, result: &str, rolled_back: bool) {
        let line = json!({
            "kind": self.kind,
            "environment": self.env,
            "release": self.release,
            "commit": self.commit,
            "dirty": self.dirty,
            "start": rfc3339(self.started),
            "durations_ms": timings.json(),
            "total_ms": u64::try_from(self.started.elapsed().unwrap_or_default().as_millis()).unwrap_or(u64::MAX),
            "result": result,
            "rolled_back": rolled_back,
        });
        // The log is a record, not a gate: failing to append must not undo a good deploy.
        let _ = append(&self.log, &line);
    }
}

fn append(path: &Path, line: &serde_json::Value) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    writeln!(file, "{line}")
}

impl Step for Deploy {
    fn name(&self) -> &str {
        crate::tasks::DEPLOY
    }

    fn plan(&self, _ws: &Workspace, _session: &mut Session) -> Result<Plan> {
        Ok(Plan::describe(format!(
            "deploy to {} ({}): validate, roll out, health gate, roll back on failure",
            self.env_name,
            self.env.engine.as_str()
        )))
    }

    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        let mut engine = engine(
            ws,
            session,
            &self.env_name,
            &self.env,
            self.artifact.clone(),
            self.image.clone(),
            self.require_clean,
        )?;
        let started = SystemTime::now();
        engine.lock(session)?;
        let result = deploy(engine.as_mut(), session, ws, &self.env_name, started);
        engine.unlock(session);
        result
    }
}

/// Runs `f`, a panic in it caught and returned as an error: the flow's boundary, past which
/// nothing may end a deploy with `current` on a release that was never proven healthy.
fn guarded<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            Err(anyhow::anyhow!(
                "windlass failed inside the deploy ({what})"
            ))
        }
    }
}

/// Why a release that was switched to does not stay.
enum Failure {
    /// Its health gate (or its restart command) said no.
    Unhealthy,
    /// Something stopped the gate itself: an error, an interrupt, a panic.
    Error(anyhow::Error),
}

/// The deploy flow, under the lock.
fn deploy(
    engine: &mut dyn Engine,
    session: &mut Session,
    ws: &Workspace,
    env_name: &str,
    started: SystemTime,
) -> Result<StepOutcome> {
    let mut timings = Timings::default();
    let release = timings.record("build", || engine.prepare(session, ws))?;
    let problems = timings.record("validate", || engine.validate(session, ws))?;
    if problems > 0 {
        return Ok(StepOutcome::failed(
            format!("{problems} requirements not met: nothing was switched"),
            format!("cargo xtask validate-config --env {env_name}"),
        ));
    }
    timings.record("copy", || engine.stage(session, &release))?;
    let previous = engine.current(session)?;
    let record = Record {
        kind: crate::tasks::DEPLOY,
        env: env_name,
        release: &release.id,
        commit: &release.commit,
        dirty: release.dirty,
        started,
        log: engine.log(),
    };
    let id = &release.id;
    // From here `current` may move: whatever happens next — an unhealthy release, a restart
    // command that cannot start, an interrupt, an error or a panic of windlass's own — the
    // deploy ends with the previous release running again, or (a first deploy) none.
    let failure = match guarded(|| engine.activate(session, id, &mut timings)) {
        Ok(true) => {
            engine.settle(session, true, previous.as_deref());
            record.write(&timings, "success", false);
            return Ok(StepOutcome::passed(format!("{id} is live and healthy")));
        }
        Ok(false) => Failure::Unhealthy,
        Err(err) => {
            session.message(
                windlass_core::Severity::Warning,
                format!("{id} was switched to, then: {err:#}; going back"),
            );
            Failure::Error(err)
        }
    };
    session.recovering(|session| {
        recover(
            engine,
            session,
            env_name,
            id,
            previous.as_deref(),
            failure,
            &record,
            timings,
        )
    })
}

/// The way back after `id` failed: the previous release switched back to, restarted and
/// health-checked, or a first release withdrawn; the journal cleared; the run logged.
#[allow(clippy::too_many_arguments)]
fn recover(
    engine: &mut dyn Engine,
    session: &mut Session,
    env_name: &str,
    id: &str,
    previous: Option<&str>,
    failure: Failure,
    record: &Record<'_>,
    mut timings: Timings,
) -> Result<StepOutcome> {
    let Some(previous) = previous else {
        let withdrawn = guarded(|| engine.withdraw(session, id));
        engine.settle(session, false, None);
        record.write(&timings, "failed", false);
        let undone = match &withdrawn {
            Ok(()) => "it was withdrawn: no `current`, as before".to_string(),
            Err(e) => format!("withdrawing it failed too: {e:#}"),
        };
        return match failure {
            Failure::Unhealthy => Ok(StepOutcome::failed(
                format!(
                    "{id} is not healthy, and there is no previous release to roll back to: {undone}"
                ),
                "fix the release and deploy again",
            )),
            Failure::Error(err) => {
                Err(err.context(format!("the first release {id} did not go live; {undone}")))
            }
        };
    };
    let mut back = Timings::default();
    let restored = guarded(|| engine.activate(session, previous, &mut back));
    timings
        .0
        .push(("rollback", back.0.iter().map(|(_, d)| *d).sum()));
    // Each phase of the way back, so that the time to recover can be told from the restart
    // command's own time.
    for (phase, took) in back.0 {
        let name = match phase {
            "switch" => "rollback_switch",
            "restart" => "rollback_restart",
            "update" => "rollback_update",
            _ => "rollback_health",
        };
        timings.0.push((name, took));
    }
    engine.settle(session, false, Some(previous));
    let healthy = matches!(restored, Ok(true));
    record.write(
        &timings,
        if healthy { "rolled_back" } else { "failed" },
        true,
    );
    let state = match &restored {
        Ok(true) => format!("rolled back to {previous}, which is healthy"),
        Ok(false) => format!("rolled back to {previous}, which is NOT healthy either"),
        Err(e) => format!("switched back to {previous}, but restarting it failed: {e:#}"),
    };
    match failure {
        Failure::Unhealthy => Ok(StepOutcome::failed(
            format!("{id} was not healthy: {state}"),
            format!(
                "see the health attempts above; `cargo xtask rollback --env {env_name}` to choose another release"
            ),
        )),
        Failure::Error(err) => Err(err.context(format!("{id} did not go live; {state}"))),
    }
}

impl Step for Rollback {
    fn name(&self) -> &str {
        crate::tasks::ROLLBACK
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
        let result = rollback(
            engine.as_mut(),
            session,
            &self.env_name,
            self.to.as_deref(),
            started,
        );
        engine.unlock(session);
        result
    }
}

/// The rollback flow, under the lock.
fn rollback(
    engine: &mut dyn Engine,
    session: &mut Session,
    env_name: &str,
    to: Option<&str>,
    started: SystemTime,
) -> Result<StepOutcome> {
    let target = engine.rollback_target(session, to)?;
    let mut timings = Timings::default();
    // Going back is itself recovery: it finishes even when interrupted.
    let activated =
        session.recovering(|session| guarded(|| engine.activate(session, &target, &mut timings)));
    let healthy = matches!(activated, Ok(true));
    engine.settle(session, healthy, None);
    Record {
        kind: crate::tasks::ROLLBACK,
        env: env_name,
        release: &target,
        commit: "",
        dirty: false,
        started,
        log: engine.log(),
    }
    .write(&timings, if healthy { "success" } else { "failed" }, true);
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

/// `deploy --stats`: success rate, rollback rate and median time to deploy, from the log.
pub fn stats(log: &Path) -> Result<String> {
    let text = std::fs::read_to_string(log)
        .map_err(|e| UsageError::new(format!("no deploy log at {}: {e}", log.display())))?;
    let deploys: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["kind"] == crate::tasks::DEPLOY)
        .collect();
    if deploys.is_empty() {
        return Ok("no deploys yet".into());
    }
    let n = deploys.len();
    let ok = deploys.iter().filter(|d| d["result"] == "success").count();
    let rolled = deploys.iter().filter(|d| d["rolled_back"] == true).count();
    let mut times: Vec<u64> = deploys
        .iter()
        .filter(|d| d["result"] == "success")
        .filter_map(|d| d["total_ms"].as_u64())
        .collect();
    times.sort_unstable();
    let median = times
        .get(times.len() / 2)
        .map_or_else(|| "-".into(), |ms| format!("{:.1}s", *ms as f64 / 1000.0));
    let pct = |k: usize| 100.0 * k as f64 / n as f64;
    Ok(format!(
        "{n} deploys: {:.0}% succeeded, {:.0}% rolled back, median time to deploy {median}",
        pct(ok),
        pct(rolled)
    ))
}

#[cfg(test)]
mod guard_tests {
    use super::guarded;

    #[test]
    fn a_panic_inside_the_flow_becomes_an_error_at_its_boundary() {
        let err = guarded::<bool>(|| panic!("overflow when multiplying duration by scalar"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("windlass failed inside the deploy (overflow when multiplying"),
            "{err}"
        );
        assert!(guarded(|| Ok(true)).unwrap());
    }
}
