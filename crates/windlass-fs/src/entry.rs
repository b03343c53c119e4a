//! What the file system door says of an entry, and asks of a written file: the same on
//! every platform, whichever implementation of [`crate::Root`] is built.

use std::ffi::OsString;

/// What an entry is, seen without following it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (never followed).
    Link,
    /// A device, socket or pipe.
    Other,
}

/// One entry of a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its name.
    pub name: OsString,
    /// What it is.
    pub kind: Kind,
}

/// The mode a written file gets (where the platform has Unix modes; elsewhere its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Perm {
    /// The replaced file's mode and owner (a 0600 config holding a token stays 0600); a new
    /// file gets the default (0666 less the umask).
    #[default]
    Keep,
    /// Executable: a new file 0755; a replaced file keeps its mode with the execute bits
    /// added where it can be read.
    Executable,
}
