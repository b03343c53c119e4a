//! The diagnostic codes of the workflow check.

windlass_core::declare_codes! {
    owner: "windlass-workflows";
    codes {
        /// A workflow file differs from what windlass generates.
        WORKFLOW_DRIFT = "workflow-drift";
    }
    families {}
}
