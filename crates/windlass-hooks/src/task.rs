//! `pre-commit` and `install-hooks` as tasks.

use crate::install::{Action, FirstBuild, InstallHooks};
use crate::{PreCommitConfig, pre_commit_steps};
use anyhow::Result;
use windlass_core::task::{Context, NoArgs, NoConfig, Run, Task};
use windlass_core::{Plan, Session, Step, StepOutcome, Workspace};

/// `pre-commit`: what the hook runs, on the staged content.
pub struct PreCommitTask;

/// The name of the task.
pub const PRE_COMMIT: &str = "pre-commit";

impl Task for PreCommitTask {
    type Args = NoArgs;
    type Config = PreCommitConfig;

    fn name(&self) -> &str {
        PRE_COMMIT
    }

    fn about(&self) -> &str {
        "Check what is staged for commit: formatting, secrets, large and secret files."
    }

    fn needs_workspace(&self, _: &NoArgs) -> bool {
        false
    }

    fn pipeline(
        &self,
        _: &NoArgs,
        config: &PreCommitConfig,
        cx: &mut Context<'_>,
    ) -> Result<Option<Run>> {
        let extra = cx.registry.build_named(
            cx.ws,
            cx.session,
            &config.extra_steps,
            windlass_core::registry::StepList {
                section: PRE_COMMIT,
                key: "extra-steps",
            },
        )?;
        let secrets = cx.ws.config.section(windlass_secrets::task::NAME)?;
        let fmt = cx.ws.config.section(windlass_checks::fmt::NAME)?;
        let (steps, selection) = pre_commit_steps(cx.session, config, fmt, secrets, extra)?;
        let mut run = Run::steps(PRE_COMMIT, steps);
        run.selection = selection;
        Ok(Some(run))
    }
}

/// `install-hooks`' command line.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct InstallHooksArgs {
    /// Replace a pre-commit hook windlass did not write (it is kept as a backup).
    #[arg(long, conflicts_with = "uninstall")]
    pub force: bool,
    /// Remove windlass's hook and restore the one it replaced.
    #[arg(long)]
    pub uninstall: bool,
}

/// `install-hooks`: writes the git pre-commit hook that runs `pre-commit`.
pub struct InstallHooksTask;

impl InstallHooksTask {
    fn step(args: &InstallHooksArgs, ws: &Workspace) -> InstallHooks {
        let command = hook_command();
        let first_build = command
            .starts_with("cargo xtask")
            .then(|| FirstBuild::of_xtask(&ws.repo_root, &ws.root))
            .flatten();
        InstallHooks {
            action: if args.uninstall {
                Action::Uninstall
            } else {
                Action::Install { force: args.force }
            },
            command,
            first_build,
        }
    }
}

impl Task for InstallHooksTask {
    type Args = InstallHooksArgs;
    type Config = NoConfig;

    fn name(&self) -> &str {
        crate::install::NAME
    }

    fn about(&self) -> &str {
        "Install the git pre-commit hook that runs `pre-commit` (or remove it)."
    }

    fn needs_workspace(&self, _: &InstallHooksArgs) -> bool {
        false
    }

    fn plan(
        &self,
        args: &InstallHooksArgs,
        _: &NoConfig,
        ws: &Workspace,
        session: &mut Session,
    ) -> Result<Plan> {
        Self::step(args, ws).plan(ws, session)
    }

    fn run(
        &self,
        args: &InstallHooksArgs,
        _: &NoConfig,
        ws: &Workspace,
        session: &mut Session,
    ) -> Result<StepOutcome> {
        Self::step(args, ws).run(ws, session)
    }
}

/// What the hook runs: the way this program was started, so that an adopter's `cargo xtask`
/// and the stock `windlass` binary each install a hook that calls themselves.
pub fn hook_command() -> String {
    let program = std::env::args_os().next().map(std::path::PathBuf::from);
    let stem = program
        .as_ref()
        .and_then(|p| p.file_stem())
        .map(|s| s.to_string_lossy().into_owned());
    match stem.as_deref() {
        Some("windlass") => format!("windlass {PRE_COMMIT}"),
        _ => format!("cargo xtask {PRE_COMMIT}"),
    }
}
