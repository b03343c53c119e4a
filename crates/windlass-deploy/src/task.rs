//! The deploy tasks: `health-check`, `validate-config`, `deploy`, `rollback` and
//! `systemd-unit`, sharing the `[workspace.metadata.windlass.deploy]` section.

use crate::config::{EngineKind, Environment, Environments, SECTION, pick};
use crate::deploy::{Deploy, Rollback};
use crate::health::HealthConfig;
use crate::systemd::SystemdUnit;
use crate::validate::ValidateConfig;
use crate::{EnvironmentHealth, HealthCheck};
use anyhow::Result;
use std::path::PathBuf;
use windlass_core::job::Inputs;
use windlass_core::task::{Context, Run, Task};
use windlass_core::units::Duration;
use windlass_core::{Plan, Session, Step, StepOutcome, Workspace};
use windlass_workflows::{DeployEnvironments, DeployTarget, ImageSource};

pub use crate::names::{DEPLOY, HEALTH_CHECK, ROLLBACK};

/// `--env NAME`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct EnvArgs {
    /// The environment: a [workspace.metadata.windlass.deploy.NAME] section.
    #[arg(long = "env", value_name = "NAME")]
    pub env: String,
}

/// `health-check`'s command line.
#[derive(Debug, Clone, clap::Args)]
pub struct HealthCheckArgs {
    /// The endpoint, e.g. http://127.0.0.1:8080/health.
    #[arg(long, required_unless_present = "env")]
    pub url: Option<String>,
    /// Check an environment as its deploys do: its health table (host), or every replica of
    /// its service and its health URL (swarm).
    #[arg(long = "env", value_name = "NAME", conflicts_with = "url")]
    pub env: Option<String>,
    /// Give up after this long.
    #[arg(long, default_value = "60s")]
    pub deadline: Duration,
    /// Wait between attempts (grows after failures).
    #[arg(long, default_value = "1s")]
    pub interval: Duration,
    /// Each attempt's time limit.
    #[arg(long, default_value = "1s")]
    pub timeout: Duration,
    /// Consecutive healthy answers required.
    #[arg(long, default_value_t = 2)]
    pub successes: u32,
    /// Count `"status": "degraded"` as healthy.
    #[arg(long)]
    pub degraded_ok: bool,
}

/// `health-check`: GET a health endpoint until healthy or a deadline passes.
pub struct HealthCheckTask;

impl Task for HealthCheckTask {
    type Args = HealthCheckArgs;
    type Config = Environments;

    fn name(&self) -> &str {
        HEALTH_CHECK
    }

    fn about(&self) -> &str {
        "GET a health endpoint until it is healthy or a deadline passes."
    }

    fn section(&self) -> &str {
        SECTION
    }

    fn needs_workspace(&self, args: &HealthCheckArgs) -> bool {
        args.env.is_some()
    }

    fn pipeline(
        &self,
        args: &HealthCheckArgs,
        envs: &Environments,
        cx: &mut Context<'_>,
    ) -> Result<Option<Run>> {
        let step: Box<dyn Step> = match &args.env {
            Some(name) => Box::new(EnvironmentHealth {
                env_name: name.clone(),
                env: pick(envs, cx.ws, name)?,
            }),
            None => {
                let config = HealthConfig {
                    url: args.url.clone(),
                    deadline: Some(args.deadline),
                    interval: Some(args.interval),
                    timeout: Some(args.timeout),
                    successes: Some(args.successes),
                    degraded_ok: Some(args.degraded_ok),
                };
                let options = config.options();
                crate::health::parse_url(&options.url)?;
                Box::new(HealthCheck { options })
            }
        };
        Ok(Some(Run::single(HEALTH_CHECK, step)))
    }
}

/// `validate-config`: the variables, files and services an environment needs.
pub struct ValidateConfigTask;

impl ValidateConfigTask {
    fn step(args: &EnvArgs, envs: &Environments, ws: &Workspace) -> Result<ValidateConfig> {
        Ok(ValidateConfig {
            env_name: args.env.clone(),
            env: pick(envs, ws, &args.env)?,
        })
    }
}

impl Task for ValidateConfigTask {
    type Args = EnvArgs;
    type Config = Environments;

    fn name(&self) -> &str {
        crate::validate::NAME
    }

    fn about(&self) -> &str {
        "Check the variables, config files and services an environment needs."
    }

    fn section(&self) -> &str {
        SECTION
    }

    fn plan(
        &self,
        args: &EnvArgs,
        envs: &Environments,
        ws: &Workspace,
        session: &mut Session,
    ) -> Result<Plan> {
        Self::step(args, envs, ws)?.plan(ws, session)
    }

