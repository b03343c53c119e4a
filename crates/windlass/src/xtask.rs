//! [`Xtask`]: the stock command line, with the workspace's own steps and subcommands added.
//!
//! ```no_run
//! # struct NoTodo;
//! # impl windlass::CustomStep for NoTodo {
//! #     type Config = windlass::NoConfig;
//! #     fn name(&self) -> &str { "no-todo" }
//! #     fn about(&self) -> &str { "" }
//! #     fn plan(&self, _: &Self::Config, _: &windlass::Workspace) -> anyhow::Result<windlass::Plan> { todo!() }
//! #     fn run(&self, _: &Self::Config, _: &windlass::Workspace, _: &mut windlass::Session) -> anyhow::Result<windlass::StepOutcome> { todo!() }
//! # }
//! /// Say hello.
//! #[derive(clap::Args)]
//! struct Hello {
//!     /// Whom to greet.
//!     #[arg(long, default_value = "world")]
//!     name: String,
//! }
//!
//! impl windlass::Task for Hello {
//!     fn run(&self, _ws: &windlass::Workspace, session: &mut windlass::Session) -> anyhow::Result<windlass::StepOutcome> {
//!         session.message(windlass::Severity::Notice, format!("hello, {}", self.name));
//!         Ok(windlass::StepOutcome::passed("greeted"))
//!     }
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     windlass::Xtask::new().step(NoTodo).command::<Hello>("hello").run()
//! }
//! ```

use crate::cli::{Cli, Commands, GlobalArgs};
use crate::{stock, tasks};
use anyhow::Result;
use clap::{CommandFactory as _, FromArgMatches as _};
use std::io::IsTerminal;
use std::process::ExitCode;
use windlass_core::error::{EXIT_USAGE, exit_code_for};
use windlass_core::report::{self, Environment, Format};
use windlass_core::runner::Runner;
use windlass_core::{
    CustomStep, Plan, Registry, Session, Step, StepOutcome, UsageError, Workspace,
};

pub use windlass_core::registry::NoConfig;

/// A subcommand of the workspace's own, beside `ci`, `lint`, ...: its arguments are a
/// `clap::Args` type (its doc comment is the help), and it runs with the same session as the
/// stock tasks, so what it reports goes through the same reporters (terminal, GitHub
/// annotations, JSON) and ends with the same exit codes.
pub trait Task: clap::Args + 'static {
    /// Whether it works on the Cargo workspace (default); `false` lets it run anywhere.
    fn needs_workspace(&self) -> bool {
        true
    }

    /// What it would do, for `--format json` scripts and the report (default: its name).
    fn plan(&self, name: &str) -> Result<Plan> {
        Ok(Plan::describe(format!("run `{name}`")))
    }

    /// Runs it: findings and messages through `session`, the verdict in the outcome; `Err`
    /// when it cannot run at all (exit 2).
    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome>;
}

/// A registered subcommand: how to add it to the parser and how to make it from what was
/// parsed.
trait CommandEntry {
    fn name(&self) -> &str;
    fn augment(&self, command: clap::Command) -> clap::Command;
    fn parse(&self, matches: &clap::ArgMatches) -> Result<TaskStep, clap::Error>;
}

struct Entry<T: Task> {
    name: String,
    _task: std::marker::PhantomData<fn() -> T>,
}

impl<T: Task> CommandEntry for Entry<T> {
    fn name(&self) -> &str {
        &self.name
    }

    fn augment(&self, command: clap::Command) -> clap::Command {
        T::augment_args(command)
    }

    fn parse(&self, matches: &clap::ArgMatches) -> Result<TaskStep, clap::Error> {
        Ok(TaskStep {
            name: self.name.clone(),
            task: Box::new(T::from_arg_matches(matches)?),
        })
    }
}

/// A [`Task`] object, without its clap half.
trait RunTask {
    fn needs_workspace(&self) -> bool;
    fn plan(&self, name: &str) -> Result<Plan>;
    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome>;
}

impl<T: Task> RunTask for T {
    fn needs_workspace(&self) -> bool {
        Task::needs_workspace(self)
    }

    fn plan(&self, name: &str) -> Result<Plan> {
        Task::plan(self, name)
    }

    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        Task::run(self, ws, session)
    }
}

