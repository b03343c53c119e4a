//! The version bump in the manifests, made with `toml_edit` so that every comment, blank line
//! and key order survives: only the version strings change.
//!
//! Three kinds of values move: a member's `package.version` (or the
//! `workspace.package.version` members inherit with `version.workspace = true`), and every
//! requirement on a bumped member — in `[dependencies]`, `[dev-dependencies]`,
//! `[build-dependencies]`, their `[target.'cfg(..)'.*]` forms and `[workspace.dependencies]`,
//! found by the dependency's `package` key when it is renamed.

use anyhow::Result;
use cargo_metadata::semver::{Version, VersionReq};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml_edit::{DocumentMut, Item, Table, Value};
use windlass_core::UsageError;

/// A member to bump.
#[derive(Debug, Clone)]
pub struct Member {
    /// Its package name.
    pub name: String,
    /// Its manifest.
    pub manifest: PathBuf,
    /// Its version now.
    pub version: Version,
}

/// One manifest's text before and after the bump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEdit {
    /// The file.
    pub path: PathBuf,
    /// What it holds now.
    pub before: String,
    /// What it will hold.
    pub after: String,
}

/// Whether a member's manifest says `version.workspace = true`.
pub fn inherits_version(manifest: &Path) -> Result<bool> {
    let doc = read(manifest)?.1;
    Ok(doc
        .get("package")
        .and_then(|p| p.get("version"))
        .and_then(|v| v.get("workspace"))
        .and_then(Item::as_bool)
        .unwrap_or(false))
}

/// The workspace's shared `workspace.package.version`, if it has one.
pub fn workspace_version(root_manifest: &Path) -> Result<Option<Version>> {
    let (_, doc) = read(root_manifest)?;
    let Some(text) = doc
        .get("workspace")
        .and_then(|w| w.get("package"))
        .and_then(|p| p.get("version"))
        .and_then(Item::as_str)
    else {
        return Ok(None);
    };
    Version::parse(text).map(Some).map_err(|e| {
        UsageError::new(format!(
            "{}: workspace.package.version `{text}` is not a SemVer version: {e}",
            root_manifest.display()
        ))
        .hint("write a version such as 0.1.0")
        .into()
    })
}

/// The edits that move each member in `new` to its new version, in `root_manifest` and in
/// the members' manifests. Files that do not change are left out.
pub fn plan(
    root_manifest: &Path,
    members: &[Member],
    new: &BTreeMap<String, Version>,
    new_workspace_version: Option<&Version>,
) -> Result<Vec<FileEdit>> {
    let mut files: Vec<PathBuf> = vec![root_manifest.to_path_buf()];
    for member in members {
        if !files.contains(&member.manifest) {
            files.push(member.manifest.clone());
        }
    }
    let mut edits = Vec::new();
    for path in files {
        let (before, mut doc) = read(&path)?;
        if path == root_manifest
            && let Some(version) = new_workspace_version
        {
            set_workspace_version(&mut doc, version);
        }
        if let Some(package) = doc.get_mut("package").and_then(Item::as_table_like_mut) {
            let name = package
                .get("name")
                .and_then(Item::as_str)
                .map(str::to_string);
            if let Some(version) = name.and_then(|n| new.get(&n)) {
                match package.get_mut("version") {
                    Some(item) => {
                        // `version.workspace = true` (a table) moves with the workspace's.
                        if let Some(value) = item.as_value_mut().filter(|v| v.is_str()) {
                            replace_string(value, &version.to_string());
                        }
                    }
                    // No version is 0.0.0 to cargo: the release gives the crate one.
                    None => {
                        package.insert("version", toml_edit::value(version.to_string()));
                    }
                }
            }
        }
        for table in dependency_tables(&mut doc) {
            update_requirements(table, new);
        }
        let after = doc.to_string();
        if after != before {
            edits.push(FileEdit {
                path,
                before,
                after,
            });
        }
    }
    Ok(edits)
}

fn read(path: &Path) -> Result<(String, DocumentMut)> {
    // Edited with `\n` line ends and no byte-order mark; written back in the file's own.
    let (text, _) =
        windlass_core::files::TextStyle::decode(&windlass_core::files::read_text(path)?);
    let doc = text.parse::<DocumentMut>().map_err(|e| {
        UsageError::new(format!("{} is not valid TOML: {e}", path.display()))
            .hint("fix the manifest; `cargo metadata` shows the same error")
    })?;
    Ok((text, doc))
}

fn set_workspace_version(doc: &mut DocumentMut, version: &Version) {
    let value = doc
        .get_mut("workspace")
        .and_then(|w| w.get_mut("package"))
        .and_then(|p| p.get_mut("version"))
        .and_then(Item::as_value_mut);
    if let Some(value) = value {
        replace_string(value, &version.to_string());
    }
}

/// Every dependency table of a manifest, target-specific and workspace ones included.
fn dependency_tables(doc: &mut DocumentMut) -> Vec<&mut dyn toml_edit::TableLike> {
    const KINDS: [&str; 4] = [
        "dependencies",
        "dev-dependencies",
        "build-dependencies",
        // Cargo still reads the old spellings.
        "dev_dependencies",
    ];
    let mut out: Vec<&mut dyn toml_edit::TableLike> = Vec::new();
    let table: &mut Table = doc.as_table_mut();
    for (key, item) in table.iter_mut() {
        match key.get() {
            k if KINDS.contains(&k) || k == "build_dependencies" => {
                if let Some(t) = item.as_table_like_mut() {
                    out.push(t);
                }
            }
            "target" => {
                let Some(targets) = item.as_table_like_mut() else {
                    continue;
                };
                for (_, target) in targets.iter_mut() {
                    let Some(target) = target.as_table_like_mut() else {
                        continue;
                    };
                    for (kind, deps) in target.iter_mut() {
                        if (KINDS.contains(&kind.get()) || kind.get() == "build_dependencies")
                            && let Some(t) = deps.as_table_like_mut()
                        {
                            out.push(t);
                        }
                    }
                }
            }
            "workspace" => {
                if let Some(deps) = item
                    .get_mut("dependencies")
                    .and_then(Item::as_table_like_mut)
                {
                    out.push(deps);
                }
            }
            _ => {}
        }
    }
    out
}

