//! The command line's own parts: the options every task takes, and [`Commands`], windlass's
//! tasks as a `clap` subcommand an existing xtask can flatten into its own parser.

use clap::{Args, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use windlass_core::report::Format;
use windlass_core::report::style::{self, BAD, ColorChoice};

/// The options every task takes, before or after its name. An xtask with a command line of
/// its own flattens them into its parser (`#[command(flatten)]`) to nest windlass's commands.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// The workspace to work on (its Cargo.toml or directory); default: the current one.
    #[arg(long, global = true, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,

    /// What to print on stdout: text for people, or one JSON report (docs/json-report.md).
    #[arg(long, global = true, value_enum, default_value_t = FormatArg::Human)]
    pub format: FormatArg,

    /// When to use colour; `auto` follows the terminal, NO_COLOR, CLICOLOR and CLICOLOR_FORCE.
    #[arg(long, global = true, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
}

impl Default for GlobalArgs {
    fn default() -> Self {
        Self {
            manifest_path: None,
            format: FormatArg::Human,
            color: ColorArg::Auto,
        }
    }
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Text for people (plus workflow commands in GitHub Actions).
    Human,
    /// A `windlass.report/v1` JSON document.
    Json,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    /// Colour on a terminal.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl GlobalArgs {
    /// The report format.
    pub fn report_format(&self) -> Format {
        match self.format {
            FormatArg::Human => Format::Human,
            FormatArg::Json => Format::Json,
        }
    }

    /// The colour choice.
    pub fn color_choice(&self) -> ColorChoice {
        match self.color {
            ColorArg::Auto => ColorChoice::Auto,
            ColorArg::Always => ColorChoice::Always,
            ColorArg::Never => ColorChoice::Never,
        }
    }

    /// Tells the user why the run could not happen: on stderr, and as a JSON document on
    /// stdout with `--format json` so that a script always gets one, its `failure` saying
    /// the error's kind, hint and place (docs/json-report.md).
    pub fn report_error(&self, task: &str, err: &anyhow::Error) {
        let color = style::use_color(self.color_choice(), std::io::stderr().is_terminal());
        // An error quotes paths, values and commands' output: shown through the sanitizer.
        let text = windlass_core::sanitize::redact(&format!("{err:#}")).into_owned();
        let shown = windlass_core::sanitize::terminal(&text, false);
        let line = format!("{}: {shown}\n", style::paint(color, BAD, "error"));
        let github = windlass_core::report::Environment::from_env().github_actions;
        let line = if github {
            windlass_core::sanitize::guard_workflow_commands(&line).into_owned()
        } else {
            line
        };
        let _ = std::io::stderr().write_all(line.as_bytes());
        if self.report_format() == Format::Json {
            let doc = serde_json::json!({
                "schema": windlass_core::event::REPORT_SCHEMA,
                "task": task,
                "status": "error",
                "exit_code": windlass_core::error::exit_code_for(err),
                "error": text,
                "failure": windlass_core::error::to_json(err),
                "steps": [],
                "diagnostics": [],
            });
            let _ = writeln!(std::io::stdout(), "{doc:#}");
        }
    }
}

/// windlass's tasks, as a subcommand an xtask with its own command line flattens into its
/// enum (`#[command(flatten)] Windlass(windlass::Commands)`) and runs with
/// [`crate::Xtask::execute`]: which task, and its arguments as parsed.
#[derive(Debug, Clone)]
pub struct Commands {
    /// The task's name.
    pub name: String,
    /// Its arguments.
    pub matches: clap::ArgMatches,
}

impl clap::FromArgMatches for Commands {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        match matches.subcommand() {
            Some((name, sub)) if has(name) => Ok(Self {
                name: name.to_string(),
                matches: sub.clone(),
            }),
            _ => Err(clap::Error::new(clap::error::ErrorKind::MissingSubcommand)),
        }
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl clap::Subcommand for Commands {
    fn augment_subcommands(command: clap::Command) -> clap::Command {
        crate::Xtask::new().augment(command)
    }

    fn augment_subcommands_for_update(command: clap::Command) -> clap::Command {
        Self::augment_subcommands(command)
    }

    fn has_subcommand(name: &str) -> bool {
        has(name)
    }
}

/// Whether `name` is one of windlass's tasks (built in or not).
fn has(name: &str) -> bool {
    crate::Xtask::new().registry().get(name).is_some() || crate::gated::is_gated(name)
}
