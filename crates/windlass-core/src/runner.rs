//! The one process runner: every external command windlass starts goes through here.
//!
//! Commands are built with `xshell` (its `cmd!` interpolates each value as one argument, so no
//! shell string is ever built from data), then started here with the output either streamed to
//! the user or captured for parsing, in a process group of its own so that an interrupt can stop
//! it and everything it started.

use crate::error::{Interrupted, UsageError};
use crate::paths::{shell_line, shell_quote};
use crate::signal::{self, ChildGuard};
use anyhow::{Context as _, Result};
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, ExitStatus, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// How long the output of a command that has exited is still read: what it wrote just
/// before exiting arrives within it; a pipe a grandchild holds open is let go after it.
const PIPE_GRACE: Duration = Duration::from_millis(500);

/// What to do with a child's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capture {
    /// Both streams go straight to the user.
    Nothing,
    /// Stdout is captured (and handed line by line to a callback); stderr goes to the user —
    /// cargo's progress stays visible while its JSON messages are parsed.
    Stdout,
    /// Both streams are captured; the user sees nothing unless the task shows it.
    Everything,
}

/// A command that has ended.
#[derive(Debug)]
pub struct Finished {
    /// How it exited.
    pub status: ExitStatus,
    /// Its stdout when captured, else empty.
    pub stdout: String,
    /// Its stderr when captured, else empty.
    pub stderr: String,
    /// Its wall time.
    pub duration: Duration,
    /// Whether it was killed for running past its timeout.
    pub timed_out: bool,
}

impl Finished {
    /// Whether it exited with status 0.
    pub fn success(&self) -> bool {
        self.status.success()
    }
}

/// Starts commands. One per session.
#[derive(Debug)]
pub struct Runner {
    shell: Rc<xshell::Shell>,
    streams_to_stderr: bool,
    /// Variables every command gets unless it sets them itself (a test service's address).
    env: std::cell::RefCell<std::collections::BTreeMap<String, String>>,
    withheld: std::cell::RefCell<std::collections::BTreeSet<String>>,
    /// Putting back what an interrupted run changed (a deploy switching back): commands run
    /// to the end despite an interrupt.
    pub(crate) recovering: std::cell::Cell<bool>,
    /// `--locked`: given to every cargo command that resolves dependencies.
    cargo_locked: std::cell::Cell<bool>,
}

impl Runner {
    /// A runner whose commands start in `dir`. With `streams_to_stderr`, output that would go
    /// to our stdout goes to stderr instead, keeping stdout for a machine-readable report.
    pub fn new(dir: &std::path::Path, streams_to_stderr: bool) -> Result<Self> {
        let shell = xshell::Shell::new().context("cannot read the current directory")?;
        shell.change_dir(dir);
        Ok(Self {
            shell: Rc::new(shell),
            streams_to_stderr,
            env: std::cell::RefCell::default(),
            withheld: std::cell::RefCell::default(),
            recovering: std::cell::Cell::new(false),
            cargo_locked: std::cell::Cell::new(false),
        })
    }

    /// `--locked`, `--offline`, `--frozen` of the command line: `--locked` added to every cargo
    /// command that resolves dependencies; offline as `CARGO_NET_OFFLINE`, which every cargo
    /// (and windlass's own fetches) honour.
    pub fn cargo_flags(&self, locked: bool, offline: bool) {
        self.cargo_locked.set(locked);
        if offline {
            self.set_env("CARGO_NET_OFFLINE", "true");
            crate::cargo_env::set_offline();
        }
    }

    /// The shell commands are built from: `let sh = runner.shell(); xshell::cmd!(sh, "cargo fmt")`.
    /// Shared, so that a command built from it does not borrow the runner that will run it.
    pub fn shell(&self) -> Rc<xshell::Shell> {
        Rc::clone(&self.shell)
    }

    /// Gives every later command `key=value`, unless it sets `key` itself.
    pub fn set_env(&self, key: &str, value: &str) {
        self.env.borrow_mut().insert(key.into(), value.into());
    }

    /// Stops giving commands `key`.
    pub fn remove_env(&self, key: &str) {
        self.env.borrow_mut().remove(key);
    }

    /// Keeps `key` of this process's environment from every later command, unless it sets
    /// `key` itself: a variable meant for this process alone (the hook's handshake).
    pub fn withhold_env(&self, key: &str) {
        self.withheld.borrow_mut().insert(key.into());
    }

    /// The variables of [`Runner::set_env`] onto `command`, under its own.
    fn apply_env(&self, command: &mut Command) {
        let own: Vec<std::ffi::OsString> =
            command.get_envs().map(|(k, _)| k.to_os_string()).collect();
        for (key, value) in self.env.borrow().iter() {
            if !own.iter().any(|k| k == key.as_str()) {
                command.env(key, value);
            }
        }
        for key in self.withheld.borrow().iter() {
            if !own.iter().any(|k| k == key.as_str()) {
                command.env_remove(key);
            }
        }
    }

