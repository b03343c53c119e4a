//! windlass's container images: `docker-build`.
//!
//! - `--init` writes a multi-stage Dockerfile (dependencies in a layer of their own, a
//!   distroless non-root runtime, an exec-form HEALTHCHECK with no shell or curl) and a
//!   `.dockerignore`;
//! - `--check` lints a Dockerfile ([`lint`]);
//! - a build tags `{image}:{version}` and `{image}:sha-{short}` and labels the image with the
//!   OCI annotations, `created` taken from `SOURCE_DATE_EPOCH` or the commit time so that a
//!   rebuild is reproducible; `--prebuilt` builds a static binary on the host (reusing its
//!   cargo cache) and copies it into a `scratch` image;
//! - `--smoke` runs the image until its HEALTHCHECK says healthy, or fails with its logs;
//!   the container is always removed.

pub mod codes;
pub mod dockerfile;
pub mod lint;
pub mod parse;
pub mod shell;
mod smoke;

pub mod task;
use anyhow::Result;
use dockerfile::Probe;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use windlass_core::Plan;
use windlass_core::event::Event;
use windlass_core::runner::Capture;
use windlass_core::{Session, Step, StepOutcome, UsageError, Workspace};

/// The name of the step.
pub const NAME: &str = "docker-build";

/// Where the probe looks when no `health-url` is configured.
pub const DEFAULT_HEALTH_URL: &str = "http://127.0.0.1:8080/health";

/// `[workspace.metadata.windlass.docker]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DockerConfig {
    /// The image name (default: the binary's name).
    pub image: Option<String>,
    /// The binary (default: the workspace's only one).
    #[serde(default, deserialize_with = "windlass_core::paths::de::file_name")]
    pub bin: Option<String>,
    /// The runtime base image of `--init`.
    pub base: Option<String>,
    /// The health endpoint inside the container, which windlass's static probe GETs
    /// (default `http://127.0.0.1:8080/health`).
    pub health_url: Option<String>,
    /// Instead of the probe: arguments that make the binary check its own health
    /// (`["health"]` runs `svc health`).
    pub healthcheck: Option<Vec<String>>,
    /// Also tag `latest`.
    #[serde(default)]
    pub latest: bool,
    /// `org.opencontainers.image.source` (default: the git remote).
    pub source: Option<String>,
}

/// What `docker-build` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Write the Dockerfile and `.dockerignore`.
    Init {
        /// Replace existing files.
        force: bool,
    },
    /// Lint a Dockerfile.
    Check(Option<PathBuf>),
    /// Build.
    Build {
        /// Build the binary on the host and copy it into `scratch`.
        prebuilt: bool,
        /// Run it until healthy.
        smoke: bool,
        /// Push the tags.
        push: bool,
        /// Print the docker command only.
        dry_run: bool,
    },
}

/// The `docker-build` step.
#[derive(Debug, Clone)]
pub struct DockerBuild {
    /// The config.
    pub config: DockerConfig,
    /// `--bin`.
    pub bin: Option<String>,
    /// What to do.
    pub mode: Mode,
    /// How long `--smoke` waits for healthy.
    pub smoke_deadline: Duration,
}

/// The binary to package and its package's version and licence.
struct Target {
    bin: String,
    version: String,
    license: String,
}

