//! `cargo xtask hello`: a subcommand of this xtask's own, with its own arguments, reporting
//! through windlass's reporters (text, `--format json`, GitHub Actions) like the stock tasks.

use windlass::{Event, Session, StepOutcome, Task, Workspace};

/// Greet someone, through windlass's reporters.
#[derive(Debug, clap::Args)]
pub struct Hello {
    /// Whom to greet.
    #[arg(long, default_value = "world")]
    name: String,
}

impl Task for Hello {
    fn needs_workspace(&self) -> bool {
        false
    }

    fn run(&self, _ws: &Workspace, session: &mut Session) -> anyhow::Result<StepOutcome> {
        session.emit(Event::Output {
            step: "hello".into(),
            text: format!("hello, {}!", self.name),
        });
        Ok(StepOutcome::passed(format!("greeted {}", self.name)))
    }
}
