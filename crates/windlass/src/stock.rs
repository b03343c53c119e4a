//! windlass's own tasks, registered as an adopter's are: the registry every [`crate::Xtask`]
//! starts from, one line each. Their order is the default order of `ci`.

use windlass_core::Registry;

/// The stock registry of this build (its features say which tasks are in).
pub fn registry() -> Registry {
    let mut registry = Registry::new();
    registry.add_stock(crate::ci::CiTask);
    registry.add_stock(windlass_checks::tasks::FmtCheckTask);
    registry.add_stock(windlass_checks::tasks::LintTask);
    #[cfg(feature = "audit")]
    registry.add_stock(windlass_audit::AuditTask {
        deployed: deployed_binary(),
    });
    registry.add_stock(windlass_secrets::step::SecretsTask);
    registry.add_stock(windlass_workflows::task::WorkflowsTask);
    registry.add_stock(windlass_workflows::cache::CacheKeyTask);
    registry.add_stock(windlass_workflows::cache::CachePruneTask);
    registry.add_stock(crate::completions::CompletionsTask);
    registry.add_stock(windlass_checks::tasks::TestTask);
    registry.add_stock(windlass_checks::docs::DocsTask);
    registry.add_stock(windlass_checks::msrv::MsrvTask);
    registry.add_stock(windlass_checks::feature_sets::FeaturesTask);
    registry.add_stock(windlass_checks::coverage::CoverageTask);
    registry.add_stock(windlass_hooks::tasks::PreCommitTask);
    registry.add_stock(windlass_hooks::tasks::InstallHooksTask);
    #[cfg(feature = "deploy")]
    {
        use windlass_deploy::tasks::*;
        registry.add_stock(HealthCheckTask);
        registry.add_stock(ValidateConfigTask);
        registry.add_stock(DeployTask);
        registry.add_stock(RollbackTask);
        registry.add_stock(SystemdUnitTask);
    }
    #[cfg(feature = "adopt")]
    {
        registry.add_stock(windlass_adopt::tasks::InitTask);
        registry.add_stock(windlass_adopt::tasks::DoctorTask);
    }
    #[cfg(feature = "docker")]
    registry.add_stock(windlass_docker::task::DockerBuildTask);
    #[cfg(feature = "release")]
    registry.add_stock(windlass_release::task::ReleaseTask);
    #[cfg(feature = "release")]
    registry.add_stock(windlass_release::semver::SemverTask);

    registry
        .add_section::<Vec<windlass_core::waivers::WaiverConfig>>(windlass_core::waivers::SECTION);
    registry.add_section::<windlass_checks::command_step::CommandSteps>(
        windlass_checks::command_step::SECTION,
    );
    unavailable_sections(&mut registry);
    registry
}

/// How `audit --deployed` finds what an environment runs, where the deploy tasks are in.
#[cfg(feature = "audit")]
fn deployed_binary() -> Option<windlass_audit::DeployedBinary> {
    #[cfg(feature = "deploy")]
    return Some(windlass_deploy::tasks::deployed_binary);
    #[cfg(not(feature = "deploy"))]
    None
}

/// The sections of the tasks behind features this build leaves out: present, they are an
/// error saying which feature to enable.
fn unavailable_sections(registry: &mut Registry) {
    let without = |feature: &str| {
        format!("enable the `{feature}` feature of the windlass dependency in xtask/Cargo.toml")
    };
    for (section, feature, built_in) in [
        ("audit", "audit", cfg!(feature = "audit")),
        ("deploy", "deploy", cfg!(feature = "deploy")),
        ("docker", "docker", cfg!(feature = "docker")),
        ("release", "release", cfg!(feature = "release")),
    ] {
        if !built_in {
            registry.add_unavailable_section(section, &without(feature));
        }
    }
}
