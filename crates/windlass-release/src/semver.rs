//! `semver`: the public API compared with the last release's, through cargo-semver-checks —
//! an item removed, a signature changed, a trait made unimplementable — each a finding at the
//! file and line it was at, judged against the bump the release makes.
//!
//! `release` runs the same check before it changes anything (the `semver-checks` key of
//! `[workspace.metadata.windlass.release]`: `true` requires it, `false` never; unset, when
//! cargo-semver-checks is installed), so that a breaking change under a patch bump is refused
//! rather than published.

use crate::config::ReleaseConfig;
use anyhow::Result;
use cargo_metadata::semver::Version;
use windlass_core::error::ErrorKind;
use windlass_core::event::{Diagnostic, Severity};
use windlass_core::task::{InCi, Task};
use windlass_core::{CiJob, Plan, Session, StepOutcome, UsageError, Workspace};

/// The name of the task.
pub const NAME: &str = "semver";

/// How cargo-semver-checks is installed.
pub const INSTALL: &str = "cargo install cargo-semver-checks --locked";

/// The change a release makes, as cargo-semver-checks judges what it allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReleaseType {
    /// Anything may break.
    Major,
    /// Additions only.
    Minor,
    /// Neither.
    Patch,
}

impl ReleaseType {
    fn as_str(self) -> &'static str {
        match self {
            ReleaseType::Major => "major",
            ReleaseType::Minor => "minor",
            ReleaseType::Patch => "patch",
        }
    }

    /// What going from `old` to `new` allows under Cargo's rules, where the first non-zero
    /// number is the major one: 0.3.1 → 0.4.0 may break, 0.3.1 → 0.3.2 may add.
    pub fn between(old: &Version, new: &Version) -> Self {
        if new.major != old.major {
            return ReleaseType::Major;
        }
        if old.major == 0 {
            if new.minor != old.minor || old.minor == 0 && new.patch != old.patch {
                return ReleaseType::Major;
            }
            return if new.patch != old.patch {
                ReleaseType::Minor
            } else {
                ReleaseType::Patch
            };
        }
        if new.minor != old.minor {
            ReleaseType::Minor
        } else {
            ReleaseType::Patch
        }
    }
}

/// `semver`'s command line.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SemverArgs {
    /// The revision to compare with (default: the last release tag reachable from HEAD).
    #[arg(long, value_name = "REV")]
    pub baseline_rev: Option<String>,
    /// The release the changes are for (default: derived from the manifests' versions; an
    /// unchanged version is taken as a patch).
    #[arg(long, value_enum)]
    pub release_type: Option<ReleaseType>,
}

/// What a comparison found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing the release type forbids.
    Compatible,
    /// Changes the release type forbids: cargo-semver-checks' summary.
    Breaking(String),
    /// No member has a library: no public API to compare.
    NoLibrary,
}

/// Whether cargo-semver-checks is installed.
pub fn installed() -> bool {
    windlass_core::tool::on_path("cargo-semver-checks").is_some()
}

/// Compares the workspace's library crates with `baseline`, reporting each violation as a
/// diagnostic of `step`.
pub fn check(
    ws: &Workspace,
    session: &mut Session,
    step: &str,
    baseline: &str,
    release_type: Option<ReleaseType>,
) -> Result<Verdict> {
    check_scope(ws, session, step, baseline, release_type, None)
}

