//! Release artifacts: the workspace's binaries built with a chosen profile, each packed as
//! `name-version-target.tar.gz` with the package's README and licence files, a CycloneDX SBOM
//! beside it, and one `SHA256SUMS` over them all, in the format of `windlass-archive`.

use anyhow::Result;
use cargo_metadata::Message;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use windlass_core::runner::Capture;
use windlass_core::{Session, UsageError};
use xshell::cmd;

/// A binary to ship.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bin {
    /// The binary target's name.
    pub name: String,
    /// Its package.
    pub package: String,
    /// The package's directory (README and licence files are taken from there, else the root).
    pub dir: PathBuf,
}

/// How to build.
#[derive(Debug, Clone)]
pub struct Build {
    /// The cargo profile.
    pub profile: String,
    /// The target triple, `None` for the host.
    pub target: Option<String>,
    /// Sign SHA256SUMS.
    pub sign: bool,
}

/// Whether to build with `cargo auditable` (the dependency list embedded in each binary, for
/// `audit --bin` wherever it runs): required by `auditable = true`, refused by `false`, else
/// used when installed.
pub fn auditable(session: &mut Session, required: Option<bool>) -> Result<bool> {
    let installed = windlass_core::tool::on_path("cargo-auditable").is_some();
    match required {
        Some(true) if !installed => Err(windlass_core::tool::missing(
            "cargo-auditable (required by auditable = true in [workspace.metadata.windlass.release])",
            "cargo install cargo-auditable --locked",
        )
        .into()),
        Some(wanted) => Ok(wanted),
        None => {
            if !installed {
                session.message(
                    windlass_core::Severity::Notice,
                    "cargo-auditable is not installed: the binaries carry no dependency list (`audit --bin` reads their SBOM instead; `cargo install cargo-auditable --locked` embeds one)",
                );
            }
            Ok(installed)
        }
    }
}

impl Build {
    /// The `cargo build` (or `cargo auditable build`) command line for `bins`.
    pub fn command<'a>(
        &self,
        sh: &'a xshell::Shell,
        bins: &[Bin],
        auditable: bool,
    ) -> xshell::Cmd<'a> {
        let profile = &self.profile;
        let mut args: Vec<String> = Vec::new();
        for bin in bins {
            args.extend(["--package".into(), bin.package.clone()]);
            args.extend(["--bin".into(), bin.name.clone()]);
        }
        if let Some(target) = &self.target {
            args.extend(["--target".into(), target.clone()]);
        }
        let auditable = auditable.then_some("auditable");
        cmd!(
            sh,
            "cargo {auditable...} build --locked --profile {profile} {args...} --message-format=json-render-diagnostics"
        )
    }

    /// Builds `bins`; the path of each built executable, by binary name.
    pub fn run(
        &self,
        session: &mut Session,
        bins: &[Bin],
        auditable: bool,
    ) -> Result<BTreeMap<String, PathBuf>> {
        let sh = session.shell();
        let finished = session.run(self.command(&sh, bins, auditable), Capture::Stdout)?;
        if !finished.success() {
            return Err(UsageError::new(format!(
                "the release build failed (profile `{}`)",
                self.profile
            ))
            .hint("fix the errors above; `release --resume` then picks up from here")
            .into());
        }
        let mut built = BTreeMap::new();
        for message in Message::parse_stream(finished.stdout.as_bytes()).flatten() {
            if let Message::CompilerArtifact(artifact) = message
                && let Some(executable) = artifact.executable
                && artifact.target.is_bin()
            {
                built.insert(artifact.target.name.clone(), executable.into_std_path_buf());
            }
        }
        Ok(built)
    }
}

/// The host's target triple, from `rustc -vV`.
pub fn host_target(session: &mut Session) -> Result<String> {
    let sh = session.shell();
    let finished = session.run(cmd!(sh, "rustc -vV"), Capture::Everything)?;
    finished
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("`rustc -vV` named no host target"))
}

/// The files that go beside a binary: README and licence files of its package, else of the
/// workspace root.
pub fn companions(package_dir: &Path, root: &Path) -> Vec<PathBuf> {
    let pick = |dir: &Path| -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .filter(|p| {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().to_ascii_uppercase())
                    .unwrap_or_default();
                name.starts_with("README")
                    || name.starts_with("LICENSE")
                    || name.starts_with("LICENCE")
                    || name.starts_with("COPYING")
            })
            .collect();
        found.sort();
        found
    };
    let own = pick(package_dir);
    if own.is_empty() { pick(root) } else { own }
}

pub use windlass_archive::{already_made, checksums, pack, stem};
