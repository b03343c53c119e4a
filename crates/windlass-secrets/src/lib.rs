//! windlass's secret scanner.
//!
//! One engine ([`scan_text`] over [`rules`]) serves three sources: the files of the tree
//! (`secrets --all`), the lines that commits add (`secrets --since REV`, `--history`) and the
//! lines that a commit is about to add (the pre-commit hook). A finding never carries the
//! secret, only where it is, which rule matched and its first four characters.
//!
//! Suppression: `windlass:allow-secret` on the line, or the finding's fingerprint
//! (`path:rule:line-hash`, stable when lines move) in `.windlass-secrets-ignore`.

pub mod codes;
pub mod diff;
pub mod exclude;
pub mod files;
pub mod ignore;
pub mod rules;
pub mod sarif;
pub mod task;
mod text;

use serde_json::json;
use windlass_core::{Diagnostic, Severity};

/// The inline marker that suppresses findings on its line.
pub const ALLOW_MARKER: &str = "windlass:allow-secret";

/// A secret found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule's id.
    pub rule: &'static str,
    /// What the rule finds.
    pub description: &'static str,
    /// The file, relative to the repository root, `/`-separated.
    pub path: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column (in characters).
    pub column: u32,
    /// The secret, redacted: its first four characters and its length.
    pub redacted: String,
    /// `path:rule:line-hash`, for `.windlass-secrets-ignore`.
    pub fingerprint: String,
    /// The commit that added it (history scans).
    pub commit: Option<String>,
}

impl Finding {
    /// As a diagnostic of `step`.
    pub fn to_diagnostic(&self, step: &str) -> Diagnostic {
        let commit = self
            .commit
            .as_deref()
            .map(|c| format!(" (added in commit {})", &c[..c.len().min(12)]))
            .unwrap_or_default();
        let message = format!(
            "possible {}: `{}`{commit}\nremove it (and rotate it: it may already be copied), or if it is not a secret add `{ALLOW_MARKER}` on the line or `{}` to .windlass-secrets-ignore",
            self.description, self.redacted, self.fingerprint
        );
        Diagnostic::new(
            step,
            Severity::Error,
            crate::codes::RULE.member(self.rule),
            message,
        )
        .at(self.path.clone(), Some(self.line), Some(self.column))
        .details(json!({
            "rule": self.rule,
            "redacted": self.redacted,
            "fingerprint": self.fingerprint,
            "commit": self.commit,
        }))
    }
}

/// Scans `text` (the whole file, or the added lines of one file given with their numbers)
/// and returns its findings; `path` is used for fingerprints.
pub fn scan_lines<'a>(
    path: &str,
    lines: impl Iterator<Item = (u32, &'a str)>,
    out: &mut Vec<Finding>,
) {
    let lines: Vec<(u32, &str)> = lines.collect();
    for (i, &(number, line)) in lines.iter().enumerate() {
        let next = lines
            .get(i + 1)
            .filter(|(n, _)| *n == number + 1)
            .map(|(_, l)| *l);
        scan_one(path, number, line, next, out);
    }
    scan_continuations(path, &lines, out);
}

/// A value split over lines by a shell's `\` continuation (`KEY=abc\` then `def`), scanned
/// as the shell reads it — joined — and reported at its first line; what a single line shows
/// already is left to the line scan.
fn scan_continuations(path: &str, lines: &[(u32, &str)], out: &mut Vec<Finding>) {
    let mut i = 0;
    while i < lines.len() {
        let (first, line) = lines[i];
        if !line.trim_end().ends_with('\\') || line.contains(ALLOW_MARKER) {
            i += 1;
            continue;
        }
        let mut joined = String::new();
        let mut j = i;
        loop {
            let (number, text) = lines[j];
            let trimmed = text.trim_end();
            let part = if j == i {
                trimmed
            } else {
                trimmed.trim_start()
            };
            let continues =
                part.ends_with('\\') && lines.get(j + 1).is_some_and(|(n, _)| *n == number + 1);
            joined.push_str(part.strip_suffix('\\').unwrap_or(part));
            if !continues || joined.len() > 4096 {
                break;
            }
            j += 1;
        }
        if j > i {
            let mut joined_findings = Vec::new();
            scan_one(path, first, &joined, None, &mut joined_findings);
            for finding in joined_findings {
                let seen_alone = out
                    .iter()
                    .any(|f| f.rule == finding.rule && f.line >= first && f.line <= lines[j].0);
                if !seen_alone {
                    out.push(finding);
                }
            }
        }
        i = j + 1;
    }
}

