//! The swarm canary: before a service with an analysis is updated, its new image runs as a
//! service of its own (`<service>-canary`, one replica by default, the same variables and
//! secrets, labelled with the release) and the analysis judges it; only a canary that passes
//! lets the update start, and a failed one leaves the service as it was — the whole service
//! stays on the previous release. The canary is removed either way, also after an interrupt.

use crate::config::Environment;
pub use crate::config::canary::CanaryConfig;
use crate::gate::analysis::Vars;
use crate::gate::watch::{Outcome, Watch};
use std::time::{Duration, Instant};
use windlass_core::runner::Capture;
use windlass_core::{Session, Severity};

/// How a canary ended.
pub enum Verdict {
    /// It passed its analysis.
    Passed,
    /// It did not: why.
    Failed(String),
    /// Ctrl-C.
    Interrupted,
}

/// Runs `image` as the canary of `service` and analyses it.
pub fn run(
    session: &mut Session,
    env_name: &str,
    env: &Environment,
    service: &str,
    (release, image): (&str, &str),
    deadline: Duration,
) -> anyhow::Result<Verdict> {
    let Some(analysis) = &env.analysis else {
        return Ok(Verdict::Passed);
    };
    let config = env.canary.clone().unwrap_or_default();
    let name = format!("{service}-canary");
    let vars = Vars {
        release: release.to_string(),
        version: release.to_string(),
        env: env_name.to_string(),
        commit: String::new(),
    };
    // The bake sizes the canary's analysis too: as many evaluations as it holds.
    let prepared = match analysis.prepare(&vars, env.bake.map(|d| d.get())) {
        Ok(prepared) => prepared,
        Err(why) => return Ok(Verdict::Failed(why)),
    };
    let mut args: Vec<String> = vec![
        "service".into(),
        "create".into(),
        "--detach".into(),
        "--name".into(),
        name.clone(),
        "--replicas".into(),
        config.replicas.unwrap_or(1).to_string(),
        "--label".into(),
        format!("windlass.canary-of={service}"),
        "--label".into(),
        format!("windlass.version={release}"),
        "--restart-condition".into(),
        "none".into(),
    ];
    for port in &config.publish {
        let (published, target) = port.split_once(':').unwrap_or((port, port));
        // Host mode, as the service's own ports: the routing mesh is not on every host.
        args.extend([
            "--publish".into(),
            format!("mode=host,published={published},target={target}"),
        ]);
    }
    for (key, value) in &env.env {
        args.extend(["--env".into(), format!("{key}={value}")]);
    }
    for secret in &env.secrets {
        args.extend(["--secret".into(), secret.clone()]);
    }
    args.push(image.to_string());
    let sh = session.shell();
    let created = session.run(sh.cmd("docker").args(&args), Capture::Everything)?;
    if !created.success() {
        return Ok(Verdict::Failed(format!(
            "the canary could not start: {}",
            created.stderr.trim()
        )));
    }
    let verdict = judge(session, &name, release, deadline, prepared);
    // Gone whatever happened, interrupt included.
    session.recovering(|session| {
        let mut rm = std::process::Command::new("docker");
        rm.args(["service", "rm", &name]);
        let _ = session.runner().run_cleanup(rm);
    });
    verdict
}

fn judge(
    session: &mut Session,
    name: &str,
    release: &str,
    deadline: Duration,
    analysis: crate::gate::analysis::Analysis,
) -> anyhow::Result<Verdict> {
    let started = Instant::now();
    session.message(
        Severity::Notice,
        format!("canary {name} runs {release}: waiting for it, then its analysis"),
    );
    loop {
        if session.stop_requested() {
            return Ok(Verdict::Interrupted);
        }
        let sh = session.shell();
        let ps = session.run_quiet(sh.cmd("docker").args([
            "service",
            "ps",
            name,
            "--no-trunc",
            "--format",
            "{{.CurrentState}}\t{{.Error}}",
        ]))?;
        let first = ps.stdout.lines().next().unwrap_or_default().to_string();
        if first.starts_with("Running") {
            break;
        }
        let failed = ["Failed", "Rejected", "Shutdown", "Complete"]
            .iter()
            .any(|s| first.starts_with(s));
        if failed || started.elapsed() > deadline {
            return Ok(Verdict::Failed(format!(
                "the canary never ran healthy: {}",
                first.replace('\t', " ")
            )));
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let watch = Watch {
        step: crate::names::DEPLOY,
        release,
        bake: Duration::ZERO,
        health: None,
        analysis: Some(analysis),
    };
    let watched = watch.run(session);
    Ok(match watched.outcome {
        Outcome::Passed => Verdict::Passed,
        Outcome::Failed(why) => Verdict::Failed(format!("the canary failed: {why}")),
        Outcome::Interrupted => Verdict::Interrupted,
    })
}
