//! `deploy` and `rollback`: switch `current`, restart, and let the health gate decide; a
//! release that does not become healthy is rolled back automatically.
//!
//! Order: lock → (artifact) → validate-config → release dir (checksum verified) → journal →
//! switch → restart → health gate → on failure: switch back, restart, health-check the
//! previous release. Every run appends a line to the deploy log.

use crate::config::Environment;
use crate::health::{self, HealthOptions};
use crate::releases::{Journal, Layout, Lock, release_id, rfc3339};
use crate::validate;
use anyhow::Result;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};
use windlass_core::Plan;
use windlass_core::runner::Capture;
use windlass_core::{Session, Severity, Step, StepOutcome, UsageError, Workspace};

/// Phase durations, for the log.
#[derive(Default)]
struct Timings(Vec<(&'static str, Duration)>);

impl Timings {
    fn record<T>(&mut self, phase: &'static str, f: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let out = f();
        self.0.push((phase, started.elapsed()));
        out
    }

    fn json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.0
                .iter()
                .map(|(k, d)| {
                    (
                        (*k).to_string(),
                        json!(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
                    )
                })
                .collect(),
        )
    }
}

/// The `deploy` step.
#[derive(Debug, Clone)]
pub struct Deploy {
    /// The environment's name.
    pub env_name: String,
    /// Its settings.
    pub env: Environment,
    /// Ship this file instead of building the binary.
    pub artifact: Option<PathBuf>,
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

fn restart(session: &mut Session, env: &Environment, root: &Path) -> Result<bool> {
    let Some((program, args)) = env.restart.split_first() else {
        return Ok(true);
    };
    let sh = session.shell();
    let cmd = sh.cmd(program).args(args).env("WINDLASS_DEPLOY_ROOT", root);
    let finished = session.run(cmd, Capture::Everything)?;
    if !finished.success() {
        session.message(
            Severity::Warning,
            format!(
                "the restart command failed ({}): {}",
                finished.status,
                finished.stderr.trim()
            ),
        );
    }
    Ok(finished.success())
}

fn short_sha(session: &mut Session, ws: &Workspace) -> String {
    let sh = session.shell();
    let cmd = sh
        .cmd("git")
        .arg("-C")
        .arg(&ws.root)
        .args(["rev-parse", "--short=7", "HEAD"]);
    match session.run(cmd, Capture::Everything) {
        Ok(f) if f.success() => f.stdout.trim().to_string(),
        _ => "nogit".to_string(),
    }
}

/// The binary to ship: `--artifact`, or `bin` built with the environment's profile.
fn artifact(
    deploy: &Deploy,
    ws: &Workspace,
    session: &mut Session,
) -> Result<(PathBuf, String, String)> {
    let signed_only = || -> anyhow::Error {
        UsageError::new(format!(
            "{} requires signed releases (public-key in its config): nothing else is deployed",
            deploy.env_name
        ))
        .hint("deploy a release archive made by `release --artifacts --sign`: --artifact NAME.tar.gz, with SHA256SUMS and SHA256SUMS.minisig beside it")
        .into()
    };
    if let Some(path) = &deploy.artifact {
        if !path.is_file() {
            return Err(
                UsageError::new(format!("no artifact at {}", path.display()))
                    .hint("pass --artifact the built binary")
                    .into(),
            );
        }
        if path.to_string_lossy().ends_with(".tar.gz") {
            if let Some(key) = &deploy.env.public_key {
                verify_signature(path, key, ws)?;
            }
            return release_archive(path, deploy, ws, session);
        }
        if deploy.env.public_key.is_some() {
            return Err(signed_only());
        }
        let name = deploy.env.bin.clone().unwrap_or_else(|| {
            path.file_name()
                .map_or("service".into(), |n| n.to_string_lossy().into_owned())
        });
        return Ok((path.clone(), name, "unknown".into()));
    }
    if deploy.env.public_key.is_some() {
        return Err(signed_only());
    }
    let bin = deploy.env.bin.clone().ok_or_else(|| {
        UsageError::new(format!(
            "[workspace.metadata.windlass.deploy.{}] has no `bin`",
            deploy.env_name
        ))
        .hint("set bin = \"svc\", or pass --artifact PATH")
    })?;
    let profile = deploy
        .env
        .profile
        .clone()
        .unwrap_or_else(|| "release".into());
    let sh = session.shell();
    let cmd = sh
        .cmd("cargo")
        .args(["build", "--profile", &profile, "--bin", &bin]);
    let finished = session.run(cmd, Capture::Nothing)?;
    if !finished.success() {
        return Err(UsageError::new(format!(
            "`cargo build --profile {profile} --bin {bin}` failed; nothing was deployed"
        ))
        .into());
    }
    let dir = if profile == "dev" {
        "debug".to_string()
    } else {
        profile
    };
    let target = ws.target_dir(session)?;
    let version = ws
        .members(session)?
        .into_iter()
        .find(|p| p.targets.iter().any(|t| t.is_bin() && t.name == bin))
        .map_or_else(|| "unknown".into(), |p| p.version.to_string());
    Ok((target.join(dir).join(&bin), bin, version))
}

/// Checks, before anything moves, that the `SHA256SUMS` beside `archive` carries a valid
/// minisign signature by `key` (the public key, or the path of its file); the archive is then
/// checked against those sums as for any release archive.
fn verify_signature(archive: &Path, key: &str, ws: &Workspace) -> Result<()> {
    use windlass_archive::minisign::PublicKey;
    let key_text = if key.trim_start().starts_with("RW") || key.contains("untrusted comment") {
        key.to_string()
    } else {
        let path = ws.root.join(key);
        std::fs::read_to_string(&path).map_err(|e| {
            UsageError::new(format!(
                "cannot read the public key {}: {e}",
                path.display()
            ))
        })?
    };
    let public = PublicKey::parse(&key_text)?;
    let dir = archive.parent().unwrap_or(Path::new("."));
    let sums = dir.join(windlass_archive::CHECKSUMS);
    let signature = dir.join(windlass_archive::CHECKSUMS_SIGNATURE);
    let refused = |why: String| -> anyhow::Error {
        UsageError::new(format!(
            "{} is refused, nothing was deployed: {why}",
            archive.display()
        ))
        .hint("deploy the archive exactly as `release --artifacts --sign` made it, with its SHA256SUMS and SHA256SUMS.minisig")
        .into()
    };
    let sums_bytes = std::fs::read(&sums)
        .map_err(|_| refused(format!("no {} beside it", windlass_archive::CHECKSUMS)))?;
    let signature_text = std::fs::read_to_string(&signature).map_err(|_| {
        refused(format!(
            "no {} beside it",
            windlass_archive::CHECKSUMS_SIGNATURE
        ))
    })?;
    public
        .verify(&sums_bytes, &signature_text)
        .map_err(|e| refused(format!("{}: {e}", windlass_archive::CHECKSUMS_SIGNATURE)))?;
    if !windlass_archive::already_made(archive) {
        return Err(refused(format!(
            "it does not match its entry in the signed {}",
            windlass_archive::CHECKSUMS
        )));
    }
    Ok(())
}

/// The binary of a release archive made by `release --artifacts`, checked against the
/// `SHA256SUMS` beside it and unpacked under `target/`, with the release's version.
fn release_archive(
    path: &Path,
    deploy: &Deploy,
    ws: &Workspace,
    session: &mut Session,
) -> Result<(PathBuf, String, String)> {
    let stem = path
        .file_name()
        .map(|n| n.to_string_lossy().trim_end_matches(".tar.gz").to_string())
        .unwrap_or_default();
    let target = ws.target_dir(session)?;
    let dest = target.join("windlass-deploy").join(stem);
    let unpacked = windlass_archive::unpack_release(path, deploy.env.bin.as_deref(), &dest)?;
    if !unpacked.verified {
        session.message(
            Severity::Warning,
            format!(
                "no SHA256SUMS beside {}: the archive is deployed unverified",
                path.display()
            ),
        );
    }
    Ok((
        unpacked.binary,
        unpacked.name,
        unpacked.version.unwrap_or_else(|| "unknown".into()),
    ))
}

/// What a deploy log line says of the run it records.
struct Record<'a> {
    kind: &'a str,
    env: &'a str,
    release: &'a str,
    commit: &'a str,
    started: SystemTime,
}

impl Record<'_> {
    /// Appends the line: the result, whether it rolled back, and each phase's duration.
    fn write(&self, layout: &Layout, timings: &Timings, result: &str, rolled_back: bool) {
        let line = json!({
            "kind": self.kind,
            "environment": self.env,
            "release": self.release,
            "commit": self.commit,
            "start": rfc3339(self.started),
            "durations_ms": timings.json(),
            "total_ms": u64::try_from(self.started.elapsed().unwrap_or_default().as_millis()).unwrap_or(u64::MAX),
            "result": result,
            "rolled_back": rolled_back,
        });
        // The log is a record, not a gate: failing to append must not undo a good deploy.
        let _ = layout.append_log(&line);
    }
}

