//! A session: the runner and the reporter of one windlass invocation, and the only way a task
//! starts a process or says something.

use crate::event::{Diagnostic, Event, Severity};
use crate::report::Reporter;
use crate::runner::{Capture, Finished, Runner, describe_command};
use anyhow::Result;
use std::process::Command;

/// The runner and reporter every task works through.
pub struct Session {
    runner: Runner,
    reporter: Recording,
    color: bool,
    details: bool,
    /// `-v`: echo the plumbing too.
    verbose: bool,
}

/// Passes events on, keeping the diagnostics for the run's report.
struct Recording {
    inner: Box<dyn Reporter>,
    diagnostics: Vec<Diagnostic>,
}

impl Reporter for Recording {
    fn event(&mut self, event: &Event) {
        if let Event::Diagnostic(d) = event {
            self.diagnostics.push(d.clone());
        }
        self.inner.event(event);
    }
}

impl Session {
    /// A session that reports to `reporter`. `color` says whether child tools should colour
    /// the output we capture and show (rustc's rendered diagnostics, for one).
    pub fn new(runner: Runner, reporter: Box<dyn Reporter>, color: bool) -> Self {
        Self {
            runner,
            reporter: Recording {
                inner: reporter,
                diagnostics: Vec::new(),
            },
            color,
            details: false,
            verbose: false,
        }
    }

    /// `-v`: commands run quietly (polls, git plumbing) are echoed too.
    pub fn with_verbose(mut self, verbose: bool) -> Self {
        self.verbose = verbose;
        self
    }

    /// The runner.
    pub fn runner(&self) -> &Runner {
        &self.runner
    }

    /// Runs `f` with commands that finish despite an interrupt (a first Ctrl-C or SIGTERM is
    /// not forwarded to them): for the way back to a working state, never for new work.
    pub fn recovering<T>(&mut self, f: impl FnOnce(&mut Session) -> T) -> T {
        let before = self.runner.recovering.replace(true);
        let out = f(self);
        self.runner.recovering.set(before);
        out
    }

    /// Whether an interrupt should stop what runs now: one has arrived, and this is not the
    /// way back from it.
    pub fn stop_requested(&self) -> bool {
        crate::signal::interrupted() && !self.runner.is_recovering()
    }

    /// The shell to build commands with: `let sh = session.shell(); cmd!(sh, "cargo fmt")`.
    pub fn shell(&self) -> std::rc::Rc<xshell::Shell> {
        self.runner.shell()
    }

    /// Asks tasks to attach [`Diagnostic::details`]: only a machine-readable report shows
    /// them, and some (a whole advisory) are costly to build.
    pub fn with_details(mut self, details: bool) -> Self {
        self.details = details;
        self
    }

    /// Whether diagnostics should carry their structured details.
    pub fn wants_details(&self) -> bool {
        self.details
    }

    /// Whether captured tool output should be coloured.
    pub fn color(&self) -> bool {
        self.color
    }

