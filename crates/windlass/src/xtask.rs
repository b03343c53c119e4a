//! [`Xtask`]: the stock command line, with the workspace's own tasks added.
//!
//! ```no_run
//! use windlass::{InCi, NoArgs, Session, StepOutcome, Task, Workspace};
//!
//! /// `cargo xtask hello`, and a step of `ci`.
//! struct Hello;
//!
//! impl Task for Hello {
//!     type Args = NoArgs;
//!     type Config = windlass::NoConfig;
//!     fn name(&self) -> &str { "hello" }
//!     fn about(&self) -> &str { "say hello" }
//!     fn ci(&self) -> InCi { InCi::Default }
//!     fn run(&self, _: &NoArgs, _: &Self::Config, _: &Workspace, session: &mut Session) -> anyhow::Result<StepOutcome> {
//!         session.message(windlass::Severity::Notice, "hello");
//!         Ok(StepOutcome::passed("greeted"))
//!     }
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     windlass::Xtask::new().task(Hello).run()
//! }
//! ```

use crate::cli::GlobalArgs;
use crate::command::{augment, command_line_with};
use crate::embed::Commands;
use crate::nesting::Nesting;
use crate::startup::{discover, session};
use crate::{gated, stock};
use anyhow::Result;
use clap::FromArgMatches as _;
use std::process::ExitCode;
use windlass_core::error::{EXIT_USAGE, exit_code_for};
use windlass_core::task::{Context, Task};
use windlass_core::{Registry, Session, UsageError, Workspace};

/// The stock command line and registry, with what the workspace's xtask adds to them.
pub struct Xtask {
    registry: Registry,
    nesting: Nesting,
}

impl Default for Xtask {
    fn default() -> Self {
        Self::new()
    }
}

impl Xtask {
    /// windlass's own tasks, nothing added.
    pub fn new() -> Self {
        Self {
            registry: stock::registry(),
            nesting: Nesting::new(),
        }
    }

    /// windlass's task `task` becomes the subcommand `to`, freeing its name for one of the
    /// xtask's own (its config section and step name stay `task`).
    pub fn rename(mut self, task: &str, to: &str) -> Self {
        self.nesting = self.nesting.rename(task, to);
        self
    }

    /// windlass's task `task` is no subcommand.
    pub fn without(mut self, task: &str) -> Self {
        self.nesting = self.nesting.without(task);
        self
    }

    /// Makes this xtask's renames and left-out commands those of [`Commands`], which an
    /// xtask's own `clap` parser flattens: call it before parsing.
    pub fn nest(self) -> Self {
        crate::nesting::install(self.nesting.clone());
        self
    }

    /// Adds a task of the workspace's own: a subcommand `cargo xtask <name>` with its
    /// arguments, its config section `[workspace.metadata.windlass.<name>]`, and — when
    /// [`Task::ci`] says so — a step of `ci` like the stock ones for `--list`, `--dry-run`,
    /// `--skip`/`--only`, the reports, the hook's `extra-steps` and the generated workflows.
    pub fn task(mut self, task: impl Task) -> Self {
        self.registry.add_task(task);
        self
    }

