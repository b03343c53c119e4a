//! windlass: CI/CD for Rust services, written in Rust and run as one xtask.
//!
//! An adopting workspace adds a thin `xtask` crate whose `main` calls [`main`], and the alias
//! `xtask = "run --package xtask --"` in `.cargo/config.toml`; then `cargo xtask ci` runs the
//! same checks on a laptop, in GitHub Actions and in a git hook. The tasks themselves live in
//! `windlass-checks` (and the crates that follow); the shared machinery in `windlass-core`.

mod cli;
mod tasks;

pub use cli::Cli;

use clap::Parser as _;
use std::process::ExitCode;
use windlass_core::error::{EXIT_USAGE, exit_code_for};

/// Runs the stock command line on the process arguments; returns its exit code.
pub fn main() -> ExitCode {
    ExitCode::from(run_from(std::env::args_os()))
}

/// Runs the stock command line on `args` (the first being the program name).
pub fn run_from<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            // clap exits 0 for --help and --version, 2 for usage errors: the same convention.
            return u8::try_from(err.exit_code()).unwrap_or(EXIT_USAGE);
        }
    };
    match tasks::run(&cli) {
        Ok(code) => code,
        Err(err) => {
            cli.report_error(&err);
            exit_code_for(&err)
        }
    }
}
