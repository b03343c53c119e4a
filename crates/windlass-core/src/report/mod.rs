//! Reporters: how the event stream is shown.
//!
//! - [`terminal`]: for people — colour, progress, the failing file:line, a table at the end;
//! - [`github`]: GitHub Actions workflow commands — a group per step, annotations;
//! - [`step_summary`]: the Markdown table appended to `$GITHUB_STEP_SUMMARY`;
//! - [`json`]: one stable JSON document on stdout (`--format json`).
//!
//! [`Fanout`] sends each event to several of them in order; [`for_environment`] picks the set
//! that fits where we run.

pub mod github;
pub mod json;
pub mod step_summary;
pub mod style;
pub mod terminal;

use crate::event::Event;
use std::io::{IsTerminal, Write};

/// Something that shows events.
pub trait Reporter {
    /// Shows one event. Reporters never fail a run: an unwritable output is ignored.
    fn event(&mut self, event: &Event);
}

/// Sends every event to each reporter, in order.
pub struct Fanout(pub Vec<Box<dyn Reporter>>);

impl Reporter for Fanout {
    fn event(&mut self, event: &Event) {
        for reporter in &mut self.0 {
            reporter.event(event);
        }
    }
}

/// How much the terminal shows (`-q`, `-v`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verbosity {
    /// What failed and the verdict: nothing else.
    Quiet,
    /// Each step, its commands, findings and results.
    #[default]
    Normal,
    /// Also the plumbing: every command, polls and git's included.
    Verbose,
}

/// What the user asked to see on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Text for people (with GitHub workflow commands when running in GitHub Actions).
    #[default]
    Human,
    /// One JSON report on stdout; human progress goes to stderr.
    Json,
}

/// Where the reporters write, and what the environment says about it.
pub struct Outputs {
    /// Where text for people goes.
    pub human: Box<dyn Write + Send>,
    /// Whether that is a terminal (progress indicator, colour in auto mode).
    pub human_is_tty: bool,
}

impl Outputs {
    /// stdout for people, or stderr when stdout carries JSON or the task's artifact.
    pub fn standard(format: Format, artifact: bool) -> Self {
        match format {
            Format::Human if artifact => Self {
                human: Box::new(std::io::stderr()),
                human_is_tty: std::io::stderr().is_terminal(),
            },
            Format::Human => Self {
                human: Box::new(std::io::stdout()),
                human_is_tty: std::io::stdout().is_terminal(),
            },
            Format::Json => Self {
                human: Box::new(std::io::stderr()),
                human_is_tty: std::io::stderr().is_terminal(),
            },
        }
    }
}

/// Environment facts that choose the reporters.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// `GITHUB_ACTIONS=true`.
    pub github_actions: bool,
    /// `$GITHUB_STEP_SUMMARY`, when set.
    pub step_summary: Option<std::path::PathBuf>,
}

impl Environment {
    /// Reads the process environment.
    pub fn from_env() -> Self {
        Self {
            github_actions: std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true"),
            step_summary: std::env::var_os("GITHUB_STEP_SUMMARY")
                .filter(|v| !v.is_empty())
                .map(Into::into),
        }
    }
}

/// Writes each [`Event::Artifact`] to stdout, as it is.
pub struct ArtifactReporter(pub Box<dyn Write + Send>);

impl Reporter for ArtifactReporter {
    fn event(&mut self, event: &Event) {
        if let Event::Artifact { text, .. } = event {
            let _ = self.0.write_all(text.as_bytes());
            let _ = self.0.flush();
        }
    }
}

/// The reporters for `format` in `env`: GitHub commands and the step summary when in GitHub
/// Actions, the terminal reporter for people, and the JSON reporter when asked. A task whose
/// stdout is its `artifact` (a unit file) gets it there alone, the rest on stderr.
pub fn for_environment(
    format: Format,
    color: bool,
    env: &Environment,
    artifact: bool,
    verbosity: Verbosity,
) -> Fanout {
    let outputs = Outputs::standard(format, artifact);
    let mut reporters: Vec<Box<dyn Reporter>> = Vec::new();
    if env.github_actions {
        let stream: Box<dyn Write + Send> = match format {
            Format::Human if !artifact => Box::new(std::io::stdout()),
            _ => Box::new(std::io::stderr()),
        };
        reporters.push(Box::new(github::GithubReporter::new(stream)));
    }
    reporters.push(Box::new(
        terminal::TerminalReporter::new(outputs.human, color, outputs.human_is_tty)
            .in_github_actions(env.github_actions)
            .verbosity(verbosity),
    ));
    if let Some(path) = &env.step_summary {
        reporters.push(Box::new(step_summary::StepSummaryReporter::new(
            path.clone(),
        )));
    }
    if format == Format::Json {
        reporters.push(Box::new(json::JsonReporter::new(Box::new(
            std::io::stdout(),
        ))));
    } else if artifact {
        reporters.push(Box::new(ArtifactReporter(Box::new(std::io::stdout()))));
    }
    Fanout(reporters)
}

