//! The JSON reporter: one document on stdout when the run ends (`--format json`).
//!
//! The layout is `windlass.report/v1`, documented in `docs/json-report.md`; fields are only
//! ever added within a version. `--list` and `--dry-run` print a `windlass.plan/v1` document.

use super::Reporter;
use crate::event::{Event, PlannedStep};
use serde::Serialize;
use std::io::Write;

/// Prints the report as JSON.
pub struct JsonReporter {
    out: Box<dyn Write + Send>,
}

impl JsonReporter {
    /// Writes to `out` (stdout).
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        Self { out }
    }

    /// Prints `value` with every string in it redacted (a secret in a diff or a URL's
    /// password reaches no script either).
    fn print(&mut self, value: &impl Serialize) {
        let Ok(mut value) = serde_json::to_value(value) else {
            return;
        };
        redact_strings(&mut value);
        if let Ok(text) = serde_json::to_string_pretty(&value) {
            let _ = writeln!(self.out, "{text}");
            let _ = self.out.flush();
        }
    }
}

#[derive(Serialize)]
struct Plan<'a> {
    schema: &'static str,
    steps: &'a [PlannedStep],
}

impl Reporter for JsonReporter {
    fn event(&mut self, event: &Event) {
        match event {
            Event::RunFinished(report) => self.print(report),
            Event::Plan(steps) => self.print(&Plan {
                schema: "windlass.plan/v1",
                steps,
            }),
            _ => {}
        }
    }
}

/// Redacts every string of `value` in place.
pub fn redact_strings(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(text) => {
            if let std::borrow::Cow::Owned(redacted) = crate::sanitize::redact(text) {
                *text = redacted;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_strings),
        serde_json::Value::Object(map) => map.values_mut().for_each(redact_strings),
        _ => {}
    }
}
