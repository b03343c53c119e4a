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
        }
    }

    /// The job of a step that has no subcommand of its own: `cargo xtask ci --only NAME`.
    pub fn ci_only(step: &str) -> Self {
        Self::runs([format!("cargo xtask ci --only {step}")])
    }
}