    /// Adds a config section `[workspace.metadata.windlass.<name>]` read as `T` that no task
    /// owns: checked (unknown keys named) whenever the xtask runs.
    pub fn section<T: serde::de::DeserializeOwned + 'static>(mut self, name: &str) -> Self {
        self.registry.add_section::<T>(name);
        self
    }

    /// The registry of tasks and sections, as composed so far.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Every task's subcommand, and a placeholder for each task this build leaves out, added
    /// to `command`.
    pub fn augment(&self, command: clap::Command) -> clap::Command {
        augment(&self.registry, &self.nesting, command)
    }

    /// The command line: the global options and every task's subcommand.
    pub fn cli(&self) -> clap::Command {
        command_line_with(&self.registry, &self.nesting)
    }

    /// Runs the command line on the process arguments; returns its exit code.
    pub fn run(self) -> ExitCode {
        ExitCode::from(self.run_from(std::env::args_os()))
    }

    /// Runs the command line on `args` (the first being the program name).
    pub fn run_from<I, T>(self, args: I) -> u8
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        // Started by the hook on the binary directly: hand over to cargo unless it is fresh.
        if let Some(code) = windlass_hooks::fresh::at_start() {
            return code;
        }
        let mut args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
        // Usage lines name the command a user types: `cargo xtask`, or the installed binary.
        let program = args
            .first()
            .and_then(|a| std::path::Path::new(a).file_stem())
            .map(|s| s.to_string_lossy().into_owned());
        // Installed as the cargo subcommand `cargo-NAME` (CI runs the xtask built once that
        // way), cargo passes NAME first, as it does to every external subcommand.
        if let Some(name) = program.as_deref().and_then(|p| p.strip_prefix("cargo-"))
            && args.get(1).is_some_and(|a| a == name)
        {
            args.remove(1);
        }
        let bin_name = match program.as_deref() {
            Some("windlass") => "windlass",
            _ => "cargo xtask",
        };
        // `windlass --version` names windlass; `cargo xtask --version` the xtask and the
        // windlass it is built on.
        let cli = if bin_name == "windlass" {
            self.cli().name("windlass").bin_name(bin_name)
        } else {
            self.cli()
                .name("xtask")
                .version(concat!("(windlass ", env!("CARGO_PKG_VERSION"), ")"))
                .bin_name(bin_name)
        };
        if let Some(clash) = crate::nesting::clash_error() {
            GlobalArgs::default().report_error("xtask", &clash.into());
            return EXIT_USAGE;
        }
        let matches = match cli.try_get_matches_from(args) {
            Ok(matches) => matches,
            Err(err) => {
                let _ = err.print();
                // clap exits 0 for --help and --version, 2 for usage errors: the same convention.
                return u8::try_from(err.exit_code()).unwrap_or(EXIT_USAGE);
            }
        };
        let global = match GlobalArgs::from_arg_matches(&matches) {
            Ok(global) => global,
            Err(err) => {
                let _ = err.print();
                return EXIT_USAGE;
            }
        };
        let Some((name, sub)) = matches.subcommand() else {
            return EXIT_USAGE;
        };
        let name = self.nesting.task_of(name).unwrap_or(name);
        self.execute(
            &global,
            &Commands {
                name: name.to_string(),
                matches: sub.clone(),
            },
        )
    }

    /// Runs one parsed task with the global options: what an xtask with its own command line
    /// calls for the windlass commands it nests.
    pub fn execute(&self, global: &GlobalArgs, command: &Commands) -> u8 {
        // An xtask with its own command line comes here first: the hook's check, as in run_from.
        if let Some(code) = windlass_hooks::fresh::at_start() {
            return code;
        }
        let name = command.name.as_str();
        if let Some(clash) = crate::nesting::clash_error() {
            global.report_error(name, &clash.into());
            return EXIT_USAGE;
        }
        if name == crate::ci::NAME
            && command
                .matches
                .try_get_one::<bool>("watch")
                .ok()
                .flatten()
                .copied()
                .unwrap_or(false)
        {
            return crate::watch::run(
                &self.registry,
                &|global, command| self.execute(global, command),
                global,
                command,
            );
        }
        if let Some(err) = gated::left_out(name, &self.registry) {
            global.report_error(name, &err.into());
            return EXIT_USAGE;
        }
        let result = (|| -> Result<u8> {
            let Some(kind) = self.registry.get(name) else {
                return Err(UsageError::new(format!("no task `{name}`")).into());
            };
            let matches = &command.matches;
            let artifact = kind.writes_artifact(matches)?;
            let mut session = session(global, artifact)?;
            let ws = discover(
                global,
                kind.target_dir(matches)?,
                kind.needs_workspace(matches)?,
                &mut session,
            )?;
            let mut registry = self.registry.clone();
            registry.load(&ws.config)?;
            windlass_checks::command_step::register(&mut registry, &ws.config)?;
            let kind = registry.get(name).unwrap_or(kind);
            let run = kind.build(
                matches,
                &mut Context {
                    ws: &ws,
                    registry: &registry,
                    session: &mut session,
                },
            )?;
            run.execute(&ws, &mut session)
        })();
        match result {
            Ok(code) => code,
            Err(err) => {
                global.report_error(name, &err);
                exit_code_for(&err)
            }
        }
    }

    /// Runs a task of the xtask's own that its own command line parsed (`args`), with
    /// windlass's session: its reporters, its JSON report and its exit codes.
    pub fn run_task<T: Task>(&self, global: &GlobalArgs, task: T, args: T::Args) -> u8 {
        let name = task.name().to_string();
        let mut registry = self.registry.clone();
        registry.replace_task(Prepared { task, args });
        Xtask {
            registry,
            nesting: self.nesting.clone(),
        }
        .execute(
            global,
            &Commands {
                name,
                matches: clap::ArgMatches::default(),
            },
        )
    }
}

