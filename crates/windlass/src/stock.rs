//! windlass's own tasks, registered as an adopter's are: one table, in the default order of
//! `ci`, each row the tasks one registration adds and the Cargo feature that builds them in.
//! A row whose feature this build leaves out still names its tasks and its config section,
//! and the registry records them, so that they stay subcommands that say which feature
//! brings them (see [`crate::gated`]).

use windlass_core::Registry;

/// One row of the table.
pub struct Row {
    /// The feature that builds the row's tasks in; `None`: always built.
    pub feature: Option<&'static str>,
    /// The names of its tasks, for when the feature leaves them out (their definitions are
    /// not compiled then); empty for rows always built.
    pub tasks: &'static [&'static str],
    /// The config section its tasks own, which a build without them refuses by name.
    pub section: Option<&'static str>,
    /// Registers them; `None` when this build leaves them out.
    pub register: Option<fn(&mut Registry)>,
}

/// A row of tasks always built in.
macro_rules! always {
    (|$r:ident| $body:expr) => {
        Row {
            feature: None,
            tasks: &[],
            section: None,
            register: Some(|$r: &mut Registry| {
                $body;
            }),
        }
    };
}

/// A row of tasks behind `feature`: registered when it is on, named either way.
macro_rules! gated {
    ($feature:literal, [$($task:literal),+], $section:expr, |$r:ident| $body:expr) => {{
        #[cfg(feature = $feature)]
        const REGISTER: Option<fn(&mut Registry)> = Some(|$r: &mut Registry| {
            $body;
        });
        #[cfg(not(feature = $feature))]
        const REGISTER: Option<fn(&mut Registry)> = None;
        Row {
            feature: Some($feature),
            tasks: &[$($task),+],
            section: $section,
            register: REGISTER,
        }
    }};
}

/// Every stock task, in the default order of `ci`.
pub const STOCK: &[Row] = &[
    always!(|r| r.add_stock(crate::ci::CiTask)),
    always!(|r| r.add_stock(windlass_checks::task::FmtCheckTask)),
    always!(|r| r.add_stock(windlass_checks::task::LintTask)),
    gated!("audit", ["audit"], Some("audit"), |r| r.add_stock(
        windlass_audit::AuditTask {
            deployed: deployed_binary(),
        }
    )),
    always!(|r| r.add_stock(windlass_secrets::task::SecretsTask)),
    always!(|r| r.add_stock(windlass_workflows::task::WorkflowsTask)),
    always!(|r| r.add_stock(windlass_workflows::cache::CacheKeyTask)),
    always!(|r| r.add_stock(windlass_workflows::cache::CachePruneTask)),
    always!(|r| r.add_stock(crate::completions::CompletionsTask)),
    always!(|r| r.add_stock(windlass_checks::task::TestTask)),
    always!(|r| r.add_stock(windlass_checks::docs::DocsTask)),
    always!(|r| r.add_stock(windlass_checks::msrv::MsrvTask)),
    always!(|r| r.add_stock(windlass_checks::feature_sets::FeaturesTask)),
    always!(|r| r.add_stock(windlass_checks::coverage::CoverageTask)),
    always!(|r| r.add_stock(windlass_hooks::task::PreCommitTask)),
    always!(|r| r.add_stock(windlass_hooks::task::InstallHooksTask)),
    gated!(
        "deploy",
        [
            "health-check",
            "validate-config",
            "deploy",
            "rollback",
            "systemd-unit"
        ],
        Some("deploy"),
        |r| {
            use windlass_deploy::task::*;
            r.add_stock(HealthCheckTask);
            r.add_stock(ValidateConfigTask);
            r.add_stock(DeployTask);
            r.add_stock(RollbackTask);
            r.add_stock(SystemdUnitTask);
        }
    ),
    gated!("adopt", ["init", "doctor"], None, |r| {
        r.add_stock(windlass_adopt::task::InitTask);
        r.add_stock(windlass_adopt::task::DoctorTask);
    }),
    gated!("docker", ["docker-build"], Some("docker"), |r| r
        .add_stock(windlass_docker::task::DockerBuildTask)),
    gated!("release", ["release", "semver"], Some("release"), |r| {
        r.add_stock(windlass_release::task::ReleaseTask);
        r.add_stock(windlass_release::semver::SemverTask);
    }),
];

/// The stock registry of this build (its features say which tasks are in).
pub fn registry() -> Registry {
    let mut registry = Registry::new();
    for row in STOCK {
        match (row.register, row.feature, row.section) {
            (Some(register), _, _) => register(&mut registry),
            (None, Some(feature), section) => {
                for task in row.tasks {
                    registry.add_unavailable_task(task, feature);
                }
                if let Some(section) = section {
                    registry.add_unavailable_section(
                        section,
                        &format!(
                            "enable the `{feature}` feature of the windlass dependency in xtask/Cargo.toml"
                        ),
                    );
                }
            }
            (None, None, _) => {}
        }
    }
    registry
        .add_section::<Vec<windlass_core::waivers::WaiverConfig>>(windlass_core::waivers::SECTION);
    registry.add_section::<windlass_checks::command_step::CommandSteps>(
        windlass_checks::command_step::SECTION,
    );
    registry
}

/// How `audit --deployed` finds what an environment runs, where the deploy tasks are in.
#[cfg(feature = "audit")]
fn deployed_binary() -> Option<windlass_audit::DeployedBinary> {
    #[cfg(feature = "deploy")]
    return Some(windlass_deploy::task::deployed_binary);
    #[cfg(not(feature = "deploy"))]
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gated_row_registers_exactly_the_tasks_it_names() {
        for row in STOCK.iter().filter(|r| r.feature.is_some()) {
            let Some(register) = row.register else {
                continue;
            };
            let mut registry = Registry::new();
            register(&mut registry);
            let names: Vec<&str> = registry.tasks().map(|t| t.name()).collect();
            assert_eq!(names, row.tasks, "{:?}", row.feature);
        }
    }
}
