//! The registry: every task and every config section, registered once.
//!
//! It is the single source of truth for task names. The command line is its tasks'
//! subcommands; `ci` resolves its steps here (in the order `[ci] steps` gives, each with the
//! arguments written after its name, else the tasks `ci` runs by default); `--skip`/`--only`
//! and the hook's `extra-steps` are checked against it; `workflows` asks each task for its
//! job; `init` writes its list; and the config is validated against the sections it knows
//! before anything runs. Stock tasks and an adopter's own register the same way.

use crate::config::Config;
use crate::job::Inputs;
use crate::pipeline::Step;
use crate::session::Session;
use crate::task::{Context, Entry, InCi, Task, TaskKind, matches_of};
use crate::workspace::Workspace;
use anyhow::Result;
use serde::de::DeserializeOwned;
use std::rc::Rc;

pub use crate::task::{NoConfig, Origin};

/// A config section and the check that its table has the registered type.
#[derive(Clone)]
struct Section {
    name: String,
    check: Rc<SectionCheck>,
}

/// Reads a section as its registered type, or says why it cannot.
type SectionCheck = dyn Fn(&Config) -> Result<()>;

/// Every registered task and config section.
#[derive(Default, Clone)]
pub struct Registry {
    tasks: Vec<Rc<dyn TaskKind>>,
    sections: Vec<Section>,
    /// Tasks this build leaves out, and the feature that would build each in.
    unavailable: Vec<(String, String)>,
}

/// One entry of `[ci] steps`: a task, and the arguments written after its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiEntry {
    /// The task.
    pub name: String,
    /// Its arguments (none: its defaults).
    pub args: Vec<String>,
}

impl CiEntry {
    /// `"fmt-comments --check"` read as the task and its arguments.
    pub fn parse(text: &str) -> Self {
        let mut words = text.split_whitespace().map(str::to_string);
        Self {
            name: words.next().unwrap_or_default(),
            args: words.collect(),
        }
    }
}

impl Registry {
    /// A registry with no task and no section yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a task that is not a [`Task`] type: one the config declares (a command
    /// step), known once the config is read.
    pub fn add_kind(&mut self, kind: Rc<dyn TaskKind>) {
        self.tasks.push(kind);
    }

    /// Registers a task, and its config section (once for tasks that share one). A name
    /// already taken is a programming error of the xtask: it is reported when the registry
    /// is checked ([`Registry::load`]).
    pub fn add_task<T: Task>(&mut self, task: T) {
        self.add(task, None);
    }

    /// Registers one of windlass's own tasks.
    pub fn add_stock<T: Task>(&mut self, task: T) {
        self.add(task, Some(Origin::Stock));
    }

    fn add<T: Task>(&mut self, task: T, origin: Option<Origin>) {
        let section = task.section().to_string();
        if !self.sections.iter().any(|s| s.name == section) {
            self.add_section::<T::Config>(&section);
        }
        self.tasks.push(Rc::new(Entry(Rc::new(task), origin)));
    }

    /// Registers `task` in place of a task of the same name, if there is one.
    pub fn replace_task<T: Task>(&mut self, task: T) {
        let name = task.name().to_string();
        self.tasks.retain(|t| t.name() != name);
        self.add_task(task);
    }

