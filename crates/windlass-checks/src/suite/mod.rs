//! `test`: the workspace's tests, with `cargo test` — the verdict the project itself gets —
//! or with cargo-nextest when the repository opts in to it (`.config/nextest.toml`, or
//! `runner = "nextest"`): nextest runs each test in a process of its own, and a suite written
//! for `cargo test` (tests sharing a built helper, a global) may fail under it.
//!
//! `--partition N/M` shards the suite the way nextest's `count:` partitioning does, so a
//! GitHub Actions matrix can spread it over several runners. Failing tests are reported by
//! name, placed at the line that panicked. Doctests (which nextest does not run) run after
//! nextest, in the first partition only.

mod libtest_json;
mod libtest_text;
mod panic;
pub mod services;

use crate::selection::Features;
use anyhow::Result;
use serde::Deserialize;
use std::path::Path;
use windlass_core::event::Event;
use windlass_core::report::Reporter;
use windlass_core::runner::Capture;
use windlass_core::{
    Diagnostic, Plan, Session, Severity, Step, StepOutcome, UsageError, Workspace, tool,
};

/// The name of the step.
pub const NAME: &str = "test";

/// Which test runner to use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum RunnerChoice {
    /// nextest when the repository opts in (`.config/nextest.toml`) and it is installed, else
    /// cargo test.
    #[default]
    Auto,
    /// cargo-nextest; an error when it is not installed.
    Nextest,
    /// `cargo test`.
    Cargo,
}

/// `[workspace.metadata.windlass.test]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TestConfig {
    /// Which runner.
    #[serde(default)]
    pub runner: RunnerChoice,
    /// Features to test with.
    #[serde(default)]
    pub features: Vec<String>,
    /// Test with every feature on.
    #[serde(default)]
    pub all_features: bool,
    /// Test without the default features.
    #[serde(default)]
    pub no_default_features: bool,
    /// Run doctests too (default true).
    #[serde(default = "yes")]
    pub doctests: bool,
    /// Stop at the first failing test (default false: report them all).
    #[serde(default)]
    pub fail_fast: bool,
    /// Services the tests need, started around them (`windlass_core::services`).
    #[serde(default)]
    pub services: std::collections::BTreeMap<String, services::ServiceConfig>,
}

fn yes() -> bool {
    true
}

impl Default for TestConfig {
    fn default() -> Self {
        Self {
            runner: RunnerChoice::Auto,
            features: Vec::new(),
            all_features: false,
            no_default_features: false,
            doctests: true,
            fail_fast: false,
            services: std::collections::BTreeMap::new(),
        }
    }
}

/// One shard of `count` shards, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// Which shard, 1..=count.
    pub index: u32,
    /// How many shards.
    pub count: u32,
}

impl std::str::FromStr for Partition {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parsed = s
            .split_once('/')
            .and_then(|(i, n)| Some((i.trim().parse().ok()?, n.trim().parse().ok()?)));
        match parsed {
            Some((index, count)) if count >= 1 && (1..=count).contains(&index) => {
                Ok(Self { index, count })
            }
            _ => Err(format!(
                "`{s}` is not a partition: write N/M with 1 <= N <= M, e.g. 1/3"
            )),
        }
    }
}

/// The `test` step.
#[derive(Debug, Clone, Default)]
pub struct Test {
    /// Which runner.
    pub runner: RunnerChoice,
    /// Features to build with.
    pub features: Features,
    /// The shard to run.
    pub partition: Option<Partition>,
    /// Run doctests too.
    pub doctests: bool,
    /// Stop at the first failure.
    pub fail_fast: bool,
    /// The members tested (default: all).
    pub packages: crate::selection::Packages,
    /// Only the tests whose name holds it.
    pub filter: Option<String>,
    /// Arguments for the test binaries (`--nocapture`).
    pub test_args: Vec<String>,
}

/// The runner that will actually run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resolved {
    Nextest,
    Cargo,
}

impl Test {
    /// The step as configured; command-line values take precedence.
    pub fn from_config(
        config: &TestConfig,
        cli: &Features,
        runner: Option<RunnerChoice>,
        partition: Option<Partition>,
    ) -> Self {
        let config_features = Features {
            features: config.features.clone(),
            all_features: config.all_features,
            no_default_features: config.no_default_features,
        };
        Self {
            runner: runner.unwrap_or(config.runner),
            features: config_features.overridden_by(cli),
            partition,
            doctests: config.doctests,
            fail_fast: config.fail_fast,
            packages: crate::selection::Packages::default(),
            filter: None,
            test_args: Vec::new(),
        }
    }

