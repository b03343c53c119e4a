//! The command line: global options and one subcommand per task.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use windlass_checks::features::Features;
use windlass_checks::test::{Partition, RunnerChoice};
use windlass_core::report::Format;
use windlass_core::report::style::{self, BAD, ColorChoice};
use windlass_core::units::Duration;

/// CI/CD for Rust services: the same checks locally, in GitHub Actions and in git hooks.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", version, about, max_term_width = 100)]
pub struct Cli {
    /// The options every task takes.
    #[command(flatten)]
    pub global: GlobalArgs,

    /// The task to run.
    #[command(subcommand)]
    pub command: Commands,
}

/// The options every task takes, before or after its name. An xtask with a command line of
/// its own flattens them into its parser (`#[command(flatten)]`) to nest windlass's commands.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// The workspace to work on (its Cargo.toml or directory); default: the current one.
    #[arg(long, global = true, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,

    /// What to print on stdout: text for people, or one JSON report (docs/json-report.md).
    #[arg(long, global = true, value_enum, default_value_t = FormatArg::Human)]
    pub format: FormatArg,

    /// When to use colour; `auto` follows the terminal, NO_COLOR, CLICOLOR and CLICOLOR_FORCE.
    #[arg(long, global = true, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
}

impl Default for GlobalArgs {
    fn default() -> Self {
        Self {
            manifest_path: None,
            format: FormatArg::Human,
            color: ColorArg::Auto,
        }
    }
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Text for people (plus workflow commands in GitHub Actions).
    Human,
    /// A `windlass.report/v1` JSON document.
    Json,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    /// Colour on a terminal.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// windlass's tasks: a `clap::Subcommand` an xtask with its own command line can flatten into
/// its enum (`#[command(flatten)] Windlass(windlass::Commands)`) and run with
/// [`crate::Xtask::execute`].
#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Run the CI pipeline: every registered step (`--list` shows them) as one run with one report.
    Ci(CiArgs),
    /// Check that every file is formatted as `cargo fmt` would format it.
    FmtCheck,
    /// Run clippy over every target of every member; any warning fails.
    Lint(LintArgs),
    /// Run the tests with cargo-nextest (or cargo test), optionally one shard of them.
    Test(TestArgs),
    /// Check Cargo.lock against the RustSec advisories, and licences against deny.toml.
    #[cfg(feature = "audit")]
    Audit(AuditArgs),
    /// Scan for secrets: every file of the tree, the commits since a revision, or all history.
    Secrets(SecretsArgs),
    /// Check what is staged for commit: formatting, secrets, large and secret files.
    PreCommit,
    /// Install the git pre-commit hook that runs `pre-commit` (or remove it).
    InstallHooks(InstallHooksArgs),
    /// Write the GitHub Actions workflows and Dependabot config from their Rust definitions.
    Workflows(WorkflowsArgs),
    /// GET a health endpoint until it is healthy or a deadline passes.
    #[cfg(feature = "deploy")]
    HealthCheck(HealthCheckArgs),
    /// Check the variables, config files and services an environment needs.
    #[cfg(feature = "deploy")]
    ValidateConfig(EnvArgs),
    /// Deploy a release to an environment, rolling back automatically if it is not healthy.
    #[cfg(feature = "deploy")]
    Deploy(DeployArgs),
    /// Switch an environment back to the previous (or a named) release.
    #[cfg(feature = "deploy")]
    Rollback(RollbackArgs),
    /// Print a hardened systemd unit for an environment's service.
    #[cfg(feature = "deploy")]
    SystemdUnit(EnvArgs),
    /// Add windlass to a Rust repository: xtask crate, alias, config, workflows, hook.
    #[cfg(feature = "adopt")]
    Init(InitArgs),
    /// Score a repository's production readiness, area by area, with the fix for each gap.
    #[cfg(feature = "adopt")]
    Doctor(DoctorArgs),
    /// Write, lint, build and smoke-test the service's container image.
    #[cfg(feature = "docker")]
    DockerBuild(DockerArgs),
    /// Bump the version, write the changelog, commit and tag (dry run unless --execute).
    #[cfg(feature = "release")]
    Release(ReleaseArgs),
}

