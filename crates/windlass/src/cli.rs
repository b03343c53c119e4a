//! The options every task takes, and how a run reports: what every entry point (the
//! xtask's own parser, a foreign xtask's, `ci --watch`) reads the same way.

use clap::ValueEnum;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use windlass_core::report::Format;
use windlass_core::report::style::{self, BAD, ColorChoice};

/// The options every task takes, before or after its name (`--help` lists them under
/// "Global options"). An xtask with a command line of its own flattens them into its parser
/// (`#[command(flatten)]`) to nest windlass's commands; they add arguments only, never a
/// description, so the xtask's own `about` stays.
#[derive(Debug, Clone, Default)]
pub struct GlobalArgs {
    /// The workspace to work on (its Cargo.toml or directory); default: the current one.
    pub manifest_path: Option<PathBuf>,
    /// What to print on stdout.
    pub format: FormatArg,
    /// When to use colour.
    pub color: ColorArg,
    /// `-q`: only what failed, and the verdict.
    pub quiet: bool,
    /// `-v` (`-vv`): every command echoed, the polls of wait loops and plumbing too.
    pub verbose: u8,
    /// Passed to cargo: the lockfile must not change.
    pub locked: bool,
    /// Passed to cargo: no network.
    pub offline: bool,
    /// Passed to cargo: `--locked` and `--offline`.
    pub frozen: bool,
}

const HEADING: &str = "Global options";

impl clap::Args for GlobalArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        use clap::{Arg, ArgAction, value_parser};
        let global = |arg: Arg| arg.global(true).help_heading(HEADING);
        cmd.arg(global(
            Arg::new("manifest_path")
                .long("manifest-path")
                .value_name("PATH")
                .value_parser(value_parser!(PathBuf))
                .help("The workspace to work on (its Cargo.toml or directory); default: the current one"),
        ))
        .arg(global(
            Arg::new("format")
                .long("format")
                .value_name("FORMAT")
                .value_parser(value_parser!(FormatArg))
                .default_value("human")
                .help("What to print on stdout: text for people, or one JSON report (docs/json-report.md)"),
        ))
        .arg(global(
            Arg::new("color")
                .long("color")
                .value_name("WHEN")
                .value_parser(value_parser!(ColorArg))
                .default_value("auto")
                .help("When to use colour; auto follows the terminal, CARGO_TERM_COLOR, NO_COLOR, CLICOLOR and CLICOLOR_FORCE"),
        ))
        .arg(global(
            Arg::new("quiet")
                .short('q')
                .long("quiet")
                .action(ArgAction::SetTrue)
                .conflicts_with("verbose")
                .help("Print only what fails, and the verdict"),
        ))
        .arg(global(
            Arg::new("verbose")
                .short('v')
                .long("verbose")
                .action(ArgAction::Count)
                .help("Echo every command, the plumbing (git, docker polls) too"),
        ))
        .arg(global(
            Arg::new("locked")
                .long("locked")
                .action(ArgAction::SetTrue)
                .help("Passed to cargo: Cargo.lock must stay as it is"),
        ))
        .arg(global(
            Arg::new("offline")
                .long("offline")
                .action(ArgAction::SetTrue)
                .help("Passed to cargo (and windlass's own fetches): no network"),
        ))
        .arg(global(
            Arg::new("frozen")
                .long("frozen")
                .action(ArgAction::SetTrue)
                .help("Passed to cargo: --locked and --offline"),
        ))
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

impl clap::FromArgMatches for GlobalArgs {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let flag = |id: &str| {
            matches
                .try_get_one::<bool>(id)
                .ok()
                .flatten()
                .copied()
                .unwrap_or(false)
        };
        Ok(Self {
            manifest_path: matches
                .try_get_one::<PathBuf>("manifest_path")
                .ok()
                .flatten()
                .cloned(),
            format: matches
                .try_get_one::<FormatArg>("format")
                .ok()
                .flatten()
                .copied()
                .unwrap_or_default(),
            color: matches
                .try_get_one::<ColorArg>("color")
                .ok()
                .flatten()
                .copied()
                .unwrap_or_default(),
            quiet: flag("quiet"),
            verbose: matches
                .try_get_one::<u8>("verbose")
                .ok()
                .flatten()
                .copied()
                .unwrap_or(0),
            locked: flag("locked"),
            offline: flag("offline"),
            frozen: flag("frozen"),
        })
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum FormatArg {
    /// Text for people (plus workflow commands in GitHub Actions).
    #[default]
    Human,
    /// A `windlass.report/v1` JSON document.
    Json,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorArg {
    /// Colour on a terminal.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl GlobalArgs {
    /// How much the terminal shows.
    pub fn verbosity(&self) -> windlass_core::report::Verbosity {
        use windlass_core::report::Verbosity;
        match (self.quiet, self.verbose) {
            (true, _) => Verbosity::Quiet,
            (false, 0) => Verbosity::Normal,
            (false, _) => Verbosity::Verbose,
        }
    }

    /// What cargo is given: `--locked` for a build that must not touch Cargo.lock, and
    /// `CARGO_NET_OFFLINE` (which every cargo and windlass's own fetches honour) for no network.
    pub fn cargo_flags(&self) -> (bool, bool) {
        (self.locked || self.frozen, self.offline || self.frozen)
    }

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
