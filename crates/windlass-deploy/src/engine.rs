//! The seam between the deploy flow and where releases run.
//!
//! `deploy` and `rollback` are one flow — lock, prepare, validate, note what runs, roll out,
//! health gate, roll back on failure, log — over an [`Engine`] that knows how a release is
//! put in place on its platform: the `host` engine switches a `current` link and restarts a
//! process ([`crate::host`]); the `swarm` engine updates a Docker Swarm service
//! ([`crate::swarm`]). A Kubernetes engine would implement the same trait.

use crate::ledger::Ledger;
use anyhow::Result;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use windlass_core::{Session, Workspace};

/// What an engine can do.
pub trait Engine {
    /// Takes the environment's lock: a second concurrent deploy is refused. Released by
    /// [`Engine::unlock`] (and on drop).
    fn lock(&mut self, session: &mut Session) -> Result<()>;

    /// Releases the lock.
    fn unlock(&mut self, session: &mut Session);

    /// Finds (or builds) the release to roll out: its id and version.
    fn prepare(&mut self, session: &mut Session, ws: &Workspace) -> Result<Release>;

    /// Checks what the platform must provide, before anything changes; the number of
    /// problems (each reported through the session).
    fn validate(&mut self, session: &mut Session, ws: &Workspace) -> Result<usize>;

    /// Puts the release's files in place, without running it (the host's release directory):
    /// the SHA-256 of what was staged, when the engine knows it.
    fn stage(&mut self, session: &mut Session, release: &Release) -> Result<Option<String>>;

    /// The release to fall back on if this deploy fails: the one running now, or, after a
    /// deploy that was interrupted, the one before it.
    fn current(&mut self, session: &mut Session) -> Result<Option<String>>;

    /// The release running now, whatever its state.
    fn live(&mut self, session: &mut Session) -> Result<Option<String>>;

    /// A release an interrupted deploy switched to without learning its health.
    fn interrupted_release(&self) -> Option<String> {
        None
    }

    /// Why the last activation said no, when the engine knows better than "not healthy" (a
    /// canary that failed its analysis).
    fn last_failure(&mut self) -> Option<String> {
        None
    }

    /// Makes `release` the one that runs and gates it on health: whether it became healthy.
    fn activate(
        &mut self,
        session: &mut Session,
        release: &str,
        timings: &mut Timings,
    ) -> Result<bool>;

    /// Takes away a first release that never became healthy (nothing to roll back to).
    fn withdraw(&mut self, session: &mut Session, release: &str) -> Result<()>;

    /// After the flow: prune old releases the ledger recorded, clear a journal (`success`
    /// says how it ended).
    fn settle(
        &mut self,
        session: &mut Session,
        success: bool,
        previous: Option<&str>,
        ledger: &mut Ledger,
    );

    /// Whether `release` is still here to go back to (the host's directory, the swarm's
    /// image on this node, `image` when the ledger names it); the engine remembers it.
    fn restorable(
        &mut self,
        session: &mut Session,
        release: &str,
        image: Option<&str>,
    ) -> Result<bool>;

    /// Whether what runs now is healthy, by the same gate a deploy passes.
    fn healthy(&mut self, session: &mut Session) -> Result<bool>;

    /// Where the deploy log is.
    fn log(&self) -> PathBuf;

    /// Where the release ledger is.
    fn ledger(&self) -> PathBuf;
}

/// A release, as an engine names it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Release {
    /// What `current`, the log and `rollback --to` call it.
    pub id: String,
    /// The commit it was built from, when known.
    pub commit: String,
    /// Built from a work tree with changes the commit does not have.
    pub dirty: bool,
    /// The crate's version, when known.
    pub version: String,
    /// The SHA-256 of the release archive it came from (host, `--artifact NAME.tar.gz`).
    pub archive_sha256: Option<String>,
    /// The image (swarm).
    pub image: Option<String>,
    /// When its commit was made (seconds since the epoch), when known.
    pub commit_time: Option<u64>,
}

/// Phase durations, for the log.
#[derive(Default)]
pub struct Timings(pub Vec<(&'static str, Duration)>);

impl Timings {
    /// Runs `f`, recording its duration under `phase`.
    pub fn record<T>(&mut self, phase: &'static str, f: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let out = f();
        self.0.push((phase, started.elapsed()));
        out
    }

    /// As the log writes them: `{ phase: milliseconds }`.
    pub fn json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.0
                .iter()
                .map(|(k, d)| {
                    (
                        (*k).to_string(),
                        serde_json::json!(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
                    )
                })
                .collect(),
        )
    }
}
