//! vendor/devdup-0.1
