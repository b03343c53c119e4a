//! wrapper-a
