//! Tasks: each one a subcommand and, when it checks something, a step of `ci` — declared once.
//!
//! A [`Task`] says its name, its `clap` arguments (with defaults), its typed config section,
//! what it runs, whether `ci` runs it, and the CI job it wants. The registry adds its
//! subcommand to the command line, checks its section when the config loads, and builds its
//! step from the same value for `cargo xtask <name> ARGS`, for `ci` (with the arguments
//! `[ci] steps` gives, else the defaults), for the hook's `extra-steps` and for the generated
//! workflows. Stock tasks and an adopter's own are the same kind of thing.

pub mod registry;

use crate::config::Config;
use crate::error::UsageError;
use crate::job::{CiJob, Inputs};
use crate::pipeline::{Pipeline, Selection, Step, StepOutcome};
use crate::plan::Plan;
use crate::session::Session;
use crate::workspace::Workspace;
use anyhow::Result;
use registry::Registry;
use serde::de::DeserializeOwned;
use std::path::PathBuf;
use std::rc::Rc;

/// Where a task comes from, for `--list` and the reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// One of windlass's own.
    Stock,
    /// Registered in Rust by the workspace's xtask.
    Custom,
    /// Declared in `[workspace.metadata.windlass.steps]`.
    Command,
}

impl Origin {
    /// Its lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Stock => "stock",
            Origin::Custom => "custom",
            Origin::Command => "command",
        }
    }
}

/// Whether `ci` runs a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InCi {
    /// Never: an action (deploy, release), not a check.
    No,
    /// When `[ci] steps` is not given, and wherever it names the task.
    Default,
    /// Only where `[ci] steps` (or `ci --only`) names it: a check a repository opts in to.
    OptIn,
}

/// The files whose change makes a task worth running again (`ci --watch`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Watched {
    /// Any file (the default: a task that says nothing is run on every change).
    Everything,
    /// What the compiler reads: `.rs` files, the manifests and the lockfile, the toolchain
    /// file, cargo's config, clippy's and rustfmt's.
    Rust,
    /// What the dependency graph is made of: the manifests, the lockfile, `deny.toml`.
    Dependencies,
    /// Files matching these globs (relative to the workspace root, `vendor/**`).
    Paths(Vec<String>),
}

impl Watched {
    /// Whether a change to `path` (relative to the workspace root, `/`-separated) concerns it.
    pub fn concerns(&self, path: &str) -> bool {
        let name = path.rsplit('/').next().unwrap_or(path);
        let manifest = matches!(name, "Cargo.toml" | "Cargo.lock");
        let cargo_config = path.starts_with(".cargo/");
        match self {
            Watched::Everything => true,
            Watched::Rust => {
                manifest
                    || cargo_config
                    || name.ends_with(".rs")
                    || matches!(
                        name,
                        "rust-toolchain"
                            | "rust-toolchain.toml"
                            | "clippy.toml"
                            | ".clippy.toml"
                            | "rustfmt.toml"
                            | ".rustfmt.toml"
                    )
            }
            Watched::Dependencies => manifest || cargo_config || name == "deny.toml",
            Watched::Paths(globs) => globs.iter().any(|g| crate::glob::matches(g, path)),
        }
    }
}

/// What a task's steps are built from.
pub struct Context<'a> {
    /// The workspace, with its config.
    pub ws: &'a Workspace,
    /// Every registered task and section (`ci` and `workflows` need the others).
    pub registry: &'a Registry,
    /// The session (a plan may read git, say).
    pub session: &'a mut Session,
}

