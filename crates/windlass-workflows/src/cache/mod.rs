//! The generated workflows' build cache, as two tasks the jobs run around their steps:
//! - `cache-key <kind>`: the key to restore and save under ([`key`]), on stdout alone;
//! - `cache-prune`: what the next run rebuilds anyway out of the target directory (and, with
//!   `--registry`, of cargo's download cache) before the job saves it ([`prune`]), with the
//!   sizes before and after in the report (the job summary in CI).

pub mod key;
pub mod prune;

use anyhow::Result;
use std::path::PathBuf;
use windlass_core::event::Event;
use windlass_core::task::{NoConfig, Task};
use windlass_core::units::Size;
use windlass_core::{Plan, Session, StepOutcome, UsageError, Workspace};

/// The name of the key task.
pub const KEY: &str = "cache-key";
/// The name of the pruning task.
pub const PRUNE: &str = "cache-prune";

/// `cache-key`'s command line.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct KeyArgs {
    /// The job kind (its id in ci.yml: `lint`, `test`).
    pub kind: String,
    /// Print the prefix a restore falls back to (same kind and compiler) instead.
    #[arg(long)]
    pub prefix: bool,
}

/// `cache-key`: the build cache's key for a job kind.
pub struct CacheKeyTask;

impl Task for CacheKeyTask {
    type Args = KeyArgs;
    type Config = NoConfig;

    fn name(&self) -> &str {
        KEY
    }

    fn about(&self) -> &str {
        "Print the build cache's key for a CI job kind: its compiler, lockfile and manifests."
    }

    fn writes_artifact(&self, _: &KeyArgs) -> bool {
        true
    }

    fn plan(&self, args: &KeyArgs, _: &NoConfig, _: &Workspace, _: &mut Session) -> Result<Plan> {
        Ok(Plan::describe(format!(
            "print the cache key of `{}` jobs (rustc -vV, Cargo.lock, the manifests, .cargo/config.toml)",
            args.kind
        )))
    }

    fn run(
        &self,
        args: &KeyArgs,
        _: &NoConfig,
        ws: &Workspace,
        session: &mut Session,
    ) -> Result<StepOutcome> {
        let key = key::compute(ws, session, &args.kind)?;
        let text = if args.prefix { &key.prefix } else { &key.key };
        session.emit(Event::Artifact {
            step: KEY.into(),
            text: format!("{text}\n"),
        });
        Ok(StepOutcome::passed(key.key))
    }
}

/// `cache-prune`'s command line.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct PruneArgs {
    /// The target directory (default: the one cargo builds the workspace into).
    #[arg(long, value_name = "DIR")]
    pub target_dir: Option<PathBuf>,
    /// Also drop the downloaded `.crate` files of versions Cargo.lock does not pin (in
    /// `$CARGO_HOME`, shared by every project: meant for CI runners).
    #[arg(long)]
    pub registry: bool,
}

/// `cache-prune`: the build cache down to the dependencies a warm build reuses.
pub struct CachePruneTask;

impl Task for CachePruneTask {
    type Args = PruneArgs;
    type Config = NoConfig;

    fn name(&self) -> &str {
        PRUNE
    }

    fn about(&self) -> &str {
        "Prune the build cache before CI saves it: the workspace's own artifacts, incremental data and stale crates out."
    }

    fn plan(&self, args: &PruneArgs, _: &NoConfig, _: &Workspace, _: &mut Session) -> Result<Plan> {
        Ok(Plan::describe(format!(
            "remove the members' artifacts, incremental data and crates Cargo.lock no longer names from {}{}",
            args.target_dir
                .as_ref()
                .map_or("the target directory".into(), |d| d.display().to_string()),
            if args.registry {
                ", and unpinned .crate files from $CARGO_HOME"
            } else {
                ""
            }
        )))
    }

    fn run(
        &self,
        args: &PruneArgs,
        _: &NoConfig,
        ws: &Workspace,
        session: &mut Session,
    ) -> Result<StepOutcome> {
        let target = match &args.target_dir {
            Some(dir) => ws.root.join(dir),
            None => ws.target_dir(session)?,
        };
        // Refused first, whatever else is missing: a directory that is not only cargo's is
        // never a question of a lockfile.
        prune::check_target_dir(&target, &ws.root)?;
        let lock_path = ws.root.join("Cargo.lock");
        let lockfile = windlass_core::files::read_text(&lock_path).map_err(|e| {
            UsageError::io(format!("cannot read {}: {e}", lock_path.display()))
                .hint("prune after a build, which writes Cargo.lock")
        })?;
        let members: Vec<String> = ws
            .members(session)?
            .iter()
            .map(|p| p.name.to_string())
            .collect();
        let crates = prune::Crates::new(&lockfile, members.iter().map(String::as_str))?;
        let pruned = prune::target(&target, &ws.root, &crates)?;
        let mut summary = format!(
            "target {} → {}",
            Size(pruned.before).human(),
            Size(pruned.after).human()
        );
        let mut cached = pruned.after;
        if args.registry {
            let home = cargo_home().ok_or_else(|| {
                UsageError::new("neither CARGO_HOME nor HOME is set: no registry to prune")
            })?;
            let registry = prune::registry(&home, &crates)?;
            cached += registry.after;
            summary.push_str(&format!(
                ", downloaded crates {} → {}",
                Size(registry.before).human(),
                Size(registry.after).human()
            ));
        }
        summary.push_str(&format!("; {} to cache", Size(cached).human()));
        Ok(StepOutcome::passed(summary))
    }
}

fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
}
