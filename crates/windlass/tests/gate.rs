//! Deploys gated on what the service does: a bake window, metric analysis against a real
//! Prometheus (Debian's package, on loopback, scraping the fixture service every second),
//! webhooks received by a local HTTP server, hooks, promotion from staging, and the delivery
//! metrics scraped by the same Prometheus.
// In test helpers a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::host::*;
use support::prometheus::Prometheus;
use support::*;

fn prometheus_binary() -> Option<std::path::PathBuf> {
    tool_or_skip("prometheus", "apt-get install prometheus")
}

/// A Prometheus scraping the host's service (job `svc`) every second.
fn prometheus_for(host: &Host, binary: &std::path::Path) -> Prometheus {
    Prometheus::start(binary, &[("svc", format!("127.0.0.1:{}", host.port))])
}

/// The analysis section: the built-in error rate over 5 s of the release's own series.
fn analysis(prometheus: &str, extra: &str) -> String {
    format!(
        "\n[workspace.metadata.windlass.deploy.staging.analysis]\nprometheus = \"{prometheus}\"\ninterval = \"1s\"\nwindow = \"5s\"\nselector = 'release=\"{{release}}\"'\nbuiltin = [\"error-rate\"]\nmax-error-rate = 0.05\n{extra}"
    )
}

/// A webhook receiver on loopback: every JSON document posted to it.
struct Receiver {
    port: u16,
    documents: Arc<Mutex<Vec<serde_json::Value>>>,
}

impl Receiver {
    fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let documents = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&documents);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut stream = stream;
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut request = Vec::new();
                let mut buf = [0u8; 8192];
                // Until the body the Content-Length announces has arrived.
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    request.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&request).to_string();
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let length: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("Content-Length: "))
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0);
                        if body.len() >= length {
                            if let Ok(doc) = serde_json::from_str(body) {
                                sink.lock().unwrap().push(doc);
                            }
                            break;
                        }
                    }
                }
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
        });
        Self { port, documents }
    }

    fn phases(&self) -> Vec<String> {
        self.documents
            .lock()
            .unwrap()
            .iter()
            .map(|d| d["phase"].as_str().unwrap_or("").to_string())
            .collect()
    }
}

fn ledger(host: &Host) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(host.root.join("ledger.json")).unwrap()).unwrap()
}