/// Options of `release`.
#[derive(Debug, Args)]
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

/// Options of `docker-build`.
#[derive(Debug, Args)]
pub struct DockerArgs {
    /// Write a Dockerfile and .dockerignore for the binary.
    #[arg(long, conflicts_with_all = ["check", "prebuilt", "smoke", "push"])]
    pub init: bool,
    /// Lint a Dockerfile (default: the workspace's) and exit.
    #[arg(long, value_name = "FILE", num_args = 0..=1, conflicts_with_all = ["prebuilt", "smoke", "push"])]
    pub check: Option<Option<PathBuf>>,
    /// Build the binary on the host (static) and copy it into a `scratch` image.
    #[arg(long)]
    pub prebuilt: bool,
    /// Run the image until its HEALTHCHECK says healthy.
    #[arg(long)]
    pub smoke: bool,
    /// Push the tags after building.
    #[arg(long)]
    pub push: bool,
    /// Print the docker command without running it.
    #[arg(long)]
    pub dry_run: bool,
    /// The binary to package.
    #[arg(long)]
    pub bin: Option<String>,
    /// With --init: replace an existing Dockerfile.
    #[arg(long)]
    pub force: bool,
    /// How long --smoke waits for healthy.
    #[arg(long, default_value = "60s")]
    pub deadline: Duration,
}

/// Options of `init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The repository (default: the current directory).
    pub path: Option<PathBuf>,
    /// Depend on a local windlass checkout by path: its root or its crates/windlass
    /// (default: the crate registry, at this version). Written relative to the xtask unless
    /// given absolute; a path outside the repository does not build in CI (init warns).
    #[arg(long, value_name = "DIR", conflicts_with = "windlass_git")]
    pub windlass_path: Option<PathBuf>,
    /// Depend on windlass from this git repository.
    #[arg(long, value_name = "URL")]
    pub windlass_git: Option<String>,
    /// With --windlass-git: the commit, tag or branch.
    #[arg(long, value_name = "REV", requires = "windlass_git")]
    pub rev: Option<String>,
    /// Replace files that exist.
    #[arg(long)]
    pub force: bool,
    /// Replace the hand-written CI workflows that windlass's ci.yml supersedes (those that
    /// only run the checks it runs); every other workflow is kept. Default: keep them all.
    #[arg(long)]
    pub replace_ci: bool,
    /// Do not build the xtask (its first `cargo xtask` run, or commit, then does).
    #[arg(long)]
    pub no_build: bool,
}

/// Options of `doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The repository (default: the current directory).
    pub path: Option<PathBuf>,
    /// Fail (exit 1) when the maturity is below this level, 0 to 5.
    #[arg(long, value_name = "LEVEL")]
    pub min_level: Option<f64>,
    /// Print the report as Markdown (for a pull request comment or job summary).
    #[arg(long)]
    pub markdown: bool,
}

/// Options of `health-check`.
#[derive(Debug, Args)]
pub struct HealthCheckArgs {
    /// The endpoint, e.g. http://127.0.0.1:8080/health.
    #[arg(long, required_unless_present = "env")]
    pub url: Option<String>,
    /// Check an environment as its deploys do: its health table (host), or every replica of
    /// its service and its health URL (swarm).
    #[arg(long = "env", value_name = "NAME", conflicts_with = "url")]
    pub env: Option<String>,
    /// Give up after this long.
    #[arg(long, default_value = "60s")]
    pub deadline: Duration,
    /// Wait between attempts (grows after failures).
    #[arg(long, default_value = "1s")]
    pub interval: Duration,
    /// Each attempt's time limit.
    #[arg(long, default_value = "1s")]
    pub timeout: Duration,
    /// Consecutive healthy answers required.
    #[arg(long, default_value_t = 2)]
    pub successes: u32,
    /// Count `"status": "degraded"` as healthy.
    #[arg(long)]
    pub degraded_ok: bool,
}

