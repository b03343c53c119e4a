//! `cargo metadata`'s output, kept between runs while nothing it was computed from changed.
//!
//! `cargo metadata` costs a process that reads every manifest and the lockfile; a task that
//! needs only the graph (the bans and sources checks, say) spends most of its time waiting
//! for it. Its answer depends on the workspace's and path packages' manifests, the lockfile,
//! the cargo config files and toolchain files that apply, the directories members are found
//! in, and the `CARGO*`/`RUSTUP*` environment. The cache keeps, beside the JSON, the list of
//! those files and a fingerprint of their contents and of the environment; any difference,
//! and cargo runs again. It lives in the
//! repository's git directory (`.git/windlass/`), out of the work tree; without a git
//! directory, or without a lockfile (cargo would resolve afresh), nothing is cached.

use cargo_metadata::Metadata;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

const MAGIC: &str = "windlass-metadata 1";

/// Where the cache of one kind of `cargo metadata` call (its options) is kept.
pub fn location(repo_root: &Path, workspace_root: &Path, options: &[&str]) -> Option<PathBuf> {
    let git = repo_root.join(".git");
    let git_dir = if git.is_dir() {
        git
    } else {
        let text = std::fs::read_to_string(&git).ok()?;
        let dir = PathBuf::from(text.strip_prefix("gitdir:")?.trim());
        if dir.is_absolute() {
            dir
        } else {
            repo_root.join(dir)
        }
    };
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    workspace_root.hash(&mut hasher);
    options.hash(&mut hasher);
    Some(
        git_dir
            .join("windlass")
            .join(format!("metadata-{:016x}.json", hasher.finish())),
    )
}

/// The files an answer was computed from: every path package's manifest, the lockfile,
/// the cargo config and toolchain files of the workspace root and its ancestors (and of
/// `CARGO_HOME`), and the directories the members live in (a new member there changes them).
fn inputs(metadata: &Metadata, root: &Path) -> Vec<PathBuf> {
    let mut files = vec![root.join("Cargo.toml"), root.join("Cargo.lock")];
    for package in &metadata.packages {
        if package.source.is_none() {
            let manifest = package.manifest_path.as_std_path();
            files.push(manifest.to_path_buf());
            if let Some(parent) = manifest.parent().and_then(Path::parent)
                && parent.starts_with(root)
            {
                files.push(parent.to_path_buf());
            }
        }
    }
    for dir in root.ancestors() {
        for name in [
            ".cargo/config.toml",
            ".cargo/config",
            "rust-toolchain.toml",
            "rust-toolchain",
        ] {
            files.push(dir.join(name));
        }
    }
    let cargo_home = crate::cargo_env::cargo_home();
    files.push(cargo_home.join("config.toml"));
    files.push(cargo_home.join("config"));
    files.sort();
    files.dedup();
    files
}

/// The fingerprint of `inputs` — each file's content, each directory's entry names, a
/// missing one as missing (exact, where modification times can be too coarse to tell two
/// quick edits apart) — and of the environment.
fn fingerprint(inputs: &[PathBuf]) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for input in inputs {
        input.hash(&mut hasher);
        if let Ok(dir) = std::fs::read_dir(input) {
            let mut names: Vec<_> = dir.flatten().map(|e| e.file_name()).collect();
            names.sort();
            names.hash(&mut hasher);
        } else if let Ok(content) = std::fs::read(input) {
            content.hash(&mut hasher);
        } else {
            "missing".hash(&mut hasher);
        }
    }
    let mut env: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| k.starts_with("CARGO") || k.starts_with("RUSTUP"))
        .collect();
    env.sort();
    env.hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

/// The cached answer at `path`, when everything it was computed from is as it was.
pub fn load(path: &Path) -> Option<Metadata> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut parts = text.splitn(4, '\n');
    if parts.next()? != MAGIC {
        return None;
    }
    let key = parts.next()?;
    let files: Vec<PathBuf> = serde_json::from_str(parts.next()?).ok()?;
    if fingerprint(&files) != key {
        return None;
    }
    cargo_metadata::MetadataCommand::parse(parts.next()?).ok()
}

/// Keeps `json`, the answer for the workspace at `root`; quietly does nothing when it cannot
/// (the cache is an optimisation).
pub fn store(path: &Path, root: &Path, metadata: &Metadata, json: &str) {
    if !root.join("Cargo.lock").is_file() {
        return;
    }
    let files = inputs(metadata, root);
    let Ok(list) = serde_json::to_string(&files) else {
        return;
    };
    let text = format!("{MAGIC}\n{}\n{list}\n{json}", fingerprint(&files));
    // A cache: failing to write it only costs the next run its speed.
    let _ = crate::files::write_named(path, text.as_bytes());
}

#[cfg(test)]
mod tests {
    use crate::report::Reporter;
    use crate::runner::Runner;
    use crate::{Session, Workspace, event::Event};

    struct Quiet;
    impl Reporter for Quiet {
        fn event(&mut self, _: &Event) {}
    }

    fn write(dir: &std::path::Path, path: &str, text: &str) {
        let full = dir.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }

    /// The members `cargo metadata` (or the cache) reports for the workspace at `root`.
    fn members(root: &std::path::Path) -> Vec<String> {
        let runner = Runner::new(root, false).unwrap();
        let mut session = Session::new(runner, Box::new(Quiet), false);
        let ws = Workspace::discover(&mut session, Some(&root.join("Cargo.toml"))).unwrap();
        let mut names: Vec<String> = ws
            .resolved_metadata(&mut session)
            .unwrap()
            .workspace_packages()
            .iter()
            .map(|p| p.name.to_string())
            .collect();
        names.sort();
        names
    }

    /// Replaces a member's name in the cached answer, so that a test can tell a cached
    /// answer from cargo's.
    fn mark_cache(root: &std::path::Path) {
        let dir = root.join(".git/windlass");
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            std::fs::write(
                entry.path(),
                text.replace("\"name\":\"a\"", "\"name\":\"cached\""),
            )
            .unwrap();
        }
    }

    #[test]
    fn the_cache_answers_until_an_input_changes() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        write(
            root,
            "Cargo.toml",
            "[workspace]\nmembers = [\"crates/*\"]\nresolver = \"2\"\n",
        );
        write(
            root,
            "crates/a/Cargo.toml",
            "[package]\nname = \"a\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        );
        write(root, "crates/a/src/lib.rs", "");
        // The first answer is cargo's (which writes the lockfile), and is kept.
        assert_eq!(members(root), ["a"]);
        assert!(root.join("Cargo.lock").is_file());
        mark_cache(root);
        assert_eq!(members(root), ["cached"], "answered from the cache");

        // A member's manifest changes: cargo answers again.
        write(
            root,
            "crates/a/Cargo.toml",
            "[package]\nname = \"a\"\nversion = \"0.1.0\"\nedition = \"2021\"\n# changed\n",
        );
        assert_eq!(members(root), ["a"]);

        // A new member under a glob, with no manifest of the old answer changed.
        mark_cache(root);
        write(
            root,
            "crates/b/Cargo.toml",
            "[package]\nname = \"b\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        );
        write(root, "crates/b/src/lib.rs", "");
        assert_eq!(members(root), ["a", "b"]);

        // A cargo config file appears above the workspace.
        mark_cache(root);
        write(root, ".cargo/config.toml", "[net]\noffline = true\n");
        assert_eq!(members(root), ["a", "b"]);
    }
}
