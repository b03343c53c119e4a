//! The tasks behind Cargo features, known by name whatever this build leaves out: a task
//! that is not built in is still a subcommand (listed in `--help` with the feature that
//! brings it), and running it says which feature to enable and where, exit 2 — never
//! clap's bare `unrecognized subcommand`. The registry records them (from the stock
//! table, [`crate::stock::STOCK`]), because their own definitions are not compiled in.

use windlass_core::{Registry, UsageError};

/// `cli` with a placeholder for each gated task `registry` does not have: any arguments
/// accepted, so that running it reaches [`left_out`]'s message rather than a parse error.
pub fn add_placeholders(
    cli: clap::Command,
    registry: &Registry,
    nesting: &crate::nesting::Nesting,
) -> clap::Command {
    registry
        .unavailable_tasks()
        .filter_map(|(name, feature)| Some((name, nesting.command_of(name)?, feature)))
        .fold(cli, |cli, (task, name, feature)| {
            crate::nesting::add(
                cli,
                task,
                clap::Command::new(name.to_string())
                    .about(format!(
                        "[not built in: the `{feature}` feature of windlass adds it]"
                    ))
                    .disable_help_flag(true)
                    .arg(
                        clap::Arg::new("args")
                            .num_args(0..)
                            .trailing_var_arg(true)
                            .allow_hyphen_values(true)
                            .hide(true),
                    ),
            )
        })
}

/// The error for running `name` when `registry` does not have it; `None` when it does (or
/// it is no gated task).
pub fn left_out(name: &str, registry: &Registry) -> Option<UsageError> {
    if registry.get(name).is_some() {
        return None;
    }
    let (_, feature) = registry
        .unavailable_tasks()
        .find(|(task, _)| *task == name)?;
    Some(
        UsageError::new(format!(
            "`{name}` is not built into this xtask: it comes with the `{feature}` feature of windlass"
        ))
        .hint(format!(
            "add \"{feature}\" to the features of the windlass dependency in xtask/Cargo.toml (for the installed binary: cargo install windlass --features {feature})"
        )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_gated_task_is_a_subcommand_whatever_the_features() {
        let xtask = crate::Xtask::new();
        let cli = xtask.cli();
        let gated = crate::stock::STOCK
            .iter()
            .filter(|row| row.feature.is_some())
            .flat_map(|row| row.tasks.iter());
        for name in gated {
            assert!(cli.find_subcommand(name).is_some(), "{name}");
            assert_eq!(
                left_out(name, xtask.registry()).is_some(),
                xtask.registry().get(name).is_none(),
                "{name}"
            );
        }
    }
}
