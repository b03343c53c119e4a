//! Pruning a build cache before it is saved, as the well-known cache action does: what the
//! next run rebuilds anyway goes — the workspace's own artifacts (they change with every
//! commit), incremental data (`CARGO_INCREMENTAL=0` in CI, and useless across commits),
//! examples, docs, packages, test archives — and what no current dependency uses: artifacts
//! of crates the lockfile no longer names, and downloaded `.crate` files of versions it no
//! longer pins. What stays is the compiled dependencies, which is what a warm build reuses.
//!
//! A directory is pruned only when it is a cargo target directory (its `CACHEDIR.TAG` or
//! `.rustc_info.json`) and nothing more — not a repository cargo was told to build into, not
//! the workspace or a directory above it — and only inside cargo's own layout; everything goes
//! through [`windlass_core::files`], so a link is never entered.

use anyhow::Result;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use windlass_core::UsageError;
use windlass_core::error::ErrorKind;
use windlass_core::files::{self, Kind, Root};

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

/// Refuses a directory that is not a cargo target directory, or that holds more than one:
/// a link (never followed), a directory without cargo's `CACHEDIR.TAG`/`.rustc_info.json`,
/// one holding a `Cargo.toml` or `.git` (a repository cargo was once told to build into),
/// and the workspace root or any directory above it.
pub fn check_target_dir(dir: &Path, workspace_root: &Path) -> Result<Root> {
    let refuse = |why: &str| -> anyhow::Error {
        UsageError::new(format!("{} {why}: nothing pruned", dir.display()))
            .kind(ErrorKind::Refused)
            .hint("pass the target directory cargo builds into (`--target-dir target`)")
            .into()
    };
    let meta = std::fs::symlink_metadata(dir);
    match &meta {
        Err(_) => return Err(refuse("does not exist")),
        Ok(m) if m.file_type().is_symlink() => {
            return Err(refuse("is a link (never followed)"));
        }
        Ok(m) if !m.is_dir() => return Err(refuse("is not a directory")),
        Ok(_) => {}
    }
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (target, workspace) = (canonical(dir), canonical(workspace_root));
    if workspace.starts_with(&target) {
        return Err(refuse(
            "is the workspace root or a directory above it, not a target directory inside it",
        ));
    }
    let root = Root::open_no_link(dir).map_err(files::error)?;
    for precious in ["Cargo.toml", ".git", "src"] {
        if root
            .kind(Path::new(precious))
            .map_err(files::error)?
            .is_some()
        {
            return Err(refuse(&format!(
                "holds `{precious}`: it is a project, not only a target directory"
            )));
        }
    }
    let cargo_made =
        root.is_file(Path::new("CACHEDIR.TAG")) || root.is_file(Path::new(".rustc_info.json"));
    if !cargo_made {
        return Err(refuse(
            "is not a cargo target directory (no CACHEDIR.TAG, no .rustc_info.json)",
        ));
    }
    Ok(root)
}

/// Prunes the target directory `dir` of the workspace at `workspace_root`: inside cargo's own
/// layout only — each profile's `deps`, `build` and `.fingerprint` of stale crates, its
/// `incremental` and `examples`, also under a `--target` triple. Everything else in it (a
/// tool's own directory, a file someone put there) is left; a link is never entered.
pub fn target(dir: &Path, workspace_root: &Path, crates: &Crates) -> Result<Pruned> {
    let root = check_target_dir(dir, workspace_root)?;
    let before = root.size(Path::new(""));
    let mut removed = 0;
    for entry in entries(&root, Path::new(""))? {
        if entry.kind != Kind::Dir {
            continue;
        }
        let rel = PathBuf::from(&entry.name);
        if CARGO_OUTPUT.iter().any(|d| entry.name == *d) {
            // `cargo doc`'s and `cargo package`'s output: rebuilt when needed.
            remove(&root, &rel)?;
            removed += 1;
        } else if is_profile(&root, &rel) {
            removed += profile(&root, &rel, crates)?;
        } else {
            for inner in entries(&root, &rel)? {
                let inner = rel.join(&inner.name);
                if is_profile(&root, &inner) {
                    removed += profile(&root, &inner, crates)?;
                }
            }
        }
    }
    Ok(Pruned {
        before,
        after: root.size(Path::new("")),
        removed,
    })
}

/// Prunes the downloaded `.crate` files of `cargo_home` to the versions the lockfile pins.
pub fn registry(cargo_home: &Path, crates: &Crates) -> Result<Pruned> {
    let cache = cargo_home.join("registry").join("cache");
    let Ok(root) = Root::open_no_link(&cache) else {
        return Ok(Pruned::default());
    };
    let before = root.size(Path::new(""));
    let mut removed = 0;
    for index in entries(&root, Path::new(""))? {
        if index.kind != Kind::Dir {
            continue;
        }
        let index = PathBuf::from(&index.name);
        for file in entries(&root, &index)? {
            let name = file.name.to_string_lossy();
            let Some(stem) = name.strip_suffix(".crate") else {
                continue;
            };
            if file.kind == Kind::File && !crates.pinned.contains(stem) {
                remove(&root, &index.join(&file.name))?;
                removed += 1;
            }
        }
    }
    Ok(Pruned {
        before,
        after: root.size(Path::new("")),
        removed,
    })
}

