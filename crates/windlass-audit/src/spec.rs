//! cargo-deny's package specs, as `deny.toml` writes them in `[bans]`: `"name"`,
//! `"name@1.2.3"` (that version), `"name:<=0.7, >0.2"` (a requirement), or a table
//! `{ crate = "name@1.2.3", ... }` (older files: `{ name = "x", version = "=1.0" }`).

use rustsec::package::Package;
use semver::VersionReq;
use serde::Deserialize;

/// Which packages an entry names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The crate name.
    pub name: String,
    /// The versions; `*` when none is given.
    pub req: VersionReq,
    /// The entry as written, for messages and for finding its line.
    pub written: String,
}

impl Spec {
    /// Reads `"name"`, `"name@version"` or `"name:req"`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (name, req) = if let Some((name, version)) = text.split_once('@') {
            let req = format!("={version}")
                .parse()
                .map_err(|e| format!("`{text}`: `{version}` is not a version: {e}"))?;
            (name, req)
        } else if let Some((name, req)) = text.split_once(':') {
            let req = req
                .parse()
                .map_err(|e| format!("`{text}`: `{req}` is not a version requirement: {e}"))?;
            (name, req)
        } else {
            (text, VersionReq::STAR)
        };
        if name.is_empty() {
            return Err(format!("`{text}` names no crate"));
        }
        Ok(Self {
            name: name.to_string(),
            req,
            written: text.to_string(),
        })
    }

    /// From the table form's `crate`/`name` and optional `version`.
    fn from_parts(krate: &str, version: Option<&str>) -> Result<Self, String> {
        let mut spec = Self::parse(krate)?;
        if let Some(version) = version {
            spec.req = version
                .parse()
                .map_err(|e| format!("`{krate}`: `{version}` is not a version requirement: {e}"))?;
        }
        Ok(spec)
    }

    /// Whether `package` is one this spec names.
    pub fn matches(&self, package: &Package) -> bool {
        package.name.as_str() == self.name && self.req.matches(&package.version)
    }

    /// Whether a crate of this name and version is one this spec names.
    pub fn matches_parts(&self, name: &str, version: &semver::Version) -> bool {
        name == self.name && self.req.matches(version)
    }
}

/// A spec with the settings a table entry may add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The packages.
    pub spec: Spec,
    /// `reason`.
    pub reason: Option<String>,
    /// `wrappers` (of `deny`).
    pub wrappers: Vec<String>,
    /// `use-instead` (of `deny`).
    pub use_instead: Option<String>,
    /// `depth` (of `skip-tree`); `None` is unlimited.
    pub depth: Option<usize>,
    /// `deny-multiple-versions` (of `deny`).
    pub deny_multiple_versions: bool,
}

/// An entry as `deny.toml` writes it: a string or a table.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Written {
    /// `"name@1.0"`.
    Short(String),
    /// `{ crate = "name@1.0", reason = "...", ... }`.
    Table {
        /// The spec (`name` in older files).
        #[serde(rename = "crate", alias = "name")]
        krate: String,
        /// A version requirement, in older files.
        version: Option<String>,
        /// Why.
        reason: Option<String>,
        /// The crates that may depend on a denied one directly.
        #[serde(default)]
        wrappers: Vec<String>,
        /// What to use instead of a denied crate.
        #[serde(rename = "use-instead")]
        use_instead: Option<String>,
        /// How many levels below a skipped tree's root are skipped too.
        depth: Option<usize>,
        /// Deny duplicates of this crate only.
        #[serde(rename = "deny-multiple-versions", default)]
        deny_multiple_versions: bool,
    },
}

impl Written {
    /// The entry, checked.
    pub fn entry(&self) -> Result<Entry, String> {
        Ok(match self {
            Written::Short(text) => Entry {
                spec: Spec::parse(text)?,
                reason: None,
                wrappers: Vec::new(),
                use_instead: None,
                depth: None,
                deny_multiple_versions: false,
            },
            Written::Table {
                krate,
                version,
                reason,
                wrappers,
                use_instead,
                depth,
                deny_multiple_versions,
            } => Entry {
                spec: Spec::from_parts(krate, version.as_deref())?,
                reason: reason.clone(),
                wrappers: wrappers.clone(),
                use_instead: use_instead.clone(),
                depth: *depth,
                deny_multiple_versions: *deny_multiple_versions,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> semver::Version {
        text.parse().unwrap()
    }

    #[test]
    fn the_three_string_forms() {
        let any = Spec::parse("openssl").unwrap();
        assert!(any.matches_parts("openssl", &v("0.10.1")));
        assert!(!any.matches_parts("openssl-sys", &v("0.10.1")));
        let exact = Spec::parse("windows-sys@0.48.0").unwrap();
        assert!(exact.matches_parts("windows-sys", &v("0.48.0")));
        assert!(!exact.matches_parts("windows-sys", &v("0.48.1")));
        let range = Spec::parse("bitflags:<2").unwrap();
        assert!(range.matches_parts("bitflags", &v("1.3.2")));
        assert!(!range.matches_parts("bitflags", &v("2.4.0")));
        assert!(Spec::parse("x@not-a-version").is_err());
        assert!(Spec::parse("@1.0").is_err());
    }

    #[test]
    fn the_table_forms() {
        let entry: Written = toml::from_str::<std::collections::BTreeMap<String, Written>>(
            "e = { crate = \"openssl\", wrappers = [\"native-tls\"], reason = \"rustls\" }",
        )
        .unwrap()["e"]
            .clone();
        let entry = entry.entry().unwrap();
        assert_eq!(entry.spec.name, "openssl");
        assert_eq!(entry.wrappers, ["native-tls"]);
        let old: Written = toml::from_str::<std::collections::BTreeMap<String, Written>>(
            "e = { name = \"rand\", version = \"=0.6.5\" }",
        )
        .unwrap()["e"]
            .clone();
        assert!(old.entry().unwrap().spec.matches_parts("rand", &v("0.6.5")));
    }
}