/// The findings of one line (`next` is the one after it, for rules that span two), reported
/// at line `number`.
fn scan_one(path: &str, number: u32, line: &str, next: Option<&str>, out: &mut Vec<Finding>) {
    let mut hits = Vec::new();
    if line.contains(ALLOW_MARKER) || !worth_scanning(line) {
        return;
    }
    rules::scan_line(line, next, &mut hits);
    for hit in &hits {
        let secret = &line[hit.start..hit.end];
        out.push(Finding {
            rule: hit.rule.id,
            description: hit.rule.description,
            path: path.to_string(),
            line: number,
            column: u32::try_from(line[..hit.start].chars().count() + 1).unwrap_or(u32::MAX),
            redacted: text::redact(secret),
            fingerprint: ignore::fingerprint(path, hit.rule.id, line),
            commit: None,
        });
    }
}

/// Scans a whole file's text.
pub fn scan_text(path: &str, text: &str, out: &mut Vec<Finding>) {
    scan_lines(
        path,
        text.lines()
            .enumerate()
            .map(|(i, l)| (u32::try_from(i + 1).unwrap_or(u32::MAX), l)),
        out,
    );
}

/// A cheap first look: every rule needs a run of at least 16 characters without spaces, a
/// `://`, a PEM header or a mnemonic's name; most lines of code have none of these.
fn worth_scanning(line: &str) -> bool {
    let mut run = 0;
    for b in line.bytes() {
        if b.is_ascii_whitespace() || b == b'(' || b == b')' || b == b';' || b == b',' {
            run = 0;
        } else {
            run += 1;
            if run >= 16 {
                return true;
            }
        }
    }
    line.contains("://")
        || line.contains("-----BEGIN ")
        || line.contains("nemonic")
        || line.contains("eed phrase")
        || line.contains("eed_phrase")
        || line.contains("eedPhrase")
}

/// `text` with every secret the rules recognise replaced by its redacted form (first four
/// characters and length), or `None` when it holds none: what every reporter applies to
/// what it shows (a workflow's diff, an error quoting a config value), installed by the
/// stock command line ([`windlass_core::sanitize::install_redactor`]).
pub fn redact_text(text: &str) -> Option<String> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out: Option<Vec<String>> = None;
    let mut hits = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if !worth_scanning(line) {
            continue;
        }
        hits.clear();
        rules::scan_line(line, lines.get(i + 1).copied(), &mut hits);
        if hits.is_empty() {
            continue;
        }
        hits.sort_by_key(|h| h.start);
        let mut redacted = String::with_capacity(line.len());
        let mut at = 0;
        for hit in &hits {
            if hit.start < at {
                continue;
            }
            redacted.push_str(&line[at..hit.start]);
            redacted.push_str(&format!(
                "[redacted {}]",
                text::redact(&line[hit.start..hit.end])
            ));
            at = hit.end;
        }
        redacted.push_str(&line[at..]);
        out.get_or_insert_with(|| lines.iter().map(|l| (*l).to_string()).collect())[i] = redacted;
    }
    out.map(|lines| lines.join("\n"))
}

