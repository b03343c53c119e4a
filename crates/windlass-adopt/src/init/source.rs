//! Where the xtask takes windlass from, and the `windlass = ...` line that says so.
//!
//! A path is written relative to the xtask (so that the same layout builds on every machine)
//! unless it was given absolute; either way, a path that leaves the repository is one a CI
//! runner does not have, and init says so.

use anyhow::Result;
use std::path::{Component, Path, PathBuf};
use windlass_core::UsageError;

/// Where the xtask takes windlass from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Source {
    /// The crate registry, at this version of windlass: what a published library is.
    #[default]
    Registry,
    /// A git repository, at a revision when given.
    Git {
        /// The repository's URL.
        url: String,
        /// A commit, tag or branch.
        rev: Option<String>,
    },
    /// A local checkout: its root, or its `crates/windlass` directory.
    Path {
        /// The directory, absolute.
        dir: PathBuf,
        /// Written as given, absolute; else relative to the xtask.
        absolute: bool,
    },
}

/// The dependency as the xtask's manifest writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    /// The `windlass = { ... }` line.
    pub line: String,
    /// What the user should know about it (a path CI cannot build).
    pub warnings: Vec<String>,
    /// The lockfile windlass itself is tested with, to start the xtask's from (path
    /// checkouts only): the xtask then builds the versions windlass's own CI built.
    pub tested_lockfile: Option<PathBuf>,
}

impl Source {
    /// Short, for messages: `the crate registry`, `git URL`, `path DIR`.
    pub fn describe(&self) -> String {
        match self {
            Source::Registry => format!(
                "windlass {} from the crate registry",
                env!("CARGO_PKG_VERSION")
            ),
            Source::Git {
                url,
                rev: Some(rev),
            } => format!("windlass from {url} at {rev}"),
            Source::Git { url, rev: None } => format!("windlass from {url}"),
            Source::Path { dir, .. } => format!("windlass at {}", dir.display()),
        }
    }

