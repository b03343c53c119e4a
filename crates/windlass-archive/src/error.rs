//! The errors an archive, a checksum or a signature refuses with: windlass's own
//! ([`windlass_core::UsageError`]), of the kind `refused` — the JSON report and the exit code
//! are right by construction, with no type of this crate's to recognise.

use windlass_core::UsageError;
use windlass_core::error::ErrorKind;

/// An archive, a checksum or a signature refused: what, naming the file at fault.
pub fn refused(message: impl Into<String>) -> UsageError {
    UsageError::new(message).kind(ErrorKind::Refused)
}

/// A file of the format that cannot be read or written.
pub fn io(message: impl Into<String>) -> UsageError {
    UsageError::new(message).kind(ErrorKind::Io)
}
