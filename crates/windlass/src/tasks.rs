//! From a parsed command to a pipeline run: the workspace, the steps, the selection.

use crate::cli::{Commands, GlobalArgs};
use anyhow::Result;
use windlass_checks::fmt::FmtCheck;
use windlass_checks::lint::{Lint, LintConfig};
use windlass_checks::test::{Test, TestConfig};
use windlass_core::pipeline::{Pipeline, Selection};
use windlass_core::{Registry, Session, Step, UsageError, Workspace};
use windlass_hooks::PreCommitConfig;
use windlass_hooks::install::{Action, InstallHooks};
use windlass_secrets::step::{Scope as SecretsScope, Secrets};

/// What to run: a pipeline, which of its steps, and whether only to show the plan.
pub struct Run {
    pipeline: Pipeline,
    selection: Selection,
    plan_only: bool,
}

impl Run {
    /// A pipeline of one step, named after the task.
    pub fn single(task: &str, step: Box<dyn Step>) -> Self {
        Self {
            pipeline: Pipeline::new(task, vec![step]),
            selection: Selection::default(),
            plan_only: false,
        }
    }

    /// Runs it (or shows its plan); returns the exit code.
    pub fn execute(self, ws: &Workspace, session: &mut Session) -> Result<u8> {
        if self.plan_only {
            self.pipeline.plan(ws, session, &self.selection)?;
            return Ok(windlass_core::error::EXIT_OK);
        }
        self.pipeline.run(ws, session, &self.selection)
    }
}

/// The workspace. Tasks that work on files or on git (secrets, the hook, an audit of a lone
/// lockfile) also run where there is no Cargo workspace at all, on the current directory.
pub fn discover(
    global: &GlobalArgs,
    command: Option<&Commands>,
    needs_cargo_workspace: bool,
    session: &mut Session,
) -> Result<Workspace> {
    // `init PATH` and `doctor PATH` name the repository to work on.
    let target: Option<std::path::PathBuf> = match command {
        #[cfg(feature = "adopt")]
        Some(Commands::Init(args)) => args.path.clone(),
        #[cfg(feature = "adopt")]
        Some(Commands::Doctor(args)) => args.path.clone(),
        _ => None,
    };
    if let Some(dir) = target {
        if !dir.is_dir() {
            return Err(UsageError::new(format!("no directory {}", dir.display())).into());
        }
        session.runner().change_dir(&std::path::absolute(&dir)?);
        #[cfg(feature = "adopt")]
        if matches!(command, Some(Commands::Init(_))) {
            return Workspace::discover(session, Some(&dir));
        }
    }
    let cwd = session.shell().current_dir();
    let no_manifest = !cwd.ancestors().any(|d| d.join("Cargo.toml").is_file());
    if global.manifest_path.is_none() && no_manifest && !needs_cargo_workspace {
        let dir = match command {
            #[cfg(feature = "audit")]
            Some(Commands::Audit(crate::cli::AuditArgs {
                file: Some(file), ..
            })) => std::path::absolute(file)?
                .parent()
                .map(std::path::Path::to_path_buf)
                .unwrap_or(cwd),
            _ => cwd,
        };
        return Ok(Workspace::detached(session, &dir));
    }
    Workspace::discover(session, global.manifest_path.as_deref())
}

