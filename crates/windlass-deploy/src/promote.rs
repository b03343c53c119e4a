//! Promotion: `deploy --env production --promote staging` deploys exactly what is live in
//! staging and passed its gate (and its bake, where staging has one) there — the same binary
//! by its SHA-256 on a host, the same image by its id on a swarm — and refuses anything else.

use crate::config::{EngineKind, Environment, environment};
use crate::ledger::Ledger;
use anyhow::Result;
use std::path::{Path, PathBuf};
use windlass_core::error::ErrorKind;
use windlass_core::files::sha256_file;
use windlass_core::{Session, UsageError, Workspace};

/// What a promotion deploys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promotion {
    /// The file to deploy (host).
    pub artifact: Option<PathBuf>,
    /// The image to roll out (swarm).
    pub image: Option<String>,
    /// Its version, as the source recorded it.
    pub version: String,
    /// `source/release`.
    pub from: String,
}

fn refused(message: String, hint: &str) -> anyhow::Error {
    UsageError::new(message)
        .kind(ErrorKind::Refused)
        .hint(hint)
        .into()
}

/// Where an environment's ledger and log are and what is live there: the deploy's engine
/// knows (`deploy::ledger_of`).
pub type LedgerOf<'a> = &'a mut dyn FnMut(
    &mut Session,
    &str,
    &Environment,
) -> Result<(PathBuf, PathBuf, Option<String>)>;

/// What `target` may deploy from `source`, checked against `source`'s ledger (found through
/// `ledger_of`); `artifact` is the file the caller offers (it must be the one `source` baked).
// Long: each refusal of a promotion in the order an operator would check them, each with its
// message and fix.
pub fn resolve(
    ws: &Workspace,
    session: &mut Session,
    (target_name, target): (&str, &Environment),
    source_name: &str,
    artifact: Option<&Path>,
    ledger_of: LedgerOf,
) -> Result<Promotion> {
    if source_name == target_name {
        return Err(refused(
            format!("{target_name} cannot be promoted from itself"),
            "name the environment whose release it takes: --promote staging",
        ));
    }
    let source = environment(ws, source_name)?;
    if source.engine != target.engine {
        return Err(refused(
            format!(
                "{source_name} runs on {} and {target_name} on {}: a release moves between environments of one engine",
                source.engine.as_str(),
                target.engine.as_str()
            ),
            "promote between two host environments, or two swarm ones",
        ));
    }
    let (ledger_path, log, live) = ledger_of(session, source_name, &source)?;
    let Some(live) = live else {
        return Err(refused(
            format!("nothing is live in {source_name}: there is no release to promote"),
            &format!("deploy to {source_name} first, and let it pass its gate"),
        ));
    };
    if !ledger_path.exists() {
        return Err(refused(
            format!(
                "{source_name}'s release ledger is not on this machine ({})",
                ledger_path.display()
            ),
            "promote where the source environment's ledger is (its host or swarm manager)",
        ));
    }
    let ledger = Ledger::load(&ledger_path, &log)?;
    let Some(entry) = ledger.get(&live).cloned() else {
        return Err(refused(
            format!("{source_name}'s live release {live} is not in its ledger"),
            &format!(
                "deploy it to {source_name} again with this windlass, so that its verdict is recorded"
            ),
        ));
    };
    if !entry.verdict.passed() {
        return Err(refused(
            format!(
                "{source_name}'s live release {live} did not pass its gate there (ledger: {})",
                entry.verdict.as_str()
            ),
            &format!("fix it and deploy to {source_name} again"),
        ));
    }
    let watched = source.bake.is_some() || source.analysis.is_some();
    if watched && !entry.baked {
        return Err(refused(
            format!("{source_name}'s live release {live} did not finish its bake there"),
            &format!("deploy it to {source_name} again and let the bake end"),
        ));
    }
    let from = format!("{source_name}/{live}");
    match target.engine {
        EngineKind::Host => {
            let artifact = host_artifact(ws, source_name, &source, &entry, &live, artifact)?;
            Ok(Promotion {
                artifact: Some(artifact),
                image: None,
                version: entry.version.clone(),
                from,
            })
        }
        EngineKind::Swarm => {
            let image = swarm_image(session, source_name, &entry, &live)?;
            Ok(Promotion {
                artifact: None,
                image: Some(image),
                version: entry.version.clone(),
                from,
            })
        }
    }
}

