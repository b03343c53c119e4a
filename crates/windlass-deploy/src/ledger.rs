//! The release ledger: the one truth of an environment — every release windlass staged there,
//! its artifact's hash, and its verdict. `rollback` picks from it (never a release that failed
//! its gate), the prune removes only what it recorded, `deploy --history` lists it and
//! promotion checks it.
//!
//! One JSON document per environment (`ledger.json` in a host's root; beside the deploy log
//! on swarm), rewritten atomically under the deploy lock. An environment deployed before the
//! ledger existed gets one seeded from its deploy log, so its failed releases are known too.

use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use windlass_core::UsageError;
use windlass_core::files::{self, Perm, Root};

/// The layout name of the ledger file.
pub const SCHEMA: &str = "windlass.ledger/v1";

/// The largest ledger read: a record per release, thousands of deploys fit in a megabyte.
const LIMIT: u64 = 16 * 1024 * 1024;

/// What became of a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Put in place, not yet switched to (or the deploy is under way).
    Staged,
    /// Passed its health gate (and its bake and analysis): a release to go back to.
    Healthy,
    /// Failed its gate; the release before it was switched back to.
    RolledBack,
    /// A first release that failed its gate, taken away (nothing to go back to).
    Withdrawn,
    /// Its deploy was interrupted after the switch, before its health was known.
    Interrupted,
    /// Went back to by a rollback, and failed the gate there.
    Unhealthy,
}

impl Verdict {
    /// Its name, as the ledger and `--history` write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Staged => "staged",
            Verdict::Healthy => "healthy",
            Verdict::RolledBack => "rolled-back",
            Verdict::Withdrawn => "withdrawn",
            Verdict::Interrupted => "interrupted",
            Verdict::Unhealthy => "unhealthy",
        }
    }

    /// Whether a rollback may go to it without `--force`.
    pub fn passed(self) -> bool {
        self == Verdict::Healthy
    }
}

/// One release of the environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Its id (the host's release directory, the swarm's image tag).
    pub id: String,
    /// The crate's version.
    #[serde(default)]
    pub version: String,
    /// The commit it was built from.
    #[serde(default)]
    pub commit: String,
    /// The SHA-256 of what was deployed: the binary (host) or the image's digest (swarm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The release archive's SHA-256, when one was deployed: what promotion compares.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive_sha256: Option<String>,
    /// The image (swarm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// When it was staged (UTC, RFC 3339).
    #[serde(default)]
    pub staged: String,
    /// When its verdict was last set.
    #[serde(default)]
    pub decided: String,
    /// What became of it.
    pub verdict: Verdict,
    /// Why, when it failed: the gate's or the analysis's reasons.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// Whether it stayed healthy through its bake window.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub baked: bool,
    /// The environment (and its release) it was promoted from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promoted_from: Option<String>,
    /// Its files were pruned (host): the record stays, the release cannot be gone back to.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pruned: bool,
}

