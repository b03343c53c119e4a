//! `fmt-check`: is every file of the workspace formatted as `cargo fmt --all` would?
//!
//! Runs `cargo fmt --all -- --check` and turns its diff into one finding per file, placed at
//! the first line that differs, with the diff as its rendering.

use crate::text::{count, strip_ansi};
use anyhow::Result;
use std::path::Path;
use windlass_core::runner::Capture;
use windlass_core::{
    Diagnostic, Session, Severity, Step, StepOutcome, UsageError, Workspace, tool,
};

/// The name of the step.
pub const NAME: &str = "fmt-check";

/// The `fmt-check` step.
#[derive(Debug, Clone, Default)]
pub struct FmtCheck;

impl FmtCheck {
    fn args(color: bool) -> Vec<&'static str> {
        vec![
            "fmt",
            "--all",
            "--",
            "--check",
            "--color",
            if color { "always" } else { "never" },
        ]
    }
}

impl Step for FmtCheck {
    fn name(&self) -> &str {
        NAME
    }

    fn plan(&self, _ws: &Workspace, session: &Session) -> String {
        Session::describe(session.shell().cmd("cargo").args(Self::args(false)))
    }

    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        let sh = session.shell();
        let cmd = sh.cmd("cargo").args(Self::args(session.color()));
        let finished = session.run(cmd, Capture::Everything)?;
        let files = parse_check_output(&finished.stdout);
        for file in &files {
            let shown = ws.display_path(Path::new(&file.path));
            let mut rendered = String::new();
            for hunk in &file.hunks {
                rendered.push_str(&format!("Diff in {shown}:{}:\n{}", hunk.line, hunk.diff));
            }
            session.diagnostic(
                Diagnostic::new(
                    NAME,
                    Severity::Error,
                    "not formatted",
                    format!(
                        "{} in {shown} {} from rustfmt's output; run `cargo fmt --all`",
                        count(file.hunks.len(), "place", "places"),
                        if file.hunks.len() == 1 {
                            "differs"
                        } else {
                            "differ"
                        }
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
        let fix = ws.cargo_hint(&["fmt", "--all"]);
        if !files.is_empty() {
            return Ok(StepOutcome::failed(
                format!("{} not formatted", count(files.len(), "file", "files")),
                fix,
            ));
        }
        if finished.success() {
            return Ok(StepOutcome::passed("all files formatted"));
        }
        // No diff, yet a failure: rustfmt is missing, or it could not parse a file.
        if !tool::cargo_subcommand_works(session, "fmt") {
            return Err(tool::missing("rustfmt", "rustup component add rustfmt").into());
        }
        let stderr = strip_ansi(finished.stderr.trim());
        if stderr.contains("error") {
            session.diagnostic(Diagnostic::new(
                NAME,
                Severity::Error,
                "rustfmt error",
                stderr.clone(),
            ));
            return Ok(StepOutcome::failed(
                "rustfmt could not format every file",
                ws.cargo_hint(&["fmt", "--all", "--", "--check"]),
            ));
        }
        Err(UsageError::new(format!("`cargo fmt` failed without a diff:\n{stderr}")).into())
    }
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
    fn nothing_to_report_on_clean_output() {
        assert!(parse_check_output("").is_empty());
    }
}