/// Switch to `release`, restart, gate on health. Whether it became healthy.
fn switch_and_verify(
    session: &mut Session,
    step: &str,
    env: &Environment,
    layout: &Layout,
    release: &str,
    health: &HealthOptions,
    timings: &mut Timings,
) -> Result<bool> {
    timings.record("switch", || layout.switch(release))?;
    let restarted = timings.record("restart", || restart(session, env, &layout.root))?;
    if !restarted {
        return Ok(false);
    }
    let outcome = timings.record("health", || health::wait_healthy(session, step, health))?;
    if let Some(reason) = &outcome.last_reason
        && !outcome.healthy
    {
        session.message(
            Severity::Warning,
            format!(
                "{release} was not healthy within {:.1}s: {reason}",
                health.deadline.as_secs_f64()
            ),
        );
    }
    Ok(outcome.healthy)
}

fn interrupted_notice(session: &mut Session, layout: &Layout) -> Option<Journal> {
    let journal = layout.journal()?;
    session.message(
        Severity::Warning,
        format!(
            "a deploy of {} was interrupted after switching `current` (its health was never confirmed); recovering",
            journal.release
        ),
    );
    Some(journal)
}

impl Step for Deploy {
    fn name(&self) -> &str {
        "deploy"
    }

    fn plan(&self, _ws: &Workspace, _session: &mut Session) -> Result<Plan> {
        Ok(Plan::describe(format!(
            "deploy to {}: validate, release, switch, restart, health gate, roll back on failure",
            self.env_name
        )))
    }

    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        let started = SystemTime::now();
        let root = self.env.root(ws, &self.env_name)?;
        let health = self.env.health.options();
        health::parse_url(&health.url)?;
        let (_lock, stale) = Lock::take(&root)?;
        if let Some(pid) = stale {
            session.message(
                Severity::Warning,
                format!("took over the lock of deploy {pid}, which no longer runs"),
            );
        }
        let layout = Layout { root: root.clone() };
        let interrupted = interrupted_notice(session, &layout);
        let mut timings = Timings::default();

