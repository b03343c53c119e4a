//! The diagnostic codes of the secret scan.

windlass_core::declare_codes! {
    owner: "windlass-secrets";
    codes {}
    families {
        /// A secret by the id of the rule that found it (`aws-access-key-id`).
        RULE = "<secret rule>";
    }
}
