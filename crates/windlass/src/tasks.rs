//! From a parsed command line to a pipeline run: the session, the workspace, the steps.

use crate::cli::{Cli, Command};
use anyhow::Result;
use serde::Deserialize;
use std::io::IsTerminal;
use windlass_checks::features::Features;
use windlass_checks::fmt::FmtCheck;
use windlass_checks::lint::{Lint, LintConfig};
use windlass_checks::test::{Test, TestConfig};
use windlass_core::pipeline::{Pipeline, Selection};
use windlass_core::report::{self, Environment, Format};
use windlass_core::runner::Runner;
use windlass_core::{Session, Step, UsageError, Workspace};

/// The config sections this command line knows; any other key is an error.
const CONFIG_SECTIONS: &[&str] = &["ci", "lint", "test"];

/// The steps `ci` can run, in their default order.
pub const CI_STEPS: &[&str] = &["fmt-check", "lint", "test"];

/// `[workspace.metadata.windlass.ci]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct CiConfig {
    /// The steps, in order.
    #[serde(default = "default_steps")]
    steps: Vec<String>,
    /// Run every step even after one fails.
    #[serde(default)]
    keep_going: bool,
}

impl Default for CiConfig {
    fn default() -> Self {
        Self {
            steps: default_steps(),
            keep_going: false,
        }
    }
}

fn default_steps() -> Vec<String> {
    CI_STEPS.iter().map(|s| (*s).to_string()).collect()
}

/// Runs the task the command line names; returns the exit code.
pub fn run(cli: &Cli) -> Result<u8> {
    let format = cli.report_format();
    let human_is_tty = match format {
        Format::Human => std::io::stdout().is_terminal(),
        Format::Json => std::io::stderr().is_terminal(),
    };
    let color = report::style::use_color(cli.color_choice(), human_is_tty);
    let reporter = report::for_environment(format, color, &Environment::from_env());
    let cwd = std::env::current_dir()?;
    let runner = Runner::new(&cwd, format == Format::Json)?;
    let mut session = Session::new(runner, Box::new(reporter), color);

    let ws = Workspace::discover(&mut session, cli.manifest_path.as_deref())?;
    ws.config.check_sections(CONFIG_SECTIONS)?;

    let (pipeline, selection, plan_only) = match &cli.command {
        Command::Ci(args) => {
            let config: CiConfig = ws.config.section("ci")?;
            let steps = config
                .steps
                .iter()
                .map(|name| step_by_name(&ws, name, &Features::default()))
                .collect::<Result<Vec<_>>>()?;
            let selection = Selection {
                keep_going: args.keep_going || config.keep_going,
                skip: args.skip.clone(),
                only: args.only.clone(),
            };
            (
                Pipeline::new("ci", steps),
                selection,
                args.list || args.dry_run,
            )
        }
        Command::FmtCheck => single("fmt-check", Box::new(FmtCheck)),
        Command::Lint(args) => {
            let config: LintConfig = ws.config.section("lint")?;
            single(
                "lint",
                Box::new(Lint::from_config(&config, &args.features.features())),
            )
        }
        Command::Test(args) => {
            let config: TestConfig = ws.config.section("test")?;
            let step = Test::from_config(
                &config,
                &args.features.features(),
                args.runner.map(Into::into),
                args.partition,
            );
            single("test", Box::new(step))
        }
    };
    if plan_only {
        pipeline.plan(&ws, &mut session, &selection)?;
        return Ok(windlass_core::error::EXIT_OK);
    }
    pipeline.run(&ws, &mut session, &selection)
}

fn single(task: &str, step: Box<dyn Step>) -> (Pipeline, Selection, bool) {
    (Pipeline::new(task, vec![step]), Selection::default(), false)
}

/// A `ci` step from its name, configured from the workspace's config.
fn step_by_name(ws: &Workspace, name: &str, cli: &Features) -> Result<Box<dyn Step>> {
    Ok(match name {
        "fmt-check" => Box::new(FmtCheck),
        "lint" => Box::new(Lint::from_config(&ws.config.section("lint")?, cli)),
        "test" => Box::new(Test::from_config(
            &ws.config.section("test")?,
            cli,
            None,
            None,
        )),
        other => {
            return Err(UsageError::new(format!(
                "{}: unknown step `{other}` in [workspace.metadata.windlass.ci] steps",
                ws.config.manifest().display()
            ))
            .hint(format!("the steps are: {}", CI_STEPS.join(", ")))
            .into());
        }
    })
}
