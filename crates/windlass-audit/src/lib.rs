//! windlass's dependency audit: the `audit` step.
//!
//! - advisories: `Cargo.lock` against the RustSec database, the same findings as cargo-audit,
//!   reading only the advisories of the crates present ([`database`], [`advisories`]);
//! - licences: every package's SPDX expression against `deny.toml` ([`policy`], [`licenses`]);
//! - yanked versions, on request ([`yanked`]).
//!
//! Each finding names the crate, the advisory and its aliases, severity, the fixed versions
//! and the dependency path from a workspace member, and is placed at the package's line in
//! `Cargo.lock`. The crate is kept apart from the other checks because of `rustsec`'s weight:
//! an adopter can leave it out with a feature of the `windlass` crate.

pub use windlass_advisories::{advisories, database, index, lockfile};
pub mod bans;
pub mod binary;
pub mod codes;
pub mod graph;
pub mod licenses;
pub mod policy;
mod report;
pub mod snapshot;
pub mod spec;
pub mod task;
pub mod xtask_view;
pub mod yanked;

pub use task::*;
