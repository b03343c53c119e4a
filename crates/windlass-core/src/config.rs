//! windlass's configuration: the `[workspace.metadata.windlass]` table of the root manifest.
//!
//! That is where Rust users look for tool config (cargo-dist and cargo-release keep theirs
//! there too); a single-package repository may use `[package.metadata.windlass]`. Each task
//! reads its own section (`[workspace.metadata.windlass.lint]`, ...) with its own type, and
//! every unknown key is an error that names the key, the section and the file.

use crate::error::UsageError;
use anyhow::Result;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// The windlass table of one manifest.
#[derive(Debug, Clone, Default)]
pub struct Config {
    manifest: PathBuf,
    table_name: &'static str,
    table: toml::Table,
}

impl Config {
    /// Reads the windlass table of `manifest`; an absent table is an empty config.
    pub fn load(manifest: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(manifest)
            .map_err(|err| UsageError::new(format!("cannot read {}: {err}", manifest.display())))?;
        Self::parse(manifest, &text)
    }

    /// Parses manifest text read from `manifest` (used in messages).
    pub fn parse(manifest: &Path, text: &str) -> Result<Self> {
        let doc: toml::Table = toml::from_str(text).map_err(|err| {
            UsageError::new(format!("{} is not valid TOML: {err}", manifest.display()))
                .hint("fix the syntax at the line shown")
        })?;
        for (table_name, outer) in [
            ("workspace.metadata.windlass", "workspace"),
            ("package.metadata.windlass", "package"),
        ] {
            let found = doc
                .get(outer)
                .and_then(|o| o.get("metadata"))
                .and_then(|m| m.get("windlass"));
            match found {
                Some(toml::Value::Table(table)) => {
                    return Ok(Self {
                        manifest: manifest.to_path_buf(),
                        table_name,
                        table: table.clone(),
                    });
                }
                Some(_) => {
                    return Err(UsageError::new(format!(
                        "{}: `{table_name}` must be a table",
                        manifest.display()
                    ))
                    .hint(format!("write it as a `[{table_name}]` section"))
                    .into());
                }
                None => {}
            }
        }
        Ok(Self {
            manifest: manifest.to_path_buf(),
            table_name: "workspace.metadata.windlass",
            table: toml::Table::new(),
        })
    }

    /// No config at all, as if `manifest` had no windlass table.
    pub fn empty(manifest: &Path) -> Self {
        Self {
            manifest: manifest.to_path_buf(),
            table_name: "workspace.metadata.windlass",
            table: toml::Table::new(),
        }
    }

    /// The manifest the config was read from.
    pub fn manifest(&self) -> &Path {
        &self.manifest
    }

    /// The table's name: `workspace.metadata.windlass` or `package.metadata.windlass`.
    pub fn table_name(&self) -> &'static str {
        self.table_name
    }

    /// The raw value of the section `name`, for a reader of one of its keys only (each
    /// section is checked whole by its owner's type).
    pub fn value(&self, name: &str) -> Option<&toml::Value> {
        self.table.get(name)
    }

    /// Whether the section `name` is present.
    pub fn has_section(&self, name: &str) -> bool {
        self.table.contains_key(name)
    }

    /// Fails on a top-level key no task knows, naming it and the keys that are known.
    pub fn check_sections(&self, known: &[&str]) -> Result<()> {
        for key in self.table.keys() {
            if !known.contains(&key.as_str()) {
                return Err(UsageError::new(format!(
                    "{}: unknown key `{key}` in [{}]",
                    self.manifest.display(),
                    self.table_name
                ))
                .hint(format!("known keys are: {}", known.join(", ")))
                .into());
            }
        }
        Ok(())
    }

    /// The section `name` as `T`, or `T::default()` when absent. A key `T` does not read is
    /// an error that names it, whatever `T`'s serde attributes say, so that a typo never
    /// passes silently.
    pub fn section<T: DeserializeOwned + Default>(&self, name: &str) -> Result<T> {
        match self.table.get(name) {
            None => Ok(T::default()),
            Some(value) => self.deserialize(name, value),
        }
    }

    /// Checks that the section `name`, when present, reads as `T`.
    pub fn check_section<T: DeserializeOwned>(&self, name: &str) -> Result<()> {
        match self.table.get(name) {
            None => Ok(()),
            Some(value) => self.deserialize::<T>(name, value).map(drop),
        }
    }

    fn deserialize<T: DeserializeOwned>(&self, name: &str, value: &toml::Value) -> Result<T> {
        let mut unknown = Vec::new();
        let parsed = serde_ignored::deserialize(value.clone(), |path| {
            unknown.push(path.to_string());
        });
        let fail = |detail: String| -> anyhow::Error {
            UsageError::new(format!(
                "{}: invalid [{}.{name}]: {}",
                self.manifest.display(),
                self.table_name,
                detail.trim()
            ))
            .hint("fix or remove the key named above")
            .into()
        };
        let parsed: T = parsed.map_err(|err| fail(err.to_string()))?;
        if let Some(key) = unknown.first() {
            return Err(fail(format!("unknown key `{key}`")));
        }
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, rename_all = "kebab-case")]
    struct Lint {
        #[serde(default)]
        all_features: bool,
    }

    fn parse(text: &str) -> Result<Config> {
        Config::parse(Path::new("/w/Cargo.toml"), text)
    }

    #[test]
    fn reads_a_section_and_defaults_an_absent_one() {
        let config = parse("[workspace.metadata.windlass.lint]\nall-features = true\n").unwrap();
        assert_eq!(
            config.section::<Lint>("lint").unwrap(),
            Lint { all_features: true }
        );
        assert_eq!(config.section::<Lint>("test-x").unwrap(), Lint::default());
    }

    #[test]
    fn unknown_keys_are_named_with_the_file() {
        let config = parse("[workspace.metadata.windlass.lint]\nall-featurez = true\n").unwrap();
        let err = config.section::<Lint>("lint").unwrap_err().to_string();
        assert!(err.contains("/w/Cargo.toml"), "{err}");
        assert!(err.contains("all-featurez"), "{err}");

        let config = parse("[workspace.metadata.windlass]\nlnt = {}\n").unwrap();
        let err = config
            .check_sections(&["lint", "ci"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown key `lnt`") && err.contains("lint, ci"),
            "{err}"
        );
    }

    #[test]
    fn a_single_package_may_keep_it_under_package_metadata() {
        let config =
            parse("[package]\nname='x'\n[package.metadata.windlass.lint]\nall-features = true\n")
                .unwrap();
        assert!(config.section::<Lint>("lint").unwrap().all_features);
    }

    #[test]
    fn invalid_toml_names_the_file() {
        let err = parse("[workspace\n").unwrap_err().to_string();
        assert!(err.starts_with("/w/Cargo.toml is not valid TOML"), "{err}");
    }
}
