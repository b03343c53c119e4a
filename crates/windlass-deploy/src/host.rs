//! The `host` engine: releases as directories on this machine, `current` a link switched
//! atomically to the one that runs, a restart command, and the health gate.
//!
//! Prepare: the binary (`--artifact`, a release archive checked against its signed or plain
//! `SHA256SUMS`, or built). Stage: `releases/<UTC time>-<sha>/` (SHA-256 verified after the
//! copy, `release.json`). Activate: journal → switch → restart → health gate. A deploy killed
//! after the switch is recovered from its journal by the next run.

use crate::config::Environment;
use crate::engine::{Engine, Release, Timings};
use crate::health::{self, HealthOptions};
use crate::ledger::Ledger;
use crate::releases::{Journal, Layout, Lock, release_id};
use crate::validate;
use anyhow::Result;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use windlass_core::runner::Capture;
use windlass_core::{Session, Severity, UsageError, Workspace};

/// The host engine of one environment.
pub struct HostEngine {
    /// The environment's name.
    pub env_name: String,
    /// Its settings.
    pub env: Environment,
    /// `--artifact`.
    pub artifact: Option<PathBuf>,
    /// `--require-clean`: refuse to build from a work tree with uncommitted changes.
    pub require_clean: bool,
    layout: Layout,
    health: HealthOptions,
    lock: Option<Lock>,
    interrupted: Option<Journal>,
    /// The binary `prepare` found: path, name, version.
    binary: Option<(PathBuf, String, String)>,
    /// The release `prepare` named, journalled when it is switched to.
    new_release: Option<String>,
    /// What ran before this deploy (or before the interrupted one).
    previous: Option<String>,
}

impl HostEngine {
    /// The engine of `env` rooted at `root`.
    pub fn new(
        env_name: &str,
        env: Environment,
        root: PathBuf,
        artifact: Option<PathBuf>,
    ) -> Result<Self> {
        let health = env.health.options();
        health::parse_url(&health.url)?;
        Ok(Self {
            env_name: env_name.to_string(),
            env,
            artifact,
            require_clean: false,
            layout: Layout { root },
            health,
            lock: None,
            interrupted: None,
            binary: None,
            new_release: None,
            previous: None,
        })
    }
}

impl Engine for HostEngine {
    fn lock(&mut self, session: &mut Session) -> Result<()> {
        let (lock, stale) = Lock::take(&self.layout.root)?;
        if let Some(pid) = stale {
            session.message(
                Severity::Warning,
                format!("took over the lock of deploy {pid}, which ended without releasing it"),
            );
        }
        // Before anything moves: a `current` windlass did not make is not to be replaced.
        self.layout.check_current()?;
        self.lock = Some(lock);
        self.interrupted = interrupted_notice(session, &self.layout);
        Ok(())
    }

    fn unlock(&mut self, _session: &mut Session) {
        self.lock = None;
    }

    fn prepare(&mut self, session: &mut Session, ws: &Workspace) -> Result<Release> {
        let found = artifact(self, ws, session)?;
        self.binary = Some(found);
        let commit = short_sha(session, ws);
        // A binary built here from a tree with changes is not the commit it names.
        let dirty = self.artifact.is_none() && tree_is_dirty(session, ws);
        if dirty && self.require_clean {
            return Err(UsageError::new(format!(
                "the work tree of {} has uncommitted changes: the release would not be commit {commit}",
                ws.repo_root.display()
            ))
            .hint("commit (or stash) them and deploy again; without --require-clean the deploy goes ahead, marked dirty")
            .into());
        }
        if dirty {
            session.message(
                Severity::Warning,
                format!("deploying uncommitted changes: release.json records commit {commit} with `dirty: true` (commit first, or --require-clean refuses)"),
            );
        }
        let id = release_id(SystemTime::now(), &commit);
        self.new_release = Some(id.clone());
        let archive_sha256 = match &self.artifact {
            Some(path) if path.to_string_lossy().ends_with(".tar.gz") => {
                Some(windlass_core::files::sha256_file(path)?)
            }
            _ => None,
        };
        let version = self
            .binary
            .as_ref()
            .map(|(_, _, v)| v.clone())
            .unwrap_or_default();
        let commit_time = commit_time(session, ws);
        Ok(Release {
            id,
            commit,
            dirty,
            version,
            archive_sha256,
            image: None,
            commit_time,
        })
    }

    fn validate(&mut self, session: &mut Session, ws: &Workspace) -> Result<usize> {
        Ok(validate::check(
            session,
            ws,
            &self.env,
            crate::names::DEPLOY,
        ))
    }

    fn stage(&mut self, _session: &mut Session, release: &Release) -> Result<Option<String>> {
        let Some((binary, bin_name, version)) = &self.binary else {
            return Err(anyhow::anyhow!("nothing was prepared to stage"));
        };
        let info = self.layout.create(
            &release.id,
            binary,
            bin_name,
            version,
            &release.commit,
            release.dirty,
        )?;
        // The archive's SBOM stays with the release: what `audit --deployed` reads when the
        // binary carries no dependency list of its own.
        if let Some(sbom) = self
            .artifact
            .as_deref()
            .and_then(windlass_archive::sbom_beside)
            .filter(|p| p.is_file())
        {
            self.layout
                .keep_beside(&release.id, &sbom, "sbom.cdx.json")?;
        }
        Ok(Some(info.sha256))
    }

