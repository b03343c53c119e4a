//! Code from before the rewrite. Its TODOs are allowed (see `no-todo` in Cargo.toml).

/// The fee in basis points.
// TODO: read it from the exchange's config.
pub fn fee_bps() -> u32 {
    10
}