/// A parsed subcommand, run as a pipeline of one step.
struct TaskStep {
    name: String,
    task: Box<dyn RunTask>,
}

impl Step for TaskStep {
    fn name(&self) -> &str {
        &self.name
    }

    fn plan(&self, _ws: &Workspace, _session: &mut Session) -> Result<Plan> {
        self.task.plan(&self.name)
    }

    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        self.task.run(ws, session)
    }
}

/// The stock command line and registry, with what the workspace's xtask adds to them.
pub struct Xtask {
    registry: Registry,
    commands: Vec<Box<dyn CommandEntry>>,
}

impl Default for Xtask {
    fn default() -> Self {
        Self::new()
    }
}

impl Xtask {
    /// windlass's own tasks and steps, nothing added.
    pub fn new() -> Self {
        Self {
            registry: stock::registry(),
            commands: Vec::new(),
        }
    }

    /// Adds a step written in Rust, with its config section
    /// `[workspace.metadata.windlass.<name>]`. It runs in `ci` (after the stock steps, or
    /// where `[ci] steps` puts it), and is a step like the stock ones for `--list`,
    /// `--dry-run`, `--skip`/`--only`, the reports, the hook's `extra-steps` and the
    /// generated workflows (its job runs `cargo xtask ci --only <name>`).
    pub fn step(mut self, step: impl CustomStep) -> Self {
        self.registry.add_custom(step);
        self
    }

    /// Adds a subcommand `name`, with `T`'s arguments.
    pub fn command<T: Task>(mut self, name: &str) -> Self {
        self.commands.push(Box::new(Entry::<T> {
            name: name.to_string(),
            _task: std::marker::PhantomData,
        }));
        self
    }

