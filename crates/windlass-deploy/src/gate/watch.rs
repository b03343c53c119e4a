//! The watch after the gate: for the bake window (and as long as the analysis's checks need),
//! the release stays under observation — its health URL polled, each check evaluated on its
//! interval — and the first failure fails it, exactly as a failed gate does. Ctrl-C ends the
//! watch early; the caller decides whether that rolls back.

use super::analysis::{Analysis, Evaluation, describe};
use crate::health::{self, HealthOptions, Target};
use std::time::{Duration, Instant};
use windlass_core::event::Event;
use windlass_core::{Diagnostic, Session, Severity};

/// What is watched.
pub struct Watch<'a> {
    /// The step the watch reports under.
    pub step: &'a str,
    /// The release (for messages).
    pub release: &'a str,
    /// The bake window (zero: only as long as the analysis needs).
    pub bake: Duration,
    /// The health URL and how it is judged, when the environment has one.
    pub health: Option<(Target, HealthOptions)>,
    /// The analysis, when configured.
    pub analysis: Option<Analysis>,
}

/// How a watch ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The window passed with every check and every health poll good.
    Passed,
    /// Something failed: why.
    Failed(String),
    /// Ctrl-C or SIGTERM ended it.
    Interrupted,
}

/// A watch's outcome and the evaluations it made.
#[derive(Debug, Clone)]
pub struct Watched {
    /// How it ended.
    pub outcome: Outcome,
    /// Every evaluation, in order.
    pub evaluations: Vec<Evaluation>,
    /// How long it watched.
    pub elapsed: Duration,
}

impl Watch<'_> {
    /// How long the watch lasts at most.
    pub fn length(&self) -> Duration {
        let span = self
            .analysis
            .as_ref()
            .map_or(Duration::ZERO, Analysis::span);
        self.bake.max(span)
    }

    /// Watches until the window ends, a failure, or an interrupt.
    // Long: the bake window's loop: health polls, analysis evaluations, interrupts and progress
    // share one clock and one verdict.
    pub fn run(&self, session: &mut Session) -> Watched {
        let length = self.length();
        let started = Instant::now();
        let ends = windlass_core::time::rfc3339(std::time::SystemTime::now() + length);
        let mut what = Vec::new();
        if let Some((_, options)) = &self.health {
            what.push(format!(
                "health every {:.1}s",
                options.interval.as_secs_f64()
            ));
        }
        if let Some(analysis) = &self.analysis {
            for check in &analysis.checks {
                what.push(format!(
                    "{} every {:.0}s",
                    check.name,
                    check.interval.as_secs_f64()
                ));
            }
        }
        session.message(
            Severity::Notice,
            format!(
                "baking {}: watched for {:.0}s, until {ends} ({})",
                self.release,
                length.as_secs_f64(),
                what.join(", ")
            ),
        );
        let mut evaluations = Vec::new();
        let mut progress = self.analysis.as_ref().map(Analysis::start);
        let mut next_poll = Duration::ZERO;
        let mut unhealthy_streak = 0u32;
        let finish = |outcome, evaluations, started: Instant| Watched {
            outcome,
            evaluations,
            elapsed: started.elapsed(),
        };
        loop {
            if session.stop_requested() {
                return finish(Outcome::Interrupted, evaluations, started);
            }
            let elapsed = started.elapsed();
            if let (Some(analysis), Some(progress)) = (&self.analysis, progress.as_mut()) {
                let (made, failed) = analysis.tick(session, progress, elapsed);
                for evaluation in &made {
                    report(session, self.step, evaluation);
                }
                evaluations.extend(made);
                if let Some(why) = failed {
                    return finish(Outcome::Failed(why), evaluations, started);
                }
            }
            if let Some((target, options)) = &self.health
                && elapsed >= next_poll
            {
                next_poll = elapsed + options.interval;
                match health::probe(target, options.timeout, options.degraded_ok) {
                    health::Verdict::Healthy(_) => unhealthy_streak = 0,
                    health::Verdict::Unhealthy(why) => {
                        unhealthy_streak += 1;
                        session.emit(Event::Output {
                            step: self.step.to_string(),
                            text: format!(
                                "  bake at {:.1}s: not healthy ({unhealthy_streak}/{}): {why}",
                                elapsed.as_secs_f64(),
                                options.successes
                            ),
                        });
                        // As many failures in a row as the gate wants successes: one lost
                        // probe on a busy machine is not a verdict.
                        if unhealthy_streak >= options.successes {
                            return finish(
                                Outcome::Failed(format!(
                                    "its health failed {unhealthy_streak} times in a row during the bake: {why}"
                                )),
                                evaluations,
                                started,
                            );
                        }
                    }
                }
            }
            let analysis_done = match (&self.analysis, &progress) {
                (Some(a), Some(p)) => a.done(p),
                _ => true,
            };
            if elapsed >= length && analysis_done {
                let blind = match (&self.analysis, &progress) {
                    (Some(a), Some(p)) => a.blind(p),
                    _ => None,
                };
                let outcome = blind.map_or(Outcome::Passed, Outcome::Failed);
                return finish(outcome, evaluations, started);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// An evaluation as the user and the JSON report see it: a line, and a diagnostic whose
/// details carry the value (notice when it passed, warning when not).
fn report(session: &mut Session, step: &str, evaluation: &Evaluation) {
    let severity = if evaluation.verdict == "pass" {
        Severity::Notice
    } else {
        Severity::Warning
    };
    session.diagnostic(
        Diagnostic::new(
            step,
            severity,
            crate::codes::ANALYSIS,
            format!(
                "at {:.1}s: {}",
                evaluation.at_ms as f64 / 1000.0,
                describe(evaluation)
            ),
        )
        .details(serde_json::to_value(evaluation).unwrap_or_default()),
    );
}
