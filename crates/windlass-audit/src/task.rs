//! The `audit` task: its config, its arguments, and the step that runs the checks the
//! config and the arguments select.

use crate::database;
use anyhow::Result;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;
use windlass_core::Plan;
use windlass_core::task::{InCi, Task};
use windlass_core::{CiJob, Session, Step, StepOutcome, UsageError, Workspace};

/// The name of the step.
pub const NAME: &str = "audit";

/// `[workspace.metadata.windlass.audit]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AuditConfig {
    /// The advisory database checkout (default `$CARGO_HOME/advisory-db`).
    pub db: Option<PathBuf>,
    /// Where to clone it from.
    pub db_url: Option<String>,
    /// Fetch when the copy is older than this (`30m`, `24h`, `7d`; default `24h`).
    pub max_age: Option<windlass_core::units::Duration>,
    /// Whether the network may be used (default true).
    pub fetch: Option<bool>,
    /// Warnings that fail the step: `warnings` (all), `unmaintained`, `unsound`, `notice`, `yanked`.
    #[serde(default)]
    pub deny: Vec<String>,
    /// Check for yanked versions.
    #[serde(default)]
    pub yanked: bool,
    /// The policy file, relative to the workspace root (default `deny.toml`).
    pub policy: Option<PathBuf>,
    /// Audit the packages only windlass brings in too (default: left out, and said so).
    #[serde(default)]
    pub include_xtask: bool,
    /// Check advisories against every package of Cargo.lock, as cargo-audit does (default:
    /// the packages the workspace's features and targets pull in, as cargo-deny does).
    #[serde(default)]
    pub lockfile_wide: bool,
    /// A `.tar.gz` of the advisory database the repository carries, relative to the
    /// workspace root: used when there is no database and none can be fetched (a fresh
    /// machine offline), its age said.
    pub snapshot: Option<PathBuf>,
}

/// Which parts of the audit to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    /// RustSec advisories (and yanked versions with `--yanked`).
    pub advisories: bool,
    /// Licences against `[licenses]`.
    pub licenses: bool,
    /// `[bans]`: denied crates, duplicates, wildcards.
    pub bans: bool,
    /// `[sources]`: registries and git repositories.
    pub sources: bool,
}

impl Default for Scope {
    fn default() -> Self {
        Self::ALL
    }
}

impl Scope {
    /// Every part.
    pub const ALL: Scope = Scope {
        advisories: true,
        licenses: true,
        bans: true,
        sources: true,
    };

    /// The parts named (`advisories`, `licenses`, `bans`, `sources`); none named is all.
    pub fn only(parts: &[&str]) -> Self {
        if parts.is_empty() {
            return Self::ALL;
        }
        Scope {
            advisories: parts.contains(&"advisories"),
            licenses: parts.contains(&"licenses"),
            bans: parts.contains(&"bans"),
            sources: parts.contains(&"sources"),
        }
    }

    /// Their names, for the plan.
    pub fn names(&self) -> Vec<&'static str> {
        [
            (self.advisories, "advisories"),
            (self.licenses, "licences"),
            (self.bans, "bans"),
            (self.sources, "sources"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, name)| *name)
        .collect()
    }
}

/// The `audit` step.
#[derive(Debug, Clone)]
pub struct Audit {
    /// The lockfile; default the workspace's.
    pub file: Option<PathBuf>,
    /// The database.
    pub db: database::DbOptions,
    /// Kinds of warning that fail.
    pub deny: Vec<String>,
    /// Check yanked versions.
    pub yanked: bool,
    /// What to check.
    pub scope: Scope,
    /// The policy file.
    pub policy: PathBuf,
    /// A shipped binary to audit instead of the lockfile.
    pub bin: Option<PathBuf>,
    /// Audit what only windlass brings in too.
    pub include_xtask: bool,
    /// Advisories for every package of the lockfile, not only those the build pulls in.
    pub lockfile_wide: bool,
    /// The repository's snapshot of the database (absolute), the last resort.
    pub snapshot: Option<PathBuf>,
}

