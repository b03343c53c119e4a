//! `fmt-check`: is every file of the workspace formatted as `cargo fmt` would format it?
//!
//! Runs `cargo fmt -- --check` in the workspace root and turns its diff into one finding per
//! file, placed at the first line that differs, with the diff as its rendering. Not `--all`:
//! that also checks path dependencies outside the workspace (a sibling checkout, windlass
//! itself when an xtask depends on it by path), which are not this repository's to format.

use crate::text::{count, strip_ansi};
use anyhow::Result;
use serde::Deserialize;
use std::path::Path;
use windlass_core::cargo_env::Toolchain;
use windlass_core::runner::Capture;
use windlass_core::{
    Diagnostic, Plan, Session, Severity, Step, StepOutcome, UsageError, Workspace, tool,
};

/// The name of the step.
pub const NAME: &str = "fmt-check";

/// `[workspace.metadata.windlass.fmt-check]`: the repository's own way of running rustfmt
/// (`cargo +nightly fmt --all -- --config-path .config/rustfmt.toml`), which the hook's
/// rustfmt of staged files follows too.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FmtConfig {
    /// The toolchain whose rustfmt decides (`nightly` runs `cargo +nightly fmt`); default:
    /// the one rustup picks in the repository (its `rust-toolchain.toml`).
    pub toolchain: Option<Toolchain>,
    /// cargo fmt's own arguments, before `--` (e.g. `["--all"]`).
    #[serde(default)]
    pub args: Vec<String>,
    /// rustfmt's arguments, after `--` (e.g. `["--config", "imports_granularity=Crate"]`).
    #[serde(default)]
    pub rustfmt_args: Vec<String>,
    /// A rustfmt config rustfmt would not find by itself (e.g. `.config/rustfmt.toml`),
    /// relative to the workspace root.
    pub config_path: Option<String>,
}

impl FmtConfig {
    /// rustfmt's arguments: the config path, then the configured ones.
    pub fn rustfmt_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(path) = &self.config_path {
            args.push("--config-path".to_string());
            args.push(path.clone());
        }
        args.extend(self.rustfmt_args.iter().cloned());
        args
    }
}

/// The `fmt-check` step.
#[derive(Debug, Clone, Default)]
pub struct FmtCheck {
    /// How the repository runs rustfmt.
    pub config: FmtConfig,
}

impl FmtCheck {
    /// `cargo [+toolchain] fmt [args] -- --check --color WHEN [rustfmt args]`.
    fn args(&self, color: bool) -> Vec<String> {
        let mut args: Vec<String> = self.config.toolchain.iter().map(Toolchain::arg).collect();
        args.push("fmt".into());
        args.extend(self.config.args.iter().cloned());
        args.extend(
            [
                "--",
                "--check",
                "--color",
                if color { "always" } else { "never" },
            ]
            .map(String::from),
        );
        args.extend(self.config.rustfmt_args());
        args
    }

    /// The command that formats the files as this check wants them, run in the root.
    fn fix(&self, ws: &Workspace) -> String {
        let args = self.fix_args();
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        ws.cargo_hint_at_root(&refs)
    }

    /// `cargo`'s arguments of that command.
    fn fix_args(&self) -> Vec<String> {
        let mut args: Vec<String> = self.config.toolchain.iter().map(Toolchain::arg).collect();
        args.push("fmt".into());
        args.extend(self.config.args.iter().cloned());
        let rustfmt = self.config.rustfmt_args();
        if !rustfmt.is_empty() {
            args.push("--".into());
            args.extend(rustfmt);
        }
        args
    }
}

impl Step for FmtCheck {
    fn name(&self) -> &str {
        NAME
    }

    fn plan(&self, _ws: &Workspace, session: &mut Session) -> Result<Plan> {
        Ok(Plan::command(
            session.shell().cmd("cargo").args(self.args(false)),
        ))
    }

