//! `completions <shell>`: the shell completion script of this xtask's command line — every
//! task, the adopter's own included, with its options — printed alone on stdout.
//!
//! A shell completes a command by its name, and `cargo xtask` is two words that cargo's own
//! completion does not look into: the script completes `xtask` (`alias xtask='cargo xtask'`)
//! unless `--bin` names another command, such as `windlass` for the installed binary.

use anyhow::Result;
use windlass_core::event::Event;
use windlass_core::task::{Context, NoConfig, Run, Task};
use windlass_core::{Plan, Session, Step, StepOutcome, Workspace};

/// The name of the task.
pub const NAME: &str = "completions";

/// `completions`' command line.
#[derive(Debug, Clone, clap::Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
    /// The command the script completes.
    #[arg(long, value_name = "NAME", default_value = "xtask")]
    pub bin: String,
}

impl Default for CompletionsArgs {
    fn default() -> Self {
        Self {
            shell: clap_complete::Shell::Bash,
            bin: "xtask".into(),
        }
    }
}

/// `completions`: a shell's completion script.
pub struct CompletionsTask;

impl Task for CompletionsTask {
    type Args = CompletionsArgs;
    type Config = NoConfig;

    fn name(&self) -> &str {
        NAME
    }

    fn about(&self) -> &str {
        "Print the completion script of this command line for bash, zsh, fish, elvish or PowerShell."
    }

    fn needs_workspace(&self, _: &CompletionsArgs) -> bool {
        false
    }

    fn writes_artifact(&self, _: &CompletionsArgs) -> bool {
        true
    }

    fn pipeline(
        &self,
        args: &CompletionsArgs,
        _: &NoConfig,
        cx: &mut Context<'_>,
    ) -> Result<Option<Run>> {
        let bin = args.bin.trim();
        if bin.is_empty()
            || !bin
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(windlass_core::UsageError::new(format!(
                "`{}` is not a command name",
                args.bin.escape_debug()
            ))
            .hint("name the command the shell runs, e.g. `--bin xtask`")
            .into());
        }
        let mut command = crate::command::command_line(cx.registry).bin_name(bin);
        let mut script = Vec::new();
        clap_complete::generate(args.shell, &mut command, bin, &mut script);
        Ok(Some(Run::single(
            NAME,
            Box::new(Script {
                shell: args.shell.to_string(),
                text: String::from_utf8_lossy(&script).into_owned(),
            }),
        )))
    }
}

/// The generated script, printed as the run's document.
struct Script {
    shell: String,
    text: String,
}

impl Step for Script {
    fn name(&self) -> &str {
        NAME
    }

    fn plan(&self, _: &Workspace, _: &mut Session) -> Result<Plan> {
        Ok(Plan::describe(format!(
            "print the {} completion script",
            self.shell
        )))
    }

    fn run(&self, _: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        session.emit(Event::Artifact {
            step: NAME.into(),
            text: self.text.clone(),
        });
        Ok(StepOutcome::passed(format!(
            "{} completion script, {} lines",
            self.shell,
            self.text.lines().count()
        )))
    }
}