fn log_lines(host: &Host) -> Vec<serde_json::Value> {
    std::fs::read_to_string(host.root.join("deploy.log"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_release_bad_on_its_metrics_is_rolled_back_inside_the_bake() {
    let Some(binary) = prometheus_binary() else {
        return;
    };
    let receiver = Receiver::start();
    // The Prometheus URL is only known once it runs: the manifest names it through a variable.
    let host = Host::new(&format!(
        "bake = \"20s\"\nnotify = [{{ webhook = \"env:TEST_DEPLOY_WEBHOOK\" }}]\n{}",
        analysis("env:TEST_PROMETHEUS_URL", "")
    ));
    let prometheus = prometheus_for(&host, &binary);
    let run = |artifact: &std::path::Path| {
        Run(host
            .command(&[
                "deploy",
                "--env",
                "staging",
                "--artifact",
                artifact.to_str().unwrap(),
            ])
            .env("TEST_PROMETHEUS_URL", prometheus.url())
            .env(
                "TEST_DEPLOY_WEBHOOK",
                format!("http://127.0.0.1:{}/hook?token=s3cret", receiver.port),
            )
            .output()
            .unwrap())
    };

    // A healthy release passes its bake: every evaluation passed, the ledger says baked.
    let good = run(&host.release("good", "healthy", 0.0)).expect_code(0);
    assert!(
        good.stdout().contains("live, healthy and baked"),
        "{}",
        good.stdout()
    );
    let good_id = host.current();
    assert!(
        !good.all_output().contains("s3cret"),
        "the webhook's URL is never shown"
    );
    let entry = &ledger(&host)["releases"][0];
    assert_eq!(
        (entry["verdict"].as_str(), entry["baked"].as_bool()),
        (Some("healthy"), Some(true))
    );
    let evaluations = log_lines(&host)[0]["analysis"].as_array().unwrap().clone();
    assert!(evaluations.len() >= 10, "{evaluations:?}");
    assert!(
        evaluations.iter().all(|e| e["verdict"] != "fail"),
        "{evaluations:?}"
    );

    // Healthy on /health, bad on its metrics after 3 s: rolled back inside the bake. The
    // JSON report carries every evaluation with its value.
    let started = Instant::now();
    let bad = Run(host
        .command(&[
            "deploy",
            "--env",
            "staging",
            "--format",
            "json",
            "--artifact",
            host.release("bad", "degrades", 3.0).to_str().unwrap(),
        ])
        .env("TEST_PROMETHEUS_URL", prometheus.url())
        .env(
            "TEST_DEPLOY_WEBHOOK",
            format!("http://127.0.0.1:{}/hook?token=s3cret", receiver.port),
        )
        .output()
        .unwrap())
    .expect_code(1);
    let report = bad.json();
    let out = report["steps"][0]["summary"].as_str().unwrap().to_string();
    assert!(out.contains("analysis `error-rate` failed"), "{out}");
    assert!(
        out.contains(&format!("rolled back to {good_id}, which is healthy")),
        "{out}"
    );
    let analysed: Vec<&serde_json::Value> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["title"] == "analysis")
        .collect();
    assert!(
        analysed
            .iter()
            .any(|d| d["details"]["verdict"] == "fail"
                && d["details"]["value"].as_f64().unwrap() > 0.05),
        "{analysed:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "detected inside the bake"
    );
    assert_eq!(host.current(), good_id);
    assert!(host.answering().contains("200"));
    let releases = ledger(&host)["releases"].as_array().unwrap().clone();
    let failed = releases
        .iter()
        .find(|r| r["verdict"] == "rolled-back")
        .unwrap();
    assert!(
        failed["reasons"][0]
            .as_str()
            .unwrap()
            .contains("error-rate"),
        "{failed}"
    );
    let record = log_lines(&host).pop().unwrap();
    assert_eq!(record["result"], "rolled_back");
    assert!(
        record["analysis"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["verdict"] == "fail")
    );

    // Every phase reached the webhook, with what happened.
    let phases = receiver.phases();
    assert_eq!(
        phases,
        ["started", "succeeded", "started", "rolled-back"],
        "{phases:?}"
    );
    let docs = receiver.documents.lock().unwrap().clone();
    let rolled = &docs[3];
    assert_eq!(rolled["environment"], "staging");
    assert!(
        rolled["text"]
            .as_str()
            .unwrap()
            .starts_with("↩️ rolled-back of"),
        "{rolled}"
    );
    assert!(
        rolled["reasons"][0]
            .as_str()
            .unwrap()
            .contains("error-rate")
    );
    assert!(rolled["analysis"].as_array().is_some_and(|a| !a.is_empty()));
    assert!(rolled["duration_ms"].as_u64().unwrap() > 0);
    drop(prometheus);
}

#[test]
fn a_prometheus_that_goes_away_follows_on_error() {
    let Some(binary) = prometheus_binary() else {
        return;
    };
    for (on_error, expected) in [("ignore", 0), ("rollback", 1)] {
        let host = Host::new(&format!(
            "bake = \"8s\"\n{}",
            analysis(
                "env:TEST_PROMETHEUS_URL",
                &format!(
                    "on-error = \"{on_error}\"\n[[workspace.metadata.windlass.deploy.staging.analysis.checks]]\nname = \"up\"\nquery = 'vector(1)'\nsuccess = \">= 1\"\ninterval = \"1s\"\non-error = \"{on_error}\"\n"
                ),
            )
        ));
        let mut prometheus = prometheus_for(&host, &binary);
        let url = prometheus.url();
        let deploy = |artifact: &std::path::Path| {
            host.command(&[
                "deploy",
                "--env",
                "staging",
                "--artifact",
                artifact.to_str().unwrap(),
            ])
            .env("TEST_PROMETHEUS_URL", &url)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
        };
        let first = deploy(&host.release("a", "healthy", 0.0))
            .wait_with_output()
            .unwrap();
        assert_eq!(
            first.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&first.stdout)
        );
        let child = deploy(&host.release("b", "healthy", 0.0));
        // Mid-bake, Prometheus stops.
        std::thread::sleep(Duration::from_secs(4));
        prometheus.stop();
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(expected),
            "on-error = {on_error}: {stdout}"
        );
        assert!(stdout.contains("Prometheus did not answer"), "{stdout}");
    }
}