/// The run a stock command makes, its steps taken from `registry`.
pub fn plan(
    command: &Commands,
    ws: &Workspace,
    registry: &Registry,
    session: &mut Session,
) -> Result<Run> {
    Ok(match command {
        Commands::Ci(args) => ci_run(args, ws, registry, session)?,
        Commands::FmtCheck => Run::single(
            "fmt-check",
            Box::new(FmtCheck {
                config: ws.config.section("fmt-check")?,
            }),
        ),
        Commands::Lint(args) => {
            let config: LintConfig = ws.config.section("lint")?;
            Run::single(
                "lint",
                Box::new(Lint::from_config(&config, &args.features.features())),
            )
        }
        Commands::Test(args) => {
            let config: TestConfig = ws.config.section("test")?;
            let features = args.features.features();
            let step = Test::from_config(
                &config,
                &features,
                args.runner.map(Into::into),
                args.partition,
            );
            Run::single("test", windlass_checks::test::with_services(step, ws)?)
        }
        #[cfg(feature = "audit")]
        Commands::Audit(args) => {
            let config: windlass_audit::AuditConfig = ws.config.section("audit")?;
            let mut audit_args = args.to_audit_args();
            if args.deployed {
                audit_args.bin = Some(deployed_binary(
                    ws,
                    args.env.as_deref().unwrap_or_default(),
                )?);
            }
            let step = windlass_audit::Audit::from_config(&config, &audit_args)?;
            Run::single("audit", Box::new(step))
        }
        Commands::Secrets(args) => {
            let scope = match (&args.since, args.history) {
                (Some(rev), _) => SecretsScope::Since(rev.clone()),
                (None, true) => SecretsScope::History,
                (None, false) => SecretsScope::Tree,
            };
            Run::single(
                "secrets",
                Box::new(Secrets {
                    scope,
                    sarif: args.sarif.clone(),
                    config: ws.config.section("secrets")?,
                }),
            )
        }
        Commands::PreCommit => {
            let config: PreCommitConfig = ws.config.section("pre-commit")?;
            let extra = registry.build(
                ws,
                &config.extra_steps,
                "[workspace.metadata.windlass.pre-commit] extra-steps",
            )?;
            let secrets = ws.config.section("secrets")?;
            let fmt = ws.config.section("fmt-check")?;
            let (steps, selection) =
                windlass_hooks::pre_commit_steps(session, &config, fmt, secrets, extra)?;
            Run {
                pipeline: Pipeline::new("pre-commit", steps),
                selection,
                plan_only: false,
            }
        }
        Commands::Workflows(args) => {
            let step = crate::stock::workflows_step(ws, registry, args.check, args.replace_ci)?;
            let step = windlass_workflows::Workflows {
                execute: args.execute,
                ..step
            };
            Run::single("workflows", Box::new(step))
        }
        #[cfg(feature = "deploy")]
        Commands::HealthCheck(args) if args.env.is_some() => {
            let env_name = args.env.clone().unwrap_or_default();
            let env = windlass_deploy::config::environment(ws, &env_name)?;
            Run::single(
                "health-check",
                Box::new(windlass_deploy::EnvironmentHealth { env_name, env }),
            )
        }
        #[cfg(feature = "deploy")]
        Commands::HealthCheck(args) => {
            let config = windlass_deploy::health::HealthConfig {
                url: args.url.clone(),
                deadline: Some(args.deadline),
                interval: Some(args.interval),
                timeout: Some(args.timeout),
                successes: Some(args.successes),
                degraded_ok: Some(args.degraded_ok),
            };
            let options = config.options();
            windlass_deploy::health::parse_url(&options.url)?;
            Run::single(
                "health-check",
                Box::new(windlass_deploy::HealthCheck { options }),
            )
        }
        #[cfg(feature = "deploy")]
        Commands::ValidateConfig(args) => {
            let env = windlass_deploy::config::environment(ws, &args.env)?;
            Run::single(
                "validate-config",
                Box::new(windlass_deploy::validate::ValidateConfig {
                    env_name: args.env.clone(),
                    env,
                }),
            )
        }
        #[cfg(feature = "deploy")]
        Commands::Deploy(args) if args.stats => {
            let env = windlass_deploy::config::environment(ws, &args.env)?;
            let log = windlass_deploy::deploy::log_path(ws, &args.env, &env)?;
            let text = windlass_deploy::deploy::stats(&log)?;
            session.emit(windlass_core::event::Event::Output {
                step: "deploy".into(),
                text,
            });
            Run {
                pipeline: Pipeline::new("deploy", Vec::new()),
                selection: Selection::default(),
                plan_only: true,
            }
        }
        #[cfg(feature = "deploy")]
        Commands::Deploy(args) => {
            let env = windlass_deploy::config::environment(ws, &args.env)?;
            let step = windlass_deploy::deploy::Deploy {
                env_name: args.env.clone(),
                env,
                artifact: args.artifact.clone(),
                image: args.image.clone(),
                require_clean: args.require_clean,
            };
            Run::single("deploy", Box::new(step))
        }
        #[cfg(feature = "deploy")]
        Commands::Rollback(args) => {
            let env = windlass_deploy::config::environment(ws, &args.env)?;
            let step = windlass_deploy::deploy::Rollback {
                env_name: args.env.clone(),
                env,
                to: args.to.clone(),
            };
            Run::single("rollback", Box::new(step))
        }
        #[cfg(feature = "deploy")]
        Commands::SystemdUnit(args) => {
            let env = windlass_deploy::config::environment(ws, &args.env)?;
            Run::single(
                "systemd-unit",
                Box::new(windlass_deploy::systemd::SystemdUnit {
                    env_name: args.env.clone(),
                    env,
                }),
            )
        }
        #[cfg(feature = "adopt")]
        Commands::Init(args) => Run::single(
            "init",
            Box::new(windlass_adopt::init::Init {
                source: match (&args.windlass_path, &args.windlass_git) {
                    (Some(dir), _) => windlass_adopt::init::Source::Path {
                        dir: std::path::absolute(dir)?,
                        absolute: dir.is_absolute(),
                    },
                    (None, Some(url)) => windlass_adopt::init::Source::Git {
                        url: url.clone(),
                        rev: args.rev.clone(),
                    },
                    (None, None) => windlass_adopt::init::Source::Registry,
                },
                force: args.force,
                replace_ci: args.replace_ci,
                no_build: args.no_build,
                ci_steps: registry.default_ci_steps(),
                workflows: crate::stock::workflow_inputs(
                    ws,
                    registry,
                    &registry.default_ci_steps(),
                )?,
            }),
        ),
        #[cfg(feature = "adopt")]
        Commands::Doctor(args) => Run::single(
            "doctor",
            Box::new(windlass_adopt::doctor::Doctor {
                min_level: args.min_level,
                markdown: args.markdown,
            }),
        ),
        #[cfg(feature = "docker")]
        Commands::DockerBuild(args) => {
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
            let smoke_deadline = args.deadline.get();
            let step = DockerBuild {
                config: ws.config.section("docker")?,
                bin: args.bin.clone(),
                mode,
                smoke_deadline,
            };
            Run::single("docker-build", Box::new(step))
        }
        #[cfg(feature = "release")]
        Commands::Release(args) => release_run(ws, registry, args)?,
        Commands::InstallHooks(args) => {
            let action = if args.uninstall {
                Action::Uninstall
            } else {
                Action::Install { force: args.force }
            };
            let command = hook_command();
            let first_build = command
                .starts_with("cargo xtask")
                .then(|| windlass_hooks::install::FirstBuild::of_xtask(&ws.repo_root, &ws.root))
                .flatten();
            Run::single(
                "install-hooks",
                Box::new(InstallHooks {
                    action,
                    command,
                    first_build,
                }),
            )
        }
    })
}

