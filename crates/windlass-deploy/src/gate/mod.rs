//! What a release must do to stay, beyond its health gate: a bake window under watch and a
//! metric analysis against Prometheus ([`analysis`], [`watch`]). Built from the
//! environment's `bake` and `analysis`, the same for the host and the swarm engines.

pub mod analysis;
pub mod condition;
pub mod prometheus;
pub mod watch;

use crate::config::Environment;
use crate::health;
use analysis::Vars;
use std::time::Duration;

/// The watch of `release` in `env`, when the environment has a bake or an analysis; `Err`
/// says why the analysis cannot start (its Prometheus URL's variable is unset).
pub fn watch_for<'a>(
    step: &'a str,
    env: &Environment,
    release: &'a str,
    vars: &Vars,
) -> Result<Option<watch::Watch<'a>>, String> {
    let bake = env.bake.map_or(Duration::ZERO, |d| d.get());
    if bake.is_zero() && env.analysis.is_none() {
        return Ok(None);
    }
    let analysis = match &env.analysis {
        Some(config) => Some(config.prepare(vars, (!bake.is_zero()).then_some(bake))?),
        None => None,
    };
    // The host's gate always checks its URL (the default one when unset); a swarm's only
    // when it names one.
    let polls = env.engine == crate::config::EngineKind::Host || env.health.url.is_some();
    let health = polls.then_some(()).and_then(|()| {
        let options = env.health.options();
        health::parse_url(&options.url).ok().map(|t| (t, options))
    });
    Ok(Some(watch::Watch {
        step,
        release,
        bake,
        health,
        analysis,
    }))
}
