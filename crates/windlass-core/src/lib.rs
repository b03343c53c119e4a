//! The shared core of windlass.
//!
//! Every task builds on the same few parts, so that a check behaves the same on a laptop, in
//! GitHub Actions and in a git hook:
//! - [`workspace`]: which Cargo workspace we work on (through `cargo metadata`) and its config;
//! - [`runner`]: the one place that starts external processes;
//! - [`event`] and [`report`]: what a task says, and how it is shown (terminal, GitHub, JSON);
//! - [`pipeline`]: steps run in order, with fail-fast, keep-going and a final report;
//! - [`task`]: what a task is — a subcommand and, when it checks something, a step of `ci`,
//!   declared once — and [`registry`], every task and config section registered once;
//!   [`plan`] and [`job`] are what a step says of itself: the commands it will run and the CI
//!   job it wants;
//! - [`waivers`]: findings accepted until a date, for every step that can fail on one;
//! - [`units`] and [`cargo_env`]: values every task reads the same way;
//! - [`error`]: the exit codes every task shares.

pub mod cargo_env;
pub mod ci_steps;
pub mod code;
pub mod codes;
pub mod config;
pub mod error;
pub mod event;
pub mod files;
pub mod glob;
pub mod job;
mod metadata_cache;
pub mod paths;
pub mod pipeline;
pub mod plan;
pub mod report;
pub mod revision;
pub mod runner;
pub mod sanitize;
pub mod session;
pub mod signal;
pub mod task;
pub use task::registry;
pub mod testing;
pub mod time;
pub mod tool;
pub mod units;
pub mod waivers;
pub mod workspace;

pub use error::{Interrupted, UsageError};
pub use event::{Diagnostic, Event, Severity};
pub use job::{CiJob, Inputs, JobStep, ToolchainInstall};
pub use pipeline::{Step, StepOutcome};
pub use plan::Plan;
pub use registry::Registry;
pub use session::Session;
pub use task::{Context, InCi, NoArgs, NoConfig, Origin, Run, Task, Watched};
pub use workspace::Workspace;
