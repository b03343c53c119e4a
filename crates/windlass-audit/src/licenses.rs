//! Licence policy: every package's declared SPDX expression evaluated against `allow` plus
//! its crate's exceptions, as cargo-deny does (`MIT/Apache-2.0` read as `MIT OR Apache-2.0`).

use crate::policy::{Clarification, LicensePolicy};
use spdx::{Expression, ParseMode};
use std::path::Path;

/// A package to check.
#[derive(Debug, Clone)]
pub struct Declared<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its version.
    pub version: String,
    /// Its `license` field.
    pub license: Option<&'a str>,
    /// Whether it has a `license-file` instead.
    pub license_file: bool,
    /// Its source directory, where a clarification's licence files are read.
    pub dir: Option<&'a Path>,
}

/// cargo-deny's hash of a licence file: xxHash32 of its text with every line ending made a
/// plain `\n` (a last line without one gets one), so that a checkout's line endings do not
/// matter.
pub fn license_file_hash(content: &[u8]) -> u32 {
    let mut normalized = Vec::with_capacity(content.len() + 1);
    for line in content.split_inclusive(|b| *b == b'\n') {
        let end = line
            .iter()
            .rposition(|b| *b != b'\r' && *b != b'\n')
            .map_or(0, |i| i + 1);
        normalized.extend_from_slice(&line[..end]);
        normalized.push(b'\n');
    }
    twox_hash::XxHash32::oneshot(0, &normalized)
}

/// Whether a clarification still describes the package: every licence file it names is
/// there, with the hash it was written for. A clarification without files always applies.
fn clarification_holds(clarification: &Clarification, dir: Option<&Path>) -> bool {
    clarification.license_files.iter().all(|(path, hash)| {
        dir.and_then(|d| std::fs::read(d.join(path)).ok())
            .is_some_and(|content| license_file_hash(&content) == *hash)
    })
}

/// Why a package fails the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Its expression cannot be satisfied by the allowed licences; the parts that fail.
    NotAllowed {
        /// The expression evaluated.
        expression: String,
        /// The licences in it that are not allowed.
        refused: Vec<String>,
    },
    /// It declares no SPDX expression (none, or only a licence file).
    Unknown {
        /// Whether it has a licence file.
        license_file: bool,
    },
    /// Its expression is not valid SPDX.
    Invalid {
        /// The expression.
        expression: String,
        /// The parser's complaint.
        reason: String,
    },
}

