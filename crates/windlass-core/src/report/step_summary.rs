//! The GitHub job summary: a Markdown table of steps appended to `$GITHUB_STEP_SUMMARY`.

use super::Reporter;
use super::terminal::seconds;
use crate::event::{Event, RunReport, Severity, StepStatus};
use crate::sanitize;
use std::io::Write;
use std::path::PathBuf;

/// How many findings the summary lists before it only counts them.
const FINDINGS_LISTED: usize = 50;

/// Appends the summary when the run ends.
pub struct StepSummaryReporter {
    path: PathBuf,
    /// Markdown the run's tasks added, written after the table.
    extra: String,
}

impl StepSummaryReporter {
    /// Appends to `path`.
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            extra: String::new(),
        }
    }
}

impl Reporter for StepSummaryReporter {
    fn event(&mut self, event: &Event) {
        if let Event::Summary { markdown } = event {
            self.extra.push_str(markdown);
            self.extra.push('\n');
        }
        if let Event::RunFinished(report) = event {
            let markdown = render(report) + &self.extra;
            // A summary we cannot write must not fail the checks themselves. The runner names
            // the file; it is appended to, never followed if it is a link or a pipe.
            let dir = self.path.parent().unwrap_or(std::path::Path::new("."));
            let name = std::path::Path::new(self.path.file_name().unwrap_or_default());
            if let Ok(mut file) = windlass_fs::Root::open(dir).and_then(|root| root.append(name)) {
                let _ = file.write_all(markdown.as_bytes());
            }
        }
    }
}

/// The Markdown for one run.
pub fn render(report: &RunReport) -> String {
    let icon = |status| match status {
        StepStatus::Passed => "✅",
        StepStatus::Failed | StepStatus::Error => "❌",
        StepStatus::Skipped => "⏭️",
    };
    let mut md = format!(
        "### windlass {}: {} {}\n\n| Step | Result | Duration | Summary |\n|---|---|---:|---|\n",
        markdown(&report.task),
        icon(report.status),
        report.status.as_str()
    );
    for step in &report.steps {
        let time = if step.status == StepStatus::Skipped {
            "-".into()
        } else {
            seconds(step.duration)
        };
        md.push_str(&format!(
            "| {} | {} {} | {} | {} |\n",
            markdown_code(&step.name),
            icon(step.status),
            step.status.as_str(),
            time,
            cell(&step.summary)
        ));
    }
    let fixes: Vec<_> = report
        .steps
        .iter()
        .filter_map(|s| Some((&s.name, s.fix.as_ref()?)))
        .collect();
    if !fixes.is_empty() {
        md.push_str("\n**To fix or reproduce:**\n\n");
        for (name, fix) in fixes {
            md.push_str(&format!(
                "- {}: {}\n",
                markdown_code(name),
                markdown_code(fix)
            ));
        }
    }
    let findings: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity >= Severity::Warning)
        .collect();
    if !findings.is_empty() {
        md.push_str(&format!(
            "\n<details><summary>{} finding(s)</summary>\n\n",
            findings.len()
        ));
        for d in findings.iter().take(FINDINGS_LISTED) {
            let place = d.location().unwrap_or_else(|| "-".into());
            md.push_str(&format!(
                "- {} {} {}: {}\n",
                d.severity.as_str(),
                markdown_code(&place),
                cell(&d.title),
                cell(first_line(&d.message))
            ));
        }
        if findings.len() > FINDINGS_LISTED {
            md.push_str(&format!(
                "- ... and {} more\n",
                findings.len() - FINDINGS_LISTED
            ));
        }
        md.push_str("\n</details>\n");
    }
    md.push('\n');
    md
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// A table cell: secrets redacted, Markdown and HTML escaped, one line.
fn cell(text: &str) -> String {
    markdown(text)
}

fn markdown(text: &str) -> String {
    sanitize::markdown(&sanitize::redact(text))
}

fn markdown_code(text: &str) -> String {
    sanitize::markdown_code(&sanitize::redact(text))
}
