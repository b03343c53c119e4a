//! `ci`: the pipeline of every task `ci` runs, as one run with one report.

use anyhow::Result;
use windlass_core::ci_steps::{CI_LIST, CI_SECTION, CiConfig};
use windlass_core::pipeline::Selection;
use windlass_core::registry::CiEntry;
use windlass_core::task::{Context, Run, Task};
use windlass_core::{Severity, UsageError};

/// The name of the task.
pub const NAME: &str = CI_SECTION;

/// `ci`'s command line.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CiArgs {
    /// Run every step even after one fails, to see every failure at once.
    #[arg(long)]
    pub keep_going: bool,
    /// Leave steps out (comma-separated or repeated).
    #[arg(long, value_name = "STEP", value_delimiter = ',')]
    pub skip: Vec<String>,
    /// Run only these steps (comma-separated or repeated).
    #[arg(long, value_name = "STEP", value_delimiter = ',')]
    pub only: Vec<String>,
    /// List the steps and exit.
    #[arg(long, conflicts_with = "dry_run")]
    pub list: bool,
    /// Print what would run, without running it.
    #[arg(long)]
    pub dry_run: bool,
    /// Run again on every change, only the steps whose inputs changed, until Ctrl-C.
    #[arg(long, conflicts_with_all = ["list", "dry_run"])]
    pub watch: bool,
}

/// `ci`: the configured steps (or the registered defaults), `--skip`/`--only` checked against
/// the registry. `--only` a task that `[ci] steps` leaves out runs it all the same: it is how
/// a workflow job runs one opt-in or custom step.
pub struct CiTask;

impl Task for CiTask {
    type Args = CiArgs;
    type Config = CiConfig;

    fn name(&self) -> &str {
        NAME
    }

    fn about(&self) -> &str {
        "Run the CI pipeline: every registered step (`--list` shows them) as one run with one report."
    }

    fn pipeline(
        &self,
        args: &CiArgs,
        config: &CiConfig,
        cx: &mut Context<'_>,
    ) -> Result<Option<Run>> {
        let registry = cx.registry;
        let mut entries = windlass_core::ci_steps::entries(registry, cx.ws)?;
        for name in args.skip.iter().chain(&args.only) {
            if registry.get(name).is_none() {
                let names = registry.step_names();
                let mut hint = format!("the steps are: {}", names.join(", "));
                if let Some(near) =
                    windlass_core::config::closest(name, names.iter().map(String::as_str))
                {
                    hint = format!("did you mean `{near}`? {hint}");
                }
                return Err(UsageError::new(format!("`{name}` is not a step of `ci`"))
                    .hint(hint)
                    .into());
            }
        }
        for name in &args.only {
            if !entries.iter().any(|e| &e.name == name) {
                let mut entry = CiEntry::parse(name);
                if let Some(kind) = registry.get(name) {
                    entry.args = kind.ci_args();
                }
                entries.push(entry);
            }
        }
        if args.list {
            let left_out: Vec<String> = registry
                .step_names()
                .into_iter()
                .filter(|n| !entries.iter().any(|e| &e.name == n))
                .collect();
            if !left_out.is_empty() {
                cx.session.message(
                    Severity::Notice,
                    format!(
                        "steps this `ci` does not run: {} (name them in {CI_LIST} to)",
                        left_out.join(", ")
                    ),
                );
            }
        }
        let steps = registry.build(cx.ws, cx.session, &entries, CI_LIST)?;
        let mut run = Run::steps(NAME, steps);
        run.selection = Selection {
            keep_going: args.keep_going || config.keep_going,
            skip: args.skip.clone(),
            only: args.only.clone(),
            skipped_by: None,
        };
        run.plan_only = args.list || args.dry_run;
        Ok(Some(run))
    }
}