/// A task: a subcommand of `cargo xtask`, and a step of `ci` when [`Task::ci`] says so.
///
/// The simple case implements [`Task::run`] (and [`Task::plan`], what it will do): the task
/// is then one step. A task that is a pipeline of steps (`ci`, `release`, `pre-commit`)
/// implements [`Task::pipeline`] instead.
pub trait Task: 'static {
    /// Its arguments, as `cargo xtask <name>` takes them; `ci` runs it with their defaults
    /// (or with the arguments `[ci] steps` writes after its name). [`NoArgs`] for none.
    type Args: clap::Args + 'static;
    /// Its config section, `[workspace.metadata.windlass.<section>]`, checked when the config
    /// loads (an unknown key is an error naming it). [`NoConfig`] for none.
    type Config: DeserializeOwned + Default + 'static;

    /// Its name: the subcommand, the step in `ci`, `--skip`/`--only`, the CI job's id.
    /// Lowercase letters, digits and `-`.
    fn name(&self) -> &str;
    /// One line for `--help` and `--list`.
    fn about(&self) -> &str;
    /// Where it comes from (default: the xtask's own).
    fn origin(&self) -> Origin {
        Origin::Custom
    }
    /// Whether `ci` runs it (default: no).
    fn ci(&self) -> InCi {
        InCi::No
    }
    /// The arguments `ci` runs it with when `[ci] steps` writes none (default: none, its
    /// defaults).
    fn ci_args(&self) -> Vec<String> {
        Vec::new()
    }
    /// Its config section (default: its name). Tasks of one family share one (`deploy`).
    fn section(&self) -> &str {
        self.name()
    }
    /// Whether it needs a Cargo workspace with these arguments; `false` lets it run in any
    /// directory (a git repository, a lone lockfile).
    fn needs_workspace(&self, _args: &Self::Args) -> bool {
        true
    }
    /// The directory whose workspace it works on, when its arguments name one (`init PATH`).
    fn target_dir(&self, _args: &Self::Args) -> Option<PathBuf> {
        None
    }
    /// Whether its stdout is a document it makes (a unit file): everything else then goes to
    /// stderr.
    fn writes_artifact(&self, _args: &Self::Args) -> bool {
        false
    }
    /// The files whose change `ci --watch` runs it again for (default: any).
    fn watches(&self) -> Watched {
        Watched::Everything
    }
    /// What it will do, for `--dry-run`, `--list` and JSON reports.
    fn plan(
        &self,
        _args: &Self::Args,
        _config: &Self::Config,
        _ws: &Workspace,
        _session: &mut Session,
    ) -> Result<Plan> {
        Ok(Plan::describe(format!("run `{}`", self.name())))
    }
    /// Runs it: findings through `session`, the verdict in the outcome; `Err` when it cannot
    /// run at all (exit 2).
    fn run(
        &self,
        _args: &Self::Args,
        _config: &Self::Config,
        _ws: &Workspace,
        _session: &mut Session,
    ) -> Result<StepOutcome> {
        Err(anyhow::anyhow!(
            "the task `{}` has no step of its own",
            self.name()
        ))
    }
    /// The steps it runs, when it is more than one step (`None`, the default: it is the one
    /// step of [`Task::plan`] and [`Task::run`]).
    fn pipeline(
        &self,
        _args: &Self::Args,
        _config: &Self::Config,
        _cx: &mut Context<'_>,
    ) -> Result<Option<Run>> {
        Ok(None)
    }
    /// Its job in the generated `ci.yml` (default: `cargo xtask <name>`).
    fn ci_job(&self, _config: &Self::Config, _ws: &Workspace) -> Result<CiJob> {
        Ok(CiJob::runs([format!("cargo xtask {}", self.name())]))
    }
    /// A job of the daily `security.yml`, if it wants one.
    fn scheduled_job(&self) -> Option<CiJob> {
        None
    }
    /// What the generated workflows need from it besides its job: deploy environments, the
    /// release tag.
    fn workflows(
        &self,
        _config: &Self::Config,
        _ws: &Workspace,
        _inputs: &mut Inputs,
    ) -> Result<()> {
        Ok(())
    }
}

/// The arguments of a task that takes none.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct NoArgs {}

/// The config of a task that has none: any key in its section is an error.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoConfig {}

/// What to run: a pipeline, which of its steps, and whether only to show the plan.
pub struct Run {
    /// The steps.
    pub pipeline: Pipeline,
    /// Which of them, and how.
    pub selection: Selection,
    /// Show the plan, run nothing.
    pub plan_only: bool,
}

