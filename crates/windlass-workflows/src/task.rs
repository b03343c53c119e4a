//! `workflows` as a task: writes the generated workflows, and as a step of `ci` checks that
//! they have not drifted from their definitions.

use crate::{NAME, Workflows, WorkflowsConfig};
use anyhow::Result;
use windlass_core::task::{Context, InCi, Run, Task};
use windlass_core::{CiJob, Workspace};

/// `workflows`' command line.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct WorkflowsArgs {
    /// Do not write: fail when a generated file differs from what would be generated.
    #[arg(long)]
    pub check: bool,
    /// Replace the hand-written CI that windlass's ci.yml supersedes (workflows that only run
    /// the checks `ci` runs; docs, release, image and the project's own jobs are kept). A
    /// dry run that lists what it would replace, unless --execute.
    #[arg(long, conflicts_with = "check")]
    pub replace_ci: bool,
    /// With --replace-ci: replace, rather than show what would be replaced.
    #[arg(long, requires = "replace_ci")]
    pub execute: bool,
}

/// `workflows`: one `ci.yml` job per `ci` step, as each declares it, and the workflows of the
/// other tasks (security, release, deploy).
pub struct WorkflowsTask;

impl Task for WorkflowsTask {
    type Args = WorkflowsArgs;
    type Config = WorkflowsConfig;

    fn name(&self) -> &str {
        NAME
    }

    /// The config the workflows are generated from, and the files they are written to.
    fn watches(&self) -> windlass_core::Watched {
        windlass_core::Watched::Paths(vec![
            "Cargo.toml".into(),
            ".github/**".into(),
            "rust-toolchain.toml".into(),
        ])
    }

    fn about(&self) -> &str {
        "Write the GitHub Actions workflows and Dependabot config from their Rust definitions."
    }

    fn ci(&self) -> InCi {
        InCi::Default
    }

    /// In `ci` it is the drift check.
    fn ci_args(&self) -> Vec<String> {
        vec!["--check".into()]
    }

    fn pipeline(
        &self,
        args: &WorkflowsArgs,
        config: &WorkflowsConfig,
        cx: &mut Context<'_>,
    ) -> Result<Option<Run>> {
        let config = config.clone().found_in(&cx.ws.root);
        let steps = windlass_core::ci_steps::step_names(cx.registry, cx.ws)?;
        let step = Workflows {
            config,
            inputs: cx.registry.workflow_inputs(cx.ws, &steps)?,
            check: args.check,
            replace_ci: args.replace_ci,
            execute: args.execute,
        };
        Ok(Some(Run::single(NAME, Box::new(step))))
    }

    fn ci_job(&self, _: &WorkflowsConfig, _: &Workspace) -> Result<CiJob> {
        Ok(CiJob::runs([format!("cargo xtask {NAME} --check")]).without_build())
    }
}
