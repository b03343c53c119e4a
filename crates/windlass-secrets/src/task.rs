//! The `secrets` step: the whole tree, the commits since a revision, or all of history.

use crate::exclude::{self, SecretsConfig};
use crate::ignore::{self, IGNORE_FILE};
use crate::{Finding, diff, files, sarif};
use anyhow::Result;
use std::path::PathBuf;
use windlass_core::Plan;
use windlass_core::runner::Capture;
use windlass_core::task::{InCi, Task};
use windlass_core::waivers::Waivers;
use windlass_core::{CiJob, JobStep, Session, Step, StepOutcome, UsageError, Workspace};

/// The name of the step.
pub const NAME: &str = "secrets";

/// What to scan.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Scope {
    /// Every file of the tree.
    #[default]
    Tree,
    /// The lines added by the commits after `REV` (a pull request's commits: `--since origin/main`).
    Since(String),
    /// The lines added by every commit of every branch.
    History,
}

/// The `secrets` step.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    /// What to scan.
    pub scope: Scope,
    /// Also write a SARIF log here.
    pub sarif: Option<PathBuf>,
    /// What is never scanned.
    pub config: SecretsConfig,
}

impl Secrets {
    fn git_log(&self, rev_range: Option<&str>) -> Vec<String> {
        let mut args: Vec<String> = [
            "-c",
            "core.quotePath=false",
            "log",
            "-p",
            "-U0",
            "--no-color",
            "--no-ext-diff",
            "--no-renames",
            "--format=commit %H",
        ]
        .map(String::from)
        .into();
        match rev_range {
            Some(range) => {
                args.push("--end-of-options".into());
                args.push(range.to_string());
            }
            None => args.push("--all".into()),
        }
        args
    }
}

impl Step for Secrets {
    fn name(&self) -> &str {
        NAME
    }

    fn plan(&self, ws: &Workspace, _session: &mut Session) -> Result<Plan> {
        let root = ws.display_path(&ws.repo_root);
        let root = if root.is_empty() {
            ".".to_string()
        } else {
            root
        };
        Ok(Plan::describe(match &self.scope {
            Scope::Tree => format!("scan every file of {root} for secrets"),
            Scope::Since(rev) => format!("scan the lines added since {rev} for secrets"),
            Scope::History => "scan the lines every commit added for secrets".to_string(),
        }))
    }

    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        let root = ws.repo_root.clone();
        let mut left_out = Vec::new();
        let mut skipped = Vec::new();
        let (mut findings, what) = match &self.scope {
            Scope::Tree => {
                let list = files::list(session, &root)?;
                let (list, excluded) = exclude::partition(session, &root, &self.config, list)?;
                left_out = excluded;
                let scanned = files::scan(&root, &list, self.config.max_file_bytes());
                skipped = scanned.skipped;
                (scanned.findings, format!("{} files", scanned.files))
            }
            Scope::Since(rev) => {
                // Resolved to a hash first: the user's text never reaches git as an argument.
                let base = windlass_core::revision::resolve(session, &root, rev, "--since")?;
                let range = format!("{base}..HEAD");
                scan_log(
                    session,
                    &root,
                    self.git_log(Some(&range)),
                    &format!("commits since {rev}"),
                )?
            }
            Scope::History => scan_log(session, &root, self.git_log(None), "all commits")?,
        };
        if !matches!(self.scope, Scope::Tree) {
            left_out = exclude::drop_findings(session, &root, &self.config, &mut findings)?;
        }
        exclude::report(session, &left_out);
        report_skipped(session, &skipped, self.config.max_file_bytes());
        let ignored = ignore::apply(&mut findings, &ignore::load(&root));
        let waivers = Waivers::load(ws)?.owned_by(crate::is_fingerprint);
        let waived = crate::waive(&mut findings, &waivers);
        if let Some(path) = &self.sarif {
            write_sarif(path, &findings)?;
        }
        for (finding, waiver) in &waived {
            let mut d = finding.to_diagnostic(NAME);
            d.severity = windlass_core::Severity::Notice;
            d.message = format!("{}\n{}", waiver.describe(), d.message);
            session.diagnostic(d);
        }
        for finding in &findings {
            session.diagnostic(finding.to_diagnostic(NAME));
        }
        let expired = waivers.report(session, NAME, false);
        let mut summary = format!("{} in {what}", count(findings.len()));
        if ignored > 0 {
            summary.push_str(&format!(" ({ignored} reviewed in {IGNORE_FILE})"));
        }
        if !left_out.is_empty() {
            summary.push_str(&format!(
                "; {} vendored or generated left out",
                left_out.len()
            ));
        }
        if !skipped.is_empty() {
            summary.push_str(&format!("; {} not read (listed above)", skipped.len()));
        }
        if !waived.is_empty() {
            summary.push_str(&format!("; {} waived", waived.len()));
        }
        if expired > 0 {
            summary.push_str(&format!("; {expired} expired waiver(s)"));
        }
        if findings.is_empty() && expired == 0 {
            Ok(StepOutcome::passed(summary))
        } else {
            Ok(StepOutcome::failed(
                summary,
                format!(
                    "remove and rotate each secret; mark false positives with `windlass:allow-secret` or {IGNORE_FILE}"
                ),
            ))
        }
    }
}

