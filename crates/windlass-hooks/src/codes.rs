//! The diagnostic codes of the pre-commit hook's own checks of staged files.

windlass_core::declare_codes! {
    owner: "windlass-hooks";
    codes {
        /// A staged file over `max-file-size`.
        LARGE_FILE = "large-file";
        /// A staged file that holds secrets by its nature (`.env`, a private key).
        SECRET_FILE = "secret-file";
        /// A staged line that is an unresolved merge conflict marker.
        CONFLICT_MARKER = "conflict-marker";
    }
    families {}
}