    // Long: rustfmt's check, its diff read into files and hunks, and its parse errors: one run's
    // two outputs reported together.
    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        let sh = session.shell();
        let cmd = sh.cmd("cargo").args(self.args(session.color()));
        let finished = session.run(cmd, Capture::Everything)?;
        let files = parse_check_output(&finished.stdout);
        let fix = self.fix(ws);
        let fix_command = windlass_core::paths::shell_line(
            std::iter::once("cargo".to_string()).chain(self.fix_args()),
        );
        for file in &files {
            let shown = ws.display_path(Path::new(&file.path));
            let rendered = file.render(&shown);
            session.diagnostic(
                Diagnostic::new(
                    NAME,
                    Severity::Error,
                    crate::codes::NOT_FORMATTED,
                    format!(
                        "{} in {shown} {} from rustfmt's output; run `{}`",
                        count(file.hunks.len(), "place", "places"),
                        if file.hunks.len() == 1 {
                            "differs"
                        } else {
                            "differ"
                        },
                        fix_command
                    ),
                )
                .at(
                    shown.clone(),
                    Some(file.hunks[0].first_changed_line()),
                    None,
                )
                .rendered(rendered),
            );
        }
        if !files.is_empty() {
            return Ok(StepOutcome::failed(
                format!("{} not formatted", count(files.len(), "file", "files")),
                fix,
            ));
        }
        if finished.success() {
            return Ok(StepOutcome::passed("all files formatted"));
        }
        // No diff, yet a failure: a manifest cargo cannot read, rustfmt missing, or a file
        // rustfmt cannot parse.
        let stderr = strip_ansi(finished.stderr.trim());
        if let Some(at) = stderr.find("`cargo metadata` exited with an error: ") {
            let cargo_error = stderr[at..]
                .split("\n\nThis utility formats")
                .next()
                .unwrap_or("");
            return Err(UsageError::new(cargo_error.trim().to_string())
                .hint("fix the manifest named above")
                .into());
        }
        if let Some(missing) = tool::cargo_subcommand_missing(
            session,
            self.config.toolchain.as_ref(),
            "fmt",
            "rustfmt",
        ) {
            return Err(missing.into());
        }
        let errors = parse_errors(&stderr);
        if errors.is_empty() {
            return Err(
                UsageError::new(format!("`cargo fmt` failed without a diff:\n{stderr}")).into(),
            );
        }
        let total = errors.len();
        for error in errors {
            let mut d = Diagnostic::new(
                NAME,
                Severity::Error,
                crate::codes::RUSTFMT_ERROR,
                error.message,
            )
            .rendered(error.rendered);
            if let Some((file, line, column)) = error.location {
                d = d.at(ws.display_path(Path::new(&file)), Some(line), Some(column));
            }
            session.diagnostic(d);
        }
        Ok(StepOutcome::failed(
            format!("rustfmt could not parse {}", count(total, "file", "files")),
            self.fix(ws),
        ))
    }
}

/// An error rustfmt reported (a file it cannot parse).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FmtError {
    /// The `error: ...` line's text.
    pub message: String,
    /// `file, line, column` from its `-->` line.
    pub location: Option<(String, u32, u32)>,
    /// The whole block as rustfmt printed it.
    pub rendered: String,
}

/// Splits rustfmt's stderr into its `error:` blocks.
pub fn parse_errors(stderr: &str) -> Vec<FmtError> {
    let mut errors: Vec<FmtError> = Vec::new();
    for line in stderr.lines() {
        if let Some(message) = line.strip_prefix("error: ") {
            errors.push(FmtError {
                message: message.to_string(),
                location: None,
                rendered: String::new(),
            });
        }
        let Some(current) = errors.last_mut() else {
            continue;
        };
        current.rendered.push_str(line);
        current.rendered.push('\n');
        if current.location.is_none()
            && let Some(place) = line.trim_start().strip_prefix("--> ")
            && let Some((rest, column)) = place.rsplit_once(':')
            && let Some((file, line_no)) = rest.rsplit_once(':')
            && let (Ok(line_no), Ok(column)) = (line_no.parse(), column.parse())
        {
            current.location = Some((file.to_string(), line_no, column));
        }
    }
    errors
}

