//! Vendored and generated code, left out of the scan — visibly. A repository that commits
//! `node_modules/` or minified bundles marks them the way GitHub's linguist reads them
//! (`.gitattributes`: `linguist-vendored`, `linguist-generated`), or lists globs in
//! `[workspace.metadata.windlass.secrets] exclude`. What is left out is always said.

use anyhow::Result;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use windlass_core::{Session, Severity};

/// `[workspace.metadata.windlass.secrets]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretsConfig {
    /// Paths (globs, relative to the repository root) never scanned: vendored or generated
    /// code. `.gitattributes`' `linguist-vendored` and `linguist-generated` apply too.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Files larger than this are not read, and are listed as skipped (default `10MB`).
    #[serde(rename = "max-file-size")]
    pub max_file_size: Option<windlass_core::units::Size>,
}

impl SecretsConfig {
    /// The size past which a file is skipped.
    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_size.map_or(
            crate::files::MAX_FILE_BYTES,
            windlass_core::units::Size::bytes,
        )
    }
}

/// The attributes that mark code nobody here wrote.
const ATTRIBUTES: [&str; 2] = ["linguist-vendored", "linguist-generated"];

/// Why a path is left out.
pub type Why = String;

/// The paths to scan, and those left out with why.
pub type Partition = (Vec<PathBuf>, Vec<(PathBuf, Why)>);

/// Splits `paths` (relative to `root`) into those to scan and those left out, with why.
pub fn partition(
    session: &mut Session,
    root: &Path,
    config: &SecretsConfig,
    paths: Vec<PathBuf>,
) -> Result<Partition> {
    let marked = attributes(session, root, &paths)?;
    let mut kept = Vec::new();
    let mut left_out = Vec::new();
    for path in paths {
        let shown = path.to_string_lossy().replace('\\', "/");
        let why = config
            .exclude
            .iter()
            .find(|g| windlass_core::glob::matches(g, &shown))
            .map(|g| format!("exclude `{g}`"))
            .or_else(|| marked.get(&shown).cloned());
        match why {
            Some(why) => left_out.push((path, why)),
            None => kept.push(path),
        }
    }
    Ok((kept, left_out))
}

/// The paths `.gitattributes` marks vendored or generated, with the attribute: git's own
/// reading of them (`git check-attr`), so every pattern and nesting rule is git's.
fn attributes(
    session: &mut Session,
    root: &Path,
    paths: &[PathBuf],
) -> Result<BTreeMap<String, Why>> {
    let mut marked = BTreeMap::new();
    if paths.is_empty() || !root.join(".git").exists() {
        return Ok(marked);
    }
    let mut input = Vec::new();
    for path in paths {
        input.extend_from_slice(path.to_string_lossy().as_bytes());
        input.push(0);
    }
    let sh = session.shell();
    let cmd = sh
        .cmd("git")
        .arg("-C")
        .arg(root)
        .args(["check-attr", "-z", "--stdin"])
        .args(ATTRIBUTES);
    let finished = session.run_input(cmd, input)?;
    if !finished.success() {
        return Ok(marked);
    }
    let fields: Vec<&str> = finished.stdout.split('\0').collect();
    for triple in fields.chunks(3) {
        if let [path, attribute, value] = triple
            && (*value == "set" || *value == "true")
        {
            marked.insert((*path).to_string(), format!(".gitattributes {attribute}"));
        }
    }
    Ok(marked)
}

/// Says what was left out: how many files, under which directories, and why.
pub fn report(session: &mut Session, left_out: &[(PathBuf, Why)]) {
    if left_out.is_empty() {
        return;
    }
    let mut groups: BTreeMap<(String, &str), usize> = BTreeMap::new();
    for (path, why) in left_out {
        let shown = path.to_string_lossy().replace('\\', "/");
        let top = match shown.split_once('/') {
            Some((dir, _)) => format!("{dir}/"),
            None => shown.clone(),
        };
        *groups.entry((top, why.as_str())).or_default() += 1;
    }
    let listed: Vec<String> = groups
        .iter()
        .map(|((top, why), n)| format!("{top} ({n}, {why})"))
        .collect();
    session.message(
        Severity::Notice,
        format!(
            "not scanned, as vendored or generated: {} file(s) in {}",
            left_out.len(),
            listed.join(", ")
        ),
    );
}

/// Drops the findings in files left out (for scans of added lines, where the files are known
/// only from the diff); returns what was left out, for [`report`].
pub fn drop_findings(
    session: &mut Session,
    root: &Path,
    config: &SecretsConfig,
    findings: &mut Vec<crate::Finding>,
) -> Result<Vec<(PathBuf, Why)>> {
    let mut paths: Vec<PathBuf> = findings.iter().map(|f| PathBuf::from(&f.path)).collect();
    paths.sort();
    paths.dedup();
    let (_, left_out) = partition(session, root, config, paths)?;
    findings.retain(|f| !left_out.iter().any(|(p, _)| *p == Path::new(&f.path)));
    Ok(left_out)
}
