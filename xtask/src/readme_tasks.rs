//! `readme-tasks`: the README's task table lists exactly the subcommands `--help` prints, so
//! that the documentation of the command line never drifts from the command line.

use std::collections::BTreeSet;
use windlass::{
    Diagnostic, InCi, NoArgs, NoConfig, Plan, Session, Severity, StepOutcome, Task, Workspace,
};

/// The codes of this task's findings.
mod codes {
    windlass::declare_codes! {
        owner: "xtask";
        codes {
            /// README.md has no `## Tasks` table.
            NO_TASK_TABLE = "no-task-table";
            /// A subcommand without a row in the task table.
            UNDOCUMENTED_TASK = "undocumented-task";
            /// A row of the task table that names no subcommand.
            NO_SUCH_TASK = "no-such-task";
        }
        families {}
    }
}

/// The task.
pub struct ReadmeTasks;

const README: &str = "README.md";

impl Task for ReadmeTasks {
    type Args = NoArgs;
    type Config = NoConfig;

    fn name(&self) -> &str {
        "readme-tasks"
    }

    fn about(&self) -> &str {
        "The README's task table lists exactly the subcommands of the command line."
    }

    fn ci(&self) -> InCi {
        InCi::Default
    }

    /// It reads the README and the command line, and compiles nothing.
    fn ci_job(&self, _: &NoConfig, _: &Workspace) -> anyhow::Result<windlass::CiJob> {
        Ok(windlass::CiJob::runs([format!("cargo xtask {}", self.name())]).without_build())
    }

    fn plan(
        &self,
        _: &NoArgs,
        _: &NoConfig,
        _: &Workspace,
        _: &mut Session,
    ) -> anyhow::Result<Plan> {
        Ok(Plan::describe(
            "compare the task table of README.md with the subcommands of `--help`",
        ))
    }

    fn run(
        &self,
        _: &NoArgs,
        _: &NoConfig,
        ws: &Workspace,
        session: &mut Session,
    ) -> anyhow::Result<StepOutcome> {
        let path = ws.root.join(README);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            windlass::UsageError::new(format!("cannot read {}: {e}", path.display()))
        })?;
        let Some((table_line, documented)) = task_table(&text) else {
            session.diagnostic(
                Diagnostic::new(
                    self.name(),
                    Severity::Error,
                    codes::NO_TASK_TABLE,
                    "README.md has no `## Tasks` table",
                )
                .at(README, None, None),
            );
            return Ok(StepOutcome::failed(
                "no task table",
                "add the `## Tasks` table to README.md",
            ));
        };
        // The stock tasks: this repository's own (this step among them) are not windlass's.
        let cli = windlass::Xtask::new().cli();
        let commands: BTreeSet<String> = cli
            .get_subcommands()
            .map(|c| c.get_name().to_string())
            .filter(|n| n != "help")
            .collect();
        let mut problems = 0;
        for name in commands
            .iter()
            .filter(|c| !documented.iter().any(|(d, _)| d == *c))
        {
            problems += 1;
            session.diagnostic(
                Diagnostic::new(
                    self.name(),
                    Severity::Error,
                    codes::UNDOCUMENTED_TASK,
                    format!("`{name}` is a subcommand but has no row in the task table"),
                )
                .at(README, Some(table_line), None),
            );
        }
        for (name, line) in documented.iter().filter(|(d, _)| !commands.contains(d)) {
            problems += 1;
            session.diagnostic(
                Diagnostic::new(
                    self.name(),
                    Severity::Error,
                    codes::NO_SUCH_TASK,
                    format!("the task table documents `{name}`, which is not a subcommand"),
                )
                .at(README, Some(*line), None),
            );
        }
        Ok(if problems == 0 {
            StepOutcome::passed(format!("{} tasks, each documented once", commands.len()))
        } else {
            StepOutcome::failed(
                format!("{problems} difference(s) between README.md and --help"),
                "edit the task table of README.md",
            )
        })
    }
}

/// The line of the table's header, and each row's task name with its line: the first word
/// of the first cell (`` `release [LEVEL|VERSION]` `` is `release`).
fn task_table(text: &str) -> Option<(u32, Vec<(String, u32)>)> {
    let mut lines = text.lines().zip(1u32..);
    lines.find(|(l, _)| l.trim() == "## Tasks")?;
    let (_, header) = lines.find(|(l, _)| l.starts_with('|'))?;
    let rows = lines
        .take_while(|(l, _)| l.starts_with('|'))
        .filter_map(|(l, n)| {
            let cell = l.trim_start_matches('|').trim().strip_prefix('`')?;
            let name = cell.split(['`', ' ']).next()?;
            Some((name.to_string(), n))
        })
        .collect();
    Some((header, rows))
}
