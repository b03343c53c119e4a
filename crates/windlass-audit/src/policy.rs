//! The policy, read from `deny.toml` so that cargo-deny and windlass share one file:
//! `[advisories] ignore` and `[licenses] allow`, `exceptions`, `clarify` and
//! `confidence-threshold`. Keys cargo-deny knows and we do not use are left to cargo-deny.

use anyhow::Result;
use serde::Deserialize;
use spdx::{Licensee, ParseMode};
use std::path::{Path, PathBuf};
use windlass_core::UsageError;

/// The parts of `deny.toml` the audit applies.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// The file it came from, when there was one.
    pub path: Option<PathBuf>,
    /// `[graph]`.
    pub graph: GraphSection,
    /// Advisory ids not to report.
    pub ignore: Vec<Ignored>,
    /// Which crates unmaintained advisories are reported for (cargo-deny's default: all).
    pub unmaintained: Reach,
    /// Which crates unsound advisories are reported for (cargo-deny's default: the
    /// workspace's direct dependencies).
    pub unsound: Reach,
    /// The licence policy; `None` when the file has no `[licenses]` section.
    pub licenses: Option<LicensePolicy>,
    /// `[bans]`; `None` when the file has none.
    pub bans: Option<crate::bans::Bans>,
    /// `[sources]`; `None` when the file has none.
    pub sources: Option<crate::bans::Sources>,
    text: String,
}

pub use windlass_advisories::advisories::Ignored;

/// The licence rules.
#[derive(Debug, Clone, Default)]
pub struct LicensePolicy {
    /// Licences every package may use.
    pub allow: Vec<Licensee>,
    /// Extra licences for one crate (optionally one version).
    pub exceptions: Vec<Exception>,
    /// Expressions that replace what a crate declares (e.g. for a crate with only a licence file).
    pub clarify: Vec<Clarification>,
    /// cargo-deny's threshold for recognising licence texts; accepted and reported, since the
    /// audit reads declared expressions only.
    pub confidence_threshold: f32,
}

/// `[[licenses.exceptions]]`.
#[derive(Debug, Clone)]
pub struct Exception {
    /// The crate.
    pub name: String,
    /// Its version, when the exception is for one version only.
    pub version: Option<String>,
    /// What it may use beyond `allow`.
    pub allow: Vec<Licensee>,
}

/// `[[licenses.clarify]]`.
#[derive(Debug, Clone)]
pub struct Clarification {
    /// The crate.
    pub name: String,
    /// Its version, when the clarification is for one version only.
    pub version: Option<String>,
    /// The expression to use instead of the declared one.
    pub expression: String,
    /// The licence files it was written for, relative to the package, with cargo-deny's hash
    /// of each: the clarification applies only while every one is unchanged.
    pub license_files: Vec<(PathBuf, u32)>,
}

#[derive(Deserialize, Default)]
struct File {
    #[serde(default)]
    graph: GraphSection,
    #[serde(default)]
    advisories: Option<AdvisoriesSection>,
    #[serde(default)]
    licenses: Option<LicensesSection>,
    #[serde(default)]
    bans: Option<crate::bans::BansSection>,
    #[serde(default)]
    sources: Option<crate::bans::SourcesSection>,
}

#[derive(Deserialize, Default)]
struct AdvisoriesSection {
    #[serde(default)]
    ignore: Vec<IgnoreEntry>,
    #[serde(default = "all")]
    unmaintained: Reach,
    #[serde(default = "workspace")]
    unsound: Reach,
}

/// `[graph]`: which part of the resolved graph every check looks at.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct GraphSection {
    /// Leave out what only dev-dependencies bring in.
    #[serde(default)]
    pub exclude_dev: bool,
    /// Leave out the workspace members with `publish = false` as roots, and what only they
    /// bring in.
    #[serde(default)]
    pub exclude_unpublished: bool,
    /// Resolve with every feature of the workspace's members.
    #[serde(default)]
    pub all_features: bool,
    /// Resolve without the members' default features.
    #[serde(default)]
    pub no_default_features: bool,
    /// Resolve with these features.
    #[serde(default)]
    pub features: Vec<String>,
    /// Only what these target platforms build (triples, or `{ triple = "..." }`); none: every
    /// target.
    #[serde(default)]
    pub targets: Vec<GraphTarget>,
    /// The keys windlass reads but does not apply (`exclude`, ...): said in a notice, never
    /// ignored silently.
    #[serde(flatten)]
    pub unapplied: std::collections::BTreeMap<String, toml::Value>,
}

/// A `[graph] targets` entry: a triple, or a table naming one.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum GraphTarget {
    /// `"x86_64-unknown-linux-gnu"`.
    Triple(String),
    /// `{ triple = "x86_64-unknown-linux-gnu", features = [...] }` (target features are not
    /// applied).
    Table {
        /// The triple.
        triple: String,
    },
}

