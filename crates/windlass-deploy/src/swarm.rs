//! The `swarm` engine: an environment is a Docker Swarm service, a release an image tag.
//!
//! The service is created, or updated to the new image, detached; the rolling update is then
//! followed through the tasks' states (a task with a HEALTHCHECK only counts as running once
//! it is healthy), and the gate passes when every replica runs the new image — and, when the
//! environment has a health URL, when it answers through its published port. A release that
//! does not get there within the deadline is rolled back by an update to the image that ran
//! before, and that one is gated the same way. The lock is a swarm config object, which the
//! managers' own store creates atomically: one deploy of a service at a time, cluster-wide.

use crate::config::{Environment, UpdateOrder};
use crate::engine::{Engine, Release, Timings};
use crate::health::{self, HealthOptions};
use crate::ledger::Ledger;
use anyhow::Result;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use windlass_core::runner::{Capture, Finished};
use windlass_core::{Diagnostic, Session, Severity, UsageError, Workspace};

/// The label that names the release a service runs.
const VERSION_LABEL: &str = "windlass.version";

/// The swarm engine of one environment.
pub struct SwarmEngine {
    env_name: String,
    env: Environment,
    service: String,
    /// `--image`, else the configured or default image.
    image: String,
    health: HealthOptions,
    log: PathBuf,
    locked: bool,
    /// The image of each release this run knows: the new one and the one before it.
    images: Vec<(String, String)>,
    /// The release this deploy rolls out (its canary runs first).
    new_release: Option<String>,
    /// Why the last activation said no.
    failure: Option<String>,
}

impl SwarmEngine {
    /// The engine of `env`; `image` overrides the configured image.
    pub fn new(
        ws: &Workspace,
        session: &mut Session,
        env_name: &str,
        env: Environment,
        image: Option<String>,
    ) -> Result<Self> {
        let service = env.service.clone().unwrap_or_else(|| env_name.to_string());
        let image = match image.or_else(|| env.image.clone()) {
            Some(image) => image,
            None => default_image(ws, session, &env)?,
        };
        let log = log_path(ws, env_name, &env);
        let health = env.health.options();
        if env.health.url.is_some() {
            health::parse_url(&health.url)?;
        }
        Ok(Self {
            env_name: env_name.to_string(),
            service,
            image,
            health,
            log,
            locked: false,
            images: Vec::new(),
            new_release: None,
            failure: None,
            env,
        })
    }

    fn lock_name(&self) -> String {
        format!("windlass-deploy-lock-{}", self.service)
    }

    /// `docker ARGS`, captured.
    fn docker(&self, session: &mut Session, args: &[&str]) -> Result<Finished> {
        let sh = session.shell();
        session.run(sh.cmd("docker").args(args), Capture::Everything)
    }

    /// `docker ARGS`, captured and not echoed: the polls of the rollout.
    fn poll(&self, session: &mut Session, args: &[&str]) -> Result<Finished> {
        let sh = session.shell();
        session.run_quiet(sh.cmd("docker").args(args))
    }

    /// How many nodes the swarm has (1 when it cannot be told).
    fn nodes(&self, session: &mut Session) -> Result<usize> {
        let out = self.poll(session, &["node", "ls", "--quiet"])?;
        Ok(if out.success() {
            out.stdout
                .lines()
                .filter(|l| !l.trim().is_empty())
                .count()
                .max(1)
        } else {
            1
        })
    }

    /// The image and release of the service's current spec, or of the one before it
    /// (`previous`); `None` when there is no service, or no such spec.
    fn spec(&self, session: &mut Session, previous: bool) -> Result<Option<(String, String)>> {
        let spec = if previous { ".PreviousSpec" } else { ".Spec" };
        let out = self.docker(
            session,
            &[
                "service",
                "inspect",
                &self.service,
                "--format",
                &format!(
                    "{{{{if {spec}}}}}{{{{{spec}.TaskTemplate.ContainerSpec.Image}}}}|{{{{index {spec}.Labels \"{VERSION_LABEL}\"}}}}{{{{end}}}}"
                ),
            ],
        )?;
        let line = out.stdout.trim();
        if !out.success() || line.is_empty() {
            return Ok(None);
        }
        let (image, version) = line.split_once('|').unwrap_or((line, ""));
        let image = strip_digest(image);
        let version = if version.is_empty() {
            tag_of(&image)
        } else {
            version.to_string()
        };
        Ok(Some((image, version)))
    }