#[cfg(test)]
mod hostile_data {
    //! Data — a file name, a title, a message, a tool's output — through every reporter as
    //! they run in GitHub Actions: no line of it ever becomes a workflow command, and no
    //! control character reaches the log raw.
    use super::*;
    use crate::event::{Diagnostic, RunReport, Severity, StepRecord, StepStatus};
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::Error::other("poisoned"))?
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn events(data: &str) -> Vec<Event> {
        let diagnostic = Diagnostic::new(
            "secrets",
            Severity::Error,
            crate::testing::codes::EXAMPLE_ID.member(data),
            data,
        )
        .at(data, Some(1), Some(1));
        let record = StepRecord {
            name: data.into(),
            status: StepStatus::Failed,
            duration: std::time::Duration::ZERO,
            summary: data.into(),
            fix: Some(data.into()),
            failure: None,
        };
        vec![
            Event::StepStarted { name: data.into() },
            Event::CommandStarted {
                command: data.into(),
                streaming: false,
            },
            Event::Diagnostic(diagnostic.clone()),
            Event::Diagnostic(diagnostic.clone().rendered(data)),
            Event::Message {
                severity: Severity::Warning,
                text: data.into(),
            },
            Event::Output {
                step: "secrets".into(),
                text: data.into(),
            },
            Event::StepFinished(record.clone()),
            Event::RunFinished(RunReport {
                schema: crate::event::REPORT_SCHEMA,
                task: data.into(),
                status: StepStatus::Failed,
                exit_code: 1,
                duration: std::time::Duration::ZERO,
                steps: vec![record],
                diagnostics: vec![diagnostic],
            }),
        ]
    }

    fn through_github_reporters(data: &str) -> String {
        let sink = Sink::default();
        let mut reporters = Fanout(vec![
            Box::new(github::GithubReporter::new(Box::new(sink.clone()))),
            Box::new(
                terminal::TerminalReporter::new(Box::new(sink.clone()), false, false)
                    .in_github_actions(true),
            ),
        ]);
        for event in events(data) {
            reporters.event(&event);
        }
        let bytes = sink.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    const OURS: [&str; 5] = [
        "::group::",
        "::endgroup::",
        "::error ",
        "::error::",
        "::warning",
    ];

    #[test]
    fn a_file_name_with_commands_escapes_and_nul_stays_data() {
        let name = "a\n::error title=INJECTED::pwned\r\n##[add-mask]x\u{1b}]0;t\u{7}\0.env";
        let out = through_github_reporters(name);
        for line in crate::testing::live_workflow_commands(&out) {
            assert!(OURS.iter().any(|o| line.starts_with(o)), "{line}\n{out}");
            assert!(!line.starts_with("::error title=INJECTED"), "{out}");
        }
        assert!(
            !out.contains('\u{1b}') && !out.contains('\0') && !out.contains('\u{7}'),
            "{out:?}"
        );
        let summary = step_summary::render(&match events(name).pop() {
            Some(Event::RunFinished(report)) => report,
            _ => unreachable!("the last event is the report"),
        });
        assert!(
            !summary.contains('\u{1b}') && !summary.contains("<img"),
            "{summary}"
        );
    }

    proptest::proptest! {
        /// Whatever the data, every command the runner would execute is one of the reporters'
        /// own, and no control character but newline and tab is written.
        #[test]
        fn no_reporter_emits_a_command_from_data(data in "(\\PC|[\n\r\u{1b}\u{7}\0:#\\[%,])*") {
            let out = through_github_reporters(&data);
            for line in crate::testing::live_workflow_commands(&out) {
                proptest::prop_assert!(OURS.iter().any(|o| line.starts_with(o)), "{}", line);
            }
            proptest::prop_assert!(out.chars().all(|c| !c.is_control() || c == '\n' || c == '\t'), "{:?}", out);
        }
    }
}
