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
pub fn for_environment(format: Format, color: bool, env: &Environment, artifact: bool) -> Fanout {
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
            .in_github_actions(env.github_actions),
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
