//! Command steps: a step declared in TOML, with no Rust, for a check that is one command
//! (`cargo sqlx prepare --check`, a codegen drift check, a wasm build).
//!
//! ```toml
//! [workspace.metadata.windlass.steps.sqlx]
//! run = ["cargo", "sqlx", "prepare", "--check"]
//! description = "the offline query data matches the queries"
//! env = { SQLX_OFFLINE = "true" }
//! cwd = "service"
//! ```
//!
//! It fails when the command exits non-zero; everything else about it is a step like any
//! other.

use anyhow::Result;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use windlass_core::config::Config;
use windlass_core::error::UsageError;
use windlass_core::job::{CiJob, Inputs};
use windlass_core::plan::Plan;
use windlass_core::runner::Capture;
use windlass_core::task::{Context, InCi, Origin, Run, TaskKind};
use windlass_core::{Diagnostic, Session, Severity, Step, StepOutcome, Workspace};

/// The config section that declares command steps.
pub const SECTION: &str = "steps";

/// `[workspace.metadata.windlass.steps]`: one table per step.
pub type CommandSteps = BTreeMap<String, CommandStepConfig>;

/// `[workspace.metadata.windlass.steps.<name>]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandStepConfig {
    /// The program and its arguments; never passed through a shell.
    pub run: Vec<String>,
    /// Variables to set for it.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Where it starts, relative to the workspace root (default: the root); never outside it.
    #[serde(default, deserialize_with = "windlass_core::paths::de::inside")]
    pub cwd: Option<PathBuf>,
    /// One line for `--list`.
    pub description: Option<String>,
    /// Test services it needs (names under `[workspace.metadata.windlass.test.services]`),
    /// started around it.
    #[serde(default)]
    pub services: Vec<String>,
}

/// Adds the command steps `config` declares to `registry`, after it is loaded: each name
/// plain, and none shadowing a task.
pub fn register(registry: &mut windlass_core::Registry, config: &Config) -> Result<()> {
    let declared: CommandSteps = config.section(SECTION)?;
    for (name, step) in declared {
        if let Err(why) = windlass_core::registry::check_task_name(&name) {
            return Err(config
                .error_at(
                    &[SECTION, &name],
                    None,
                    format!(
                        "invalid step name `{name}` in [{}.{SECTION}]: {why}",
                        config.table_name()
                    ),
                )
                .hint("use lowercase letters, digits and `-`")
                .into());
        }
        if let Some(existing) = registry.get(&name) {
            return Err(config
                .error_at(
                    &[SECTION, &name],
                    None,
                    format!(
                        "[{}.{SECTION}.{name}] declares a step whose name a {} task already has",
                        config.table_name(),
                        existing.origin().as_str()
                    ),
                )
                .hint("rename the command step")
                .into());
        }
        registry.add_kind(std::rc::Rc::new(CommandStepKind { name, step }));
    }
    Ok(())
}

/// A declared command step, in the registry.
pub struct CommandStepKind {
    name: String,
    step: CommandStepConfig,
}

impl TaskKind for CommandStepKind {
    fn name(&self) -> &str {
        &self.name
    }

    fn about(&self) -> &str {
        self.step
            .description
            .as_deref()
            .unwrap_or("a command declared in [workspace.metadata.windlass.steps]")
    }

    fn origin(&self) -> Origin {
        Origin::Command
    }

    fn ci(&self) -> InCi {
        InCi::Default
    }

    fn ci_args(&self) -> Vec<String> {
        Vec::new()
    }

    fn section(&self) -> &str {
        SECTION
    }

    fn check_section(&self, _config: &Config) -> Result<()> {
        Ok(())
    }

    /// Declared in the config, it is known only once the config is read: no subcommand.
    fn command(&self) -> Option<clap::Command> {
        None
    }

    fn needs_workspace(&self, _matches: &clap::ArgMatches) -> Result<bool> {
        Ok(true)
    }

    fn target_dir(&self, _matches: &clap::ArgMatches) -> Result<Option<PathBuf>> {
        Ok(None)
    }

    fn writes_artifact(&self, _matches: &clap::ArgMatches) -> Result<bool> {
        Ok(false)
    }

    /// A command's inputs are unknown: any change runs it again.
    fn watches(&self) -> windlass_core::Watched {
        windlass_core::Watched::Everything
    }

    fn ci_job(&self, _ws: &Workspace) -> Result<CiJob> {
        Ok(CiJob::ci_only(&self.name))
    }

