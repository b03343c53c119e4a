//! windlass's code checks, each a pipeline [`Step`](windlass_core::Step):
//! - [`fmt::FmtCheck`]: `cargo fmt -- --check` in the workspace root, one finding per unformatted file;
//! - [`lint::Lint`]: clippy over every target, warnings are failures, read from cargo's JSON;
//! - [`suite::Test`]: cargo-nextest when installed (else `cargo test`), with sharding;
//! - [`docs::DocsTask`]: the documentation with rustdoc's warnings denied;
//! - [`msrv::MsrvTask`]: each member built and tested on its `rust-version`;
//! - [`feature_sets::FeaturesTask`]: every feature alone (or the powerset to a depth), through
//!   cargo-hack;
//! - [`coverage::CoverageTask`]: the tests' line coverage against a threshold, through
//!   cargo-llvm-cov, with an LCOV or Cobertura file for CI.
//!
//! [`task`] declares them: names, arguments, config sections, CI jobs. Beside them, what
//! they run with: [`suite::services`], the databases and brokers the tests (and a [`command_step`])
//! need, started around them; and [`command_step`]s, checks declared in TOML.

pub mod codes;
pub mod command_step;
pub mod coverage;
pub mod docs;
pub mod feature_sets;
pub mod fmt;
pub mod lint;
pub mod msrv;
pub mod selection;
pub mod suite;
pub mod task;
mod text;
