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

/// What kind of thing stopped a run: the key of its JSON form, and of its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorKind {
    /// Bad usage: an option, an argument, a name that is not one.
    #[default]
    Usage,
    /// The config: a key, a value, a section (with its file, line and column).
    Config,
    /// A tool that is not installed (with the command that installs it).
    ToolMissing,
    /// A file that cannot be read or written.
    Io,
    /// Refused on purpose: a check before acting said no (a dirty tree, a lock held).
    Refused,
}

impl ErrorKind {
    /// Its name in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Usage => "usage",
            ErrorKind::Config => "config",
            ErrorKind::ToolMissing => "tool-missing",
            ErrorKind::Io => "io",
            ErrorKind::Refused => "refused",
        }
    }
}

/// Where in a file an error is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file.
    pub file: std::path::PathBuf,
    /// Its line, 1-based.
    pub line: Option<u32>,
    /// Its column, 1-based.
    pub column: Option<u32>,
}

/// An error the user can fix: what is wrong, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError {
    /// What is wrong, naming the file or the value at fault.
    pub message: String,
    /// The command or edit that fixes it.
    pub hint: Option<String>,
    /// What kind of error it is.
    pub kind: ErrorKind,
    /// Where, when it is in a file (the config).
    pub location: Option<Location>,
}

impl UsageError {
    /// An error with a message and no hint.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
            kind: ErrorKind::Usage,
            location: None,
        }
    }

    /// Bad usage: an option, an argument, a name that is not one.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(message)
    }

    /// A file that cannot be read or written, naming it.
    pub fn io(message: impl Into<String>) -> Self {
        Self::new(message).kind(ErrorKind::Io)
    }

    /// Refused on purpose by a check before acting (a lock held, a link, a dirty tree).
    pub fn refused(message: impl Into<String>) -> Self {
        Self::new(message).kind(ErrorKind::Refused)
    }

    /// A tool that is not installed; the hint says how to install it.
    pub fn tool_missing(message: impl Into<String>) -> Self {
        Self::new(message).kind(ErrorKind::ToolMissing)
    }

    /// A config key, value or section at fault.
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(message).kind(ErrorKind::Config)
    }

    /// Adds the way to fix it.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Says what kind of error it is.
    pub fn kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
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

/// The exit code for an error that ended a run: the one place kinds map to codes. An
/// interrupt anywhere in the chain is 130; everything else that stopped a run — bad usage,
/// config, a missing tool, unreadable input, a refusal, an error of windlass's own — is 2.
pub fn exit_code_for(err: &anyhow::Error) -> u8 {
    if err.chain().any(|cause| cause.is::<Interrupted>()) {
        EXIT_INTERRUPTED
    } else {
        EXIT_USAGE
    }
}

/// An error as the JSON report carries it: `{kind, message, hint, file, line, column}`
/// (docs/json-report.md). `kind` is `interrupted` for an interrupt anywhere in the chain, the
/// [`UsageError`]'s own kind when there is one (every crate's errors are made as one, so the
/// kind is right by construction), else `internal`. The message is the chain of contexts
/// with the error's own message, its hint in its own field.
pub fn to_json(err: &anyhow::Error) -> serde_json::Value {
    if err.chain().any(|cause| cause.is::<Interrupted>()) {
        return serde_json::json!({"kind": "interrupted", "message": format!("{err:#}"), "hint": null, "file": null, "line": null, "column": null});
    }
    let usage = err
        .chain()
        .find_map(|cause| cause.downcast_ref::<UsageError>());
    let (kind, hint, location) = match usage {
        Some(u) => (u.kind.as_str(), u.hint.clone(), u.location.clone()),
        None => ("internal", None, None),
    };
    let message = err
        .chain()
        .map(|cause| match cause.downcast_ref::<UsageError>() {
            Some(u) => u.message.clone(),
            None => cause.to_string(),
        })
        .collect::<Vec<_>>()
        .join(": ");
    serde_json::json!({
        "kind": kind,
        "message": message,
        "hint": hint,
        "file": location.as_ref().map(|l| l.file.to_string_lossy().into_owned()),
        "line": location.as_ref().and_then(|l| l.line),
        "column": location.as_ref().and_then(|l| l.column),
    })
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
