//! The workspace windlass works on.
//!
//! Its root is found the way cargo finds it — the nearest `Cargo.toml`, then the first
//! ancestor manifest with a `[workspace]` that does not exclude it — by reading manifests, not
//! by starting cargo: most tasks (fmt, clippy, tests, an advisory scan of `Cargo.lock`) need
//! nothing more, and a git hook cannot afford 40 ms of `cargo metadata` on every commit.
//! Members, targets and dependencies come from `cargo metadata` (through `cargo_metadata`)
//! the first time a task asks for them, so any Cargo workspace, one that never heard of
//! windlass included, is understood exactly as cargo understands it.

use crate::config::Config;
use crate::error::UsageError;
use crate::metadata_cache;
use crate::paths;
use crate::runner::Capture;
use crate::session::Session;
use anyhow::Result;
use cargo_metadata::{Metadata, MetadataCommand, Package};
use std::cell::OnceCell;
use std::path::{Path, PathBuf};

/// Whether a member is the workspace's automation — the xtask — rather than its product: a
/// package named `xtask`, or one that depends on windlass itself. Images, releases and the
/// audit's default view leave it out.
pub fn is_xtask(package: &Package) -> bool {
    package.name.as_str() == "xtask" || package.dependencies.iter().any(|d| d.name == "windlass")
}

/// Whether the workspace at `root` has an xtask that is a workspace of its own
/// (`xtask/Cargo.toml` with a `[workspace]` table), as `init` writes it.
pub fn standalone_xtask(root: &Path) -> bool {
    std::fs::read_to_string(root.join("xtask/Cargo.toml"))
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok())
        .is_some_and(|doc| doc.contains_key("workspace"))
}

/// A discovered workspace.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The directory of the root manifest.
    pub root: PathBuf,
    /// The root manifest.
    pub manifest_path: PathBuf,
    /// The repository root: paths in annotations and reports are relative to it.
    pub repo_root: PathBuf,
    /// The `[workspace.metadata.windlass]` table.
    pub config: Config,
    metadata: OnceCell<Metadata>,
    resolved: OnceCell<Metadata>,
}

impl Workspace {
    /// Finds the workspace that holds `manifest_path` (or the current directory), reads its
    /// config, and moves the session's commands into its root, so that its
    /// `.cargo/config.toml` and `rust-toolchain.toml` apply as they would for a user there.
    pub fn discover(session: &mut Session, manifest_path: Option<&Path>) -> Result<Self> {
        let start = match manifest_path {
            Some(path) => check_manifest_path(path)?,
            None => nearest_manifest(&session.shell().current_dir())?,
        };
        let manifest_path = workspace_manifest(&start)?;
        let root = manifest_path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let config = Config::load(&manifest_path)?;
        session.runner().change_dir(&root);
        Ok(Self {
            repo_root: paths::repository_root(&root),
            root,
            manifest_path,
            config,
            metadata: OnceCell::new(),
            resolved: OnceCell::new(),
        })
    }

    /// A directory that is not (or not known to be) in a Cargo workspace, for tasks that work
    /// on a single file in it, such as an audit of a lockfile; its config is empty.
    pub fn detached(session: &mut Session, dir: &Path) -> Self {
        session.runner().change_dir(dir);
        let manifest_path = dir.join("Cargo.toml");
        Self {
            repo_root: paths::repository_root(dir),
            root: dir.to_path_buf(),
            config: Config::empty(&manifest_path),
            manifest_path,
            metadata: OnceCell::new(),
            resolved: OnceCell::new(),
        }
    }

    /// `cargo metadata --no-deps`: members, targets, features. Loaded on first use.
    pub fn metadata(&self, session: &mut Session) -> Result<&Metadata> {
        if let Some(metadata) = self.metadata.get() {
            return Ok(metadata);
        }
        let metadata = self.cached_metadata(session, &["--no-deps"])?;
        Ok(self.metadata.get_or_init(|| metadata))
    }

    /// `cargo metadata` with the whole resolved graph (every package's manifest, licence and
    /// dependencies). Needs the packages' sources, so cargo may download them.
    pub fn resolved_metadata(&self, session: &mut Session) -> Result<&Metadata> {
        if let Some(metadata) = self.resolved.get() {
            return Ok(metadata);
        }
        let metadata = self.cached_metadata(session, &[])?;
        Ok(self.resolved.get_or_init(|| metadata))
    }

    /// The resolved graph with `options` (`--all-features`, `--features a,b`,
    /// `--filter-platform TRIPLE`), cached as [`Workspace::resolved_metadata`] is.
    pub fn metadata_with(&self, session: &mut Session, options: &[&str]) -> Result<Metadata> {
        self.cached_metadata(session, options)
    }

    /// The resolved graph exactly as the lockfile pins it, for one target platform: what a
    /// binary built for `target` contains (an SBOM's view). Not cached.
    pub fn platform_metadata(&self, session: &mut Session, target: &str) -> Result<Metadata> {
        self.load_metadata(session, &["--locked", "--filter-platform", target])
    }

