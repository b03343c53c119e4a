//! The shared core of windlass.
//!
//! Every task builds on the same few parts, so that a check behaves the same on a laptop, in
//! GitHub Actions and in a git hook:
//! - [`workspace`]: which Cargo workspace we work on (through `cargo metadata`) and its config;
//! - [`runner`]: the one place that starts external processes;
//! - [`event`] and [`report`]: what a task says, and how it is shown (terminal, GitHub, JSON);
//! - [`pipeline`]: steps run in order, with fail-fast, keep-going and a final report;
//! - [`error`]: the exit codes every task shares.

pub mod config;
pub mod error;
pub mod event;
pub mod files;
pub mod paths;
pub mod pipeline;
pub mod report;
pub mod runner;
pub mod session;
pub mod signal;
pub mod time;
pub mod tool;
pub mod workspace;

pub use error::{Interrupted, UsageError};
pub use event::{Diagnostic, Event, Severity};
pub use pipeline::{Step, StepOutcome};
pub use session::Session;
pub use workspace::Workspace;