    /// The image and release a running service has (`None` when there is no service).
    fn running(&self, session: &mut Session) -> Result<Option<(String, String)>> {
        self.spec(session, false)
    }

    fn image_of(&self, release: &str) -> String {
        self.images
            .iter()
            .find(|(id, _)| id == release)
            .map_or_else(
                || with_tag(&self.image, release),
                |(_, image)| image.clone(),
            )
    }

    /// `--update-*` and the settings every create and update applies.
    fn update_args(&self) -> Vec<String> {
        let u = &self.env.update;
        let mut args = vec![
            "--update-parallelism".into(),
            u.parallelism.unwrap_or(1).to_string(),
            "--update-delay".into(),
            format!("{}ms", u.delay.map_or(0, |d| d.get().as_millis())),
            "--update-order".into(),
            match u.order {
                Some(UpdateOrder::StopFirst) => "stop-first".into(),
                _ => "start-first".into(),
            },
            "--update-monitor".into(),
            format!("{}ms", u.monitor.map_or(5000, |d| d.get().as_millis())),
            // windlass decides about rolling back, after its own gate: swarm only stops.
            "--update-failure-action".into(),
            "pause".into(),
        ];
        if let Some(replicas) = self.env.replicas {
            args.extend(["--replicas".into(), replicas.to_string()]);
        }
        args
    }

    fn create(&self, session: &mut Session, image: &str, release: &str) -> Result<Finished> {
        let mut args: Vec<String> = vec![
            "service".into(),
            "create".into(),
            "--detach".into(),
            "--name".into(),
            self.service.clone(),
            "--label".into(),
            format!("{VERSION_LABEL}={release}"),
            "--label".into(),
            format!("windlass.environment={}", self.env_name),
        ];
        args.extend(self.update_args());
        if names_registry(image) {
            // The nodes pull with the manager's registry login.
            args.push("--with-registry-auth".into());
        }
        for port in &self.env.publish {
            let (published, target) = port.split_once(':').unwrap_or((port, port));
            args.extend([
                "--publish".into(),
                format!("mode=host,published={published},target={target}"),
            ]);
        }
        for (key, value) in &self.env.env {
            args.extend(["--env".into(), format!("{key}={value}")]);
        }
        for secret in &self.env.secrets {
            args.extend(["--secret".into(), secret.clone()]);
        }
        args.push(image.to_string());
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.docker(session, &refs)
    }

    fn update(&self, session: &mut Session, image: &str, release: &str) -> Result<Finished> {
        let mut args: Vec<String> = vec![
            "service".into(),
            "update".into(),
            "--detach".into(),
            "--image".into(),
            image.to_string(),
            "--label-add".into(),
            format!("{VERSION_LABEL}={release}"),
        ];
        args.extend(self.update_args());
        if names_registry(image) {
            args.push("--with-registry-auth".into());
        }
        args.push(self.service.clone());
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.docker(session, &refs)
    }

