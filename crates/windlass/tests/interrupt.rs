//! Ctrl-C: the children stop too, and the run exits 130.
// In test helpers a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::{Duration, Instant};
use support::*;

fn alive(pid: &str) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z "))
}

fn interrupt_while_a_test_runs(runner: &str) {
    let fx = Fixture::new("");
    let marker = fx.root.join("test.pid");
    fx.write(
        "src/lib.rs",
        &format!(
            "//! S.\n\n#[cfg(test)]\nmod tests {{\n    #[test]\n    fn sleeps() {{\n        std::fs::write({:?}, std::process::id().to_string()).unwrap();\n        std::thread::sleep(std::time::Duration::from_secs(120));\n    }}\n}}\n",
            marker
        ),
    );
    // Its output would otherwise land in the test log of whoever runs this suite.
    let mut child = fx
        .command(&["test", "--runner", runner])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("windlass starts");
    let started = Instant::now();
    while !marker.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the test never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let test_pid = std::fs::read_to_string(&marker).expect("pid file");
    assert!(alive(&test_pid));

    // Only windlass's own pid is signalled, as a CI runner or supervisor would.
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status.code();
        }
        assert!(
            Instant::now() < deadline,
            "windlass did not stop after SIGINT"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(code, Some(130));
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(&test_pid) {
        assert!(
            Instant::now() < deadline,
            "the test process {test_pid} outlived the interrupt"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigint_stops_cargo_test_and_exits_130() {
    interrupt_while_a_test_runs("cargo");
}

#[test]
fn sigint_stops_nextest_and_exits_130() {
    if !has_nextest() {
        eprintln!("skipped: cargo-nextest is not installed");
        return;
    }
    interrupt_while_a_test_runs("nextest");
}
