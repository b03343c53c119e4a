//! `features`: every feature builds alone, and (opted in) every combination up to a depth —
//! the feature that compiles only beside another is found before a user enables it alone.
//! Through cargo-hack (`cargo hack check --each-feature`, `--feature-powerset --depth N`),
//! which says which set it is building; without it, the step names its install command.

use crate::lint::{compiler_messages, message_format};
use crate::text::count;
use anyhow::Result;
use windlass_core::task::{InCi, NoArgs, Task};
use windlass_core::{CiJob, Plan, Session, StepOutcome, Workspace, tool};

/// The name of the task.
pub const NAME: &str = "features";

/// `[workspace.metadata.windlass.features]`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FeaturesConfig {
    /// Every combination of up to this many features (`--feature-powerset --depth N`);
    /// default: each feature alone (`--each-feature`).
    pub powerset_depth: Option<std::num::NonZeroU32>,
    /// Features never built (`--skip`): ones that need a platform or a secret.
    #[serde(default)]
    pub skip: Vec<String>,
}

/// `features`: the feature sets of every member, each checked.
pub struct FeaturesTask;

impl FeaturesTask {
    fn args(config: &FeaturesConfig, color: bool) -> Vec<String> {
        let mut args: Vec<String> = [
            "hack",
            "check",
            "--workspace",
            "--no-dev-deps",
            "--keep-going",
        ]
        .map(String::from)
        .into();
        match config.powerset_depth {
            Some(depth) => {
                args.push("--feature-powerset".into());
                args.push("--depth".into());
                args.push(depth.to_string());
            }
            None => args.push("--each-feature".into()),
        }
        if !config.skip.is_empty() {
            args.push("--skip".into());
            args.push(config.skip.join(","));
        }
        args.push(message_format(color));
        args
    }
}

impl Task for FeaturesTask {
    type Args = NoArgs;
    type Config = FeaturesConfig;

    fn name(&self) -> &str {
        NAME
    }

    fn watches(&self) -> windlass_core::Watched {
        windlass_core::Watched::Rust
    }

    fn about(&self) -> &str {
        "Check that every feature builds alone (and combinations, to a depth), with cargo-hack."
    }

    fn ci(&self) -> InCi {
        InCi::OptIn
    }

    fn plan(
        &self,
        _: &NoArgs,
        config: &FeaturesConfig,
        _: &Workspace,
        session: &mut Session,
    ) -> Result<Plan> {
        Ok(Plan::command(
            session.shell().cmd("cargo").args(Self::args(config, false)),
        ))
    }

    fn run(
        &self,
        _: &NoArgs,
        config: &FeaturesConfig,
        ws: &Workspace,
        session: &mut Session,
    ) -> Result<StepOutcome> {
        if let Some(missing) = tool::cargo_subcommand_missing(session, None, "hack", "cargo-hack") {
            return Err(windlass_core::UsageError::new(missing.message)
                .kind(windlass_core::error::ErrorKind::ToolMissing)
                .hint("install it with `cargo install cargo-hack --locked`")
                .into());
        }
        let sh = session.shell();
        let cmd = sh.cmd("cargo").args(Self::args(config, session.color()));
        let (errors, warnings, finished) = compiler_messages(session, cmd, ws, NAME)?;
        if finished.success() {
            return Ok(StepOutcome::passed(if warnings > 0 {
                format!(
                    "every feature set builds ({})",
                    count(warnings, "warning", "warnings")
                )
            } else {
                "every feature set builds".to_string()
            }));
        }
        Ok(StepOutcome::failed(
            format!(
                "a feature set does not build ({}; cargo-hack names which, above)",
                count(errors, "error", "errors")
            ),
            ws.cargo_hint(&[
                "hack",
                "check",
                "--workspace",
                "--each-feature",
                "--no-dev-deps",
            ]),
        ))
    }

    fn ci_job(&self, _: &FeaturesConfig, _: &Workspace) -> Result<CiJob> {
        Ok(CiJob {
            tools: vec!["cargo-hack".into()],
            ..CiJob::runs([format!("cargo xtask {NAME}")])
        })
    }
}