    /// Follows the rollout of `image` until every replica runs it (healthy, where the image
    /// has a HEALTHCHECK) and the health URL answers, or the deadline passes.
    fn wait_rolled_out(&self, session: &mut Session, image: &str) -> Result<bool> {
        let deadline = Instant::now() + self.health.deadline;
        let replicas = self.env.replicas.unwrap_or(1) as usize;
        let mut last = String::new();
        loop {
            let state = self.poll(
                session,
                &[
                    "service",
                    "inspect",
                    &self.service,
                    "--format",
                    "{{if .UpdateStatus}}{{.UpdateStatus.State}}|{{.UpdateStatus.Message}}{{end}}",
                ],
            )?;
            let (update, message) = state
                .stdout
                .trim()
                .split_once('|')
                .map_or((String::new(), String::new()), |(a, b)| {
                    (a.to_string(), b.to_string())
                });
            let tasks = self.tasks(session)?;
            let new_running = tasks
                .iter()
                .filter(|t| t.image == image && t.state.starts_with("Running"))
                .count();
            let old_running = tasks
                .iter()
                .filter(|t| t.image != image && t.state.starts_with("Running"))
                .count();
            let failing: Vec<&Task> = tasks
                .iter()
                .filter(|t| t.image == image && !t.error.is_empty())
                .collect();
            let now = format!(
                "{new_running}/{replicas} replicas run {image}{}{}",
                if old_running > 0 {
                    format!(", {old_running} still run the previous image")
                } else {
                    String::new()
                },
                failing
                    .first()
                    .map(|t| format!("; a task failed: {}", t.error))
                    .unwrap_or_default()
            );
            if now != last {
                session.emit(windlass_core::event::Event::Output {
                    step: crate::names::DEPLOY.into(),
                    text: format!("  {now}"),
                });
                last = now;
            }
            if update == "paused" {
                session.message(
                    Severity::Warning,
                    format!("swarm paused the update of {}: {message}", self.service),
                );
                return Ok(false);
            }
            let settled = update.is_empty() || update == "completed";
            if new_running >= replicas && old_running == 0 && settled {
                return self.url_healthy(session, deadline);
            }
            if Instant::now() >= deadline {
                session.message(
                    Severity::Warning,
                    format!(
                        "{image} was not healthy within {:.1}s: {last}",
                        self.health.deadline.as_secs_f64()
                    ),
                );
                return Ok(false);
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    /// The health URL through the published port, when the environment has one.
    fn url_healthy(&self, session: &mut Session, deadline: Instant) -> Result<bool> {
        if self.env.health.url.is_none() {
            return Ok(true);
        }
        let mut options = self.health.clone();
        options.deadline = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_secs(1));
        Ok(health::wait_healthy(session, crate::names::DEPLOY, &options)?.healthy)
    }

    /// The tasks that should run, and the last failed one of each slot.
    fn tasks(&self, session: &mut Session) -> Result<Vec<Task>> {
        let out = self.poll(
            session,
            &[
                "service",
                "ps",
                &self.service,
                "--no-trunc",
                "--format",
                "{{.DesiredState}}\t{{.Image}}\t{{.CurrentState}}\t{{.Error}}",
            ],
        )?;
        Ok(out
            .stdout
            .lines()
            .filter_map(|line| {
                let mut parts = line.split('\t');
                let desired = parts.next()?;
                let task = Task {
                    image: strip_digest(parts.next()?),
                    state: parts.next()?.to_string(),
                    error: parts.next().unwrap_or_default().trim().to_string(),
                };
                // Running tasks, and recently failed ones (for the reason).
                (desired == "Running" || !task.error.is_empty()).then_some(task)
            })
            .collect())
    }

    fn problem(session: &mut Session, code: windlass_core::code::Code, message: String) {
        session.diagnostic(Diagnostic::new(
            crate::names::DEPLOY,
            Severity::Error,
            code,
            message,
        ));
    }

    /// Whether this node is an active swarm manager; why not, when it is not.
    fn manager(&self, session: &mut Session) -> Result<Option<String>> {
        let out = self.docker(
            session,
            &[
                "info",
                "--format",
                "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}",
            ],
        )?;
        if !out.success() {
            return Ok(Some(format!(
                "the Docker engine does not answer: {}",
                out.stderr.trim()
            )));
        }
        Ok(match out.stdout.trim() {
            "active true" => None,
            "active false" => Some("this node is a swarm worker: deploy from a manager".into()),
            state => Some(format!(
                "this node is not in a swarm ({state}): `docker swarm init`, or deploy from a manager"
            )),
        })
    }
}

impl Drop for SwarmEngine {
    fn drop(&mut self) {
        // Only when `unlock` was not reached (a panic): the lock must not outlive the run.
        if self.locked {
            let _ = std::process::Command::new("docker")
                .args(["config", "rm", &self.lock_name()])
                .output();
        }
    }
}

/// A task of the service.
struct Task {
    image: String,
    state: String,
    error: String,
}

impl Engine for SwarmEngine {
    fn lock(&mut self, session: &mut Session) -> Result<()> {
        if let Some(why) = self.manager(session)? {
            return Err(UsageError::new(format!(
                "cannot deploy {} to swarm: {why}",
                self.env_name
            ))
            .hint("run the deploy on a manager node of the swarm")
            .into());
        }
        let host = hostname();
        let holder = format!("pid={} host={host}", std::process::id());
        for _ in 0..2 {
            let sh = session.shell();
            let created = session.run_input(
                sh.cmd("docker")
                    .args(["config", "create", &self.lock_name(), "-"]),
                holder.clone().into_bytes(),
            )?;
            if created.success() {
                self.locked = true;
                return Ok(());
            }
            let held = self.docker(
                session,
                &[
                    "config",
                    "inspect",
                    &self.lock_name(),
                    "--format",
                    "{{printf \"%s\" .Spec.Data}}",
                ],
            )?;
            let by = held.stdout.trim().to_string();
            let stale = by
                .strip_prefix("pid=")
                .and_then(|rest| rest.split_once(" host="))
                .is_some_and(|(pid, h)| h == host && !alive(pid));
            if !stale {
                return Err(UsageError::new(format!(
                    "another deploy of the service {} is running ({by})",
                    self.service
                ))
                .hint(format!(
                    "wait for it; a lock left by a deploy that died elsewhere goes with `docker config rm {}`",
                    self.lock_name()
                ))
                .into());
            }
            session.message(
                Severity::Warning,
                format!("took over the lock of a deploy that no longer runs ({by})"),
            );
            let _ = self.docker(session, &["config", "rm", &self.lock_name()]);
        }
        Err(UsageError::new(format!("could not lock the service {}", self.service)).into())
    }

    fn unlock(&mut self, session: &mut Session) {
        if self.locked {
            let mut cmd = std::process::Command::new("docker");
            cmd.args(["config", "rm", &self.lock_name()]);
            let _ = session.runner().run_cleanup(cmd);
            self.locked = false;
        }
    }

    fn prepare(&mut self, _session: &mut Session, _ws: &Workspace) -> Result<Release> {
        let id = tag_of(&self.image);
        self.images.push((id.clone(), self.image.clone()));
        self.new_release = Some(id.clone());
        Ok(Release {
            version: id.clone(),
            id,
            image: Some(self.image.clone()),
            ..Release::default()
        })
    }

    fn validate(&mut self, session: &mut Session, _ws: &Workspace) -> Result<usize> {
        let mut problems = 0;
        if let Some(why) = self.manager(session)? {
            Self::problem(session, crate::codes::SWARM, why);
            problems += 1;
        }
        // A pushed image is pulled here, so that a typo or a missing push is found before
        // the service changes, not as tasks that cannot start on every node.
        let present = self
            .docker(session, &["image", "inspect", &self.image])?
            .success()
            || (names_registry(&self.image)
                && self
                    .docker(session, &["pull", "--quiet", &self.image])?
                    .success());
        if !present {
            Self::problem(
                session,
                crate::codes::IMAGE,
                format!(
                    "the image {} is not on this node and could not be pulled: build it (`cargo xtask docker-build`) or push it (`cargo xtask docker-build --push`)",
                    self.image
                ),
            );
            problems += 1;
        } else if !names_registry(&self.image) && self.nodes(session)? > 1 {
            session.message(
                Severity::Warning,
                format!(
                    "the image {} names no registry: the swarm's other nodes cannot pull it, so its tasks run on this node only or not at all",
                    self.image
                ),
            );
        }
        for secret in self.env.secrets.clone() {
            if !self
                .docker(session, &["secret", "inspect", &secret])?
                .success()
            {
                Self::problem(
                    session,
                    crate::codes::SECRET,
                    format!(
                        "the swarm secret `{secret}` does not exist: `docker secret create {secret} FILE`"
                    ),
                );
                problems += 1;
            }
        }
        Ok(problems)
    }

    fn stage(&mut self, session: &mut Session, _release: &Release) -> Result<Option<String>> {
        // The image is the release: nothing to put in place. Its id (a digest of its
        // configuration) is what the ledger records, and what promotion compares.
        let id = self.docker(
            session,
            &["image", "inspect", "--format", "{{.Id}}", &self.image],
        )?;
        Ok(id
            .success()
            .then(|| id.stdout.trim().trim_start_matches("sha256:").to_string())
            .filter(|d| !d.is_empty()))
    }

    fn current(&mut self, session: &mut Session) -> Result<Option<String>> {
        let Some((image, version)) = self.running(session)? else {
            return Ok(None);
        };
        self.images.push((version.clone(), image));
        Ok(Some(version))
    }

    fn live(&mut self, session: &mut Session) -> Result<Option<String>> {
        Ok(self.running(session)?.map(|(_, version)| version))
    }

    fn activate(
        &mut self,
        session: &mut Session,
        release: &str,
        timings: &mut Timings,
    ) -> Result<bool> {
        let image = self.image_of(release);
        let exists = self.running(session)?.is_some();
        // An update of a running service with an analysis starts with a canary: a canary
        // that fails leaves every replica on the release that runs now.
        if exists && self.env.analysis.is_some() && self.new_release.as_deref() == Some(release) {
            let verdict = timings.record("canary", || {
                crate::canary::run(
                    session,
                    &self.env_name,
                    &self.env,
                    &self.service,
                    (release, &image),
                    self.health.deadline,
                )
            })?;
            match verdict {
                crate::canary::Verdict::Passed => {}
                crate::canary::Verdict::Failed(why) => {
                    session.message(Severity::Warning, why.clone());
                    self.failure = Some(why);
                    return Ok(false);
                }
                crate::canary::Verdict::Interrupted => {
                    return Err(windlass_core::Interrupted.into());
                }
            }
        }
        let started = timings.record("update", || {
            if exists {
                self.update(session, &image, release)
            } else {
                self.create(session, &image, release)
            }
        })?;
        if !started.success() {
            session.message(
                Severity::Warning,
                format!(
                    "docker could not {} the service {}: {}",
                    if exists { "update" } else { "create" },
                    self.service,
                    started.stderr.trim()
                ),
            );
            return Ok(false);
        }
        timings.record("health", || self.wait_rolled_out(session, &image))
    }

    fn withdraw(&mut self, session: &mut Session, release: &str) -> Result<()> {
        session.message(
            Severity::Warning,
            format!(
                "removing the service {}: its first release, {release}, never became healthy",
                self.service
            ),
        );
        let _ = self.docker(session, &["service", "rm", &self.service])?;
        Ok(())
    }

    fn settle(
        &mut self,
        _session: &mut Session,
        _success: bool,
        _previous: Option<&str>,
        _ledger: &mut Ledger,
    ) {
    }

    fn restorable(
        &mut self,
        session: &mut Session,
        release: &str,
        image: Option<&str>,
    ) -> Result<bool> {
        let image = match image {
            Some(image) => image.to_string(),
            None => match self.running(session)? {
                Some((running, _)) => with_tag(&running, release),
                None => with_tag(&self.image, release),
            },
        };
        if !self
            .docker(session, &["image", "inspect", &image])?
            .success()
        {
            return Ok(false);
        }
        self.images.push((release.to_string(), image));
        Ok(true)
    }

    fn healthy(&mut self, session: &mut Session) -> Result<bool> {
        let Some((image, _)) = self.running(session)? else {
            return Err(UsageError::new(format!(
                "the service {} does not exist: nothing runs in {}",
                self.service, self.env_name
            ))
            .hint(format!(
                "deploy first: cargo xtask deploy --env {}",
                self.env_name
            ))
            .into());
        };
        self.wait_rolled_out(session, &image)
    }

    fn log(&self) -> PathBuf {
        self.log.clone()
    }

    fn last_failure(&mut self) -> Option<String> {
        self.failure.take()
    }

    fn ledger(&self) -> PathBuf {
        self.log.with_extension("ledger.json")
    }
}

/// The deploy log: `log`, relative to the workspace, default `target/windlass/deploy/<env>.log`.
pub fn log_path(ws: &Workspace, env_name: &str, env: &Environment) -> PathBuf {
    env.log.clone().map_or_else(
        || {
            ws.root
                .join("target/windlass/deploy")
                .join(format!("{env_name}.log"))
        },
        |p| if p.is_absolute() { p } else { ws.root.join(p) },
    )
}

/// The image a swarm environment rolls out by default: `[docker] image` (else the binary's
/// name) at the version of the workspace's package.
fn default_image(ws: &Workspace, session: &mut Session, env: &Environment) -> Result<String> {
    let docker = |key: &str| {
        ws.config
            .value("docker")
            .and_then(|d| d.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let wanted = env.bin.clone().or_else(|| docker("bin"));
    // The binary and its package's version, found as `docker-build` finds them, so that the
    // default is exactly the tag `docker-build` wrote.
    let members = ws.members(session)?;
    let bins: Vec<(String, String)> = members
        .iter()
        .flat_map(|p| {
            p.targets
                .iter()
                .filter(|t| t.is_bin())
                .map(move |t| (t.name.clone(), p.version.to_string()))
        })
        .collect();
    let found = match &wanted {
        Some(name) => bins.iter().find(|(bin, _)| bin == name).cloned(),
        None if bins.len() == 1 => bins.first().cloned(),
        None => None,
    };
    let name = docker("image")
        .or_else(|| found.as_ref().map(|(bin, _)| bin.clone()))
        .or(wanted)
        .ok_or_else(|| {
            UsageError::new(format!(
                "the swarm environment names no image, and {} has {} binaries to choose from",
                ws.config.manifest().display(),
                bins.len()
            ))
            .hint("set image = \"NAME:TAG\" in its section, or bin, or [workspace.metadata.windlass.docker] image, or pass --image")
        })?;
    let version = found.map_or_else(|| "latest".to_string(), |(_, version)| version);
    Ok(with_tag(&name, &version))
}

/// `name:tag` → `tag` (`latest` without one).
fn tag_of(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    last.split_once(':')
        .map_or_else(|| "latest".to_string(), |(_, t)| t.to_string())
}

/// `image` with its tag replaced by `tag`.
fn with_tag(image: &str, tag: &str) -> String {
    let (path, last) = image.rsplit_once('/').map_or(("", image), |(p, l)| (p, l));
    let name = last.split(':').next().unwrap_or(last);
    if path.is_empty() {
        format!("{name}:{tag}")
    } else {
        format!("{path}/{name}:{tag}")
    }
}

/// `name:tag@sha256:…` → `name:tag`: swarm pins images by digest where it can.
fn strip_digest(image: &str) -> String {
    image.split('@').next().unwrap_or(image).trim().to_string()
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

fn alive(pid: &str) -> bool {
    std::path::Path::new("/proc").join(pid).exists()
}

/// Whether an image reference starts with a registry host.
fn names_registry(image: &str) -> bool {
    registry_host(image).is_some()
}

/// The registry host an image reference starts with (`ghcr.io/org/svc:1` → `ghcr.io`,
/// `localhost:5000/svc` → `localhost:5000`); `None` for a name only an engine may have
/// (`svc:1`, `team/svc`), which the swarm's other nodes cannot pull.
pub fn registry_host(image: &str) -> Option<&str> {
    image
        .split_once('/')
        .map(|(first, _)| first)
        .filter(|first| first.contains('.') || first.contains(':') || *first == "localhost")
}

/// `name:tag` (or `name@digest`) → `name`, the repository an image belongs to.
pub fn repository_of(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or(image);
    match image.rsplit_once('/') {
        Some((path, last)) => {
            let name_len = last.split(':').next().unwrap_or(last).len();
            &image[..path.len() + 1 + name_len]
        }
        None => image.split(':').next().unwrap_or(image),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_and_tags() {
        assert_eq!(tag_of("svc:2.0.0"), "2.0.0");
        assert_eq!(tag_of("registry:5000/team/svc:v2"), "v2");
        assert_eq!(tag_of("svc"), "latest");
        assert_eq!(
            with_tag("registry:5000/team/svc:v2", "v1"),
            "registry:5000/team/svc:v1"
        );
        assert_eq!(with_tag("svc", "1.0.0"), "svc:1.0.0");
        assert_eq!(strip_digest("svc:v1@sha256:abc"), "svc:v1");
    }

    #[test]
    fn registries_are_told_from_names() {
        assert!(names_registry("ghcr.io/team/svc:1"));
        assert!(names_registry("registry:5000/svc"));
        assert!(names_registry("localhost/svc"));
        assert!(!names_registry("team/svc:1"));
        assert!(!names_registry("svc:1"));
        assert_eq!(registry_host("registry:5000/svc:2"), Some("registry:5000"));
        assert_eq!(
            repository_of("registry:5000/team/svc:v2"),
            "registry:5000/team/svc"
        );
        assert_eq!(repository_of("svc:1@sha256:ab"), "svc");
        assert_eq!(repository_of("svc"), "svc");
    }
}
