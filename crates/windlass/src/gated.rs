//! The tasks behind Cargo features, known by name whatever this build leaves out: a task
//! that is not built in is still a subcommand (listed in `--help` with the feature that
//! brings it), and running it says which feature to enable and where, exit 2 — never
//! clap's bare `unrecognized subcommand`. Their names are written here because their own
//! definitions are not compiled in.

use windlass_core::{Registry, UsageError};

/// Every feature-gated task: its name and the feature that builds it in.
const GATED: &[(&str, &str)] = &[
    ("audit", "audit"),
    ("health-check", "deploy"),
    ("validate-config", "deploy"),
    ("deploy", "deploy"),
    ("rollback", "deploy"),
    ("systemd-unit", "deploy"),
    ("init", "adopt"),
    ("doctor", "adopt"),
    ("docker-build", "docker"),
    ("release", "release"),
    ("semver", "release"),
];

/// Whether `name` is a feature-gated task.
pub fn is_gated(name: &str) -> bool {
    GATED.iter().any(|(task, _)| *task == name)
}

/// `cli` with a placeholder for each gated task `registry` does not have: any arguments
/// accepted, so that running it reaches [`left_out`]'s message rather than a parse error.
pub fn add_placeholders(
    cli: clap::Command,
    registry: &Registry,
    nesting: &crate::nesting::Nesting,
) -> clap::Command {
    GATED
        .iter()
        .filter(|(name, _)| registry.get(name).is_none())
        .filter_map(|(name, feature)| Some((*name, nesting.command_of(name)?, *feature)))
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
    let (_, feature) = GATED.iter().find(|(task, _)| *task == name)?;
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
        for (name, _) in GATED {
            assert!(cli.find_subcommand(name).is_some(), "{name}");
            assert_eq!(
                left_out(name, xtask.registry()).is_some(),
                xtask.registry().get(name).is_none(),
                "{name}"
            );
        }
    }
}
