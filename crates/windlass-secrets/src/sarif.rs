//! SARIF 2.1.0 output, for GitHub code scanning (`github/codeql-action/upload-sarif`).

use crate::Finding;
use crate::rules::RULES;
use serde_json::{Value, json};

/// The SARIF log of a scan.
pub fn log(findings: &[Finding]) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": { "text": r.description },
                "defaultConfiguration": { "level": "error" },
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            json!({
                "ruleId": f.rule,
                "ruleIndex": RULES.iter().position(|r| r.id == f.rule),
                "level": "error",
                "message": { "text": format!("possible {}: {}", f.description, f.redacted) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": f.path },
                        "region": { "startLine": f.line, "startColumn": f.column },
                    }
                }],
                "partialFingerprints": { "windlass/v1": f.fingerprint },
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": { "name": "windlass-secrets", "informationUri": "https://crates.io/crates/windlass", "rules": rules } },
            "results": results,
        }],
    })
}
