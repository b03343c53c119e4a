//! The deploy flow over any engine: lock, build, validate, stage, roll out, health gate, the
//! watch (bake and analysis), and on any failure the way back — the previous release switched
//! back to and confirmed healthy, or a first release withdrawn — with the ledger, the log,
//! the webhooks and the hooks told at each step.

use crate::config::Environment;
use crate::engine::{Engine, Release, Timings};
use crate::gate::analysis::{Evaluation, Vars};
use crate::gate::watch::Outcome;
use crate::ledger::{Entry, Ledger, Verdict};
use crate::notify::{self, Document, Phase};
use crate::record::{Record, decide, save};
use crate::releases::rfc3339;
use anyhow::Result;
use std::time::SystemTime;
use windlass_core::{Session, StepOutcome, Workspace};

/// Runs `f`, a panic in it caught and returned as an error: the flow's boundary, past which
/// nothing may end a deploy with `current` on a release that was never proven healthy.
pub(crate) fn guarded<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
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
    /// Its health gate, its restart command, its bake or its analysis said no: why.
    Unhealthy(Vec<String>),
    /// Something stopped the gate itself: an error, an interrupt, a panic.
    Error(anyhow::Error),
}

/// What a deploy is asked to do, beyond its engine.
pub(crate) struct Flow<'a> {
    /// The environment's name.
    pub env_name: &'a str,
    /// Its settings: the gate's watch, the webhooks, the hooks.
    pub env: &'a Environment,
    /// When it began.
    pub started: SystemTime,
    /// Ctrl-C during the bake keeps the release instead of rolling it back.
    pub keep_on_interrupt: bool,
    /// `environment/release` it was promoted from.
    pub promoted_from: Option<String>,
}

impl Flow<'_> {
    /// A rollback asked for: its hooks and webhooks.
    pub(crate) fn after_rollback(
        &self,
        session: &mut Session,
        release: &Release,
        verdict: &str,
        healthy: bool,
    ) {
        let _ = self.hooks(
            session,
            "post-rollback",
            &self.env.hooks.post_rollback,
            release,
            verdict,
        );
        let phase = if healthy {
            Phase::RolledBack
        } else {
            Phase::Failed
        };
        let reasons = if healthy {
            vec!["rolled back on request".to_string()]
        } else {
            vec!["the release rolled back to is not healthy".to_string()]
        };
        self.tell(session, phase, release, verdict, &reasons, &[]);
    }

    fn document(
        &self,
        phase: Phase,
        release: &Release,
        verdict: &str,
        reasons: &[String],
        analysis: &[Evaluation],
    ) -> Document {
        let mut doc = Document {
            schema: "windlass.deploy-event/v1",
            phase,
            environment: self.env_name.to_string(),
            release: release.id.clone(),
            version: release.version.clone(),
            commit: release.commit.clone(),
            performer: notify::performer(),
            duration_ms: u64::try_from(self.started.elapsed().unwrap_or_default().as_millis())
                .unwrap_or(u64::MAX),
            verdict: verdict.to_string(),
            reasons: reasons.to_vec(),
            analysis: analysis.to_vec(),
            promoted_from: self.promoted_from.clone(),
            text: String::new(),
        };
        doc.text = notify::text(&doc);
        doc
    }

    fn tell(
        &self,
        session: &mut Session,
        phase: Phase,
        release: &Release,
        verdict: &str,
        reasons: &[String],
        analysis: &[Evaluation],
    ) {
        if self.env.notify.is_empty() {
            return;
        }
        let doc = self.document(phase, release, verdict, reasons, analysis);
        // Told even after an interrupt: the team must learn what the deploy left.
        session.recovering(|session| notify::post(session, &self.env.notify, &doc));
    }

    fn hooks(
        &self,
        session: &mut Session,
        which: &str,
        hooks: &[Vec<String>],
        release: &Release,
        verdict: &str,
    ) -> Result<bool> {
        if hooks.is_empty() {
            return Ok(true);
        }
        let vars = notify::HookEnv {
            env: self.env_name,
            release: &release.id,
            version: &release.version,
            commit: &release.commit,
            verdict,
        };
        notify::run_hooks(
            session,
            which,
            hooks,
            self.env.hooks.timeout,
            &vars,
            which == "pre-deploy",
        )
    }
}

