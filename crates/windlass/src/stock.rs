//! windlass's own steps and config sections, registered as an adopter's are: the registry
//! every [`crate::Xtask`] starts from. The order of the steps is the default order of `ci`.

use anyhow::Result;
use std::rc::Rc;
use windlass_core::registry::{BuildContext, Origin, StepKind};
use windlass_core::{Registry, Step, Workspace};
use windlass_workflows::{Inputs, Workflows, WorkflowsConfig};

/// The stock registry of this build (its features say which tasks are in).
pub fn registry() -> Registry {
    use windlass_checks::kinds::{FmtCheckKind, LintKind, TestKind};
    let mut registry = Registry::new();
    registry.add_step(Rc::new(FmtCheckKind));
    registry.add_step(Rc::new(LintKind));
    #[cfg(feature = "audit")]
    registry.add_step(Rc::new(windlass_audit::AuditKind));
    registry.add_step(Rc::new(windlass_secrets::step::SecretsKind));
    registry.add_step(Rc::new(WorkflowsKind));
    registry.add_step(Rc::new(TestKind));

    registry.add_section::<windlass_checks::fmt::FmtConfig>("fmt-check");
    registry.add_section::<windlass_checks::lint::LintConfig>("lint");
    registry.add_section::<windlass_checks::test::TestConfig>("test");
    registry.add_section::<windlass_hooks::PreCommitConfig>("pre-commit");
    registry.add_section::<windlass_secrets::exclude::SecretsConfig>("secrets");
    registry.add_section::<WorkflowsConfig>("workflows");
    registry
        .add_section::<Vec<windlass_core::waivers::WaiverConfig>>(windlass_core::waivers::SECTION);
    optional_sections(&mut registry);
    registry
}

/// The sections of the tasks behind features: typed when built in, else a clear error.
fn optional_sections(registry: &mut Registry) {
    let without = |feature: &str| {
        format!("enable the `{feature}` feature of the windlass dependency in xtask/Cargo.toml")
    };
    #[cfg(feature = "audit")]
    registry.add_section::<windlass_audit::AuditConfig>("audit");
    #[cfg(not(feature = "audit"))]
    registry.add_unavailable_section("audit", &without("audit"));
    #[cfg(feature = "deploy")]
    registry.add_section::<windlass_deploy::config::Environments>("deploy");
    #[cfg(not(feature = "deploy"))]
    registry.add_unavailable_section("deploy", &without("deploy"));
    #[cfg(feature = "docker")]
    registry.add_section::<windlass_docker::DockerConfig>("docker");
    #[cfg(not(feature = "docker"))]
    registry.add_unavailable_section("docker", &without("docker"));
    #[cfg(feature = "release")]
    registry.add_section::<windlass_release::config::ReleaseConfig>("release");
    #[cfg(not(feature = "release"))]
    registry.add_unavailable_section("release", &without("release"));
    let _ = without;
}

/// `workflows`: the drift check of the generated workflows, which are made from every other
/// step's job — so it lives where the registry is composed.
struct WorkflowsKind;

impl StepKind for WorkflowsKind {
    fn name(&self) -> &str {
        windlass_workflows::NAME
    }

    fn about(&self) -> &str {
        "the GitHub Actions workflows are what `cargo xtask workflows` generates"
    }

    fn origin(&self) -> Origin {
        Origin::Stock
    }

    fn build(&self, cx: &BuildContext<'_>) -> Result<Box<dyn Step>> {
        Ok(Box::new(workflows_step(cx.ws, cx.registry, true, false)?))
    }

    fn ci_job(&self, _ws: &Workspace) -> Result<windlass_core::CiJob> {
        Ok(windlass_core::CiJob::runs([
            "cargo xtask workflows --check",
        ]))
    }
}

/// The `workflows` step: one `ci.yml` job per `ci` step, as each declares it; the scheduled
/// jobs of those steps; `release.yml` and `deploy.yml` when those tasks are built in.
pub fn workflows_step(
    ws: &Workspace,
    registry: &Registry,
    check: bool,
    replace_ci: bool,
) -> Result<Workflows> {
    let mut config: WorkflowsConfig = ws.config.section("workflows")?;
    config.standalone_xtask = windlass_core::workspace::standalone_xtask(&ws.root);
    Ok(Workflows {
        config,
        inputs: workflow_inputs(ws, registry, &registry.ci_step_names(ws)?)?,
        check,
        replace_ci,
        execute: false,
    })
}

/// What the workflows of `ci_steps` are generated from.
pub fn workflow_inputs(ws: &Workspace, registry: &Registry, ci_steps: &[String]) -> Result<Inputs> {
    let mut inputs = Inputs::default();
    for name in ci_steps {
        let Some(kind) = registry.get(name) else {
            continue;
        };
        inputs.ci_jobs.push((name.clone(), kind.ci_job(ws)?));
        if let Some(job) = kind.scheduled_job() {
            inputs.scheduled_jobs.push((name.clone(), job));
        }
    }
    #[cfg(feature = "deploy")]
    {
        let deploy: windlass_deploy::config::Environments = ws.config.section("deploy")?;
        inputs.deploy_envs = deploy
            .iter()
            .map(|(name, env)| windlass_workflows::DeployTarget {
                name: name.clone(),
                image: image_source(ws, env),
            })
            .collect();
    }
    #[cfg(feature = "release")]
    {
        let release: windlass_release::config::ReleaseConfig = ws.config.section("release")?;
        inputs.release_tag = Some(release.tag);
    }
    Ok(inputs)
}

/// Where `deploy.yml` gets a swarm environment's image: `docker-build` makes it when the
/// environment rolls out the `docker-build` image (pushed when that names a registry, built
/// on the manager when not); an image named by the environment alone is built elsewhere.
#[cfg(feature = "deploy")]
fn image_source(
    ws: &Workspace,
    env: &windlass_deploy::config::Environment,
) -> windlass_workflows::ImageSource {
    use windlass_deploy::swarm::{registry_host, repository_of};
    use windlass_workflows::ImageSource;
    if env.engine != windlass_deploy::config::EngineKind::Swarm || !cfg!(feature = "docker") {
        return ImageSource::None;
    }
    let built = ws
        .config
        .value("docker")
        .and_then(|d| d.get("image"))
        .and_then(|i| i.as_str())
        .map(str::to_string);
    let ours = match (&env.image, &built) {
        (None, _) => true,
        (Some(named), Some(built)) => repository_of(named) == repository_of(built),
        (Some(_), None) => false,
    };
    if !ours {
        return ImageSource::None;
    }
    match built.as_deref().and_then(registry_host) {
        Some(registry) => ImageSource::Push {
            registry: registry.to_string(),
        },
        None => ImageSource::OnManager,
    }
}
