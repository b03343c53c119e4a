//! Test services: the database, cache or broker a test suite needs, started before the step
//! that needs it and stopped after, whatever happens — the same code on a laptop and in the
//! generated CI (no `services:` block in YAML to keep in sync).
//!
//! ```toml
//! [workspace.metadata.windlass.test.services.postgres]
//! image = "postgres:16"                      # run with the Docker engine
//! env = { POSTGRES_PASSWORD = "test" }
//! ports = [5432]                             # published on 127.0.0.1, on a free port
//! export = { DATABASE_URL = "postgres://postgres:test@{host}:{port}/postgres" }
//!
//! [workspace.metadata.windlass.test.services.redis]
//! run = ["redis-server", "--port", "{port}"] # a local process, on a free port
//! ready = ["redis-cli", "-p", "{port}", "ping"]
//! ```
//!
//! Each service exports `<NAME>_HOST` and `<NAME>_PORT` (and `<NAME>_PORT_<container port>`
//! for each published port) to the step, plus its `export` table with `{host}`, `{port}` and
//! `{port:N}` filled in. Readiness is a TCP connection (the default when there is a port) or a
//! command (`ready = [...]`; in the container for an image), retried until `deadline`
//! (default 30 s); a service that is not ready by then fails the run (exit 2) with its logs.

use anyhow::Result;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};
use windlass_core::error::UsageError;
use windlass_core::event::Event;
use windlass_core::plan::Plan;
use windlass_core::runner::{Background, Capture};
use windlass_core::units;
use windlass_core::{Session, Severity, Step, StepOutcome, Workspace};

/// `[workspace.metadata.windlass.test.services.<name>]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ServiceConfig {
    /// An image, run with the Docker engine.
    pub image: Option<String>,
    /// Arguments after the image (its command).
    #[serde(default)]
    pub args: Vec<String>,
    /// Or a local process: program and arguments, `{port}` a free port.
    pub run: Option<Vec<String>>,
    /// Variables for the service.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// The image's ports to publish on 127.0.0.1.
    #[serde(default)]
    pub ports: Vec<u16>,
    /// How to tell it is ready: `"tcp"` (the default with a port) or a command.
    pub ready: Option<Ready>,
    /// How long it may take to be ready (default 30s).
    pub deadline: Option<units::Duration>,
    /// Variables for the step, `{host}`, `{port}`, `{port:N}` filled in.
    #[serde(default)]
    pub export: BTreeMap<String, String>,
}

/// `ready = "tcp"` or `ready = ["pg_isready", ...]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Ready {
    /// `"tcp"`: the (first) port accepts connections.
    Word(String),
    /// A command that exits 0 when the service is ready.
    Command(Vec<String>),
}

/// The services a workspace declares, under `[workspace.metadata.windlass.test.services]`
/// (the `test` section's own type checks the rest of it).
pub fn declared(ws: &Workspace) -> Result<BTreeMap<String, ServiceConfig>> {
    let Some(services) = ws.config.value(super::NAME).and_then(|t| t.get("services")) else {
        return Ok(BTreeMap::new());
    };
    let declared: BTreeMap<String, ServiceConfig> =
        services.clone().try_into().map_err(|e: toml::de::Error| {
            ws.config
                .error_at(
                    &[super::NAME, "services"],
                    None,
                    format!(
                        "invalid [{}.test.services]: {}",
                        ws.config.table_name(),
                        e.to_string().trim()
                    ),
                )
                .hint("fix or remove the key named above")
        })?;
    for (name, service) in &declared {
        check(ws, name, service)?;
    }
    Ok(declared)
}