    /// The runner that will run, and why: said at the start of the step.
    fn resolve(&self, ws: &Workspace) -> Result<(Resolved, String)> {
        let installed = tool::on_path("cargo-nextest").is_some();
        let missing = || -> anyhow::Error {
            tool::missing("cargo-nextest", "cargo install cargo-nextest --locked").into()
        };
        Ok(match self.runner {
            RunnerChoice::Cargo if self.partition.is_some() => {
                return Err(partition_needs_nextest());
            }
            RunnerChoice::Cargo => (Resolved::Cargo, "runner = \"cargo\"".into()),
            RunnerChoice::Nextest if installed => {
                (Resolved::Nextest, "runner = \"nextest\"".into())
            }
            RunnerChoice::Nextest => return Err(missing()),
            RunnerChoice::Auto if self.partition.is_some() => {
                if !installed {
                    return Err(partition_needs_nextest());
                }
                (
                    Resolved::Nextest,
                    "--partition shards the suite with nextest".into(),
                )
            }
            RunnerChoice::Auto if opts_in_to_nextest(ws) && installed => (
                Resolved::Nextest,
                format!("{NEXTEST_CONFIG} opts in to nextest"),
            ),
            RunnerChoice::Auto if opts_in_to_nextest(ws) => (
                Resolved::Cargo,
                format!("{NEXTEST_CONFIG} opts in to nextest, which is not installed"),
            ),
            RunnerChoice::Auto => (
                Resolved::Cargo,
                format!(
                    "the verdict `cargo test` gives; {NEXTEST_CONFIG} or runner = \"nextest\" opts in to nextest"
                ),
            ),
        })
    }

    fn nextest_args(&self, color: bool) -> Vec<String> {
        let mut args: Vec<String> = ["nextest", "run"].map(String::from).into();
        args.extend(self.packages.args());
        args.extend(self.features.args());
        if !self.fail_fast {
            args.push("--no-fail-fast".into());
        }
        if let Some(p) = self.partition {
            args.push("--partition".into());
            args.push(format!("count:{}/{}", p.index, p.count));
        }
        // A shard may hold no test at all; that is not a failure.
        args.extend(["--no-tests=warn", "--message-format", "libtest-json"].map(String::from));
        args.extend([
            "--color".into(),
            if color { "always" } else { "never" }.into(),
        ]);
        args.extend(self.filter.iter().cloned());
        if !self.test_args.is_empty() {
            args.push("--".into());
            args.extend(self.test_args.iter().cloned());
        }
        args
    }

    fn cargo_test_args(&self, doc_only: bool, color: bool) -> Vec<String> {
        let mut args: Vec<String> = vec!["test".into()];
        args.extend(self.packages.args());
        args.extend(self.features.args());
        if doc_only {
            args.push("--doc".into());
        } else if !self.fail_fast {
            args.push("--no-fail-fast".into());
        }
        args.extend([
            "--color".into(),
            if color { "always" } else { "never" }.into(),
        ]);
        args.extend(self.filter.iter().cloned());
        if !self.test_args.is_empty() {
            args.push("--".into());
            args.extend(self.test_args.iter().cloned());
        }
        args
    }

    /// Whether this shard runs the doctests. A workspace without a library is told apart by
    /// cargo itself when they run, which saves a `cargo metadata` on every run.
    fn runs_doctests(&self, _ws: &Workspace, _session: &mut Session) -> Result<bool> {
        Ok(self.doctests && self.partition.is_none_or(|p| p.index == 1))
    }
}

/// nextest's own config file: a repository that has one runs its tests with nextest.
pub const NEXTEST_CONFIG: &str = ".config/nextest.toml";

/// The `test` step with the services its config declares around it.
pub fn with_services(step: Test, ws: &Workspace) -> Result<Box<dyn Step>> {
    let services = services::declared(ws)?;
    Ok(services::WithServices::wrap(
        Box::new(step),
        services.into_iter().collect(),
    ))
}

/// Whether the workspace opts in to nextest by having its config file.
pub fn opts_in_to_nextest(ws: &Workspace) -> bool {
    ws.root.join(NEXTEST_CONFIG).is_file()
}