/// Command-line overrides of [`AuditConfig`].
#[derive(Debug, Clone, Default)]
pub struct AuditArgs {
    /// `--file`.
    pub file: Option<PathBuf>,
    /// `--db`.
    pub db: Option<PathBuf>,
    /// `--no-fetch`.
    pub no_fetch: bool,
    /// `--deny`.
    pub deny: Vec<String>,
    /// `--yanked`.
    pub yanked: bool,
    /// `--only`.
    pub scope: Scope,
    /// `--policy`.
    pub policy: Option<PathBuf>,
    /// `--bin`: audit what this binary (or release archive, or SBOM) contains.
    pub bin: Option<PathBuf>,
    /// `--include-xtask`.
    pub include_xtask: bool,
    /// `--lockfile-wide`.
    pub lockfile_wide: bool,
}

/// `path` with `.` and `..` resolved lexically.
fn normalized(path: &std::path::Path) -> PathBuf {
    windlass_core::paths::normalize(path)
}

/// The values `--deny` accepts.
pub const DENY_KINDS: &[&str] = &[
    "warnings",
    "unmaintained",
    "unsound",
    "notice",
    "yanked",
    "bans",
    "sources",
];

impl Audit {
    /// The step as configured; command-line values take precedence.
    pub fn from_config(config: &AuditConfig, args: &AuditArgs) -> Result<Self> {
        let deny: Vec<String> = config.deny.iter().chain(&args.deny).cloned().collect();
        if let Some(bad) = deny.iter().find(|d| !DENY_KINDS.contains(&d.as_str())) {
            return Err(UsageError::new(format!("`{bad}` cannot be denied"))
                .hint(format!("use one of: {}", DENY_KINDS.join(", ")))
                .into());
        }
        let max_age = config
            .max_age
            .map_or(Duration::from_secs(24 * 3_600), |age| age.get());
        let fetch = !args.no_fetch && config.fetch.unwrap_or(true) && !database::cargo_offline();
        Ok(Self {
            file: args.file.clone(),
            db: database::DbOptions {
                path: args.db.clone().or_else(|| config.db.clone()),
                url: config
                    .db_url
                    .clone()
                    .unwrap_or_else(|| database::DEFAULT_URL.to_string()),
                fetch,
                max_age,
            },
            deny,
            yanked: args.yanked || config.yanked,
            scope: args.scope,
            bin: args.bin.clone(),
            include_xtask: args.include_xtask || config.include_xtask,
            lockfile_wide: args.lockfile_wide || config.lockfile_wide,
            snapshot: config.snapshot.clone(),
            policy: args
                .policy
                .clone()
                .or_else(|| config.policy.clone())
                .unwrap_or_else(|| PathBuf::from("deny.toml")),
        })
    }

    pub(crate) fn denies(&self, kind: &str) -> bool {
        self.deny.iter().any(|d| d == kind || d == "warnings")
    }
}

impl Step for Audit {
    fn name(&self) -> &str {
        NAME
    }

    fn plan(&self, ws: &Workspace, _session: &mut Session) -> Result<Plan> {
        let lock = self
            .file
            .clone()
            .unwrap_or_else(|| ws.root.join("Cargo.lock"));
        let db = self.db.path.clone().unwrap_or_else(database::default_path);
        let parts = self.scope.names().join(", ");
        Ok(Plan::describe(format!(
            "audit {parts} of {} against {} ({})",
            ws.display_path(&lock),
            db.display(),
            if self.db.fetch {
                "fetched when stale"
            } else {
                "offline"
            }
        )))
    }

    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        crate::report::run(self, ws, session)
    }
}

/// `audit`'s command line.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AuditCli {
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
    /// Check advisories against every package of Cargo.lock, as cargo-audit does; by
    /// default only the packages the enabled features and targets pull in, as cargo-deny.
    #[arg(long)]
    pub lockfile_wide: bool,
    /// Check only these parts: advisories, licenses, bans, sources (comma-separated or repeated).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub only: Vec<Part>,
}

/// `audit --only`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    /// RustSec advisories (and yanked versions with --yanked).
    Advisories,
    /// Licences against deny.toml's `[licenses]`.
    Licenses,
    /// deny.toml's `[bans]`: denied crates, duplicate versions, wildcard requirements.
    Bans,
    /// deny.toml's `[sources]`: registries and git repositories.
    Sources,
}

