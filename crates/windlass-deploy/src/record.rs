//! What a deploy or rollback leaves on record: a line of the deploy log per run (its result
//! and each phase's duration, which `--stats` reads), and the ledger's verdict for each
//! release, saved as soon as it is known.

use crate::engine::Timings;
use crate::ledger::{Ledger, Verdict};
use crate::releases::rfc3339;
use serde_json::json;
use std::path::PathBuf;
use std::time::SystemTime;
use windlass_core::Session;

/// What a deploy log line says of the run it records.
pub(crate) struct Record<'a> {
    pub(crate) kind: &'a str,
    pub(crate) env: &'a str,
    pub(crate) release: &'a str,
    pub(crate) commit: &'a str,
    pub(crate) dirty: bool,
    pub(crate) started: SystemTime,
    pub(crate) log: PathBuf,
    /// When the commit was made (seconds since the epoch): lead time is measured from it.
    pub(crate) commit_time: Option<u64>,
}

impl Record<'_> {
    /// Appends the line: the result, whether it rolled back, and each phase's duration.
    pub(crate) fn write(
        &self,
        timings: &Timings,
        result: &str,
        rolled_back: bool,
        analysis: &[crate::gate::analysis::Evaluation],
    ) {
        let line = json!({
            "kind": self.kind,
            "environment": self.env,
            "release": self.release,
            "commit": self.commit,
            "dirty": self.dirty,
            "start": rfc3339(self.started),
            "durations_ms": timings.json(),
            "total_ms": u64::try_from(self.started.elapsed().unwrap_or_default().as_millis()).unwrap_or(u64::MAX),
            "result": result,
            "rolled_back": rolled_back,
        });
        let mut line = line;
        if !analysis.is_empty() {
            line["analysis"] = serde_json::to_value(analysis).unwrap_or_default();
        }
        if let Some(at) = self.commit_time {
            line["commit_time"] = serde_json::json!(at);
        }
        // The log is a record, not a gate: failing to append must not undo a good deploy.
        let _ = crate::releases::append_line(&self.log, &line);
    }
}

/// The ledger's verdict for a release, saved at once: a deploy killed a moment later still
/// leaves it recorded. Saving can fail (a full disk); the deploy's own outcome stands, and
/// the failure is said.
pub(crate) fn decide(
    session: &mut Session,
    ledger: &mut Ledger,
    id: &str,
    verdict: Verdict,
    reasons: Vec<String>,
) {
    ledger.decide(id, verdict, reasons, &rfc3339(SystemTime::now()));
    save(session, ledger);
}

pub(crate) fn save(session: &mut Session, ledger: &Ledger) {
    if let Err(err) = ledger.save() {
        session.message(
            windlass_core::Severity::Warning,
            format!("the release ledger could not be saved: {err:#}"),
        );
    }
}