/// The deploy flow, under the lock.
// Long: the deploy flow as the docs tell it, phase by phase (lock, stage, hooks, switch, gate,
// bake, analysis, record); each phase is a call, the length is their sequence and its journal.
pub(crate) fn deploy(
    engine: &mut dyn Engine,
    session: &mut Session,
    ws: &Workspace,
    flow: &Flow<'_>,
    ledger: &mut Ledger,
) -> Result<StepOutcome> {
    let env_name = flow.env_name;
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
    if !flow.hooks(
        session,
        "pre-deploy",
        &flow.env.hooks.pre_deploy,
        &release,
        "started",
    )? {
        return Ok(StepOutcome::failed(
            "a pre-deploy hook failed: nothing was switched",
            "see the hook's output above",
        ));
    }
    flow.tell(session, Phase::Started, &release, "started", &[], &[]);
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
    entry.promoted_from.clone_from(&flow.promoted_from);
    ledger.stage(entry);
    save(session, ledger);
    let previous = engine.current(session)?;
    let record = Record {
        kind: crate::names::DEPLOY,
        env: env_name,
        release: &release.id,
        commit: &release.commit,
        dirty: release.dirty,
        started: flow.started,
        log: engine.log(),
        commit_time: release.commit_time,
    };
    let id = &release.id;
    // From here `current` may move: whatever happens next — an unhealthy release, a restart
    // command that cannot start, a failed bake or analysis, an interrupt, an error or a panic
    // of windlass's own — the deploy ends with the previous release running again, or (a
    // first deploy) none.
    let mut evaluations = Vec::new();
    let failure = match guarded(|| engine.activate(session, id, &mut timings)) {
        Ok(true) => match bake(session, flow, &release, &mut timings) {
            Baked::Passed(made) => {
                evaluations = made;
                return Ok(settled(
                    engine,
                    session,
                    flow,
                    ledger,
                    &release,
                    previous,
                    &record,
                    timings,
                    evaluations,
                    true,
                ));
            }
            Baked::KeptOnInterrupt(made) => {
                evaluations = made;
                session.message(
                    windlass_core::Severity::Warning,
                    format!("interrupted during the bake: {id} is kept (--keep-on-interrupt), its bake unfinished"),
                );
                let outcome = settled(
                    engine,
                    session,
                    flow,
                    ledger,
                    &release,
                    previous,
                    &record,
                    timings,
                    evaluations,
                    false,
                );
                drop(outcome);
                return Err(anyhow::Error::new(windlass_core::Interrupted)
                    .context(format!("{id} kept live without finishing its bake")));
            }
            Baked::Failed(why, made) => {
                evaluations = made;
                Failure::Unhealthy(vec![why])
            }
            Baked::Interrupted(made) => {
                evaluations = made;
                Failure::Error(
                    anyhow::Error::new(windlass_core::Interrupted)
                        .context("interrupted during the bake"),
                )
            }
            Baked::CannotStart(why) => Failure::Unhealthy(vec![why]),
        },
        Ok(false) => Failure::Unhealthy(vec![
            engine
                .last_failure()
                .unwrap_or_else(|| "it did not pass its health gate".into()),
        ]),
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
            flow,
            &release,
            previous.as_deref(),
            failure,
            &record,
            timings,
            ledger,
            &evaluations,
        )
    })
}

/// How the watch after the gate ended.
enum Baked {
    /// The bake passed (or there was none): its evaluations.
    Passed(Vec<Evaluation>),
    /// Interrupted, and `--keep-on-interrupt` keeps the release.
    KeptOnInterrupt(Vec<Evaluation>),
    /// Something failed inside the window.
    Failed(String, Vec<Evaluation>),
    /// Interrupted: the release goes.
    Interrupted(Vec<Evaluation>),
    /// The analysis could not start (its Prometheus URL's variable is unset).
    CannotStart(String),
}

/// The bake window and the analysis, when the environment has them.
fn bake(session: &mut Session, flow: &Flow<'_>, release: &Release, timings: &mut Timings) -> Baked {
    let vars = Vars {
        release: release.id.clone(),
        version: release.version.clone(),
        env: flow.env_name.to_string(),
        commit: release.commit.clone(),
    };
    let watch = match watch_for(crate::names::DEPLOY, flow.env, &release.id, &vars) {
        Ok(Some(watch)) => watch,
        Ok(None) => return Baked::Passed(Vec::new()),
        Err(why) => return Baked::CannotStart(why),
    };
    let watched = timings.record("bake", || watch.run(session));
    match watched.outcome {
        Outcome::Passed => Baked::Passed(watched.evaluations),
        Outcome::Failed(why) => Baked::Failed(why, watched.evaluations),
        Outcome::Interrupted if flow.keep_on_interrupt => {
            Baked::KeptOnInterrupt(watched.evaluations)
        }
        Outcome::Interrupted => Baked::Interrupted(watched.evaluations),
    }
}

/// A release that stays: the ledger, the prune, the post-deploy hooks, the webhook, the log.
#[allow(clippy::too_many_arguments)]
fn settled(
    engine: &mut dyn Engine,
    session: &mut Session,
    flow: &Flow<'_>,
    ledger: &mut Ledger,
    release: &Release,
    previous: Option<String>,
    record: &Record<'_>,
    timings: Timings,
    evaluations: Vec<Evaluation>,
    baked: bool,
) -> StepOutcome {
    let id = &release.id;
    ledger.decide(
        id,
        Verdict::Healthy,
        Vec::new(),
        &rfc3339(SystemTime::now()),
    );
    let has_watch = flow.env.bake.is_some() || flow.env.analysis.is_some();
    ledger.update(id, |e| e.baked = baked && has_watch);
    engine.settle(session, true, previous.as_deref(), ledger);
    save(session, ledger);
    record.write(&timings, "success", false, &evaluations);
    let _ = flow.hooks(
        session,
        "post-deploy",
        &flow.env.hooks.post_deploy,
        release,
        "healthy",
    );
    flow.tell(
        session,
        Phase::Succeeded,
        release,
        "healthy",
        &[],
        &evaluations,
    );
    if has_watch && baked {
        StepOutcome::passed(format!("{id} is live, healthy and baked"))
    } else {
        StepOutcome::passed(format!("{id} is live and healthy"))
    }
}