/// Whether `test` with `config` runs nextest in CI (where it is installed for it): the
/// repository opts in, by the config or by nextest's own config file.
pub fn uses_nextest(config: &TestConfig, ws: &Workspace) -> bool {
    match config.runner {
        RunnerChoice::Nextest => true,
        RunnerChoice::Cargo => false,
        RunnerChoice::Auto => opts_in_to_nextest(ws),
    }
}

fn partition_needs_nextest() -> anyhow::Error {
    UsageError::new("--partition needs cargo-nextest (cargo test cannot shard a suite)")
        .hint("install it with `cargo install cargo-nextest --locked`")
        .into()
}

/// What one runner invocation found.
#[derive(Debug, Default)]
struct Tally {
    passed: usize,
    failed: Vec<Failure>,
    ignored: usize,
}

/// A failed test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    /// The binary it is in, when the runner says (nextest's binary id).
    pub binary: Option<String>,
    /// The test's path, e.g. `tests::adds`.
    pub name: String,
    /// What it printed.
    pub output: String,
}

impl Step for Test {
    fn name(&self) -> &str {
        NAME
    }

    fn plan(&self, ws: &Workspace, session: &mut Session) -> Result<Plan> {
        let sh = session.shell();
        let main = match self.resolve(ws)?.0 {
            Resolved::Nextest => Plan::command(nextest_cmd(&sh, self.nextest_args(false))),
            Resolved::Cargo => {
                return Ok(Plan::command(
                    sh.cmd("cargo").args(self.cargo_test_args(false, false)),
                ));
            }
        };
        Ok(if self.runs_doctests(ws, session)? {
            main.then(Plan::command(
                sh.cmd("cargo").args(self.cargo_test_args(true, false)),
            ))
        } else {
            main
        })
    }

    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        let color = session.color();
        let (runner, why) = self.resolve(ws)?;
        let name = match runner {
            Resolved::Nextest => "cargo nextest",
            Resolved::Cargo => "cargo test",
        };
        session.message(Severity::Notice, format!("runner: {name} ({why})"));
        let (tally, built) = match runner {
            Resolved::Nextest => {
                let (mut tally, mut built) = run_nextest(session, self.nextest_args(color))?;
                if self.runs_doctests(ws, session)? {
                    let (doc, doc_built) =
                        run_cargo_test(session, self.cargo_test_args(true, color), false)?;
                    tally.passed += doc.passed;
                    tally.ignored += doc.ignored;
                    tally.failed.extend(doc.failed);
                    built &= doc_built;
                }
                (tally, built)
            }
            Resolved::Cargo => run_cargo_test(session, self.cargo_test_args(false, color), true)?,
        };
        for failure in &tally.failed {
            let diagnostic = failure_diagnostic(ws, session, failure);
            session.diagnostic(diagnostic);
        }
        let mut summary = format!("{} passed", tally.passed);
        let with = format!(" with {name}");
        if !tally.failed.is_empty() {
            summary.push_str(&format!(", {} failed", tally.failed.len()));
        }
        if tally.ignored > 0 {
            summary.push_str(&format!(", {} ignored", tally.ignored));
        }
        summary.push_str(&with);
        if !tally.failed.is_empty() {
            return Ok(StepOutcome::failed(
                summary,
                self.reproduce(ws, &tally.failed),
            ));
        }
        if !built {
            // Nothing ran: a manifest cargo cannot read is bad input (exit 2), not a failed
            // check; `cargo metadata` tells, and costs nothing on the passing path.
            ws.metadata(session)?;
            return Ok(StepOutcome::failed(
                "the tests did not build or the runner failed (its output is above)",
                ws.cargo_hint(&["test", "--workspace", "--no-run"]),
            ));
        }
        Ok(StepOutcome::passed(summary))
    }
}

impl Test {
    /// The command that runs exactly the failing tests again.
    fn reproduce(&self, ws: &Workspace, failed: &[Failure]) -> String {
        if self.resolve(ws).ok().map(|r| r.0) == Some(Resolved::Nextest)
            && failed.iter().all(|f| f.binary.is_some())
        {
            let filter = failed
                .iter()
                .take(8)
                .map(|f| format!("test(={})", f.name))
                .collect::<Vec<_>>()
                .join(" | ");
            let mut args = vec!["nextest", "run", "--workspace"];
            let feature_args = self.features.args();
            args.extend(feature_args.iter().map(String::as_str));
            args.extend(["-E", filter.as_str()]);
            return ws.cargo_hint(&args);
        }
        let first = failed.first().map_or("", |f| f.name.as_str());
        ws.cargo_hint(&["test", "--workspace", "--", first, "--exact"])
    }
}