    fn scheduled_job(&self) -> Option<CiJob> {
        None
    }

    fn workflows(&self, _ws: &Workspace, _inputs: &mut Inputs) -> Result<()> {
        Ok(())
    }

    fn build(&self, _matches: &clap::ArgMatches, cx: &mut Context<'_>) -> Result<Run> {
        Ok(Run::single(&self.name, self.step(cx.ws)?))
    }
}

/// An error of the step `name`'s `key`, at its line in the manifest:
/// `Cargo.toml:12:1: [workspace.metadata.windlass.steps.NAME] message`.
fn error_at(
    ws: &Workspace,
    name: &str,
    key: &str,
    quoted: Option<&str>,
    message: String,
) -> UsageError {
    ws.config.error_at(
        &[SECTION, name, key],
        quoted,
        format!("[{}.{SECTION}.{name}] {message}", ws.config.table_name()),
    )
}

impl CommandStepKind {
    /// The step, with the test services it needs around it.
    fn step(&self, ws: &Workspace) -> Result<Box<dyn Step>> {
        if self.step.run.first().is_none_or(String::is_empty) {
            return Err(error_at(ws, &self.name, "run", None, "has an empty `run`".into())
                .hint("write the program and its arguments: run = [\"cargo\", \"sqlx\", \"prepare\", \"--check\"]")
                .into());
        }
        let mut declared = crate::suite::services::declared(ws)?;
        let mut services = Vec::new();
        for name in &self.step.services {
            let Some(service) = declared.remove(name) else {
                return Err(error_at(
                    ws,
                    &self.name,
                    "services",
                    Some(name),
                    format!(
                        "needs the service `{name}`, which [{}.test.services] does not declare",
                        ws.config.table_name()
                    ),
                )
                .hint(
                    "declare it under [workspace.metadata.windlass.test.services], or fix the name",
                )
                .into());
            };
            services.push((name.clone(), service));
        }
        Ok(crate::suite::services::WithServices::wrap(
            Box::new(CommandStep {
                name: self.name.clone(),
                step: self.step.clone(),
            }),
            services,
        ))
    }
}

/// A command step, ready to run.
struct CommandStep {
    name: String,
    step: CommandStepConfig,
}

impl CommandStep {
    /// The command, never through a shell, in its directory (relative to the workspace
    /// root, where every other step starts).
    fn command(&self, ws: &Workspace) -> Command {
        let mut command = Command::new(&self.step.run[0]);
        command.args(&self.step.run[1..]).envs(&self.step.env);
        command.current_dir(match &self.step.cwd {
            Some(dir) => ws.root.join(dir),
            None => ws.root.clone(),
        });
        command
    }
}

impl Step for CommandStep {
    fn name(&self) -> &str {
        &self.name
    }