impl GraphTarget {
    /// The triple.
    pub fn triple(&self) -> &str {
        match self {
            GraphTarget::Triple(t) | GraphTarget::Table { triple: t } => t,
        }
    }
}

impl GraphSection {
    /// The `cargo metadata` options its feature keys mean.
    pub fn feature_options(&self) -> Vec<String> {
        let mut options = Vec::new();
        if self.all_features {
            options.push("--all-features".to_string());
        }
        if self.no_default_features {
            options.push("--no-default-features".to_string());
        }
        if !self.features.is_empty() {
            options.push("--features".to_string());
            options.push(self.features.join(","));
        }
        options
    }
}

/// Which crates an informational kind of advisory is reported for, as cargo-deny's
/// `[advisories] unmaintained` and `unsound` say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reach {
    /// Every crate of the graph.
    #[default]
    All,
    /// The workspace's direct dependencies only.
    Workspace,
    /// Every crate but the workspace's direct dependencies.
    Transitive,
    /// None.
    None,
}

impl Reach {
    /// Whether a crate that is (`direct`) or is not a direct dependency of a workspace
    /// member is in reach.
    pub fn reaches(self, direct: bool) -> bool {
        match self {
            Reach::All => true,
            Reach::Workspace => direct,
            Reach::Transitive => !direct,
            Reach::None => false,
        }
    }
}

fn all() -> Reach {
    Reach::All
}

fn workspace() -> Reach {
    Reach::Workspace
}

