//! The CI job a step wants, as data: what `workflows` turns into a GitHub Actions job.
//!
//! Each step declares its own job (the secrets scan needs the whole history, the tests a
//! matrix of shards), so the workflow generator knows no step by name.

/// One job of a generated workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiJob {
    /// The job's display name (default: the step's name).
    pub title: Option<String>,
    /// Check out every commit, not only the last one.
    pub full_history: bool,
    /// Install cargo-nextest before the steps run.
    pub nextest: bool,
    /// Split the job into the workflow's `partitions` shards: the last run step gets
    /// `--partition "$PARTITION/N"` from a matrix.
    pub shardable: bool,
    /// What the job does after checkout and the cache.
    pub steps: Vec<JobStep>,
    /// What a hand-written CI runs when it already does this job's check (`cargo fmt`,
    /// `clippy`): beside such a CI, the job is not needed.
    pub covered_by: Vec<String>,
    /// Whether the job compiles the workspace: then it restores and saves a build cache of
    /// its own (one per job kind, pruned before it is saved). `fmt-check`, `secrets` and
    /// `audit` compile nothing and cache nothing.
    pub compiles: bool,
    /// Cargo subcommands to install (`cargo install --locked`) before the steps, kept in the
    /// job's cache once built: `cargo-hack`, `cargo-semver-checks`.
    pub tools: Vec<String>,
    /// Toolchains the job needs beside the repository's own (installed first, never left to
    /// rustup to download mid-step): a pinned nightly for rustfmt, each `rust-version`.
    pub toolchains: Vec<ToolchainInstall>,
    /// Components of the repository's own toolchain the job needs besides clippy and rustfmt
    /// (`llvm-tools-preview`).
    pub components: Vec<String>,
}

/// A toolchain a job installs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ToolchainInstall {
    /// What rustup calls it: `stable`, `nightly-2026-01-10`, `1.85`.
    pub name: String,
    /// Its components (`rustfmt`, `clippy`, `llvm-tools-preview`).
    pub components: Vec<String>,
}

impl ToolchainInstall {
    /// `name` with `components`.
    pub fn new<I, S>(name: impl Into<String>, components: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            name: name.into(),
            components: components.into_iter().map(Into::into).collect(),
        }
    }
}

/// One step of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobStep {
    /// A `run:` step. Untrusted values reach the script only through `env`.
    Run {
        /// Its name in the log.
        name: String,
        /// An `if:` expression.
        condition: Option<String>,
        /// Variables for the script.
        env: Vec<(String, String)>,
        /// The script: one `cargo xtask ...` line.
        run: String,
    },
    /// Keeps a file the job wrote as a workflow artifact, even when the job fails.
    KeepFile {
        /// Its name in the log.
        name: String,
        /// The artifact's name.
        artifact: String,
        /// The file.
        path: String,
    },
}

impl JobStep {
    /// A `run:` step whose name is its script.
    pub fn run(script: impl Into<String>) -> Self {
        let script = script.into();
        Self::Run {
            name: script.clone(),
            condition: None,
            env: Vec::new(),
            run: script,
        }
    }
}

impl CiJob {
    /// A job of `run:` steps, one per script.
    pub fn runs<I, S>(scripts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            title: None,
            full_history: false,
            nextest: false,
            shardable: false,
            steps: scripts.into_iter().map(JobStep::run).collect(),
            covered_by: Vec::new(),
            compiles: true,
            tools: Vec::new(),
            toolchains: Vec::new(),
            components: Vec::new(),
        }
    }

    /// The same job, compiling nothing (no build cache).
    pub fn without_build(self) -> Self {
        Self {
            compiles: false,
            ..self
        }
    }

    /// The job of a step that has no subcommand of its own: `cargo xtask ci --only NAME`.
    pub fn ci_only(step: &str) -> Self {
        Self::runs([format!("cargo xtask ci --only {step}")])
    }
}

/// What the workflows are generated from, besides their own config: every task's part.
#[derive(Clone, Default)]
pub struct Inputs {
    /// One job per `ci` step, in order, as each step declares it.
    pub ci_jobs: Vec<(String, CiJob)>,
    /// The jobs of the daily `security.yml`; none, no file.
    pub scheduled_jobs: Vec<(String, CiJob)>,
    /// What tasks add beside their jobs, one value per type (the deploy environments, the
    /// release tag). The types belong to the task crates and the workflow generator that
    /// reads them: the core names none of them.
    parts: Vec<std::sync::Arc<dyn std::any::Any + Send + Sync>>,
}

impl std::fmt::Debug for Inputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inputs")
            .field("ci_jobs", &self.ci_jobs)
            .field("scheduled_jobs", &self.scheduled_jobs)
            .field("parts", &self.parts.len())
            .finish()
    }
}

impl Inputs {
    /// Adds `part`, replacing a part of the same type.
    pub fn add<T: std::any::Any + Send + Sync>(&mut self, part: T) {
        self.parts.retain(|p| !p.is::<T>());
        self.parts.push(std::sync::Arc::new(part));
    }

    /// The part of type `T`, when a task added one.
    pub fn part<T: std::any::Any>(&self) -> Option<&T> {
        self.parts.iter().find_map(|p| p.downcast_ref::<T>())
    }
}