    /// `cargo metadata` with `options`, from the cache while nothing it depends on changed.
    fn cached_metadata(&self, session: &mut Session, options: &[&str]) -> Result<Metadata> {
        let cache = metadata_cache::location(&self.repo_root, &self.root, options);
        if let Some(metadata) = cache.as_deref().and_then(metadata_cache::load) {
            return Ok(metadata);
        }
        let (metadata, json) = self.run_metadata(session, options)?;
        if let Some(cache) = cache {
            metadata_cache::store(&cache, &self.root, &metadata, &json);
        }
        Ok(metadata)
    }

    /// `cargo metadata` with `options`, run now and kept nowhere: for a command that must
    /// leave no file behind when it fails (`init`).
    pub fn uncached_metadata(&self, session: &mut Session, options: &[&str]) -> Result<Metadata> {
        self.load_metadata(session, options)
    }

    fn load_metadata(&self, session: &mut Session, options: &[&str]) -> Result<Metadata> {
        Ok(self.run_metadata(session, options)?.0)
    }

    fn run_metadata(&self, session: &mut Session, options: &[&str]) -> Result<(Metadata, String)> {
        let mut command = MetadataCommand::new();
        // The `cargo` on PATH, as for every other command: rustup's proxy honours the
        // workspace's rust-toolchain.toml, and the echoed command stays readable.
        command
            .cargo_path("cargo")
            .manifest_path(&self.manifest_path);
        command.other_options(options.iter().map(|o| (*o).to_string()).collect::<Vec<_>>());
        let mut cargo = command.cargo_command();
        cargo.current_dir(&self.root);
        let finished = session.run_command(cargo, Capture::Everything)?;
        if !finished.success() {
            let stderr = finished.stderr.trim();
            // A dependency cargo could not download is not the manifest's fault.
            let network = [
                "spurious network error",
                "failed to resolve address",
                "Could not resolve host",
                "attempting to make an HTTP request, but --offline was specified",
                "failed to download",
                "network failure",
            ]
            .iter()
            .any(|needle| stderr.contains(needle));
            return Err(UsageError::new(format!(
                "cannot read the Cargo workspace at {}:\n{}",
                self.manifest_path.display(),
                indent(stderr)
            ))
            .hint(if network {
                "cargo needs a dependency it has not downloaded, and cannot reach where it lives: run `cargo fetch` where the network is reachable (or vendor the dependency), then run again"
            } else {
                "fix the manifest named above"
            })
            .into());
        }
        let json = finished
            .stdout
            .lines()
            .find(|l| l.starts_with('{'))
            .unwrap_or("");
        let metadata = MetadataCommand::parse(json)
            .map_err(|err| anyhow::anyhow!("cannot parse the output of `cargo metadata`: {err}"))?;
        Ok((metadata, json.to_string()))
    }

    /// The target directory as cargo resolves it: `CARGO_TARGET_DIR`, `build.target-dir` of
    /// any `.cargo/config.toml` that applies, else `target/` under the root.
    pub fn target_dir(&self, session: &mut Session) -> Result<PathBuf> {
        Ok(self
            .metadata(session)?
            .target_directory
            .clone()
            .into_std_path_buf())
    }

    /// The workspace members.
    pub fn members<'a>(&'a self, session: &mut Session) -> Result<Vec<&'a Package>> {
        Ok(self.metadata(session)?.workspace_packages())
    }

    /// Whether any member has a library target (doctests live there).
    pub fn has_library(&self, session: &mut Session) -> Result<bool> {
        Ok(self
            .members(session)?
            .iter()
            .any(|p| p.targets.iter().any(|t| t.is_lib() || t.is_proc_macro())))
    }

    /// A cargo command line for messages, with `--manifest-path` when the workspace is not the
    /// one in the current directory, so that it works where the user pastes it.
    pub fn cargo_hint(&self, args: &[&str]) -> String {
        let mut line: Vec<String> = std::iter::once("cargo")
            .chain(args.iter().copied())
            .map(String::from)
            .collect();
        let here = std::env::current_dir()
            .ok()
            .and_then(|d| d.canonicalize().ok());
        let inside = here.is_some_and(|h| self.root.canonicalize().is_ok_and(|r| h.starts_with(r)));
        if !inside {
            // `--manifest-path` goes before a `--` that passes arguments on to another tool.
            let at = line.iter().position(|a| a == "--").unwrap_or(line.len());
            line.insert(at, "--manifest-path".into());
            line.insert(at + 1, self.manifest_path.to_string_lossy().into_owned());
        }
        paths::shell_line(line)
    }

    /// A cargo command line that must run in the workspace root (`cargo fmt` formats the
    /// packages under the current directory): prefixed with `cd ROOT &&` unless it is here.
    pub fn cargo_hint_at_root(&self, args: &[&str]) -> String {
        let line = paths::shell_line(std::iter::once("cargo").chain(args.iter().copied()));
        let here = std::env::current_dir()
            .ok()
            .and_then(|d| d.canonicalize().ok());
        if here.is_some_and(|h| self.root.canonicalize().is_ok_and(|r| h == r)) {
            line
        } else {
            format!(
                "cd {} && {line}",
                paths::shell_line([self.root.to_string_lossy()])
            )
        }
    }

    /// `path` (absolute, or relative to the workspace root) as shown to users.
    pub fn display_path(&self, path: &Path) -> String {
        paths::display_relative(path, &self.root, &self.repo_root)
    }
}

