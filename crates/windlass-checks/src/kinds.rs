//! The checks as the registry knows them: their names, config sections and CI jobs.

use crate::features::Features;
use crate::fmt::{self, FmtCheck};
use crate::lint::{self, Lint, LintConfig};
use crate::test::{self, Test, TestConfig};
use anyhow::Result;
use windlass_core::registry::{BuildContext, Origin, StepKind};
use windlass_core::{CiJob, Step, Workspace};

/// `fmt-check`.
pub struct FmtCheckKind;

impl StepKind for FmtCheckKind {
    fn name(&self) -> &str {
        fmt::NAME
    }

    fn about(&self) -> &str {
        "every file is formatted as `cargo fmt` would format it"
    }

    fn origin(&self) -> Origin {
        Origin::Stock
    }

    fn build(&self, cx: &BuildContext<'_>) -> Result<Box<dyn Step>> {
        Ok(Box::new(FmtCheck {
            config: cx.ws.config.section(fmt::NAME)?,
        }))
    }

    fn ci_job(&self, _ws: &Workspace) -> Result<CiJob> {
        Ok(CiJob::runs(["cargo xtask fmt-check"]))
    }
}

/// `lint`, configured by `[workspace.metadata.windlass.lint]`.
pub struct LintKind;

impl StepKind for LintKind {
    fn name(&self) -> &str {
        lint::NAME
    }

    fn about(&self) -> &str {
        "clippy over every target of every member; any warning fails"
    }

    fn origin(&self) -> Origin {
        Origin::Stock
    }

    fn build(&self, cx: &BuildContext<'_>) -> Result<Box<dyn Step>> {
        let config: LintConfig = cx.ws.config.section(lint::NAME)?;
        Ok(Box::new(Lint::from_config(&config, &Features::default())))
    }

    fn ci_job(&self, _ws: &Workspace) -> Result<CiJob> {
        Ok(CiJob::runs(["cargo xtask lint"]))
    }
}

/// `test`, configured by `[workspace.metadata.windlass.test]`.
pub struct TestKind;

impl StepKind for TestKind {
    fn name(&self) -> &str {
        test::NAME
    }

    fn about(&self) -> &str {
        "the workspace's tests and doctests"
    }

    fn origin(&self) -> Origin {
        Origin::Stock
    }

    fn build(&self, cx: &BuildContext<'_>) -> Result<Box<dyn Step>> {
        let config: TestConfig = cx.ws.config.section(test::NAME)?;
        let step = Test::from_config(&config, &Features::default(), None, None);
        test::with_services(step, cx.ws)
    }

    /// nextest is installed, and the suite sharded, only where the repository runs it.
    fn ci_job(&self, ws: &Workspace) -> Result<CiJob> {
        let config: TestConfig = ws.config.section(test::NAME)?;
        let nextest = test::uses_nextest(&config, ws);
        Ok(CiJob {
            nextest,
            shardable: nextest,
            ..CiJob::runs(["cargo xtask test"])
        })
    }
}
