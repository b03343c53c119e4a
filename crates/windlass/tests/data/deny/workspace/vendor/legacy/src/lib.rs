//! vendor/legacy