fn check_manifest_path(path: &Path) -> Result<PathBuf> {
    let manifest = if path.is_dir() {
        path.join("Cargo.toml")
    } else {
        path.to_path_buf()
    };
    if !manifest.is_file() {
        return Err(
            UsageError::new(format!("no manifest at {}", manifest.display()))
                .hint("pass --manifest-path the Cargo.toml of a workspace, or its directory")
                .into(),
        );
    }
    Ok(paths::normalize(
        &std::path::absolute(&manifest).unwrap_or(manifest),
    ))
}

fn nearest_manifest(dir: &Path) -> Result<PathBuf> {
    dir.ancestors()
        .map(|d| d.join("Cargo.toml"))
        .find(|m| m.is_file())
        .ok_or_else(|| {
            UsageError::new(format!(
                "no Cargo.toml in {} or any parent directory",
                dir.display()
            ))
            .hint("run from inside a Cargo workspace, or pass --manifest-path")
            .into()
        })
}

/// The manifest of the workspace that `manifest` belongs to, following cargo's rules:
/// itself when it has `[workspace]`; the one `package.workspace` names; else the first
/// ancestor with a `[workspace]` that does not list it in `exclude`.
fn workspace_manifest(manifest: &Path) -> Result<PathBuf> {
    let doc = read_manifest(manifest)?;
    if doc.contains_key("workspace") {
        return Ok(manifest.to_path_buf());
    }
    let dir = manifest.parent().unwrap_or(Path::new("."));
    if let Some(explicit) = doc
        .get("package")
        .and_then(|p| p.get("workspace"))
        .and_then(|w| w.as_str())
    {
        return Ok(paths::normalize(&dir.join(explicit).join("Cargo.toml")));
    }
    for ancestor in dir.ancestors().skip(1) {
        let candidate = ancestor.join("Cargo.toml");
        if !candidate.is_file() {
            continue;
        }
        let Ok(parent) = read_manifest(&candidate) else {
            continue;
        };
        let Some(workspace) = parent.get("workspace") else {
            continue;
        };
        let excluded = workspace
            .get("exclude")
            .and_then(|e| e.as_array())
            .into_iter()
            .flatten()
            .filter_map(|e| e.as_str())
            .any(|e| dir.starts_with(paths::normalize(&ancestor.join(e))));
        if !excluded {
            return Ok(candidate);
        }
    }
    Ok(manifest.to_path_buf())
}

fn read_manifest(manifest: &Path) -> Result<toml::Table> {
    let text = std::fs::read_to_string(manifest)
        .map_err(|err| UsageError::io(format!("cannot read {}: {err}", manifest.display())))?;
    Ok(toml::from_str(&text).map_err(|err| {
        UsageError::new(format!("{} is not valid TOML: {err}", manifest.display()))
            .hint("fix the syntax at the line shown")
    })?)
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, path: &str, text: &str) {
        let full = dir.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }

    #[test]
    fn finds_the_workspace_above_a_member_unless_it_is_excluded() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        write(
            root,
            "Cargo.toml",
            "[workspace]\nmembers = [\"crates/*\"]\nexclude = [\"other\"]\n",
        );
        write(root, "crates/a/Cargo.toml", "[package]\nname = \"a\"\n");
        write(root, "other/b/Cargo.toml", "[package]\nname = \"b\"\n");
        write(
            root,
            "elsewhere/Cargo.toml",
            "[package]\nname = \"c\"\nworkspace = \"../crates/a\"\n",
        );
        assert_eq!(
            workspace_manifest(&root.join("crates/a/Cargo.toml")).unwrap(),
            root.join("Cargo.toml")
        );
        assert_eq!(
            workspace_manifest(&root.join("Cargo.toml")).unwrap(),
            root.join("Cargo.toml")
        );
        assert_eq!(
            workspace_manifest(&root.join("other/b/Cargo.toml")).unwrap(),
            root.join("other/b/Cargo.toml")
        );
        assert_eq!(
            workspace_manifest(&root.join("elsewhere/Cargo.toml")).unwrap(),
            root.join("crates/a/Cargo.toml")
        );
    }

    #[test]
    fn a_malformed_manifest_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "Cargo.toml", "[package\n");
        let err = workspace_manifest(&tmp.path().join("Cargo.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("Cargo.toml is not valid TOML"), "{err}");
        assert!(err.contains("line 1"), "{err}");
    }
}