/// [`check`] of one member (`package`), or of the workspace.
// Long: cargo-semver-checks' run, its output parsed, and its verdict against the bump, over one
// baseline checkout.
fn check_scope(
    ws: &Workspace,
    session: &mut Session,
    step: &str,
    baseline: &str,
    release_type: Option<ReleaseType>,
    package: Option<&str>,
) -> Result<Verdict> {
    if windlass_core::revision::is_unsafe(baseline) {
        return Err(windlass_core::UsageError::new(format!(
            "`{}` is not a revision to compare with",
            windlass_core::sanitize::terminal(baseline, false)
        ))
        .hint("name a tag, branch or commit: `--baseline-rev v1.2.0`")
        .into());
    }
    if !installed() {
        return Err(windlass_core::tool::missing("cargo-semver-checks", INSTALL)
            .kind(ErrorKind::ToolMissing)
            .into());
    }
    // cargo-semver-checks compares libraries that are published: a service's binaries have
    // no API to break.
    let has_library = ws
        .members(session)?
        .iter()
        .filter(|p| package.is_none_or(|n| p.name.as_str() == n))
        .any(|p| {
            let published = p
                .publish
                .as_ref()
                .is_none_or(|registries| !registries.is_empty());
            published
                && p.targets
                    .iter()
                    .any(|t| t.is_lib() || t.is_rlib() || t.is_proc_macro())
        });
    if !has_library {
        return Ok(Verdict::NoLibrary);
    }
    let sh = session.shell();
    let mut cmd = sh
        .cmd("cargo")
        .args(["semver-checks", "check-release", "--color", "never"])
        .args(match package {
            Some(name) => vec!["--package", name],
            None => vec!["--workspace"],
        })
        // One argument: a baseline can never be read as another option.
        .arg(format!("--baseline-rev={baseline}"))
        .env("RUSTUP_AUTO_INSTALL", "0")
        .env("RUST_BACKTRACE", "0");
    if let Some(level) = release_type {
        cmd = cmd.args(["--release-type", level.as_str()]);
    }
    let finished = session.run_quiet(cmd)?;
    let failures = failures(&finished.stdout);
    for failure in &failures {
        let mut diagnostic = Diagnostic::new(
            step,
            Severity::Error,
            crate::codes::SEMVER_LINT.member(failure.lint.as_str()),
            format!("{}: {}", failure.title, failure.item),
        );
        if let Some((file, line)) = &failure.location {
            let path = std::path::Path::new(file);
            let shown = if path.is_absolute() {
                ws.display_path(path)
            } else {
                file.clone()
            };
            diagnostic = diagnostic.at(shown, Some(*line), None);
        }
        session.diagnostic(diagnostic);
    }
    let summary = finished
        .stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("Summary "))
        .unwrap_or("")
        .to_string();
    if finished.success() {
        return Ok(Verdict::Compatible);
    }
    if finished
        .stderr
        .contains("no crates with library targets selected")
    {
        return Ok(Verdict::NoLibrary);
    }
    if !failures.is_empty() {
        return Ok(Verdict::Breaking(if summary.is_empty() {
            format!("{} semver violation(s)", failures.len())
        } else {
            summary
        }));
    }
    let why = finished
        .stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .or_else(|| finished.stderr.lines().rfind(|l| !l.trim().is_empty()))
        .unwrap_or("no output")
        .trim()
        .to_string();
    Err(UsageError::new(format!(
        "cargo semver-checks could not compare with {baseline}: {why}"
    ))
    .hint(format!(
        "check that `{baseline}` is a revision that builds (`git show {baseline}`), and that the history is fetched"
    ))
    .into())
}

/// One violation cargo-semver-checks printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The lint (`function_missing`).
    pub lint: String,
    /// What it means (`pub fn removed or renamed`).
    pub title: String,
    /// The item (`function svfix::removed`).
    pub item: String,
    /// Where the item is (or was), relative to the crate's root.
    pub location: Option<(String, u32)>,
}

/// The violations of cargo-semver-checks' report: each `--- failure LINT: TITLE ---` block
/// with its `Failed in:` items.
pub fn failures(report: &str) -> Vec<Failure> {
    let mut found = Vec::new();
    let mut current: Option<(String, String)> = None;
    let mut in_items = false;
    for line in report.lines() {
        if let Some(header) = line
            .strip_prefix("--- failure ")
            .and_then(|h| h.strip_suffix(" ---"))
        {
            let (lint, title) = header.split_once(": ").unwrap_or((header, ""));
            current = Some((lint.to_string(), title.to_string()));
            in_items = false;
            continue;
        }
        if line.trim() == "Failed in:" {
            in_items = true;
            continue;
        }
        let Some((lint, title)) = &current else {
            continue;
        };
        if !in_items || !line.starts_with("  ") || line.trim().is_empty() {
            if line.trim().is_empty() {
                in_items = false;
            }
            continue;
        }
        let item_line = line.trim();
        let (item, location) = match item_line.rsplit_once(" in file ") {
            Some((item, place)) => (
                item.trim_end_matches(", previously")
                    .trim_end_matches(',')
                    .to_string(),
                location(place),
            ),
            None => (item_line.to_string(), None),
        };
        found.push(Failure {
            lint: lint.clone(),
            title: title.clone(),
            item,
            location,
        });
    }
    found
}

