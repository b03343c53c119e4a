//! vendor/banned
