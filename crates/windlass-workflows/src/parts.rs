//! What tasks other than the checks contribute to the generated workflows, as typed parts of
//! [`Inputs`](windlass_core::Inputs): the deploy task its environments, the release task its
//! tag, the docker task that it builds images. The generator reads them; the core only
//! carries them.

/// The deploy environments; with any, `deploy.yml` is written too.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeployEnvironments(pub Vec<DeployTarget>);

/// The release tag, with `{version}` in it: `release.yml` runs on its push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseTag(pub String);

/// This xtask builds images (`docker-build`): without it, a swarm environment's image is
/// built elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildsImages;

/// A deploy environment, as `deploy.yml` needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployTarget {
    /// The environment's name.
    pub name: String,
    /// Where the image it rolls out comes from (swarm environments).
    pub image: ImageSource,
}

/// Where a deploy's image is built before `cargo xtask deploy` runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    /// Nothing to build: a host deploy builds its own release, or the environment names an
    /// image built elsewhere.
    None,
    /// `cargo xtask docker-build --push` on a hosted runner, to this registry host; every
    /// node of the swarm pulls it from there.
    Push {
        /// The registry host (`ghcr.io`, `registry.example.com:5000`).
        registry: String,
    },
    /// `cargo xtask docker-build` on the manager itself, before the deploy: an image that
    /// names no registry exists only where it was built (a one-node swarm).
    OnManager,
}
