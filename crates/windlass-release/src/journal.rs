//! The journal of a release in progress: what it is releasing, with which options, and the
//! steps done. It lives in the git directory, out of the work tree, so that it neither dirties
//! the tree nor gets committed, and `--resume` finds it after any failure past the commit.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use windlass_core::UsageError;

/// The format this version of windlass writes and reads.
pub const SCHEMA: &str = "windlass.release-journal/v1";

/// The steps after the release commit, in the order they run.
pub const AFTER_COMMIT: [&str; 4] = ["tag", "artifacts", "push", "publish"];

/// A release in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Journal {
    /// The format of this file.
    pub schema: String,
    /// The version released.
    pub version: String,
    /// Its tag.
    pub tag: String,
    /// The release commit.
    pub commit: String,
    /// The branch it was made on.
    pub branch: Option<String>,
    /// The remote `--push` pushes to.
    pub remote: Option<String>,
    /// The cargo profile of the artifacts (`None`: the config's).
    pub profile: Option<String>,
    /// The target triple of the artifacts (`None`: the host).
    pub target: Option<String>,
    /// Sign the artifacts' SHA256SUMS.
    #[serde(default)]
    pub sign: bool,
    /// The annotated tag's message: the release's changelog section.
    #[serde(default)]
    pub tag_message: String,
    /// The steps after the commit this release does.
    pub wanted: Vec<String>,
    /// The steps done.
    pub done: Vec<String>,
}

impl Journal {
    /// Where the journal of the repository with this git directory lives.
    pub fn path(git_dir: &Path) -> PathBuf {
        git_dir.join("windlass").join("release.json")
    }

    /// The journal, if a release is in progress.
    pub fn load(path: &Path) -> Result<Option<Self>> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let journal: Journal = serde_json::from_str(&text).map_err(|e| {
            UsageError::new(format!(
                "{} is not a release journal windlass can read: {e}",
                path.display()
            ))
            .hint("delete it if no release is in progress")
        })?;
        if journal.schema != SCHEMA {
            return Err(UsageError::new(format!(
                "{} was written by another version of windlass ({})",
                path.display(),
                journal.schema
            ))
            .hint("finish the release with that version, or delete the file")
            .into());
        }
        Ok(Some(journal))
    }

    /// Writes it (atomically: a crash never leaves half a journal).
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        windlass_core::files::write_named(path, text.as_bytes())
    }

    /// Records a step as done, on disk at once.
    pub fn mark(&mut self, step: &str, path: &Path) -> Result<()> {
        if !self.is_done(step) {
            self.done.push(step.to_string());
        }
        self.save(path)
    }

    /// Whether a step is done.
    pub fn is_done(&self, step: &str) -> bool {
        self.done.iter().any(|s| s == step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let path = Journal::path(dir.path());
        assert_eq!(Journal::load(&path).unwrap(), None);
        let mut journal = Journal {
            schema: SCHEMA.into(),
            version: "1.0.0".into(),
            tag: "v1.0.0".into(),
            commit: "abc".into(),
            branch: Some("main".into()),
            remote: None,
            profile: None,
            target: None,
            sign: false,
            tag_message: String::new(),
            wanted: vec!["tag".into(), "push".into()],
            done: vec!["commit".into()],
        };
        journal.mark("tag", &path).unwrap();
        let loaded = Journal::load(&path).unwrap().unwrap();
        assert!(loaded.is_done("commit") && loaded.is_done("tag") && !loaded.is_done("push"));
        std::fs::write(&path, "{").unwrap();
        let err = Journal::load(&path).unwrap_err().to_string();
        assert!(err.contains("not a release journal"), "{err}");
    }
}
