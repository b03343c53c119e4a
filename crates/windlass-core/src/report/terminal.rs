//! The terminal reporter: what a developer reads.
//!
//! Each step gets a heading and its commands are echoed; findings are shown as the tool renders
//! them (rustc's diagnostics, rustfmt's diff); a failed step ends with its file:line list and
//! the command that fixes or reproduces it; the run ends with a table of steps and durations.

use super::Reporter;
use super::style::{BAD, BOLD, DIM, GOOD, NOTE, WARN, paint};
use crate::event::{Diagnostic, Event, PlannedStep, RunReport, Severity, StepRecord, StepStatus};
use crate::sanitize;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

type Out = Arc<Mutex<Box<dyn Write + Send>>>;

/// How many locations a failed step lists again under its result line.
const LOCATIONS_SHOWN: usize = 20;

/// Writes for people.
pub struct TerminalReporter {
    out: Out,
    color: bool,
    progress: bool,
    spinner: Option<Spinner>,
    current_step: String,
    /// `place  severity title` of the current step's findings, listed again if it fails.
    step_locations: Vec<String>,
    /// In GitHub Actions, where a line of data could be read as a workflow command.
    github_actions: bool,
    /// `-q`: only failures and the verdict.
    quiet: bool,
}

impl TerminalReporter {
    /// Writes to `out`; `color` for ANSI styles, `is_tty` for the progress indicator.
    pub fn new(out: Box<dyn Write + Send>, color: bool, is_tty: bool) -> Self {
        Self {
            out: Arc::new(Mutex::new(out)),
            color,
            progress: is_tty,
            spinner: None,
            current_step: String::new(),
            step_locations: Vec::new(),
            github_actions: false,
            quiet: false,
        }
    }

    /// How much to show: `Quiet` leaves out headings, echoed commands, notices and passing
    /// steps, keeping what failed and the verdict.
    pub fn verbosity(mut self, verbosity: super::Verbosity) -> Self {
        self.quiet = verbosity == super::Verbosity::Quiet;
        self
    }

    /// Guards its output against the GitHub runner's workflow commands.
    pub fn in_github_actions(mut self, yes: bool) -> Self {
        self.github_actions = yes;
        self
    }

    /// Every line goes out through the sanitizer: secrets redacted, control characters
    /// escaped (colour kept when on), workflow commands guarded in GitHub Actions.
    fn write(&self, text: &str) {
        let redacted = sanitize::redact(text);
        let shown = sanitize::terminal(&redacted, self.color);
        let shown = if self.github_actions {
            sanitize::guard_workflow_commands(&shown)
        } else {
            shown
        };
        if let Ok(mut out) = self.out.lock() {
            let _ = out.write_all(shown.as_bytes());
            let _ = out.flush();
        }
    }

    fn paint(&self, style: anstyle::Style, text: &str) -> String {
        paint(self.color, style, text)
    }

    fn severity_label(&self, severity: Severity) -> String {
        let style = match severity {
            Severity::Error => BAD,
            Severity::Warning => WARN,
            Severity::Notice => NOTE,
        };
        self.paint(style, severity.as_str())
    }

    fn diagnostic(&mut self, d: &Diagnostic) {
        let text = match &d.rendered {
            Some(rendered) => ensure_newline(rendered),
            None => {
                let mut text = format!(
                    "{}{}: {}\n",
                    self.severity_label(d.severity),
                    self.paint(BOLD, &format!("[{}]", d.title)),
                    first_line(&d.message)
                );
                if let Some(location) = d.location() {
                    text.push_str(&format!("  {} {location}\n", self.paint(NOTE, "-->")));
                }
                for line in d.message.lines().skip(1) {
                    text.push_str(&format!("   {line}\n"));
                }
                text
            }
        };
        self.write(&text);
        if d.severity >= Severity::Warning {
            let place = d.location().unwrap_or_else(|| "-".into());
            self.step_locations
                .push(format!("{place}  {} {}", d.severity.as_str(), d.title));
        }
    }

