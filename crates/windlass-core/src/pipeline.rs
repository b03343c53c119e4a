//! Steps and the pipeline that runs them.
//!
//! `ci` is a pipeline of several steps; `cargo xtask lint` is a pipeline of one. Either way the
//! user gets the same events, the same final table and the same exit codes: 0 all passed,
//! 1 a step found problems, 2 a step could not run, 130 interrupted.

use crate::error::{EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, Interrupted, UsageError};
use crate::event::{
    Event, PlannedStep, REPORT_SCHEMA, RunReport, Severity, StepRecord, StepStatus,
};
use crate::plan::Plan;
use crate::session::Session;
use crate::workspace::Workspace;
use anyhow::Result;
use std::time::{Duration, Instant};

/// One check or action.
pub trait Step {
    /// Its name, as used by `--skip`, `--only` and the config.
    fn name(&self) -> &str;
    /// What it will run, for `--list` and `--dry-run`. Build it from the same command builder
    /// `run` uses, so that the plan is exactly what runs; an `Err` when no plan can be made
    /// (a missing tool, a bad option) fails the dry run as it would fail the run.
    fn plan(&self, ws: &Workspace, session: &mut Session) -> Result<Plan>;
    /// Runs it. Findings are reported through `session`; the outcome says whether they fail
    /// the step. An `Err` means it could not run at all.
    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome>;
}

/// How a step that ran ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepOutcome {
    /// Whether it found nothing that fails it.
    pub passed: bool,
    /// One line for the table: what it checked or found.
    pub summary: String,
    /// The command that fixes or reproduces a failure.
    pub fix: Option<String>,
}

impl StepOutcome {
    /// Passed, with a summary.
    pub fn passed(summary: impl Into<String>) -> Self {
        Self {
            passed: true,
            summary: summary.into(),
            fix: None,
        }
    }

    /// Failed, with a summary and the command that fixes or reproduces it.
    pub fn failed(summary: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            passed: false,
            summary: summary.into(),
            fix: Some(fix.into()),
        }
    }
}

/// Which steps of a pipeline run, and how.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Run every step even after one fails.
    pub keep_going: bool,
    /// Leave these out.
    pub skip: Vec<String>,
    /// Run only these.
    pub only: Vec<String>,
    /// What left steps out, for the report (default `--skip/--only`).
    pub skipped_by: Option<String>,
}

/// An ordered list of steps.
pub struct Pipeline {
    task: String,
    steps: Vec<Box<dyn Step>>,
}

impl Pipeline {
    /// A pipeline named after the task that runs it.
    pub fn new(task: impl Into<String>, steps: Vec<Box<dyn Step>>) -> Self {
        Self {
            task: task.into(),
            steps,
        }
    }

    /// Its steps.
    pub fn into_steps(self) -> Vec<Box<dyn Step>> {
        self.steps
    }

    /// Whether `selection` would run the step named `name`.
    fn selected(selection: &Selection, name: &str) -> bool {
        !selection.skip.iter().any(|s| s == name)
            && (selection.only.is_empty() || selection.only.iter().any(|s| s == name))
    }

    /// Fails on a `--skip`/`--only` name that is not a step of this pipeline.
    pub fn check(&self, selection: &Selection) -> Result<()> {
        let names: Vec<&str> = self.steps.iter().map(|s| s.name()).collect();
        for name in selection.skip.iter().chain(&selection.only) {
            if !names.contains(&name.as_str()) {
                return Err(
                    UsageError::new(format!("`{name}` is not a step of `{}`", self.task))
                        .hint(format!("the steps are: {}", names.join(", ")))
                        .into(),
                );
            }
        }
        Ok(())
    }