/// Every file the scan could not read, grouped by why: a secret in one of them would pass
/// unseen, so none is skipped silently.
fn report_skipped(session: &mut Session, skipped: &[(PathBuf, files::Skip)], max_bytes: u64) {
    let mut reasons: Vec<&str> = skipped.iter().map(|(_, why)| why.reason()).collect();
    reasons.sort_unstable();
    reasons.dedup();
    for reason in reasons {
        let paths: Vec<String> = skipped
            .iter()
            .filter(|(_, why)| why.reason() == reason)
            .map(|(path, why)| {
                let shown = path.to_string_lossy().replace('\\', "/");
                match why {
                    files::Skip::TooLarge(size) => format!("{shown} ({size} bytes)"),
                    files::Skip::Unreadable(e) => format!("{shown} ({e})"),
                    files::Skip::OutsideRoot(to) => format!("{shown} (to {})", to.display()),
                    files::Skip::Binary => shown,
                }
            })
            .collect();
        let (severity, fix) = match reason {
            "binary" => (windlass_core::Severity::Notice, String::new()),
            "larger than the limit" => (
                windlass_core::Severity::Warning,
                format!(
                    " (the limit is {max_bytes} bytes; `max-file-size` in [workspace.metadata.windlass.secrets] raises it)"
                ),
            ),
            _ => (windlass_core::Severity::Warning, String::new()),
        };
        const SHOWN: usize = 20;
        let more = paths.len().saturating_sub(SHOWN);
        let mut list = paths.into_iter().take(SHOWN).collect::<Vec<_>>().join(", ");
        if more > 0 {
            list.push_str(&format!(" and {more} more"));
        }
        session.message(severity, format!("not read, {reason}{fix}: {list}"));
    }
}

fn count(n: usize) -> String {
    format!("{n} possible {}", if n == 1 { "secret" } else { "secrets" })
}

fn scan_log(
    session: &mut Session,
    root: &std::path::Path,
    args: Vec<String>,
    what: &str,
) -> Result<(Vec<Finding>, String)> {
    if !root.join(".git").exists() {
        return Err(
            UsageError::new(format!("{} is not a git repository", root.display()))
                .hint("scan the files instead with `secrets --all`")
                .into(),
        );
    }
    let sh = session.shell();
    let cmd = sh.cmd("git").arg("-C").arg(root).args(args);
    let finished = session.run(cmd, Capture::Everything)?;
    if !finished.success() {
        return Err(UsageError::new(format!(
            "git could not list {what}: {}",
            finished.stderr.trim()
        ))
        .hint("check the revision (e.g. `--since origin/main` needs that branch fetched)")
        .into());
    }
    let added = diff::parse(&finished.stdout);
    let commits: std::collections::HashSet<_> =
        added.iter().filter_map(|a| a.commit.as_ref()).collect();
    Ok((
        diff::scan(&added),
        format!("{} commits ({what})", commits.len()),
    ))
}