impl Entry {
    /// A release just staged.
    pub fn staged(id: &str, version: &str, commit: &str, now: &str) -> Self {
        Self {
            id: id.to_string(),
            version: version.to_string(),
            commit: commit.to_string(),
            sha256: None,
            archive_sha256: None,
            image: None,
            staged: now.to_string(),
            decided: now.to_string(),
            verdict: Verdict::Staged,
            reasons: Vec::new(),
            baked: false,
            promoted_from: None,
            pruned: false,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Document {
    schema: String,
    #[serde(default)]
    releases: Vec<Entry>,
}

/// An environment's ledger, loaded.
#[derive(Debug, Clone)]
pub struct Ledger {
    path: PathBuf,
    /// Every release recorded, oldest first.
    pub releases: Vec<Entry>,
}

impl Ledger {
    /// Loads the ledger at `path`; an absent one is seeded from the deploy log `log` (when
    /// there is one), so that releases deployed before it existed have their verdicts.
    pub fn load(path: &Path, log: &Path) -> Result<Self> {
        if !path.exists() {
            return Ok(Self {
                path: path.to_path_buf(),
                releases: seed_from_log(log),
            });
        }
        let text = files::read_text_limited(path, LIMIT)?;
        let doc: Document = serde_json::from_str(&text).map_err(|e| {
            UsageError::new(format!("{} is not a release ledger: {e}", path.display()))
                .hint("restore it from a backup, or move it aside: the next deploy starts a new one from deploy.log")
        })?;
        if doc.schema != SCHEMA {
            return Err(UsageError::new(format!(
                "{} was written by another version of windlass ({})",
                path.display(),
                doc.schema
            ))
            .hint("deploy with that version, or move the file aside")
            .into());
        }
        Ok(Self {
            path: path.to_path_buf(),
            releases: doc.releases,
        })
    }

    /// Writes it back, atomically, in its directory (never through a link at its name).
    pub fn save(&self) -> Result<()> {
        let doc = Document {
            schema: SCHEMA.into(),
            releases: self.releases.clone(),
        };
        let text = serde_json::to_string_pretty(&doc)? + "\n";
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let name = self.path.file_name().unwrap_or_default();
        Root::create(dir)
            .and_then(|root| root.write_atomic(Path::new(name), text.as_bytes(), Perm::Keep))
            .map_err(files::error)
    }

    /// The release `id`.
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.releases.iter().rev().find(|e| e.id == id)
    }

    /// Records a release (replacing an older record of the same id: a tag deployed again).
    pub fn stage(&mut self, entry: Entry) {
        self.releases.retain(|e| e.id != entry.id);
        self.releases.push(entry);
    }

    /// Sets the verdict of `id` (recorded if it was not), with its reasons.
    pub fn decide(&mut self, id: &str, verdict: Verdict, reasons: Vec<String>, now: &str) {
        if self.get(id).is_none() {
            self.stage(Entry::staged(id, "", "", now));
        }
        if let Some(entry) = self.releases.iter_mut().rev().find(|e| e.id == id) {
            entry.verdict = verdict;
            entry.decided = now.to_string();
            entry.reasons = reasons;
        }
    }

    /// Applies `f` to the record of `id`.
    pub fn update(&mut self, id: &str, f: impl FnOnce(&mut Entry)) {
        if let Some(entry) = self.releases.iter_mut().rev().find(|e| e.id == id) {
            f(entry);
        }
    }

    /// The releases a rollback may go to, newest first: those that passed their gate, are
    /// not `current` and were not pruned.
    pub fn candidates<'a>(&'a self, current: Option<&'a str>) -> impl Iterator<Item = &'a Entry> {
        self.releases
            .iter()
            .rev()
            .filter(move |e| e.verdict.passed() && !e.pruned && Some(e.id.as_str()) != current)
    }
}

/// Verdicts read from an old deploy log: a deploy that succeeded passed its gate; one rolled
/// back failed it.
fn seed_from_log(log: &Path) -> Vec<Entry> {
    let Ok(text) = files::read_text_limited(log, LIMIT) else {
        return Vec::new();
    };
    let mut ledger = Ledger {
        path: PathBuf::new(),
        releases: Vec::new(),
    };
    for line in text.lines() {
        let Ok(record) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let (Some(id), Some(result)) = (record["release"].as_str(), record["result"].as_str())
        else {
            continue;
        };
        let when = record["start"].as_str().unwrap_or_default();
        let verdict = match (record["kind"].as_str(), result) {
            (Some("deploy"), "success") => Verdict::Healthy,
            (Some("deploy"), "rolled_back") => Verdict::RolledBack,
            (Some("deploy"), _) => Verdict::Withdrawn,
            (Some("rollback"), "success") => Verdict::Healthy,
            (Some("rollback"), _) => Verdict::Unhealthy,
            _ => continue,
        };
        if ledger.get(id).is_none() {
            let mut entry = Entry::staged(id, "", record["commit"].as_str().unwrap_or(""), when);
            entry.verdict = verdict;
            ledger.stage(entry);
        } else {
            ledger.decide(id, verdict, Vec::new(), when);
        }
    }
    ledger.releases
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_release_is_never_a_candidate() {
        let mut ledger = Ledger {
            path: PathBuf::from("ledger.json"),
            releases: Vec::new(),
        };
        for (id, verdict) in [
            ("a", Verdict::Healthy),
            ("b", Verdict::RolledBack),
            ("c", Verdict::Healthy),
        ] {
            ledger.stage(Entry::staged(id, "1", "abc", "t"));
            ledger.decide(id, verdict, Vec::new(), "t");
        }
        let picked: Vec<&str> = ledger
            .candidates(Some("c"))
            .map(|e| e.id.as_str())
            .collect();
        assert_eq!(picked, vec!["a"]);
        ledger.update("a", |e| e.pruned = true);
        assert_eq!(ledger.candidates(Some("c")).count(), 0);
    }

    #[test]
    fn an_old_deploy_log_seeds_the_verdicts() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("deploy.log");
        std::fs::write(
            &log,
            [
                r#"{"kind":"deploy","release":"a","result":"success","start":"1"}"#,
                r#"{"kind":"deploy","release":"b","result":"rolled_back","start":"2"}"#,
                "not json",
                r#"{"kind":"deploy","release":"c","result":"success","start":"3"}"#,
            ]
            .join("\n"),
        )
        .unwrap();
        let ledger = Ledger::load(&dir.path().join("ledger.json"), &log).unwrap();
        let verdicts: Vec<(&str, Verdict)> = ledger
            .releases
            .iter()
            .map(|e| (e.id.as_str(), e.verdict))
            .collect();
        assert_eq!(
            verdicts,
            vec![
                ("a", Verdict::Healthy),
                ("b", Verdict::RolledBack),
                ("c", Verdict::Healthy)
            ]
        );
        ledger.save().unwrap();
        let again = Ledger::load(&dir.path().join("ledger.json"), &log).unwrap();
        assert_eq!(again.releases, ledger.releases);
    }

    #[test]
    fn a_broken_ledger_names_itself_and_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.json");
        std::fs::write(&path, "{").unwrap();
        let err = Ledger::load(&path, &dir.path().join("log")).unwrap_err();
        let usage = err.downcast_ref::<UsageError>().unwrap();
        assert!(usage.message.contains("ledger.json"), "{usage}");
        assert!(usage.hint.as_ref().unwrap().contains("move it aside"));
    }
}
