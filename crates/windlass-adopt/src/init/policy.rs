//! The `deny.toml` init writes: derived from the licences the project's resolved graph uses,
//! so that `audit` — and `cargo deny check licenses` with the same file — passes on a
//! repository whose only problems are real ones. The usual permissive licences are allowed;
//! each other licence a package needs is added, the cheapest choice of an `OR` first; the
//! workspace's own licences are allowed as cargo-deny checks them too, and a copyleft licence
//! is listed on its own with the packages that bring it, for a reviewer to see.

use cargo_metadata::Metadata;
use spdx::{Expression, Licensee, ParseMode};
use std::collections::{BTreeMap, BTreeSet};

/// What is allowed before the graph is read.
const PERMISSIVE: &[&str] = &[
    "Apache-2.0",
    "Apache-2.0 WITH LLVM-exception",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "ISC",
    "MIT",
    "MPL-2.0",
    "Unicode-3.0",
    "Zlib",
];

/// The licence policy for the graph of `metadata`.
pub fn deny_toml(metadata: Option<&Metadata>) -> String {
    let mut allowed: Vec<String> = PERMISSIVE.iter().map(|s| (*s).to_string()).collect();
    // Added licence → the packages that needed it.
    let mut added: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut unknown: BTreeSet<String> = BTreeSet::new();
    if let Some(metadata) = metadata {
        let members: BTreeSet<_> = metadata.workspace_members.iter().collect();
        let mut packages: Vec<_> = metadata.packages.iter().collect();
        packages.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
        for package in packages {
            let own = members.contains(&package.id);
            // The project's own xtask brings windlass's graph, which is not the project's.
            if own && package.name.as_str() == "xtask" {
                continue;
            }
            let Some(text) = package.license.as_deref() else {
                if !own {
                    unknown.insert(package.name.to_string());
                }
                continue;
            };
            let Ok(expression) = Expression::parse_mode(text, ParseMode::LAX) else {
                unknown.insert(package.name.to_string());
                continue;
            };
            for id in needed(&expression, &allowed) {
                added
                    .entry(id.clone())
                    .or_default()
                    .insert(package.name.to_string());
                allowed.push(id);
            }
        }
    }
    render(&added, &unknown)
}

/// What must be added to `allowed` for `expression` to pass: nothing when it does; else one
/// licence of an `OR` that makes it pass (permissive before copyleft), else all it names.
fn needed(expression: &Expression, allowed: &[String]) -> Vec<String> {
    let licensees: Vec<Licensee> = allowed
        .iter()
        .filter_map(|a| Licensee::parse(a).ok())
        .collect();
    let passes = |extra: &[Licensee]| {
        expression.evaluate(|req| licensees.iter().chain(extra).any(|l| l.satisfies(req)))
    };
    if passes(&[]) {
        return Vec::new();
    }
    let mut names: Vec<(bool, String)> = expression
        .requirements()
        .map(|r| {
            let copyleft = r.req.license.id().is_some_and(|id| id.is_copyleft());
            (copyleft, r.req.to_string())
        })
        .collect();
    names.sort();
    names.dedup();
    for (_, name) in &names {
        if let Ok(one) = Licensee::parse(name)
            && passes(std::slice::from_ref(&one))
        {
            return vec![name.clone()];
        }
    }
    names.into_iter().map(|(_, name)| name).collect()
}

fn render(added: &BTreeMap<String, BTreeSet<String>>, unknown: &BTreeSet<String>) -> String {
    let mut text = String::from(
        "# The dependency policy, read by `cargo xtask audit` and by cargo-deny.\n\n\
         [advisories]\n\
         # Reviewed advisories that do not affect this project: { id = \"RUSTSEC-YYYY-NNNN\", reason = \"...\" }.\n\
         ignore = []\n\n\
         [licenses]\n\
         confidence-threshold = 0.93\n\
         allow = [\n",
    );
    for license in PERMISSIVE {
        text.push_str(&format!("    \"{license}\",\n"));
    }
    let is_copyleft = |license: &str| {
        spdx::license_id(license.split(' ').next().unwrap_or(license))
            .is_some_and(|id| id.is_copyleft())
    };
    let (copyleft, other): (Vec<_>, Vec<_>) =
        added.iter().partition(|(license, _)| is_copyleft(license));
    for (license, by) in other {
        text.push_str(&format!(
            "    \"{license}\", # {}\n",
            by.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    for (license, by) in copyleft {
        text.push_str(&format!(
            "    # copyleft, review its obligations: {}\n    \"{license}\",\n",
            by.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    text.push_str("]\n");
    if !unknown.is_empty() {
        text.push_str(&format!(
            "# Without an SPDX licence (a `license-file`, or an expression that does not parse): {}.\n\
             # Clarify each with [[licenses.clarify]] once its licence file is read.\n",
            unknown.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr(text: &str) -> Expression {
        Expression::parse_mode(text, ParseMode::LAX).unwrap()
    }

    #[test]
    fn the_cheapest_licence_of_an_or_is_added_and_only_when_needed() {
        let allowed: Vec<String> = PERMISSIVE.iter().map(|s| (*s).to_string()).collect();
        assert!(needed(&expr("MIT OR Apache-2.0"), &allowed).is_empty());
        assert_eq!(needed(&expr("0BSD"), &allowed), ["0BSD"]);
        assert_eq!(
            needed(&expr("Unlicense OR GPL-3.0-only"), &allowed),
            ["Unlicense"]
        );
        assert_eq!(
            needed(&expr("CDLA-Permissive-2.0 AND Unlicense"), &allowed),
            ["CDLA-Permissive-2.0", "Unlicense"]
        );
    }

    #[test]
    fn copyleft_is_listed_apart_with_who_brings_it() {
        let mut added = BTreeMap::new();
        added.insert(
            "GPL-3.0-only".to_string(),
            BTreeSet::from(["svc".to_string()]),
        );
        added.insert("0BSD".to_string(), BTreeSet::from(["adler".to_string()]));
        let text = render(&added, &BTreeSet::new());
        assert!(text.contains("    \"0BSD\", # adler\n"), "{text}");
        assert!(
            text.contains("    # copyleft, review its obligations: svc\n    \"GPL-3.0-only\",\n"),
            "{text}"
        );
        let doc: toml::Table = text.parse().unwrap();
        assert_eq!(
            doc["licenses"]["allow"].as_array().unwrap().len(),
            PERMISSIVE.len() + 2
        );
    }
}