/// Moves the `version` requirement of each dependency on a bumped package.
fn update_requirements(table: &mut dyn toml_edit::TableLike, new: &BTreeMap<String, Version>) {
    for (key, item) in table.iter_mut() {
        let Some(dep) = item.as_table_like_mut() else {
            // `name = "1.0"` is a registry dependency: never one of ours.
            continue;
        };
        let name = dep
            .get("package")
            .and_then(Item::as_str)
            .unwrap_or(key.get())
            .to_string();
        let Some(version) = new.get(&name) else {
            continue;
        };
        // Registry-only requirements on a crate that happens to share a member's name stay.
        if dep.get("path").is_none() && dep.get("workspace").is_none() {
            continue;
        }
        let Some(value) = dep.get_mut("version").and_then(Item::as_value_mut) else {
            continue;
        };
        let Some(old) = value.as_str() else { continue };
        if let Some(req) = new_requirement(old, version) {
            replace_string(value, &req);
        }
    }
}

/// The requirement that replaces `old` for `version`: the same operator, the new version.
/// A range that still admits the new version is left alone.
pub fn new_requirement(old: &str, version: &Version) -> Option<String> {
    let trimmed = old.trim();
    let op_len = trimmed
        .find(|c: char| !matches!(c, '=' | '^' | '~' | ' '))
        .unwrap_or(trimmed.len());
    let op = trimmed[..op_len].trim();
    let simple = matches!(op, "" | "=" | "^" | "~") && !trimmed.contains(',');
    let req = if simple {
        format!("{op}{version}")
    } else if VersionReq::parse(trimmed).is_ok_and(|r| r.matches(version)) {
        return None;
    } else {
        version.to_string()
    };
    (req != old).then_some(req)
}

/// Sets a string value, keeping the whitespace and comments around it.
fn replace_string(value: &mut Value, text: &str) {
    let decor = value.decor().clone();
    *value = Value::from(text);
    *value.decor_mut() = decor;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn requirements_keep_their_operator() {
        assert_eq!(new_requirement("0.1.0", &v("0.2.0")).unwrap(), "0.2.0");
        assert_eq!(new_requirement("=0.1.0", &v("0.2.0")).unwrap(), "=0.2.0");
        assert_eq!(new_requirement("^0.1", &v("0.2.0")).unwrap(), "^0.2.0");
        assert_eq!(new_requirement("~0.1.0", &v("0.1.1")).unwrap(), "~0.1.1");
        assert_eq!(new_requirement(">=0.1, <2", &v("1.0.0")), None);
        assert_eq!(new_requirement(">=0.1, <1", &v("1.0.0")).unwrap(), "1.0.0");
    }

    #[test]
    fn a_crate_without_a_version_gets_one() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("Cargo.toml");
        std::fs::write(
            &manifest,
            "[package]\nname = \"tool\"\nedition = \"2021\"\n",
        )
        .unwrap();
        let members = [Member {
            name: "tool".into(),
            manifest: manifest.clone(),
            version: v("0.0.0"),
        }];
        let new = BTreeMap::from([("tool".to_string(), v("0.1.0"))]);
        let edits = plan(&manifest, &members, &new, None).unwrap();
        assert_eq!(
            edits[0].after,
            "[package]\nname = \"tool\"\nedition = \"2021\"\nversion = \"0.1.0\"\n"
        );
    }

    #[test]
    fn only_version_strings_change() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("Cargo.toml");
        let text = r#"# The service.
[package]
name = "svc"   # its name
version = "0.1.0" # bumped by release
edition = "2021"

[dependencies]
core = { path = "core", version = "0.1.0" } # ours
serde = "1.0"
renamed = { package = "core", path = "core", version = "=0.1.0" }

[target.'cfg(unix)'.dev-dependencies]
core = { path = "core", version = "0.1" }

[build-dependencies.core]
path = "core"
version = "0.1.0"   # keep this comment
"#;
        std::fs::write(&manifest, text).unwrap();
        let members = [Member {
            name: "svc".into(),
            manifest: manifest.clone(),
            version: v("0.1.0"),
        }];
        let new = BTreeMap::from([("svc".to_string(), v("0.2.0")), ("core".into(), v("0.2.0"))]);
        let edits = plan(&manifest, &members, &new, None).unwrap();
        assert_eq!(edits.len(), 1);
        let expected = text
            .replace(
                "version = \"0.1.0\" # bumped",
                "version = \"0.2.0\" # bumped",
            )
            .replace(
                "version = \"0.1.0\" } # ours",
                "version = \"0.2.0\" } # ours",
            )
            .replace("\"=0.1.0\"", "\"=0.2.0\"")
            .replace("version = \"0.1\" }", "version = \"0.2.0\" }")
            .replace(
                "version = \"0.1.0\"   # keep",
                "version = \"0.2.0\"   # keep",
            );
        assert_eq!(edits[0].after, expected);
    }
}
