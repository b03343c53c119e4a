//! windlass's git hook.
//!
//! - [`install::InstallHooks`]: writes `.git/hooks/pre-commit` (honouring `core.hooksPath`
//!   and worktrees), never over a hook it did not write unless forced, and can take itself out;
//! - `pre-commit`: checks exactly what is staged — the index, not the work tree — so a commit
//!   is judged by what it will contain: formatting of staged Rust files ([`fmt::StagedFmt`]),
//!   secrets in the lines it adds ([`secrets::StagedSecrets`]), and large files, conflict
//!   markers and `.env`-style files ([`files::StagedFiles`]). Its cost follows the size of the
//!   commit, not of the repository.

pub mod files;
pub mod fmt;
pub mod install;
pub mod secrets;
pub mod staged;
pub mod tasks;

use anyhow::Result;
use serde::Deserialize;
use windlass_core::pipeline::Selection;
use windlass_core::{Session, Severity, Step};

/// The variable that skips pre-commit steps, visibly: `WINDLASS_SKIP=secrets,fmt`.
pub const SKIP_VARIABLE: &str = "WINDLASS_SKIP";

/// `[workspace.metadata.windlass.pre-commit]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PreCommitConfig {
    /// Largest file a commit may add (`1000KB` by default; `B`, `KB`, `MB`, binary units as
    /// pre-commit's `check-added-large-files` counts them).
    pub max_file_size: Option<windlass_core::units::Size>,
    /// More steps to run, by their `ci` names (e.g. `["lint"]`): off by default, to keep the
    /// hook fast.
    #[serde(default)]
    pub extra_steps: Vec<String>,
}

impl PreCommitConfig {
    /// The size limit in bytes.
    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_size.map_or(1000 * 1024, |size| size.bytes())
    }
}

/// The built-in pre-commit steps, and the selection that `WINDLASS_SKIP` makes of them (and
/// of `extra`, the configured extra steps). A bypass is never silent: it is said as a warning.
pub fn pre_commit_steps(
    session: &mut Session,
    config: &PreCommitConfig,
    fmt: windlass_checks::fmt::FmtConfig,
    secrets: windlass_secrets::exclude::SecretsConfig,
    extra: Vec<Box<dyn Step>>,
) -> Result<(Vec<Box<dyn Step>>, Selection)> {
    let mut steps: Vec<Box<dyn Step>> = vec![
        Box::new(fmt::StagedFmt { config: fmt }),
        Box::new(secrets::StagedSecrets { config: secrets }),
        Box::new(files::StagedFiles {
            max_bytes: config.max_file_bytes(),
        }),
    ];
    steps.extend(extra);
    let skip: Vec<String> = std::env::var(SKIP_VARIABLE)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if !skip.is_empty() {
        session.message(
            Severity::Warning,
            format!(
                "{SKIP_VARIABLE}={} : these checks are skipped for this commit",
                skip.join(",")
            ),
        );
    }
    let selection = Selection {
        keep_going: true,
        skip,
        only: Vec::new(),
        skipped_by: Some(SKIP_VARIABLE.into()),
    };
    Ok((steps, selection))
}
