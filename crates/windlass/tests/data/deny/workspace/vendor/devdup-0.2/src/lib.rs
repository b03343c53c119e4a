//! vendor/devdup-0.2