impl DockerBuild {
    fn target(&self, ws: &Workspace, session: &mut Session) -> Result<Target> {
        let wanted = self.bin.clone().or_else(|| self.config.bin.clone());
        let members = ws.members(session)?;
        // The xtask's binary is the repository's automation, never its service.
        let bins: Vec<(String, String, String)> = members
            .iter()
            .filter(|p| wanted.is_some() || !windlass_core::workspace::is_xtask(p))
            .flat_map(|p| {
                p.targets.iter().filter(|t| t.is_bin()).map(move |t| {
                    (
                        t.name.clone(),
                        p.version.to_string(),
                        p.license.clone().unwrap_or_default(),
                    )
                })
            })
            .collect();
        let found = match &wanted {
            Some(name) => bins
                .into_iter()
                .find(|(b, _, _)| b == name)
                .ok_or_else(|| {
                    UsageError::new(format!("no binary `{name}` in the workspace"))
                        .hint("name one of its [[bin]] targets with --bin")
                })?,
            None => match bins.len() {
                0 => {
                    return Err(UsageError::new(
                        "the workspace has no binary target to put in an image",
                    )
                    .hint("add a [[bin]] target (src/main.rs)")
                    .into());
                }
                1 => bins.into_iter().next().unwrap_or_default(),
                _ => {
                    let names: Vec<String> = bins.into_iter().map(|(b, _, _)| b).collect();
                    return Err(UsageError::new(format!(
                        "the workspace has several binaries: {}",
                        names.join(", ")
                    ))
                    .hint("choose one with --bin or [workspace.metadata.windlass.docker] bin")
                    .into());
                }
            },
        };
        Ok(Target {
            bin: found.0,
            version: found.1,
            license: found.2,
        })
    }

    /// The HEALTHCHECK: the binary's own when configured, else windlass's HTTP probe.
    fn probe(&self) -> Result<Probe> {
        if let Some(args) = &self.config.healthcheck {
            return Ok(Probe::Command(args.clone()));
        }
        let url = self
            .config
            .health_url
            .clone()
            .unwrap_or_else(|| DEFAULT_HEALTH_URL.into());
        if !url.starts_with("http://") {
            return Err(UsageError::new(format!(
                "health-url `{url}` in [workspace.metadata.windlass.docker] is not an http:// URL"
            ))
            .hint("the probe runs inside the container: e.g. http://127.0.0.1:8080/health")
            .into());
        }
        Ok(Probe::Http(url))
    }
}

fn git(session: &mut Session, root: &Path, args: &[&str]) -> Option<String> {
    let sh = session.shell();
    let cmd = sh.cmd("git").arg("-C").arg(root).args(args);
    let out = session.run(cmd, Capture::Everything).ok()?;
    out.success()
        .then(|| out.stdout.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The image's creation time: `SOURCE_DATE_EPOCH`, else the commit's time, else now.
fn created(session: &mut Session, root: &Path) -> Result<String> {
    let epoch = windlass_core::cargo_env::source_date_epoch()?.or_else(|| {
        git(session, root, &["log", "-1", "--format=%ct"]).and_then(|s| s.parse().ok())
    });
    let time = epoch.map_or_else(SystemTime::now, |secs| {
        UNIX_EPOCH + Duration::from_secs(secs)
    });
    Ok(windlass_core::time::rfc3339(time))
}

/// Fails with a clear message when docker is missing or its daemon does not answer.
fn require_docker(session: &mut Session) -> Result<()> {
    let sh = session.shell();
    let cmd = sh
        .cmd("docker")
        .args(["version", "--format", "{{.Server.Version}}"]);
    let out = session.run(cmd, Capture::Everything).map_err(|_| {
        UsageError::new("docker is not installed")
            .hint("install Docker Engine (docker.io / docker-ce)")
    })?;
    if !out.success() {
        return Err(UsageError::new(format!(
            "the Docker daemon is not reachable: {}",
            out.stderr.trim()
        ))
        .hint("start it (systemctl start docker) or point DOCKER_HOST at one")
        .into());
    }
    Ok(())
}

impl Step for DockerBuild {
    fn name(&self) -> &str {
        NAME
    }

    fn plan(&self, _ws: &Workspace, _session: &mut Session) -> Result<Plan> {
        Ok(Plan::describe(match &self.mode {
            Mode::Init { .. } => "write Dockerfile and .dockerignore".into(),
            Mode::Check(_) => "lint the Dockerfile".into(),
            Mode::Build {
                prebuilt, smoke, ..
            } => format!(
                "build the image{}{}",
                if *prebuilt {
                    " from a static binary built on the host"
                } else {
                    ""
                },
                if *smoke {
                    ", then run it until healthy"
                } else {
                    ""
                }
            ),
        }))
    }

    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        match &self.mode {
            Mode::Init { force } => self.init(ws, session, *force),
            Mode::Check(file) => {
                let path = file.clone().unwrap_or_else(|| ws.root.join("Dockerfile"));
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    UsageError::io(format!("cannot read {}: {e}", path.display()))
                        .hint("write one with `docker-build --init`")
                })?;
                let findings = lint::check_at(&text, Some(&path));
                let shown = ws.display_path(&path);
                for d in lint::diagnostics(NAME, &shown, &findings) {
                    session.diagnostic(d);
                }
                if findings.is_empty() {
                    Ok(StepOutcome::passed(format!("{shown} follows every rule")))
                } else {
                    Ok(StepOutcome::failed(
                        format!("{} problems in {shown}", findings.len()),
                        "fix the lines named above",
                    ))
                }
            }
            Mode::Build {
                prebuilt,
                smoke,
                push,
                dry_run,
            } => self.build(ws, session, *prebuilt, *smoke, *push, *dry_run),
        }
    }
}

