//! nextest's `--message-format libtest-json`: one JSON event per line.

use super::{Failure, Tally};
use serde::Deserialize;

#[derive(Deserialize)]
struct Line {
    #[serde(rename = "type")]
    kind: String,
    event: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    stdout: Option<String>,
}

/// Collects test results line by line.
#[derive(Debug, Default)]
pub struct Parser {
    tally: Tally,
}

impl Parser {
    /// Reads one stdout line; anything that is not a test event is ignored.
    pub fn line(&mut self, line: &str) {
        // Passes are most of a run: counted from their fixed prefix, without a full parse.
        if line.starts_with(r#"{"type":"test","event":"ok""#) {
            self.tally.passed += 1;
            return;
        }
        if line.starts_with(r#"{"type":"test","event":"started""#) {
            return;
        }
        let Ok(event) = serde_json::from_str::<Line>(line) else {
            return;
        };
        if event.kind != "test" {
            return;
        }
        match event.event.as_str() {
            "ok" => self.tally.passed += 1,
            "ignored" => self.tally.ignored += 1,
            "failed" | "timeout" => {
                let full = event.name.unwrap_or_default();
                // nextest names a test `<binary id>$<test path>`.
                let (binary, name) = match full.split_once('$') {
                    Some((binary, name)) => (Some(binary.to_string()), name.to_string()),
                    None => (None, full),
                };
                self.tally.failed.push(Failure {
                    binary,
                    name,
                    output: event.stdout.unwrap_or_default(),
                });
            }
            _ => {}
        }
    }

    /// The results.
    pub fn finish(self) -> Tally {
        self.tally
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_names_failures() {
        let mut p = Parser::default();
        for line in [
            r#"{"type":"suite","event":"started","test_count":3}"#,
            r#"{"type":"test","event":"started","name":"nx::nx$tests::ok"}"#,
            r#"{"type":"test","event":"ok","name":"nx::nx$tests::ok","exec_time":0.01}"#,
            r#"{"type":"test","event":"ignored","name":"nx::nx$tests::later"}"#,
            r#"{"type":"test","event":"failed","name":"nx::nx$tests::bad","stdout":"panicked at src/lib.rs:4:24:\nboom\n"}"#,
            "not json",
        ] {
            p.line(line);
        }
        let t = p.finish();
        assert_eq!((t.passed, t.ignored, t.failed.len()), (1, 1, 1));
        assert_eq!(t.failed[0].binary.as_deref(), Some("nx::nx"));
        assert_eq!(t.failed[0].name, "tests::bad");
        assert!(t.failed[0].output.contains("boom"));
    }
}