    /// Whether [`crate::Session::recovering`] is under way.
    pub fn is_recovering(&self) -> bool {
        self.recovering.get()
    }

    /// Moves the directory that later commands start in.
    pub fn change_dir(&self, dir: &std::path::Path) {
        self.shell.change_dir(dir);
    }

    /// Runs `command` (built from an `xshell::Cmd` with `.into()`) to completion. `on_line` sees each captured stdout line as it arrives.
    ///
    /// A non-zero exit is not an error here: the caller decides what it means. Errors are a
    /// program that cannot be started (exit 2, naming it) and an interrupt (exit 130).
    pub fn run(
        &self,
        command: Command,
        capture: Capture,
        on_line: &mut dyn FnMut(&str),
    ) -> Result<Finished> {
        self.run_with_timeout(command, capture, on_line, None)
    }

    /// As [`Runner::run`]; past `timeout` the command and everything it started are killed
    /// and [`Finished::timed_out`] says so. For network calls that could hang for minutes.
    pub fn run_with_timeout(
        &self,
        command: Command,
        capture: Capture,
        on_line: &mut dyn FnMut(&str),
        timeout: Option<Duration>,
    ) -> Result<Finished> {
        self.run_full(command, capture, on_line, timeout, None)
    }

    /// The general form: an optional timeout, and optional bytes for the child's stdin
    /// (written from a thread, so that a child that writes before it reads cannot deadlock).
    // Long: the one place that starts processes: spawn, stdin thread, pipe readers, timeout, signal
    // forwarding and the grace for pipes held by daemons interlock on the same child.
    pub fn run_full(
        &self,
        mut command: Command,
        capture: Capture,
        on_line: &mut dyn FnMut(&str),
        timeout: Option<Duration>,
        input: Option<Vec<u8>>,
    ) -> Result<Finished> {
        signal::install();
        if signal::interrupted() && !self.recovering.get() {
            return Err(Interrupted.into());
        }
        if self.cargo_locked.get() {
            command = with_locked(command);
        }
        self.apply_env(&mut command);
        command.stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        match capture {
            Capture::Nothing => {
                command.stdout(self.user_stdout()?);
            }
            Capture::Stdout => {
                command.stdout(Stdio::piped());
            }
            Capture::Everything => {
                command.stdout(Stdio::piped()).stderr(Stdio::piped());
            }
        }
        own_process_group(&mut command);

        let started = Instant::now();
        let mut child = command.spawn().map_err(|err| spawn_error(&command, &err))?;
        let _guard = ChildGuard::register(child.id(), self.recovering.get());
        let watchdog = timeout.map(|limit| Watchdog::start(child.id(), limit));
        let writer = child.stdin.take().zip(input).map(|(mut stdin, bytes)| {
            std::thread::spawn(move || {
                use std::io::Write;
                // A child that exits without reading all of it is not our error.
                let _ = stdin.write_all(&bytes);
            })
        });

        // Both streams are read on threads of their own, and the child is waited for, not
        // its pipes: a grandchild it left running (a daemon a restart command started) can
        // hold them open for ever. Once the child has exited, what is still in flight is
        // read for a moment, then the pipes are let go.
        let stderr_bytes = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let stderr_done = child.stderr.take().map(|mut stderr| {
            let sink = std::sync::Arc::clone(&stderr_bytes);
            let (done, finished) = std::sync::mpsc::channel::<()>();
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                while let Ok(n) = stderr.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    if let Ok(mut sink) = sink.lock() {
                        sink.extend_from_slice(&buf[..n]);
                    }
                }
                let _ = done.send(());
            });
            finished
        });
        let lines = child.stdout.take().map(|out| {
            let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(out);
                loop {
                    let mut buf = Vec::new();
                    match reader.read_until(b'\n', &mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {
                            if tx.send(buf).is_err() {
                                break;
                            }
                        }
                    }
                }
            });
            rx
        });
        let mut stdout = String::new();
        let mut take_line = |buf: Vec<u8>| {
            let line = String::from_utf8_lossy(&buf);
            on_line(line.trim_end_matches(['\n', '\r']));
            stdout.push_str(&line);
        };
        let mut exited = None;
        if let Some(rx) = &lines {
            loop {
                match rx.recv_timeout(Duration::from_millis(50)) {
                    Ok(buf) => take_line(buf),
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                        if let Ok(Some(status)) = child.try_wait() {
                            exited = Some(status);
                            break;
                        }
                    }
                }
            }
        }
        let status = match exited {
            Some(status) => status,
            None => child
                .wait()
                .with_context(|| format!("lost track of `{}`", describe_command(&command)))?,
        };
        let grace = Instant::now() + PIPE_GRACE;
        if let Some(rx) = &lines {
            while let Ok(buf) = rx.recv_timeout(grace.saturating_duration_since(Instant::now())) {
                take_line(buf);
            }
        }
        if let Some(finished) = stderr_done {
            let _ = finished.recv_timeout(grace.saturating_duration_since(Instant::now()));
        }
        let stderr = stderr_bytes
            .lock()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let timed_out = watchdog.is_some_and(Watchdog::stop);
        if let Some(writer) = writer {
            let _ = writer.join();
        }
        if signal::interrupted() && !self.recovering.get() {
            return Err(Interrupted.into());
        }
        Ok(Finished {
            status,
            stdout,
            stderr,
            duration: started.elapsed(),
            timed_out,
        })
    }

    /// Starts `command` in the background (a test service), its stdout and stderr appended to
    /// `log`. It is in a process group of its own, which an interrupt reaches like any other
    /// child's; [`Background::stop`] (or dropping it) ends the whole group.
    pub fn spawn_background(
        &self,
        mut command: Command,
        log: &std::path::Path,
    ) -> Result<Background> {
        signal::install();
        if signal::interrupted() {
            return Err(Interrupted.into());
        }
        let dir = log.parent().unwrap_or(std::path::Path::new("."));
        let name = std::path::Path::new(log.file_name().unwrap_or_default());
        let file = crate::files::root(dir)?
            .append(name)
            .map_err(crate::files::error)?;
        let err = file
            .try_clone()
            .map_err(|e| UsageError::io(format!("cannot write {}: {e}", log.display())))?;
        self.apply_env(&mut command);
        command
            .stdin(Stdio::null())
            .stdout(Stdio::from(file))
            .stderr(Stdio::from(err));
        own_process_group(&mut command);
        let child = command.spawn().map_err(|err| spawn_error(&command, &err))?;
        let guard = ChildGuard::register(child.id(), false);
        Ok(Background {
            child,
            _guard: guard,
        })
    }

    /// Runs a clean-up command (removing a container a run started) to completion, capturing
    /// its output, even after an interrupt: what was started must be stopped either way. Not
    /// for anything else.
    pub fn run_cleanup(&self, mut command: Command) -> Result<Finished> {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let started = Instant::now();
        let output = command
            .output()
            .map_err(|err| spawn_error(&command, &err))?;
        Ok(Finished {
            status: output.status,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            duration: started.elapsed(),
            timed_out: false,
        })
    }

    fn user_stdout(&self) -> Result<Stdio> {
        if !self.streams_to_stderr {
            return Ok(Stdio::inherit());
        }
        #[cfg(unix)]
        {
            use std::os::fd::AsFd;
            let fd = std::io::stderr()
                .as_fd()
                .try_clone_to_owned()
                .context("cannot duplicate stderr")?;
            Ok(Stdio::from(fd))
        }
        #[cfg(not(unix))]
        Ok(Stdio::inherit())
    }
}

