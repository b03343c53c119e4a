//! From a parsed command line to a pipeline run: the session, the workspace, the steps.

use crate::cli::{Cli, Command};
use anyhow::Result;
use serde::Deserialize;
use std::io::IsTerminal;
use windlass_checks::features::Features;
use windlass_checks::fmt::FmtCheck;
use windlass_checks::lint::{Lint, LintConfig};
use windlass_checks::test::{Test, TestConfig};
use windlass_core::pipeline::{Pipeline, Selection};
use windlass_core::report::{self, Environment, Format};
use windlass_core::runner::Runner;
use windlass_core::{Session, Step, UsageError, Workspace};
use windlass_hooks::PreCommitConfig;
use windlass_hooks::install::{Action, InstallHooks};
use windlass_secrets::step::{Scope as SecretsScope, Secrets};
use windlass_workflows::Workflows;

/// The config sections this command line knows; any other key is an error.
const CONFIG_SECTIONS: &[&str] = &[
    "ci",
    "lint",
    "test",
    "audit",
    "pre-commit",
    "workflows",
    "deploy",
    "docker",
    "release",
];

/// The steps `ci` can run, in their default order.
pub const CI_STEPS: &[&str] = &["fmt-check", "lint", "audit", "secrets", "workflows", "test"];

/// `[workspace.metadata.windlass.ci]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct CiConfig {
    /// The steps, in order.
    #[serde(default = "default_steps")]
    steps: Vec<String>,
    /// Run every step even after one fails.
    #[serde(default)]
    keep_going: bool,
}

impl Default for CiConfig {
    fn default() -> Self {
        Self {
            steps: default_steps(),
            keep_going: false,
        }
    }
}

fn default_steps() -> Vec<String> {
    CI_STEPS
        .iter()
        .filter(|s| available(s))
        .map(|s| (*s).to_string())
        .collect()
}

/// Whether this build has the step (audit is a feature).
fn available(step: &str) -> bool {
    step != "audit" || cfg!(feature = "audit")
}

/// What to run.
struct Plan {
    pipeline: Pipeline,
    selection: Selection,
    plan_only: bool,
}

impl Plan {
    fn single(task: &str, step: Box<dyn Step>) -> Self {
        Self {
            pipeline: Pipeline::new(task, vec![step]),
            selection: Selection::default(),
            plan_only: false,
        }
    }
}

/// Runs the task the command line names; returns the exit code.
pub fn run(cli: &Cli) -> Result<u8> {
    let format = cli.report_format();
    let human_is_tty = match format {
        Format::Human => std::io::stdout().is_terminal(),
        Format::Json => std::io::stderr().is_terminal(),
    };
    let color = report::style::use_color(cli.color_choice(), human_is_tty);
    let reporter = report::for_environment(format, color, &Environment::from_env());
    let cwd = std::env::current_dir()?;
    let runner = Runner::new(&cwd, format == Format::Json)?;
    let mut session =
        Session::new(runner, Box::new(reporter), color).with_details(format == Format::Json);

    let ws = discover(cli, &mut session)?;
    ws.config.check_sections(CONFIG_SECTIONS)?;
    let plan = plan(cli, &ws, &mut session)?;
    if plan.plan_only {
        plan.pipeline.plan(&ws, &mut session, &plan.selection)?;
        return Ok(windlass_core::error::EXIT_OK);
    }
    plan.pipeline.run(&ws, &mut session, &plan.selection)
}

