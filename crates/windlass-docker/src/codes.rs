//! The diagnostic codes of the Dockerfile lint.

windlass_core::declare_codes! {
    owner: "windlass-docker";
    codes {}
    families {
        /// A Dockerfile rule by its id: hadolint's (`DL3006`) where it has one, windlass's
        /// own otherwise.
        DOCKERFILE_RULE = "<dockerfile rule>";
    }
}
