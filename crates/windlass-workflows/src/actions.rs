//! The third-party actions the workflows use, pinned by full commit SHA (a tag can be moved;
//! a commit cannot), with the version in a comment for people and Dependabot.

/// A pinned action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    /// `owner/repo`.
    pub repo: &'static str,
    /// The full commit SHA.
    pub sha: &'static str,
    /// The release that commit is.
    pub version: &'static str,
}

impl Action {
    /// `owner/repo@sha # version`, as a `uses:` value with its comment.
    pub fn uses(&self) -> String {
        format!("{}@{} # {}", self.repo, self.sha, self.version)
    }
}

/// actions/checkout.
pub const CHECKOUT: Action = Action {
    repo: "actions/checkout",
    sha: "11bd71901bbe5b1630ceea73d27597364c9af683",
    version: "v4.2.2",
};

/// actions/cache.
pub const CACHE: Action = Action {
    repo: "actions/cache",
    sha: "5a3ec84eff668545956fd18022155c47e93e2684",
    version: "v4.2.3",
};

/// actions/cache's restore half: the jobs restore first and save (pruned) only on pushes
/// to the default branch, so that a pull request never writes a cache another run reads.
pub const CACHE_RESTORE: Action = Action {
    repo: "actions/cache/restore",
    ..CACHE
};

/// actions/cache's save half.
pub const CACHE_SAVE: Action = Action {
    repo: "actions/cache/save",
    ..CACHE
};

/// actions/download-artifact: the xtask built once per run, fetched by every other job.
pub const DOWNLOAD_ARTIFACT: Action = Action {
    repo: "actions/download-artifact",
    sha: "d3f86a106a0bac45b974a628896c90dbdf5c8093",
    version: "v4.3.0",
};

/// actions/upload-artifact.
pub const UPLOAD_ARTIFACT: Action = Action {
    repo: "actions/upload-artifact",
    sha: "ea165f8d65b6e75b540449e92b4886f43607fa02",
    version: "v4.6.2",
};

/// actions/attest-build-provenance: GitHub's signed SLSA provenance of the release archives.
pub const ATTEST_BUILD_PROVENANCE: Action = Action {
    repo: "actions/attest-build-provenance",
    sha: "a2bbfa25375fe432b6a289bc6b6cd05ecd0c4c32",
    version: "v4.1.0",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pin_is_a_full_sha() {
        for action in [
            CHECKOUT,
            CACHE,
            CACHE_RESTORE,
            CACHE_SAVE,
            DOWNLOAD_ARTIFACT,
            UPLOAD_ARTIFACT,
            ATTEST_BUILD_PROVENANCE,
        ] {
            assert_eq!(action.sha.len(), 40, "{}", action.repo);
            assert!(
                action.sha.bytes().all(|b| b.is_ascii_hexdigit()),
                "{}",
                action.repo
            );
        }
    }
}