/// The workspace. Tasks that work on files or on git (secrets, the hook, an audit of a lone
/// lockfile) also run where there is no Cargo workspace at all, on the current directory.
fn discover(cli: &Cli, session: &mut Session) -> Result<Workspace> {
    // `init PATH` and `doctor PATH` name the repository to work on.
    let target = match &cli.command {
        Command::Init(args) => args.path.clone(),
        Command::Doctor(args) => args.path.clone(),
        _ => None,
    };
    if let Some(dir) = target {
        if !dir.is_dir() {
            return Err(UsageError::new(format!("no directory {}", dir.display())).into());
        }
        session.runner().change_dir(&std::path::absolute(&dir)?);
        if matches!(cli.command, Command::Init(_)) {
            return Workspace::discover(session, Some(&dir));
        }
    }
    let cwd = session.shell().current_dir();
    let no_manifest = !cwd.ancestors().any(|d| d.join("Cargo.toml").is_file());
    if cli.manifest_path.is_none() && no_manifest && !cli.needs_cargo_workspace() {
        let dir = match &cli.command {
            #[cfg(feature = "audit")]
            Command::Audit(crate::cli::AuditArgs {
                file: Some(file), ..
            }) => std::path::absolute(file)?
                .parent()
                .map(std::path::Path::to_path_buf)
                .unwrap_or(cwd),
            _ => cwd,
        };
        return Ok(Workspace::detached(session, &dir));
    }
    Workspace::discover(session, cli.manifest_path.as_deref())
}

