//! `[workspace.metadata.windlass.release]`.

use serde::Deserialize;

/// How releases are made in this workspace.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ReleaseConfig {
    /// Branches a release may be made from; `*` at the end matches any suffix (`release/*`).
    #[serde(default = "default_branches")]
    pub branches: Vec<String>,
    /// The tag, with `{version}` in it.
    #[serde(default = "default_tag")]
    pub tag: String,
    /// The release commit's message, with `{version}` in it.
    #[serde(default = "default_commit_message")]
    pub commit_message: String,
    /// The changelog file, relative to the workspace root; `""` for none.
    #[serde(default = "default_changelog")]
    pub changelog: String,
    /// Members whose version is left alone (and whose binaries are not shipped).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// The binaries to ship; default: every binary of every member but the xtask.
    #[serde(default, deserialize_with = "windlass_core::paths::de::file_names")]
    pub bins: Vec<String>,
    /// The cargo profile artifacts are built with.
    #[serde(default = "default_profile")]
    pub profile: String,
    /// Where artifacts go, relative to the workspace root; a directory per version.
    #[serde(default = "default_artifacts_dir")]
    pub artifacts_dir: String,
    /// Build artifacts with `cargo auditable` (their dependency list embedded): `true`
    /// requires it, `false` never; unset, when it is installed.
    pub auditable: Option<bool>,
    /// The minisign secret key `--sign` uses (default: `WINDLASS_SIGNING_KEY`).
    pub signing_key: Option<std::path::PathBuf>,
    /// Compare the API with the previous release before bumping (cargo-semver-checks):
    /// `true` requires it, `false` never; unset, when it is installed.
    pub semver_checks: Option<bool>,
}

impl Default for ReleaseConfig {
    fn default() -> Self {
        Self {
            branches: default_branches(),
            tag: default_tag(),
            commit_message: default_commit_message(),
            changelog: default_changelog(),
            exclude: Vec::new(),
            bins: Vec::new(),
            profile: default_profile(),
            artifacts_dir: default_artifacts_dir(),
            auditable: None,
            signing_key: None,
            semver_checks: None,
        }
    }
}

fn default_branches() -> Vec<String> {
    vec!["main".into(), "master".into()]
}

fn default_tag() -> String {
    "v{version}".into()
}

fn default_commit_message() -> String {
    "chore(release): {version}".into()
}

fn default_changelog() -> String {
    "CHANGELOG.md".into()
}

fn default_profile() -> String {
    "release".into()
}

fn default_artifacts_dir() -> String {
    "target/artifacts".into()
}

impl ReleaseConfig {
    /// The tag of `version`.
    pub fn tag_for(&self, version: &str) -> String {
        self.tag.replace("{version}", version)
    }

    /// The part of the tag before the version (`v`), to find earlier release tags.
    pub fn tag_prefix(&self) -> &str {
        self.tag.split("{version}").next().unwrap_or("")
    }

    /// The version a tag names, if it is one of ours.
    pub fn version_of_tag<'a>(&self, tag: &'a str) -> Option<&'a str> {
        let (prefix, suffix) = self.tag.split_once("{version}")?;

        tag.strip_prefix(prefix)?.strip_suffix(suffix)
    }

    /// Whether a release may be made from `branch`.
    pub fn branch_allowed(&self, branch: &str) -> bool {
        self.branches
            .iter()
            .any(|pattern| match pattern.strip_suffix('*') {
                Some(prefix) => branch.starts_with(prefix),
                None => branch == pattern,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_branches() {
        let config = ReleaseConfig {
            tag: "svc-v{version}".into(),
            branches: vec!["main".into(), "release/*".into()],
            ..ReleaseConfig::default()
        };
        assert_eq!(config.tag_for("1.0.0"), "svc-v1.0.0");
        assert_eq!(config.tag_prefix(), "svc-v");
        assert_eq!(config.version_of_tag("svc-v1.0.0"), Some("1.0.0"));
        assert_eq!(config.version_of_tag("v1.0.0"), None);
        assert!(config.branch_allowed("release/1.x") && config.branch_allowed("main"));
        assert!(!config.branch_allowed("feature"));
    }
}
