//! The hot path of windlass's audit, in a crate of its own so that it alone is built
//! optimised in the dev profile an xtask runs in (the rest of the audit is not worth the
//! compile time): reading `Cargo.lock` ([`lockfile`]), the RustSec advisory database
//! ([`database`]) through a compact index kept beside it ([`index`]), and matching the two as
//! cargo-audit does ([`advisories`]).

pub mod advisories;
pub mod database;
pub mod index;
pub mod lockfile;
pub mod shown;
