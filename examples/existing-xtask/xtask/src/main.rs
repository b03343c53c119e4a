//! This workspace's automation. It had a `clap` command line of its own (`codegen`) before it
//! took in windlass; windlass's commands are flattened into it, so `cargo xtask codegen` and
//! `cargo xtask ci` both work, and `--manifest-path`, `--format` and `--color` apply to all.

mod codegen;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// This workspace's tasks.
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
    /// Regenerate src/generated.rs from schema.txt (`--check`: fail when it is stale).
    Codegen(codegen::CodegenArgs),
    #[command(flatten)]
    Windlass(windlass::Commands),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let xtask = windlass::Xtask::new();
    ExitCode::from(match &cli.command {
        // The xtask's own command, run with windlass's reporters and exit codes.
        Command::Codegen(args) => xtask.run_task(&cli.global, codegen::Codegen, args.clone()),
        Command::Windlass(command) => xtask.execute(&cli.global, command),
    })
}