    /// Every diagnostic reported so far.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.reporter.diagnostics
    }

    /// Sends an event to the reporter.
    pub fn emit(&mut self, event: Event) {
        self.reporter.event(&event);
    }

    /// Reports a finding.
    pub fn diagnostic(&mut self, diagnostic: Diagnostic) {
        self.emit(Event::Diagnostic(diagnostic));
    }

    /// Tells the user something that is not a finding.
    pub fn message(&mut self, severity: Severity, text: impl Into<String>) {
        self.emit(Event::Message {
            severity,
            text: text.into(),
        });
    }

    /// How `cmd` is echoed: the command line a user can paste, with the variables it sets.
    pub fn describe(cmd: xshell::Cmd<'_>) -> String {
        describe_command(&cmd.into())
    }

    /// A process to run: the one way a task starts one. Set what differs from the default —
    /// stdout and stderr straight to the user, echoed, no timeout, no stdin — then `run`:
    /// `session.cmd(sh.cmd("cargo").arg("fmt")).capture(Capture::Everything).timeout(d).run()`.
    pub fn cmd<'s>(&'s mut self, cmd: impl Into<Command>) -> Proc<'s> {
        Proc {
            session: self,
            command: cmd.into(),
            capture: Capture::Nothing,
            timeout: None,
            input: None,
            echo: true,
            on_line: None,
        }
    }

    /// Runs a command built with xshell; see [`Runner::run`].
    pub fn run(&mut self, cmd: xshell::Cmd<'_>, capture: Capture) -> Result<Finished> {
        self.cmd(cmd).capture(capture).run()
    }

    /// Runs a command, handing each captured stdout line to `on_line` as it arrives, with the
    /// reporter, so that findings show while the command still runs.
    pub fn run_lines(
        &mut self,
        cmd: xshell::Cmd<'_>,
        capture: Capture,
        on_line: &mut dyn FnMut(&str, &mut dyn Reporter),
    ) -> Result<Finished> {
        self.cmd(cmd).capture(capture).on_line(on_line).run()
    }

    /// Runs a command without echoing it: for the polls of a wait loop (a rollout's task
    /// states every 300 ms), where each echo would be noise. Output is captured.
    pub fn run_quiet(&mut self, cmd: xshell::Cmd<'_>) -> Result<Finished> {
        self.cmd(cmd).capture(Capture::Everything).quiet().run()
    }

    /// Runs a command, killing it past `timeout`; see [`Runner::run_with_timeout`].
    pub fn run_timeout(
        &mut self,
        cmd: xshell::Cmd<'_>,
        capture: Capture,
        timeout: std::time::Duration,
    ) -> Result<Finished> {
        self.cmd(cmd).capture(capture).timeout(timeout).run()
    }

    /// Runs a command with `input` on its stdin, capturing its output.
    pub fn run_input(&mut self, cmd: xshell::Cmd<'_>, input: Vec<u8>) -> Result<Finished> {
        self.cmd(cmd)
            .capture(Capture::Everything)
            .stdin(input)
            .run()
    }

    /// Runs a ready-made `std::process::Command` (one a library built for us).
    pub fn run_command(&mut self, command: Command, capture: Capture) -> Result<Finished> {
        self.cmd(command).capture(capture).run()
    }
}

/// A process being set up to run through the session ([`Session::cmd`]): the echo, the
/// timing and the interrupt handling are the same for every one.
pub struct Proc<'s> {
    session: &'s mut Session,
    command: Command,
    capture: Capture,
    timeout: Option<std::time::Duration>,
    input: Option<Vec<u8>>,
    echo: bool,
    on_line: Option<&'s mut LineHandler<'s>>,
}

/// What is handed each captured stdout line, with the reporter.
pub type LineHandler<'a> = dyn FnMut(&str, &mut dyn Reporter) + 'a;

impl<'s> Proc<'s> {
    /// What is captured rather than shown (default: nothing).
    pub fn capture(mut self, capture: Capture) -> Self {
        self.capture = capture;
        self
    }

    /// Killed, with everything it started, past `timeout` ([`Finished::timed_out`]).
    pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Bytes for its stdin (written from a thread: a child that writes first cannot deadlock).
    pub fn stdin(mut self, input: Vec<u8>) -> Self {
        self.input = Some(input);
        self
    }

    /// Not echoed: the polls of a wait loop.
    pub fn quiet(mut self) -> Self {
        self.echo = false;
        self
    }

    /// Each captured stdout line, as it arrives, with the reporter.
    pub fn on_line(mut self, on_line: &'s mut LineHandler<'s>) -> Self {
        self.on_line = Some(on_line);
        self
    }

    /// Runs it to the end. A non-zero exit is not an error: the caller decides what it means.
    pub fn run(self) -> Result<Finished> {
        let Proc {
            session,
            command,
            capture,
            timeout,
            input,
            echo,
            mut on_line,
        } = self;
        let echo = echo || session.verbose;
        if echo {
            session.emit(Event::CommandStarted {
                command: describe_command(&command),
                streaming: capture != Capture::Everything,
            });
        }
        let reporter = &mut session.reporter;
        let finished = session.runner.run_full(
            command,
            capture,
            &mut |line| {
                if let Some(on_line) = on_line.as_mut() {
                    on_line(line, reporter);
                }
            },
            timeout,
            input,
        )?;
        if echo {
            session.emit(Event::CommandFinished {
                duration: finished.duration,
            });
        }
        Ok(finished)
    }
}