    /// Registers a config section read as `T` that no task owns.
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
                Err(config
                    .error_at(
                        &[&owned],
                        None,
                        format!(
                            "[{}.{owned}] configures a task this xtask was built without",
                            config.table_name()
                        ),
                    )
                    .hint(hint.clone())
                    .into())
            }),
        });
    }

    /// Records a task this build leaves out (its definition is not compiled) and the Cargo
    /// feature that builds it in: it stays a subcommand that says so.
    pub fn add_unavailable_task(&mut self, name: &str, feature: &str) {
        self.unavailable
            .push((name.to_string(), feature.to_string()));
    }

    /// The tasks this build leaves out and their features, unless a task of the same name
    /// was registered since.
    pub fn unavailable_tasks(&self) -> impl Iterator<Item = (&str, &str)> {
        self.unavailable
            .iter()
            .filter(|(name, _)| self.get(name).is_none())
            .map(|(name, feature)| (name.as_str(), feature.as_str()))
    }

    /// The registered tasks, in order.
    pub fn tasks(&self) -> impl Iterator<Item = &dyn TaskKind> {
        self.tasks.iter().map(|t| t.as_ref())
    }

    /// The task called `name`.
    pub fn get(&self, name: &str) -> Option<&dyn TaskKind> {
        self.tasks().find(|t| t.name() == name)
    }

    /// The names of the tasks `ci` can run (default or opt-in), in order.
    pub fn step_names(&self) -> Vec<String> {
        self.tasks()
            .filter(|t| t.ci() != InCi::No)
            .map(|t| t.name().to_string())
            .collect()
    }

    /// The names of the registered sections.
    pub fn section_names(&self) -> Vec<&str> {
        self.sections.iter().map(|s| s.name.as_str()).collect()
    }

    /// The steps `ci` runs when `[ci] steps` is not given.
    pub fn default_ci_steps(&self) -> Vec<String> {
        self.tasks()
            .filter(|t| t.ci() == InCi::Default)
            .map(|t| t.name().to_string())
            .collect()
    }

    /// Checks the registry and the workspace's config against each other, before anything
    /// runs: task names are valid and unique, every top-level key of the config is a
    /// registered section, and every section has its registered type (unknown keys named).
    pub fn load(&mut self, config: &Config) -> Result<()> {
        let mut seen: Vec<&str> = Vec::new();
        for task in &self.tasks {
            let name = task.name();
            check_task_name(name).map_err(|why| {
                anyhow::anyhow!("the xtask registers a task named `{name}`: {why}")
            })?;
            if seen.contains(&name) {
                anyhow::bail!("the xtask registers two tasks named `{name}`");
            }
            seen.push(name);
        }
        config.check_sections(&self.section_names())?;
        for section in &self.sections {
            (section.check)(config)?;
        }
        Ok(())
    }

    /// Builds the steps of `entries`, in order, each task with its arguments; `list` names
    /// where they were written, for errors.
    pub fn build(
        &self,
        ws: &Workspace,
        session: &mut Session,
        entries: &[CiEntry],
        list: StepList,
    ) -> Result<Vec<Box<dyn Step>>> {
        let mut steps = Vec::new();
        for entry in entries {
            let Some(kind) = self.get(&entry.name) else {
                return Err(self.unknown_step(ws, &entry.name, list));
            };
            // A step list that names a task whose own steps lead back to it (`ci` in `ci`'s
            // steps) would build forever: the cycle is refused, named.
            let Some(_building) = Building::enter(&entry.name) else {
                let cycle = Building::cycle(&entry.name);
                return Err(ws
                    .config
                    .error_at(
                        &[list.section, list.key],
                        Some(&entry.name),
                        format!(
                            "{list} makes `{}` run itself: {}",
                            entry.name,
                            cycle.join(" → ")
                        ),
                    )
                    .hint(format!("take `{}` out of {list}", entry.name))
                    .into());
            };
            let matches = matches_of(kind, &entry.args, list)?;
            let mut cx = Context {
                ws,
                registry: self,
                session,
            };
            steps.extend(kind.build(&matches, &mut cx)?.into_steps());
        }
        Ok(steps)
    }

    /// Builds the steps `names` name (each a task, perhaps with arguments), with the
    /// arguments `ci` runs them with where none are written.
    pub fn build_named(
        &self,
        ws: &Workspace,
        session: &mut Session,
        names: &[String],
        list: StepList,
    ) -> Result<Vec<Box<dyn Step>>> {
        let mut entries = Vec::new();
        for name in names {
            let mut entry = CiEntry::parse(name);
            let Some(kind) = self.get(&entry.name) else {
                return Err(self.unknown_step(ws, &entry.name, list));
            };
            if entry.args.is_empty() {
                entry.args = kind.ci_args();
            }
            entries.push(entry);
        }
        self.build(ws, session, &entries, list)
    }

    /// What the workflows of `ci_steps` are generated from: each step's job and scheduled
    /// job, then what every task adds (deploy environments, the release tag).
    pub fn workflow_inputs(&self, ws: &Workspace, ci_steps: &[String]) -> Result<Inputs> {
        let mut inputs = Inputs::default();
        for name in ci_steps {
            let Some(kind) = self.get(name) else {
                continue;
            };
            inputs.ci_jobs.push((name.clone(), kind.ci_job(ws)?));
            if let Some(job) = kind.scheduled_job() {
                inputs.scheduled_jobs.push((name.clone(), job));
            }
        }
        for kind in self.tasks() {
            kind.workflows(ws, &mut inputs)?;
        }
        Ok(inputs)
    }

    /// The error for a step name the registry does not know, listing the ones it does and
    /// the likeliest one meant.
    pub fn unknown_step(&self, ws: &Workspace, name: &str, list: StepList) -> anyhow::Error {
        let names = self.step_names();
        let mut hint = format!("the steps are: {}", names.join(", "));
        if let Some(near) = crate::config::closest(name, names.iter().map(String::as_str)) {
            hint = format!("did you mean `{near}`? {hint}");
        }
        ws.config
            .error_at(
                &[list.section, list.key],
                Some(name),
                format!("unknown step `{name}` in {list}"),
            )
            .hint(hint)
            .into()
    }
}