    fn step_finished(&mut self, record: &StepRecord) {
        let (style, mark) = match record.status {
            StepStatus::Passed => (GOOD, "✓"),
            StepStatus::Failed => (BAD, "✗"),
            StepStatus::Error => (BAD, "✗"),
            StepStatus::Skipped => (WARN, "-"),
        };
        let mut text = format!(
            "{} {} {} {}",
            self.paint(style, mark),
            self.paint(BOLD, &record.name),
            self.paint(style, record.status.as_str()),
            self.paint(DIM, &format!("in {}", seconds(record.duration))),
        );
        if !record.summary.is_empty() {
            text.push_str(&format!(": {}", record.summary));
        }
        text.push('\n');
        if matches!(record.status, StepStatus::Failed | StepStatus::Error) {
            for line in self.step_locations.iter().take(LOCATIONS_SHOWN) {
                text.push_str(&format!("    {line}\n"));
            }
            if self.step_locations.len() > LOCATIONS_SHOWN {
                text.push_str(&format!(
                    "    ... and {} more\n",
                    self.step_locations.len() - LOCATIONS_SHOWN
                ));
            }
            if let Some(fix) = &record.fix {
                text.push_str(&format!(
                    "  {} {fix}\n",
                    self.paint(NOTE, "to fix or reproduce:")
                ));
            }
        }
        self.write(&text);
        self.step_locations.clear();
    }

    fn run_finished(&mut self, report: &RunReport) {
        let width = report
            .steps
            .iter()
            .map(|s| s.name.len())
            .max()
            .unwrap_or(4)
            .max(4);
        let mut text = format!(
            "\n{}\n",
            self.paint(
                BOLD,
                &format!("{:<width$}  {:<7}  {:>8}", "step", "result", "time")
            )
        );
        for step in &report.steps {
            let style = match step.status {
                StepStatus::Passed => GOOD,
                StepStatus::Failed | StepStatus::Error => BAD,
                StepStatus::Skipped => WARN,
            };
            let time = if step.status == StepStatus::Skipped {
                "-".into()
            } else {
                seconds(step.duration)
            };
            // A skipped step says why, so that no check is left out silently.
            let why = if step.status == StepStatus::Skipped {
                format!("  {}", self.paint(DIM, &step.summary))
            } else {
                String::new()
            };
            text.push_str(&format!(
                "{:<width$}  {}  {:>8}{why}\n",
                step.name,
                self.paint(style, &format!("{:<7}", step.status.as_str())),
                time
            ));
        }
        let count = |status| report.steps.iter().filter(|s| s.status == status).count();
        let verdict = match report.status {
            StepStatus::Passed => self.paint(GOOD, &format!("{} passed", report.task)),
            other => self.paint(BAD, &format!("{} {}", report.task, other.as_str())),
        };
        text.push_str(&format!(
            "{verdict}: {} passed, {} failed, {} skipped in {}\n",
            count(StepStatus::Passed),
            count(StepStatus::Failed) + count(StepStatus::Error),
            count(StepStatus::Skipped),
            seconds(report.duration)
        ));
        self.write(&text);
    }

    fn plan(&mut self, steps: &[PlannedStep]) {
        let width = steps.iter().map(|s| s.name.len()).max().unwrap_or(0);
        let mut text = String::new();
        for (i, step) in steps.iter().enumerate() {
            let name = format!("{:<width$}", step.name);
            if step.selected {
                text.push_str(&format!(
                    "{:>2}. {}  {}\n",
                    i + 1,
                    self.paint(BOLD, &name),
                    step.runs
                ));
            } else {
                text.push_str(&format!(
                    "{:>2}. {}  {}\n",
                    i + 1,
                    self.paint(DIM, &name),
                    self.paint(DIM, "(skipped)")
                ));
            }
        }
        self.write(&text);
    }

    fn stop_spinner(&mut self) {
        if let Some(spinner) = self.spinner.take() {
            spinner.stop();
        }
    }
}

