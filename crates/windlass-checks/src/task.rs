//! The checks as tasks: `fmt-check`, `lint` and `test`, each a subcommand and a step of `ci`.

use crate::fmt::{self, FmtCheck, FmtConfig};
use crate::lint::{self, Lint, LintConfig};
use crate::selection::Features;
use crate::suite::{self, Partition, RunnerChoice, Test, TestConfig};
use anyhow::Result;
use windlass_core::task::{Context, InCi, NoArgs, Run, Task};
use windlass_core::{CiJob, Plan, Session, Step, StepOutcome, ToolchainInstall, Workspace};

/// `fmt-check`: every file formatted as the repository's rustfmt rule formats it.
pub struct FmtCheckTask;

impl Task for FmtCheckTask {
    type Args = NoArgs;
    type Config = FmtConfig;

    fn name(&self) -> &str {
        fmt::NAME
    }

    fn watches(&self) -> windlass_core::Watched {
        windlass_core::Watched::Rust
    }

    fn about(&self) -> &str {
        "Check that every file is formatted as `cargo fmt` would format it."
    }

    fn ci(&self) -> InCi {
        InCi::Default
    }

    fn plan(
        &self,
        _: &NoArgs,
        config: &FmtConfig,
        ws: &Workspace,
        session: &mut Session,
    ) -> Result<Plan> {
        step(config).plan(ws, session)
    }

    fn run(
        &self,
        _: &NoArgs,
        config: &FmtConfig,
        ws: &Workspace,
        session: &mut Session,
    ) -> Result<StepOutcome> {
        step(config).run(ws, session)
    }

    /// Formatting compiles nothing; a pinned rustfmt toolchain is installed for it.
    fn ci_job(&self, config: &FmtConfig, _: &Workspace) -> Result<CiJob> {
        Ok(CiJob {
            covered_by: ["cargo fmt", "cargo +nightly fmt", "rustfmt"]
                .map(String::from)
                .into(),
            toolchains: config
                .toolchain
                .iter()
                .map(|t| ToolchainInstall::new(t.name(), ["rustfmt"]))
                .collect(),
            ..CiJob::runs([format!("cargo xtask {}", fmt::NAME)]).without_build()
        })
    }
}

fn step(config: &FmtConfig) -> FmtCheck {
    FmtCheck {
        config: config.clone(),
    }
}

/// `lint`'s arguments.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LintArgs {
    #[command(flatten)]
    features: Features,
    #[command(flatten)]
    packages: crate::selection::Packages,
}

impl LintArgs {
    fn step(&self, config: &LintConfig) -> Lint {
        Lint {
            packages: self.packages.clone(),
            ..Lint::from_config(config, &self.features)
        }
    }
}

/// `lint`: clippy over every target of every member; any warning fails.
pub struct LintTask;

impl Task for LintTask {
    type Args = LintArgs;
    type Config = LintConfig;

    fn name(&self) -> &str {
        lint::NAME
    }

    fn watches(&self) -> windlass_core::Watched {
        windlass_core::Watched::Rust
    }

    fn about(&self) -> &str {
        "Run clippy over every target of every member; any warning fails."
    }

    fn ci(&self) -> InCi {
        InCi::Default
    }

    fn plan(
        &self,
        args: &LintArgs,
        config: &LintConfig,
        ws: &Workspace,
        session: &mut Session,
    ) -> Result<Plan> {
        args.step(config).plan(ws, session)
    }

    fn run(
        &self,
        args: &LintArgs,
        config: &LintConfig,
        ws: &Workspace,
        session: &mut Session,
    ) -> Result<StepOutcome> {
        args.step(config).run(ws, session)
    }

    fn ci_job(&self, config: &LintConfig, _: &Workspace) -> Result<CiJob> {
        Ok(CiJob {
            covered_by: vec!["clippy".into()],
            toolchains: config
                .toolchain
                .iter()
                .map(|t| ToolchainInstall::new(t.name(), ["clippy"]))
                .collect(),
            ..CiJob::runs([format!("cargo xtask {}", lint::NAME)])
        })
    }
}

/// `test`'s arguments.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TestArgs {
    /// Run shard N of M (nextest's `count:N/M`), e.g. in a GitHub Actions matrix.
    #[arg(long, value_name = "N/M")]
    partition: Option<Partition>,
    /// Which runner: nextest when the repository opts in (auto), nextest, or cargo test.
    #[arg(long, value_enum)]
    runner: Option<RunnerChoice>,
    #[command(flatten)]
    features: Features,
    #[command(flatten)]
    packages: crate::selection::Packages,
    /// Run only the tests whose name holds FILTER (as `cargo test FILTER`).
    filter: Option<String>,
    /// Arguments for the test binaries, after `--` (`-- --nocapture`).
    #[arg(last = true, value_name = "ARGS")]
    test_args: Vec<String>,
}

/// `test`: the workspace's tests and doctests, with the services they need around them.
pub struct TestTask;

impl Task for TestTask {
    type Args = TestArgs;
    type Config = TestConfig;

    fn name(&self) -> &str {
        suite::NAME
    }

    fn watches(&self) -> windlass_core::Watched {
        windlass_core::Watched::Rust
    }

    fn about(&self) -> &str {
        "Run the tests with cargo test (or cargo-nextest), optionally one shard of them."
    }

    fn ci(&self) -> InCi {
        InCi::Default
    }

    fn pipeline(
        &self,
        args: &TestArgs,
        config: &TestConfig,
        cx: &mut Context<'_>,
    ) -> Result<Option<Run>> {
        let step = Test {
            packages: args.packages.clone(),
            filter: args.filter.clone(),
            test_args: args.test_args.clone(),
            ..Test::from_config(config, &args.features, args.runner, args.partition)
        };
        let step: Box<dyn Step> = suite::with_services(step, cx.ws)?;
        Ok(Some(Run::single(suite::NAME, step)))
    }

    /// nextest is installed, and the suite sharded, only where the repository runs it.
    fn ci_job(&self, config: &TestConfig, ws: &Workspace) -> Result<CiJob> {
        let nextest = suite::uses_nextest(config, ws);
        Ok(CiJob {
            nextest,
            shardable: nextest,
            covered_by: ["cargo test", "nextest"].map(String::from).into(),
            ..CiJob::runs([format!("cargo xtask {}", suite::NAME)])
        })
    }
}