impl DockerBuild {
    fn init(&self, ws: &Workspace, session: &mut Session, force: bool) -> Result<StepOutcome> {
        let target = self.target(ws, session)?;
        let metadata = ws.metadata(session)?;
        let probe = self.probe()?;
        // A line break in a name or path would end a Dockerfile instruction: no quoting
        // makes it safe, so it is refused (the rest is quoted where it is written).
        let values = metadata.workspace_packages().into_iter().flat_map(|p| {
            std::iter::once(p.manifest_path.to_string()).chain(
                p.targets
                    .iter()
                    .flat_map(|t| [t.name.clone(), t.src_path.to_string()]),
            )
        });
        for value in values {
            if dockerfile::unsafe_value(&value) {
                return Err(UsageError::new(format!(
                    "`{}` holds a control character (a line break?): no Dockerfile can name it",
                    windlass_core::sanitize::terminal(&value, false)
                ))
                .kind(windlass_core::error::ErrorKind::Refused)
                .hint("rename it; nothing was written")
                .into());
            }
        }
        let text = dockerfile::multi_stage(
            ws,
            metadata,
            &target.bin,
            self.config.base.as_deref(),
            &probe,
        );
        let mut files = vec![
            ("Dockerfile", text),
            (".dockerignore", dockerfile::DOCKERIGNORE.to_string()),
        ];
        if matches!(probe, Probe::Http(_)) {
            files.push((dockerfile::PROBE_PATH, dockerfile::PROBE_SOURCE.to_string()));
        }
        session.emit(Event::Output {
            step: NAME.into(),
            text: format!("  {}", probe.describe()),
        });
        let mut wrote = Vec::new();
        let root = windlass_core::files::root(&ws.root)?;
        for (name, contents) in files {
            let path = ws.root.join(name);
            let exists = root
                .kind(Path::new(name))
                .map_err(windlass_core::files::error)?
                .is_some();
            if exists && !force {
                session.emit(Event::Output {
                    step: NAME.into(),
                    text: format!("  kept {name} (exists; --force replaces it)"),
                });
                continue;
            }
            root.write_atomic(
                Path::new(name),
                contents.as_bytes(),
                windlass_core::files::Perm::Keep,
            )
            .map_err(windlass_core::files::error)?;
            if name.ends_with(".rs") {
                format_as_the_repository_does(ws, session, &path);
            }
            wrote.push(name);
        }
        Ok(StepOutcome::passed(if wrote.is_empty() {
            "nothing written".into()
        } else {
            format!("wrote {}", wrote.join(", "))
        }))
    }