    /// Reports the plan without running anything (`--list`, `--dry-run`).
    pub fn plan(&self, ws: &Workspace, session: &mut Session, selection: &Selection) -> Result<()> {
        self.check(selection)?;
        let mut steps = Vec::new();
        for step in &self.steps {
            let plan = step
                .plan(ws, session)
                .map_err(|err| err.context(format!("cannot plan `{}`", step.name())))?
                .relative_to(&ws.root);
            steps.push(PlannedStep {
                name: step.name().to_string(),
                runs: plan.line(),
                actions: plan,
                selected: Self::selected(selection, step.name()),
            });
        }
        session.emit(Event::Plan(steps));
        Ok(())
    }

    /// Runs the selected steps in order and reports the run; returns the exit code.
    // Long: the pipeline's loop: selection, fail-fast or keep-going, interrupts, and the record of
    // each step; every branch changes the run's one state.
    pub fn run(&self, ws: &Workspace, session: &mut Session, selection: &Selection) -> Result<u8> {
        self.check(selection)?;
        let started = Instant::now();
        let first_diagnostic = session.diagnostics().len();
        let mut records = Vec::new();
        let mut stop_reason: Option<&str> = None;
        let mut interrupted = false;

        for step in &self.steps {
            let name = step.name().to_string();
            if !Self::selected(selection, &name) {
                let by = selection.skipped_by.as_deref().unwrap_or("--skip/--only");
                records.push(skipped(&name, &format!("left out by {by}")));
                continue;
            }
            if let Some(reason) = stop_reason {
                records.push(skipped(&name, reason));
                continue;
            }
            session.emit(Event::StepStarted { name: name.clone() });
            let step_started = Instant::now();
            let result = step.run(ws, session);
            let duration = step_started.elapsed();
            let record = match result {
                Ok(outcome) => StepRecord {
                    name,
                    status: if outcome.passed {
                        StepStatus::Passed
                    } else {
                        StepStatus::Failed
                    },
                    duration,
                    summary: outcome.summary,
                    fix: outcome.fix,
                    failure: None,
                },
                Err(err) if err.chain().any(|c| c.is::<Interrupted>()) => {
                    interrupted = true;
                    stop_reason = Some("not run: interrupted");
                    // What the step says about where it stopped (a release's commit landed,
                    // say) is worth more than the bare word.
                    let text = format!("{err:#}");
                    if text != Interrupted.to_string() {
                        session.message(Severity::Error, text);
                    }
                    StepRecord {
                        name,
                        status: StepStatus::Error,
                        duration,
                        summary: "interrupted".into(),
                        fix: None,
                        failure: Some(crate::error::to_json(&err)),
                    }
                }
                Err(err) => {
                    let text = format!("{err:#}").replace(": \n", ":\n");
                    session.message(Severity::Error, text.clone());
                    StepRecord {
                        name,
                        status: StepStatus::Error,
                        duration,
                        summary: text.lines().next().unwrap_or_default().to_string(),
                        fix: None,
                        failure: Some(crate::error::to_json(&err)),
                    }
                }
            };
            if record.status != StepStatus::Passed && !selection.keep_going && stop_reason.is_none()
            {
                stop_reason =
                    Some("not run: an earlier step failed (--keep-going runs every step)");
            }
            session.emit(Event::StepFinished(record.clone()));
            records.push(record);
        }

        let (status, exit_code) = if interrupted {
            (StepStatus::Error, EXIT_INTERRUPTED)
        } else if records.iter().any(|r| r.status == StepStatus::Error) {
            (StepStatus::Error, EXIT_USAGE)
        } else if records.iter().any(|r| r.status == StepStatus::Failed) {
            (StepStatus::Failed, EXIT_FAILED)
        } else {
            (StepStatus::Passed, EXIT_OK)
        };
        let report = RunReport {
            schema: REPORT_SCHEMA,
            task: self.task.clone(),
            status,
            exit_code,
            duration: started.elapsed(),
            steps: records,
            diagnostics: session.diagnostics()[first_diagnostic..].to_vec(),
        };
        session.emit(Event::RunFinished(report));
        Ok(exit_code)
    }
}

