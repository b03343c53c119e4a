//! What a step will do, as data: the commands it will run, or what it does in-process.
//!
//! `--dry-run`, `--list` and the JSON plan show exactly this, so a plan is built from the same
//! command builder the step runs (a `xshell::Cmd` or a `std::process::Command`), never written
//! as a second, free-form string. A step that cannot say what it would do returns an error
//! from [`crate::Step::plan`]: a dry run that cannot be made fails like a run that cannot start.

use crate::paths::shell_line;
use crate::runner::describe_command;
use serde::Serialize;
use std::path::Path;
use std::process::Command;

/// One thing a step will do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// An external command.
    Command(PlannedCommand),
    /// Work done in-process (a scan, a comparison), described in words.
    Describe(String),
}

/// An external command as it will be started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedCommand {
    /// Program and arguments.
    pub argv: Vec<String>,
    /// Variables it sets, as `NAME=value`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// The directory it starts in, when not the workspace root.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// The line a user can paste into a shell.
    pub line: String,
}

/// The actions of a step, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Plan(pub Vec<Action>);

impl Plan {
    /// A plan of one command (an `xshell::Cmd` converts with `.into()`).
    pub fn command(command: impl Into<Command>) -> Self {
        Self(vec![Action::Command(planned(&command.into()))])
    }

    /// A plan of in-process work.
    pub fn describe(text: impl Into<String>) -> Self {
        Self(vec![Action::Describe(text.into())])
    }

    /// This plan followed by `next`.
    pub fn then(mut self, next: Plan) -> Self {
        self.0.extend(next.0);
        self
    }

    /// The directories of its commands shown relative to `root` (the workspace root, where
    /// every step starts): none at all when a command starts there.
    pub fn relative_to(mut self, root: &Path) -> Self {
        let root = crate::paths::normalize(root);
        for action in &mut self.0 {
            if let Action::Command(c) = action
                && let Some(dir) = &c.cwd
            {
                let dir = crate::paths::normalize(Path::new(dir));
                c.cwd = match dir.strip_prefix(&root) {
                    Ok(rel) if rel.as_os_str().is_empty() => None,
                    Ok(rel) => Some(rel.to_string_lossy().replace('\\', "/")),
                    Err(_) => Some(dir.to_string_lossy().replace('\\', "/")),
                };
            }
        }
        self
    }

    /// Whether it does nothing at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The commands it runs.
    pub fn commands(&self) -> impl Iterator<Item = &PlannedCommand> {
        self.0.iter().filter_map(|a| match a {
            Action::Command(c) => Some(c),
            Action::Describe(_) => None,
        })
    }

    /// One line for people: the commands joined with `&&`, descriptions as they are.
    pub fn line(&self) -> String {
        self.0
            .iter()
            .map(|a| match a {
                Action::Command(c) => match &c.cwd {
                    Some(dir) => format!("(cd {} && {})", shell_line([dir]), c.line),
                    None => c.line.clone(),
                },
                Action::Describe(text) => text.clone(),
            })
            .collect::<Vec<_>>()
            .join(" && ")
    }
}

fn planned(command: &Command) -> PlannedCommand {
    PlannedCommand {
        argv: std::iter::once(command.get_program())
            .chain(command.get_args())
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        env: command
            .get_envs()
            .filter_map(|(k, v)| Some(format!("{}={}", k.to_string_lossy(), v?.to_string_lossy())))
            .collect(),
        cwd: command
            .get_current_dir()
            .map(|d| d.to_string_lossy().replace('\\', "/")),
        line: describe_command(command),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_plan_is_the_command_line_a_user_can_paste() {
        let mut command = Command::new("cargo");
        command.args(["fmt", "--all", "my dir"]).env("A", "1");
        let plan = Plan::command(command).then(Plan::describe("compare the files"));
        assert_eq!(
            plan.line(),
            "A=1 cargo fmt --all 'my dir' && compare the files"
        );
        let json = serde_json::to_value(&plan).unwrap();
        assert_eq!(json[0]["command"]["argv"][3], "my dir");
        assert_eq!(json[0]["command"]["env"][0], "A=1");
        assert_eq!(json[1]["describe"], "compare the files");
    }

    #[test]
    fn a_command_in_another_directory_says_so() {
        let mut command = Command::new("make");
        command.current_dir("/ws/gen");
        let plan = Plan::command(command).relative_to(Path::new("/ws"));
        assert_eq!(plan.line(), "(cd gen && make)");
        let mut command = Command::new("make");
        command.current_dir("/ws");
        let plan = Plan::command(command).relative_to(Path::new("/ws/"));
        assert_eq!(plan.line(), "make");
    }
}
