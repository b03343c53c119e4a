//! What a file operation refused or failed with: the path, the problem, and how to fix it.

use std::fmt;
use std::path::PathBuf;

/// Why an operation did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// A component of the path (or the file itself) is a symbolic link: windlass never writes,
    /// deletes or reads through one.
    Link,
    /// The path leaves its root (absolute, or `..` above it).
    Outside,
    /// A component that must be a directory is a file.
    NotADirectory,
    /// What must be a regular file is a directory, a device, a socket or a pipe.
    NotAFile,
    /// Larger than the caller's bound.
    TooLarge,
    /// Nothing is there.
    NotFound,
    /// A tree deeper than windlass walks.
    TooDeep,
    /// The operating system said no (permissions, a full disk, ...).
    Io,
}

/// A refused or failed operation on `path`.
#[derive(Debug)]
pub struct FsError {
    /// The path, as the caller named it (root joined with the relative path).
    pub path: PathBuf,
    /// What went wrong.
    pub problem: Problem,
    /// The system's own error, when there was one.
    pub source: Option<std::io::Error>,
    /// A bound that was passed ([`Problem::TooLarge`]).
    pub limit: Option<u64>,
}

impl FsError {
    pub(crate) fn new(path: impl Into<PathBuf>, problem: Problem) -> Self {
        Self {
            path: path.into(),
            problem,
            source: None,
            limit: None,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, err: std::io::Error) -> Self {
        let problem = match err.kind() {
            std::io::ErrorKind::NotFound => Problem::NotFound,
            _ => Problem::Io,
        };
        Self {
            path: path.into(),
            problem,
            source: Some(err),
            limit: None,
        }
    }

    /// Whether it is a refusal on purpose (a link, a path outside), not a failure.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self.problem,
            Problem::Link
                | Problem::Outside
                | Problem::NotAFile
                | Problem::TooLarge
                | Problem::TooDeep
        )
    }

    /// The way to fix it, for the user.
    pub fn hint(&self) -> Option<String> {
        let path = self.path.display();
        match self.problem {
            Problem::Link => Some(format!(
                "windlass never writes, deletes or reads through a symbolic link: replace {path} with a real directory or file (or point windlass at the place the link names)"
            )),
            Problem::Outside => Some("name a path inside the directory, without `..`".into()),
            Problem::NotADirectory => Some(format!(
                "{path} is a file where a directory is needed: move it aside, then run again"
            )),
            Problem::NotAFile => Some(format!(
                "{path} must be a regular file: move what is there aside, then run again"
            )),
            Problem::TooLarge | Problem::TooDeep | Problem::NotFound | Problem::Io => None,
        }
    }
}

impl fmt::Display for FsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match self.problem {
            Problem::Link => write!(f, "{path} is a symbolic link (or passes through one)"),
            Problem::Outside => write!(f, "{path} leaves the directory windlass works in"),
            Problem::NotADirectory => write!(f, "{path} is not a directory"),
            Problem::NotAFile => write!(f, "{path} is not a regular file"),
            Problem::TooLarge => match self.limit {
                Some(limit) => write!(
                    f,
                    "{path} is larger than {limit} bytes, the most windlass reads of it"
                ),
                None => write!(f, "{path} is too large"),
            },
            Problem::TooDeep => write!(f, "{path} nests directories deeper than windlass walks"),
            Problem::NotFound => match &self.source {
                Some(e) => write!(f, "{path}: {e}"),
                None => write!(f, "{path} does not exist"),
            },
            Problem::Io => match &self.source {
                Some(e) => write!(f, "{path}: {e}"),
                None => write!(f, "{path}: input/output error"),
            },
        }
    }
}

impl std::error::Error for FsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// The result of every operation of this crate.
pub type Result<T> = std::result::Result<T, FsError>;