/// A task whose arguments its own parser already read: it takes them, whatever the matches.
struct Prepared<T: Task> {
    task: T,
    args: T::Args,
}

/// No arguments of its own: [`Prepared`] has them already.
#[derive(Debug, Clone, Default, clap::Args)]
struct Parsed {}

impl<T: Task> Task for Prepared<T> {
    type Args = Parsed;
    type Config = T::Config;

    fn name(&self) -> &str {
        self.task.name()
    }
    fn about(&self) -> &str {
        self.task.about()
    }
    fn origin(&self) -> windlass_core::Origin {
        self.task.origin()
    }
    fn section(&self) -> &str {
        self.task.section()
    }
    // Everything the task says of itself passes through, so that a task run from a parser
    // of its own is the same task to `ci`, `--watch` and the workflows.
    fn ci(&self) -> windlass_core::InCi {
        self.task.ci()
    }
    fn ci_args(&self) -> Vec<String> {
        self.task.ci_args()
    }
    fn watches(&self) -> windlass_core::Watched {
        self.task.watches()
    }
    fn ci_job(&self, config: &T::Config, ws: &Workspace) -> Result<windlass_core::CiJob> {
        self.task.ci_job(config, ws)
    }
    fn scheduled_job(&self) -> Option<windlass_core::CiJob> {
        self.task.scheduled_job()
    }
    fn workflows(
        &self,
        config: &T::Config,
        ws: &Workspace,
        inputs: &mut windlass_core::Inputs,
    ) -> Result<()> {
        self.task.workflows(config, ws, inputs)
    }
    fn needs_workspace(&self, _: &Parsed) -> bool {
        self.task.needs_workspace(&self.args)
    }
    fn target_dir(&self, _: &Parsed) -> Option<std::path::PathBuf> {
        self.task.target_dir(&self.args)
    }
    fn writes_artifact(&self, _: &Parsed) -> bool {
        self.task.writes_artifact(&self.args)
    }
    fn plan(
        &self,
        _: &Parsed,
        config: &T::Config,
        ws: &Workspace,
        session: &mut Session,
    ) -> Result<windlass_core::Plan> {
        self.task.plan(&self.args, config, ws, session)
    }
    fn run(
        &self,
        _: &Parsed,
        config: &T::Config,
        ws: &Workspace,
        session: &mut Session,
    ) -> Result<windlass_core::StepOutcome> {
        self.task.run(&self.args, config, ws, session)
    }
    fn pipeline(
        &self,
        _: &Parsed,
        config: &T::Config,
        cx: &mut Context<'_>,
    ) -> Result<Option<windlass_core::Run>> {
        self.task.pipeline(&self.args, config, cx)
    }
}
