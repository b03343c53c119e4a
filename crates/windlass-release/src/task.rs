//! `release` as a task: the checks and the plan; with `--execute`, then `ci`, then the
//! release itself.

use crate::config::ReleaseConfig;
use crate::version::Target;
use crate::{Options, Release, ReleaseChecks};
use anyhow::Result;
use windlass_core::ci_steps::CI_LIST;
use windlass_core::job::Inputs;
use windlass_core::task::{Context, Run, Task};
use windlass_core::{Step, UsageError, Workspace};

/// The name of the task.
pub const NAME: &str = "release";

/// `release`'s command line.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ReleaseArgs {
    /// patch, minor, major, rc, beta, alpha, release (drop the pre-release), auto (from the
    /// Conventional Commits since the last tag: breaking → major, feat → minor, else patch),
    /// or a version such as 1.4.0. Default: auto.
    #[arg(value_name = "LEVEL|VERSION", conflicts_with_all = ["level", "resume"])]
    pub bump: Option<String>,
    /// The same as the LEVEL argument.
    #[arg(long, value_name = "LEVEL", conflicts_with = "resume")]
    pub level: Option<String>,
    /// Act; without it, the plan is shown and nothing changes.
    #[arg(long)]
    pub execute: bool,
    /// Show the plan and change nothing: the default, spelled out for scripts.
    #[arg(long, conflicts_with_all = ["execute", "resume", "artifacts_only"])]
    pub dry_run: bool,
    /// Finish the release a failure interrupted after its commit.
    #[arg(long)]
    pub resume: bool,
    /// Push the branch and the tag.
    #[arg(long)]
    pub push: bool,
    /// Build the binaries and pack them with SHA256SUMS and a CycloneDX SBOM each.
    #[arg(long)]
    pub artifacts: bool,
    /// With --artifacts: sign SHA256SUMS in minisign's format (SHA256SUMS.minisig), with the
    /// key of `signing-key` or WINDLASS_SIGNING_KEY.
    #[arg(long)]
    pub sign: bool,
    /// Publish the crates to the registry, in dependency order.
    #[arg(long)]
    pub publish: bool,
    /// Only build the artifacts of the release tagged at HEAD (what CI runs on a tag push).
    #[arg(long, conflicts_with_all = ["bump", "level", "execute", "resume", "push", "publish"])]
    pub artifacts_only: bool,
    /// Do not run `ci` first (the run says so).
    #[arg(long)]
    pub skip_ci: bool,
    /// The cargo profile of the artifacts (default: the config's, `release`).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// The target triple of the artifacts (default: the host).
    #[arg(long, value_name = "TRIPLE")]
    pub target: Option<String>,
}

/// `release`: bump, changelog, commit, tag, artifacts, push, publish — a dry run unless
/// `--execute`.
pub struct ReleaseTask;

impl Task for ReleaseTask {
    type Args = ReleaseArgs;
    type Config = ReleaseConfig;

    fn name(&self) -> &str {
        NAME
    }

    fn about(&self) -> &str {
        "Bump the version, write the changelog, commit and tag (dry run unless --execute)."
    }

    fn pipeline(
        &self,
        args: &ReleaseArgs,
        config: &ReleaseConfig,
        cx: &mut Context<'_>,
    ) -> Result<Option<Run>> {
        let entries = windlass_core::ci_steps::entries(cx.registry, cx.ws)?;
        let ci_steps: Vec<String> = entries.iter().map(|e| e.name.clone()).collect();
        if args.sign {
            if !(args.artifacts || args.artifacts_only || args.resume) {
                return Err(UsageError::new(
                    "--sign signs the artifacts: it goes with --artifacts",
                )
                .hint("add --artifacts (or run --artifacts-only)")
                .into());
            }
            // Before anything changes: a release that cannot be signed is not started.
            crate::execute::signing_key(config)?;
        }
        let target = args
            .bump
            .as_deref()
            .or(args.level.as_deref())
            .map(Target::parse)
            .transpose()?;
        let options = Options {
            target,
            execute: args.execute,
            resume: args.resume,
            push: args.push,
            artifacts: args.artifacts,
            publish: args.publish,
            artifacts_only: args.artifacts_only,
            skip_ci: args.skip_ci,
            profile: args.profile.clone(),
            build_target: args.target.clone(),
            sign: args.sign,
            ci_steps,
        };
        let release = || Release {
            config: config.clone(),
            options: options.clone(),
        };
        let checks = || ReleaseChecks {
            config: config.clone(),
            options: options.clone(),
        };
        let steps: Vec<Box<dyn Step>> = if args.resume || args.artifacts_only {
            vec![Box::new(release())]
        } else if args.execute {
            let mut steps: Vec<Box<dyn Step>> = vec![Box::new(checks())];
            if !args.skip_ci {
                steps.extend(cx.registry.build(cx.ws, cx.session, &entries, CI_LIST)?);
            }
            steps.push(Box::new(release()));
            steps
        } else {
            vec![Box::new(checks())]
        };
        Ok(Some(Run::steps(NAME, steps)))
    }

    /// `release.yml` runs on the push of the release tag.
    fn workflows(&self, config: &ReleaseConfig, _: &Workspace, inputs: &mut Inputs) -> Result<()> {
        inputs.add(windlass_workflows::ReleaseTag(config.tag.clone()));
        Ok(())
    }
}