fn write_sarif(path: &std::path::Path, findings: &[Finding]) -> Result<()> {
    let text = serde_json::to_string_pretty(&sarif::log(findings))?;
    windlass_core::files::write_named(path, text.as_bytes())
}

/// `secrets`'s command line.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SecretsArgs {
    /// Scan every file of the tree (the default).
    #[arg(long, conflicts_with_all = ["since", "history"])]
    pub all: bool,
    /// Scan the lines added by the commits after REV (a pull request: `--since origin/main`).
    #[arg(long, value_name = "REV", conflicts_with = "history")]
    pub since: Option<String>,
    /// Scan the lines added by every commit of every branch.
    #[arg(long)]
    pub history: bool,
    /// Also write the findings as SARIF, for GitHub code scanning.
    #[arg(long, value_name = "PATH")]
    pub sarif: Option<PathBuf>,
}

impl SecretsArgs {
    /// The step these arguments make.
    pub fn step(&self, config: &SecretsConfig) -> Secrets {
        Secrets {
            scope: match (&self.since, self.history) {
                (Some(rev), _) => Scope::Since(rev.clone()),
                (None, true) => Scope::History,
                (None, false) => Scope::Tree,
            },
            sarif: self.sarif.clone(),
            config: config.clone(),
        }
    }
}

/// `secrets`: credentials in the tree, a pull request's commits, or all history.
pub struct SecretsTask;

impl Task for SecretsTask {
    type Args = SecretsArgs;
    type Config = SecretsConfig;

    fn name(&self) -> &str {
        NAME
    }

    fn about(&self) -> &str {
        "Scan for secrets: every file of the tree, the commits since a revision, or all history."
    }

    fn ci(&self) -> InCi {
        InCi::Default
    }

    fn needs_workspace(&self, _: &SecretsArgs) -> bool {
        false
    }

    fn plan(
        &self,
        args: &SecretsArgs,
        config: &SecretsConfig,
        ws: &Workspace,
        session: &mut Session,
    ) -> Result<Plan> {
        args.step(config).plan(ws, session)
    }

    fn run(
        &self,
        args: &SecretsArgs,
        config: &SecretsConfig,
        ws: &Workspace,
        session: &mut Session,
    ) -> Result<StepOutcome> {
        args.step(config).run(ws, session)
    }

    /// A pull request's commits (the history is checked out for them), else the tree.
    fn ci_job(&self, _: &SecretsConfig, _: &Workspace) -> Result<CiJob> {
        Ok(CiJob {
            full_history: true,
            covered_by: ["gitleaks", "trufflehog", "detect-secrets"]
                .map(String::from)
                .into(),
            steps: vec![
                JobStep::Run {
                    name: "cargo xtask secrets (the pull request's commits)".into(),
                    condition: Some("github.event_name == 'pull_request'".into()),
                    env: vec![("BASE_REF".into(), "${{ github.base_ref }}".into())],
                    run: "cargo xtask secrets --since \"origin/$BASE_REF\"".into(),
                },
                JobStep::Run {
                    name: "cargo xtask secrets".into(),
                    condition: Some("github.event_name != 'pull_request'".into()),
                    env: Vec::new(),
                    run: "cargo xtask secrets --all".into(),
                },
            ],
            ..CiJob::runs(Vec::<String>::new()).without_build()
        })
    }

    /// Every commit of every branch, daily, the findings kept as SARIF.
    fn scheduled_job(&self) -> Option<CiJob> {
        Some(CiJob {
            title: Some("secrets (all history)".into()),
            full_history: true,
            steps: vec![
                JobStep::Run {
                    name: "cargo xtask secrets --history".into(),
                    condition: None,
                    env: Vec::new(),
                    run: "cargo xtask secrets --history --sarif secrets.sarif".into(),
                },
                JobStep::KeepFile {
                    name: "Keep the findings".into(),
                    artifact: "secrets-sarif".into(),
                    path: "secrets.sarif".into(),
                },
            ],
            ..CiJob::runs(Vec::<String>::new()).without_build()
        })
    }
}