fn check(ws: &Workspace, name: &str, service: &ServiceConfig) -> Result<()> {
    let bad = |why: &str, hint: &str| -> anyhow::Error {
        ws.config
            .error_at(
                &[super::NAME, "services", name],
                None,
                format!("[{}.test.services.{name}] {why}", ws.config.table_name()),
            )
            .hint(hint.to_string())
            .into()
    };
    match (&service.image, &service.run) {
        (Some(_), Some(_)) => Err(bad(
            "has both `image` and `run`",
            "a service is an image or a local process: keep one",
        )),
        (None, None) => Err(bad(
            "has neither `image` nor `run`",
            "give the image to run (image = \"postgres:16\") or the command (run = [...])",
        )),
        (None, Some(run)) if run.first().is_none_or(String::is_empty) => Err(bad(
            "has an empty `run`",
            "run = [\"program\", \"arg\", ...]",
        )),
        _ => match &service.ready {
            Some(Ready::Word(word)) if word != "tcp" => Err(bad(
                &format!("has ready = \"{word}\""),
                "ready = \"tcp\", or a command: ready = [\"pg_isready\"]",
            )),
            _ => Ok(()),
        },
    }
}

/// A step that runs with services: they start before it and stop after it, even when it
/// fails or is interrupted; their logs are shown when it does not pass.
pub struct WithServices {
    inner: Box<dyn Step>,
    services: Vec<(String, ServiceConfig)>,
}

impl WithServices {
    /// `inner` with `services` around it; `inner` itself when there are none.
    pub fn wrap(inner: Box<dyn Step>, services: Vec<(String, ServiceConfig)>) -> Box<dyn Step> {
        if services.is_empty() {
            inner
        } else {
            Box::new(Self { inner, services })
        }
    }
}

impl Step for WithServices {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn plan(&self, ws: &Workspace, session: &mut Session) -> Result<Plan> {
        let started: Vec<String> = self
            .services
            .iter()
            .map(|(name, s)| match (&s.image, &s.run) {
                (Some(image), _) => format!("{name} (image {image})"),
                (_, Some(run)) => format!("{name} (`{}`)", run.join(" ")),
                _ => name.clone(),
            })
            .collect();
        Ok(
            Plan::describe(format!("start the services {}", started.join(", ")))
                .then(self.inner.plan(ws, session)?),
        )
    }

    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        let mut running = Running::default();
        for (name, service) in &self.services {
            if let Err(err) = running.start(session, name, service) {
                running.show_logs(session, self.inner.name());
                running.stop(session);
                return Err(err);
            }
        }
        let result = self.inner.run(ws, session);
        if !result.as_ref().is_ok_and(|o| o.passed) {
            running.show_logs(session, self.inner.name());
        }
        running.stop(session);
        result
    }
}

/// One started service.
struct Started {
    name: String,
    kind: Kind,
    /// The variables set for the step.
    exported: Vec<String>,
}

enum Kind {
    Container(String),
    Process {
        child: Background,
        log: PathBuf,
        /// The directory of its log, removed when the service is.
        _dir: windlass_core::files::ScratchDir,
    },
}

/// The services started so far; stopped when dropped, so an early return or a panic does
/// not leave one behind.
#[derive(Default)]
struct Running {
    started: Vec<Started>,
}