/// A profile's directory (`debug`, `release`, a custom profile): it has `.fingerprint`.
fn is_profile(root: &Root, rel: &Path) -> bool {
    root.is_dir(rel) && root.is_dir(&rel.join(".fingerprint"))
}

/// Directories cargo itself writes at the top of a target directory, all rebuilt on demand.
const CARGO_OUTPUT: [&str; 2] = ["doc", "package"];

/// The directories of a profile cargo rebuilds or keys by crate.
const STALE_BY_CRATE: [&str; 3] = ["deps", "build", ".fingerprint"];
const REBUILT: [&str; 2] = ["incremental", "examples"];

fn profile(root: &Root, dir: &Path, crates: &Crates) -> Result<usize> {
    let mut removed = 0;
    for name in STALE_BY_CRATE {
        let sub = dir.join(name);
        if !root.is_dir(&sub) {
            continue;
        }
        for artifact in entries(root, &sub)? {
            let stale =
                artifact_crate(&artifact.name.to_string_lossy()).is_some_and(|c| !crates.keeps(c));
            if stale {
                remove(root, &sub.join(&artifact.name))?;
                removed += 1;
            }
        }
    }
    for name in REBUILT {
        let sub = dir.join(name);
        if root.is_dir(&sub) {
            remove(root, &sub)?;
            removed += 1;
        }
    }
    // The members' own outputs cargo uplifts to the profile's top (`svc`, `svc.d`,
    // `libsvc.rlib`): they change with every commit. Regular files named for a member only.
    for entry in entries(root, dir)? {
        if entry.kind != Kind::File {
            continue;
        }
        let name = entry.name.to_string_lossy();
        let stem = name.split('.').next().unwrap_or(&name);
        let stem = stem
            .strip_prefix("lib")
            .filter(|s| crates.members.contains(&normalized(s)));
        let member = crates
            .members
            .contains(&normalized(name.split('.').next().unwrap_or(&name)))
            || stem.is_some();
        if member {
            remove(root, &dir.join(&entry.name))?;
            removed += 1;
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

fn entries(root: &Root, rel: &Path) -> Result<Vec<windlass_core::files::Entry>> {
    root.entries(rel).map_err(files::error)
}

/// Removes a file, a link (not what it names) or a directory tree, never leaving `root`.
fn remove(root: &Root, rel: &Path) -> Result<()> {
    root.remove_tree(rel).map(drop).map_err(files::error)
}

/// The bytes under `path`, links counted as links.
pub fn size(path: &Path) -> u64 {
    Root::open_no_link(path).map_or(0, |root| root.size(Path::new("")))
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
        let ws = dir.path().join("ws");
        std::fs::create_dir(&ws).expect("mkdir");
        std::fs::write(dir.path().join("precious"), "x").expect("write");
        assert!(target(dir.path(), &ws, &Crates::default()).is_err());
        assert!(dir.path().join("precious").exists());
        assert!(target(&dir.path().join("absent"), &ws, &Crates::default()).is_err());
        // A repository cargo built into: it looks like a target directory, and is not one.
        for (precious, what) in [("Cargo.toml", "file"), (".git", "dir")] {
            let repo = dir.path().join(format!("repo-{what}"));
            std::fs::create_dir_all(repo.join("debug/.fingerprint")).expect("mkdir");
            std::fs::write(repo.join("CACHEDIR.TAG"), "Signature").expect("tag");
            if what == "dir" {
                std::fs::create_dir(repo.join(precious)).expect("mkdir");
            } else {
                std::fs::write(repo.join(precious), "").expect("write");
            }
            let err = target(&repo, &ws, &Crates::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains(precious), "{err}");
            assert!(repo.join(precious).exists() && repo.join("debug").exists());
        }
        // The workspace itself, and what is above it.
        std::fs::write(dir.path().join(".rustc_info.json"), "{}").expect("write");
        let err = target(dir.path(), &ws, &Crates::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("above"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn never_enters_a_link() {
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
        std::os::unix::fs::symlink(outside.path(), target_dir.join("debug/deps")).expect("link");
        std::fs::create_dir_all(target_dir.join("release/.fingerprint")).expect("mkdir");
        std::os::unix::fs::symlink(outside.path(), target_dir.join("release/build")).expect("link");
        std::fs::write(outside.path().join("libgone-0123456789abcdef.rlib"), "x").expect("w");
        std::os::unix::fs::symlink(outside.path(), target_dir.join("doc")).expect("link");
        let ws = tempfile::tempdir().expect("tempdir");
        target(target_dir, ws.path(), &Crates::default()).expect("pruned");
        assert!(outside.path().join("keep").exists());
        assert!(
            outside
                .path()
                .join("libgone-0123456789abcdef.rlib")
                .exists()
        );
        assert!(
            target_dir.join("doc").exists(),
            "not cargo's layout: left alone"
        );
    }
}
