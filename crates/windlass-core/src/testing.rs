//! What a task crate's own unit tests run a step with: a real session (real processes, in a
//! directory of the test's) whose reporter records every event, so that a test asserts on
//! the findings and messages a step reported, without the command line around it.

use crate::event::{Diagnostic, Event};
use crate::report::Reporter;
use crate::runner::Runner;
use crate::session::Session;
use crate::workspace::Workspace;
use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

/// The events a [`recording`] session reported.
#[derive(Debug, Clone, Default)]
pub struct Recorded(Rc<RefCell<Vec<Event>>>);

impl Recorded {
    /// Every event, in order.
    pub fn events(&self) -> Vec<Event> {
        self.0.borrow().clone()
    }

    /// Every finding.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Diagnostic(d) => Some(d),
                _ => None,
            })
            .collect()
    }

    /// Every message's text.
    pub fn messages(&self) -> Vec<String> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Message { text, .. } => Some(text),
                _ => None,
            })
            .collect()
    }
}

struct Recorder(Recorded);

impl Reporter for Recorder {
    fn event(&mut self, event: &Event) {
        self.0.0.borrow_mut().push(event.clone());
    }
}

/// A session whose commands run in `dir`, without colour, and what it reports.
pub fn recording(dir: &Path) -> (Session, Recorded) {
    let recorded = Recorded::default();
    let runner = Runner::new(dir, true).expect("a runner in the test's directory");
    let session = Session::new(runner, Box::new(Recorder(recorded.clone())), false);
    (session, recorded)
}

/// A directory as a workspace (no Cargo manifest needed) and a recording session in it.
pub fn detached(dir: &Path) -> (Workspace, Session, Recorded) {
    let (mut session, recorded) = recording(dir);
    let ws = Workspace::detached(&mut session, dir);
    (ws, session, recorded)
}

/// A workspace whose root manifest is `manifest` (written to `dir/Cargo.toml`, config and
/// all), and a recording session in it: for a step that reads its section.
pub fn configured(dir: &Path, manifest: &str) -> (Workspace, Session, Recorded) {
    std::fs::write(dir.join("Cargo.toml"), manifest).expect("the test's manifest is written");
    let (mut session, recorded) = recording(dir);
    let ws = Workspace::discover(&mut session, Some(&dir.join("Cargo.toml")))
        .expect("the test's manifest is a workspace");
    (ws, session, recorded)
}

/// The lines of `output` the GitHub runner would execute as workflow commands: those
/// starting with `::` (or holding `##[`) outside a `::stop-commands::` block. Written from
/// the runner's rules, apart from the sanitizer's own test, so that tests check one with the
/// other.
pub fn live_workflow_commands(output: &str) -> Vec<String> {
    let mut stopped: Option<String> = None;
    let mut live = Vec::new();
    for line in output.lines() {
        let trimmed = line.trim_start();
        if let Some(token) = &stopped {
            if trimmed == format!("::{token}::") {
                stopped = None;
            }
            continue;
        }
        if let Some(token) = trimmed.strip_prefix("::stop-commands::") {
            stopped = Some(token.to_string());
            continue;
        }
        if trimmed.starts_with("::") || line.contains("##[") {
            live.push(line.to_string());
        }
    }
    live
}

/// Codes for tests of reporters and pipelines, which need a diagnostic of some code.
pub mod codes {
    crate::declare_codes! {
        owner: "tests";
        codes {
            /// A finding made up by a test.
            EXAMPLE = "example";
        }
        families {
            /// A finding made up by a test, by its id.
            EXAMPLE_ID = "<id>";
        }
    }
}
