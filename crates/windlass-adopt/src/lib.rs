//! windlass's adoption tools.
//!
//! - [`init`]: adds windlass to an existing Rust repository — a thin `xtask` crate, the
//!   `cargo xtask` alias, the config with detected defaults, valid rustfmt/clippy/deny files
//!   where there are none, the generated workflows and the pre-commit hook. It never
//!   overwrites a file without `--force`, and running it twice changes nothing.
//! - [`doctor`]: inspects a repository without building it and scores its production
//!   readiness, area by area, check by check, each with its evidence and its fix.

pub mod codes;
pub mod doctor;
pub mod init;
pub mod stacks;
pub mod task;
