//! The workspace windlass works on: found through `cargo metadata`, so that any Cargo
//! workspace (one that never heard of windlass included) is understood as cargo does.

use crate::config::Config;
use crate::error::UsageError;
use crate::paths;
use crate::runner::Capture;
use crate::session::Session;
use anyhow::Result;
use cargo_metadata::{Metadata, MetadataCommand, Package};
use std::path::{Path, PathBuf};

/// A discovered workspace.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The directory of the root manifest.
    pub root: PathBuf,
    /// The root manifest.
    pub manifest_path: PathBuf,
    /// The repository root: paths in annotations and reports are relative to it.
    pub repo_root: PathBuf,
    /// `cargo metadata --no-deps`: members, targets, features.
    pub metadata: Metadata,
    /// The `[workspace.metadata.windlass]` table.
    pub config: Config,
}

impl Workspace {
    /// Discovers the workspace that holds `manifest_path` (or the current directory), and
    /// moves the session's commands into its root, so that its `.cargo/config.toml` and
    /// `rust-toolchain.toml` apply as they would for a user working there.
    pub fn discover(session: &mut Session, manifest_path: Option<&Path>) -> Result<Self> {
        let mut command = MetadataCommand::new();
        // The `cargo` on PATH, as for every other command: rustup's proxy honours the
        // workspace's rust-toolchain.toml, and the echoed command stays readable.
        command.cargo_path("cargo").no_deps();
        if let Some(path) = manifest_path {
            let path = check_manifest_path(path)?;
            command.manifest_path(path);
        }
        let mut cargo = command.cargo_command();
        cargo.current_dir(session.runner().shell().current_dir());
        let finished = session.run_command(cargo, Capture::Everything)?;
        if !finished.success() {
            let shown = manifest_path.map_or_else(
                || "the current directory".to_string(),
                |p| p.display().to_string(),
            );
            return Err(UsageError::new(format!(
                "cannot read the Cargo workspace at {shown}:\n{}",
                indent(finished.stderr.trim())
            ))
            .hint("fix the manifest named above, or pass --manifest-path to a valid Cargo.toml")
            .into());
        }
        let json = finished
            .stdout
            .lines()
            .find(|l| l.starts_with('{'))
            .unwrap_or("");
        let metadata = MetadataCommand::parse(json)
            .map_err(|err| anyhow::anyhow!("cannot parse the output of `cargo metadata`: {err}"))?;
        let root = metadata.workspace_root.clone().into_std_path_buf();
        let manifest_path = root.join("Cargo.toml");
        let config = Config::load(&manifest_path)?;
        session.runner().change_dir(&root);
        Ok(Self {
            repo_root: paths::repository_root(&root),
            root,
            manifest_path,
            metadata,
            config,
        })
    }

    /// The workspace members.
    pub fn members(&self) -> impl Iterator<Item = &Package> {
        self.metadata.workspace_packages().into_iter()
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
        if here.as_deref() != self.root.canonicalize().ok().as_deref() {
            // `--manifest-path` goes before a `--` that passes arguments on to another tool.
            let at = line.iter().position(|a| a == "--").unwrap_or(line.len());
            line.insert(at, "--manifest-path".into());
            line.insert(at + 1, self.manifest_path.to_string_lossy().into_owned());
        }
        paths::shell_line(line)
    }

    /// Whether any member has a library target (doctests live there).
    pub fn has_library(&self) -> bool {
        self.members()
            .any(|p| p.targets.iter().any(|t| t.is_lib() || t.is_proc_macro()))
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
    Ok(std::path::absolute(&manifest).unwrap_or(manifest))
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
