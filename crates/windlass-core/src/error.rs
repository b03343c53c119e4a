//! Exit codes, and the errors that explain themselves to the user.
//!
//! A check that finds problems is not an error: it is a failed outcome (exit 1). Errors are
//! for everything that stopped us from checking at all — bad usage, bad config, an unreadable
//! manifest, a missing tool (exit 2) — or an interrupt (exit 130).

use std::fmt;

/// Every step passed.
pub const EXIT_OK: u8 = 0;
/// A check ran and found problems.
pub const EXIT_FAILED: u8 = 1;
/// Bad usage, bad config, unreadable input or a missing tool.
pub const EXIT_USAGE: u8 = 2;
/// Interrupted by Ctrl-C or SIGTERM.
pub const EXIT_INTERRUPTED: u8 = 130;

/// An error the user can fix: what is wrong, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError {
    /// What is wrong, naming the file or the value at fault.
    pub message: String,
    /// The command or edit that fixes it.
    pub hint: Option<String>,
}

impl UsageError {
    /// An error with a message and no hint.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
        }
    }

    /// Adds the way to fix it.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  help: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for UsageError {}

/// The run was interrupted; child processes have been asked to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted;

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

/// The exit code for an error that ended a run.
pub fn exit_code_for(err: &anyhow::Error) -> u8 {
    if err.chain().any(|cause| cause.is::<Interrupted>()) {
        EXIT_INTERRUPTED
    } else {
        EXIT_USAGE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interrupt_anywhere_in_the_chain_exits_130() {
        let err = anyhow::Error::new(Interrupted).context("running clippy");
        assert_eq!(exit_code_for(&err), EXIT_INTERRUPTED);
    }

    #[test]
    fn other_errors_exit_2_and_show_their_hint() {
        let err =
            anyhow::Error::new(UsageError::new("no clippy").hint("rustup component add clippy"));
        assert_eq!(exit_code_for(&err), EXIT_USAGE);
        assert_eq!(
            err.to_string(),
            "no clippy\n  help: rustup component add clippy"
        );
    }
}
