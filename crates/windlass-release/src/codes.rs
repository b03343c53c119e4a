//! The diagnostic codes of `release`: the plan and what refuses a release.

windlass_core::declare_codes! {
    owner: "windlass-release";
    codes {
        /// The release that would be made (a notice).
        RELEASE_PLAN = "release-plan";
        /// `--push` without an upstream or `origin`.
        NO_REMOTE = "no-remote";
        /// An unfinished release's journal is present.
        RELEASE_IN_PROGRESS = "release-in-progress";
        /// Uncommitted changes to tracked files.
        DIRTY_TREE = "dirty-tree";
        /// HEAD is not on a branch.
        DETACHED_HEAD = "detached-head";
        /// The branch is not one releases are made from.
        BRANCH = "branch";
        /// The branch is behind its upstream.
        BEHIND_UPSTREAM = "behind-upstream";
        /// The tag already exists on the remote.
        TAG_EXISTS_ON_REMOTE = "tag-exists-on-remote";
        /// The remote cannot be asked about its tags.
        REMOTE_UNREACHABLE = "remote-unreachable";
        /// The tag already exists here.
        TAG_EXISTS = "tag-exists";
        /// The new version is not greater than the current one.
        VERSION_NOT_GREATER = "version-not-greater";
        /// The API changed more than the version bump says.
        SEMVER = "semver";
    }
    families {
        /// A cargo-semver-checks lint by its id (`function_missing`).
        SEMVER_LINT = "<semver lint>";
    }
}
