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

use anyhow::Result;
use serde::Deserialize;
use windlass_core::pipeline::Selection;
use windlass_core::{Session, Severity, Step, UsageError};

/// The steps of `pre-commit`, in order.
pub const PRE_COMMIT_STEPS: &[&str] = &[fmt::NAME, secrets::NAME, files::NAME];

/// The variable that skips pre-commit steps, visibly: `WINDLASS_SKIP=secrets,fmt`.
pub const SKIP_VARIABLE: &str = "WINDLASS_SKIP";

/// `[workspace.metadata.windlass.pre-commit]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PreCommitConfig {
    /// Largest file a commit may add (`1000KB` by default; `B`, `KB`, `MB`).
    pub max_file_size: Option<String>,
    /// More steps to run, by their `ci` names (e.g. `["lint"]`): off by default, to keep the
    /// hook fast.
    #[serde(default)]
    pub extra_steps: Vec<String>,
}

impl PreCommitConfig {
    /// The size limit in bytes.
    pub fn max_file_bytes(&self) -> Result<u64> {
        let Some(text) = &self.max_file_size else {
            return Ok(1000 * 1024);
        };
        parse_size(text).ok_or_else(|| {
            UsageError::new(format!(
                "invalid max-file-size `{text}` in [workspace.metadata.windlass.pre-commit]"
            ))
            .hint("write a number with a unit: 500KB, 2MB")
            .into()
        })
    }
}

/// `500KB`, `2MB`, `123B` or a plain number of bytes (KB and MB are binary, as pre-commit's
/// `check-added-large-files` counts them).
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let n: u64 = text[..split].parse().ok()?;
    let factor = match text[split..].trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "KB" | "K" | "KIB" => 1024,
        "MB" | "M" | "MIB" => 1024 * 1024,
        _ => return None,
    };
    n.checked_mul(factor)
}

/// The built-in pre-commit steps, and the selection that `WINDLASS_SKIP` makes of them (and
/// of `extra`, the configured extra steps). A bypass is never silent: it is said as a warning.
pub fn pre_commit_steps(
    session: &mut Session,
    config: &PreCommitConfig,
    extra: Vec<Box<dyn Step>>,
) -> Result<(Vec<Box<dyn Step>>, Selection)> {
    let mut steps: Vec<Box<dyn Step>> = vec![
        Box::new(fmt::StagedFmt),
        Box::new(secrets::StagedSecrets),
        Box::new(files::StagedFiles {
            max_bytes: config.max_file_bytes()?,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("1000KB"), Some(1_024_000));
        assert_eq!(parse_size("2MB"), Some(2 * 1024 * 1024));
        assert_eq!(parse_size("12"), Some(12));
        assert_eq!(parse_size("1GB"), None);
    }
}