    fn run(
        &self,
        args: &EnvArgs,
        envs: &Environments,
        ws: &Workspace,
        session: &mut Session,
    ) -> Result<StepOutcome> {
        Self::step(args, envs, ws)?.run(ws, session)
    }
}

/// `deploy`'s command line.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DeployArgs {
    /// The environment: a [workspace.metadata.windlass.deploy.NAME] section.
    #[arg(long = "env", value_name = "NAME")]
    pub env: String,
    /// Ship this file instead of building the environment's binary (host environments).
    #[arg(long, value_name = "PATH")]
    pub artifact: Option<PathBuf>,
    /// Roll out this image instead of the configured one (swarm environments).
    #[arg(long, value_name = "REF", conflicts_with = "artifact")]
    pub image: Option<String>,
    /// Print the environment's delivery metrics (deployment frequency, change failure rate,
    /// time to restore, lead time, time to deploy, a chart per week) and exit: as a table,
    /// `--stats json`, or `--stats prometheus` (text exposition, for node-exporter's textfile
    /// collector or a pushgateway).
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "table", conflicts_with = "history")]
    pub stats: Option<StatsFormat>,
    /// List the environment's releases, newest first, with the verdict the ledger records
    /// for each (healthy, rolled-back, withdrawn, interrupted, ...), and exit.
    #[arg(long)]
    pub history: bool,
    /// Refuse to build from a work tree with uncommitted changes (default: deploy it,
    /// marked `dirty` in release.json, with a warning).
    #[arg(long, conflicts_with = "artifact")]
    pub require_clean: bool,
    /// Deploy exactly what is live in ENV and passed its gate and bake there (its binary by
    /// SHA-256, its image by id); anything else is refused.
    #[arg(long, value_name = "ENV", conflicts_with = "image")]
    pub promote: Option<String>,
    /// Ctrl-C during the bake keeps the release (its bake unfinished, said so) instead of
    /// rolling it back.
    #[arg(long)]
    pub keep_on_interrupt: bool,
}

/// `deploy --stats`'s forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatsFormat {
    /// A table and a chart per week.
    Table,
    /// One JSON document on stdout.
    Json,
    /// Prometheus's text exposition on stdout.
    Prometheus,
}

/// `deploy`: a release to an environment, rolled back automatically when it is not healthy.
pub struct DeployTask;

impl Task for DeployTask {
    type Args = DeployArgs;
    type Config = Environments;

    fn name(&self) -> &str {
        DEPLOY
    }

    fn about(&self) -> &str {
        "Deploy a release to an environment, rolling back automatically if it is not healthy."
    }

    fn section(&self) -> &str {
        SECTION
    }

    fn writes_artifact(&self, args: &DeployArgs) -> bool {
        matches!(
            args.stats,
            Some(StatsFormat::Json | StatsFormat::Prometheus)
        )
    }

    fn pipeline(
        &self,
        args: &DeployArgs,
        envs: &Environments,
        cx: &mut Context<'_>,
    ) -> Result<Option<Run>> {
        let env = pick(envs, cx.ws, &args.env)?;
        if let Some(format) = args.stats {
            let log = crate::deploy::log_path(cx.ws, &args.env, &env)?;
            let metrics = crate::stats::metrics(&args.env, &log)?;
            let event = match format {
                StatsFormat::Table => windlass_core::event::Event::Output {
                    step: DEPLOY.into(),
                    text: crate::stats::table(&metrics),
                },
                StatsFormat::Json => windlass_core::event::Event::Artifact {
                    step: DEPLOY.into(),
                    text: serde_json::to_string_pretty(&metrics)? + "\n",
                },
                StatsFormat::Prometheus => windlass_core::event::Event::Artifact {
                    step: DEPLOY.into(),
                    text: crate::stats::exposition(&metrics),
                },
            };
            cx.session.emit(event);
            cx.session.emit(windlass_core::event::Event::Summary {
                markdown: crate::stats::markdown(&metrics),
            });
            let mut run = Run::steps(DEPLOY, Vec::new());
            run.plan_only = true;
            return Ok(Some(run));
        }
        if args.history {
            let (ledger_path, log, live) =
                crate::deploy::ledger_of(cx.ws, cx.session, &args.env, &env)?;
            let ledger = crate::ledger::Ledger::load(&ledger_path, &log)?;
            cx.session.emit(windlass_core::event::Event::Output {
                step: DEPLOY.into(),
                text: crate::history::history(&ledger, live.as_deref()),
            });
            let mut run = Run::steps(DEPLOY, Vec::new());
            run.plan_only = true;
            return Ok(Some(run));
        }
        let step = Deploy {
            env_name: args.env.clone(),
            env,
            artifact: args.artifact.clone(),
            image: args.image.clone(),
            require_clean: args.require_clean,
            keep_on_interrupt: args.keep_on_interrupt,
            promote: args.promote.clone(),
        };
        Ok(Some(Run::single(DEPLOY, Box::new(step))))
    }