thread_local! {
    /// The tasks whose steps are being built, outermost first.
    static BUILDING: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A task being built, for as long as it is held.
struct Building;

impl Building {
    /// Marks `name` as being built; `None` when it already is (a cycle).
    fn enter(name: &str) -> Option<Building> {
        BUILDING.with(|stack| {
            let mut stack = stack.borrow_mut();
            if stack.iter().any(|n| n == name) {
                return None;
            }
            stack.push(name.to_string());
            Some(Building)
        })
    }

    /// The tasks from `name`'s first build to `name` again.
    fn cycle(name: &str) -> Vec<String> {
        BUILDING.with(|stack| {
            let stack = stack.borrow();
            let start = stack.iter().position(|n| n == name).unwrap_or(0);
            let mut cycle: Vec<String> = stack[start..].to_vec();
            cycle.push(name.to_string());
            cycle
        })
    }
}

impl Drop for Building {
    fn drop(&mut self) {
        BUILDING.with(|stack| {
            stack.borrow_mut().pop();
        });
    }
}

/// Where a list of step names is written in the config (`[ci] steps`, the hook's
/// `extra-steps`): its section and key, for messages and the error's line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepList {
    /// The section below the windlass table.
    pub section: &'static str,
    /// The key of the list in it.
    pub key: &'static str,
}

impl std::fmt::Display for StepList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "[workspace.metadata.windlass.{}] {}",
            self.section, self.key
        )
    }
}

/// Task names go into command lines and job ids unquoted: keep them plain.
pub fn check_task_name(name: &str) -> std::result::Result<(), &'static str> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StepOutcome;
    use serde::Deserialize;
    use std::path::Path;

    #[test]
    fn ci_entries_carry_their_arguments() {
        assert_eq!(
            CiEntry::parse("fmt-comments --check  --all"),
            CiEntry {
                name: "fmt-comments".into(),
                args: vec!["--check".into(), "--all".into()]
            }
        );
    }

    #[derive(Debug, Default, Deserialize)]
    struct AllowConfig {
        #[serde(default)]
        allow: Vec<String>,
    }

    struct Noop(&'static str);

    impl Task for Noop {
        type Args = crate::task::NoArgs;
        type Config = AllowConfig;
        fn name(&self) -> &str {
            self.0
        }
        fn about(&self) -> &str {
            "does nothing"
        }
        fn ci(&self) -> InCi {
            InCi::Default
        }
        fn plan(
            &self,
            _: &Self::Args,
            config: &AllowConfig,
            _: &Workspace,
            _: &mut Session,
        ) -> Result<crate::Plan> {
            Ok(crate::Plan::describe(format!(
                "allow {}",
                config.allow.join(",")
            )))
        }
        fn run(
            &self,
            _: &Self::Args,
            _: &AllowConfig,
            _: &Workspace,
            _: &mut Session,
        ) -> Result<StepOutcome> {
            Ok(StepOutcome::passed("ok"))
        }
    }

    fn config(text: &str) -> Config {
        Config::parse(Path::new("/w/Cargo.toml"), text).unwrap()
    }

    #[test]
    fn a_custom_section_is_typed_and_strict_and_an_unregistered_one_is_refused() {
        let mut registry = Registry::new();
        registry.add_task(Noop("no-todo"));
        registry
            .load(&config(
                "[workspace.metadata.windlass.no-todo]\nallow = [\"a\"]\n",
            ))
            .unwrap();

        let mut registry = Registry::new();
        registry.add_task(Noop("no-todo"));
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
    fn step_names_are_checked_and_unique() {
        let mut registry = Registry::new();
        registry.add_task(Noop("Bad Name"));
        assert!(registry.load(&config("")).is_err());
        let mut registry = Registry::new();
        registry.add_task(Noop("twice"));
        registry.add_task(Noop("twice"));
        let err = registry.load(&config("")).unwrap_err().to_string();
        assert!(err.contains("two tasks named `twice`"), "{err}");
    }
}