fn plan(cli: &Cli, ws: &Workspace, session: &mut Session) -> Result<Plan> {
    Ok(match &cli.command {
        Command::Ci(args) => {
            let config: CiConfig = ws.config.section("ci")?;
            let steps = config
                .steps
                .iter()
                .map(|name| step_by_name(ws, name))
                .collect::<Result<Vec<_>>>()?;
            Plan {
                pipeline: Pipeline::new("ci", steps),
                selection: Selection {
                    keep_going: args.keep_going || config.keep_going,
                    skip: args.skip.clone(),
                    only: args.only.clone(),
                    skipped_by: None,
                },
                plan_only: args.list || args.dry_run,
            }
        }
        Command::FmtCheck => Plan::single("fmt-check", Box::new(FmtCheck)),
        Command::Lint(args) => {
            let config: LintConfig = ws.config.section("lint")?;
            Plan::single(
                "lint",
                Box::new(Lint::from_config(&config, &args.features.features())),
            )
        }
        Command::Test(args) => {
            let config: TestConfig = ws.config.section("test")?;
            let features = args.features.features();
            let step = Test::from_config(
                &config,
                &features,
                args.runner.map(Into::into),
                args.partition,
            );
            Plan::single("test", Box::new(step))
        }
        #[cfg(feature = "audit")]
        Command::Audit(args) => {
            let config: windlass_audit::AuditConfig = ws.config.section("audit")?;
            let step = windlass_audit::Audit::from_config(&config, &args.to_audit_args())?;
            Plan::single("audit", Box::new(step))
        }
        Command::Secrets(args) => {
            let scope = match (&args.since, args.history) {
                (Some(rev), _) => SecretsScope::Since(rev.clone()),
                (None, true) => SecretsScope::History,
                (None, false) => SecretsScope::Tree,
            };
            Plan::single(
                "secrets",
                Box::new(Secrets {
                    scope,
                    sarif: args.sarif.clone(),
                }),
            )
        }
        Command::PreCommit => {
            let config: PreCommitConfig = ws.config.section("pre-commit")?;
            let extra = config
                .extra_steps
                .iter()
                .map(|name| step_by_name(ws, name))
                .collect::<Result<Vec<_>>>()?;
            let (steps, selection) = windlass_hooks::pre_commit_steps(session, &config, extra)?;
            Plan {
                pipeline: Pipeline::new("pre-commit", steps),
                selection,
                plan_only: false,
            }
        }
        Command::Workflows(args) => {
            Plan::single("workflows", Box::new(workflows_step(ws, args.check)?))
        }
        Command::HealthCheck(args) => {
            let config = windlass_deploy::health::HealthConfig {
                url: Some(args.url.clone()),
                deadline: Some(args.deadline.clone()),
                interval: Some(args.interval.clone()),
                timeout: Some(args.timeout.clone()),
                successes: Some(args.successes),
                degraded_ok: Some(args.degraded_ok),
            };
            let options = config.options()?;
            windlass_deploy::health::parse_url(&options.url)?;
            Plan::single(
                "health-check",
                Box::new(windlass_deploy::HealthCheck { options }),
            )
        }
        Command::ValidateConfig(args) => {
            let env = windlass_deploy::config::environment(ws, &args.env)?;
            Plan::single(
                "validate-config",
                Box::new(windlass_deploy::validate::ValidateConfig {
                    env_name: args.env.clone(),
                    env,
                }),
            )
        }
        Command::Deploy(args) if args.stats => {
            let env = windlass_deploy::config::environment(ws, &args.env)?;
            let layout = windlass_deploy::releases::Layout {
                root: env.root(ws, &args.env)?,
            };
            let text = windlass_deploy::deploy::stats(&layout)?;
            session.emit(windlass_core::event::Event::Output {
                step: "deploy".into(),
                text,
            });
            Plan {
                pipeline: Pipeline::new("deploy", Vec::new()),
                selection: Selection::default(),
                plan_only: true,
            }
        }
        Command::Deploy(args) => {
            let env = windlass_deploy::config::environment(ws, &args.env)?;
            let step = windlass_deploy::deploy::Deploy {
                env_name: args.env.clone(),
                env,
                artifact: args.artifact.clone(),
            };
            Plan::single("deploy", Box::new(step))
        }
        Command::Rollback(args) => {
            let env = windlass_deploy::config::environment(ws, &args.env)?;
            let step = windlass_deploy::deploy::Rollback {
                env_name: args.env.clone(),
                env,
                to: args.to.clone(),
            };
            Plan::single("rollback", Box::new(step))
        }
        Command::SystemdUnit(args) => {
            let env = windlass_deploy::config::environment(ws, &args.env)?;
            Plan::single(
                "systemd-unit",
                Box::new(windlass_deploy::systemd::SystemdUnit {
                    env_name: args.env.clone(),
                    env,
                }),
            )
        }
        Command::Init(args) => Plan::single(
            "init",
            Box::new(windlass_adopt::init::Init {
                windlass_path: args.windlass_path.clone(),
                force: args.force,
            }),
        ),
        Command::Doctor(args) => Plan::single(
            "doctor",
            Box::new(windlass_adopt::doctor::Doctor {
                min_level: args.min_level,
                markdown: args.markdown,
            }),
        ),
        Command::DockerBuild(args) => {
            use windlass_docker::{DockerBuild, Mode};
            let mode = if args.init {
                Mode::Init { force: args.force }
            } else if let Some(file) = &args.check {
                Mode::Check(file.clone())
            } else {
                Mode::Build {
                    prebuilt: args.prebuilt,
                    smoke: args.smoke,
                    push: args.push,
                    dry_run: args.dry_run,
                }
            };
            let smoke_deadline =
                windlass_deploy::duration::parse(&args.deadline).ok_or_else(|| {
                    UsageError::new(format!("invalid --deadline `{}`", args.deadline))
                        .hint("write e.g. 30s or 2m")
                })?;
            let step = DockerBuild {
                config: ws.config.section("docker")?,
                bin: args.bin.clone(),
                mode,
                smoke_deadline,
            };
            Plan::single("docker-build", Box::new(step))
        }
        Command::Release(args) => release_plan(ws, args)?,
        Command::InstallHooks(args) => {
            let action = if args.uninstall {
                Action::Uninstall
            } else {
                Action::Install { force: args.force }
            };
            Plan::single(
                "install-hooks",
                Box::new(InstallHooks {
                    action,
                    command: hook_command(),
                }),
            )
        }
    })
}