#[test]
fn hooks_run_with_the_release_and_a_failing_pre_deploy_hook_stops_it() {
    let host = Host::new(
        "hooks = { pre-deploy = [[\"sh\", \"pre.sh\"]], post-deploy = [[\"sh\", \"-c\", \"echo $WINDLASS_ENV $WINDLASS_RELEASE $WINDLASS_VERDICT > post.txt\"]], post-rollback = [[\"sh\", \"-c\", \"echo $WINDLASS_RELEASE $WINDLASS_VERDICT > rollback.txt\"]], timeout = \"5s\" }\n",
    );
    host.fx.write("pre.sh", "exit 0\n");
    host.deploy(&host.release("a", "healthy", 0.0))
        .expect_code(0);
    let a = host.current();
    assert_eq!(
        host.fx.read("post.txt").trim(),
        format!("staging {a} healthy")
    );
    host.deploy(&host.release("b", "unhealthy", 0.0))
        .expect_code(1);
    assert_eq!(
        host.fx.read("rollback.txt").trim(),
        format!("{a} rolled-back")
    );
    // A pre-deploy hook that fails: nothing moves.
    host.fx
        .write("pre.sh", "echo 'maintenance window closed' >&2; exit 3\n");
    let releases = host.releases();
    let run = host
        .deploy(&host.release("c", "healthy", 0.0))
        .expect_code(1);
    assert!(
        run.stdout().contains("maintenance window closed"),
        "{}",
        run.stdout()
    );
    assert!(
        run.stdout()
            .contains("a pre-deploy hook failed: nothing was switched")
    );
    assert_eq!(host.releases(), releases);
    assert_eq!(host.current(), a);
}

#[test]
fn production_deploys_only_what_staging_baked() {
    let port = free_port();
    let host = Host::new(&format!(
        "bake = \"1s\"\n\n[workspace.metadata.windlass.deploy.production]\nroot = \"prod\"\nbin = \"svc\"\nrestart = [\"sh\", \"restart-prod.sh\"]\npromote-from = \"staging\"\nhealth = {{ url = \"http://127.0.0.1:{port}/health\", deadline = \"3s\", interval = \"100ms\", timeout = \"500ms\" }}\n"
    ));
    host.fx.write(
        "restart-prod.sh",
        &RESTART.replace("nohup ", "SVC_PORT=\"$PROD_PORT\" nohup "),
    );
    let prod = |args: &[&str]| {
        let mut full = vec!["deploy", "--env", "production"];
        full.extend_from_slice(args);
        Run(host
            .command(&full)
            .env("PROD_PORT", port.to_string())
            .output()
            .unwrap())
    };
    // Nothing in staging yet: refused, nothing made.
    let run = prod(&["--promote", "staging"]).expect_code(2);
    assert!(
        run.all_output().contains("nothing is live in staging"),
        "{}",
        run.all_output()
    );
    // A plain deploy of production is refused: it takes promotions only.
    let artifact = host.release("a", "healthy", 0.0);
    let run = prod(&["--artifact", artifact.to_str().unwrap()]).expect_code(2);
    assert!(
        run.all_output().contains("only deploys what staging baked"),
        "{}",
        run.all_output()
    );
    assert!(!host.fx.root.join("prod/releases").exists());

    host.deploy(&artifact).expect_code(0);
    let staged = host.current();
    // Another file than the one staging runs: refused by its hash.
    let other = host.release("other", "slow", 0.5);
    let run = prod(&[
        "--promote",
        "staging",
        "--artifact",
        other.to_str().unwrap(),
    ])
    .expect_code(2);
    assert!(
        run.all_output().contains("is not what staging baked"),
        "{}",
        run.all_output()
    );
    // Exactly what staging baked: deployed, recorded as promoted.
    prod(&["--promote", "staging"]).expect_code(0);
    let ledger: serde_json::Value =
        serde_json::from_str(&host.fx.read("prod/ledger.json")).unwrap();
    let entry = &ledger["releases"][0];
    assert_eq!(entry["promoted_from"], format!("staging/{staged}"));
    let staging: serde_json::Value =
        serde_json::from_str(&host.fx.read("host/ledger.json")).unwrap();
    assert_eq!(
        entry["sha256"], staging["releases"][0]["sha256"],
        "the same binary"
    );
    // Staging's live release rolled back → what is live there is still `a`: promotable; a
    // staging release that failed is never what production gets.
    host.deploy(&host.release("bad", "unhealthy", 0.0))
        .expect_code(1);
    prod(&["--promote", "staging"]).expect_code(0);
    let ledger: serde_json::Value =
        serde_json::from_str(&host.fx.read("prod/ledger.json")).unwrap();
    assert!(
        ledger["releases"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["promoted_from"] == format!("staging/{staged}"))
    );
    let _ = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "kill $(cat '{}/prod/service.pid')",
            host.fx.root.display()
        ))
        .status();
}

