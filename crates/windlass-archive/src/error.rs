//! The error an archive refused with: what is wrong and how to fix it, shown as windlass
//! shows every such error (`message`, then `help: hint`).

use std::fmt;

/// An archive, a checksum or a signature refused: what, and the way to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveError {
    /// What is wrong, naming the file at fault.
    pub message: String,
    /// The command or edit that fixes it.
    pub hint: Option<String>,
}

impl ArchiveError {
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

impl fmt::Display for ArchiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  help: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ArchiveError {}