/// `src/lib.rs:2` of `/w/target/semver-checks/git-v1_0_0/<sha>/src/lib.rs:2` (the baseline's
/// checkout) or of `/w/src/lib.rs:2`.
fn location(place: &str) -> Option<(String, u32)> {
    let (file, line) = place.trim().rsplit_once(':')?;
    let line: u32 = line.parse().ok()?;
    let file = file.replace('\\', "/");
    let relative = match file.find("/target/semver-checks/") {
        Some(at) => {
            let rest = &file[at + "/target/semver-checks/".len()..];
            // git-<rev>/<commit>/<path>
            rest.splitn(3, '/').nth(2).unwrap_or(rest).to_string()
        }
        None => file,
    };
    Some((relative, line))
}

/// The last release tag reachable from HEAD, else the last tag of any name.
fn last_tag(session: &mut Session, config: &ReleaseConfig) -> Result<Option<String>> {
    let current = Version::new(u64::MAX, 0, 0);
    let tags = crate::git::merged_tags(session, config.tag_prefix())?;
    let best = tags
        .into_iter()
        .filter_map(|tag| {
            let version = Version::parse(config.version_of_tag(&tag)?).ok()?;
            (version <= current).then_some((version, tag))
        })
        .max()
        .map(|(_, tag)| tag);
    Ok(best)
}

/// Each member's newest tag of its own (`NAME-vVERSION` or `NAME-VERSION`) reachable from
/// HEAD, for workspaces that release their crates one by one.
fn package_tags(ws: &Workspace, session: &mut Session) -> Result<Vec<(Option<String>, String)>> {
    let names: Vec<String> = ws
        .members(session)?
        .iter()
        .map(|p| p.name.to_string())
        .collect();
    let mut found = Vec::new();
    for name in names {
        let tags = crate::git::merged_tags(session, &format!("{name}-"))?;
        let newest = tags
            .into_iter()
            .filter_map(|tag| {
                let rest = tag.strip_prefix(&format!("{name}-"))?;
                let version = Version::parse(rest.strip_prefix('v').unwrap_or(rest)).ok()?;
                Some((version, tag))
            })
            .max()
            .map(|(_, tag)| tag);
        if let Some(tag) = newest {
            found.push((Some(name), tag));
        }
    }
    Ok(found)
}

/// `semver`: the API against the last release.
pub struct SemverTask;

impl Task for SemverTask {
    type Args = SemverArgs;
    type Config = ReleaseConfig;

    fn name(&self) -> &str {
        NAME
    }

    fn watches(&self) -> windlass_core::Watched {
        windlass_core::Watched::Rust
    }

    fn about(&self) -> &str {
        "Compare the public API with the last release (cargo-semver-checks): breaking changes need a major bump."
    }

    fn ci(&self) -> InCi {
        InCi::OptIn
    }

    fn section(&self) -> &str {
        crate::task::NAME
    }

    fn plan(
        &self,
        args: &SemverArgs,
        _: &ReleaseConfig,
        _: &Workspace,
        _: &mut Session,
    ) -> Result<Plan> {
        Ok(Plan::describe(format!(
            "cargo semver-checks check-release --workspace --baseline-rev {}",
            args.baseline_rev
                .as_deref()
                .unwrap_or("<the last release tag>")
        )))
    }

