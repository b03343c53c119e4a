//! windlass nested in an xtask that already has `ci`, `lint`, `test`, `docs` and `coverage`
//! of its own (the tests run it in each of its three ways, `NESTING=...`):
//!
//! - `renamed` (the default): windlass's `ci` is `cargo xtask windlass-ci`, its `lint` is
//!   `check-lint`, its `docs`, `test` and `coverage` are left out; the rest keep their names;
//! - `nested`: all of windlass under one subcommand, `cargo xtask windlass ci`;
//! - `clash`: flattened as is — every shared name is a clash, reported (exit 2) on the first
//!   windlass command, naming both and the fix.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// The service's own automation: its release checklist and its CI, and windlass's tasks.
#[derive(Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(flatten)]
    global: windlass::GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The project's own CI (before windlass).
    Ci,
    /// The project's own lint.
    Lint,
    /// The project's own test runner.
    Test,
    /// The project's own docs build.
    Docs,
    /// The project's own coverage.
    Coverage,
    #[command(flatten)]
    Windlass(windlass::Commands),
}

/// The same xtask with all of windlass under `cargo xtask windlass`.
#[derive(Parser)]
#[command(name = "cargo xtask")]
struct NestedCli {
    #[command(flatten)]
    global: windlass::GlobalArgs,
    #[command(subcommand)]
    command: NestedCommand,
}

#[derive(Subcommand)]
enum NestedCommand {
    /// The project's own CI (before windlass).
    Ci,
    /// windlass's tasks.
    Windlass(windlass::Nested),
}

fn own(name: &str) -> ExitCode {
    println!("the project's own {name}");
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let mode = std::env::var("NESTING").unwrap_or_else(|_| "renamed".into());
    let xtask = match mode.as_str() {
        "renamed" => windlass::Xtask::new()
            .rename("ci", "windlass-ci")
            .rename("lint", "check-lint")
            .without("docs")
            .without("test")
            .without("coverage")
            .nest(),
        _ => windlass::Xtask::new(),
    };
    if mode == "nested" {
        let cli = NestedCli::parse();
        return match &cli.command {
            NestedCommand::Ci => own("ci"),
            NestedCommand::Windlass(nested) => {
                ExitCode::from(xtask.execute(&cli.global, &nested.0))
            }
        };
    }
    let cli = Cli::parse();
    match &cli.command {
        Command::Ci => own("ci"),
        Command::Lint => own("lint"),
        Command::Test => own("test"),
        Command::Docs => own("docs"),
        Command::Coverage => own("coverage"),
        Command::Windlass(command) => ExitCode::from(xtask.execute(&cli.global, command)),
    }
}