        let (binary, bin_name, version) =
            timings.record("build", || artifact(self, ws, session))?;
        let problems = timings.record("validate", || {
            validate::check(session, ws, &self.env, "deploy")
        });
        if problems > 0 {
            return Ok(StepOutcome::failed(
                format!("{problems} requirements not met: nothing was switched"),
                format!("cargo xtask validate-config --env {}", self.env_name),
            ));
        }
        let commit = short_sha(session, ws);
        let id = release_id(SystemTime::now(), &commit);
        timings.record("copy", || {
            layout.create(&id, &binary, &bin_name, &version, &commit)?;
            // The archive's SBOM stays with the release: what `audit --deployed` reads when
            // the binary carries no dependency list of its own.
            if let Some(sbom) = self
                .artifact
                .as_deref()
                .and_then(windlass_archive::sbom_beside)
                .filter(|p| p.is_file())
            {
                let kept = layout.releases().join(&id).join("sbom.cdx.json");
                std::fs::copy(&sbom, &kept)
                    .map_err(|e| UsageError::new(format!("cannot copy {}: {e}", sbom.display())))?;
            }
            anyhow::Ok(())
        })?;
        // After an interrupted deploy, the release to fall back on is the one before it.
        let previous = match &interrupted {
            Some(j) if layout.current().as_deref() == Some(j.release.as_str()) => {
                j.previous.clone()
            }
            _ => layout.current(),
        };
        layout.write_journal(&Journal {
            release: id.clone(),
            previous: previous.clone(),
            phase: "switched".into(),
        })?;
        if switch_and_verify(
            session,
            "deploy",
            &self.env,
            &layout,
            &id,
            &health,
            &mut timings,
        )? {
            layout.clear_journal();
            let pruned = layout.prune(self.env.keep(), previous.as_deref());
            Record {
                kind: "deploy",
                env: &self.env_name,
                release: &id,
                commit: &commit,
                started,
            }
            .write(&layout, &timings, "success", false);
            let mut summary = format!("{id} is live and healthy");
            if !pruned.is_empty() {
                summary.push_str(&format!(" (pruned {} old releases)", pruned.len()));
            }
            return Ok(StepOutcome::passed(summary));
        }
        let Some(previous) = previous else {
            layout.clear_journal();
            Record {
                kind: "deploy",
                env: &self.env_name,
                release: &id,
                commit: &commit,
                started,
            }
            .write(&layout, &timings, "failed", false);
            return Ok(StepOutcome::failed(
                format!("{id} is not healthy, and there is no previous release to roll back to"),
                "fix the release and deploy again",
            ));
        };
        let mut back = Timings::default();
        let restored = switch_and_verify(
            session, "deploy", &self.env, &layout, &previous, &health, &mut back,
        )?;
        timings
            .0
            .push(("rollback", back.0.iter().map(|(_, d)| *d).sum()));
        // Each phase of the way back, so that the time to recover can be told from the
        // restart command's own time.
        for (phase, took) in back.0 {
            let name = match phase {
                "switch" => "rollback_switch",
                "restart" => "rollback_restart",
                _ => "rollback_health",
            };
            timings.0.push((name, took));
        }
        layout.clear_journal();
        Record {
            kind: "deploy",
            env: &self.env_name,
            release: &id,
            commit: &commit,
            started,
        }
        .write(
            &layout,
            &timings,
            if restored { "rolled_back" } else { "failed" },
            true,
        );
        Ok(StepOutcome::failed(
            if restored {
                format!("{id} was not healthy: rolled back to {previous}, which is healthy")
            } else {
                format!(
                    "{id} was not healthy; rolled back to {previous}, which is NOT healthy either"
                )
            },
            format!(
                "see the health attempts above; `cargo xtask rollback --env {}` to choose another release",
                self.env_name
            ),
        ))
    }
}