    // Long: the build's sequence (lint, context, build, smoke run, health probe, push) shares the
    // image id and the cleanup guard.
    fn build(
        &self,
        ws: &Workspace,
        session: &mut Session,
        prebuilt: bool,
        smoke: bool,
        push: bool,
        dry_run: bool,
    ) -> Result<StepOutcome> {
        let target = self.target(ws, session)?;
        let image = self
            .config
            .image
            .clone()
            .unwrap_or_else(|| target.bin.clone());
        let revision =
            git(session, &ws.root, &["rev-parse", "HEAD"]).unwrap_or_else(|| "unknown".into());
        let short: String = revision.chars().take(7).collect();
        let mut tags = vec![
            format!("{image}:{}", target.version),
            format!("{image}:sha-{short}"),
        ];
        if self.config.latest {
            tags.push(format!("{image}:latest"));
        }
        let source = self
            .config
            .source
            .clone()
            .or_else(|| git(session, &ws.root, &["config", "--get", "remote.origin.url"]))
            .unwrap_or_default();
        let labels = [
            ("created", created(session, &ws.root)?),
            ("revision", revision.clone()),
            ("version", target.version.clone()),
            ("source", source),
            ("licenses", target.license.clone()),
            ("title", target.bin.clone()),
        ];
        let context = if prebuilt {
            ws.root.join("target/windlass-docker").join(&target.bin)
        } else {
            ws.root.clone()
        };
        let mut args: Vec<String> = vec!["build".into()];
        if !prebuilt {
            args.extend([
                "--file".into(),
                ws.root.join("Dockerfile").to_string_lossy().into_owned(),
            ]);
        }
        for tag in &tags {
            args.extend(["--tag".into(), tag.clone()]);
        }
        for (key, value) in &labels {
            args.extend([
                "--label".into(),
                format!("org.opencontainers.image.{key}={value}"),
            ]);
        }
        args.push(context.to_string_lossy().into_owned());
        if dry_run {
            let sh = session.shell();
            let line = Session::describe(sh.cmd("docker").args(&args));
            session.emit(Event::Output {
                step: NAME.into(),
                text: line,
            });
            return Ok(StepOutcome::passed("dry run: nothing built"));
        }
        require_docker(session)?;
        if prebuilt {
            self.prepare_prebuilt(ws, session, &target, &context)?;
        } else {
            if !ws.root.join("Dockerfile").is_file() {
                return Err(UsageError::new("no Dockerfile")
                    .hint("write one with `docker-build --init`, or use --prebuilt")
                    .into());
            }
            let text = std::fs::read_to_string(ws.root.join("Dockerfile")).unwrap_or_default();
            for base in dockerfile::external_images(&text) {
                ensure_image(session, &base)?;
            }
        }
        let sh = session.shell();
        let buildx = session
            .run(
                sh.cmd("docker").args(["buildx", "version"]),
                Capture::Everything,
            )
            .is_ok_and(|o| o.success());
        let mut cmd = sh.cmd("docker");
        if buildx {
            cmd = cmd.arg("buildx");
            args.insert(1, "--load".into());
        }
        let built = session.run(cmd.args(&args), Capture::Nothing)?;
        if !built.success() {
            return Ok(StepOutcome::failed(
                "docker build failed (its output is above)",
                format!("docker {}", args.join(" ")),
            ));
        }
        if push {
            for tag in &tags {
                let pushed = session.run(sh.cmd("docker").args(["push", tag]), Capture::Nothing)?;
                if !pushed.success() {
                    return Ok(StepOutcome::failed(
                        format!("could not push {tag}"),
                        format!("docker push {tag}"),
                    ));
                }
            }
        }
        let size = session
            .run(
                sh.cmd("docker")
                    .args(["image", "inspect", "--format", "{{.Size}}", &tags[0]]),
                Capture::Everything,
            )
            .ok()
            .and_then(|o| o.stdout.trim().parse::<u64>().ok())
            .map_or_else(String::new, |b| format!(", {:.1} MB", b as f64 / 1e6));
        let mut summary = format!("built {}{size}", tags.join(", "));
        if smoke {
            match smoke::run(session, &tags[0], self.smoke_deadline)? {
                smoke::Verdict::Healthy(after) => {
                    summary.push_str(&format!("; healthy after {:.1}s", after.as_secs_f64()))
                }
                smoke::Verdict::Unhealthy(why) => {
                    return Ok(StepOutcome::failed(
                        format!("{} is not healthy: {why}", tags[0]),
                        format!("docker run --rm {}", tags[0]),
                    ));
                }
            }
        }
        Ok(StepOutcome::passed(summary))
    }