/// A process started by [`Runner::spawn_background`]; stopped when dropped.
#[derive(Debug)]
pub struct Background {
    child: std::process::Child,
    _guard: ChildGuard,
}

impl Background {
    /// Its process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Whether it has exited, and how.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Ends it and everything it started: SIGTERM to its group, SIGKILL after `grace`.
    pub fn stop(&mut self, grace: Duration) {
        if self.exited().is_some() {
            return;
        }
        signal::terminate_group(self.child.id());
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if self.exited().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        signal::kill_group(self.child.id());
        let _ = self.child.wait();
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop(Duration::from_secs(2));
    }
}

/// Kills a child's process group when its time is up, unless stopped first.
struct Watchdog {
    done: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<bool>,
}

impl Watchdog {
    fn start(pid: u32, limit: Duration) -> Self {
        let (done, finished) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || match finished.recv_timeout(limit) {
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                signal::kill_group(pid);
                true
            }
            _ => false,
        });
        Self { done, thread }
    }

    /// Whether it had to kill.
    fn stop(self) -> bool {
        let _ = self.done.send(());
        self.thread.join().unwrap_or(false)
    }
}

#[cfg(unix)]
fn own_process_group(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    command.process_group(0);
}

#[cfg(not(unix))]
fn own_process_group(_command: &mut Command) {}

/// The cargo subcommands that resolve dependencies and take `--locked`, and how many words
/// their name has (`nextest run`, `llvm-cov report`).
const LOCKABLE: &[(&str, usize)] = &[
    ("build", 1),
    ("check", 1),
    ("test", 1),
    ("clippy", 1),
    ("doc", 1),
    ("run", 1),
    ("metadata", 1),
    ("fetch", 1),
    ("tree", 1),
    ("nextest", 2),
    ("llvm-cov", 1),
    ("hack", 1),
];