impl Run {
    /// A pipeline of one step, named after the task.
    pub fn single(task: &str, step: Box<dyn Step>) -> Self {
        Self::steps(task, vec![step])
    }

    /// A pipeline of `steps`, all selected.
    pub fn steps(task: &str, steps: Vec<Box<dyn Step>>) -> Self {
        Self {
            pipeline: Pipeline::new(task, steps),
            selection: Selection::default(),
            plan_only: false,
        }
    }

    /// Runs it (or shows its plan); returns the exit code.
    pub fn execute(self, ws: &Workspace, session: &mut Session) -> Result<u8> {
        if self.plan_only {
            self.pipeline.plan(ws, session, &self.selection)?;
            return Ok(crate::error::EXIT_OK);
        }
        self.pipeline.run(ws, session, &self.selection)
    }

    /// Its steps, for a pipeline that runs them among others (`ci`).
    pub fn into_steps(self) -> Vec<Box<dyn Step>> {
        self.pipeline.into_steps()
    }
}

/// A task as the registry holds it: what it is, without its types.
pub trait TaskKind {
    /// Its name.
    fn name(&self) -> &str;
    /// One line.
    fn about(&self) -> &str;
    /// Where it comes from.
    fn origin(&self) -> Origin;
    /// Whether `ci` runs it.
    fn ci(&self) -> InCi;
    /// The arguments `ci` runs it with by default.
    fn ci_args(&self) -> Vec<String>;
    /// Its config section.
    fn section(&self) -> &str;
    /// Checks its section has its type (unknown keys named).
    fn check_section(&self, config: &Config) -> Result<()>;
    /// Its subcommand, with its arguments; `None` for a step that is no subcommand (a
    /// command step of the config, known only once the config is read).
    fn command(&self) -> Option<clap::Command>;
    /// Whether it needs a Cargo workspace with these arguments.
    fn needs_workspace(&self, matches: &clap::ArgMatches) -> Result<bool>;
    /// The directory its arguments name.
    fn target_dir(&self, matches: &clap::ArgMatches) -> Result<Option<PathBuf>>;
    /// Whether its stdout is its artifact.
    fn writes_artifact(&self, matches: &clap::ArgMatches) -> Result<bool>;
    /// The files whose change makes it worth running again.
    fn watches(&self) -> Watched;
    /// What it runs with these arguments.
    fn build(&self, matches: &clap::ArgMatches, cx: &mut Context<'_>) -> Result<Run>;
    /// Its `ci.yml` job.
    fn ci_job(&self, ws: &Workspace) -> Result<CiJob>;
    /// Its `security.yml` job.
    fn scheduled_job(&self) -> Option<CiJob>;
    /// Its part of the generated workflows.
    fn workflows(&self, ws: &Workspace, inputs: &mut Inputs) -> Result<()>;
}

/// `T` behind [`TaskKind`], and where it comes from when the registry says (stock).
pub(crate) struct Entry<T: Task>(pub(crate) Rc<T>, pub(crate) Option<Origin>);

impl<T: Task> Entry<T> {
    fn args(&self, matches: &clap::ArgMatches) -> Result<T::Args> {
        <T::Args as clap::FromArgMatches>::from_arg_matches(matches).map_err(|e| {
            UsageError::new(format!("`{}`: {}", self.0.name(), e.to_string().trim()))
                .hint(format!("cargo xtask {} --help", self.0.name()))
                .into()
        })
    }

    fn config(&self, ws: &Workspace) -> Result<T::Config> {
        ws.config.section(self.0.section())
    }
}

impl<T: Task> TaskKind for Entry<T> {
    fn name(&self) -> &str {
        self.0.name()
    }

    fn about(&self) -> &str {
        self.0.about()
    }

    fn origin(&self) -> Origin {
        self.1.unwrap_or_else(|| self.0.origin())
    }

    fn ci(&self) -> InCi {
        self.0.ci()
    }

    fn ci_args(&self) -> Vec<String> {
        self.0.ci_args()
    }

    fn section(&self) -> &str {
        self.0.section()
    }

    fn check_section(&self, config: &Config) -> Result<()> {
        config.check_section::<T::Config>(self.0.section())
    }