impl Step for Rollback {
    fn name(&self) -> &str {
        "rollback"
    }

    fn plan(&self, _ws: &Workspace, _session: &mut Session) -> Result<Plan> {
        Ok(Plan::describe(format!(
            "switch {} back to {}, restart, health gate",
            self.env_name,
            self.to.as_deref().unwrap_or("the previous release")
        )))
    }

    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        let started = SystemTime::now();
        let root = self.env.root(ws, &self.env_name)?;
        let health = self.env.health.options();
        let (_lock, _) = Lock::take(&root)?;
        let layout = Layout { root };
        let interrupted = interrupted_notice(session, &layout);
        let current = layout.current();
        let all = layout.list();
        let target = match (&self.to, &interrupted) {
            (Some(to), _) => {
                if !all.contains(to) {
                    return Err(UsageError::new(format!("no release {to}"))
                        .hint(format!("the releases are: {}", all.join(", ")))
                        .into());
                }
                to.clone()
            }
            (None, Some(j)) if j.previous.is_some() => j.previous.clone().unwrap_or_default(),
            (None, _) => {
                let before: Vec<&String> = all
                    .iter()
                    .filter(|id| Some(id.as_str()) < current.as_deref())
                    .collect();
                match before.last() {
                    Some(id) => (*id).clone(),
                    None => {
                        return Err(
                            UsageError::new("there is no release before the current one")
                                .hint("name one with --to RELEASE")
                                .into(),
                        );
                    }
                }
            }
        };
        let mut timings = Timings::default();
        let healthy = switch_and_verify(
            session,
            "rollback",
            &self.env,
            &layout,
            &target,
            &health,
            &mut timings,
        )?;
        layout.clear_journal();
        Record {
            kind: "rollback",
            env: &self.env_name,
            release: &target,
            commit: "",
            started,
        }
        .write(
            &layout,
            &timings,
            if healthy { "success" } else { "failed" },
            true,
        );
        if healthy {
            Ok(StepOutcome::passed(format!("{target} is live and healthy")))
        } else {
            Ok(StepOutcome::failed(
                format!("{target} is live but NOT healthy"),
                format!("cargo xtask rollback --env {} --to RELEASE", self.env_name),
            ))
        }
    }
}

/// `deploy --stats`: success rate, rollback rate and median time to deploy, from the log.
pub fn stats(layout: &Layout) -> Result<String> {
    let text = std::fs::read_to_string(layout.log()).map_err(|e| {
        UsageError::new(format!("no deploy log at {}: {e}", layout.log().display()))
    })?;
    let deploys: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["kind"] == "deploy")
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
