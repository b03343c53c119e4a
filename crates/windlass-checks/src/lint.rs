//! `lint`: clippy over every target of every member; a warning fails the step.
//!
//! Diagnostics are read from cargo's `--message-format=json` through `cargo_metadata::Message`
//! (never scraped from text), shown as rustc renders them, and placed at their primary span.
//! Warnings are counted as failures here rather than with `-D warnings`: cargo then still
//! replays them from its cache, shares that cache with a plain `cargo clippy`, and every
//! crate is checked instead of stopping at the first one that warns.

use crate::selection::Features;
use crate::text::count;
use anyhow::Result;
use cargo_metadata::Message;
use cargo_metadata::diagnostic::{Diagnostic as RustcDiagnostic, DiagnosticLevel, DiagnosticSpan};
use serde::Deserialize;
use std::collections::HashSet;
use std::path::Path;
use windlass_core::cargo_env::Toolchain;
use windlass_core::event::Event;
use windlass_core::report::Reporter;
use windlass_core::runner::Capture;
use windlass_core::{
    Diagnostic, Plan, Session, Severity, Step, StepOutcome, UsageError, Workspace, tool,
};

/// The name of the step.
pub const NAME: &str = "lint";

/// `[workspace.metadata.windlass.lint]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LintConfig {
    /// Features to lint with.
    #[serde(default)]
    pub features: Vec<String>,
    /// Lint with every feature on.
    #[serde(default)]
    pub all_features: bool,
    /// Lint without the default features.
    #[serde(default)]
    pub no_default_features: bool,
    /// Extra arguments for clippy itself (after `--`), e.g. `["-W", "clippy::pedantic"]`.
    #[serde(default)]
    pub clippy_args: Vec<String>,
    /// The toolchain whose clippy decides (`nightly` runs `cargo +nightly clippy`); default:
    /// the one rustup picks in the repository.
    pub toolchain: Option<Toolchain>,
}

impl LintConfig {
    /// The feature selection of this config.
    pub fn features(&self) -> Features {
        Features {
            features: self.features.clone(),
            all_features: self.all_features,
            no_default_features: self.no_default_features,
        }
    }
}

/// The `lint` step.
#[derive(Debug, Clone, Default)]
pub struct Lint {
    /// Features to build with.
    pub features: Features,
    /// Extra clippy arguments.
    pub clippy_args: Vec<String>,
    /// The toolchain to run clippy of.
    pub toolchain: Option<Toolchain>,
    /// The members linted (default: all).
    pub packages: crate::selection::Packages,
}

impl Lint {
    /// The step as configured, with command-line features taking precedence.
    pub fn from_config(config: &LintConfig, cli: &Features) -> Self {
        Self {
            features: config.features().overridden_by(cli),
            clippy_args: config.clippy_args.clone(),
            toolchain: config.toolchain.clone(),
            packages: crate::selection::Packages::default(),
        }
    }

    fn args(&self, message_format: &str, color: bool) -> Vec<String> {
        let mut args: Vec<String> = self.toolchain.iter().map(Toolchain::arg).collect();
        args.push("clippy".into());
        args.extend(self.packages.args());
        args.push("--all-targets".into());
        args.extend(self.features.args());
        args.push(format!("--message-format={message_format}"));
        args.push("--color".into());
        args.push(if color { "always" } else { "never" }.into());
        if !self.clippy_args.is_empty() {
            args.push("--".into());
            args.extend(self.clippy_args.iter().cloned());
        }
        args
    }

    fn fix_hint(&self, ws: &Workspace) -> String {
        let mut args: Vec<String> = self.toolchain.iter().map(Toolchain::arg).collect();
        args.extend(
            [
                "clippy",
                "--fix",
                "--workspace",
                "--all-targets",
                "--allow-dirty",
            ]
            .map(String::from),
        );
        args.extend(self.features.args());
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        format!("{} (then fix the rest by hand)", ws.cargo_hint(&refs))
    }
}

impl Lint {
    /// The one command line of the step, for its plan and its run alike.
    fn command<'a>(&self, sh: &'a xshell::Shell, color: bool) -> xshell::Cmd<'a> {
        let format = if color {
            "json-diagnostic-rendered-ansi"
        } else {
            "json"
        };
        sh.cmd("cargo").args(self.args(format, color))
    }
}

impl Step for Lint {
    fn name(&self) -> &str {
        NAME
    }

    // The plan is the command the run runs, colour included.
    fn plan(&self, _ws: &Workspace, session: &mut Session) -> Result<Plan> {
        let sh = session.shell();
        Ok(Plan::command(self.command(&sh, session.color())))
    }

    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        let sh = session.shell();
        let cmd = self.command(&sh, session.color());
        let (errors, warnings, finished) = compiler_messages(session, cmd, ws, NAME)?;

