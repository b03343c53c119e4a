//! vendor/shared-0.2