impl Running {
    fn start(&mut self, session: &mut Session, name: &str, service: &ServiceConfig) -> Result<()> {
        let began = Instant::now();
        let deadline = service
            .deadline
            .map_or(Duration::from_secs(30), units::Duration::get);
        let (kind, ports, check) = match (&service.image, &service.run) {
            (Some(image), _) => start_container(session, name, image, service)?,
            (_, Some(run)) => start_process(session, name, run, service)?,
            _ => unreachable_service(name)?,
        };
        let mut started = Started {
            name: name.to_string(),
            kind,
            exported: Vec::new(),
        };
        let ready = wait_ready(session, &mut started, &check, deadline);
        let host_port = ports.first().map(|(_, host)| *host);
        let where_ = host_port.map_or_else(String::new, |p| format!(" at 127.0.0.1:{p}"));
        self.started.push(started);
        ready.map_err(|why| {
            anyhow::Error::new(
                UsageError::new(format!(
                    "the test service `{name}` was not ready within {:.0}s: {why}",
                    deadline.as_secs_f64()
                ))
                .hint("its logs are above; raise `deadline`, or fix its config"),
            )
        })?;
        let exports = exports(name, service, &ports);
        for (key, value) in &exports {
            session.runner().set_env(key, value);
        }
        if let Some(started) = self.started.last_mut() {
            started.exported = exports.iter().map(|(k, _)| k.clone()).collect();
        }
        session.message(
            Severity::Notice,
            format!(
                "service `{name}` ready{where_} after {:.1}s; exported {}",
                began.elapsed().as_secs_f64(),
                exports
                    .iter()
                    .map(|(k, _)| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        Ok(())
    }

    fn show_logs(&self, session: &mut Session, step: &str) {
        for started in &self.started {
            let logs = match &started.kind {
                Kind::Container(id) => {
                    let mut cmd = Command::new("docker");
                    cmd.args(["logs", "--tail", "40", id]);
                    session
                        .runner()
                        .run_cleanup(cmd)
                        .map(|f| format!("{}{}", f.stdout, f.stderr))
                        .unwrap_or_default()
                }
                Kind::Process { log, .. } => {
                    tail(&windlass_core::files::read_text(log).unwrap_or_default())
                }
            };
            session.emit(Event::Output {
                step: step.to_string(),
                text: format!(
                    "--- the last log lines of the service `{}`\n{}",
                    started.name,
                    logs.trim_end()
                ),
            });
        }
    }

    fn stop(&mut self, session: &mut Session) {
        for mut started in self.started.drain(..).rev() {
            for key in &started.exported {
                session.runner().remove_env(key);
            }
            match &mut started.kind {
                Kind::Container(id) => {
                    let mut cmd = Command::new("docker");
                    cmd.args(["rm", "--force", "--volumes", id]);
                    let _ = session.runner().run_cleanup(cmd);
                }
                Kind::Process { child, .. } => {
                    child.stop(Duration::from_secs(5));
                }
            }
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // Reached with services left only when `stop` was not (a panic unwinding): the
        // containers still go (processes stop with their `Background`).
        for started in &self.started {
            if let Kind::Container(id) = &started.kind {
                let _ = Command::new("docker")
                    .args(["rm", "--force", "--volumes", id])
                    .output();
            }
        }
    }
}

fn unreachable_service(name: &str) -> Result<Launched> {
    Err(UsageError::new(format!(
        "the test service `{name}` has neither image nor run"
    ))
    .into())
}

/// A service just launched: what it is, its ports as (service, host), and how to tell it is
/// ready.
type Launched = (Kind, Vec<(u16, u16)>, Check);

/// How readiness is checked.
enum Check {
    Tcp(SocketAddr),
    Command(Command),
    Nothing,
}

/// `docker run` with the ports published on 127.0.0.1 at free ports; the ports as
/// (container, host).
// Long: the `docker run` arguments are built option by option from the service's config, each
// validated where it is added.
fn start_container(
    session: &mut Session,
    name: &str,
    image: &str,
    service: &ServiceConfig,
) -> Result<Launched> {
    static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let container = format!("windlass-{name}-{}-{n}", std::process::id());
    let sh = session.shell();
    let mut args: Vec<String> = vec![
        "run".into(),
        "--detach".into(),
        "--name".into(),
        container.clone(),
        "--label".into(),
        format!("windlass.service={name}"),
    ];
    for port in &service.ports {
        args.extend(["--publish".into(), format!("127.0.0.1::{port}")]);
    }
    for (key, value) in &service.env {
        args.extend(["--env".into(), format!("{key}={value}")]);
    }
    args.push(image.to_string());
    args.extend(service.args.iter().cloned());
    let finished = session.run(sh.cmd("docker").args(&args), Capture::Everything)?;
    if !finished.success() {
        // A failed `run` may still have created the container.
        let mut cmd = Command::new("docker");
        cmd.args(["rm", "--force", &container]);
        let _ = session.runner().run_cleanup(cmd);
        return Err(UsageError::new(format!(
            "the test service `{name}` did not start: {}",
            finished.stderr.trim()
        ))
        .hint("check that Docker runs and that the image is present (`docker image ls`) or can be pulled")
        .into());
    }
    let mut ports = Vec::new();
    for port in &service.ports {
        let out = session.run(
            sh.cmd("docker")
                .args(["port", &container, &format!("{port}/tcp")]),
            Capture::Everything,
        )?;
        let host = out
            .stdout
            .lines()
            .find_map(|l| l.rsplit(':').next()?.trim().parse::<u16>().ok());
        match host {
            Some(host) => ports.push((*port, host)),
            None => {
                let mut cmd = Command::new("docker");
                cmd.args(["rm", "--force", &container]);
                let _ = session.runner().run_cleanup(cmd);
                return Err(UsageError::new(format!(
                    "the test service `{name}`: docker published no host port for {port}"
                ))
                .into());
            }
        }
    }
    // Readiness through the container's own address: the published port's proxy accepts
    // connections before the service inside listens.
    let check = match (&service.ready, service.ports.first()) {
        (Some(Ready::Command(argv)), _) => {
            let mut cmd = Command::new("docker");
            cmd.arg("exec").arg(&container).args(argv);
            Check::Command(cmd)
        }
        (_, Some(port)) => {
            let ip = session
                .run(
                    sh.cmd("docker").args([
                        "inspect",
                        "--format",
                        "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
                        &container,
                    ]),
                    Capture::Everything,
                )?
                .stdout
                .split_whitespace()
                .find_map(|ip| ip.parse::<std::net::IpAddr>().ok());
            match ip {
                Some(ip) => Check::Tcp(SocketAddr::new(ip, *port)),
                None => Check::Tcp(SocketAddr::from((
                    [127, 0, 0, 1],
                    ports.first().map_or(*port, |p| p.1),
                ))),
            }
        }
        _ => Check::Nothing,
    };
    Ok((Kind::Container(container), ports, check))
}

/// A local process on a free port, its output in a log file.
fn start_process(
    session: &mut Session,
    name: &str,
    run: &[String],
    service: &ServiceConfig,
) -> Result<Launched> {
    let port = free_port()?;
    let fill = |text: &str| fill(text, "127.0.0.1", &[(port, port)]);
    let mut command = Command::new(fill(&run[0]));
    command.args(run[1..].iter().map(|a| fill(a)));
    for (key, value) in &service.env {
        command.env(key, fill(value));
    }
    command.current_dir(session.shell().current_dir());
    let dir = windlass_core::files::ScratchDir::new("services")?;
    let log = dir.path().join(format!("{name}.log"));
    session.emit(Event::CommandStarted {
        command: format!("{} &", windlass_core::runner::describe_command(&command)),
        streaming: false,
    });
    let child = session.runner().spawn_background(command, &log)?;
    session.emit(Event::CommandFinished {
        duration: Duration::ZERO,
    });
    let uses_port = run
        .iter()
        .chain(service.env.values())
        .any(|a| a.contains("{port"));
    let check = match &service.ready {
        Some(Ready::Command(argv)) if !argv.is_empty() => {
            let mut cmd = Command::new(fill(&argv[0]));
            cmd.args(argv[1..].iter().map(|a| fill(a)));
            Check::Command(cmd)
        }
        Some(Ready::Word(_)) => Check::Tcp(SocketAddr::from(([127, 0, 0, 1], port))),
        _ if uses_port => Check::Tcp(SocketAddr::from(([127, 0, 0, 1], port))),
        _ => Check::Nothing,
    };
    Ok((
        Kind::Process {
            child,
            log,
            _dir: dir,
        },
        vec![(port, port)],
        check,
    ))
}

/// Polls until ready, the deadline passes, or the service dies.
fn wait_ready(
    session: &mut Session,
    started: &mut Started,
    check: &Check,
    deadline: Duration,
) -> std::result::Result<(), String> {
    let end = Instant::now() + deadline;
    loop {
        if windlass_core::signal::interrupted() {
            return Err("interrupted".into());
        }
        if let Some(why) = died(session, started) {
            return Err(why);
        }
        let ready = match check {
            Check::Nothing => true,
            Check::Tcp(address) => {
                TcpStream::connect_timeout(address, Duration::from_millis(500)).is_ok()
            }
            Check::Command(cmd) => {
                let mut cmd = clone_command(cmd);
                cmd.stdin(std::process::Stdio::null());
                session.runner().run_cleanup(cmd).is_ok_and(|f| f.success())
            }
        };
        if ready {
            return Ok(());
        }
        if Instant::now() >= end {
            return Err(match check {
                Check::Tcp(address) => format!("nothing accepted connections on {address}"),
                Check::Command(cmd) => {
                    format!(
                        "`{}` never succeeded",
                        windlass_core::runner::describe_command(cmd)
                    )
                }
                Check::Nothing => "it did not start".into(),
            });
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Why the service is no longer running, if it is not.
fn died(session: &mut Session, started: &mut Started) -> Option<String> {
    match &mut started.kind {
        Kind::Process { child, .. } => child
            .exited()
            .map(|status| format!("it exited ({status}) before it was ready")),
        Kind::Container(id) => {
            let mut cmd = Command::new("docker");
            cmd.args(["inspect", "--format", "{{.State.Running}}", id]);
            let out = session.runner().run_cleanup(cmd).ok()?;
            (out.stdout.trim() == "false")
                .then(|| "its container exited before it was ready".into())
        }
    }
}

fn clone_command(cmd: &Command) -> Command {
    let mut copy = Command::new(cmd.get_program());
    copy.args(cmd.get_args());
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            copy.env(key, value);
        }
    }
    if let Some(dir) = cmd.get_current_dir() {
        copy.current_dir(dir);
    }
    copy
}

/// The variables a service gives the step.
fn exports(name: &str, service: &ServiceConfig, ports: &[(u16, u16)]) -> Vec<(String, String)> {
    let prefix: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    let mut out = vec![(format!("{prefix}_HOST"), "127.0.0.1".to_string())];
    if let Some((_, host)) = ports.first() {
        out.push((format!("{prefix}_PORT"), host.to_string()));
    }
    if service.image.is_some() {
        for (container, host) in ports {
            out.push((format!("{prefix}_PORT_{container}"), host.to_string()));
        }
    }
    for (key, template) in &service.export {
        out.push((key.clone(), fill(template, "127.0.0.1", ports)));
    }
    out
}

/// `{host}`, `{port}` (the first port) and `{port:N}` (container port N) in `text`.
fn fill(text: &str, host: &str, ports: &[(u16, u16)]) -> String {
    let mut out = text.replace("{host}", host);
    if let Some((_, first)) = ports.first() {
        out = out.replace("{port}", &first.to_string());
    }
    for (container, published) in ports {
        out = out.replace(&format!("{{port:{container}}}"), &published.to_string());
    }
    out
}

fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| anyhow::anyhow!("no free port on 127.0.0.1: {e}"))?;
    Ok(listener.local_addr()?.port())
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_names_become_variables() {
        let service = ServiceConfig {
            image: Some("postgres:16".into()),
            export: BTreeMap::from([(
                "DATABASE_URL".to_string(),
                "postgres://u:p@{host}:{port}/db?alt={port:6432}".to_string(),
            )]),
            ..ServiceConfig::default()
        };
        let got = exports("main-db", &service, &[(5432, 49153), (6432, 49154)]);
        assert_eq!(
            got,
            [
                ("MAIN_DB_HOST".to_string(), "127.0.0.1".to_string()),
                ("MAIN_DB_PORT".to_string(), "49153".to_string()),
                ("MAIN_DB_PORT_5432".to_string(), "49153".to_string()),
                ("MAIN_DB_PORT_6432".to_string(), "49154".to_string()),
                (
                    "DATABASE_URL".to_string(),
                    "postgres://u:p@127.0.0.1:49153/db?alt=49154".to_string()
                ),
            ]
        );
    }
}