    fn command(&self) -> Option<clap::Command> {
        // The task's own description, set after its arguments: an arguments struct's doc
        // comment (written for rustdoc) must never become what `--help` says of the task.
        let command =
            <T::Args as clap::Args>::augment_args(clap::Command::new(self.0.name().to_string()));
        Some(command.about(self.0.about().to_string()).long_about(None))
    }

    fn needs_workspace(&self, matches: &clap::ArgMatches) -> Result<bool> {
        Ok(self.0.needs_workspace(&self.args(matches)?))
    }

    fn target_dir(&self, matches: &clap::ArgMatches) -> Result<Option<PathBuf>> {
        Ok(self.0.target_dir(&self.args(matches)?))
    }

    fn writes_artifact(&self, matches: &clap::ArgMatches) -> Result<bool> {
        Ok(self.0.writes_artifact(&self.args(matches)?))
    }

    fn watches(&self) -> Watched {
        self.0.watches()
    }

    fn build(&self, matches: &clap::ArgMatches, cx: &mut Context<'_>) -> Result<Run> {
        let args = self.args(matches)?;
        let config = self.config(cx.ws)?;
        if let Some(run) = self.0.pipeline(&args, &config, cx)? {
            return Ok(run);
        }
        Ok(Run::single(
            self.0.name(),
            Box::new(TaskStep {
                task: Rc::clone(&self.0),
                args,
                config,
            }),
        ))
    }

    fn ci_job(&self, ws: &Workspace) -> Result<CiJob> {
        self.0.ci_job(&self.config(ws)?, ws)
    }

    fn scheduled_job(&self) -> Option<CiJob> {
        self.0.scheduled_job()
    }

    fn workflows(&self, ws: &Workspace, inputs: &mut Inputs) -> Result<()> {
        self.0.workflows(&self.config(ws)?, ws, inputs)
    }
}

/// A one-step task with its arguments and config read.
struct TaskStep<T: Task> {
    task: Rc<T>,
    args: T::Args,
    config: T::Config,
}

impl<T: Task> Step for TaskStep<T> {
    fn name(&self) -> &str {
        self.task.name()
    }

    fn plan(&self, ws: &Workspace, session: &mut Session) -> Result<Plan> {
        self.task.plan(&self.args, &self.config, ws, session)
    }

    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        self.task.run(&self.args, &self.config, ws, session)
    }
}

/// The arguments `words` of the subcommand `kind`, as its parser reads them (the defaults
/// when there are none): how `ci` and the hook run a task.
pub fn matches_of(
    kind: &dyn TaskKind,
    words: &[String],
    list: registry::StepList,
) -> Result<clap::ArgMatches> {
    let Some(command) = kind.command() else {
        return Ok(clap::ArgMatches::default());
    };
    command
        .no_binary_name(true)
        .try_get_matches_from(words)
        .map_err(|e| {
            UsageError::new(format!(
                "`{} {}` in {list}: {}",
                kind.name(),
                words.join(" "),
                e.to_string()
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .trim_start_matches("error: ")
            ))
            .hint(format!(
                "its arguments are those of `cargo xtask {} --help`",
                kind.name()
            ))
            .into()
        })
}

#[cfg(test)]
mod tests {
    use super::Watched;

    #[test]
    fn each_kind_concerns_its_files() {
        assert!(Watched::Rust.concerns("crates/a/src/lib.rs"));
        assert!(Watched::Rust.concerns("Cargo.lock"));
        assert!(Watched::Rust.concerns(".cargo/config.toml"));
        assert!(!Watched::Rust.concerns("README.md"));
        assert!(Watched::Dependencies.concerns("crates/a/Cargo.toml"));
        assert!(Watched::Dependencies.concerns("deny.toml"));
        assert!(!Watched::Dependencies.concerns("src/main.rs"));
        let paths = Watched::Paths(vec![".github/**".into()]);
        assert!(paths.concerns(".github/workflows/ci.yml"));
        assert!(!paths.concerns("src/main.rs"));
        assert!(Watched::Everything.concerns("anything"));
    }
}