impl AuditCli {
    /// As the audit takes them, `bin` the binary `--deployed` names when given.
    pub fn to_args(&self, bin: Option<PathBuf>) -> AuditArgs {
        let absolute = |p: &PathBuf| std::path::absolute(p).unwrap_or_else(|_| p.clone());
        let parts: Vec<&str> = self
            .only
            .iter()
            .map(|s| match s {
                Part::Advisories => "advisories",
                Part::Licenses => "licenses",
                Part::Bans => "bans",
                Part::Sources => "sources",
            })
            .collect();
        AuditArgs {
            // Paths the user typed are the current directory's, whatever the workspace's root.
            file: self
                .file
                .as_ref()
                .map(|p| crate::task::normalized(&absolute(p))),
            db: self.db.clone(),
            no_fetch: self.no_fetch,
            deny: self.deny.clone(),
            yanked: self.yanked,
            bin: bin.or_else(|| self.bin.as_ref().map(absolute)),
            policy: self.policy.as_ref().map(absolute),
            include_xtask: self.include_xtask,
            lockfile_wide: self.lockfile_wide,
            scope: Scope::only(&parts),
        }
    }
}

/// Finds the binary an environment runs, for `audit --deployed --env NAME`: given by the
/// deploy tasks where they are built in.
pub type DeployedBinary = fn(&Workspace, &str) -> Result<PathBuf>;

/// `audit`, configured by `[workspace.metadata.windlass.audit]`.
pub struct AuditTask {
    /// How `--deployed` finds the binary (`None`: the deploy tasks are not built in).
    pub deployed: Option<DeployedBinary>,
}

impl AuditTask {
    fn step(&self, cli: &AuditCli, config: &AuditConfig, ws: &Workspace) -> Result<Audit> {
        let bin = match (cli.deployed, self.deployed) {
            (false, _) => None,
            (true, Some(find)) => Some(find(ws, cli.env.as_deref().unwrap_or_default())?),
            (true, None) => {
                return Err(UsageError::new(
                    "`audit --deployed` needs the deploy tasks, which this xtask was built without",
                )
                .hint("enable the `deploy` feature of the windlass dependency in xtask/Cargo.toml")
                .into());
            }
        };
        Audit::from_config(config, &cli.to_args(bin))
    }
}

impl Task for AuditTask {
    type Args = AuditCli;
    type Config = AuditConfig;

    fn name(&self) -> &str {
        NAME
    }

    /// The lockfile, the manifests and the policy; a new advisory is the daily job's.
    fn watches(&self) -> windlass_core::Watched {
        windlass_core::Watched::Dependencies
    }

    fn about(&self) -> &str {
        "Check Cargo.lock against the RustSec advisories, and licences against deny.toml."
    }

    fn ci(&self) -> InCi {
        InCi::Default
    }

    fn needs_workspace(&self, args: &AuditCli) -> bool {
        args.file.is_none() && args.bin.is_none()
    }

    fn target_dir(&self, args: &AuditCli) -> Option<PathBuf> {
        let file = std::path::absolute(args.file.as_ref()?).ok()?;
        file.parent().map(std::path::Path::to_path_buf)
    }

    fn plan(
        &self,
        args: &AuditCli,
        config: &AuditConfig,
        ws: &Workspace,
        session: &mut Session,
    ) -> Result<Plan> {
        self.step(args, config, ws)?.plan(ws, session)
    }

    fn run(
        &self,
        args: &AuditCli,
        config: &AuditConfig,
        ws: &Workspace,
        session: &mut Session,
    ) -> Result<StepOutcome> {
        self.step(args, config, ws)?.run(ws, session)
    }

    fn ci_job(&self, _: &AuditConfig, _: &Workspace) -> Result<CiJob> {
        Ok(CiJob {
            covered_by: [
                "cargo audit",
                "cargo deny",
                "audit-check",
                "cargo-deny-action",
            ]
            .map(String::from)
            .into(),
            ..CiJob::runs([format!("cargo xtask {NAME}")]).without_build()
        })
    }

    /// Daily, against a fresh database: an advisory published today fails it, and warnings
    /// fail too.
    fn scheduled_job(&self) -> Option<CiJob> {
        let mut job = CiJob::runs([format!("cargo xtask {NAME} --deny warnings")]).without_build();
        job.title = Some("audit (fresh advisory database)".into());
        if let Some(windlass_core::JobStep::Run { name, .. }) = job.steps.first_mut() {
            *name = format!("cargo xtask {NAME}");
        }
        Some(job)
    }
}