fn skipped(name: &str, reason: &str) -> StepRecord {
    StepRecord {
        name: name.to_string(),
        status: StepStatus::Skipped,
        duration: Duration::ZERO,
        summary: reason.to_string(),
        fix: None,
        failure: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Reporter;
    use crate::runner::Runner;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// What a fake step does when it runs.
    #[derive(Clone, Copy)]
    enum Does {
        Pass,
        Fail,
        Broken,
        Interrupt,
    }

    /// A step that needs no cargo: it records that it ran and ends as told.
    struct Fake {
        name: &'static str,
        does: Does,
        ran: Rc<RefCell<Vec<&'static str>>>,
    }

    impl Step for Fake {
        fn name(&self) -> &str {
            self.name
        }

        fn plan(&self, _ws: &Workspace, _session: &mut Session) -> Result<Plan> {
            match self.does {
                Does::Broken => Err(UsageError::new("no plan without the tool").into()),
                _ => Ok(Plan::describe(format!("pretend to {}", self.name))),
            }
        }

        fn run(&self, _ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
            self.ran.borrow_mut().push(self.name);
            match self.does {
                Does::Pass => Ok(StepOutcome::passed("fine")),
                Does::Fail => {
                    session.diagnostic(crate::Diagnostic::new(
                        self.name,
                        Severity::Error,
                        crate::testing::codes::EXAMPLE,
                        "it is bad",
                    ));
                    Ok(StepOutcome::failed("1 problem", "fix it"))
                }
                Does::Broken => Err(UsageError::new("cannot run").into()),
                Does::Interrupt => Err(Interrupted.into()),
            }
        }
    }

    /// Keeps every event.
    struct Events(Rc<RefCell<Vec<Event>>>);

    impl Reporter for Events {
        fn event(&mut self, event: &Event) {
            self.0.borrow_mut().push(event.clone());
        }
    }

    struct Harness {
        ran: Rc<RefCell<Vec<&'static str>>>,
        events: Rc<RefCell<Vec<Event>>>,
        session: Session,
        ws: Workspace,
        _dir: tempfile::TempDir,
    }

    impl Harness {
        fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            let events = Rc::new(RefCell::new(Vec::new()));
            let runner = Runner::new(dir.path(), false).unwrap();
            let mut session = Session::new(runner, Box::new(Events(Rc::clone(&events))), false);
            let ws = Workspace::detached(&mut session, dir.path());
            Self {
                ran: Rc::default(),
                events,
                session,
                ws,
                _dir: dir,
            }
        }

        fn pipeline(&self, steps: &[(&'static str, Does)]) -> Pipeline {
            let steps = steps
                .iter()
                .map(|&(name, does)| {
                    Box::new(Fake {
                        name,
                        does,
                        ran: Rc::clone(&self.ran),
                    }) as Box<dyn Step>
                })
                .collect();
            Pipeline::new("ci", steps)
        }

        fn run(&mut self, steps: &[(&'static str, Does)], selection: &Selection) -> Result<u8> {
            let pipeline = self.pipeline(steps);
            pipeline.run(&self.ws, &mut self.session, selection)
        }

        fn report(&self) -> RunReport {
            self.events
                .borrow()
                .iter()
                .find_map(|e| match e {
                    Event::RunFinished(r) => Some(r.clone()),
                    _ => None,
                })
                .expect("a report")
        }

        fn statuses(&self) -> Vec<StepStatus> {
            self.report().steps.iter().map(|s| s.status).collect()
        }
    }

    use Does::*;
    use StepStatus::{Error as E, Failed as F, Passed as P, Skipped as S};

    #[test]
    fn fail_fast_stops_at_the_first_failure_and_exits_1() {
        let mut h = Harness::new();
        let code = h
            .run(
                &[("a", Pass), ("b", Fail), ("c", Pass)],
                &Selection::default(),
            )
            .unwrap();
        assert_eq!(code, EXIT_FAILED);
        assert_eq!(*h.ran.borrow(), ["a", "b"]);
        assert_eq!(h.statuses(), [P, F, S]);
        assert!(h.report().steps[2].summary.contains("--keep-going"));
        assert_eq!(h.report().diagnostics.len(), 1);
    }

    #[test]
    fn keep_going_runs_every_step_and_an_error_outranks_a_failure() {
        let mut h = Harness::new();
        let selection = Selection {
            keep_going: true,
            ..Selection::default()
        };
        let code = h
            .run(&[("a", Fail), ("b", Broken), ("c", Pass)], &selection)
            .unwrap();
        assert_eq!(code, EXIT_USAGE);
        assert_eq!(*h.ran.borrow(), ["a", "b", "c"]);
        assert_eq!(h.statuses(), [F, E, P]);
        assert_eq!(h.report().status, StepStatus::Error);
    }

    #[test]
    fn skip_and_only_leave_steps_out_and_say_why() {
        let mut h = Harness::new();
        let selection = Selection {
            skip: vec!["b".into()],
            ..Selection::default()
        };
        assert_eq!(
            h.run(&[("a", Pass), ("b", Fail)], &selection).unwrap(),
            EXIT_OK
        );
        assert_eq!(h.statuses(), [P, S]);
        assert_eq!(h.report().steps[1].summary, "left out by --skip/--only");

        let mut h = Harness::new();
        let selection = Selection {
            only: vec!["b".into()],
            skipped_by: Some("WINDLASS_SKIP".into()),
            ..Selection::default()
        };
        assert_eq!(
            h.run(&[("a", Fail), ("b", Pass)], &selection).unwrap(),
            EXIT_OK
        );
        assert_eq!(*h.ran.borrow(), ["b"]);
        assert_eq!(h.report().steps[0].summary, "left out by WINDLASS_SKIP");
    }

    #[test]
    fn an_unknown_name_in_skip_or_only_is_a_usage_error_listing_the_steps() {
        let mut h = Harness::new();
        let selection = Selection {
            only: vec!["lnt".into()],
            ..Selection::default()
        };
        let err = h.run(&[("lint", Pass)], &selection).unwrap_err();
        assert!(
            err.to_string().contains("`lnt` is not a step of `ci`"),
            "{err}"
        );
        assert!(h.ran.borrow().is_empty());
    }

    #[test]
    fn an_interrupt_stops_the_run_with_130() {
        let mut h = Harness::new();
        let selection = Selection {
            keep_going: true,
            ..Selection::default()
        };
        let code = h.run(&[("a", Interrupt), ("b", Pass)], &selection).unwrap();
        assert_eq!(code, EXIT_INTERRUPTED);
        assert_eq!(h.statuses(), [E, S]);
        assert!(h.ran.borrow().len() == 1);
    }

    #[test]
    fn a_plan_runs_nothing_and_a_plan_that_cannot_be_made_is_an_error() {
        let mut h = Harness::new();
        let pipeline = h.pipeline(&[("a", Pass), ("b", Fail)]);
        let selection = Selection {
            skip: vec!["b".into()],
            ..Selection::default()
        };
        pipeline.plan(&h.ws, &mut h.session, &selection).unwrap();
        assert!(h.ran.borrow().is_empty());
        let events = h.events.borrow();
        let Some(Event::Plan(steps)) = events.first() else {
            panic!("a plan event");
        };
        assert_eq!(steps[0].runs, "pretend to a");
        assert!(!steps[1].selected);
        drop(events);

        let pipeline = h.pipeline(&[("a", Pass), ("tool", Broken)]);
        let err = pipeline
            .plan(&h.ws, &mut h.session, &Selection::default())
            .unwrap_err();
        assert!(
            format!("{err:#}").contains("cannot plan `tool`: no plan"),
            "{err:#}"
        );
    }
}