/// `release`: the checks and plan; with `--execute`, then `ci`, then the release itself.
fn release_plan(ws: &Workspace, args: &crate::cli::ReleaseArgs) -> Result<Plan> {
    use windlass_release::{Options, Release, ReleaseChecks, version::Target};
    let config: windlass_release::config::ReleaseConfig = ws.config.section("release")?;
    let ci: CiConfig = ws.config.section("ci")?;
    let target = args
        .bump
        .as_deref()
        .or(args.level.as_deref())
        .map(Target::parse)
        .transpose()?;
    let options = Options {
        target,
        execute: args.execute,
        resume: args.resume,
        push: args.push,
        artifacts: args.artifacts,
        publish: args.publish,
        artifacts_only: args.artifacts_only,
        skip_ci: args.skip_ci,
        profile: args.profile.clone(),
        build_target: args.target.clone(),
        ci_steps: ci.steps.clone(),
    };
    let release = || Release {
        config: config.clone(),
        options: options.clone(),
    };
    let steps: Vec<Box<dyn Step>> = if args.resume || args.artifacts_only {
        vec![Box::new(release())]
    } else if args.execute {
        let mut steps: Vec<Box<dyn Step>> = vec![Box::new(ReleaseChecks {
            config: config.clone(),
            options: options.clone(),
        })];
        if !args.skip_ci {
            for name in &ci.steps {
                steps.push(step_by_name(ws, name)?);
            }
        }
        steps.push(Box::new(release()));
        steps
    } else {
        vec![Box::new(ReleaseChecks {
            config: config.clone(),
            options: options.clone(),
        })]
    };
    Ok(Plan {
        pipeline: Pipeline::new("release", steps),
        selection: Selection::default(),
        plan_only: false,
    })
}

/// The `workflows` step, with one job per configured `ci` step.
fn workflows_step(ws: &Workspace, check: bool) -> Result<Workflows> {
    let ci: CiConfig = ws.config.section("ci")?;
    let deploy: windlass_deploy::config::Environments = ws.config.section("deploy")?;
    Ok(Workflows {
        config: ws.config.section("workflows")?,
        ci_steps: ci.steps,
        deploy_envs: deploy.keys().cloned().collect(),
        release_tag: ws
            .config
            .section::<windlass_release::config::ReleaseConfig>("release")?
            .tag,
        check,
    })
}

/// What the hook runs: the way this program was started, so that an adopter's `cargo xtask`
/// and the stock `windlass` binary each install a hook that calls themselves.
fn hook_command() -> String {
    let program = std::env::args_os().next().map(std::path::PathBuf::from);
    let stem = program
        .as_ref()
        .and_then(|p| p.file_stem())
        .map(|s| s.to_string_lossy().into_owned());
    match stem.as_deref() {
        Some("windlass") => "windlass pre-commit".to_string(),
        _ => "cargo xtask pre-commit".to_string(),
    }
}

/// A `ci` step from its name, configured from the workspace's config.
fn step_by_name(ws: &Workspace, name: &str) -> Result<Box<dyn Step>> {
    let none = Features::default();
    Ok(match name {
        "fmt-check" => Box::new(FmtCheck),
        "lint" => Box::new(Lint::from_config(&ws.config.section("lint")?, &none)),
        "test" => Box::new(Test::from_config(
            &ws.config.section("test")?,
            &none,
            None,
            None,
        )),
        "secrets" => Box::new(Secrets::default()),
        "workflows" => Box::new(workflows_step(ws, true)?),
        #[cfg(feature = "audit")]
        "audit" => {
            let config = ws.config.section("audit")?;
            Box::new(windlass_audit::Audit::from_config(
                &config,
                &windlass_audit::AuditArgs::default(),
            )?)
        }
        other => {
            let hint = if CI_STEPS.contains(&other) {
                format!(
                    "`{other}` is left out of this build; enable the `{other}` feature of windlass"
                )
            } else {
                format!("the steps are: {}", CI_STEPS.join(", "))
            };
            return Err(UsageError::new(format!(
                "{}: unknown step `{other}` in [workspace.metadata.windlass.ci] steps",
                ws.config.manifest().display()
            ))
            .hint(hint)
            .into());
        }
    })
}
