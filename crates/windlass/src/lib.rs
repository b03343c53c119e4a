//! windlass: CI/CD for Rust services, written in Rust and run as one xtask.
//!
//! An adopting workspace adds a thin `xtask` crate and the alias
//! `xtask = "run --package xtask --"` in `.cargo/config.toml`; then `cargo xtask ci` runs the
//! same checks on a laptop, in GitHub Actions and in a git hook. Its `main` is one of:
//!
//! - [`main`]: the stock command line, nothing added;
//! - [`Xtask`]: the stock command line plus the workspace's own Rust steps
//!   ([`Xtask::step`], a [`CustomStep`]) and subcommands ([`Xtask::command`], a [`Task`]);
//! - [`Commands`] and [`GlobalArgs`] flattened into an xtask's own `clap` parser, each parsed
//!   windlass command run with [`Xtask::execute`].
//!
//! ```no_run
//! use windlass::{CustomStep, Plan, Session, StepOutcome, Workspace};
//!
//! struct NoTodo;
//!
//! impl CustomStep for NoTodo {
//!     type Config = windlass::NoConfig;
//!     fn name(&self) -> &str { "no-todo" }
//!     fn about(&self) -> &str { "no TODO comments under src/" }
//!     fn plan(&self, _: &Self::Config, _: &Workspace) -> anyhow::Result<Plan> {
//!         Ok(Plan::describe("scan src/ for TODO comments"))
//!     }
//!     fn run(&self, _: &Self::Config, _: &Workspace, _: &mut Session) -> anyhow::Result<StepOutcome> {
//!         Ok(StepOutcome::passed("no TODO"))
//!     }
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     windlass::Xtask::new().step(NoTodo).run()
//! }
//! ```
//!
//! The tasks themselves live in `windlass-checks` and the crates beside it; the shared
//! machinery (sessions, reporters, the pipeline, the registry) in `windlass-core`, re-exported
//! here as [`core`].

mod cli;
mod gated;
mod stock;
mod tasks;
mod xtask;

pub use cli::{Cli, Commands, GlobalArgs};
pub use windlass_core as core;
pub use windlass_core::event::Event;
pub use windlass_core::runner::Capture;
pub use windlass_core::{
    CiJob, CustomStep, Diagnostic, JobStep, Plan, Session, Severity, Step, StepOutcome, UsageError,
    Workspace,
};
pub use xtask::{NoConfig, Task, Xtask};

use std::process::ExitCode;

/// Runs the stock command line on the process arguments; returns its exit code.
pub fn main() -> ExitCode {
    Xtask::new().run()
}

/// Runs the stock command line on `args` (the first being the program name).
pub fn run_from<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    Xtask::new().run_from(args)
}
