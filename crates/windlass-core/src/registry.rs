//! The registry: every step and every config section, registered once.
//!
//! It is the single source of truth for step names. `ci` resolves its steps here (in the
//! order `[ci] steps` gives, else the registered order), `--skip`/`--only` and the hook's
//! `extra-steps` are checked against it, `workflows` asks each step for its job, `init`
//! writes its list, and the config is validated against the sections it knows before any
//! step runs. Stock steps and an adopter's own register the same way.

use crate::command_step::{CommandStepKind, CommandSteps};
use crate::config::Config;
use crate::error::UsageError;
use crate::job::CiJob;
use crate::pipeline::Step;
use crate::plan::Plan;
use crate::session::Session;
use crate::workspace::Workspace;
use anyhow::Result;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::rc::Rc;

/// Where a step comes from, for `--list` and the reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// One of windlass's own.
    Stock,
    /// Registered in Rust by the workspace's xtask.
    Custom,
    /// Declared in `[workspace.metadata.windlass.steps]`.
    Command,
}

impl Origin {
    /// Its lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Stock => "stock",
            Origin::Custom => "custom",
            Origin::Command => "command",
        }
    }
}

/// A kind of step: what the registry knows of it, and how to make it from the config.
pub trait StepKind {
    /// Its name, as `ci.steps`, `--skip`, `--only` and the jobs use it.
    fn name(&self) -> &str;
    /// One line saying what it checks.
    fn about(&self) -> &str;
    /// Where it comes from.
    fn origin(&self) -> Origin {
        Origin::Custom
    }
    /// Whether `ci` runs it when `[ci] steps` is not given.
    fn in_default_ci(&self) -> bool {
        true
    }
    /// The step, configured from the workspace's config.
    fn build(&self, cx: &BuildContext<'_>) -> Result<Box<dyn Step>>;
    /// Its job in the generated `ci.yml`, which may depend on the workspace's config.
    fn ci_job(&self, ws: &Workspace) -> Result<CiJob> {
        let _ = ws;
        Ok(CiJob::ci_only(self.name()))
    }
    /// A job of the scheduled `security.yml`, if it wants one.
    fn scheduled_job(&self) -> Option<CiJob> {
        None
    }
}

/// What a step is built from.
pub struct BuildContext<'a> {
    /// The workspace, with its config.
    pub ws: &'a Workspace,
    /// Every registered step and section (the `workflows` step needs the others' jobs).
    pub registry: &'a Registry,
}

/// A step of an adopter's own, written in Rust, with a typed config section
/// `[workspace.metadata.windlass.<name>]`.
///
/// Registered with the registry (`windlass::Xtask::step`), it is a step like the stock ones
/// everywhere: `ci`, `--list`, `--dry-run`, `--skip`/`--only`, the reports, the hook's
/// `extra-steps`, the generated workflows.
pub trait CustomStep: 'static {
    /// Its config section; unknown keys in it are errors that name them, whatever the type's
    /// serde attributes say. Use `()`-like empty structs for a step without config.
    type Config: DeserializeOwned + Default + 'static;
    /// Its name: lowercase letters, digits and `-`.
    fn name(&self) -> &str;
    /// One line saying what it checks.
    fn about(&self) -> &str;
    /// What it will do, from the same builders `run` uses.
    fn plan(&self, config: &Self::Config, ws: &Workspace) -> Result<Plan>;
    /// Runs it: findings through `session`, the verdict in the outcome; `Err` when it cannot
    /// run at all (exit 2).
    fn run(
        &self,
        config: &Self::Config,
        ws: &Workspace,
        session: &mut Session,
    ) -> Result<crate::StepOutcome>;
    /// Its job in the generated `ci.yml` (default: `cargo xtask ci --only NAME`).
    fn ci_job(&self) -> CiJob {
        CiJob::ci_only(self.name())
    }
}

/// A config section and the check that its table has the registered type.
#[derive(Clone)]
struct Section {
    name: String,
    check: Rc<SectionCheck>,
}

/// Reads a section as its registered type, or says why it cannot.
type SectionCheck = dyn Fn(&Config) -> Result<()>;

/// Every registered step kind and config section.
#[derive(Default, Clone)]
pub struct Registry {
    steps: Vec<Rc<dyn StepKind>>,
    sections: Vec<Section>,
}

impl Registry {
    /// A registry that knows the `ci` and `steps` sections and no step yet.
    pub fn new() -> Self {
        let mut registry = Self::default();
        registry.add_section::<CiConfig>("ci");
        registry.add_section::<CommandSteps>(crate::command_step::SECTION);
        registry
    }

    /// Registers a step kind. A name already taken is a programming error of the xtask:
    /// it is reported when the registry is checked ([`Registry::check`]).
    pub fn add_step(&mut self, kind: Rc<dyn StepKind>) {
        self.steps.push(kind);
    }

    /// Registers a step written in Rust, with its config section.
    pub fn add_custom<S: CustomStep>(&mut self, step: S) {
        let name = step.name().to_string();
        self.add_section::<S::Config>(&name);
        self.add_step(Rc::new(Custom(Rc::new(step))));
    }