/// `--env NAME`.
#[derive(Debug, Args)]
pub struct EnvArgs {
    /// The environment: a [workspace.metadata.windlass.deploy.NAME] section.
    #[arg(long = "env", value_name = "NAME")]
    pub env: String,
}

/// Options of `deploy`.
#[derive(Debug, Args)]
pub struct DeployArgs {
    /// The environment: a [workspace.metadata.windlass.deploy.NAME] section.
    #[arg(long = "env", value_name = "NAME")]
    pub env: String,
    /// Ship this file instead of building the environment's binary (host environments).
    #[arg(long, value_name = "PATH")]
    pub artifact: Option<PathBuf>,
    /// Roll out this image instead of the configured one (swarm environments).
    #[arg(long, value_name = "REF", conflicts_with = "artifact")]
    pub image: Option<String>,
    /// Print the success rate, rollback rate and median time to deploy, and exit.
    #[arg(long)]
    pub stats: bool,
    /// Refuse to build from a work tree with uncommitted changes (default: deploy it,
    /// marked `dirty` in release.json, with a warning).
    #[arg(long, conflicts_with = "artifact")]
    pub require_clean: bool,
}

/// Options of `rollback`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The environment: a [workspace.metadata.windlass.deploy.NAME] section.
    #[arg(long = "env", value_name = "NAME")]
    pub env: String,
    /// The release to switch to (default: the one before the current).
    #[arg(long, value_name = "RELEASE")]
    pub to: Option<String>,
}

/// Options of `workflows`.
#[derive(Debug, Args)]
pub struct WorkflowsArgs {
    /// Do not write: fail when a generated file differs from what would be generated.
    #[arg(long)]
    pub check: bool,
    /// Replace the hand-written CI that windlass's ci.yml supersedes (workflows that only run
    /// the checks `ci` runs; docs, release, image and the project's own jobs are kept). A
    /// dry run that lists what it would replace, unless --execute.
    #[arg(long, conflicts_with = "check")]
    pub replace_ci: bool,
    /// With --replace-ci: replace, rather than show what would be replaced.
    #[arg(long, requires = "replace_ci")]
    pub execute: bool,
}

/// Options of `secrets`.
#[derive(Debug, Args)]
pub struct SecretsArgs {
    /// Scan every file of the tree (the default).
    #[arg(long, conflicts_with_all = ["since", "history"])]
    pub all: bool,
    /// Scan the lines added by the commits after REV (a pull request: `--since origin/main`).
    #[arg(long, value_name = "REV", conflicts_with = "history")]
    pub since: Option<String>,
    /// Scan the lines added by every commit of every branch.
    #[arg(long)]
    pub history: bool,
    /// Also write the findings as SARIF, for GitHub code scanning.
    #[arg(long, value_name = "PATH")]
    pub sarif: Option<PathBuf>,
}

/// Options of `install-hooks`.
#[derive(Debug, Args)]
pub struct InstallHooksArgs {
    /// Replace a pre-commit hook windlass did not write (it is kept as a backup).
    #[arg(long, conflicts_with = "uninstall")]
    pub force: bool,
    /// Remove windlass's hook and restore the one it replaced.
    #[arg(long)]
    pub uninstall: bool,
}