#[test]
fn the_delivery_metrics_are_scraped_by_the_same_prometheus() {
    let Some(binary) = prometheus_binary() else {
        return;
    };
    let host = Host::new("");
    host.deploy(&host.release("a", "healthy", 0.0))
        .expect_code(0);
    host.deploy(&host.release("b", "unhealthy", 0.0))
        .expect_code(1);
    host.deploy(&host.release("c", "healthy", 0.0))
        .expect_code(0);
    let exposition = Run(host
        .command(&["deploy", "--env", "staging", "--stats", "prometheus"])
        .output()
        .unwrap())
    .expect_code(0)
    .stdout();
    assert!(
        exposition.contains("windlass_deploys_total{env=\"staging\",result=\"success\"} 2\n"),
        "{exposition}"
    );
    // Served as node-exporter's textfile collector or a pushgateway would, and scraped.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let metrics_port = listener.local_addr().unwrap().port();
    let served = exposition.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\n\r\n{served}",
                served.len()
            );
        }
    });
    let prometheus = Prometheus::start(
        &binary,
        &[("windlass", format!("127.0.0.1:{metrics_port}"))],
    );
    let failures = prometheus.value(
        "windlass_change_failure_ratio{env=\"staging\"}",
        Duration::from_secs(15),
    );
    assert_eq!(failures.map(|v| (v * 1000.0).round()), Some(333.0));
    let json = Run(host
        .command(&["deploy", "--env", "staging", "--stats", "json"])
        .output()
        .unwrap())
    .expect_code(0)
    .stdout();
    let metrics: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(metrics["deploys"], 3);
    assert!(metrics["median_time_to_restore_s"].as_f64().unwrap() > 0.0);
    let table = Run(host
        .command(&["deploy", "--env", "staging", "--stats"])
        .output()
        .unwrap())
    .expect_code(0)
    .stdout();
    assert!(
        table.contains("week of ") && table.contains("3 deploys, 1 failed"),
        "{table}"
    );
}

#[test]
fn ctrl_c_during_the_bake_rolls_back_unless_asked_to_keep() {
    for keep in [false, true] {
        let host = Host::new("bake = \"30s\"\n");
        host.deploy(&host.release("a", "healthy", 0.0))
            .expect_code(0);
        let a = host.current();
        let b = host.release("b", "healthy", 0.0);
        let mut args = vec![
            "deploy",
            "--env",
            "staging",
            "--artifact",
            b.to_str().unwrap(),
        ];
        if keep {
            args.push("--keep-on-interrupt");
        }
        let child = host
            .command(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Once the bake has begun (the switch happened), SIGTERM.
        let started = Instant::now();
        while host.current() == a && started.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_secs(2));
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let out = child.wait_with_output().unwrap();
        let all = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(130), "{all}");
        if keep {
            assert_ne!(host.current(), a, "kept: {all}");
            assert!(all.contains("--keep-on-interrupt"), "{all}");
        } else {
            assert_eq!(host.current(), a, "rolled back: {all}");
        }
    }
}