    fn run(
        &self,
        args: &SemverArgs,
        config: &ReleaseConfig,
        ws: &Workspace,
        session: &mut Session,
    ) -> Result<StepOutcome> {
        let baselines: Vec<(Option<String>, String)> = match &args.baseline_rev {
            Some(rev) => vec![(None, rev.clone())],
            None => match last_tag(session, config)? {
                Some(tag) => vec![(None, tag)],
                // Crates released one by one (`console-api-v0.8.1`): each against its own.
                None => package_tags(ws, session)?,
            },
        };
        if baselines.is_empty() {
            return Ok(StepOutcome::passed(format!(
                "no release tag ({}, or a member's NAME-vVERSION) reachable from HEAD: nothing to compare with yet",
                config.tag
            )));
        }
        let (mut compatible, mut breaking, mut libraries) = (Vec::new(), Vec::new(), 0);
        for (package, baseline) in &baselines {
            match check_scope(
                ws,
                session,
                NAME,
                baseline,
                args.release_type,
                package.as_deref(),
            )? {
                Verdict::Compatible => {
                    libraries += 1;
                    compatible.push(baseline.clone());
                }
                Verdict::Breaking(summary) => {
                    libraries += 1;
                    breaking.push(format!("against {baseline}: {summary}"));
                }
                Verdict::NoLibrary => {}
            }
        }
        if libraries == 0 {
            return Ok(StepOutcome::passed(
                "no member has a published library: no public API to compare",
            ));
        }
        if breaking.is_empty() {
            return Ok(StepOutcome::passed(format!(
                "the public API is compatible with {}",
                compatible.join(", ")
            )));
        }
        Ok(StepOutcome::failed(
            breaking.join("; "),
            "restore what was removed or changed, or release it as the major version it is",
        ))
    }

    /// It compares with a tag, so the job fetches the history.
    fn ci_job(&self, _: &ReleaseConfig, _: &Workspace) -> Result<CiJob> {
        let mut job = CiJob::runs([format!("cargo xtask {NAME}")]);
        job.full_history = true;
        job.tools = vec!["cargo-semver-checks".into()];
        Ok(job)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).expect("version")
    }

    #[test]
    fn release_types_follow_cargos_rules() {
        use ReleaseType::*;
        assert_eq!(ReleaseType::between(&v("1.2.3"), &v("2.0.0")), Major);
        assert_eq!(ReleaseType::between(&v("1.2.3"), &v("1.3.0")), Minor);
        assert_eq!(ReleaseType::between(&v("1.2.3"), &v("1.2.4")), Patch);
        assert_eq!(ReleaseType::between(&v("0.3.1"), &v("0.4.0")), Major);
        assert_eq!(ReleaseType::between(&v("0.3.1"), &v("0.3.2")), Minor);
        assert_eq!(ReleaseType::between(&v("0.0.1"), &v("0.0.2")), Major);
        assert_eq!(ReleaseType::between(&v("1.2.3"), &v("1.3.0-rc.1")), Minor);
    }

    proptest::proptest! {
        /// cargo-semver-checks' output, whatever it holds, is read without a panic.
        #[test]
        fn any_report_is_read_without_panic(text in "(\\PC|\n| ){0,400}") {
            let _ = failures(&text);
        }

        #[test]
        fn any_report_with_a_failure_block_is_read(item in "[a-z:_ ]{1,40}", line in 0u32..100000) {
            let report = format!("--- failure x: y ---\nFailed in:\n  {item}, previously in file /w/target/semver-checks/git-v1/abc/src/lib.rs:{line}\n");
            let found = failures(&report);
            proptest::prop_assert_eq!(found.len(), 1);
            proptest::prop_assert_eq!(found[0].location.clone(), Some(("src/lib.rs".to_string(), line)));
        }
    }

    #[test]
    fn reads_the_violations_and_where_they_were() {
        let report = "\n--- failure function_missing: pub fn removed or renamed ---\n\nDescription:\nA publicly-visible function cannot be imported by its prior path.\n        ref: https://doc.rust-lang.org/cargo/reference/semver.html#item-remove\n\nFailed in:\n  function svfix::removed, previously in file /tmp/svfix/target/semver-checks/git-v1_0_0/4cf5a4be/src/lib.rs:2\n  function svfix::other, previously in file /tmp/svfix/target/semver-checks/git-v1_0_0/4cf5a4be/src/other.rs:7\n";
        let found = failures(report);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].lint, "function_missing");
        assert_eq!(found[0].title, "pub fn removed or renamed");
        assert_eq!(found[0].item, "function svfix::removed");
        assert_eq!(found[0].location, Some(("src/lib.rs".into(), 2)));
        assert_eq!(found[1].location, Some(("src/other.rs".into(), 7)));
        assert!(failures("nothing here\n  indented\n").is_empty());
    }
}
