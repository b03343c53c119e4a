//! windlass: CI/CD for Rust services, written in Rust and run as one xtask.
//!
//! An adopting workspace adds a thin `xtask` crate (a workspace of its own) and the alias
//! `xtask = "run --manifest-path xtask/Cargo.toml --"` in `.cargo/config.toml`; then
//! `cargo xtask ci` runs the same checks on a laptop, in GitHub Actions and in a git hook. Its
//! `main` is one of:
//!
//! - [`main`]: the stock command line, nothing added;
//! - [`Xtask`]: the stock command line plus the workspace's own [`Task`]s — each a subcommand
//!   and, when it says so, a step of `ci` ([`Xtask::task`], one line);
//! - [`Commands`] and [`GlobalArgs`] flattened into an xtask's own `clap` parser, each parsed
//!   windlass command run with [`Xtask::execute`], the xtask's own with [`Xtask::run_task`].
//!
//! ```no_run
//! use windlass::{InCi, NoArgs, Plan, Session, StepOutcome, Task, Workspace};
//!
//! struct NoTodo;
//!
//! impl Task for NoTodo {
//!     type Args = NoArgs;
//!     type Config = windlass::NoConfig;
//!     fn name(&self) -> &str { "no-todo" }
//!     fn about(&self) -> &str { "no TODO comments under src/" }
//!     fn ci(&self) -> InCi { InCi::Default }
//!     fn plan(&self, _: &NoArgs, _: &Self::Config, _: &Workspace, _: &mut Session) -> anyhow::Result<Plan> {
//!         Ok(Plan::describe("scan src/ for TODO comments"))
//!     }
//!     fn run(&self, _: &NoArgs, _: &Self::Config, _: &Workspace, _: &mut Session) -> anyhow::Result<StepOutcome> {
//!         Ok(StepOutcome::passed("no TODO"))
//!     }
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     windlass::Xtask::new().task(NoTodo).run()
//! }
//! ```
//!
//! The tasks themselves live in `windlass-checks` and the crates beside it, each declaring
//! itself once; the shared machinery (sessions, reporters, the pipeline, the registry) in
//! `windlass-core`, re-exported here as [`core`].

mod ci;
mod cli;
pub mod codes;
mod command;
mod completions;
mod embed;
mod gated;
mod nesting;
mod startup;
mod stock;
mod watch;
mod xtask;

pub use cli::GlobalArgs;
pub use embed::{Commands, Nested};
pub use nesting::Nesting;
pub use windlass_core as core;
pub use windlass_core::code::{Code, Family};
pub use windlass_core::declare_codes;
pub use windlass_core::event::Event;
pub use windlass_core::runner::Capture;
pub use windlass_core::{
    CiJob, Context, Diagnostic, InCi, JobStep, NoArgs, NoConfig, Origin, Plan, Run, Session,
    Severity, Step, StepOutcome, Task, UsageError, Workspace,
};
pub use xtask::Xtask;

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
