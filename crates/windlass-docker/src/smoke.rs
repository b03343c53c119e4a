//! `--smoke`: the image, run until its HEALTHCHECK reports healthy, within a deadline; on
//! failure its last log lines and health log are shown. The container is always removed.

use anyhow::Result;
use std::time::{Duration, Instant};
use windlass_core::Session;
use windlass_core::event::Event;
use windlass_core::runner::Capture;

/// How a smoke test ended.
pub enum Verdict {
    /// Healthy after this long.
    Healthy(Duration),
    /// Not healthy, and why.
    Unhealthy(String),
}

/// Runs `image` and watches its health.
pub fn run(session: &mut Session, image: &str, deadline: Duration) -> Result<Verdict> {
    let name = format!("windlass-smoke-{}", std::process::id());
    let sh = session.shell();
    let _ = session.run(
        sh.cmd("docker").args(["rm", "-f", &name]),
        Capture::Everything,
    );
    let started = session.run(
        sh.cmd("docker")
            .args(["run", "--detach", "--name", &name, image]),
        Capture::Everything,
    )?;
    if !started.success() {
        return Ok(Verdict::Unhealthy(format!(
            "the container did not start: {}",
            started.stderr.trim()
        )));
    }
    let verdict = watch(session, &name, deadline);
    if !matches!(verdict, Ok(Verdict::Healthy(_))) {
        if let Ok(logs) = session.run(
            sh.cmd("docker").args(["logs", "--tail", "40", &name]),
            Capture::Everything,
        ) {
            let text = format!(
                "--- the container's last log lines\n{}{}",
                logs.stdout, logs.stderr
            );
            session.emit(Event::Output {
                step: crate::NAME.into(),
                text,
            });
        }
        if let Ok(health) = session.run(
            sh.cmd("docker")
                .args(["inspect", "--format", "{{json .State.Health}}", &name]),
            Capture::Everything,
        ) {
            let log: Vec<String> = serde_json::from_str::<serde_json::Value>(health.stdout.trim())
                .ok()
                .and_then(|v| v.get("Log").and_then(|l| l.as_array()).cloned())
                .unwrap_or_default()
                .iter()
                .rev()
                .take(3)
                .map(|entry| {
                    format!(
                        "exit {} {}",
                        entry["ExitCode"],
                        entry["Output"].as_str().unwrap_or("").trim()
                    )
                })
                .collect();
            if !log.is_empty() {
                session.emit(Event::Output {
                    step: crate::NAME.into(),
                    text: format!("--- the health log\n{}", log.join("\n")),
                });
            }
        }
    }
    // Always, whatever happened above.
    let _ = session.run(
        sh.cmd("docker").args(["rm", "-f", &name]),
        Capture::Everything,
    );
    verdict
}

fn watch(session: &mut Session, name: &str, deadline: Duration) -> Result<Verdict> {
    let started = Instant::now();
    let sh = session.shell();
    while started.elapsed() < deadline {
        let state = session.run(
            sh.cmd("docker").args([
                "inspect",
                "--format",
                "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}",
                name,
            ]),
            Capture::Everything,
        )?;
        let text = state.stdout.trim().to_string();
        let (status, health) = text.split_once(' ').unwrap_or((text.as_str(), ""));
        match (status, health) {
            (_, "healthy") => return Ok(Verdict::Healthy(started.elapsed())),
            ("exited" | "dead", _) => return Ok(Verdict::Unhealthy("the container exited".into())),
            (_, "unhealthy") => {
                return Ok(Verdict::Unhealthy(
                    "its HEALTHCHECK reports unhealthy".into(),
                ));
            }
            (_, "none") => return Ok(Verdict::Unhealthy("the image has no HEALTHCHECK".into())),
            _ => std::thread::sleep(Duration::from_millis(300)),
        }
    }
    Ok(Verdict::Unhealthy(format!(
        "not healthy within {:.0}s",
        deadline.as_secs_f64()
    )))
}