/// `command` with `--locked` after its cargo subcommand, when it is cargo and the subcommand
/// takes it; anything else unchanged.
fn with_locked(command: Command) -> Command {
    let is_cargo = std::path::Path::new(command.get_program())
        .file_name()
        .is_some_and(|n| n == "cargo");
    let args: Vec<std::ffi::OsString> = command.get_args().map(ToOwned::to_owned).collect();
    let start = usize::from(
        args.first()
            .is_some_and(|a| a.to_string_lossy().starts_with('+')),
    );
    let words = args
        .get(start)
        .and_then(|sub| {
            LOCKABLE
                .iter()
                .find(|(name, _)| sub.to_string_lossy() == *name)
        })
        .map(|(_, words)| *words);
    let (true, Some(words)) = (is_cargo, words) else {
        return command;
    };
    if args.iter().any(|a| a == "--locked" || a == "--frozen") || args.len() < start + words {
        return command;
    }
    let mut out = Command::new(command.get_program());
    out.args(&args[..start + words])
        .arg("--locked")
        .args(&args[start + words..]);
    for (key, value) in command.get_envs() {
        match value {
            Some(v) => out.env(key, v),
            None => out.env_remove(key),
        };
    }
    if let Some(dir) = command.get_current_dir() {
        out.current_dir(dir);
    }
    out
}

/// `VAR=value program args...` for a `std::process::Command`.
pub fn describe_command(command: &Command) -> String {
    let mut parts: Vec<String> = command
        .get_envs()
        .filter_map(|(k, v)| {
            Some(format!(
                "{}={}",
                k.to_string_lossy(),
                shell_quote(&v?.to_string_lossy())
            ))
        })
        .collect();
    parts.push(shell_line(
        std::iter::once(command.get_program())
            .chain(command.get_args())
            .map(|a| a.to_string_lossy().into_owned()),
    ));
    parts.join(" ")
}

fn spawn_error(command: &Command, err: &std::io::Error) -> anyhow::Error {
    let program = command.get_program().to_string_lossy().into_owned();
    if err.kind() == std::io::ErrorKind::NotFound {
        UsageError::new(format!("`{program}` was not found on PATH"))
            .hint(format!(
                "install {program} or add the directory that holds it to PATH"
            ))
            .kind(crate::error::ErrorKind::ToolMissing)
            .into()
    } else {
        anyhow::anyhow!("cannot start `{}`: {err}", describe_command(command))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn locked_goes_after_the_cargo_subcommand_that_takes_it() {
        let line = |args: &[&str]| {
            let mut c = Command::new("cargo");
            c.args(args);
            describe_command(&with_locked(c))
        };
        assert_eq!(
            line(&["build", "--release"]),
            "cargo build --locked --release"
        );
        assert_eq!(
            line(&["+nightly", "clippy", "--", "-D", "warnings"]),
            "cargo +nightly clippy --locked -- -D warnings"
        );
        assert_eq!(
            line(&["nextest", "run", "--workspace"]),
            "cargo nextest run --locked --workspace"
        );
        assert_eq!(line(&["fmt", "--check"]), "cargo fmt --check");
        assert_eq!(line(&["test", "--locked"]), "cargo test --locked");
        let mut git = Command::new("git");
        git.arg("build");
        assert_eq!(describe_command(&with_locked(git)), "git build");
    }

    #[test]
    fn a_daemon_holding_the_pipes_does_not_hold_the_command() {
        let dir = tempfile::tempdir().expect("tempdir");
        let runner = Runner::new(dir.path(), false).expect("runner");
        let mut command = Command::new("sh");
        // The child exits at once; the daemon it leaves holds stdout and stderr for 30 s.
        command.args(["-c", "echo started; sleep 30 & echo done >&2"]);
        let started = Instant::now();
        let finished = runner
            .run(command, Capture::Everything, &mut |_| {})
            .expect("ran");
        assert!(finished.success());
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(finished.stdout.trim(), "started");
        assert_eq!(finished.stderr.trim(), "done");
    }

    #[test]
    fn a_withheld_variable_reaches_no_command_unless_it_sets_it_itself() {
        let dir = tempfile::tempdir().expect("tempdir");
        let runner = Runner::new(dir.path(), false).expect("runner");
        // HOME is in every test's environment: withheld, the child does not inherit it.
        runner.withhold_env("HOME");
        let home = |command: Command| {
            runner
                .run(command, Capture::Everything, &mut |_| {})
                .expect("ran")
                .stdout
                .trim()
                .to_string()
        };
        let mut inherits = Command::new("sh");
        inherits.args(["-c", "echo \"${HOME-unset}\""]);
        assert_eq!(home(inherits), "unset");
        let mut sets = Command::new("sh");
        sets.args(["-c", "echo \"$HOME\""]).env("HOME", "/its/own");
        assert_eq!(home(sets), "/its/own");
    }
}
