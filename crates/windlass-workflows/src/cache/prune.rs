//! Pruning a build cache before it is saved, as the well-known cache action does: what the
//! next run rebuilds anyway goes — the workspace's own artifacts (they change with every
//! commit), incremental data (`CARGO_INCREMENTAL=0` in CI, and useless across commits),
//! examples, docs, packages, test archives — and what no current dependency uses: artifacts
//! of crates the lockfile no longer names, and downloaded `.crate` files of versions it no
//! longer pins. What stays is the compiled dependencies, which is what a warm build reuses.
//!
//! A directory is pruned only when it is a cargo target directory (its `CACHEDIR.TAG` or
//! `.rustc_info.json`): `--target-dir /` is refused, not walked. Symbolic links are removed
//! as links, never followed.

use anyhow::Result;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use windlass_core::UsageError;

/// What pruning changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Bytes before.
    pub before: u64,
    /// Bytes after.
    pub after: u64,
    /// Entries removed.
    pub removed: usize,
}

/// The crates pruning keeps or drops, by name as cargo writes them into file names (`-` as
/// `_`).
#[derive(Debug, Clone, Default)]
pub struct Crates {
    /// The workspace's own packages: their artifacts are rebuilt by every run.
    pub members: BTreeSet<String>,
    /// Every package the lockfile names (dependencies and members).
    pub locked: BTreeSet<String>,
    /// `name-version` of each registry package the lockfile pins.
    pub pinned: BTreeSet<String>,
}

impl Crates {
    /// From the lockfile's text and the members' names.
    pub fn new<'a>(lockfile: &str, members: impl IntoIterator<Item = &'a str>) -> Result<Self> {
        let doc: toml::Table = lockfile
            .parse()
            .map_err(|e| UsageError::new(format!("Cargo.lock is not TOML: {e}")))?;
        let mut crates = Crates {
            members: members.into_iter().map(normalized).collect(),
            ..Crates::default()
        };
        for package in doc
            .get("package")
            .and_then(toml::Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = package.get("name").and_then(toml::Value::as_str);
            let version = package.get("version").and_then(toml::Value::as_str);
            let Some(name) = name else { continue };
            crates.locked.insert(normalized(name));
            let from_registry = package
                .get("source")
                .and_then(toml::Value::as_str)
                .is_some_and(|s| s.starts_with("registry+") || s.starts_with("sparse+"));
            if let (true, Some(version)) = (from_registry, version) {
                crates.pinned.insert(format!("{name}-{version}"));
            }
        }
        Ok(crates)
    }

    /// Whether an artifact whose name (before `-<hash>`) is `name` is worth keeping.
    fn keeps(&self, name: &str) -> bool {
        let name = normalized(name);
        let mut candidates = vec![name.as_str()];
        // `libfoo-<hash>.rlib` is crate `foo`, but `libc-<hash>.d` is crate `libc`.
        if let Some(stripped) = name.strip_prefix("lib") {
            candidates.push(stripped);
        }
        let member = candidates.iter().any(|c| self.members.contains(*c));
        let known = candidates.iter().any(|c| self.locked.contains(*c));
        known && !member
    }
}

fn normalized(name: &str) -> String {
    name.replace('-', "_")
}

/// Refuses a directory that is not a cargo target directory.
pub fn check_target_dir(dir: &Path) -> Result<()> {
    let meta = std::fs::symlink_metadata(dir);
    let is_dir = meta.as_ref().is_ok_and(std::fs::Metadata::is_dir);
    let cargo_made = dir.join("CACHEDIR.TAG").is_file() || dir.join(".rustc_info.json").is_file();
    if is_dir && cargo_made {
        return Ok(());
    }
    let why = if meta.is_err() {
        "does not exist"
    } else if !is_dir {
        "is not a directory (a link is not followed)"
    } else {
        "is not a cargo target directory (no CACHEDIR.TAG, no .rustc_info.json)"
    };
    Err(
        UsageError::new(format!("{} {why}: nothing pruned", dir.display()))
            .hint("pass the target directory cargo builds into (`--target-dir target`)")
            .into(),
    )
}

/// Prunes the target directory `dir`.
pub fn target(dir: &Path, crates: &Crates) -> Result<Pruned> {
    check_target_dir(dir)?;
    let before = size(dir);
    let mut removed = 0;
    for entry in read_dir(dir)? {
        let name = file_name(&entry);
        if name == "CACHEDIR.TAG" || name == ".rustc_info.json" {
            continue;
        }
        if is_profile(&entry) {
            removed += profile(&entry, crates)?;
        } else if is_triple(&entry) {
            for inner in read_dir(&entry)? {
                if is_profile(&inner) {
                    removed += profile(&inner, crates)?;
                } else {
                    remove(&inner)?;
                    removed += 1;
                }
            }
        } else {
            // doc, package, nextest, tmp, a tool's own directory: rebuilt when needed.
            remove(&entry)?;
            removed += 1;
        }
    }
    Ok(Pruned {
        before,
        after: size(dir),
        removed,
    })
}

/// Prunes the downloaded `.crate` files of `cargo_home` to the versions the lockfile pins.
pub fn registry(cargo_home: &Path, crates: &Crates) -> Result<Pruned> {
    let cache = cargo_home.join("registry").join("cache");
    let before = size(&cache);
    let mut removed = 0;
    if cache.is_dir() {
        for index in read_dir(&cache)? {
            if !index.is_dir() {
                continue;
            }
            for file in read_dir(&index)? {
                let name = file_name(&file);
                let pinned = name
                    .strip_suffix(".crate")
                    .is_some_and(|stem| crates.pinned.contains(stem));
                if !pinned {
                    remove(&file)?;
                    removed += 1;
                }
            }
        }
    }
    Ok(Pruned {
        before,
        after: size(&cache),
        removed,
    })
}

