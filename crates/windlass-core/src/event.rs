//! The event stream: everything a task has to say, as data.
//!
//! Tasks emit events; reporters decide how they look. That is what lets the same check print
//! colour on a terminal, `::error` annotations in GitHub Actions and a JSON report for scripts,
//! without a task ever knowing which.

use crate::code::Kind;
use serde::Serialize;
use std::time::Duration;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational; never fails a step.
    Notice,
    /// Fails a step only where the step treats warnings as errors.
    Warning,
    /// Fails the step.
    Error,
}

impl Severity {
    /// The lowercase name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Notice => "notice",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One finding, located in a file where possible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The step that found it.
    pub step: String,
    /// How serious it is.
    pub severity: Severity,
    /// A short name: a lint, a test, a rule id.
    pub title: String,
    /// A stable code, `<step>/<kind>` (`lint/clippy::needless_return`,
    /// `audit/RUSTSEC-2024-0001`, `secrets/aws-access-key-id`, `fmt-check/not-formatted`),
    /// for scripts and dashboards to key on across runs and versions; the kind is declared
    /// in a crate's `codes.rs` (see [`crate::code`]).
    pub code: String,
    /// One or more lines saying what is wrong.
    pub message: String,
    /// The file, relative to the repository root, with `/` separators.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// 1-based last line of the span.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u32>,
    /// 1-based column after the span.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_column: Option<u32>,
    /// The tool's own rendering (rustc's, rustfmt's diff), shown as is on a terminal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rendered: Option<String>,
    /// Structured data of the step that found it (an advisory, a licence), for scripts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

impl Diagnostic {
    /// A diagnostic of a declared code (or a member of a declared family), no location yet.
    pub fn new(
        step: impl Into<String>,
        severity: Severity,
        kind: impl Into<Kind>,
        message: impl Into<String>,
    ) -> Self {
        let (step, kind) = (step.into(), kind.into());
        Self {
            code: format!("{step}/{}", kind.code()),
            title: kind.title().to_string(),
            step,
            severity,
            message: message.into(),
            file: None,
            line: None,
            column: None,
            end_line: None,
            end_column: None,
            rendered: None,
            details: None,
        }
    }

    /// Places it at `file:line:column` (file relative to the repository root).
    pub fn at(mut self, file: impl Into<String>, line: Option<u32>, column: Option<u32>) -> Self {
        self.file = Some(file.into());
        self.line = line;
        self.column = column;
        self
    }

    /// Sets the end of the span.
    pub fn until(mut self, end_line: Option<u32>, end_column: Option<u32>) -> Self {
        self.end_line = end_line;
        self.end_column = end_column;
        self
    }

    /// Attaches the tool's own rendering.
    pub fn rendered(mut self, rendered: impl Into<String>) -> Self {
        self.rendered = Some(rendered.into());
        self
    }

    /// Attaches structured data for the JSON report.
    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }

    /// `file:line:column`, as far as it is known.
    pub fn location(&self) -> Option<String> {
        let file = self.file.as_ref()?;
        Some(match (self.line, self.column) {
            (Some(line), Some(col)) => format!("{file}:{line}:{col}"),
            (Some(line), None) => format!("{file}:{line}"),
            _ => file.clone(),
        })
    }
}

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    /// It ran and found nothing wrong.
    Passed,
    /// It ran and found problems.
    Failed,
    /// It could not run: bad config, missing tool, unreadable input.
    Error,
    /// It was not run (an earlier step failed, or `--skip`).
    Skipped,
}

impl StepStatus {
    /// The lowercase name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Passed => "passed",
            StepStatus::Failed => "failed",
            StepStatus::Error => "error",
            StepStatus::Skipped => "skipped",
        }
    }
}

