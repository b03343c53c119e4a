//! `coverage`: the tests run under cargo-llvm-cov, the line coverage compared with a
//! threshold, and an LCOV or Cobertura file written for CI to keep (and a coverage service to
//! read).
//!
//! It needs the LLVM tools of the toolchain (`llvm-tools-preview`): when they are not there
//! the step is refused, naming the command that installs them — cargo-llvm-cov would
//! otherwise install them itself, which a check never does behind the user's back.

use crate::text::count;
use anyhow::Result;
use std::path::{Path, PathBuf};
use windlass_core::error::ErrorKind;
use windlass_core::runner::Capture;
use windlass_core::task::{InCi, Task};
use windlass_core::{
    CiJob, Diagnostic, JobStep, Plan, Session, Severity, StepOutcome, UsageError, Workspace,
};

/// The name of the task.
pub const NAME: &str = "coverage";

/// A percentage, 0 to 100.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Percent(f64);

impl Percent {
    /// The value.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl std::str::FromStr for Percent {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let trimmed = text.trim().trim_end_matches('%');
        match trimmed.parse::<f64>() {
            Ok(value) if (0.0..=100.0).contains(&value) => Ok(Self(value)),
            _ => Err(format!(
                "`{}` is not a percentage from 0 to 100 (e.g. 80 or 72.5)",
                text.escape_debug()
            )),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Percent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Written {
            Number(f64),
            Text(String),
        }
        let text = match Written::deserialize(d)? {
            Written::Number(n) => n.to_string(),
            Written::Text(t) => t,
        };
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The report file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// `lcov.info`: what Codecov, Coveralls and most editors read.
    #[default]
    Lcov,
    /// `cobertura.xml`: what GitLab and Azure DevOps read.
    Cobertura,
}

impl Format {
    fn flag(self) -> &'static str {
        match self {
            Format::Lcov => "--lcov",
            Format::Cobertura => "--cobertura",
        }
    }

    fn file_name(self) -> &'static str {
        match self {
            Format::Lcov => "lcov.info",
            Format::Cobertura => "cobertura.xml",
        }
    }
}

/// `[workspace.metadata.windlass.coverage]`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CoverageConfig {
    /// The least line coverage that passes, in percent (default: none, only reported).
    pub threshold: Option<Percent>,
    /// The report file's format (default `lcov`).
    #[serde(default)]
    pub format: Format,
    /// Where the report goes, relative to the workspace root (default
    /// `target/coverage/lcov.info` or `.../cobertura.xml`).
    pub output: Option<PathBuf>,
}

/// `coverage`'s command line.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CoverageArgs {
    /// The least line coverage that passes, in percent (overrides the config's).
    #[arg(long, value_name = "PERCENT")]
    pub threshold: Option<Percent>,
    /// The report file's format (`--format` is the run's own report).
    #[arg(long, value_name = "FORMAT", value_enum)]
    pub report: Option<Format>,
    /// Where the report goes.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `coverage`: line coverage of the workspace's tests.
pub struct CoverageTask;

/// The install hints.
const INSTALL_TOOL: &str = "cargo install cargo-llvm-cov --locked";
const INSTALL_LLVM: &str = "rustup component add llvm-tools-preview";

/// Whether the toolchain rustup picks in `ws` has the LLVM tools (or the environment points
/// cargo-llvm-cov at others, as it allows).
fn llvm_tools_missing(session: &mut Session) -> Result<Option<String>> {
    if std::env::var_os("LLVM_COV").is_some() && std::env::var_os("LLVM_PROFDATA").is_some() {
        return Ok(None);
    }
    let sh = session.shell();
    let sysroot = session.run_quiet(sh.cmd("rustc").args(["--print", "sysroot"]))?;
    let verbose = session.run_quiet(sh.cmd("rustc").arg("-vV"))?;
    let host = verbose
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .unwrap_or_default()
        .trim()
        .to_string();
    let bin = Path::new(sysroot.stdout.trim())
        .join("lib/rustlib")
        .join(&host)
        .join("bin");
    let exe = std::env::consts::EXE_SUFFIX;
    let present = ["llvm-cov", "llvm-profdata"]
        .iter()
        .all(|tool| bin.join(format!("{tool}{exe}")).is_file());
    let toolchain = sysroot
        .stdout
        .trim()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("the toolchain")
        .to_string();
    Ok((!present).then_some(toolchain))
}

/// Line totals of `cargo llvm-cov report --json --summary-only`, and the files' own.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Lines instrumented.
    pub lines: u64,
    /// Of which run.
    pub covered: u64,
    /// Each file's path and line percentage.
    pub files: Vec<(String, f64)>,
}