impl Reporter for TerminalReporter {
    fn event(&mut self, event: &Event) {
        if self.quiet {
            match event {
                Event::StepStarted { name } => {
                    self.current_step.clone_from(name);
                    self.step_locations.clear();
                    return;
                }
                Event::CommandStarted { .. } | Event::Plan(_) => return,
                Event::Message { severity, .. } if *severity == Severity::Notice => return,
                Event::Diagnostic(d) if d.severity == Severity::Notice => return,
                Event::StepFinished(record)
                    if matches!(record.status, StepStatus::Passed | StepStatus::Skipped) =>
                {
                    self.stop_spinner();
                    self.step_locations.clear();
                    return;
                }
                Event::RunFinished(report) => {
                    self.stop_spinner();
                    let verdict = match report.status {
                        StepStatus::Passed => self.paint(GOOD, &format!("{} passed", report.task)),
                        other => self.paint(BAD, &format!("{} {}", report.task, other.as_str())),
                    };
                    self.write(&format!("{verdict} in {}\n", seconds(report.duration)));
                    return;
                }
                _ => {}
            }
        }
        match event {
            Event::Plan(steps) => self.plan(steps),
            Event::StepStarted { name } => {
                self.current_step.clone_from(name);
                self.step_locations.clear();
                self.write(&format!(
                    "{} {}\n",
                    self.paint(NOTE, "==>"),
                    self.paint(BOLD, name)
                ));
            }
            Event::CommandStarted { command, streaming } => {
                self.write(&format!(
                    "    {}\n",
                    self.paint(DIM, &format!("$ {command}"))
                ));
                if self.progress && !streaming {
                    let label = if self.current_step.is_empty() {
                        command.clone()
                    } else {
                        self.current_step.clone()
                    };
                    self.spinner = Some(Spinner::start(label, Arc::clone(&self.out)));
                }
            }
            Event::CommandFinished { .. } => self.stop_spinner(),
            Event::Diagnostic(d) => self.diagnostic(d),
            Event::Message { severity, text } => {
                let label = self.severity_label(*severity);
                self.write(&format!("{label}: {text}\n"));
            }
            Event::Output { text, .. } => self.write(&ensure_newline(text)),
            // Written to stdout alone by the artifact reporter.
            Event::Artifact { .. } | Event::Summary { .. } => {}
            Event::StepFinished(record) => {
                self.stop_spinner();
                self.step_finished(record);
            }
            Event::RunFinished(report) => {
                self.stop_spinner();
                self.run_finished(report);
            }
        }
    }
}

/// A line that shows a long step is alive: `⠙ lint 12.4s`, redrawn in place, cleared at the end.
struct Spinner {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl Spinner {
    /// Shown only after a short delay, so that quick commands do not flicker.
    const DELAY: Duration = Duration::from_millis(400);
    const FRAMES: [&'static str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

    fn start(label: String, out: Out) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            let mut frame = 0;
            let mut drawn = false;
            while !flag.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(80));
                if started.elapsed() < Self::DELAY || flag.load(Ordering::SeqCst) {
                    continue;
                }
                if let Ok(mut out) = out.lock() {
                    let _ = write!(
                        out,
                        "\r\x1b[2K{} {label} {}",
                        Self::FRAMES[frame % 10],
                        seconds(started.elapsed())
                    );
                    let _ = out.flush();
                    drawn = true;
                }
                frame += 1;
            }
            if drawn && let Ok(mut out) = out.lock() {
                let _ = write!(out, "\r\x1b[2K");
                let _ = out.flush();
            }
        });
        Self { stop, thread }
    }

    fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.thread.join();
    }
}

/// `1.23s`, or `2m05s` past a minute.
pub fn seconds(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.2}s")
    } else {
        let whole = d.as_secs();
        format!("{}m{:02}s", whole / 60, whole % 60)
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

fn ensure_newline(text: &str) -> String {
    if text.ends_with('\n') {
        text.to_string()
    } else {
        format!("{text}\n")
    }
}