    /// A static binary, built with the host's cargo cache, and a `scratch` Dockerfile beside it.
    fn prepare_prebuilt(
        &self,
        ws: &Workspace,
        session: &mut Session,
        target: &Target,
        context: &Path,
    ) -> Result<()> {
        let sh = session.shell();
        let host = session
            .run(sh.cmd("rustc").arg("-vV"), Capture::Everything)?
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
            .ok_or_else(|| {
                UsageError::new("cannot tell the host's target triple from `rustc -vV`")
            })?;
        // The flag applies to this build only: never to the xtask's own.
        let cmd = sh
            .cmd("cargo")
            .args([
                "build",
                "--release",
                "--bin",
                &target.bin,
                "--target",
                &host,
            ])
            .env("RUSTFLAGS", "-C target-feature=+crt-static");
        if !session.run(cmd, Capture::Nothing)?.success() {
            return Err(UsageError::new(format!(
                "the static build of {} failed (its output is above)",
                target.bin
            ))
            .into());
        }
        let target_dir = ws.target_dir(session)?;
        let binary = target_dir.join(&host).join("release").join(&target.bin);
        // The build context is a directory of windlass's own (under the target directory).
        let dir = windlass_core::files::root(context)?;
        dir.copy_in(
            &binary,
            Path::new(&target.bin),
            windlass_core::files::Perm::Executable,
        )
        .map_err(windlass_core::files::error)?;
        let probe = self.probe()?;
        if matches!(probe, Probe::Http(_)) {
            let source = context.join("healthprobe.rs");
            windlass_core::files::write(context, &source, dockerfile::PROBE_SOURCE.as_bytes())?;
            let cmd = sh
                .cmd("rustc")
                .args(dockerfile::PROBE_RUSTC_FLAGS)
                .arg(&source)
                .arg("-o")
                .arg(context.join("healthprobe"));
            if !session.run(cmd, Capture::Everything)?.success() {
                return Err(UsageError::new("the static health probe did not build")
                    .hint("check that rustc can link static binaries (glibc's static libraries)")
                    .into());
            }
        }
        session.message(windlass_core::Severity::Notice, probe.describe());
        let text = dockerfile::prebuilt(&target.bin, &probe);
        windlass_core::files::write(context, &context.join("Dockerfile"), text.as_bytes())
    }
}

/// A base image must be here already, or be pullable; these machines often cannot pull.
fn ensure_image(session: &mut Session, image: &str) -> Result<()> {
    let sh = session.shell();
    if session
        .run(
            sh.cmd("docker").args(["image", "inspect", image]),
            Capture::Everything,
        )?
        .success()
    {
        return Ok(());
    }
    let pulled = session.run_timeout(
        sh.cmd("docker").args(["pull", image]),
        Capture::Everything,
        Duration::from_secs(300),
    )?;
    if pulled.success() {
        return Ok(());
    }
    Err(UsageError::new(format!(
        "the base image {image} is not present locally and cannot be pulled: {}",
        pulled.stderr.trim()
    ))
    .hint("load it (docker load -i ...) or build it; or use --prebuilt to build FROM scratch")
    .into())
}

/// A Rust file init wrote, formatted by the repository's own rustfmt config (the nearest
/// `rustfmt.toml` above it, the root manifest's edition), so that the hook's rustfmt passes
/// it as committed. The source is already formatted for rustfmt's defaults: a failure here
/// (no rustfmt) leaves that.
fn format_as_the_repository_does(ws: &Workspace, session: &mut Session, path: &std::path::Path) {
    let edition = ws
        .metadata(session)
        .ok()
        .and_then(|m| {
            let members = m.workspace_packages();
            let root = members
                .iter()
                .find(|p| p.manifest_path.as_std_path() == ws.manifest_path)
                .or(members.first())?;
            Some(root.edition.as_str().to_string())
        })
        .unwrap_or_else(|| "2021".into());
    let sh = session.shell();
    let cmd = sh.cmd("rustfmt").arg("--edition").arg(edition).arg(path);
    let _ = session.run(cmd, Capture::Everything);
}
