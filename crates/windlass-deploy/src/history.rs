//! `deploy --history`: an environment's releases as its ledger records them.

use crate::ledger::Ledger;

/// `deploy --history`: every release the ledger records, newest first, with its verdict.
pub fn history(ledger: &Ledger, live: Option<&str>) -> String {
    if ledger.releases.is_empty() {
        return "no releases recorded yet".into();
    }
    let mut rows = vec![[
        "release".to_string(),
        "version".into(),
        "commit".into(),
        "verdict".into(),
        "decided".into(),
        "notes".into(),
    ]];
    for e in ledger.releases.iter().rev() {
        let mut notes = Vec::new();
        if Some(e.id.as_str()) == live {
            notes.push("live".to_string());
        }
        if e.baked {
            notes.push("baked".into());
        }
        if let Some(from) = &e.promoted_from {
            notes.push(format!("promoted from {from}"));
        }
        if e.pruned {
            notes.push("pruned".into());
        }
        notes.extend(e.reasons.iter().take(1).cloned());
        rows.push([
            e.id.clone(),
            e.version.clone(),
            e.commit.chars().take(12).collect(),
            e.verdict.as_str().into(),
            e.decided.clone(),
            notes.join("; "),
        ]);
    }
    let widths: Vec<usize> = (0..6)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    rows.iter()
        .map(|r| {
            r.iter()
                .zip(&widths)
                .map(|(cell, w)| format!("{cell:<w$}"))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}
