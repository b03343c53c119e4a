//! windlass's code checks, each a pipeline [`Step`](windlass_core::Step):
//! - [`fmt::FmtCheck`]: `cargo fmt -- --check` in the workspace root, one finding per unformatted file;
//! - [`lint::Lint`]: clippy over every target, warnings are failures, read from cargo's JSON;
//! - [`test::Test`]: cargo-nextest when installed (else `cargo test`), with sharding.
//!
//! [`kinds`] registers them: names, config sections, CI jobs.

pub mod features;
pub mod fmt;
pub mod kinds;
pub mod lint;
pub mod test;
mod text;
