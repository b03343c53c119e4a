//! What a release must do to stay, beyond its health gate: a bake window under watch and a
//! metric analysis against Prometheus ([`analysis`], [`watch`]). Built from the
//! environment's `bake` and `analysis`, the same for the host and the swarm engines.

pub mod analysis;
pub mod condition;
pub mod prometheus;
pub mod watch;
