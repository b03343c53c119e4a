//! The diagnostic codes of the checks: fmt, lint, test, coverage and command steps.

windlass_core::declare_codes! {
    owner: "windlass-checks";
    codes {
        /// A file rustfmt would change (in a hook: a staged file).
        NOT_FORMATTED = "not-formatted";
        /// rustfmt could not parse a file.
        RUSTFMT_ERROR = "rustfmt-error";
        /// A step's command (a `[[workspace.metadata.windlass.steps]]` entry) exited non-zero.
        COMMAND_FAILED = "command-failed";
        /// One of the files with the lowest line coverage (a notice).
        LEAST_COVERED = "least-covered";
    }
    families {
        /// A rustc or clippy diagnostic by its code (`clippy::needless_return`, `E0308`), or
        /// `warning`/`error` when it has none.
        LINT = "<lint>";
        /// A failing test, by its path (`tests::adds`).
        TEST_FAILED = "<test>";
    }
}
