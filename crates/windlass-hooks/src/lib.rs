//! windlass's git hook.
//!
//! - [`install::InstallHooks`]: writes `.git/hooks/pre-commit` (honouring `core.hooksPath`
//!   and worktrees), never over a hook it did not write unless forced, and can take itself out;
//! - `pre-commit`: checks exactly what is staged — the index, not the work tree — so a commit
//!   is judged by what it will contain: formatting of staged Rust files ([`fmt::StagedFmt`]),
//!   secrets in the lines it adds ([`secrets::StagedSecrets`]), and large files, conflict
//!   markers and `.env`-style files ([`files::StagedFiles`]). Its cost follows the size of the
//!   commit, not of the repository.

pub mod codes;
pub mod files;
pub mod fmt;
pub mod fresh;
pub mod install;
pub mod secrets;
pub mod staged;
pub mod task;

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::process::Command;
    use windlass_core::testing::detached;

    /// A git repository in a temp dir, with `files` staged.
    fn staged(files: &[(&str, &[u8])]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| {
            let out = Command::new("git")
                .args(args)
                .current_dir(dir.path())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        git(&["init", "--quiet"]);
        for (path, bytes) in files {
            let full = dir.path().join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, bytes).unwrap();
            git(&["add", path]);
        }
        dir
    }

    fn run(
        step: &dyn Step,
        dir: &Path,
    ) -> (windlass_core::StepOutcome, windlass_core::testing::Recorded) {
        let (ws, mut session, recorded) = detached(dir);
        (step.run(&ws, &mut session).unwrap(), recorded)
    }

    #[test]
    fn an_unformatted_staged_file_fails_at_its_first_changed_line() {
        let dir = staged(&[("src/lib.rs", b"pub fn add(a: u32, b: u32) -> u32 { a+b }\n")]);
        let (outcome, recorded) = run(&fmt::StagedFmt::default(), dir.path());
        assert!(!outcome.passed, "{outcome:?}");
        let d = &recorded.diagnostics()[0];
        assert_eq!((d.file.as_deref(), d.line), (Some("src/lib.rs"), Some(1)));
        assert_eq!(d.code, "fmt/not-formatted");
    }

    #[test]
    fn what_is_staged_is_judged_not_the_work_tree() {
        let dir = staged(&[(
            "src/lib.rs",
            b"pub fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n",
        )]);
        // Unformatted in the work tree only: the commit is fine.
        std::fs::write(dir.path().join("src/lib.rs"), "fn  x( ){}\n").unwrap();
        let (outcome, _) = run(&fmt::StagedFmt::default(), dir.path());
        assert!(outcome.passed, "{outcome:?}");
    }

    #[test]
    fn a_secret_in_an_added_line_and_a_key_file_are_refused() {
        let key = b"token = \"ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\"\n"; // windlass:allow-secret
        let dir = staged(&[("config.toml", key), ("deploy/id_ed25519", b"-\n")]);
        let (outcome, recorded) = run(
            &secrets::StagedSecrets {
                config: Default::default(),
            },
            dir.path(),
        );
        assert!(!outcome.passed);
        assert_eq!(
            recorded.diagnostics()[0].file.as_deref(),
            Some("config.toml")
        );
        let (outcome, recorded) = run(&files::StagedFiles { max_bytes: 1 << 20 }, dir.path());
        assert!(!outcome.passed);
        assert!(
            recorded
                .diagnostics()
                .iter()
                .any(|d| d.file.as_deref() == Some("deploy/id_ed25519")),
            "{:?}",
            recorded.diagnostics()
        );
    }

    #[test]
    fn a_file_over_the_limit_is_refused_with_its_size() {
        let dir = staged(&[("big.bin", &[b'x'; 2048])]);
        let (outcome, recorded) = run(&files::StagedFiles { max_bytes: 1024 }, dir.path());
        assert!(!outcome.passed);
        let d = &recorded.diagnostics()[0];
        assert!(
            d.message
                .starts_with("big.bin is 2 KB, over the 1 KB limit"),
            "{d:?}"
        );
        assert_eq!(d.code, "files/large-file");
    }
}