    /// `deploy.yml`, one job per environment: where a swarm environment's image comes from.
    fn workflows(&self, envs: &Environments, ws: &Workspace, inputs: &mut Inputs) -> Result<()> {
        inputs.add(DeployEnvironments(
            envs.iter()
                .map(|(name, env)| DeployTarget {
                    name: name.clone(),
                    image: image_source(ws, env),
                })
                .collect(),
        ));
        Ok(())
    }
}

/// Where `deploy.yml` gets a swarm environment's image: `docker-build` makes it when the
/// environment rolls out the `docker-build` image (pushed when that names a registry, built
/// on the manager when not); an image named by the environment alone is built elsewhere.
fn image_source(ws: &Workspace, env: &Environment) -> ImageSource {
    use crate::swarm::{registry_host, repository_of};
    if env.engine != EngineKind::Swarm {
        return ImageSource::None;
    }
    let built = ws
        .config
        .value(DOCKER_SECTION)
        .and_then(|d| d.get("image"))
        .and_then(|i| i.as_str())
        .map(str::to_string);
    let ours = match (&env.image, &built) {
        (None, _) => true,
        (Some(named), Some(built)) => repository_of(named) == repository_of(built),
        (Some(_), None) => false,
    };
    if !ours {
        return ImageSource::None;
    }
    match built.as_deref().and_then(registry_host) {
        Some(registry) => ImageSource::Push {
            registry: registry.to_string(),
        },
        None => ImageSource::OnManager,
    }
}

/// The section `docker-build` reads its image from.
const DOCKER_SECTION: &str = "docker";

/// `rollback`'s command line.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RollbackArgs {
    /// The environment: a [workspace.metadata.windlass.deploy.NAME] section.
    #[arg(long = "env", value_name = "NAME")]
    pub env: String,
    /// The release to switch to (default: the newest release that passed its health gate
    /// and is not live; `deploy --history` lists them).
    #[arg(long, value_name = "RELEASE")]
    pub to: Option<String>,
    /// With --to: go back to a release even though the ledger says it failed its gate.
    #[arg(long, requires = "to")]
    pub force: bool,
}

/// `rollback`: back to the previous (or a named) release, health-gated.
pub struct RollbackTask;

impl Task for RollbackTask {
    type Args = RollbackArgs;
    type Config = Environments;

    fn name(&self) -> &str {
        ROLLBACK
    }

    fn about(&self) -> &str {
        "Switch an environment back to the previous (or a named) release."
    }

    fn section(&self) -> &str {
        SECTION
    }

    fn pipeline(
        &self,
        args: &RollbackArgs,
        envs: &Environments,
        cx: &mut Context<'_>,
    ) -> Result<Option<Run>> {
        let step = Rollback {
            env_name: args.env.clone(),
            env: pick(envs, cx.ws, &args.env)?,
            to: args.to.clone(),
            force: args.force,
        };
        Ok(Some(Run::single(ROLLBACK, Box::new(step))))
    }
}

/// `systemd-unit`: the hardened unit of an environment's service, on stdout alone.
pub struct SystemdUnitTask;

impl Task for SystemdUnitTask {
    type Args = EnvArgs;
    type Config = Environments;

    fn name(&self) -> &str {
        crate::systemd::NAME
    }

    fn about(&self) -> &str {
        "Print a hardened systemd unit for an environment's service."
    }

    fn section(&self) -> &str {
        SECTION
    }

    fn writes_artifact(&self, _: &EnvArgs) -> bool {
        true
    }

    fn pipeline(
        &self,
        args: &EnvArgs,
        envs: &Environments,
        cx: &mut Context<'_>,
    ) -> Result<Option<Run>> {
        let step = SystemdUnit {
            env_name: args.env.clone(),
            env: pick(envs, cx.ws, &args.env)?,
        };
        Ok(Some(Run::single(crate::systemd::NAME, Box::new(step))))
    }
}

/// The binary an environment runs: the one in the release its `current` link names (the
/// record `deploy` keeps), for `audit --deployed`.
pub fn deployed_binary(ws: &Workspace, env_name: &str) -> Result<PathBuf> {
    let env = crate::config::environment(ws, env_name)?;
    let layout = crate::releases::Layout {
        root: env.root(ws, env_name)?,
    };
    let Some(current) = layout.current() else {
        return Err(windlass_core::UsageError::new(format!(
            "nothing is deployed to {env_name}: no `current` release in {}",
            layout.root.display()
        ))
        .hint(format!(
            "deploy first: cargo xtask {DEPLOY} --env {env_name}"
        ))
        .into());
    };
    let dir = layout.releases().join(&current);
    let info = crate::releases::read_info(&dir)?;
    Ok(dir.join(info.bin))
}
