//! `cargo xtask hello`: a subcommand of this xtask's own, with its own arguments, reporting
//! through windlass's reporters (text, `--format json`, GitHub Actions) like the stock tasks.

use windlass::{Event, NoConfig, Session, StepOutcome, Task, Workspace};

/// `cargo xtask hello`: greet someone, through windlass's reporters.
pub struct Hello;

/// Its arguments.
#[derive(Debug, clap::Args)]
pub struct HelloArgs {
    /// Whom to greet.
    #[arg(long, default_value = "world")]
    name: String,
}

impl Task for Hello {
    type Args = HelloArgs;
    type Config = NoConfig;

    fn name(&self) -> &str {
        "hello"
    }

    fn about(&self) -> &str {
        "Greet someone, through windlass's reporters."
    }

    fn needs_workspace(&self, _: &HelloArgs) -> bool {
        false
    }

    fn run(
        &self,
        args: &HelloArgs,
        _: &NoConfig,
        _ws: &Workspace,
        session: &mut Session,
    ) -> anyhow::Result<StepOutcome> {
        session.emit(Event::Output {
            step: self.name().into(),
            text: format!("hello, {}!", args.name),
        });
        Ok(StepOutcome::passed(format!("greeted {}", args.name)))
    }
}
