//! The text output of the libtest harness (`cargo test`), which has no stable JSON form.

use super::{Failure, Tally};

/// Collects results from `test NAME ... ok|FAILED|ignored` lines and each failure's
/// `---- NAME stdout ----` section.
#[derive(Debug, Default)]
pub struct Parser {
    tally: Tally,
    failed_names: Vec<String>,
    section: Option<(String, String)>,
}

impl Parser {
    /// Reads one stdout line.
    pub fn line(&mut self, raw: &str) {
        let line = crate::text::strip_ansi(raw);
        if let Some(rest) = line.strip_prefix("---- ")
            && let Some(name) = rest.strip_suffix(" stdout ----")
        {
            self.close_section();
            self.section = Some((name.to_string(), String::new()));
            return;
        }
        if let Some((_, output)) = &mut self.section {
            if line == "failures:" || line.starts_with("test result:") {
                self.close_section();
            } else {
                output.push_str(&line);
                output.push('\n');
                return;
            }
        }
        let Some(rest) = line.strip_prefix("test ") else {
            return;
        };
        let Some((name, result)) = rest.rsplit_once(" ... ") else {
            return;
        };
        match result.trim() {
            "ok" => self.tally.passed += 1,
            "FAILED" => self.failed_names.push(name.to_string()),
            r if r.starts_with("ignored") => self.tally.ignored += 1,
            _ => {}
        }
    }

    fn close_section(&mut self) {
        if let Some((name, output)) = self.section.take() {
            self.tally.failed.push(Failure {
                binary: None,
                name,
                output,
            });
        }
    }

    /// The results; a test reported FAILED without an output section still counts.
    pub fn finish(mut self) -> Tally {
        self.close_section();
        for name in self.failed_names {
            if !self.tally.failed.iter().any(|f| f.name == name) {
                self.tally.failed.push(Failure {
                    binary: None,
                    name,
                    output: String::new(),
                });
            }
        }
        self.tally
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_results_and_failure_sections() {
        let out = "\nrunning 3 tests\ntest tests::ok ... ok\ntest tests::bad ... FAILED\ntest tests::later ... ignored, slow\n\nfailures:\n\n---- tests::bad stdout ----\n\nthread 'tests::bad' panicked at src/lib.rs:4:24:\nboom\n\n\nfailures:\n    tests::bad\n\ntest result: FAILED. 1 passed; 1 failed; 1 ignored\n";
        let mut p = Parser::default();
        out.lines().for_each(|l| p.line(l));
        let t = p.finish();
        assert_eq!((t.passed, t.ignored, t.failed.len()), (1, 1, 1));
        assert_eq!(t.failed[0].name, "tests::bad");
        assert!(t.failed[0].output.contains("panicked at src/lib.rs:4:24:"));
    }

    #[test]
    fn doctest_names_keep_their_spaces() {
        let mut p = Parser::default();
        p.line("test src/lib.rs - add (line 3) ... FAILED");
        let t = p.finish();
        assert_eq!(t.failed[0].name, "src/lib.rs - add (line 3)");
    }
}
