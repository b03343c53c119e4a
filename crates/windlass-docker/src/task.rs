//! `docker-build` as a task.

use crate::{DockerBuild, DockerConfig, Mode, NAME};
use anyhow::Result;
use std::path::PathBuf;
use windlass_core::job::Inputs;
use windlass_core::task::Task;
use windlass_core::units::Duration;
use windlass_core::{Plan, Session, Step, StepOutcome, Workspace};

/// `docker-build`'s command line.
#[derive(Debug, Clone, clap::Args)]
pub struct DockerArgs {
    /// Write a Dockerfile and .dockerignore for the binary.
    #[arg(long, conflicts_with_all = ["check", "prebuilt", "smoke", "push"])]
    pub init: bool,
    /// Lint a Dockerfile (default: the workspace's) and exit.
    #[arg(long, value_name = "FILE", num_args = 0..=1, conflicts_with_all = ["prebuilt", "smoke", "push"])]
    pub check: Option<Option<PathBuf>>,
    /// Build the binary on the host (static) and copy it into a `scratch` image.
    #[arg(long)]
    pub prebuilt: bool,
    /// Run the image until its HEALTHCHECK says healthy.
    #[arg(long)]
    pub smoke: bool,
    /// Push the tags after building.
    #[arg(long)]
    pub push: bool,
    /// Print the docker command without running it.
    #[arg(long)]
    pub dry_run: bool,
    /// The binary to package.
    #[arg(long)]
    pub bin: Option<String>,
    /// With --init: replace an existing Dockerfile.
    #[arg(long)]
    pub force: bool,
    /// How long --smoke waits for healthy.
    #[arg(long, default_value = "60s")]
    pub deadline: Duration,
}

/// `docker-build`: write, lint, build and smoke-test the service's image.
pub struct DockerBuildTask;

/// The config section `docker-build` reads.
pub const SECTION: &str = "docker";

impl DockerBuildTask {
    fn step(args: &DockerArgs, config: &DockerConfig) -> DockerBuild {
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
        DockerBuild {
            config: config.clone(),
            bin: args.bin.clone(),
            mode,
            smoke_deadline: args.deadline.get(),
        }
    }
}

impl Task for DockerBuildTask {
    type Args = DockerArgs;
    type Config = DockerConfig;

    fn name(&self) -> &str {
        NAME
    }

    fn about(&self) -> &str {
        "Write, lint, build and smoke-test the service's container image."
    }

    /// `--check FILE` lints a file anywhere: no Cargo workspace needed.
    fn needs_workspace(&self, args: &DockerArgs) -> bool {
        !matches!(args.check, Some(Some(_)))
    }

    fn section(&self) -> &str {
        SECTION
    }

    fn plan(
        &self,
        args: &DockerArgs,
        config: &DockerConfig,
        ws: &Workspace,
        session: &mut Session,
    ) -> Result<Plan> {
        Self::step(args, config).plan(ws, session)
    }

    fn run(
        &self,
        args: &DockerArgs,
        config: &DockerConfig,
        ws: &Workspace,
        session: &mut Session,
    ) -> Result<StepOutcome> {
        Self::step(args, config).run(ws, session)
    }

    /// The generated `deploy.yml` can build a swarm environment's image.
    fn workflows(&self, _: &DockerConfig, _: &Workspace, inputs: &mut Inputs) -> Result<()> {
        inputs.add(windlass_workflows::BuildsImages);
        Ok(())
    }
}