/// The file a host promotion deploys: the one offered, when its hash is staging's, else the
/// binary of staging's release directory, checked the same way.
fn host_artifact(
    ws: &Workspace,
    source_name: &str,
    source: &Environment,
    entry: &crate::ledger::Entry,
    live: &str,
    offered: Option<&Path>,
) -> Result<PathBuf> {
    if let Some(offered) = offered {
        let actual = sha256_file(offered)?;
        let archive = offered.to_string_lossy().ends_with(".tar.gz");
        let expected = if archive {
            entry.archive_sha256.as_deref()
        } else {
            entry.sha256.as_deref()
        };
        if expected != Some(actual.as_str()) {
            return Err(refused(
                format!(
                    "{} is not what {source_name} baked: its SHA-256 is {actual}, {source_name}'s live release {live} was {}",
                    offered.display(),
                    expected.unwrap_or("recorded without one")
                ),
                &format!(
                    "deploy the artifact {source_name} runs, or leave --artifact out to take it from {source_name}'s release"
                ),
            ));
        }
        return Ok(offered.to_path_buf());
    }
    let root = source.root(ws, source_name)?;
    let dir = crate::releases::Layout { root }.releases().join(live);
    let info = crate::releases::read_info(&dir)?;
    let binary = dir.join(&info.bin);
    let actual = sha256_file(&binary)?;
    if entry.sha256.as_deref() != Some(actual.as_str()) {
        return Err(refused(
            format!(
                "{} changed since {source_name} baked it (SHA-256 {actual}, recorded {})",
                binary.display(),
                entry.sha256.as_deref().unwrap_or("none")
            ),
            &format!("deploy to {source_name} again, then promote"),
        ));
    }
    Ok(binary)
}

/// The image a swarm promotion rolls out: the one staging baked, with the id it had.
fn swarm_image(
    session: &mut Session,
    source_name: &str,
    entry: &crate::ledger::Entry,
    live: &str,
) -> Result<String> {
    let Some(image) = entry.image.clone() else {
        return Err(refused(
            format!("{source_name}'s release {live} has no image recorded"),
            &format!("deploy it to {source_name} again with this windlass"),
        ));
    };
    let sh = session.shell();
    let cmd = sh
        .cmd("docker")
        .args(["image", "inspect", "--format", "{{.Id}}"])
        .arg(&image);
    let out = session.run_quiet(cmd)?;
    let id = out.stdout.trim().trim_start_matches("sha256:").to_string();
    if !out.success() || entry.sha256.as_deref() != Some(id.as_str()) {
        return Err(refused(
            format!(
                "the image {image} is not the one {source_name} baked (id {}, recorded {})",
                if id.is_empty() { "none here" } else { &id },
                entry.sha256.as_deref().unwrap_or("none")
            ),
            "a tag moved since: deploy the image to staging again, then promote",
        ));
    }
    Ok(image)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Verdict;
    use windlass_core::testing::configured;

    const MANIFEST: &str = r#"
[workspace]
[workspace.metadata.windlass.deploy.staging]
bake = "1m"
[workspace.metadata.windlass.deploy.production]
promote-from = "staging"
[workspace.metadata.windlass.deploy.cluster]
engine = "swarm"
service = "svc"
image = "svc:1"
"#;

    /// What `resolve` says when the source's ledger (at `dir/ledger.json`) holds `releases`
    /// and `live` is live there.
    fn resolve_with(
        dir: &Path,
        source: &str,
        target: &str,
        live: Option<&str>,
        releases: &[(&str, Verdict, bool)],
    ) -> anyhow::Error {
        let (ws, mut session, _) = configured(dir, MANIFEST);
        let ledger_path = dir.join("ledger.json");
        if !releases.is_empty() {
            let mut ledger = Ledger::load(&ledger_path, &dir.join("deploy.log")).unwrap();
            for (id, verdict, baked) in releases {
                ledger.stage(crate::ledger::Entry::staged(id, "1.0.0", "abc", "t"));
                ledger.decide(id, *verdict, Vec::new(), "t");
                ledger.update(id, |e| e.baked = *baked);
            }
            ledger.save().unwrap();
        }
        let target_env = environment(&ws, target).unwrap();
        let live = live.map(str::to_string);
        let mut ledger_of = |_: &mut Session, _: &str, _: &Environment| {
            Ok((ledger_path.clone(), dir.join("deploy.log"), live.clone()))
        };
        resolve(
            &ws,
            &mut session,
            (target, &target_env),
            source,
            None,
            &mut ledger_of,
        )
        .map(|_| ())
        .expect_err("the promotion is refused")
    }

    fn refused_saying(err: &anyhow::Error, words: &str) {
        let json = windlass_core::error::to_json(err);
        assert_eq!(json["kind"], "refused", "{json}");
        assert!(format!("{err:#}").contains(words), "{err:#}");
    }

    #[test]
    fn a_promotion_is_refused_for_each_reason_an_operator_would_check() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        refused_saying(
            &resolve_with(d, "production", "production", None, &[]),
            "cannot be promoted from itself",
        );
        refused_saying(
            &resolve_with(d, "cluster", "production", None, &[]),
            "a release moves between environments of one engine",
        );
        refused_saying(
            &resolve_with(d, "staging", "production", None, &[]),
            "nothing is live in staging",
        );
        refused_saying(
            &resolve_with(d, "staging", "production", Some("r1"), &[]),
            "ledger is not on this machine",
        );
        refused_saying(
            &resolve_with(
                d,
                "staging",
                "production",
                Some("r2"),
                &[("r2", Verdict::RolledBack, true)],
            ),
            "did not pass its gate there (ledger: rolled-back)",
        );
        std::fs::remove_file(d.join("ledger.json")).unwrap();
        refused_saying(
            &resolve_with(
                d,
                "staging",
                "production",
                Some("r3"),
                &[("r3", Verdict::Healthy, false)],
            ),
            "did not finish its bake there",
        );
    }
}