/// Options of `audit`.
#[cfg(feature = "audit")]
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Audit this lockfile instead of the workspace's.
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,
    /// The advisory database checkout (default: $CARGO_HOME/advisory-db).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Never touch the network (also when CARGO_NET_OFFLINE=true).
    #[arg(long)]
    pub no_fetch: bool,
    /// Make warnings fail: warnings, unmaintained, unsound, notice, yanked (repeatable).
    #[arg(long, value_name = "KIND")]
    pub deny: Vec<String>,
    /// Also check for yanked versions.
    #[arg(long)]
    pub yanked: bool,
    /// Audit what this shipped binary contains (its `cargo auditable` dependency list), or a
    /// release archive (its SBOM), instead of Cargo.lock.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["file", "deployed"])]
    pub bin: Option<PathBuf>,
    /// Audit the binary deployed to an environment (the release `current` names).
    #[arg(long, requires = "env", conflicts_with = "file")]
    pub deployed: bool,
    /// With --deployed: the environment.
    #[arg(long = "env", value_name = "NAME", requires = "deployed")]
    pub env: Option<String>,
    /// The policy file (cargo-deny's format; default: the config's, `deny.toml`).
    #[arg(long, value_name = "PATH")]
    pub policy: Option<PathBuf>,
    /// Also audit the packages only windlass brings in (its own tree, where the xtask is a
    /// workspace member); by default they are left out, and the run says so.
    #[arg(long)]
    pub include_xtask: bool,
    /// Check only these parts: advisories, licenses, bans, sources (comma-separated or repeated).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub only: Vec<AuditScope>,
}

/// `audit --only`.
#[cfg(feature = "audit")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditScope {
    /// RustSec advisories (and yanked versions with --yanked).
    Advisories,
    /// Licences against deny.toml's [licenses].
    Licenses,
    /// deny.toml's [bans]: denied crates, duplicate versions, wildcard requirements.
    Bans,
    /// deny.toml's [sources]: registries and git repositories.
    Sources,
}

#[cfg(feature = "audit")]
impl AuditArgs {
    /// As the audit takes them.
    pub fn to_audit_args(&self) -> windlass_audit::AuditArgs {
        windlass_audit::AuditArgs {
            file: self.file.clone(),
            db: self.db.clone(),
            no_fetch: self.no_fetch,
            deny: self.deny.clone(),
            yanked: self.yanked,
            bin: self
                .bin
                .clone()
                .map(|p| std::path::absolute(&p).unwrap_or(p)),
            policy: self
                .policy
                .clone()
                .map(|p| std::path::absolute(&p).unwrap_or(p)),
            include_xtask: self.include_xtask,
            scope: windlass_audit::Scope::only(
                &self
                    .only
                    .iter()
                    .map(|s| match s {
                        AuditScope::Advisories => "advisories",
                        AuditScope::Licenses => "licenses",
                        AuditScope::Bans => "bans",
                        AuditScope::Sources => "sources",
                    })
                    .collect::<Vec<_>>(),
            ),
        }
    }
}

/// Options of `ci`.
#[derive(Debug, Args)]
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
}

/// Feature selection for cargo.
#[derive(Debug, Args, Clone, Default)]
pub struct FeatureArgs {
    /// Features to enable (comma-separated or repeated).
    #[arg(long, short = 'F', value_delimiter = ',')]
    pub features: Vec<String>,
    /// Enable every feature.
    #[arg(long)]
    pub all_features: bool,
    /// Disable the default features.
    #[arg(long)]
    pub no_default_features: bool,
}

impl FeatureArgs {
    /// As the checks take them.
    pub fn features(&self) -> Features {
        Features {
            features: self.features.clone(),
            all_features: self.all_features,
            no_default_features: self.no_default_features,
        }
    }
}

/// Options of `lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    #[command(flatten)]
    pub features: FeatureArgs,
}

/// Options of `test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Run shard N of M (nextest's `count:N/M`), e.g. in a GitHub Actions matrix.
    #[arg(long, value_name = "N/M")]
    pub partition: Option<Partition>,
    /// Which runner: nextest when installed (auto), nextest, or cargo test.
    #[arg(long, value_enum)]
    pub runner: Option<RunnerArg>,
    #[command(flatten)]
    pub features: FeatureArgs,
}

/// `--runner`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RunnerArg {
    /// nextest when installed, else cargo test.
    Auto,
    /// cargo-nextest.
    Nextest,
    /// cargo test.
    Cargo,
}

