//! Fingerprints of reviewed findings, and the `.windlass-secrets-ignore` file that lists them.

use crate::Finding;
use crate::text::fnv1a;
use std::collections::HashSet;
use std::path::Path;

/// The ignore file's name, at the repository root.
pub const IGNORE_FILE: &str = ".windlass-secrets-ignore";

/// `path:rule:hash` where the hash is of the trimmed line: it survives the line moving, and
/// changes when the line (and so perhaps the secret) does.
pub fn fingerprint(path: &str, rule: &str, line: &str) -> String {
    format!("{path}:{rule}:{:016x}", fnv1a(line.trim()))
}

/// The fingerprints listed in the repository's ignore file (none when it is absent).
pub fn load(repo_root: &Path) -> HashSet<String> {
    std::fs::read_to_string(repo_root.join(IGNORE_FILE))
        .unwrap_or_default()
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Drops the findings whose fingerprint is listed; returns how many were dropped.
pub fn apply(findings: &mut Vec<Finding>, ignored: &HashSet<String>) -> usize {
    let before = findings.len();
    findings.retain(|f| !ignored.contains(&f.fingerprint));
    before - findings.len()
}
