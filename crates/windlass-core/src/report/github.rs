//! GitHub Actions workflow commands: a collapsible group per step and an annotation per
//! finding, placed at its file, line and column in the pull request.
//!
//! Only this module writes workflow-command syntax; tasks never do.

use super::Reporter;
use crate::event::{Diagnostic, Event, Severity, StepStatus};
use std::io::Write;

/// Writes `::group::`, `::endgroup::` and `::error`/`::warning`/`::notice` commands.
pub struct GithubReporter {
    out: Box<dyn Write + Send>,
    in_group: bool,
    /// Findings of the current step: a step that fails without any is annotated itself.
    step_findings: usize,
}

impl GithubReporter {
    /// Writes to `out` (the stream the runner's log reads: our stdout).
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        Self {
            out,
            in_group: false,
            step_findings: 0,
        }
    }

    fn write(&mut self, line: &str) {
        let _ = writeln!(self.out, "{line}");
        let _ = self.out.flush();
    }
}

impl Reporter for GithubReporter {
    fn event(&mut self, event: &Event) {
        match event {
            Event::StepStarted { name } => {
                self.write(&format!("::group::{}", escape_data(name)));
                self.in_group = true;
                self.step_findings = 0;
            }
            Event::StepFinished(record) => {
                if self.in_group {
                    self.write("::endgroup::");
                    self.in_group = false;
                }
                // A failure with no finding of its own (a command step's exit status, a
                // step that could not run) still gets its annotation, outside the group.
                if record.status == StepStatus::Failed && self.step_findings == 0 {
                    let mut text = record.summary.clone();
                    if let Some(fix) = &record.fix {
                        text.push_str(&format!("\nto fix or reproduce: {fix}"));
                    }
                    let line = format!(
                        "::error title={}::{}",
                        escape_property(&format!("{} failed", record.name)),
                        escape_data(&text)
                    );
                    self.write(&line);
                }
            }
            Event::RunFinished(_) if self.in_group => {
                self.write("::endgroup::");
                self.in_group = false;
            }
            Event::Diagnostic(d) => {
                self.step_findings += 1;
                let line = annotation(d);
                self.write(&line);
            }
            Event::Message { severity, text } if *severity != Severity::Notice => {
                if *severity == Severity::Error {
                    self.step_findings += 1;
                }
                let line = format!("::{}::{}", severity.as_str(), escape_data(text));
                self.write(&line);
            }
            _ => {}
        }
    }
}

/// One `::error file=..,line=..,col=..,title=..::message` command.
pub fn annotation(d: &Diagnostic) -> String {
    let mut props = Vec::new();
    if let Some(file) = &d.file {
        props.push(format!("file={}", escape_property(file)));
        if let Some(line) = d.line {
            props.push(format!("line={line}"));
            if let Some(end) = d.end_line {
                props.push(format!("endLine={end}"));
            }
            if let Some(col) = d.column {
                props.push(format!("col={col}"));
                // GitHub accepts an end column only on a single-line span.
                if let Some(end_col) = d
                    .end_column
                    .filter(|_| d.end_line.is_none_or(|e| e == line))
                {
                    props.push(format!("endColumn={end_col}"));
                }
            }
        }
    }
    props.push(format!(
        "title={}",
        escape_property(&format!("{}: {}", d.step, d.title))
    ));
    let command = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Notice => "notice",
    };
    format!(
        "::{command} {}::{}",
        props.join(","),
        escape_data(&d.message)
    )
}

/// Escapes a command's message: secrets redacted, other control characters shown as
/// escapes, then `%`, CR and LF as the runner unescapes them — no newline in data can start a
/// command of its own.
pub fn escape_data(text: &str) -> String {
    let redacted = crate::sanitize::redact(text);
    // Newlines are the runner's to unescape; every other control character is shown.
    let shown: String = redacted
        .split('\n')
        .map(|line| {
            let line = line.strip_suffix('\r').unwrap_or(line);
            crate::sanitize::terminal(line, false).into_owned()
        })
        .collect::<Vec<_>>()
        .join("\n");
    shown
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value: as [`escape_data`], plus `:` and `,`.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_escape_data_and_properties() {
        let d = Diagnostic::new(
            "lint",
            Severity::Error,
            crate::testing::codes::EXAMPLE_ID.member("clippy::x, y"),
            "100% wrong\r\nline two",
        )
        .at("src/a:b.rs", Some(3), Some(5))
        .until(Some(3), Some(9));
        assert_eq!(
            annotation(&d),
            "::error file=src/a%3Ab.rs,line=3,endLine=3,col=5,endColumn=9,title=lint%3A clippy%3A%3Ax%2C y::100%25 wrong%0Aline two"
        );
    }

    #[test]
    fn a_multi_line_span_has_no_end_column() {
        let d = Diagnostic::new(
            "lint",
            Severity::Warning,
            crate::testing::codes::EXAMPLE_ID.member("w"),
            "m",
        )
        .at("f.rs", Some(1), Some(2))
        .until(Some(4), Some(1));
        assert_eq!(
            annotation(&d),
            "::warning file=f.rs,line=1,endLine=4,col=2,title=lint%3A w::m"
        );
    }

    #[test]
    fn a_step_that_fails_or_errs_without_findings_is_annotated() {
        use crate::event::StepRecord;
        let mut out = Vec::new();
        {
            let sink = SharedSink(std::sync::Arc::new(std::sync::Mutex::new(Vec::new())));
            let mut reporter = GithubReporter::new(Box::new(sink.clone()));
            let finished = |name: &str, status| {
                Event::StepFinished(StepRecord {
                    name: name.into(),
                    status,
                    duration: std::time::Duration::ZERO,
                    summary: "`make` exited with status 2".into(),
                    fix: Some("make gen".into()),
                    failure: None,
                })
            };
            reporter.event(&Event::StepStarted {
                name: "codegen".into(),
            });
            reporter.event(&finished("codegen", StepStatus::Failed));
            reporter.event(&Event::StepStarted {
                name: "audit".into(),
            });
            reporter.event(&Event::Message {
                severity: Severity::Error,
                text: "no advisory database".into(),
            });
            reporter.event(&finished("audit", StepStatus::Error));
            out.extend(sink.0.lock().unwrap().iter());
        }
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "::group::codegen\n::endgroup::\n::error title=codegen failed::`make` exited with status 2%0Ato fix or reproduce: make gen\n::group::audit\n::error::no advisory database\n::endgroup::\n"
        );
    }

    #[derive(Clone)]
    struct SharedSink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl Write for SharedSink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_diagnostic_without_a_file_is_a_plain_annotation() {
        let d = Diagnostic::new(
            "test",
            Severity::Error,
            crate::testing::codes::EXAMPLE_ID.member("t"),
            "failed",
        );
        assert_eq!(annotation(&d), "::error title=test%3A t::failed");
    }
}
