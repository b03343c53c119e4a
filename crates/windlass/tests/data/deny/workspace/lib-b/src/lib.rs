//! lib-b