    /// Registers a config section read as `T`.
    pub fn add_section<T: DeserializeOwned + 'static>(&mut self, name: &str) {
        let owned = name.to_string();
        self.sections.push(Section {
            name: name.to_string(),
            check: Rc::new(move |config: &Config| config.check_section::<T>(&owned)),
        });
    }

    /// Registers a section whose task this build leaves out: present in the config, it is an
    /// error saying so, with `hint` (how to build the task in).
    pub fn add_unavailable_section(&mut self, name: &str, hint: &str) {
        let (owned, hint) = (name.to_string(), hint.to_string());
        self.sections.push(Section {
            name: name.to_string(),
            check: Rc::new(move |config: &Config| {
                if !config.has_section(&owned) {
                    return Ok(());
                }
                Err(UsageError::new(format!(
                    "{}: [{}.{owned}] configures a task this xtask was built without",
                    config.manifest().display(),
                    config.table_name()
                ))
                .hint(hint.clone())
                .into())
            }),
        });
    }

    /// The registered steps, in order.
    pub fn steps(&self) -> impl Iterator<Item = &dyn StepKind> {
        self.steps.iter().map(|s| s.as_ref())
    }

    /// The names of the registered steps, in order.
    pub fn step_names(&self) -> Vec<String> {
        self.steps.iter().map(|s| s.name().to_string()).collect()
    }

    /// The step kind called `name`.
    pub fn get(&self, name: &str) -> Option<&dyn StepKind> {
        self.steps().find(|s| s.name() == name)
    }

    /// The names of the registered sections.
    pub fn section_names(&self) -> Vec<&str> {
        self.sections.iter().map(|s| s.name.as_str()).collect()
    }

    /// The steps `ci` runs when `[ci] steps` is not given.
    pub fn default_ci_steps(&self) -> Vec<String> {
        self.steps()
            .filter(|s| s.in_default_ci())
            .map(|s| s.name().to_string())
            .collect()
    }

    /// Checks the registry and the workspace's config against each other, before anything
    /// runs: step names are valid and unique, every top-level key of the config is a
    /// registered section, and every section has its registered type (unknown keys named).
    /// Then the command steps the config declares join the registry.
    pub fn load(&mut self, config: &Config) -> Result<()> {
        let mut seen: Vec<&str> = Vec::new();
        for kind in &self.steps {
            let name = kind.name();
            check_step_name(name).map_err(|why| {
                anyhow::anyhow!("the xtask registers a step named `{name}`: {why}")
            })?;
            if seen.contains(&name) {
                anyhow::bail!("the xtask registers two steps named `{name}`");
            }
            seen.push(name);
        }
        config.check_sections(&self.section_names())?;
        for section in &self.sections {
            (section.check)(config)?;
        }
        let declared: CommandSteps = config.section(crate::command_step::SECTION)?;
        for (name, step) in declared {
            if let Err(why) = check_step_name(&name) {
                return Err(UsageError::new(format!(
                    "{}: invalid step name `{name}` in [{}.steps]: {why}",
                    config.manifest().display(),
                    config.table_name()
                ))
                .hint("use lowercase letters, digits and `-`")
                .into());
            }
            if let Some(existing) = self.get(&name) {
                return Err(UsageError::new(format!(
                    "{}: [{}.steps.{name}] declares a step whose name a {} step already has",
                    config.manifest().display(),
                    config.table_name(),
                    existing.origin().as_str()
                ))
                .hint("rename the command step")
                .into());
            }
            self.add_step(Rc::new(CommandStepKind { name, step }));
        }
        Ok(())
    }

    /// The `ci` pipeline's step names: `[ci] steps` in its order (each checked), else the
    /// default steps in registered order.
    pub fn ci_step_names(&self, ws: &Workspace) -> Result<Vec<String>> {
        let config: CiConfig = ws.config.section("ci")?;
        let Some(steps) = config.steps else {
            return Ok(self.default_ci_steps());
        };
        for name in &steps {
            if self.get(name).is_none() {
                return Err(self.unknown_step(ws, name, "[workspace.metadata.windlass.ci] steps"));
            }
        }
        Ok(steps)
    }

    /// Whether `ci` keeps going by config.
    pub fn ci_keeps_going(&self, ws: &Workspace) -> Result<bool> {
        Ok(ws.config.section::<CiConfig>("ci")?.keep_going)
    }

    /// Builds the steps called `names`, in order.
    pub fn build(
        &self,
        ws: &Workspace,
        names: &[String],
        list: &str,
    ) -> Result<Vec<Box<dyn Step>>> {
        let cx = BuildContext { ws, registry: self };
        names
            .iter()
            .map(|name| match self.get(name) {
                Some(kind) => kind.build(&cx),
                None => Err(self.unknown_step(ws, name, list)),
            })
            .collect()
    }

    /// The error for a step name the registry does not know, listing the ones it does.
    pub fn unknown_step(&self, ws: &Workspace, name: &str, list: &str) -> anyhow::Error {
        UsageError::new(format!(
            "{}: unknown step `{name}` in {list}",
            ws.config.manifest().display()
        ))
        .hint(format!("the steps are: {}", self.step_names().join(", ")))
        .into()
    }
}

