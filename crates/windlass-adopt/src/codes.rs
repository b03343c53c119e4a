//! The diagnostic codes of `doctor`.

windlass_core::declare_codes! {
    owner: "windlass-adopt";
    codes {
        /// The readiness score (a notice).
        READINESS = "readiness";
    }
    families {
        /// A rubric check not met, by its id (`sec.audit-in-ci`).
        DOCTOR_RULE = "<doctor rule>";
    }
}
