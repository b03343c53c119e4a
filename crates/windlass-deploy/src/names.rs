//! The names of the deploy crate's tasks, which its steps file their findings under: a leaf,
//! so that the engines and the flow name a task without depending on its definition.

/// The name of `health-check`.
pub const HEALTH_CHECK: &str = "health-check";
/// The name of `deploy`.
pub const DEPLOY: &str = "deploy";
/// The name of `rollback`.
pub const ROLLBACK: &str = "rollback";
