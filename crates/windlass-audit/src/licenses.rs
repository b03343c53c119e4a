//! Licence policy: every package's declared SPDX expression evaluated against `allow` plus
//! its crate's exceptions, as cargo-deny does (`MIT/Apache-2.0` read as `MIT OR Apache-2.0`).

use crate::policy::LicensePolicy;
use spdx::{Expression, ParseMode};

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
        .find(|c| applies(&c.name, &c.version))
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
        });
        assert_eq!(check(&p, &file_only), None);
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
