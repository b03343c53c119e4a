//! windlass's dependency audit: the `audit` step.
//!
//! - advisories: `Cargo.lock` against the RustSec database, the same findings as cargo-audit,
//!   reading only the advisories of the crates present ([`database`], [`advisories`]);
//! - licences: every package's SPDX expression against `deny.toml` ([`policy`], [`licenses`]);
//! - yanked versions, on request ([`yanked`]).
//!
//! Each finding names the crate, the advisory and its aliases, severity, the fixed versions
//! and the dependency path from a workspace member, and is placed at the package's line in
//! `Cargo.lock`. The crate is kept apart from the other checks because of `rustsec`'s weight:
//! an adopter can leave it out with a feature of the `windlass` crate.

pub use windlass_advisories::{advisories, database, index, lockfile};
pub mod bans;
pub mod binary;
pub mod graph;
pub mod licenses;
pub mod policy;
mod report;
pub mod spec;
pub mod xtask_view;
pub mod yanked;

use anyhow::Result;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;
use windlass_core::Plan;
use windlass_core::registry::{BuildContext, Origin, StepKind};
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
            policy: args
                .policy
                .clone()
                .or_else(|| config.policy.clone())
                .unwrap_or_else(|| PathBuf::from("deny.toml")),
        })
    }

    fn denies(&self, kind: &str) -> bool {
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
        report::run(self, ws, session)
    }
}

/// `audit` as the registry knows it, configured by `[workspace.metadata.windlass.audit]`.
pub struct AuditKind;

impl StepKind for AuditKind {
    fn name(&self) -> &str {
        NAME
    }

    fn about(&self) -> &str {
        "Cargo.lock against the RustSec advisories, licences against deny.toml"
    }

    fn origin(&self) -> Origin {
        Origin::Stock
    }

    fn build(&self, cx: &BuildContext<'_>) -> Result<Box<dyn Step>> {
        let config: AuditConfig = cx.ws.config.section(NAME)?;
        Ok(Box::new(Audit::from_config(
            &config,
            &AuditArgs::default(),
        )?))
    }

    fn ci_job(&self, _ws: &Workspace) -> Result<CiJob> {
        Ok(CiJob::runs(["cargo xtask audit"]))
    }

    /// Daily, against a fresh database: an advisory published today fails it, and warnings
    /// fail too.
    fn scheduled_job(&self) -> Option<CiJob> {
        let mut job = CiJob::runs(["cargo xtask audit --deny warnings"]);
        job.title = Some("audit (fresh advisory database)".into());
        if let Some(windlass_core::JobStep::Run { name, .. }) = job.steps.first_mut() {
            *name = "cargo xtask audit".into();
        }
        Some(job)
    }
}
