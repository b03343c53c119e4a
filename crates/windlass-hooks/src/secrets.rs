//! `secrets` in the hook: the lines the commit adds, scanned for credentials.

use crate::staged;
use anyhow::Result;
use windlass_core::Plan;
use windlass_core::{Session, Step, StepOutcome, UsageError, Workspace};
use windlass_secrets::exclude::{self, SecretsConfig};
use windlass_secrets::ignore::{self, IGNORE_FILE};

/// The name of the step.
pub const NAME: &str = "secrets";

/// Secrets in the staged additions.
#[derive(Debug, Clone, Default)]
pub struct StagedSecrets {
    /// What is never scanned (`[workspace.metadata.windlass.secrets]`).
    pub config: SecretsConfig,
}

impl Step for StagedSecrets {
    fn name(&self) -> &str {
        NAME
    }

    fn plan(&self, _ws: &Workspace, _session: &mut Session) -> Result<Plan> {
        Ok(Plan::describe("scan the lines the commit adds for secrets"))
    }

    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        let root = ws.repo_root.clone();
        let staged = staged::files(session, &root)?;
        let (added, any_diff) = staged::added_lines(session, &root)?;
        if !staged.is_empty() && !any_diff {
            // Files are staged, yet git showed nothing: never pass a commit unscanned.
            return Err(UsageError::new(format!(
                "{} files are staged but git showed no changes to scan",
                staged.len()
            ))
            .hint("check `git diff --cached`; bypass deliberately with WINDLASS_SKIP=secrets")
            .into());
        }
        let mut findings = windlass_secrets::diff::scan(&added);
        let left_out = exclude::drop_findings(session, &root, &self.config, &mut findings)?;
        exclude::report(session, &left_out);
        // Waived fingerprints do not block a commit; their dates are `ci`'s to enforce.
        let waivers =
            windlass_core::waivers::Waivers::load(ws)?.owned_by(windlass_secrets::is_fingerprint);
        let waived = windlass_secrets::waive(&mut findings, &waivers);
        if !waived.is_empty() {
            session.message(
                windlass_core::Severity::Notice,
                format!(
                    "{} finding(s) waived in [[workspace.metadata.windlass.waivers]]",
                    waived.len()
                ),
            );
        }
        let reviewed = ignore::apply(&mut findings, &ignore::load(&root));
        for finding in &findings {
            session.diagnostic(finding.to_diagnostic(NAME));
        }
        let lines: usize = added.iter().map(|a| a.lines.len()).sum();
        let mut summary = format!(
            "{} in {lines} added lines of {} files",
            plural(findings.len()),
            staged.len()
        );
        if reviewed > 0 {
            summary.push_str(&format!(" ({reviewed} reviewed in {IGNORE_FILE})"));
        }
        if findings.is_empty() {
            Ok(StepOutcome::passed(summary))
        } else {
            Ok(StepOutcome::failed(
                summary,
                "unstage the secret (git restore --staged FILE) and rotate it; for a false positive add `windlass:allow-secret` on the line",
            ))
        }
    }
}

fn plural(n: usize) -> String {
    format!("{n} possible {}", if n == 1 { "secret" } else { "secrets" })
}
