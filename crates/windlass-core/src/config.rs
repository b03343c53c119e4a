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
    /// The manifest's text, to place an error at its line and column.
    text: std::rc::Rc<str>,
}

impl Config {
    /// Reads the windlass table of `manifest`; an absent table is an empty config.
    pub fn load(manifest: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(manifest)
            .map_err(|err| UsageError::io(format!("cannot read {}: {err}", manifest.display())))?;
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
                        text: text.into(),
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
            text: text.into(),
        })
    }

    /// No config at all, as if `manifest` had no windlass table.
    pub fn empty(manifest: &Path) -> Self {
        Self {
            manifest: manifest.to_path_buf(),
            table_name: "workspace.metadata.windlass",
            table: toml::Table::new(),
            text: "".into(),
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

    /// Fails on a top-level key no task knows, naming it, the likeliest one meant and the
    /// keys that are known.
    pub fn check_sections(&self, known: &[&str]) -> Result<()> {
        for key in self.table.keys() {
            if !known.contains(&key.as_str()) {
                let mut hint = format!("known keys are: {}", known.join(", "));
                if let Some(near) = closest(key, known.iter().copied()) {
                    hint = format!("did you mean `{near}`? {hint}");
                }
                return Err(self
                    .error_at(
                        &[key],
                        None,
                        format!("unknown key `{key}` in [{}]", self.table_name),
                    )
                    .hint(hint)
                    .into());
            }
        }
        Ok(())
    }

    /// An error of the config, placed at the line and column of `path` (the section, then the
    /// keys below it) — or of the value `quoted` below it, when the message quotes the value
    /// at fault — in the manifest: `Cargo.toml:42:5: message`.
    pub fn error_at(&self, path: &[&str], quoted: Option<&str>, message: String) -> UsageError {
        let location = self.locate(path, quoted);
        let shown = match location {
            Some((line, column)) => format!("{}:{line}:{column}", self.manifest.display()),
            None => self.manifest.display().to_string(),
        };
        let mut error =
            UsageError::new(format!("{shown}: {message}")).kind(crate::error::ErrorKind::Config);
        error.location = Some(crate::error::Location {
            file: self.manifest.clone(),
            line: location.map(|(l, _)| l),
            column: location.map(|(_, c)| c),
        });
        error
    }

    /// Line and column (1-based) of the key at `path` below the windlass table, or of a
    /// value written `quoted` below it; the deepest key found when the rest is not there.
    fn locate(&self, path: &[&str], quoted: Option<&str>) -> Option<(u32, u32)> {
        let doc = toml::de::DeTable::parse(&self.text).ok()?;
        let mut table = doc.get_ref();
        for part in self.table_name.split('.') {
            table = table.get(part)?.get_ref().as_table()?;
        }
        let mut span = None;
        for part in path {
            let Some((key, value)) = table.get_key_value(*part) else {
                break;
            };
            span = Some(key.span());
            match value.get_ref().as_table() {
                Some(inner) => table = inner,
                None => {
                    if quoted.is_some() {
                        span = Some(value.span());
                    }
                    break;
                }
            }
        }
        if let Some(wanted) = quoted
            && let Some(found) = find_value(table, wanted)
        {
            span = Some(found);
        }
        let at = span?.start;
        let before = &self.text[..at.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Some((u32::try_from(line).ok()?, u32::try_from(column).ok()?))
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
        let fail = |detail: String, path: Vec<&str>, quoted: Option<&str>| -> anyhow::Error {
            let detail = detail.trim().to_string();
            let mut hint = "fix or remove the key named above".to_string();
            if let Some((unknown, expected)) = unknown_field(&detail)
                && let Some(near) = closest(&unknown, expected.iter().map(String::as_str))
            {
                hint = format!("did you mean `{near}`?");
            }
            self.error_at(
                &path,
                quoted,
                format!("invalid [{}.{name}]: {detail}", self.table_name),
            )
            .hint(hint)
            .into()
        };
        let parsed: T = parsed.map_err(|err| {
            let detail = err.to_string();
            let quoted = quoted_value(&detail);
            let field = unknown_field(&detail).map(|(f, _)| f);
            let mut path = vec![name];
            if let Some(field) = field.as_deref() {
                path.push(field);
            }
            fail(
                detail.clone(),
                path,
                if field.is_some() {
                    None
                } else {
                    quoted.as_deref()
                },
            )
        })?;
        if let Some(key) = unknown.first() {
            let mut path = vec![name];
            path.extend(key.split('.'));
            return Err(fail(format!("unknown key `{key}`"), path, None));
        }
        Ok(parsed)
    }
}

/// The span of the first value below `table` (depth first) whose text is `wanted`.
fn find_value(table: &toml::de::DeTable<'_>, wanted: &str) -> Option<std::ops::Range<usize>> {
    for (_, value) in table.iter() {
        let found = match value.get_ref() {
            toml::de::DeValue::String(s) => (s.as_ref() == wanted).then(|| value.span()),
            toml::de::DeValue::Integer(i) => (i.as_str() == wanted).then(|| value.span()),
            toml::de::DeValue::Table(inner) => find_value(inner, wanted),
            toml::de::DeValue::Array(items) => items.iter().find_map(|item| match item.get_ref() {
                toml::de::DeValue::String(s) if s.as_ref() == wanted => Some(item.span()),
                toml::de::DeValue::Table(inner) => find_value(inner, wanted),
                _ => None,
            }),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// The value a message quotes in backticks (`invalid value \`soon\``), if any.
fn quoted_value(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(message[start..end].to_string())
}

/// serde's `unknown field \`x\`, expected one of \`a\`, \`b\``: the field and the known ones.
fn unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.split("unknown field `").nth(1)?;
    let field = rest.split('`').next()?.to_string();
    let expected: Vec<String> = rest
        .split("expected ")
        .nth(1)
        .map(|list| {
            list.split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Some((field, expected))
}

/// The candidate nearest `word` in edit distance, when near enough to be a typo of it.
pub fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .map(|c| (distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substituted = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substituted.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
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