impl From<RunnerArg> for RunnerChoice {
    fn from(arg: RunnerArg) -> Self {
        match arg {
            RunnerArg::Auto => RunnerChoice::Auto,
            RunnerArg::Nextest => RunnerChoice::Nextest,
            RunnerArg::Cargo => RunnerChoice::Cargo,
        }
    }
}

impl GlobalArgs {
    /// The report format.
    pub fn report_format(&self) -> Format {
        match self.format {
            FormatArg::Human => Format::Human,
            FormatArg::Json => Format::Json,
        }
    }

    /// The colour choice.
    pub fn color_choice(&self) -> ColorChoice {
        match self.color {
            ColorArg::Auto => ColorChoice::Auto,
            ColorArg::Always => ColorChoice::Always,
            ColorArg::Never => ColorChoice::Never,
        }
    }

    /// Tells the user why the run could not happen: on stderr, and as a JSON document on
    /// stdout with `--format json` so that a script always gets one.
    pub fn report_error(&self, task: &str, err: &anyhow::Error) {
        let color = style::use_color(self.color_choice(), std::io::stderr().is_terminal());
        let text = format!("{err:#}");
        let _ = writeln!(
            std::io::stderr(),
            "{}: {text}",
            style::paint(color, BAD, "error")
        );
        if self.report_format() == Format::Json {
            let doc = serde_json::json!({
                "schema": windlass_core::event::REPORT_SCHEMA,
                "task": task,
                "status": "error",
                "exit_code": windlass_core::error::exit_code_for(err),
                "error": text,
                "steps": [],
                "diagnostics": [],
            });
            let _ = writeln!(std::io::stdout(), "{doc:#}");
        }
    }
}

impl Commands {
    /// The name of the task, for reports: the subcommand's name.
    pub fn task_name(&self) -> &'static str {
        match self {
            Commands::Ci(_) => "ci",
            Commands::FmtCheck => "fmt-check",
            Commands::Lint(_) => "lint",
            Commands::Test(_) => "test",
            #[cfg(feature = "audit")]
            Commands::Audit(_) => "audit",
            Commands::Secrets(_) => "secrets",
            Commands::PreCommit => "pre-commit",
            Commands::InstallHooks(_) => "install-hooks",
            Commands::Workflows(_) => "workflows",
            #[cfg(feature = "deploy")]
            Commands::HealthCheck(_) => "health-check",
            #[cfg(feature = "deploy")]
            Commands::ValidateConfig(_) => "validate-config",
            #[cfg(feature = "deploy")]
            Commands::Deploy(_) => "deploy",
            #[cfg(feature = "deploy")]
            Commands::Rollback(_) => "rollback",
            #[cfg(feature = "deploy")]
            Commands::SystemdUnit(_) => "systemd-unit",
            #[cfg(feature = "adopt")]
            Commands::Init(_) => "init",
            #[cfg(feature = "adopt")]
            Commands::Doctor(_) => "doctor",
            #[cfg(feature = "docker")]
            Commands::DockerBuild(_) => "docker-build",
            #[cfg(feature = "release")]
            Commands::Release(_) => "release",
        }
    }

    /// Whether the task's stdout is a document it makes (a systemd unit), which must then be
    /// all that goes there.
    pub fn writes_artifact(&self) -> bool {
        #[cfg(feature = "deploy")]
        if matches!(self, Commands::SystemdUnit(_)) {
            return true;
        }
        false
    }

    /// Whether the task needs a Cargo workspace; the others also work in any directory.
    pub fn needs_cargo_workspace(&self) -> bool {
        match self {
            Commands::Secrets(_) | Commands::PreCommit | Commands::InstallHooks(_) => false,
            #[cfg(feature = "deploy")]
            Commands::HealthCheck(args) => args.env.is_some(),
            #[cfg(feature = "adopt")]
            Commands::Doctor(_) => false,
            #[cfg(feature = "audit")]
            Commands::Audit(args) => args.file.is_none() && args.bin.is_none(),
            _ => true,
        }
    }
}