    fn plan(&self, ws: &Workspace, _session: &mut Session) -> Result<Plan> {
        Ok(Plan::command(self.command(ws)))
    }

    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        // A link inside the root may still lead out of it.
        if let Some(dir) = &self.step.cwd
            && let (Ok(real), Ok(root)) = (ws.root.join(dir).canonicalize(), ws.root.canonicalize())
            && !real.starts_with(&root)
        {
            return Err(error_at(
                ws,
                &self.name,
                "cwd",
                None,
                format!(
                    "cwd `{}` leads outside the workspace root, to {}",
                    dir.display(),
                    real.display()
                ),
            )
            .hint("give a directory inside the workspace root")
            .into());
        }
        if let Some(dir) = &self.step.cwd
            && !ws.root.join(dir).is_dir()
        {
            return Err(error_at(
                ws,
                &self.name,
                "cwd",
                None,
                format!("cwd `{}` is not a directory", dir.display()),
            )
            .hint("give a directory relative to the workspace root")
            .into());
        }
        let command = self.command(ws);
        let line = Plan::command(self.command(ws)).relative_to(&ws.root).line();
        let finished = session.run_command(command, Capture::Nothing)?;
        if finished.success() {
            return Ok(StepOutcome::passed(format!(
                "`{}` passed",
                self.step.run[0]
            )));
        }
        let status = match finished.status.code() {
            Some(code) => format!("exited with status {code}"),
            None => "was killed by a signal".to_string(),
        };
        session.diagnostic(Diagnostic::new(
            &self.name,
            Severity::Error,
            crate::codes::COMMAND_FAILED,
            format!("`{line}` {status}"),
        ));
        Ok(StepOutcome::failed(
            format!("`{}` {status}", self.step.run[0]),
            line,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use windlass_core::Registry;

    fn config(text: &str) -> Config {
        Config::parse(Path::new("/w/Cargo.toml"), text).unwrap()
    }

    #[test]
    fn command_steps_join_the_registry_and_may_not_shadow_a_task() {
        let mut registry = Registry::new();
        registry.add_stock(crate::task::LintTask);
        register(
            &mut registry,
            &config("[workspace.metadata.windlass.steps.codegen]\nrun = [\"true\"]\n"),
        )
        .unwrap();
        assert_eq!(registry.step_names(), ["lint", "codegen"]);
        assert_eq!(registry.get("codegen").unwrap().origin(), Origin::Command);

        let mut registry = Registry::new();
        registry.add_stock(crate::task::LintTask);
        let err = register(
            &mut registry,
            &config("[workspace.metadata.windlass.steps.lint]\nrun = [\"true\"]\n"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("/w/Cargo.toml:1:36: [workspace.metadata.windlass.steps.lint]"),
            "{err}"
        );
        assert!(err.contains("a stock task already has"), "{err}");
        let err = register(
            &mut Registry::new(),
            &config("[workspace.metadata.windlass.steps.\"Bad Name\"]\nrun = [\"true\"]\n"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("invalid step name"), "{err}");
    }

    const MANIFEST: &str = "[workspace]\n\n[workspace.metadata.windlass.steps.gen]\n";

    /// The step `gen` declared by `body` below its table, run through a recording session.
    fn run(body: &str, dir: &Path) -> (Result<StepOutcome>, windlass_core::testing::Recorded) {
        let (ws, mut session, recorded) =
            windlass_core::testing::configured(dir, &format!("{MANIFEST}{body}"));
        let mut declared: CommandSteps = ws.config.section(SECTION).unwrap();
        let kind = CommandStepKind {
            name: "gen".into(),
            step: declared.remove("gen").unwrap(),
        };
        let outcome = kind.step(&ws).and_then(|step| step.run(&ws, &mut session));
        (outcome, recorded)
    }

    #[test]
    fn a_command_that_fails_is_a_finding_naming_it_and_its_status() {
        let dir = tempfile::tempdir().unwrap();
        let (outcome, recorded) = run(
            "run = [\"sh\", \"-c\", \"test \\\"$WANTED\\\" = yes\"]\nenv = { WANTED = \"no\" }\n",
            dir.path(),
        );
        let outcome = outcome.unwrap();
        assert!(!outcome.passed);
        let finding = &recorded.diagnostics()[0];
        assert_eq!(finding.step, "gen");
        assert!(
            finding.message.ends_with("exited with status 1"),
            "{finding:?}"
        );

        // Its variables reach it: the same command passes when they say so.
        let (outcome, recorded) = run(
            "run = [\"sh\", \"-c\", \"test \\\"$WANTED\\\" = yes\"]\nenv = { WANTED = \"yes\" }\n",
            dir.path(),
        );
        assert!(outcome.unwrap().passed);
        assert!(recorded.diagnostics().is_empty());
    }

    #[test]
    fn it_starts_in_its_cwd_and_never_in_one_a_link_leads_out_to() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("service")).unwrap();
        let (outcome, _) = run(
            "run = [\"touch\", \"made-here\"]\ncwd = \"service\"\n",
            dir.path(),
        );
        assert!(outcome.unwrap().passed);
        assert!(dir.path().join("service/made-here").is_file());

        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("out")).unwrap();
        let (outcome, recorded) = run(
            "run = [\"touch\", \"escaped\"]\ncwd = \"out\"\n",
            dir.path(),
        );
        let err = outcome.unwrap_err().to_string();
        assert!(err.contains("Cargo.toml:5:1: "), "{err}");
        assert!(
            err.contains("cwd `out` leads outside the workspace root"),
            "{err}"
        );
        assert!(!outside.path().join("escaped").exists());
        assert!(recorded.events().is_empty(), "{:?}", recorded.events());
    }

    #[test]
    fn a_service_the_test_section_does_not_declare_is_named_at_its_place() {
        let dir = tempfile::tempdir().unwrap();
        let (outcome, _) = run("run = [\"true\"]\nservices = [\"postgres\"]\n", dir.path());
        let err = outcome.unwrap_err().to_string();
        assert!(
            err.contains("Cargo.toml:5:13: [workspace.metadata.windlass.steps.gen] needs the service `postgres`"),
            "{err}"
        );
    }
}
