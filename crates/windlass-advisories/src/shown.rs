//! What a finding shows of an advisory, read once (by the index, from the database) and
//! matched against packages: the advisory's kind, ids, title, severity and fixes.

use rustsec::Advisory;
use rustsec::advisory::Informational;
use rustsec::package::SourceId;
use serde::{Deserialize, Serialize};

/// What an advisory says about a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A vulnerability: always fails.
    Vulnerability,
    /// The crate is no longer maintained.
    Unmaintained,
    /// The crate has unsound code.
    Unsound,
    /// Something worth knowing.
    Notice,
}

impl Kind {
    /// The lowercase name (`--deny unmaintained`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Vulnerability => "vulnerability",
            Kind::Unmaintained => "unmaintained",
            Kind::Unsound => "unsound",
            Kind::Notice => "notice",
        }
    }
}

/// What a finding shows of an advisory, and what matching it needs: all the terminal and
/// GitHub reports use, read without parsing the advisory (the index keeps it as is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shown {
    /// `RUSTSEC-YYYY-NNNN`.
    pub id: String,
    /// CVE and GHSA ids.
    pub aliases: Vec<String>,
    /// The crate it is about.
    pub package: String,
    /// Its title.
    pub title: String,
    /// What it says; `None` for an informational kind no audit reports.
    pub kind: Option<Kind>,
    /// `high (7.5)`, from its CVSS vector.
    pub severity: Option<String>,
    /// The versions that fix it.
    pub patched: Vec<String>,
    /// Its page.
    pub url: Option<String>,
    /// The source of the crate it is about (kind and URL), when not crates.io.
    pub source: Option<(String, String)>,
    /// Whether it was withdrawn.
    pub withdrawn: bool,
}

/// A source's kind and URL, as the query compares them.
pub(crate) fn source_key(source: &SourceId) -> (String, String) {
    (format!("{:?}", source.kind()), source.url().to_string())
}

impl Shown {
    /// What a finding shows of `advisory`.
    pub fn of(advisory: &Advisory) -> Self {
        let metadata = &advisory.metadata;
        let kind = match &metadata.informational {
            None => Some(Kind::Vulnerability),
            Some(Informational::Unmaintained) => Some(Kind::Unmaintained),
            Some(Informational::Unsound) => Some(Kind::Unsound),
            Some(Informational::Notice) => Some(Kind::Notice),
            Some(_) => None,
        };
        Self {
            id: metadata.id.to_string(),
            aliases: metadata.aliases.iter().map(ToString::to_string).collect(),
            package: metadata.package.to_string(),
            title: metadata.title.clone(),
            kind,
            severity: metadata
                .cvss
                .as_ref()
                .map(|cvss| format!("{} ({:.1})", cvss.severity(), cvss.score())),
            patched: advisory
                .versions
                .patched()
                .iter()
                .map(ToString::to_string)
                .collect(),
            url: metadata
                .id
                .url()
                .or_else(|| metadata.url.as_ref().map(ToString::to_string)),
            source: metadata.source.as_ref().map(source_key),
            withdrawn: metadata.withdrawn.is_some(),
        }
    }

    /// The id and its aliases.
    pub fn ids(&self) -> Vec<&str> {
        std::iter::once(self.id.as_str())
            .chain(self.aliases.iter().map(String::as_str))
            .collect()
    }
}
