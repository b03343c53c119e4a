//! The command line of a registry's tasks: every task's subcommand, named as the nesting
//! says, the placeholders of the tasks this build leaves out, and the global options.

use crate::cli::GlobalArgs;
use crate::nesting::{self, Nesting};
use windlass_core::Registry;

/// Every task of `registry` as a subcommand of `command` (named as `nesting` says, a name
/// `command` already has left out and recorded as a clash), with a placeholder for each task
/// this build leaves out.
pub(crate) fn augment(
    registry: &Registry,
    nesting: &Nesting,
    command: clap::Command,
) -> clap::Command {
    let command = registry.tasks().fold(command, |command, task| {
        let (Some(sub), Some(name)) = (task.command(), nesting.command_of(task.name())) else {
            return command;
        };
        nesting::add(command, task.name(), sub.name(name.to_string()))
    });
    crate::gated::add_placeholders(command, registry, nesting)
}

/// The command line of an xtask of `registry`'s tasks: the global options and every task's
/// subcommand (what `completions` describes to a shell, too).
pub fn command_line(registry: &Registry) -> clap::Command {
    command_line_with(registry, &Nesting::new())
}

pub(crate) fn command_line_with(registry: &Registry, nesting: &Nesting) -> clap::Command {
    let root = clap::Command::new("cargo xtask")
        .about(
            "CI/CD for Rust services: the same checks locally, in GitHub Actions and in git hooks.",
        )
        .version(env!("CARGO_PKG_VERSION"))
        .max_term_width(100)
        .subcommand_required(true)
        .arg_required_else_help(true);
    augment(
        registry,
        nesting,
        <GlobalArgs as clap::Args>::augment_args(root),
    )
}
