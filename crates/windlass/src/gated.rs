//! The tasks behind Cargo features, known by name whatever this build leaves out: a task
//! that is not built in is still a subcommand (listed in `--help` with the feature that
//! brings it), and running it says which feature to enable and where, exit 2 — never
//! clap's bare `unrecognized subcommand`.

use windlass_core::UsageError;

/// Every feature-gated task: its name, the feature, and what it does.
const GATED: &[(&str, &str, &str)] = &[
    (
        "audit",
        "audit",
        "Check Cargo.lock against the RustSec advisories, and licences against deny.toml.",
    ),
    (
        "health-check",
        "deploy",
        "GET a health endpoint until it is healthy or a deadline passes.",
    ),
    (
        "validate-config",
        "deploy",
        "Check the variables, config files and services an environment needs.",
    ),
    (
        "deploy",
        "deploy",
        "Deploy a release to an environment, rolling back automatically if it is not healthy.",
    ),
    (
        "rollback",
        "deploy",
        "Switch an environment back to the previous (or a named) release.",
    ),
    (
        "systemd-unit",
        "deploy",
        "Print a hardened systemd unit for an environment's service.",
    ),
    (
        "init",
        "adopt",
        "Add windlass to a Rust repository: xtask crate, alias, config, workflows, hook.",
    ),
    (
        "doctor",
        "adopt",
        "Score a repository's production readiness, area by area, with the fix for each gap.",
    ),
    (
        "docker-build",
        "docker",
        "Write, lint, build and smoke-test the service's container image.",
    ),
    (
        "release",
        "release",
        "Bump the version, write the changelog, commit and tag (dry run unless --execute).",
    ),
];

/// Whether this build has `feature`.
fn built_in(feature: &str) -> bool {
    match feature {
        "audit" => cfg!(feature = "audit"),
        "deploy" => cfg!(feature = "deploy"),
        "adopt" => cfg!(feature = "adopt"),
        "docker" => cfg!(feature = "docker"),
        "release" => cfg!(feature = "release"),
        _ => true,
    }
}

/// `cli` with a placeholder for each task this build leaves out: any arguments accepted, so
/// that running it reaches [`left_out`]'s message rather than a parse error.
pub fn add_placeholders(cli: clap::Command) -> clap::Command {
    let missing: Vec<_> = GATED
        .iter()
        .filter(|(name, feature, _)| !built_in(feature) && cli.find_subcommand(name).is_none())
        .collect();
    missing
        .into_iter()
        .fold(cli, |cli, (name, feature, about)| {
            cli.subcommand(
                clap::Command::new(*name)
                    .about(format!("{about} [not built in: the `{feature}` feature]"))
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

/// The error for running `name` when this build leaves it out; `None` when it is built in
/// (or is no gated task).
pub fn left_out(name: &str) -> Option<UsageError> {
    let (_, feature, _) = GATED
        .iter()
        .find(|(task, feature, _)| *task == name && !built_in(feature))?;
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
        let cli = add_placeholders(<crate::Cli as clap::CommandFactory>::command());
        for (name, _, _) in GATED {
            assert!(cli.find_subcommand(name).is_some(), "{name}");
        }
    }

    #[test]
    fn a_built_in_task_has_no_placeholder_error() {
        for (name, feature, _) in GATED {
            assert_eq!(left_out(name).is_some(), !built_in(feature), "{name}");
        }
    }
}