    /// The dependency of an xtask in `xtask_dir` of the repository at `repo_root`, with
    /// `features` of windlass.
    pub fn dependency(
        &self,
        repo_root: &Path,
        xtask_dir: &Path,
        features: &[&str],
    ) -> Result<Dependency> {
        let features = features
            .iter()
            .map(|f| format!("\"{f}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let mut warnings = Vec::new();
        let mut tested_lockfile = None;
        let source = match self {
            Source::Registry => format!("version = \"{}\"", env!("CARGO_PKG_VERSION")),
            Source::Git { url, rev } => match rev {
                Some(rev) => format!("git = {url:?}, rev = {rev:?}"),
                None => {
                    warnings.push(format!(
                        "no --rev: the xtask follows {url}'s default branch (xtask/Cargo.lock pins the commit until `cargo update`)"
                    ));
                    format!("git = {url:?}")
                }
            },
            Source::Path { dir, absolute } => {
                let crate_dir = crate_dir(dir)?;
                tested_lockfile = crate_dir
                    .ancestors()
                    .map(|d| d.join("Cargo.lock"))
                    .find(|l| l.is_file());
                let repo = normalized(repo_root);
                let outside = !crate_dir.starts_with(&repo);
                let written = if *absolute {
                    warnings.push(format!(
                        "{} is an absolute path: the xtask builds on this machine only, not on a CI runner or another checkout{}",
                        crate_dir.display(),
                        CI_FIX
                    ));
                    crate_dir.to_string_lossy().into_owned()
                } else {
                    if outside {
                        warnings.push(format!(
                            "{} is outside the repository: a CI runner checks out the repository alone and cannot build the xtask{}",
                            crate_dir.display(),
                            CI_FIX
                        ));
                    }
                    relative(&normalized(xtask_dir), &crate_dir)
                        .to_string_lossy()
                        .replace('\\', "/")
                };
                format!("path = {written:?}")
            }
        };
        Ok(Dependency {
            line: format!(
                "windlass = {{ {source}, default-features = false, features = [{features}] }}"
            ),
            warnings,
            tested_lockfile,
        })
    }
}

const CI_FIX: &str = "; for CI, depend on windlass's repository (--windlass-git URL --rev REV) or keep a checkout inside this one (a submodule) and pass its path";

/// The windlass crate's directory from what `--windlass-path` named: the crate itself, or the
/// root of a windlass repository.
fn crate_dir(given: &Path) -> Result<PathBuf> {
    let base = normalized(given);
    for candidate in [base.clone(), base.join("crates/windlass")] {
        if is_windlass_crate(&candidate.join("Cargo.toml")) {
            return Ok(candidate);
        }
    }
    Err(UsageError::new(format!(
        "{} is not a windlass checkout: neither it nor its crates/windlass is the windlass crate",
        given.display()
    ))
    .hint("pass --windlass-path the root of a windlass repository or its crates/windlass directory")
    .into())
}

fn is_windlass_crate(manifest: &Path) -> bool {
    std::fs::read_to_string(manifest)
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .and_then(|doc| {
            doc.get("package")?
                .get("name")?
                .as_str()
                .map(|n| n == "windlass")
        })
        .unwrap_or(false)
}

/// `path` without `.` and `..` components (resolved textually) and, where it exists, with
/// its links resolved: two spellings of one place compare equal.
fn normalized(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let textual = windlass_core::paths::normalize(&absolute);
    textual.canonicalize().unwrap_or(textual)
}

/// The path from directory `from` to `to`, both absolute and normalised.
fn relative(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<Component<'_>> = from.components().collect();
    let to: Vec<Component<'_>> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for part in &to[common..] {
        out.push(part.as_os_str());
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkout(dir: &Path) -> PathBuf {
        let root = dir.join("windlass");
        std::fs::create_dir_all(root.join("crates/windlass")).unwrap();
        std::fs::write(
            root.join("crates/windlass/Cargo.toml"),
            "[package]\nname = \"windlass\"\n",
        )
        .unwrap();
        std::fs::write(root.join("Cargo.lock"), "version = 4\n").unwrap();
        root
    }

    #[test]
    fn the_root_or_the_crate_directory_and_a_path_inside_the_repository_is_relative() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("svc");
        std::fs::create_dir_all(&repo).unwrap();
        let windlass = checkout(&repo);
        for dir in [windlass.clone(), windlass.join("crates/windlass")] {
            let dep = Source::Path {
                dir,
                absolute: false,
            }
            .dependency(&repo, &repo.join("xtask"), &["audit"])
            .unwrap();
            assert_eq!(
                dep.line,
                "windlass = { path = \"../windlass/crates/windlass\", default-features = false, features = [\"audit\"] }"
            );
            assert!(dep.warnings.is_empty(), "{:?}", dep.warnings);
            assert!(dep.tested_lockfile.is_some());
        }
    }

    #[test]
    fn an_absolute_path_or_one_outside_the_repository_is_warned_of() {
        let dir = tempfile::tempdir().unwrap();
        let windlass = checkout(dir.path());
        let repo = dir.path().join("svc");
        std::fs::create_dir_all(&repo).unwrap();
        let dep = Source::Path {
            dir: windlass.clone(),
            absolute: true,
        }
        .dependency(&repo, &repo.join("xtask"), &[])
        .unwrap();
        assert!(
            dep.line.contains(&format!(
                "{:?}",
                normalized(&windlass.join("crates/windlass")).to_string_lossy()
            )),
            "{}",
            dep.line
        );
        assert!(
            dep.warnings[0].contains("absolute path"),
            "{:?}",
            dep.warnings
        );
        let err = Source::Path {
            dir: repo.clone(),
            absolute: false,
        }
        .dependency(&repo, &repo.join("xtask"), &[])
        .unwrap_err()
        .to_string();
        assert!(err.contains("not a windlass checkout"), "{err}");
    }

    #[test]
    fn relative_paths_climb_out_of_the_common_prefix() {
        assert_eq!(
            relative(Path::new("/a/b/xtask"), Path::new("/a/c/d")),
            PathBuf::from("../../c/d")
        );
        assert_eq!(
            relative(Path::new("/a"), Path::new("/a")),
            PathBuf::from(".")
        );
    }
}