    fn current(&mut self, _session: &mut Session) -> Result<Option<String>> {
        // After an interrupted deploy, the release to fall back on is the one before it.
        let previous = match &self.interrupted {
            Some(j) if self.layout.current().as_deref() == Some(j.release.as_str()) => {
                j.previous.clone()
            }
            _ => self.layout.current(),
        };
        self.previous.clone_from(&previous);
        Ok(previous)
    }

    fn live(&mut self, _session: &mut Session) -> Result<Option<String>> {
        Ok(self.layout.current())
    }

    fn interrupted_release(&self) -> Option<String> {
        self.interrupted.as_ref().map(|j| j.release.clone())
    }

    fn activate(
        &mut self,
        session: &mut Session,
        release: &str,
        timings: &mut Timings,
    ) -> Result<bool> {
        if self.new_release.as_deref() == Some(release) {
            self.layout.write_journal(&Journal {
                release: release.to_string(),
                previous: self.previous.clone(),
                phase: "switched".into(),
            })?;
        }
        switch_and_verify(
            session,
            &self.env,
            &self.layout,
            release,
            &self.health,
            timings,
        )
    }

    /// A first release that never became healthy goes: its `current` link and its directory,
    /// leaving the root as it was before the deploy.
    fn withdraw(&mut self, session: &mut Session, release: &str) -> Result<()> {
        self.layout.withdraw(release)?;
        session.message(
            Severity::Notice,
            format!("withdrew {release}: removed `current` and its release directory"),
        );
        Ok(())
    }

    fn settle(
        &mut self,
        session: &mut Session,
        success: bool,
        previous: Option<&str>,
        ledger: &mut Ledger,
    ) {
        self.layout.clear_journal();
        if success && self.new_release.is_some() {
            let pruned = self.layout.prune(self.env.keep(), previous, ledger);
            if !pruned.removed.is_empty() {
                session.message(
                    Severity::Notice,
                    format!(
                        "pruned {} old releases: {}",
                        pruned.removed.len(),
                        pruned.removed.join(", ")
                    ),
                );
            }
            if !pruned.foreign.is_empty() {
                session.message(
                    Severity::Notice,
                    format!(
                        "left alone in {}: {} (not releases the ledger records; windlass only removes its own)",
                        self.layout.releases().display(),
                        pruned.foreign.join(", ")
                    ),
                );
            }
        }
    }

    fn restorable(
        &mut self,
        _session: &mut Session,
        release: &str,
        _image: Option<&str>,
    ) -> Result<bool> {
        Ok(windlass_core::paths::is_file_name(release)
            && self.layout.list().iter().any(|r| r == release))
    }

    fn healthy(&mut self, session: &mut Session) -> Result<bool> {
        Ok(health::wait_healthy(session, crate::names::HEALTH_CHECK, &self.health)?.healthy)
    }

    fn log(&self) -> PathBuf {
        self.layout.log()
    }

    fn ledger(&self) -> PathBuf {
        self.layout.ledger()
    }
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

/// Whether the work tree has changes (tracked, or new files git does not ignore) that the
/// HEAD commit does not: then a binary built from it is not that commit's.
fn tree_is_dirty(session: &mut Session, ws: &Workspace) -> bool {
    let sh = session.shell();
    let cmd = sh
        .cmd("git")
        .arg("-C")
        .arg(&ws.root)
        .args(["status", "--porcelain", "--", "."]);
    match session.run(cmd, Capture::Everything) {
        Ok(f) if f.success() => !f.stdout.trim().is_empty(),
        _ => false,
    }
}

/// When HEAD was committed: the start of the lead time to live.
fn commit_time(session: &mut Session, ws: &Workspace) -> Option<u64> {
    let sh = session.shell();
    let cmd = sh
        .cmd("git")
        .arg("-C")
        .arg(&ws.root)
        .args(["log", "-1", "--format=%ct", "HEAD"]);
    match session.run_quiet(cmd) {
        Ok(f) if f.success() => f.stdout.trim().parse().ok(),
        _ => None,
    }
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
    deploy: &HostEngine,
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
    deploy: &HostEngine,
    ws: &Workspace,
    session: &mut Session,
) -> Result<(PathBuf, String, String)> {
    let stem = path
        .file_name()
        .map(|n| n.to_string_lossy().trim_end_matches(".tar.gz").to_string())
        .unwrap_or_default();
    let target = ws.target_dir(session)?;
    let dest = target.join("windlass-deploy").join(stem);
    let mut limits = windlass_archive::Limits::default();
    if let Some(max) = deploy.env.max_unpacked {
        limits.max_bytes = max.bytes();
    }
    let unpacked =
        windlass_archive::unpack_release(path, deploy.env.bin.as_deref(), &dest, limits)?;
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

/// Switch to `release`, restart, gate on health. Whether it became healthy.
fn switch_and_verify(
    session: &mut Session,
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
    let outcome = timings.record("health", || {
        health::wait_healthy(session, crate::names::DEPLOY, health)
    })?;
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