/// nextest with its libtest-json output switched on (still marked experimental upstream).
fn nextest_cmd(sh: &xshell::Shell, args: Vec<String>) -> xshell::Cmd<'_> {
    sh.cmd("cargo")
        .args(args)
        .env("NEXTEST_EXPERIMENTAL_LIBTEST_JSON", "1")
}

fn run_nextest(session: &mut Session, args: Vec<String>) -> Result<(Tally, bool)> {
    let sh = session.shell();
    let cmd = nextest_cmd(&sh, args);
    let mut parser = libtest_json::Parser::default();
    let finished = session.run_lines(cmd, Capture::Stdout, &mut |line, _| parser.line(line))?;
    let tally = parser.finish();
    Ok((tally, finished.success()))
}

/// Runs `cargo test`; with `echo`, its output is shown as it comes, else only the output of
/// the tests that failed (the doctest run after nextest is mostly "running 0 tests").
fn run_cargo_test(session: &mut Session, args: Vec<String>, echo: bool) -> Result<(Tally, bool)> {
    let sh = session.shell();
    let cmd = sh.cmd("cargo").args(args);
    let mut parser = libtest_text::Parser::default();
    // The doctest run is quiet: its stderr is kept, to tell "no library" from a failure.
    let capture = if echo {
        Capture::Stdout
    } else {
        Capture::Everything
    };
    let finished = session.run_lines(cmd, capture, &mut |line, reporter: &mut dyn Reporter| {
        // The test harness writes to stdout, which we parse; pass it on so it is seen live.
        if echo {
            reporter.event(&Event::Output {
                step: NAME.into(),
                text: line.to_string(),
            });
        }
        parser.line(line);
    })?;
    let tally = parser.finish();
    if !echo {
        if !finished.success() && tally.failed.is_empty() {
            if finished.stderr.contains("no library targets found") {
                return Ok((tally, true));
            }
            session.emit(Event::Output {
                step: NAME.into(),
                text: finished.stderr.clone(),
            });
        }
        for failure in &tally.failed {
            let text = format!("---- {} ----\n{}", failure.name, failure.output);
            session.emit(Event::Output {
                step: NAME.into(),
                text,
            });
        }
    }
    Ok((tally, finished.success()))
}

fn failure_diagnostic(ws: &Workspace, session: &mut Session, failure: &Failure) -> Diagnostic {
    let where_ = failure
        .binary
        .as_deref()
        .map(|b| format!(" in `{b}`"))
        .unwrap_or_default();
    let panic = panic::find(&failure.output);
    let mut message = format!("test `{}`{where_} failed", failure.name);
    if let Some(p) = &panic
        && !p.message.is_empty()
    {
        message.push_str(&format!(":\n{}", p.message));
    }
    let mut d = Diagnostic::new(
        NAME,
        Severity::Error,
        crate::codes::TEST_FAILED.member(failure.name.clone()),
        message,
    );
    if let Some(p) = panic
        && let Some(file) = resolve_source(ws, session, &p.file)
    {
        d = d.at(file, Some(p.line), Some(p.column));
    }
    d
}

/// A panic's file is relative to where rustc ran: the workspace root for members, a package
/// directory for doctests. The first that exists wins; members are only listed when needed.
fn resolve_source(ws: &Workspace, session: &mut Session, file: &str) -> Option<String> {
    let path = Path::new(file);
    if path.is_absolute() {
        return path.is_file().then(|| ws.display_path(path));
    }
    if ws.root.join(path).is_file() {
        return Some(ws.display_path(path));
    }
    ws.members(session)
        .ok()?
        .iter()
        .filter_map(|p| p.manifest_path.parent().map(|d| d.as_std_path().join(path)))
        .find(|candidate| candidate.is_file())
        .map(|found| ws.display_path(&found))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_parse_and_reject_nonsense() {
        assert_eq!(
            "2/3".parse::<Partition>(),
            Ok(Partition { index: 2, count: 3 })
        );
        for bad in ["0/3", "4/3", "1/0", "x", "1-3", "/"] {
            assert!(bad.parse::<Partition>().is_err(), "{bad}");
        }
    }
}
