//! Nesting windlass in an xtask that already has commands of its own (`ci`, `lint`, `test`):
//! windlass's commands can be renamed or left out, or all of them put under one subcommand
//! ([`crate::Nested`]); a command name both sides use is a clash, found when the command line
//! is built and reported as a usage error naming both and the fix — never clap's panic.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};
use windlass_core::UsageError;

/// How windlass's commands appear in a command line they share.
#[derive(Debug, Clone, Default)]
pub struct Nesting {
    /// Task name → the subcommand it is.
    renamed: BTreeMap<String, String>,
    /// Tasks that are no subcommand.
    left_out: Vec<String>,
}

impl Nesting {
    /// No renames, nothing left out.
    pub fn new() -> Self {
        Self::default()
    }

    /// windlass's task `task` becomes the subcommand `to` (its config section and step name
    /// stay `task`).
    pub fn rename(mut self, task: &str, to: &str) -> Self {
        self.renamed.insert(task.to_string(), to.to_string());
        self
    }

    /// windlass's task `task` is no subcommand.
    pub fn without(mut self, task: &str) -> Self {
        self.left_out.push(task.to_string());
        self
    }

    /// The subcommand of `task`, `None` when it is left out.
    pub fn command_of<'a>(&'a self, task: &'a str) -> Option<&'a str> {
        if self.left_out.iter().any(|t| t == task) {
            return None;
        }
        Some(self.renamed.get(task).map_or(task, String::as_str))
    }

    /// The task the subcommand `command` runs (the name itself when it is not renamed).
    pub fn task_of<'a>(&'a self, command: &'a str) -> Option<&'a str> {
        if let Some((task, _)) = self.renamed.iter().find(|(_, to)| *to == command) {
            return Some(task);
        }
        if self.renamed.contains_key(command) || self.left_out.iter().any(|t| t == command) {
            return None;
        }
        Some(command)
    }
}

static INSTALLED: OnceLock<Nesting> = OnceLock::new();
static CLASHES: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

/// Installs `nesting` for [`crate::Commands`], which an xtask's `clap` derive builds without
/// an instance to ask (the first call wins).
pub fn install(nesting: Nesting) {
    let _ = INSTALLED.set(nesting);
}

/// The installed nesting (none: every command as it is named).
pub fn installed() -> Nesting {
    INSTALLED.get().cloned().unwrap_or_default()
}

/// Adds windlass's subcommand `sub` (task `task`) to `command`, unless the command already has
/// a subcommand of that name: then it is left out and the clash recorded.
pub fn add(command: clap::Command, task: &str, sub: clap::Command) -> clap::Command {
    let name = sub.get_name().to_string();
    let taken = command
        .get_subcommands()
        .any(|c| c.get_name() == name || c.get_all_aliases().any(|a| a == name));
    if taken {
        if let Ok(mut clashes) = CLASHES.lock()
            && !clashes.iter().any(|(t, n)| t == task && *n == name)
        {
            clashes.push((task.to_string(), name));
        }
        return command;
    }
    command.subcommand(sub)
}

/// Whether the subcommand `name` is the xtask's own because windlass's clashed with it.
pub fn clashed(name: &str) -> bool {
    CLASHES
        .lock()
        .is_ok_and(|clashes| clashes.iter().any(|(_, n)| n == name))
}

/// The usage error for the clashes found, when there are any.
pub fn clash_error() -> Option<UsageError> {
    let clashes = CLASHES.lock().ok()?.clone();
    let (task, name) = clashes.first()?;
    let others: Vec<String> = clashes[1..].iter().map(|(_, n)| format!("`{n}`")).collect();
    let also = if others.is_empty() {
        String::new()
    } else {
        format!(" (and so do {})", others.join(", "))
    };
    Some(
        UsageError::new(format!(
            "windlass's `{task}` command and this xtask's own `{name}` have the same name{also}: only one can be `cargo xtask {name}`"
        ))
        .hint(format!(
            "rename windlass's (`windlass::Xtask::new().rename(\"{task}\", \"windlass-{task}\").nest()` before parsing), leave it out (`.without(\"{task}\")`), or put all of windlass under one subcommand: a variant `Windlass(windlass::Nested)` of your command enum (docs/extending.md, \"Nesting windlass\")"
        )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_and_left_out_commands_map_both_ways() {
        let nesting = Nesting::new().rename("ci", "check").without("docs");
        assert_eq!(nesting.command_of("ci"), Some("check"));
        assert_eq!(nesting.command_of("docs"), None);
        assert_eq!(nesting.command_of("lint"), Some("lint"));
        assert_eq!(nesting.task_of("check"), Some("ci"));
        assert_eq!(
            nesting.task_of("ci"),
            None,
            "the old name is free for the xtask's own"
        );
        assert_eq!(nesting.task_of("docs"), None);
        assert_eq!(nesting.task_of("lint"), Some("lint"));
    }
}