/// Step names go into command lines and job ids unquoted: keep them plain.
fn check_step_name(name: &str) -> std::result::Result<(), &'static str> {
    let plain = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if name.is_empty() {
        Err("a step needs a name")
    } else if !plain || name.starts_with('-') {
        Err("only lowercase letters, digits, `-` and `_` may be used")
    } else {
        Ok(())
    }
}

/// `[workspace.metadata.windlass.ci]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CiConfig {
    /// The steps, in order (default: every registered default step).
    pub steps: Option<Vec<String>>,
    /// Run every step even after one fails.
    #[serde(default)]
    pub keep_going: bool,
}

/// The config of a step that has none: any key in its section is an error.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoConfig {}

/// A [`CustomStep`] as the registry holds it.
struct Custom<S: CustomStep>(Rc<S>);

impl<S: CustomStep> StepKind for Custom<S> {
    fn name(&self) -> &str {
        self.0.name()
    }

    fn about(&self) -> &str {
        self.0.about()
    }

    fn build(&self, cx: &BuildContext<'_>) -> Result<Box<dyn Step>> {
        let config: S::Config = cx.ws.config.section(self.0.name())?;
        Ok(Box::new(Configured {
            step: Rc::clone(&self.0),
            config,
        }))
    }

    fn ci_job(&self, _ws: &Workspace) -> Result<CiJob> {
        Ok(self.0.ci_job())
    }
}

/// A custom step with its config read.
struct Configured<S: CustomStep> {
    step: Rc<S>,
    config: S::Config,
}

impl<S: CustomStep> Step for Configured<S> {
    fn name(&self) -> &str {
        self.step.name()
    }

    fn plan(&self, ws: &Workspace, _session: &mut Session) -> Result<Plan> {
        self.step.plan(&self.config, ws)
    }

    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<crate::StepOutcome> {
        self.step.run(&self.config, ws, session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StepOutcome;
    use std::path::Path;

    #[derive(Debug, Default, Deserialize)]
    struct AllowConfig {
        #[serde(default)]
        allow: Vec<String>,
    }

    struct Noop(&'static str);

    impl CustomStep for Noop {
        type Config = AllowConfig;
        fn name(&self) -> &str {
            self.0
        }
        fn about(&self) -> &str {
            "does nothing"
        }
        fn plan(&self, config: &AllowConfig, _ws: &Workspace) -> Result<Plan> {
            Ok(Plan::describe(format!("allow {}", config.allow.join(","))))
        }
        fn run(&self, _: &AllowConfig, _: &Workspace, _: &mut Session) -> Result<StepOutcome> {
            Ok(StepOutcome::passed("ok"))
        }
    }

    fn config(text: &str) -> Config {
        Config::parse(Path::new("/w/Cargo.toml"), text).unwrap()
    }

    #[test]
    fn a_custom_section_is_typed_and_strict_and_an_unregistered_one_is_refused() {
        let mut registry = Registry::new();
        registry.add_custom(Noop("no-todo"));
        registry
            .load(&config(
                "[workspace.metadata.windlass.no-todo]\nallow = [\"a\"]\n",
            ))
            .unwrap();

        let mut registry = Registry::new();
        registry.add_custom(Noop("no-todo"));
        let err = registry
            .load(&config(
                "[workspace.metadata.windlass.no-todo]\nallwo = []\n",
            ))
            .unwrap_err()
            .to_string();
        assert!(err.contains("allwo") && err.contains("no-todo"), "{err}");

        let mut registry = Registry::new();
        let err = registry
            .load(&config("[workspace.metadata.windlass.codegen]\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown key `codegen`"), "{err}");
    }

    #[test]
    fn command_steps_join_the_registry_and_may_not_shadow_a_step() {
        let mut registry = Registry::new();
        registry.add_custom(Noop("no-todo"));
        registry
            .load(&config(
                "[workspace.metadata.windlass.steps.codegen]\nrun = [\"true\"]\n",
            ))
            .unwrap();
        assert_eq!(registry.step_names(), ["no-todo", "codegen"]);
        assert_eq!(registry.get("codegen").unwrap().origin(), Origin::Command);

        let mut registry = Registry::new();
        registry.add_custom(Noop("no-todo"));
        let err = registry
            .load(&config(
                "[workspace.metadata.windlass.steps.no-todo]\nrun = [\"true\"]\n",
            ))
            .unwrap_err()
            .to_string();
        assert!(err.contains("custom step already has"), "{err}");
    }

    #[test]
    fn step_names_are_checked_and_unique() {
        let mut registry = Registry::new();
        registry.add_custom(Noop("Bad Name"));
        assert!(registry.load(&config("")).is_err());
        let mut registry = Registry::new();
        registry.add_custom(Noop("twice"));
        registry.add_custom(Noop("twice"));
        let err = registry.load(&config("")).unwrap_err().to_string();
        assert!(err.contains("two steps named `twice`"), "{err}");
    }
}
