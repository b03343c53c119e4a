//! The diagnostic codes the core reports itself: waivers, for every step that has them.

crate::declare_codes! {
    owner: "windlass-core";
    codes {
        /// A waiver past its date: it waives nothing; fix the finding or renew the waiver.
        EXPIRED_WAIVER = "expired-waiver";
        /// A waiver that matches no finding (an error with `strict`).
        STALE_WAIVER = "stale-waiver";
        /// A waiver that expires within 14 days.
        WAIVER_EXPIRES_SOON = "waiver-expires-soon";
    }
    families {}
}