impl Summary {
    /// The line coverage in percent (100 when there are no lines).
    pub fn percent(&self) -> f64 {
        if self.lines == 0 {
            100.0
        } else {
            self.covered as f64 * 100.0 / self.lines as f64
        }
    }

    /// From llvm-cov's JSON export.
    pub fn parse(json: &str) -> Option<Self> {
        let doc: serde_json::Value = serde_json::from_str(json).ok()?;
        let data = doc.get("data")?.get(0)?;
        let lines = data.get("totals")?.get("lines")?;
        let files = data
            .get("files")
            .and_then(serde_json::Value::as_array)
            .map(|files| {
                files
                    .iter()
                    .filter_map(|f| {
                        let name = f.get("filename")?.as_str()?.to_string();
                        let percent = f.get("summary")?.get("lines")?.get("percent")?.as_f64()?;
                        Some((name, percent))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(Self {
            lines: lines.get("count")?.as_u64()?,
            covered: lines.get("covered")?.as_u64()?,
            files,
        })
    }
}

impl CoverageTask {
    fn output(
        args: &CoverageArgs,
        config: &CoverageConfig,
        ws: &Workspace,
        target: &Path,
    ) -> PathBuf {
        let format = args.report.unwrap_or(config.format);
        match (&args.output, &config.output) {
            (Some(path), _) => path.clone(),
            (None, Some(path)) => ws.root.join(path),
            (None, None) => target.join("coverage").join(format.file_name()),
        }
    }
}

impl Task for CoverageTask {
    type Args = CoverageArgs;
    type Config = CoverageConfig;

    fn name(&self) -> &str {
        NAME
    }

    fn watches(&self) -> windlass_core::Watched {
        windlass_core::Watched::Rust
    }

    fn about(&self) -> &str {
        "Measure the tests' line coverage with cargo-llvm-cov, against a threshold; write an LCOV or Cobertura file."
    }

    fn ci(&self) -> InCi {
        InCi::OptIn
    }

    fn plan(
        &self,
        args: &CoverageArgs,
        config: &CoverageConfig,
        ws: &Workspace,
        session: &mut Session,
    ) -> Result<Plan> {
        let target = ws.target_dir(session)?;
        let format = args.report.unwrap_or(config.format);
        let output = Self::output(args, config, ws, &target);
        let sh = session.shell();
        Ok(Plan::command(
            sh.cmd("cargo")
                .args(["llvm-cov", "--workspace", "--no-report"]),
        )
        .then(Plan::command(
            sh.cmd("cargo")
                .args(["llvm-cov", "report", format.flag(), "--output-path"])
                .arg(&output),
        )))
    }

    // Long: cargo-llvm-cov's run, its JSON summary, the threshold and the least-covered notices are
    // one step whose values feed the next.
    fn run(
        &self,
        args: &CoverageArgs,
        config: &CoverageConfig,
        ws: &Workspace,
        session: &mut Session,
    ) -> Result<StepOutcome> {
        if let Some(path) = &config.output
            && !windlass_core::paths::stays_inside(path)
        {
            return Err(UsageError::new(format!(
                "`output = \"{}\"` under [workspace.metadata.windlass.coverage] in {} leaves the workspace",
                path.display(),
                ws.display_path(&ws.manifest_path)
            ))
            .hint("name a path relative to the workspace root, without `..` (e.g. \"target/coverage/lcov.info\")")
            .into());
        }
        if windlass_core::tool::on_path("cargo-llvm-cov").is_none() {
            return Err(windlass_core::tool::missing("cargo-llvm-cov", INSTALL_TOOL)
                .kind(ErrorKind::ToolMissing)
                .into());
        }
        if let Some(toolchain) = llvm_tools_missing(session)? {
            return Err(UsageError::new(format!(
                "the LLVM tools (llvm-cov, llvm-profdata) are not installed for {toolchain}: coverage cannot be measured"
            ))
            .kind(ErrorKind::ToolMissing)
            .hint(format!("install them with `{INSTALL_LLVM}` (windlass never installs a component itself)"))
            .into());
        }
        let target = ws.target_dir(session)?;
        let format = args.report.unwrap_or(config.format);
        let output = Self::output(args, config, ws, &target);
        let sh = session.shell();
        let tests = session.run(
            sh.cmd("cargo")
                .args(["llvm-cov", "--workspace", "--no-report"])
                .env("RUSTUP_AUTO_INSTALL", "0"),
            Capture::Nothing,
        )?;
        if !tests.success() {
            return Ok(StepOutcome::failed(
                "the tests failed under coverage (their output is above)",
                ws.cargo_hint(&["llvm-cov", "--workspace"]),
            ));
        }
        // Inside the workspace (checked when the config loads), never through a link.
        if let Some(parent) = output.parent() {
            windlass_core::files::root(&ws.root)?
                .create_dir_all(parent)
                .map_err(windlass_core::files::error)?;
        }
        let report = session.run_quiet(
            sh.cmd("cargo")
                .args(["llvm-cov", "report", format.flag(), "--output-path"])
                .arg(&output),
        )?;
        let json = session.run_quiet(sh.cmd("cargo").args([
            "llvm-cov",
            "report",
            "--json",
            "--summary-only",
        ]))?;
        let summary = (report.success() && json.success())
            .then(|| Summary::parse(&json.stdout))
            .flatten()
            .ok_or_else(|| {
                UsageError::new(format!(
                    "cargo llvm-cov report failed: {}",
                    report
                        .stderr
                        .lines()
                        .chain(json.stderr.lines())
                        .last()
                        .unwrap_or("no output")
                ))
            })?;
        let shown = ws.display_path(&output);
        let percent = summary.percent();
        let measured = format!(
            "{percent:.1}% of {} covered (report: {shown})",
            count(summary.lines as usize, "line", "lines")
        );
        let threshold = args.threshold.or(config.threshold);
        match threshold {
            Some(min) if percent + 1e-9 < min.get() => {
                let mut worst = summary.files.clone();
                worst.sort_by(|a, b| a.1.total_cmp(&b.1));
                for (file, file_percent) in worst.iter().take(5) {
                    let file = ws.display_path(Path::new(file));
                    session.diagnostic(
                        Diagnostic::new(
                            NAME,
                            Severity::Notice,
                            crate::codes::LEAST_COVERED,
                            format!("{file}: {file_percent:.1}% of its lines covered"),
                        )
                        .at(file.clone(), None, None),
                    );
                }
                Ok(StepOutcome::failed(
                    format!("{measured}: under the threshold of {}%", min.get()),
                    "test what the least covered files do (listed above), or lower `threshold` under [workspace.metadata.windlass.coverage]",
                ))
            }
            Some(min) => Ok(StepOutcome::passed(format!(
                "{measured}, at least {}%",
                min.get()
            ))),
            None => Ok(StepOutcome::passed(measured)),
        }
    }

    fn ci_job(&self, config: &CoverageConfig, _: &Workspace) -> Result<CiJob> {
        let mut job = CiJob::runs([format!("cargo xtask {NAME}")]);
        job.tools = vec!["cargo-llvm-cov".into()];
        job.components = vec!["llvm-tools-preview".into()];
        job.covered_by = vec!["llvm-cov".into(), "tarpaulin".into()];
        let path = config.output.as_ref().map_or_else(
            || format!("target/coverage/{}", config.format.file_name()),
            |p| p.to_string_lossy().replace('\\', "/"),
        );
        job.steps.push(JobStep::KeepFile {
            name: "Keep the coverage report".into(),
            artifact: "coverage".into(),
            path,
        });
        Ok(job)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_are_bounded() {
        assert_eq!("80".parse::<Percent>(), Ok(Percent(80.0)));
        assert_eq!("72.5%".parse::<Percent>(), Ok(Percent(72.5)));
        for bad in ["-1", "100.1", "NaN", "inf", "", "eighty"] {
            assert!(bad.parse::<Percent>().is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        /// Any text is a percentage in bounds or refused, never a panic.
        #[test]
        fn any_text_is_a_bounded_percentage_or_refused(text in "\\PC{0,20}") {
            if let Ok(p) = text.parse::<Percent>() {
                proptest::prop_assert!((0.0..=100.0).contains(&p.get()));
            }
        }

        /// llvm-cov's JSON, or anything else, is read without a panic.
        #[test]
        fn any_summary_is_read_without_panic(text in "\\PC{0,200}") {
            let _ = Summary::parse(&text);
        }
    }

    #[test]
    fn reads_llvm_covs_summary() {
        let json = r#"{"data":[{"files":[{"filename":"/w/src/lib.rs","summary":{"lines":{"count":10,"covered":5,"percent":50.0}}}],"totals":{"lines":{"count":10,"covered":5,"percent":50.0}}}],"type":"llvm.coverage.json.export"}"#;
        let summary = Summary::parse(json).expect("summary");
        assert_eq!(summary.lines, 10);
        assert!((summary.percent() - 50.0).abs() < 1e-9);
        assert_eq!(summary.files, [("/w/src/lib.rs".to_string(), 50.0)]);
        assert_eq!(Summary::parse("{}"), None);
    }
}