/// Checks one package; `None` when it passes.
pub fn check(policy: &LicensePolicy, package: &Declared<'_>) -> Option<Problem> {
    let applies = |name: &str, version: &Option<String>| {
        name == package.name && version.as_ref().is_none_or(|v| *v == package.version)
    };
    let clarified = policy
        .clarify
        .iter()
        .find(|c| applies(&c.name, &c.version) && clarification_holds(c, package.dir))
        .map(|c| c.expression.as_str());
    let Some(text) = clarified.or(package.license) else {
        return Some(Problem::Unknown {
            license_file: package.license_file,
        });
    };
    let expression = match Expression::parse_mode(text, ParseMode::LAX) {
        Ok(expression) => expression,
        Err(err) => {
            return Some(Problem::Invalid {
                expression: text.to_string(),
                reason: err.reason.to_string(),
            });
        }
    };
    let extra: Vec<_> = policy
        .exceptions
        .iter()
        .filter(|e| applies(&e.name, &e.version))
        .flat_map(|e| e.allow.iter())
        .collect();
    let allowed = |req: &spdx::LicenseReq| {
        policy
            .allow
            .iter()
            .chain(extra.iter().copied())
            .any(|l| l.satisfies(req))
    };
    match expression.evaluate_with_failures(allowed) {
        Ok(()) => None,
        Err(failures) => Some(Problem::NotAllowed {
            expression: text.to_string(),
            refused: failures.iter().map(|f| f.req.to_string()).collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Exception;
    use spdx::Licensee;

    fn policy(allow: &[&str]) -> LicensePolicy {
        LicensePolicy {
            allow: allow.iter().map(|a| Licensee::parse(a).unwrap()).collect(),
            ..LicensePolicy::default()
        }
    }

    fn package(license: Option<&str>) -> Declared<'_> {
        Declared {
            name: "x",
            version: "1.0.0".into(),
            license,
            license_file: false,
            dir: None,
        }
    }

    #[test]
    fn an_or_expression_passes_when_one_side_is_allowed() {
        assert_eq!(
            check(&policy(&["MIT"]), &package(Some("MIT OR Apache-2.0"))),
            None
        );
    }

    #[test]
    fn gpl_is_refused_and_named() {
        let problem = check(
            &policy(&["MIT", "Apache-2.0"]),
            &package(Some("GPL-3.0-only")),
        );
        assert_eq!(
            problem,
            Some(Problem::NotAllowed {
                expression: "GPL-3.0-only".into(),
                refused: vec!["GPL-3.0-only".into()]
            })
        );
    }

    #[test]
    fn the_old_slash_syntax_reads_as_or() {
        assert_eq!(
            check(&policy(&["Apache-2.0"]), &package(Some("MIT/Apache-2.0"))),
            None
        );
        assert!(check(&policy(&["ISC"]), &package(Some("MIT/Apache-2.0"))).is_some());
    }

    #[test]
    fn a_missing_licence_is_unknown_unless_clarified() {
        let mut p = policy(&["MIT"]);
        let file_only = Declared {
            license_file: true,
            ..package(None)
        };
        assert_eq!(
            check(&p, &file_only),
            Some(Problem::Unknown { license_file: true })
        );
        p.clarify.push(crate::policy::Clarification {
            name: "x".into(),
            version: None,
            expression: "MIT".into(),
            license_files: Vec::new(),
        });
        assert_eq!(check(&p, &file_only), None);
    }

    #[test]
    fn a_clarification_holds_only_while_its_licence_files_are_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("LICENSE"),
            "Permission is granted\r\nto all.",
        )
        .unwrap();
        let hash = license_file_hash(b"Permission is granted\nto all.\n");
        assert_eq!(
            license_file_hash(b"Permission is granted\r\nto all."),
            hash,
            "line endings do not matter"
        );
        let mut p = policy(&["MIT"]);
        p.clarify.push(crate::policy::Clarification {
            name: "x".into(),
            version: None,
            expression: "MIT".into(),
            license_files: vec![("LICENSE".into(), hash)],
        });
        let declared = Declared {
            dir: Some(dir.path()),
            ..package(Some("GPL-3.0-only"))
        };
        assert_eq!(check(&p, &declared), None);
        // The crate's licence changed since the clarification was written: it no longer
        // applies, and the declared licence is judged.
        std::fs::write(dir.path().join("LICENSE"), "GPL text").unwrap();
        assert!(check(&p, &declared).is_some());
        std::fs::remove_file(dir.path().join("LICENSE")).unwrap();
        assert!(
            check(&p, &declared).is_some(),
            "a missing file does not hold"
        );
    }

    #[test]
    fn an_exception_allows_more_for_its_crate_only() {
        let mut p = policy(&["MIT"]);
        p.exceptions.push(Exception {
            name: "x".into(),
            version: None,
            allow: vec![Licensee::parse("OpenSSL").unwrap()],
        });
        assert_eq!(check(&p, &package(Some("MIT AND OpenSSL"))), None);
        let other = Declared {
            name: "y",
            ..package(Some("MIT AND OpenSSL"))
        };
        assert!(check(&p, &other).is_some());
    }

    #[test]
    fn an_invalid_expression_is_reported() {
        assert!(matches!(
            check(&policy(&["MIT"]), &package(Some("MIT AND AND"))),
            Some(Problem::Invalid { .. })
        ));
    }
}
