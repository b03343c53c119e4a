//! `docs`: the documentation builds with every rustdoc warning denied — broken intra-doc
//! links, bare URLs, invalid code blocks — each a finding at its file and line.
//!
//! `cargo doc --no-deps --workspace --keep-going` with `RUSTDOCFLAGS=-D warnings` (added to
//! the variable's own flags), read from cargo's JSON like `lint`. A step of `ci` a repository
//! opts in to (`[ci] steps`), with its own CI job.

use crate::lint::{compiler_messages, message_format};
use crate::selection::Features;
use crate::text::count;
use anyhow::Result;
use windlass_core::task::{InCi, Task};
use windlass_core::{CiJob, Plan, Session, StepOutcome, Workspace};

/// The name of the task.
pub const NAME: &str = "docs";

/// `[workspace.metadata.windlass.docs]`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DocsConfig {
    /// Document private items too (`--document-private-items`).
    #[serde(default)]
    pub private_items: bool,
    /// Features to document with.
    #[serde(default)]
    pub features: Vec<String>,
    /// Document with every feature on.
    #[serde(default)]
    pub all_features: bool,
    /// Document without the default features.
    #[serde(default)]
    pub no_default_features: bool,
}

impl DocsConfig {
    fn features(&self) -> Features {
        Features {
            features: self.features.clone(),
            all_features: self.all_features,
            no_default_features: self.no_default_features,
        }
    }
}

/// `docs`' command line.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DocsArgs {
    #[command(flatten)]
    features: Features,
}

/// `docs`: the workspace's documentation, warnings denied.
pub struct DocsTask;

impl DocsTask {
    /// The one command line of the step, for its plan and its run alike.
    fn command<'a>(
        sh: &'a xshell::Shell,
        args: &DocsArgs,
        config: &DocsConfig,
        color: bool,
    ) -> xshell::Cmd<'a> {
        sh.cmd("cargo")
            .args(Self::args(args, config, color))
            .env("RUSTDOCFLAGS", Self::rustdocflags())
    }

    fn args(args: &DocsArgs, config: &DocsConfig, color: bool) -> Vec<String> {
        let mut out: Vec<String> = ["doc", "--no-deps", "--workspace", "--keep-going"]
            .map(String::from)
            .into();
        out.extend(config.features().overridden_by(&args.features).args());
        if config.private_items {
            out.push("--document-private-items".into());
        }
        out.push(message_format(color));
        out
    }

    /// The user's own RUSTDOCFLAGS, with warnings denied.
    fn rustdocflags() -> String {
        match std::env::var("RUSTDOCFLAGS") {
            Ok(own) if !own.trim().is_empty() => format!("{own} -D warnings"),
            _ => "-D warnings".into(),
        }
    }
}

impl Task for DocsTask {
    type Args = DocsArgs;
    type Config = DocsConfig;

    fn name(&self) -> &str {
        NAME
    }

    fn watches(&self) -> windlass_core::Watched {
        windlass_core::Watched::Rust
    }

    fn about(&self) -> &str {
        "Build the documentation with rustdoc's warnings denied (broken intra-doc links, ...)."
    }

    fn ci(&self) -> InCi {
        InCi::OptIn
    }

    fn plan(
        &self,
        args: &DocsArgs,
        config: &DocsConfig,
        _: &Workspace,
        session: &mut Session,
    ) -> Result<Plan> {
        // The plan is the command the run runs, colour included.
        let sh = session.shell();
        Ok(Plan::command(Self::command(
            &sh,
            args,
            config,
            session.color(),
        )))
    }

    fn run(
        &self,
        args: &DocsArgs,
        config: &DocsConfig,
        ws: &Workspace,
        session: &mut Session,
    ) -> Result<StepOutcome> {
        let sh = session.shell();
        let cmd = Self::command(&sh, args, config, session.color());
        let (errors, warnings, finished) = compiler_messages(session, cmd, ws, NAME)?;
        let found = errors + warnings;
        if found > 0 {
            return Ok(StepOutcome::failed(
                format!(
                    "{} in the documentation",
                    count(found, "problem", "problems")
                ),
                format!(
                    "{} (then fix what it shows)",
                    ws.cargo_hint(&["doc", "--no-deps", "--workspace"])
                ),
            ));
        }
        if finished.success() {
            return Ok(StepOutcome::passed(
                "the documentation builds without a warning",
            ));
        }
        Err(windlass_core::UsageError::new(format!(
            "`cargo doc` exited with {} without reporting a diagnostic; its output is above",
            finished.status
        ))
        .into())
    }

    fn ci_job(&self, _: &DocsConfig, _: &Workspace) -> Result<CiJob> {
        Ok(CiJob {
            covered_by: vec!["cargo doc".into()],
            ..CiJob::runs([format!("cargo xtask {NAME}")])
        })
    }
}
