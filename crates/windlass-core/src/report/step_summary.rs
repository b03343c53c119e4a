//! The GitHub job summary: a Markdown table of steps appended to `$GITHUB_STEP_SUMMARY`.

use super::Reporter;
use super::terminal::seconds;
use crate::event::{Event, RunReport, Severity, StepStatus};
use std::io::Write;
use std::path::PathBuf;

/// How many findings the summary lists before it only counts them.
const FINDINGS_LISTED: usize = 50;

/// Appends the summary when the run ends.
pub struct StepSummaryReporter {
    path: PathBuf,
}

impl StepSummaryReporter {
    /// Appends to `path`.
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }
}

impl Reporter for StepSummaryReporter {
    fn event(&mut self, event: &Event) {
        if let Event::RunFinished(report) = event {
            let markdown = render(report);
            // A summary we cannot write must not fail the checks themselves.
            if let Ok(mut file) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
            {
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
        report.task,
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
            "| `{}` | {} {} | {} | {} |\n",
            step.name,
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
            md.push_str(&format!("- `{name}`: `{}`\n", fix.replace('`', "'")));
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
                "- {} `{}` {}: {}\n",
                d.severity.as_str(),
                cell(&place),
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

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