/// The differences rustfmt found in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnformattedFile {
    /// The path as rustfmt printed it (absolute).
    pub path: String,
    /// Each differing place, in order.
    pub hunks: Vec<Hunk>,
}

/// One `Diff in file:line:` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    /// The first line of the original that differs.
    pub line: u32,
    /// The diff lines, as printed (possibly coloured).
    pub diff: String,
}

impl UnformattedFile {
    /// rustfmt's diff of the file, shown as `path`.
    pub fn render(&self, path: &str) -> String {
        self.hunks
            .iter()
            .map(|h| format!("Diff in {path}:{}:\n{}", h.line, h.diff))
            .collect()
    }
}

impl Hunk {
    /// The first line that changes: rustfmt's header counts the context lines before it.
    pub fn first_changed_line(&self) -> u32 {
        let context = strip_ansi(&self.diff)
            .lines()
            .take_while(|l| !l.starts_with('-') && !l.starts_with('+'))
            .count();
        self.line + u32::try_from(context).unwrap_or(0)
    }
}

/// Parses `rustfmt --check` output: `Diff in PATH:LINE:` (or the older `Diff in PATH at line
/// LINE:`) headers, each followed by its diff lines.
pub fn parse_check_output(stdout: &str) -> Vec<UnformattedFile> {
    let mut files: Vec<UnformattedFile> = Vec::new();
    for raw in stdout.lines() {
        let plain = strip_ansi(raw);
        if let Some((path, line)) = header(&plain) {
            let hunk = Hunk {
                line,
                diff: String::new(),
            };
            match files.last_mut() {
                Some(file) if file.path == path => file.hunks.push(hunk),
                _ => files.push(UnformattedFile {
                    path,
                    hunks: vec![hunk],
                }),
            }
        } else if let Some(hunk) = files.last_mut().and_then(|f| f.hunks.last_mut()) {
            hunk.diff.push_str(raw);
            hunk.diff.push('\n');
        }
    }
    files
}

fn header(line: &str) -> Option<(String, u32)> {
    let rest = line.strip_prefix("Diff in ")?.strip_suffix(':')?;
    if let Some((path, number)) = rest.rsplit_once(" at line ") {
        return Some((path.to_string(), number.parse().ok()?));
    }
    let (path, number) = rest.rsplit_once(':')?;
    Some((path.to_string(), number.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_hunks_by_file_in_both_header_styles() {
        let out = "Diff in /w/src/a.rs:1:\n-x\n+y\nDiff in /w/src/a.rs:9:\n-p\nDiff in /w/my dir/b.rs at line 3:\n+q\n";
        let files = parse_check_output(out);
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].path, "/w/src/a.rs");
        assert_eq!(
            files[0].hunks,
            vec![
                Hunk {
                    line: 1,
                    diff: "-x\n+y\n".into()
                },
                Hunk {
                    line: 9,
                    diff: "-p\n".into()
                }
            ]
        );
        assert_eq!(files[1].path, "/w/my dir/b.rs");
        assert_eq!(files[1].hunks[0].line, 3);
    }

    #[test]
    fn the_first_changed_line_skips_leading_context() {
        let hunk = Hunk {
            line: 1,
            diff: " a\n \n-b\n+c\n d\n".into(),
        };
        assert_eq!(hunk.first_changed_line(), 3);
    }

    #[test]
    fn reads_parse_errors_with_their_location() {
        let stderr = "error: this file contains an unclosed delimiter\n --> /w/src/main.rs:1:13\n  |\n1 | fn main( {}\n";
        let errors = parse_errors(stderr);
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].message,
            "this file contains an unclosed delimiter"
        );
        assert_eq!(
            errors[0].location,
            Some(("/w/src/main.rs".to_string(), 1, 13))
        );
        assert!(errors[0].rendered.ends_with("1 | fn main( {}\n"));
    }

    #[test]
    fn nothing_to_report_on_clean_output() {
        assert!(parse_check_output("").is_empty());
    }
}