    /// Adds a config section `[workspace.metadata.windlass.<name>]` read as `T`, for a
    /// subcommand's own settings: checked (unknown keys named) whenever the xtask runs.
    pub fn section<T: serde::de::DeserializeOwned + 'static>(mut self, name: &str) -> Self {
        self.registry.add_section::<T>(name);
        self
    }

    /// The registry of steps and sections, as composed so far.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The command line: the stock one, with the subcommands added by [`Xtask::command`], and
    /// every task this build leaves out known by name (running it says which feature to enable).
    pub fn cli(&self) -> clap::Command {
        let cli = self.commands.iter().fold(Cli::command(), |cli, entry| {
            cli.subcommand(entry.augment(clap::Command::new(entry.name().to_string())))
        });
        crate::gated::add_placeholders(cli)
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
        if let Err(err) = self.check_command_names() {
            GlobalArgs::default().report_error("xtask", &err);
            return EXIT_USAGE;
        }
        let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
        // Usage lines name the command a user types: `cargo xtask`, or the installed binary.
        let program = args
            .first()
            .and_then(|a| std::path::Path::new(a).file_stem())
            .map(|s| s.to_string_lossy().into_owned());
        let bin_name = match program.as_deref() {
            Some("windlass") => "windlass",
            _ => "cargo xtask",
        };
        let matches = match self.cli().bin_name(bin_name).try_get_matches_from(args) {
            Ok(matches) => matches,
            Err(err) => {
                let _ = err.print();
                // clap exits 0 for --help and --version, 2 for usage errors: the same convention.
                return u8::try_from(err.exit_code()).unwrap_or(EXIT_USAGE);
            }
        };
        if let Some((name, _)) = matches.subcommand()
            && let Some(err) = crate::gated::left_out(name)
        {
            let global = GlobalArgs::from_arg_matches(&matches).unwrap_or_default();
            global.report_error(name, &err.into());
            return EXIT_USAGE;
        }
        let parsed = match matches.subcommand() {
            Some((name, sub)) if self.commands.iter().any(|c| c.name() == name) => {
                let entry = self.commands.iter().find(|c| c.name() == name);
                let task = entry.map(|e| e.parse(sub)).transpose();
                GlobalArgs::from_arg_matches(&matches)
                    .and_then(|global| Ok((global, Parsed::Task(task?))))
            }
            _ => {
                Cli::from_arg_matches(&matches).map(|cli| (cli.global, Parsed::Stock(cli.command)))
            }
        };
        match parsed {
            Ok((global, Parsed::Stock(command))) => self.execute(&global, &command),
            Ok((global, Parsed::Task(Some(task)))) => {
                let name = task.name.clone();
                let needs_workspace = task.task.needs_workspace();
                self.run_steps(&global, &name, (None, needs_workspace), |_, _, _| {
                    Ok(tasks::Run::single(&name, Box::new(task)))
                })
            }
            Ok((_, Parsed::Task(None))) => EXIT_USAGE,
            Err(err) => {
                let _ = err.print();
                u8::try_from(err.exit_code()).unwrap_or(EXIT_USAGE)
            }
        }
    }

    /// Runs one parsed windlass command with the global options: what an xtask with its own
    /// command line calls for the windlass commands it nests.
    pub fn execute(&self, global: &GlobalArgs, command: &Commands) -> u8 {
        let name = command.task_name();
        let needs_workspace = command.needs_cargo_workspace();
        self.run_steps(
            global,
            name,
            (Some(command), needs_workspace),
            |ws, registry, session| tasks::plan(command, ws, registry, session),
        )
    }

    /// Runs a [`Task`] of the xtask's own, parsed by its own command line, with windlass's
    /// session: its reporters, its JSON report and its exit codes.
    pub fn run_task(&self, global: &GlobalArgs, name: &str, task: impl Task) -> u8 {
        let needs_workspace = task.needs_workspace();
        let step = TaskStep {
            name: name.to_string(),
            task: Box::new(task),
        };
        self.run_steps(global, name, (None, needs_workspace), |_, _, _| {
            Ok(tasks::Run::single(name, Box::new(step)))
        })
    }

    /// The session, the workspace and the checked registry; then what `make` plans, run.
    /// `target` is the stock command, which says where its workspace is (an xtask's own task
    /// works on the current one), and whether the task needs a Cargo workspace.
    fn run_steps(
        &self,
        global: &GlobalArgs,
        task: &str,
        target: (Option<&Commands>, bool),
        make: impl FnOnce(&Workspace, &Registry, &mut Session) -> Result<tasks::Run>,
    ) -> u8 {
        let result = (|| -> Result<u8> {
            let artifact = target.0.is_some_and(Commands::writes_artifact);
            let mut session = session(global, artifact)?;
            let ws = tasks::discover(global, target.0, target.1, &mut session)?;
            let mut registry = self.registry.clone();
            registry.load(&ws.config)?;
            let run = make(&ws, &registry, &mut session)?;
            run.execute(&ws, &mut session)
        })();
        match result {
            Ok(code) => code,
            Err(err) => {
                global.report_error(task, &err);
                exit_code_for(&err)
            }
        }
    }

    /// A subcommand may not take the name of a stock one (clap would refuse the parser).
    fn check_command_names(&self) -> Result<()> {
        let stock = Cli::command();
        for (i, entry) in self.commands.iter().enumerate() {
            let name = entry.name();
            let taken_by_stock = stock
                .get_subcommands()
                .any(|c| c.get_name() == name || c.get_all_aliases().any(|a| a == name));
            let twice = self.commands[..i].iter().any(|c| c.name() == name);
            if taken_by_stock || twice || name.is_empty() || name.starts_with('-') {
                return Err(UsageError::new(format!(
                    "the xtask adds a subcommand `{name}`, {}",
                    if taken_by_stock {
                        "which windlass already has"
                    } else if twice {
                        "twice"
                    } else {
                        "which is not a valid name"
                    }
                ))
                .hint("give the xtask's own subcommand another name")
                .into());
            }
        }
        Ok(())
    }
}

enum Parsed {
    Stock(Commands),
    Task(Option<TaskStep>),
}

/// The session for `global`: reporters for its format and colour, where this process runs.
fn session(global: &GlobalArgs, artifact: bool) -> Result<Session> {
    let format = global.report_format();
    let human_is_tty = match format {
        Format::Human if !artifact => std::io::stdout().is_terminal(),
        _ => std::io::stderr().is_terminal(),
    };
    let color = report::style::use_color(global.color_choice(), human_is_tty);
    let reporter = report::for_environment(format, color, &Environment::from_env(), artifact);
    let cwd = std::env::current_dir()?;
    let runner = Runner::new(&cwd, format == Format::Json || artifact)?;
    Ok(Session::new(runner, Box::new(reporter), color).with_details(format == Format::Json))
}