/// The record of one step, as it appears in the final table and the JSON report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepRecord {
    /// The step's name (`lint`, `test`, ...).
    pub name: String,
    /// How it ended.
    pub status: StepStatus,
    /// Wall time in milliseconds (0 when skipped).
    #[serde(rename = "duration_ms", serialize_with = "as_millis")]
    pub duration: Duration,
    /// One line: what it found, or why it was skipped.
    pub summary: String,
    /// The command that fixes or reproduces a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// A step that could not run: what stopped it, as a run's error is carried
    /// (`{kind, message, hint, file, line, column}`, docs/json-report.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<serde_json::Value>,
}

/// The whole run: what the JSON reporter prints and the step summary tabulates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunReport {
    /// Identifies the report's layout; bumped only on incompatible change.
    pub schema: &'static str,
    /// The task that ran (`ci`, `lint`, ...).
    pub task: String,
    /// `passed` when every step passed or was skipped by request, else the worst status.
    pub status: StepStatus,
    /// The process exit code this run ends with.
    pub exit_code: u8,
    /// Wall time of the whole run in milliseconds.
    #[serde(rename = "duration_ms", serialize_with = "as_millis")]
    pub duration: Duration,
    /// Every step, in pipeline order.
    pub steps: Vec<StepRecord>,
    /// Every diagnostic of every step, in the order found.
    pub diagnostics: Vec<Diagnostic>,
}

/// The layout name of [`RunReport`].
pub const REPORT_SCHEMA: &str = "windlass.report/v1";

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A step as planned, for `--list` and `--dry-run`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedStep {
    /// The step's name.
    pub name: String,
    /// What it will run, as a command line a user can copy.
    pub runs: String,
    /// The same, as data: each command's argv, variables and directory, or a description.
    pub actions: crate::plan::Plan,
    /// Whether it is part of this run (`--skip`/`--only` leave steps out).
    pub selected: bool,
}

/// Everything a task can say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The plan, printed by `--list` and `--dry-run` instead of running.
    Plan(Vec<PlannedStep>),
    /// A step begins.
    StepStarted {
        /// Its name.
        name: String,
    },
    /// An external command begins.
    CommandStarted {
        /// The command line, quoted so that it can be copied into a shell.
        command: String,
        /// Whether the child's output goes straight to the terminal (no progress indicator then).
        streaming: bool,
    },
    /// That command ended.
    CommandFinished {
        /// Its wall time.
        duration: Duration,
    },
    /// A finding.
    Diagnostic(Diagnostic),
    /// Something to tell the user that is not a finding (a fallback taken, a bypass used).
    Message {
        /// How loudly to say it.
        severity: Severity,
        /// What to say.
        text: String,
    },
    /// Detail a failed step wants shown, such as a failing test's output.
    Output {
        /// The step it belongs to.
        step: String,
        /// The text, as the tool printed it.
        text: String,
    },
    /// The document a task makes for stdout (a systemd unit): written there alone, everything
    /// else the run says going to stderr, so that `> file` holds only it.
    Artifact {
        /// The step it belongs to.
        step: String,
        /// The document.
        text: String,
    },
    /// Markdown for the GitHub job summary alone (a chart of delivery metrics), appended after
    /// the run's table; other reporters show the same through their own events.
    Summary {
        /// The Markdown, already escaped where it holds data.
        markdown: String,
    },
    /// A step ended.
    StepFinished(StepRecord),
    /// The run ended.
    RunFinished(RunReport),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_step_and_a_declared_kind() {
        let d = Diagnostic::new(
            "fmt-check",
            Severity::Error,
            crate::testing::codes::EXAMPLE,
            "",
        );
        assert_eq!(d.code, "fmt-check/example");
        assert_eq!(d.title, "example");
        let d = Diagnostic::new(
            "lint",
            Severity::Error,
            crate::testing::codes::EXAMPLE_ID.member("clippy::needless_return"),
            "",
        );
        assert_eq!(d.code, "lint/clippy::needless_return");
        assert_eq!(d.title, "clippy::needless_return");
    }
}