/// Whether a waiver id is a finding's fingerprint (`path:rule:hash`), which the secrets scan
/// owns; the audit owns the others.
pub fn is_fingerprint(id: &str) -> bool {
    let mut parts = id.rsplitn(3, ':');
    let (Some(hash), Some(rule), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !path.is_empty() && rules::rule(rule).is_some() && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Takes out of `findings` those an active waiver accepts, with the waiver.
pub fn waive<'w>(
    findings: &mut Vec<Finding>,
    waivers: &'w windlass_core::waivers::Waivers,
) -> Vec<(Finding, &'w windlass_core::waivers::Waiver)> {
    let mut waived = Vec::new();
    findings.retain(|f| match waivers.waives(&[f.fingerprint.as_str()]) {
        Some(waiver) => {
            waived.push((f.clone(), waiver));
            false
        }
        None => true,
    });
    waived
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_split_by_a_shell_continuation_is_found_at_its_first_line() {
        let first = "export AWS_SECRET_ACCESS_KEY=wJalrXUtnF\\"; // windlass:allow-secret
        let mut alone = Vec::new();
        scan_text("deploy.sh", first, &mut alone);
        assert!(alone.is_empty(), "neither line alone shows it: {alone:?}");
        let text = format!("#!/bin/sh\n{first}\n    EMI/K7MDENG/bPxRfiCYzq8Zr2XvM7kP\ncargo run\n");
        let mut found = Vec::new();
        scan_text("deploy.sh", &text, &mut found);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].line, 2);
        // A continuation whose first line already shows the key is not reported twice.
        let text = "API_KEY=q8Zr2XvM7kPt1WlN4bYc9HsD \\\n  --verbose\n"; // windlass:allow-secret
        let mut found = Vec::new();
        scan_text("run.sh", text, &mut found);
        assert_eq!(found.len(), 1, "{found:?}");
    }

    #[test]
    fn the_allow_marker_suppresses_its_line_only() {
        let key = format!("AKIA{}", "Q7ZR2XV7MK4PT1WL");
        let text = format!("a = \"{key}\" // {ALLOW_MARKER}\nb = \"{key}\"\n");
        let mut out = Vec::new();
        scan_text("x.rs", &text, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].line, out[0].column), (2, 6));
        assert_eq!(out[0].redacted, "AKIA… (20 chars)");
        assert!(
            !format!("{out:?}").contains(&key),
            "the secret is never kept"
        );
    }
}

#[cfg(test)]
mod redaction {
    #[test]
    fn secrets_in_shown_text_are_redacted() {
        // windlass:allow-secret (a test literal)
        let key = ["wJalrXUtnFEMI", "/K7MDENG/bPxRfiCYzq8Ht3kLp2"].concat();
        let text = format!("+  aws_secret_access_key: {key}\n   unchanged line");
        let shown = super::redact_text(&text).expect("a secret");
        assert!(!shown.contains(&key), "{shown}");
        assert!(shown.contains("[redacted wJal"), "{shown}");
        assert!(shown.ends_with("\n   unchanged line"));
        assert_eq!(super::redact_text("nothing here"), None);
    }

    #[test]
    fn a_findings_fingerprint_is_shown_whole_and_a_secret_beside_it_is_not() {
        // The hash a `private-key` finding gets for a PEM header: the generic rule reads it
        // as the key's value.
        let hint =
            "add `tests/data/key_ec.pem:private-key:c34865b0f82f25a8` to .windlass-secrets-ignore";
        assert_eq!(super::redact_text(hint), None);
        let key = ["wJalrXUtnFEMI", "/K7MDENG/bPxRfiCYzq8Ht3kLp2"].concat();
        let both = format!("a.pem:private-key:c34865b0f82f25a8 aws_secret_access_key: {key}");
        let shown = super::redact_text(&both).expect("a secret");
        assert!(
            shown.starts_with("a.pem:private-key:c34865b0f82f25a8 "),
            "{shown}"
        );
        assert!(!shown.contains(&key), "{shown}");
        // Not a rule of windlass's, or not a hash's shape: judged as any other text.
        for text in [
            "x:private-key-ish:c34865b0f82f25a8", // windlass:allow-secret
            "tests/a.pem:private-key:c34865b0f82f25a8ff", // windlass:allow-secret
        ] {
            assert!(super::redact_text(text).is_some(), "{text}");
        }
    }
}
