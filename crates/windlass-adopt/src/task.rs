//! `init` and `doctor` as tasks: each works on the repository its `PATH` names (default: the
//! current directory).

use crate::doctor::{self, Doctor};
use crate::init::{self, Init, Source};
use anyhow::Result;
use std::path::PathBuf;
use windlass_core::task::{Context, NoConfig, Run, Task};
use windlass_core::{Plan, Session, StepOutcome, Workspace};

/// `init`'s command line.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct InitArgs {
    /// The repository (default: the current directory).
    pub path: Option<PathBuf>,
    /// Depend on a local windlass checkout by path: its root or its crates/windlass
    /// (default: the crate registry, at this version). Written relative to the xtask unless
    /// given absolute; a path outside the repository does not build in CI (init warns).
    #[arg(long, value_name = "DIR", conflicts_with = "windlass_git")]
    pub windlass_path: Option<PathBuf>,
    /// Depend on windlass from this git repository.
    #[arg(long, value_name = "URL")]
    pub windlass_git: Option<String>,
    /// With --windlass-git: the commit, tag or branch.
    #[arg(long, value_name = "REV", requires = "windlass_git")]
    pub rev: Option<String>,
    /// Replace files that exist.
    #[arg(long)]
    pub force: bool,
    /// Replace the hand-written CI workflows that windlass's ci.yml supersedes (those that
    /// only run the checks it runs); every other workflow is kept. Default: keep them all.
    #[arg(long)]
    pub replace_ci: bool,
    /// Do not build the xtask (its first `cargo xtask` run, or commit, then does).
    #[arg(long)]
    pub no_build: bool,
}

/// `init`: windlass in a Rust repository, proven to build.
pub struct InitTask;

impl Task for InitTask {
    type Args = InitArgs;
    type Config = NoConfig;

    fn name(&self) -> &str {
        init::NAME
    }

    fn about(&self) -> &str {
        "Add windlass to a Rust repository: xtask crate, alias, config, workflows, hook."
    }

    fn target_dir(&self, args: &InitArgs) -> Option<PathBuf> {
        Some(args.path.clone().unwrap_or_else(|| PathBuf::from(".")))
    }

    fn pipeline(&self, args: &InitArgs, _: &NoConfig, cx: &mut Context<'_>) -> Result<Option<Run>> {
        let source = match (&args.windlass_path, &args.windlass_git) {
            (Some(dir), _) => Source::Path {
                dir: std::path::absolute(dir)?,
                absolute: dir.is_absolute(),
            },
            (None, Some(url)) => Source::Git {
                url: url.clone(),
                rev: args.rev.clone(),
            },
            (None, None) => Source::Registry,
        };
        let ci_steps = cx.registry.default_ci_steps();
        let step = Init {
            source,
            force: args.force,
            replace_ci: args.replace_ci,
            no_build: args.no_build,
            workflows: cx.registry.workflow_inputs(cx.ws, &ci_steps)?,
            ci_steps,
        };
        Ok(Some(Run::single(init::NAME, Box::new(step))))
    }
}

/// `doctor`'s command line.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DoctorArgs {
    /// The repository (default: the current directory).
    pub path: Option<PathBuf>,
    /// Fail (exit 1) when the maturity is below this level, 0 to 5.
    #[arg(long, value_name = "LEVEL")]
    pub min_level: Option<f64>,
    /// Print the report as Markdown (for a pull request comment or job summary).
    #[arg(long)]
    pub markdown: bool,
}

/// `doctor`: a repository's production readiness, without building it.
pub struct DoctorTask;

impl DoctorTask {
    fn step(args: &DoctorArgs) -> Doctor {
        Doctor {
            min_level: args.min_level,
            markdown: args.markdown,
        }
    }
}

impl Task for DoctorTask {
    type Args = DoctorArgs;
    type Config = NoConfig;

    fn name(&self) -> &str {
        doctor::NAME
    }

    fn about(&self) -> &str {
        "Score a repository's production readiness, area by area, with the fix for each gap."
    }

    fn needs_workspace(&self, _: &DoctorArgs) -> bool {
        false
    }

    fn target_dir(&self, args: &DoctorArgs) -> Option<PathBuf> {
        args.path.clone()
    }

    fn plan(
        &self,
        args: &DoctorArgs,
        _: &NoConfig,
        ws: &Workspace,
        session: &mut Session,
    ) -> Result<Plan> {
        windlass_core::Step::plan(&Self::step(args), ws, session)
    }

    fn run(
        &self,
        args: &DoctorArgs,
        _: &NoConfig,
        ws: &Workspace,
        session: &mut Session,
    ) -> Result<StepOutcome> {
        windlass_core::Step::run(&Self::step(args), ws, session)
    }
}