/// A profile's directory (`debug`, `release`, a custom profile): it has `.fingerprint`.
fn is_profile(dir: &Path) -> bool {
    is_real_dir(dir) && dir.join(".fingerprint").is_dir()
}

/// A `--target` triple's directory, holding profiles.
fn is_triple(dir: &Path) -> bool {
    is_real_dir(dir)
        && read_dir(dir)
            .map(|entries| entries.iter().any(|e| is_profile(e)))
            .unwrap_or(false)
}

fn profile(dir: &Path, crates: &Crates) -> Result<usize> {
    let mut removed = 0;
    for entry in read_dir(dir)? {
        let name = file_name(&entry);
        match name.as_str() {
            ".fingerprint" | "build" | "deps" => {
                for artifact in read_dir(&entry)? {
                    let stale =
                        artifact_crate(&file_name(&artifact)).is_some_and(|c| !crates.keeps(c));
                    if stale {
                        remove(&artifact)?;
                        removed += 1;
                    }
                }
            }
            // Cargo's lock of the directory: a build running now holds it.
            ".cargo-lock" => {}
            // incremental, examples, the members' binaries and their `.d` files.
            _ => {
                remove(&entry)?;
                removed += 1;
            }
        }
    }
    Ok(removed)
}

/// The crate an artifact belongs to: `serde_json` of `libserde_json-0123456789abcdef.rlib`,
/// of `serde_json-0123456789abcdef.d` and of the `.fingerprint` directory of that name.
/// `None` for a name not of that shape, which is left alone.
pub fn artifact_crate(file_name: &str) -> Option<&str> {
    let (name, rest) = file_name.rsplit_once('-')?;
    let hash = rest.split('.').next().unwrap_or(rest);
    let is_hash = hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit());
    (is_hash && !name.is_empty()).then_some(name)
}

fn is_real_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| UsageError::new(format!("cannot read {}: {e}", dir.display())))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    Ok(paths)
}

/// Removes a file, a link (not what it points to) or a directory tree.
fn remove(path: &Path) -> Result<()> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(_) => return Ok(()),
    };
    let result = if meta.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    };
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(UsageError::new(format!("cannot remove {}: {e}", path.display())).into()),
    }
}

/// The bytes under `path`, links counted as links.
pub fn size(path: &Path) -> u64 {
    walkdir::WalkDir::new(path)
        .into_iter()
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .filter(|m| !m.is_dir())
        .map(|m| m.len())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifacts_name_their_crate() {
        assert_eq!(
            artifact_crate("libserde_json-0123456789abcdef.rlib"),
            Some("libserde_json")
        );
        assert_eq!(
            artifact_crate("serde_json-0123456789abcdef.d"),
            Some("serde_json")
        );
        assert_eq!(artifact_crate("my-app-0123456789abcdef"), Some("my-app"));
        assert_eq!(artifact_crate("my-app"), None);
        assert_eq!(artifact_crate("-0123456789abcdef"), None);
        assert_eq!(artifact_crate("x-0123456789abcdeg"), None);
    }

    proptest::proptest! {
        /// Any file name parses or is left alone, never a panic; a crate name it yields is a
        /// prefix of the name.
        #[test]
        fn any_file_name_is_read_without_panic(name in "\\PC{0,80}") {
            if let Some(krate) = artifact_crate(&name) {
                proptest::prop_assert!(name.starts_with(krate));
            }
        }

        /// Any lockfile text is read or refused, never a panic.
        #[test]
        fn any_lockfile_is_read_or_refused(text in "\\PC{0,300}") {
            let _ = Crates::new(&text, ["a"]);
        }
    }

    #[test]
    fn keeps_dependencies_and_drops_members_and_strangers() {
        let lock = "version = 4\n[[package]]\nname = \"libc\"\nversion = \"0.2.1\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n[[package]]\nname = \"serde-json\"\nversion = \"1.0.0\"\nsource = \"sparse+https://index.crates.io/\"\n[[package]]\nname = \"my-app\"\nversion = \"0.1.0\"\n";
        let crates = Crates::new(lock, ["my-app"]).expect("lockfile");
        assert!(crates.keeps("libc"));
        assert!(crates.keeps("liblibc"));
        assert!(crates.keeps("libserde_json"));
        assert!(!crates.keeps("libmy_app"));
        assert!(!crates.keeps("my-app"));
        assert!(!crates.keeps("removed_dependency"));
        assert!(crates.pinned.contains("libc-0.2.1"));
        assert!(!crates.pinned.contains("my-app-0.1.0"));
    }

    #[test]
    fn refuses_what_is_not_a_target_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("precious"), "x").expect("write");
        assert!(target(dir.path(), &Crates::default()).is_err());
        assert!(dir.path().join("precious").exists());
        assert!(target(&dir.path().join("absent"), &Crates::default()).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn removes_links_as_links() {
        let outside = tempfile::tempdir().expect("tempdir");
        std::fs::write(outside.path().join("keep"), "x").expect("write");
        let dir = tempfile::tempdir().expect("tempdir");
        let target_dir = dir.path();
        std::fs::write(
            target_dir.join("CACHEDIR.TAG"),
            "Signature: 8a477f597d28d172789f06886806bc55",
        )
        .expect("tag");
        std::fs::create_dir_all(target_dir.join("debug/.fingerprint")).expect("mkdir");
        std::os::unix::fs::symlink(outside.path(), target_dir.join("debug/incremental"))
            .expect("link");
        std::os::unix::fs::symlink(outside.path(), target_dir.join("doc")).expect("link");
        target(target_dir, &Crates::default()).expect("pruned");
        assert!(outside.path().join("keep").exists());
        assert!(!target_dir.join("doc").exists());
    }
}
