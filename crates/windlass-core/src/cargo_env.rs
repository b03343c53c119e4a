//! What cargo's environment says, resolved in one place: where cargo keeps its home, and the
//! reproducible-build clock. (The target directory comes from `cargo metadata`, which honours
//! `CARGO_TARGET_DIR` and `build.target-dir` alike: [`crate::Workspace::target_dir`].)

use crate::error::UsageError;
use std::path::PathBuf;

/// `$CARGO_HOME`, else `~/.cargo`: where cargo installs tools, and where cargo-audit and
/// windlass keep the advisory database.
pub fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
}

/// `SOURCE_DATE_EPOCH` (the reproducible-builds convention), when set. A value that is not a
/// number of seconds is an error that names it, not a silent fallback to the clock.
pub fn source_date_epoch() -> Result<Option<u64>, UsageError> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Err(_) => Ok(None),
        Ok(text) if text.trim().is_empty() => Ok(None),
        Ok(text) => text.trim().parse().map(Some).map_err(|_| {
            UsageError::new(format!(
                "SOURCE_DATE_EPOCH=`{text}` is not a number of seconds since 1970"
            ))
            .hint("unset it, or set it to e.g. `git log -1 --format=%ct`")
        }),
    }
}