        if errors + warnings > 0 {
            let mut parts = Vec::new();
            if errors > 0 {
                parts.push(count(errors, "error", "errors"));
            }
            if warnings > 0 {
                parts.push(count(warnings, "warning", "warnings"));
            }
            return Ok(StepOutcome::failed(parts.join(", "), self.fix_hint(ws)));
        }
        if finished.success() {
            return Ok(StepOutcome::passed("no warnings"));
        }
        if let Some(missing) =
            tool::cargo_subcommand_missing(session, self.toolchain.as_ref(), "clippy", "clippy")
        {
            return Err(missing.into());
        }
        Err(UsageError::new(format!(
            "`cargo clippy` exited with {} without reporting a diagnostic; its output is above",
            finished.status
        ))
        .into())
    }
}

/// `--message-format=` for [`compiler_messages`]: cargo's JSON, with rustc's rendering
/// coloured when the run is.
pub fn message_format(color: bool) -> String {
    format!(
        "--message-format={}",
        if color {
            "json-diagnostic-rendered-ansi"
        } else {
            "json"
        }
    )
}

/// Runs a cargo command with `--message-format=json*`, reporting each distinct warning and
/// error rustc (or clippy, or rustdoc) gives as a finding of `step` while it runs; the
/// counts of errors and warnings, and how the command ended.
pub fn compiler_messages(
    session: &mut Session,
    cmd: xshell::Cmd<'_>,
    ws: &Workspace,
    step: &str,
) -> Result<(usize, usize, windlass_core::runner::Finished)> {
    let mut seen = HashSet::new();
    let (mut errors, mut warnings) = (0usize, 0usize);
    let finished = session.run_lines(
        cmd,
        Capture::Stdout,
        &mut |line, reporter: &mut dyn Reporter| {
            let Some(found) = finding(step, ws, line) else {
                return;
            };
            if !seen.insert((
                found.file.clone(),
                found.line,
                found.column,
                found.title.clone(),
                found.message.clone(),
            )) {
                return;
            }
            match found.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
                Severity::Notice => {}
            }
            reporter.event(&Event::Diagnostic(found));
        },
    )?;
    Ok((errors, warnings, finished))
}

/// The finding in one line of cargo's JSON output, if it holds a warning or an error.
fn finding(step: &str, ws: &Workspace, line: &str) -> Option<Diagnostic> {
    // Most lines are build artifacts: a substring test skips them without a full parse.
    if !line.starts_with('{') || !line.contains("\"reason\":\"compiler-message\"") {
        return None;
    }
    let Ok(Message::CompilerMessage(msg)) = serde_json::from_str::<Message>(line) else {
        return None;
    };
    to_diagnostic(step, ws, &msg.message)
}

/// Converts a rustc diagnostic into a finding of `step`; `None` for notes and for the
/// "N warnings emitted" and "aborting due to" summaries, which repeat what was already
/// reported.
pub fn to_diagnostic(step: &str, ws: &Workspace, d: &RustcDiagnostic) -> Option<Diagnostic> {
    let severity = match d.level {
        DiagnosticLevel::Error | DiagnosticLevel::Ice => Severity::Error,
        DiagnosticLevel::Warning => Severity::Warning,
        _ => return None,
    };
    if d.spans.is_empty() && d.code.is_none() && is_summary(&d.message) {
        return None;
    }
    let title = d
        .code
        .as_ref()
        .map_or_else(|| severity.as_str().to_string(), |c| c.code.clone());
    let mut message = d.message.clone();
    for child in &d.children {
        if matches!(child.level, DiagnosticLevel::Help) && !child.message.is_empty() {
            message.push_str(&format!("\nhelp: {}", child.message));
            break;
        }
    }
    let mut out = Diagnostic::new(step, severity, crate::codes::LINT.member(title), message);
    if let Some(span) = d
        .spans
        .iter()
        .find(|s| s.is_primary)
        .map(|s| user_span(ws, s))
    {
        out = out
            .at(
                ws.display_path(Path::new(&span.file_name)),
                to_u32(span.line_start),
                to_u32(span.column_start),
            )
            .until(to_u32(span.line_end), to_u32(span.column_end));
    }
    if let Some(rendered) = &d.rendered {
        out = out.rendered(rendered.clone());
    }
    Some(out)
}

/// A span inside a macro from another crate is placed where the workspace invokes it.
fn user_span<'a>(ws: &Workspace, span: &'a DiagnosticSpan) -> &'a DiagnosticSpan {
    let mut current = span;
    while !in_workspace(ws, &current.file_name) {
        match &current.expansion {
            Some(expansion) => current = &expansion.span,
            None => return span,
        }
    }
    current
}

fn in_workspace(ws: &Workspace, file: &str) -> bool {
    let path = Path::new(file);
    path.is_relative() && !file.starts_with('<') || path.starts_with(&ws.root)
}

fn is_summary(message: &str) -> bool {
    message.starts_with("aborting due to")
        || (message.contains("warning")
            && (message.ends_with("emitted") || message.contains("generated")))
}

fn to_u32(n: usize) -> Option<u32> {
    u32::try_from(n).ok()
}