/// The way back after `release` failed: the previous release switched back to, restarted and
/// health-checked, or a first release withdrawn; the journal cleared; the run logged, the
/// ledger, the hooks and the webhooks told.
#[allow(clippy::too_many_arguments)]
// Long: recovery after a failed gate follows the same phases backwards (restore, health, withdraw,
// journal, log, ledger, hooks, webhooks), each with its own error kept for the report.
fn recover(
    engine: &mut dyn Engine,
    session: &mut Session,
    flow: &Flow<'_>,
    release: &Release,
    previous: Option<&str>,
    failure: Failure,
    record: &Record<'_>,
    mut timings: Timings,
    ledger: &mut Ledger,
    evaluations: &[Evaluation],
) -> Result<StepOutcome> {
    let id = &release.id;
    let env_name = flow.env_name;
    let (verdict_if_back, reasons) = match &failure {
        Failure::Unhealthy(reasons) => (Verdict::RolledBack, reasons.clone()),
        Failure::Error(err) if err.chain().any(|c| c.is::<windlass_core::Interrupted>()) => (
            Verdict::Interrupted,
            vec!["the deploy was interrupted before the release was proven".to_string()],
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
        decide(session, ledger, id, verdict, reasons.clone());
        engine.settle(session, false, None, ledger);
        record.write(&timings, "failed", false, evaluations);
        flow.tell(
            session,
            Phase::Failed,
            release,
            verdict.as_str(),
            &reasons,
            evaluations,
        );
        let undone = match &withdrawn {
            Ok(()) => "it was withdrawn: no `current`, as before".to_string(),
            Err(e) => format!("withdrawing it failed too: {e:#}"),
        };
        return match failure {
            Failure::Unhealthy(reasons) => Ok(StepOutcome::failed(
                format!(
                    "{id} is not healthy ({}), and there is no previous release to roll back to: {undone}",
                    reasons.join("; ")
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
    decide(session, ledger, id, verdict_if_back, reasons.clone());
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
        evaluations,
    );
    let back_to = Release {
        id: previous.to_string(),
        ..release.clone()
    };
    let _ = flow.hooks(
        session,
        "post-rollback",
        &flow.env.hooks.post_rollback,
        &back_to,
        if healthy { "rolled-back" } else { "failed" },
    );
    flow.tell(
        session,
        if healthy {
            Phase::RolledBack
        } else {
            Phase::Failed
        },
        release,
        if healthy { "rolled-back" } else { "failed" },
        &reasons,
        evaluations,
    );
    let state = match &restored {
        Ok(true) => format!("rolled back to {previous}, which is healthy"),
        Ok(false) => format!("rolled back to {previous}, which is NOT healthy either"),
        Err(e) => format!("switched back to {previous}, but restarting it failed: {e:#}"),
    };
    match failure {
        Failure::Unhealthy(reasons) => Ok(StepOutcome::failed(
            format!("{id} was not healthy ({}): {state}", reasons.join("; ")),
            format!(
                "see the attempts above; `cargo xtask rollback --env {env_name}` to choose another release"
            ),
        )),
        Failure::Error(err) => Err(err.context(format!("{id} did not go live; {state}"))),
    }
}

/// The watch of `release` in `env`, when the environment has a bake or an analysis; `Err`
/// says why the analysis cannot start (its Prometheus URL's variable is unset).
pub fn watch_for<'a>(
    step: &'a str,
    env: &Environment,
    release: &'a str,
    vars: &crate::gate::analysis::Vars,
) -> Result<Option<crate::gate::watch::Watch<'a>>, String> {
    let bake = env.bake.map_or(std::time::Duration::ZERO, |d| d.get());
    if bake.is_zero() && env.analysis.is_none() {
        return Ok(None);
    }
    let analysis = match &env.analysis {
        Some(config) => Some(config.prepare(vars, (!bake.is_zero()).then_some(bake))?),
        None => None,
    };
    // The host's gate always checks its URL (the default one when unset); a swarm's only
    // when it names one.
    let polls = env.engine == crate::config::EngineKind::Host || env.health.url.is_some();
    let health = polls.then_some(()).and_then(|()| {
        let options = env.health.options();
        crate::health::parse_url(&options.url)
            .ok()
            .map(|t| (t, options))
    });
    Ok(Some(crate::gate::watch::Watch {
        step,
        release,
        bake,
        health,
        analysis,
    }))
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
