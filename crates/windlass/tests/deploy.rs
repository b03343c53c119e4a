//! Deploy safety with real processes on loopback: a fixture service (a small HTTP server
//! whose behaviour each release chooses), a real restart command, real health checks.
// In test helpers a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};
use support::host::*;
use support::*;

#[test]
fn an_unhealthy_release_is_rolled_back_and_the_previous_one_answers() {
    let host = Host::new("");
    let v1 = host.release("v1", "healthy", 0.0);
    let run = host.deploy(&v1).expect_code(0);
    assert!(
        run.stdout().contains("is live and healthy"),
        "{}",
        run.stdout()
    );
    let first = host.current();
    let release_json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(host.root.join("releases").join(&first).join("release.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(release_json["sha256"].as_str().unwrap().len(), 64);

    let v2 = host.release("v2", "unhealthy", 0.0);
    let run = host.deploy(&v2).expect_code(1);
    let out = run.stdout();
    assert!(out.contains("not healthy: status 503"), "{out}");
    assert!(
        out.contains(&format!("rolled back to {first}, which is healthy")),
        "{out}"
    );
    assert_eq!(host.current(), first);
    assert!(host.answering().contains("\"release\": \"healthy\""));

    let log = std::fs::read_to_string(host.root.join("deploy.log")).unwrap();
    let last: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(last["result"], "rolled_back");
    assert_eq!(last["rolled_back"], true);
    assert!(last["durations_ms"]["rollback"].is_u64());
    let stats = host
        .command(&["deploy", "--env", "staging", "--stats"])
        .output()
        .unwrap();
    let stats = String::from_utf8_lossy(&stats.stdout);
    assert!(
        stats.contains("2 deploys of staging: 1 succeeded, 1 rolled back, 0 failed")
            && stats.contains("change failure rate    50%"),
        "{stats}"
    );
}

#[test]
fn releases_that_crash_or_hang_are_rolled_back_and_a_slow_one_passes() {
    let host = Host::new("");
    host.deploy(&host.release("v1", "healthy", 0.0))
        .expect_code(0);
    let good = host.current();
    for mode in ["crash", "hang"] {
        let run = host.deploy(&host.release(mode, mode, 0.0)).expect_code(1);
        assert!(
            run.stdout().contains("rolled back to"),
            "{mode}: {}",
            run.stdout()
        );
        assert_eq!(host.current(), good, "{mode}");
    }
    let started = Instant::now();
    host.deploy(&host.release("slow", "slow", 1.0))
        .expect_code(0);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_ne!(host.current(), good);
}

#[test]
fn a_deploy_killed_after_the_switch_is_recovered_by_the_next_rollback() {
    let host = Host::new("");
    host.deploy(&host.release("v1", "healthy", 0.0))
        .expect_code(0);
    let good = host.current();
    // A release that is never healthy, and a deploy killed while its health gate waits.
    let mut child = host
        .command(&[
            "deploy",
            "--env",
            "staging",
            "--artifact",
            host.release("v2", "unhealthy", 0.0).to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !(host.root.join(".windlass-deploy.journal").exists() && host.current() != good) {
        assert!(Instant::now() < deadline, "the deploy never switched");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_ne!(
        host.current(),
        good,
        "killed between the switch and the verdict"
    );

    let run = Run(host
        .command(&["rollback", "--env", "staging"])
        .output()
        .unwrap())
    .expect_code(0);
    let out = run.stdout();
    assert!(out.contains("was interrupted after switching"), "{out}");
    assert!(
        out.contains("took over the lock") || !host.root.join(".windlass-deploy.lock").exists(),
        "{out}"
    );
    assert_eq!(host.current(), good);
    assert!(host.answering().contains("healthy"));
}

#[test]
fn a_second_deploy_at_once_is_refused() {
    let host = Host::new("");
    host.deploy(&host.release("v1", "healthy", 0.0))
        .expect_code(0);
    let mut first = host
        .command(&[
            "deploy",
            "--env",
            "staging",
            "--artifact",
            host.release("slow", "slow", 1.5).to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !host.root.join(".windlass-deploy.journal").exists() {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = host
        .deploy(&host.release("v3", "healthy", 0.0))
        .expect_code(2);
    assert!(
        second.all_output().contains("another deploy (pid"),
        "{}",
        second.all_output()
    );
    assert!(first.wait().unwrap().success());
}

#[test]
fn pruning_keeps_current_and_previous() {
    let host = Host::new("");
    for i in 0..5 {
        host.deploy(&host.release(&format!("v{i}"), "healthy", 0.0))
            .expect_code(0);
    }
    let releases = host.releases();
    assert_eq!(releases.len(), 3, "{releases:?}");
    assert_eq!(releases.last().unwrap(), &host.current());
    // A failed deploy keeps the good current and its predecessor.
    host.deploy(&host.release("bad", "unhealthy", 0.0))
        .expect_code(1);
    assert!(host.releases().contains(&host.current()));
}

#[test]
fn a_missing_variable_switches_nothing() {
    let host = Host::new(
        "required-env = [\"WINDLASS_TEST_DATABASE_URL\"]\nconfig-files = [\"config/app.toml\"]\n",
    );
    host.fx.write("config/app.toml", "[db]\nurl = \n");
    let run = Run(host
        .command(&[
            "deploy",
            "--env",
            "staging",
            "--artifact",
            host.release("v1", "healthy", 0.0).to_str().unwrap(),
        ])
        .env_remove("WINDLASS_TEST_DATABASE_URL")
        .output()
        .unwrap())
    .expect_code(1);
    let out = run.stdout();
    assert!(
        out.contains("environment variable WINDLASS_TEST_DATABASE_URL is not set"),
        "{out}"
    );
    assert!(out.contains("config/app.toml is not valid TOML"), "{out}");
    assert!(out.contains("nothing was switched"), "{out}");
    assert!(!host.root.join("current").exists());
    assert!(!host.root.join("releases").exists() || host.releases().is_empty());

    let run = Run(host
        .command(&["validate-config", "--env", "staging"])
        .env("WINDLASS_TEST_DATABASE_URL", "postgres://db")
        .output()
        .unwrap())
    .expect_code(1);
    assert!(
        !run.stdout().contains("postgres://db"),
        "values are never printed"
    );
}

#[test]
fn health_check_survives_hostile_endpoints() {
    let fx = Fixture::new(CLEAN_LIB);
    let huge: &'static [u8] = Box::leak(
        format!(
            "HTTP/1.1 200 OK\r\n\r\n{{\"status\":\"ok\",\"pad\":\"{}\"}}",
            "x".repeat(5_000_000)
        )
        .into_bytes()
        .into_boxed_slice(),
    );
    for (label, port, reason) in [
        (
            "huge body",
            hostile_endpoint(huge, false),
            "too large to read",
        ),
        (
            "never-ending",
            hostile_endpoint(b"", true),
            "too large to read",
        ),
        (
            "redirect loop",
            hostile_endpoint(b"HTTP/1.1 302 Found\r\nLocation: /health\r\n\r\n", false),
            "a redirect to `/health` (not followed)",
        ),
        (
            "not HTTP",
            hostile_endpoint(b"SSH-2.0-OpenSSH_9.6\r\n", false),
            "the reply is not HTTP",
        ),
        ("refused", free_port(), "connection refused"),
    ] {
        let url = format!("http://127.0.0.1:{port}/health");
        let started = Instant::now();
        let run = fx
            .run(&[
                "health-check",
                "--url",
                &url,
                "--deadline",
                "1500ms",
                "--timeout",
                "500ms",
                "--interval",
                "100ms",
            ])
            .expect_code(1);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{label} took {:?}",
            started.elapsed()
        );
        assert!(run.stdout().contains(reason), "{label}: {}", run.stdout());
    }
    let good = hostile_endpoint(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"status\":\"healthy\"}",
        false,
    );
    let run = fx
        .run(&[
            "health-check",
            "--url",
            &format!("http://127.0.0.1:{good}/health"),
            "--deadline",
            "5s",
        ])
        .expect_code(0);
    assert!(
        run.stdout().contains("attempt 2 at"),
        "two consecutive successes: {}",
        run.stdout()
    );
}

#[test]
fn the_systemd_unit_is_hardened() {
    let host =
        Host::new("systemd = { environment-file = \"/etc/svc/env\", memory-max = \"256M\" }\n");
    let run = Run(host
        .command(&["systemd-unit", "--env", "staging"])
        .output()
        .unwrap())
    .expect_code(0);
    let unit = run.stdout();
    for line in [
        "Restart=on-failure",
        "RestartSec=5",
        "StartLimitIntervalSec=300",
        "StartLimitBurst=5",
        "MemoryMax=256M",
        "CPUQuota=100%",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "EnvironmentFile=/etc/svc/env",
        "StandardOutput=journal",
    ] {
        assert!(unit.contains(line), "{line}: {unit}");
    }
    // The fixture's path has a space: one quoted word, as systemd splits ExecStart.
    assert!(
        unit.contains(&format!(
            "ExecStart=\"{}/current/svc\"\n",
            host.root.display()
        )),
        "{unit}"
    );
    let unit_start = unit.find("[Unit]").unwrap();
    assert!(
        unit[unit_start..].find("StartLimitBurst").unwrap()
            < unit[unit_start..].find("[Service]").unwrap(),
        "start limits belong in [Unit]"
    );
}

/// A release archive as `release --artifacts` lays it out: `stem/svc` in `stem.tar.gz`, with
/// `SHA256SUMS` beside it.
fn release_archive(host: &Host, version: &str) -> PathBuf {
    use sha2::Digest;
    let stem = format!("svc-{version}-x86_64-unknown-linux-gnu");
    let dist = host.fx.root.join("dist");
    let inside = dist.join(&stem);
    std::fs::create_dir_all(&inside).unwrap();
    write_executable(&inside.join("svc"), &service("healthy", 0.0));
    let archive = dist.join(format!("{stem}.tar.gz"));
    let tar = std::process::Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(&dist)
        .arg(&stem)
        .status()
        .unwrap();
    assert!(tar.success());
    std::fs::remove_dir_all(&inside).unwrap();
    let sum = sha2::Sha256::digest(std::fs::read(&archive).unwrap());
    std::fs::write(dist.join("SHA256SUMS"), format!("{sum:x}  {stem}.tar.gz\n")).unwrap();
    archive
}

#[test]
fn a_release_archive_is_verified_unpacked_and_deployed_with_its_version() {
    let host = Host::new("");
    let archive = release_archive(&host, "2.1.0-rc.1");
    let run = host.deploy(&archive).expect_code(0);
    assert!(
        run.stdout().contains("is live and healthy"),
        "{}",
        run.stdout()
    );
    let release_json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            host.root
                .join("releases")
                .join(host.current())
                .join("release.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(release_json["version"], "2.1.0-rc.1");

    // An archive that is not the one SHA256SUMS vouches for is refused before anything moves.
    let live = host.current();
    let mut bytes = std::fs::read(&archive).unwrap();
    bytes.push(0);
    std::fs::write(&archive, bytes).unwrap();
    let run = host.deploy(&archive).expect_code(2);
    assert!(
        run.all_output().contains("does not match its entry in"),
        "{}",
        run.all_output()
    );
    assert_eq!(host.current(), live);
}