/// `release`: the checks and plan; with `--execute`, then `ci`, then the release itself.
#[cfg(feature = "release")]
fn release_run(ws: &Workspace, registry: &Registry, args: &crate::cli::ReleaseArgs) -> Result<Run> {
    use windlass_release::{Options, Release, ReleaseChecks, version::Target};
    let config: windlass_release::config::ReleaseConfig = ws.config.section("release")?;
    let ci_steps = registry.ci_step_names(ws)?;
    if args.sign {
        if !(args.artifacts || args.artifacts_only || args.resume) {
            return Err(
                UsageError::new("--sign signs the artifacts: it goes with --artifacts")
                    .hint("add --artifacts (or run --artifacts-only)")
                    .into(),
            );
        }
        // Before anything changes: a release that cannot be signed is not started.
        windlass_release::execute::signing_key(&config)?;
    }
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
        sign: args.sign,
        ci_steps: ci_steps.clone(),
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
            steps.extend(registry.build(
                ws,
                &ci_steps,
                "[workspace.metadata.windlass.ci] steps",
            )?);
        }
        steps.push(Box::new(release()));
        steps
    } else {
        vec![Box::new(ReleaseChecks {
            config: config.clone(),
            options: options.clone(),
        })]
    };
    Ok(Run {
        pipeline: Pipeline::new("release", steps),
        selection: Selection::default(),
        plan_only: false,
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

/// The binary an environment runs: the one in the release its `current` link names (the
/// record `deploy` keeps), for `audit --deployed`.
#[cfg(feature = "audit")]
fn deployed_binary(ws: &Workspace, env_name: &str) -> Result<std::path::PathBuf> {
    #[cfg(feature = "deploy")]
    {
        let env = windlass_deploy::config::environment(ws, env_name)?;
        let layout = windlass_deploy::releases::Layout {
            root: env.root(ws, env_name)?,
        };
        let Some(current) = layout.current() else {
            return Err(UsageError::new(format!(
                "nothing is deployed to {env_name}: no `current` release in {}",
                layout.root.display()
            ))
            .hint(format!("deploy first: cargo xtask deploy --env {env_name}"))
            .into());
        };
        let dir = layout.releases().join(&current);
        let info = windlass_deploy::releases::read_info(&dir)?;
        Ok(dir.join(info.bin))
    }
    #[cfg(not(feature = "deploy"))]
    {
        let _ = (ws, env_name);
        Err(UsageError::new(
            "`audit --deployed` needs the deploy tasks, which this xtask was built without",
        )
        .hint("enable the `deploy` feature of the windlass dependency")
        .into())
    }
}

/// `ci`: the configured steps (or the registered defaults), `--skip`/`--only` checked against
/// the registry. `--only` a registered step that `[ci] steps` leaves out runs it all the same:
/// it is how a workflow job runs one custom step.
fn ci_run(
    args: &crate::cli::CiArgs,
    ws: &Workspace,
    registry: &Registry,
    session: &mut Session,
) -> Result<Run> {
    let mut names = registry.ci_step_names(ws)?;
    for name in args.skip.iter().chain(&args.only) {
        if registry.get(name).is_none() {
            return Err(UsageError::new(format!("`{name}` is not a step of `ci`"))
                .hint(format!(
                    "the steps are: {}",
                    registry.step_names().join(", ")
                ))
                .into());
        }
    }
    for name in &args.only {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    if args.list {
        let left_out: Vec<String> = registry
            .step_names()
            .into_iter()
            .filter(|n| !names.contains(n))
            .collect();
        if !left_out.is_empty() {
            session.message(
                windlass_core::Severity::Notice,
                format!(
                    "registered but not in [workspace.metadata.windlass.ci] steps: {}",
                    left_out.join(", ")
                ),
            );
        }
    }
    let steps = registry.build(ws, &names, "[workspace.metadata.windlass.ci] steps")?;
    Ok(Run {
        pipeline: Pipeline::new("ci", steps),
        selection: Selection {
            keep_going: args.keep_going || registry.ci_keeps_going(ws)?,
            skip: args.skip.clone(),
            only: args.only.clone(),
            skipped_by: None,
        },
        plan_only: args.list || args.dry_run,
    })
}
