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

static OFFLINE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `--offline`/`--frozen` was given: nothing of windlass's reaches the network.
pub fn set_offline() {
    OFFLINE.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Whether cargo has been told to stay offline (`CARGO_NET_OFFLINE`, or `--offline`).
pub fn offline() -> bool {
    OFFLINE.load(std::sync::atomic::Ordering::Relaxed)
        || std::env::var("CARGO_NET_OFFLINE").is_ok_and(|v| v == "true" || v == "1")
}

/// Whether `name` can be a rustup toolchain (`nightly`, `1.88.0`, `nightly-2025-01-01`,
/// `stable-x86_64-unknown-linux-gnu`, a linked custom one): what `cargo +NAME` accepts, and
/// nothing a shell or cargo could take for something else.
pub fn is_toolchain_name(name: &str) -> bool {
    // rustup's grammar: `<channel>[-<date>][-<host>]` (a channel is `stable`, `beta`,
    // `nightly` or a version), or a custom name given to `rustup toolchain link`. Each part
    // between dashes starts with a letter or digit: `..`, `.`, `-x` and `a--b` are none.
    !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        && name
            .split('-')
            .all(|part| part.starts_with(|c: char| c.is_ascii_alphanumeric()))
        && !name.contains("..")
}

/// A toolchain named in the config, checked when the config loads: `toolchain = "nightly"`
/// runs `cargo +nightly ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toolchain(String);

impl Toolchain {
    /// Its name.
    pub fn name(&self) -> &str {
        &self.0
    }

    /// The `+NAME` argument that selects it, first after `cargo` (or `rustfmt`).
    pub fn arg(&self) -> String {
        format!("+{}", self.0)
    }
}

impl std::str::FromStr for Toolchain {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let name = name.strip_prefix('+').unwrap_or(name);
        if is_toolchain_name(name) {
            Ok(Self(name.to_string()))
        } else {
            Err(format!(
                "`{name}` is not a toolchain name (e.g. \"nightly\", \"1.88.0\", \"nightly-2025-01-01\")"
            ))
        }
    }
}

impl<'de> serde::Deserialize<'de> for Toolchain {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod toolchain_tests {
    use super::*;

    #[test]
    fn toolchain_names_are_plain() {
        for ok in [
            "nightly",
            "+nightly",
            "1.88.0",
            "nightly-2025-01-01",
            "stable-x86_64-unknown-linux-gnu",
        ] {
            assert!(ok.parse::<Toolchain>().is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-x",
            "night ly",
            "a;b",
            "$(x)",
            &"n".repeat(101),
            "..",
            ".",
            "nightly-",
            "a--b",
            "1..2",
            ".hidden",
        ] {
            assert!(bad.parse::<Toolchain>().is_err(), "{bad}");
        }
        assert_eq!("+beta".parse::<Toolchain>().unwrap().arg(), "+beta");
    }
}
