//! The diagnostic codes of `audit`: advisories, yanked crates, licences and the policy.

windlass_core::declare_codes! {
    owner: "windlass-audit";
    codes {
        /// An ignored advisory that no longer matches a dependency or is unknown.
        STALE_IGNORE = "stale-ignore";
        /// A locked version its registry has yanked.
        YANKED = "yanked";
        /// A licence the policy does not allow.
        LICENCE_NOT_ALLOWED = "licence-not-allowed";
        /// A crate with only a licence file, no SPDX expression.
        LICENCE_UNKNOWN = "licence-unknown";
        /// A crate that declares no licence.
        LICENCE_MISSING = "licence-missing";
        /// A licence expression that is not valid SPDX.
        LICENCE_INVALID = "licence-invalid";
    }
    families {
        /// An advisory by its id (`RUSTSEC-2024-0001`): a vulnerability, an unmaintained or
        /// unsound crate.
        ADVISORY = "<advisory id>";
        /// A `[bans]`/`[sources]` finding by its waiver id: `ban:NAME`, `not-allowed:NAME`,
        /// `duplicate:NAME`, `wildcard:NAME`, `source:URL`, `stale-skip:SPEC`.
        POLICY = "<policy id>";
    }
}
