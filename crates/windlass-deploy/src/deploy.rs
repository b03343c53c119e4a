//! `deploy` and `rollback`: one flow over every engine ([`crate::engine`]) — lock, prepare,
//! validate, stage, note what runs, roll out, health gate, and on failure roll back
//! automatically and confirm the previous release healthy again. Every run appends a line to
//! the deploy log, which `--stats` reads.

use crate::config::{EngineKind, Environment};
use crate::engine::{Engine, Timings};
use crate::ledger::{Entry, Ledger, Verdict};
use crate::releases::rfc3339;
use anyhow::Result;
use serde_json::json;
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
        let _ = crate::releases::append_line(&self.log, &line);
    }
}

/// The ledger's verdict for a release, saved at once: a deploy killed a moment later still
/// leaves it recorded. Saving can fail (a full disk); the deploy's own outcome stands, and
/// the failure is said.
fn decide(
    session: &mut Session,
    ledger: &mut Ledger,
    id: &str,
    verdict: Verdict,
    reasons: Vec<String>,
) {
    ledger.decide(id, verdict, reasons, &rfc3339(SystemTime::now()));
    save(session, ledger);
}

fn save(session: &mut Session, ledger: &Ledger) {
    if let Err(err) = ledger.save() {
        session.message(
            windlass_core::Severity::Warning,
            format!("the release ledger could not be saved: {err:#}"),
        );
    }
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
        let result = Ledger::load(&engine.ledger(), &engine.log()).and_then(|mut ledger| {
            deploy(
                engine.as_mut(),
                session,
                ws,
                &self.env_name,
                started,
                &mut ledger,
            )
        });
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
    ledger: &mut Ledger,
) -> Result<StepOutcome> {
    if let Some(interrupted) = engine.interrupted_release() {
        decide(
            session,
            ledger,
            &interrupted,
            Verdict::Interrupted,
            vec!["its deploy was interrupted after the switch, before its health was known".into()],
        );
    }
    let mut timings = Timings::default();
    let release = timings.record("build", || engine.prepare(session, ws))?;
    let problems = timings.record("validate", || engine.validate(session, ws))?;
    if problems > 0 {
        return Ok(StepOutcome::failed(
            format!("{problems} requirements not met: nothing was switched"),
            format!("cargo xtask validate-config --env {env_name}"),
        ));
    }
    let sha256 = timings.record("copy", || engine.stage(session, &release))?;
    let mut entry = Entry::staged(
        &release.id,
        &release.version,
        &release.commit,
        &rfc3339(SystemTime::now()),
    );
    entry.sha256 = sha256;
    entry.archive_sha256.clone_from(&release.archive_sha256);
    entry.image.clone_from(&release.image);
    ledger.stage(entry);
    save(session, ledger);
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
            ledger.decide(
                id,
                Verdict::Healthy,
                Vec::new(),
                &rfc3339(SystemTime::now()),
            );
            engine.settle(session, true, previous.as_deref(), ledger);
            save(session, ledger);
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
            ledger,
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
    ledger: &mut Ledger,
) -> Result<StepOutcome> {
    let (verdict_if_back, reasons) = match &failure {
        Failure::Unhealthy => (
            Verdict::RolledBack,
            vec!["it did not pass its health gate".to_string()],
        ),
        Failure::Error(err) if err.chain().any(|c| c.is::<windlass_core::Interrupted>()) => (
            Verdict::Interrupted,
            vec!["the deploy was interrupted before its health was known".to_string()],
        ),
        Failure::Error(err) => (Verdict::RolledBack, vec![format!("{err:#}")]),
    };
    let Some(previous) = previous else {
        let withdrawn = guarded(|| engine.withdraw(session, id));
        let verdict = if verdict_if_back == Verdict::Interrupted {
            Verdict::Interrupted
        } else {
            Verdict::Withdrawn
        };
        decide(session, ledger, id, verdict, reasons);
        engine.settle(session, false, None, ledger);
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
    decide(session, ledger, id, verdict_if_back, reasons);
    engine.settle(session, false, Some(previous), ledger);
    let healthy = matches!(restored, Ok(true));
    if !healthy {
        decide(
            session,
            ledger,
            previous,
            Verdict::Unhealthy,
            vec![format!(
                "it was not healthy when {id} was rolled back to it"
            )],
        );
    }
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
        let result = Ledger::load(&engine.ledger(), &engine.log()).and_then(|mut ledger| {
            rollback(
                engine.as_mut(),
                session,
                &self.env_name,
                (self.to.as_deref(), self.force),
                started,
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
    env_name: &str,
    to: (Option<&str>, bool),
    started: SystemTime,
    ledger: &mut Ledger,
) -> Result<StepOutcome> {
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

/// `deploy --history`: every release the ledger records, newest first, with its verdict.
pub fn history(ledger: &Ledger, live: Option<&str>) -> String {
    if ledger.releases.is_empty() {
        return "no releases recorded yet".into();
    }
    let mut rows = vec![[
        "release".to_string(),
        "version".into(),
        "commit".into(),
        "verdict".into(),
        "decided".into(),
        "notes".into(),
    ]];
    for e in ledger.releases.iter().rev() {
        let mut notes = Vec::new();
        if Some(e.id.as_str()) == live {
            notes.push("live".to_string());
        }
        if e.baked {
            notes.push("baked".into());
        }
        if let Some(from) = &e.promoted_from {
            notes.push(format!("promoted from {from}"));
        }
        if e.pruned {
            notes.push("pruned".into());
        }
        notes.extend(e.reasons.iter().take(1).cloned());
        rows.push([
            e.id.clone(),
            e.version.clone(),
            e.commit.chars().take(12).collect(),
            e.verdict.as_str().into(),
            e.decided.clone(),
            notes.join("; "),
        ]);
    }
    let widths: Vec<usize> = (0..6)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    rows.iter()
        .map(|r| {
            r.iter()
                .zip(&widths)
                .map(|(cell, w)| format!("{cell:<w$}"))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `deploy --stats`: success rate, rollback rate and median time to deploy, from the log.
pub fn stats(log: &Path) -> Result<String> {
    if !log.exists() {
        return Err(
            UsageError::new(format!("no deploy log at {}", log.display()))
                .hint("deploy first: every deploy appends to it")
                .into(),
        );
    }
    // Bounded, and a regular file only: a log that is a link to /dev/zero is refused.
    let text = windlass_core::files::read_text(log)?;
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