#[derive(Deserialize)]
#[serde(untagged)]
enum IgnoreEntry {
    Id(String),
    Detailed {
        id: Option<String>,
        reason: Option<String>,
    },
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct LicensesSection {
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    exceptions: Vec<ExceptionEntry>,
    #[serde(default)]
    clarify: Vec<ClarifyEntry>,
    #[serde(default)]
    confidence_threshold: Option<f32>,
}

#[derive(Deserialize)]
struct ExceptionEntry {
    #[serde(rename = "crate", alias = "name")]
    krate: String,
    version: Option<String>,
    allow: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct ClarifyEntry {
    #[serde(rename = "crate", alias = "name")]
    krate: String,
    version: Option<String>,
    expression: String,
    #[serde(default)]
    license_files: Vec<LicenseFileEntry>,
}

#[derive(Deserialize)]
struct LicenseFileEntry {
    path: PathBuf,
    hash: u32,
}

impl Policy {
    /// Reads `path` when it exists; no file is an empty policy.
    // Long: deny.toml read section by section, each key checked where it is read so that an error
    // names its line.
    pub fn load(path: &Path) -> Result<Self> {
        let Ok(text) = std::fs::read_to_string(path) else {
            // cargo-deny's defaults, as a file without an [advisories] section has them.
            return Ok(Self {
                unsound: Reach::Workspace,
                ..Self::default()
            });
        };
        let file: File = toml::from_str(&text).map_err(|e| {
            UsageError::new(format!("{} is not a valid policy: {e}", path.display()))
                .hint("fix the entry shown; the format is cargo-deny's")
        })?;
        let bad = |what: &str, e: &dyn std::fmt::Display| {
            UsageError::new(format!("{}: {what}: {e}", path.display())).hint(
                "use SPDX license identifiers, e.g. \"MIT\" or \"Apache-2.0 WITH LLVM-exception\"",
            )
        };
        let licensees = |names: &[String]| -> Result<Vec<Licensee>> {
            names
                .iter()
                .map(|n| {
                    // Lax, as cargo-deny is: deprecated ids such as `GPL-3.0` are understood.
                    Licensee::parse_mode(n, ParseMode::LAX).map_err(|e| {
                        bad(&format!("`{n}` is not an SPDX licence"), &e.reason).into()
                    })
                })
                .collect()
        };
        let advisories = file.advisories.unwrap_or_default();
        let (unmaintained, unsound) = (advisories.unmaintained, advisories.unsound);
        let ignore = advisories
            .ignore
            .into_iter()
            .filter_map(|entry| match entry {
                IgnoreEntry::Id(id) => Some(Ignored { id, reason: None }),
                // `{ crate = "..." }` entries ignore yanked crates in cargo-deny, not advisories.
                IgnoreEntry::Detailed {
                    id: Some(id),
                    reason,
                    ..
                } => Some(Ignored { id, reason }),
                IgnoreEntry::Detailed { id: None, .. } => None,
            })
            .collect();
        let licenses = match file.licenses {
            None => None,
            Some(section) => {
                let exceptions = section
                    .exceptions
                    .iter()
                    .map(|e| {
                        let (name, spec_version) = split_spec(&e.krate);
                        Ok(Exception {
                            name,
                            version: e.version.clone().or(spec_version),
                            allow: licensees(&e.allow)?,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                let clarify = section
                    .clarify
                    .iter()
                    .map(|c| {
                        spdx::Expression::parse_mode(&c.expression, ParseMode::LAX)
                            .map_err(|e| bad(&format!("clarify `{}`", c.krate), &e))?;
                        let (name, spec_version) = split_spec(&c.krate);
                        Ok(Clarification {
                            name,
                            version: c.version.clone().or(spec_version),
                            expression: c.expression.clone(),
                            license_files: c
                                .license_files
                                .iter()
                                .map(|f| (f.path.clone(), f.hash))
                                .collect(),
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                Some(LicensePolicy {
                    allow: licensees(&section.allow)?,
                    exceptions,
                    clarify,
                    confidence_threshold: section.confidence_threshold.unwrap_or(0.8),
                })
            }
        };
        // An absent [bans] or [sources] is cargo-deny's defaults, which only warn (duplicate
        // versions, unknown registries and git sources), as cargo-deny reads the same file.
        let bans_section = file
            .bans
            .or_else(|| toml::from_str::<crate::bans::BansSection>("").ok());
        let sources_section = file
            .sources
            .or_else(|| toml::from_str::<crate::bans::SourcesSection>("").ok());
        let bans = bans_section.map(|b| b.policy()).transpose().map_err(|e| {
            UsageError::new(format!("{}: {e}", path.display()))
                .hint("a package spec is `name`, `name@1.2.3` or `name:<2` (cargo-deny's)")
        })?;
        Ok(Self {
            path: Some(path.to_path_buf()),
            graph: file.graph,
            ignore,
            unmaintained,
            unsound,
            licenses,
            bans,
            sources: sources_section.map(|s| s.policy()),
            text,
        })
    }

    /// The 1-based line where `id` is written in the policy file.
    pub fn line_of(&self, id: &str) -> Option<u32> {
        let quoted = format!("\"{id}\"");
        self.text
            .lines()
            .position(|l| l.contains(&quoted))
            .and_then(|i| u32::try_from(i + 1).ok())
    }

    /// The 1-based line of the entry `written` (a quoted spec) or, failing that, of the key
    /// `written = ...` in `[section]`.
    pub fn line_of_entry(&self, section: &str, written: &str) -> Option<u32> {
        if let Some(line) = self.line_of(written) {
            return Some(line);
        }
        let header = format!("[{section}]");
        let mut inside = false;
        for (i, line) in self.text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.starts_with('[') {
                inside = trimmed == header;
                continue;
            }
            let key = trimmed.split('=').next().unwrap_or_default().trim();
            if inside && key == written {
                return u32::try_from(i + 1).ok();
            }
        }
        self.text
            .lines()
            .position(|l| l.trim() == header)
            .and_then(|i| u32::try_from(i + 1).ok())
    }
}

/// `name@version` (cargo-deny's package spec) into its parts.
fn split_spec(spec: &str) -> (String, Option<String>) {
    match spec.split_once('@') {
        Some((name, version)) => (name.to_string(), Some(version.to_string())),
        None => (spec.to_string(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Policy> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deny.toml");
        std::fs::write(&path, text).unwrap();
        Policy::load(&path)
    }

    #[test]
    fn reads_ignores_in_both_forms_and_the_licence_rules() {
        let policy = load(
            "[advisories]\nversion = 2\nignore = [\"RUSTSEC-2020-0001\", { id = \"RUSTSEC-2021-0002\", reason = \"not reachable\" }, { crate = \"x@1.0\" }]\n\n[licenses]\nallow = [\"MIT\", \"Apache-2.0 WITH LLVM-exception\"]\nexceptions = [{ allow = [\"OpenSSL\"], crate = \"ring@0.17.0\" }]\n[[licenses.clarify]]\ncrate = \"ring\"\nexpression = \"MIT AND ISC AND OpenSSL\"\n\n[bans]\nmultiple-versions = \"warn\"\n",
        )
        .unwrap();
        assert_eq!(
            policy.ignore,
            [
                Ignored {
                    id: "RUSTSEC-2020-0001".into(),
                    reason: None
                },
                Ignored {
                    id: "RUSTSEC-2021-0002".into(),
                    reason: Some("not reachable".into())
                }
            ]
        );
        assert_eq!(policy.line_of("RUSTSEC-2021-0002"), Some(3));
        let licenses = policy.licenses.unwrap();
        assert_eq!(licenses.allow.len(), 2);
        assert_eq!(licenses.exceptions[0].name, "ring");
        assert_eq!(licenses.exceptions[0].version.as_deref(), Some("0.17.0"));
        assert_eq!(licenses.clarify[0].expression, "MIT AND ISC AND OpenSSL");
    }

    #[test]
    fn no_file_is_an_empty_policy_and_a_bad_one_is_named() {
        assert!(
            Policy::load(Path::new("/nowhere/deny.toml"))
                .unwrap()
                .licenses
                .is_none()
        );
        let err = load("[licenses]\nallow = [\"Not A Licence\"]\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("deny.toml") && err.contains("Not A Licence"),
            "{err}"
        );
        let err = load("[licenses\n").unwrap_err().to_string();
        assert!(err.contains("deny.toml is not a valid policy"), "{err}");
    }
}
