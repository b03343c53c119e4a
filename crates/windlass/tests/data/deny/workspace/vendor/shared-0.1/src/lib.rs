//! vendor/shared-0.1
