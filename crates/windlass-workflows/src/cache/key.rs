//! The build cache's key: what decides whether a cached target directory is worth restoring.
//!
//! A cache is per job kind (`lint` and `test` build different artifacts), per compiler (a
//! target directory built by another rustc is rebuilt whole, so the compiler is in the
//! prefix that restore falls back to), and per dependency set: the lockfile, the manifests and
//! the cargo config that changes flags. A source file is deliberately not in it — the
//! workspace's own artifacts are pruned before saving, so an edit never makes a new cache.

use anyhow::Result;
use sha2::{Digest, Sha256};
use std::path::Path;
use windlass_core::{Session, UsageError, Workspace};

/// A cache key, and the prefix a restore falls back to (same kind, same compiler).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheKey {
    /// `lint-1.91.0-3f2a9c1e-` (kind, rustc release, hash of `rustc -vV`).
    pub prefix: String,
    /// The prefix and a hash of the dependency set.
    pub key: String,
}

/// The longest job kind a key takes (a key is at most 512 characters on GitHub).
const MAX_KIND: usize = 64;

/// Refuses a kind that is not a plain job name: it becomes part of a key and a script.
pub fn check_kind(kind: &str) -> Result<()> {
    let plain = !kind.is_empty()
        && kind.len() <= MAX_KIND
        && kind
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    if plain {
        return Ok(());
    }
    Err(UsageError::new(format!(
        "`{}` is not a job kind: letters, digits, `-` and `_`, at most {MAX_KIND}",
        kind.escape_debug()
    ))
    .hint("pass the job's name, e.g. `cargo xtask cache-key lint`")
    .into())
}

/// The files besides the manifests whose change makes cached artifacts stale.
const KEYED_FILES: [&str; 5] = [
    "Cargo.lock",
    "rust-toolchain.toml",
    "rust-toolchain",
    ".cargo/config.toml",
    ".cargo/config",
];

/// The key of the `kind` job's cache in `ws`, with the compiler rustup picks there.
pub fn compute(ws: &Workspace, session: &mut Session, kind: &str) -> Result<CacheKey> {
    check_kind(kind)?;
    let sh = session.shell();
    let rustc = session.run_quiet(sh.cmd("rustc").arg("-vV"))?;
    if !rustc.success() {
        return Err(UsageError::new(format!(
            "`rustc -vV` failed: no compiler to key the cache by ({})",
            rustc
                .stderr
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("no output")
                .trim()
        ))
        .hint("install the toolchain the repository uses (`rustup show` names it)")
        .into());
    }
    let mut manifests: Vec<String> = ws
        .members(session)?
        .iter()
        .map(|p| relative(&ws.root, p.manifest_path.as_std_path()))
        .collect();
    manifests.push("Cargo.toml".into());
    manifests.sort();
    manifests.dedup();
    Ok(from_parts(kind, &rustc.stdout, &ws.root, &manifests))
}

/// The key from its inputs: the compiler's `-vV`, and the files under `root`.
pub fn from_parts(kind: &str, rustc_verbose: &str, root: &Path, manifests: &[String]) -> CacheKey {
    let release = rustc_verbose
        .lines()
        .find_map(|l| l.strip_prefix("release: "))
        .unwrap_or("unknown")
        .trim();
    let release: String = release
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
        .collect();
    let compiler = hex(&Sha256::digest(rustc_verbose.as_bytes()))[..8].to_string();
    let mut deps = Sha256::new();
    for file in KEYED_FILES
        .iter()
        .map(|f| f.to_string())
        .chain(manifests.iter().cloned())
    {
        deps.update(file.as_bytes());
        deps.update([0]);
        match std::fs::read(root.join(&file)) {
            Ok(bytes) => {
                deps.update((bytes.len() as u64).to_le_bytes());
                deps.update(&bytes);
            }
            Err(_) => deps.update(b"absent"),
        }
    }
    let prefix = format!("{kind}-{release}-{compiler}-");
    let key = format!("{prefix}{}", &hex(&deps.finalize())[..16]);
    CacheKey { prefix, key }
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUSTC: &str = "rustc 1.91.0 (f8297e351 2025-10-28)\nbinary: rustc\nrelease: 1.91.0\nhost: x86_64-unknown-linux-gnu\n";

    #[test]
    fn kinds_are_plain_names() {
        assert!(check_kind("lint").is_ok());
        assert!(check_kind("test_2").is_ok());
        for bad in ["", "a b", "x,y", "$(id)", &"k".repeat(65)] {
            assert!(check_kind(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_prefix_names_the_kind_and_compiler() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = from_parts("lint", RUSTC, dir.path(), &[]);
        assert!(key.prefix.starts_with("lint-1.91.0-"), "{key:?}");
        assert!(key.key.starts_with(&key.prefix));
        assert_eq!(key.key.len(), key.prefix.len() + 16);
    }
}
