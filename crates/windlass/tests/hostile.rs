//! Hostile input and a loaded machine, one test per way a deploy or a scan was found to
//! lose state, panic or let something slip past: each asserts the exit code, the message,
//! and that nothing was lost — `current` and the releases as before, no journal, the lock
//! free, the previous release answering.
// In test helpers a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::host::*;
use support::*;

/// Makes the environment's restart command one that validation passes (an executable file)
/// but that cannot start: its interpreter does not exist.
fn restart_that_cannot_start(host: &Host) {
    write_executable(
        &host.fx.root.join("restart-broken"),
        "#!/nonexistent/interpreter\n",
    );
    let manifest = host.fx.read("Cargo.toml").replace(
        "restart = [\"sh\", \"restart.sh\"]",
        "restart = [\"./restart-broken\"]",
    );
    host.fx.write("Cargo.toml", &manifest);
}

/// What a deploy root holds: `current`, each release, and whatever else is there.
fn state(host: &Host) -> (Option<PathBuf>, Vec<String>, Vec<String>) {
    let current = std::fs::read_link(host.root.join("current")).ok();
    let releases = if host.root.join("releases").is_dir() {
        host.releases()
    } else {
        Vec::new()
    };
    let mut others: Vec<String> = std::fs::read_dir(&host.root)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| {
                    !matches!(
                        n.as_str(),
                        "releases"
                            | "current"
                            | "deploy.log"
                            | "ledger.json"
                            | "service.pid"
                            | "service.log"
                            | ".windlass-deploy.lock"
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    others.sort();
    (current, releases, others)
}

/// Nothing half-done is left: no journal, no staging link, the lock free (its file empty).
fn assert_settled(host: &Host) {
    let (_, _, others) = state(host);
    assert!(
        others.is_empty(),
        "left behind in the deploy root: {others:?}"
    );
    let lock = std::fs::read_to_string(host.root.join(".windlass-deploy.lock")).unwrap_or_default();
    assert!(lock.is_empty(), "the lock still names a holder: {lock:?}");
}

#[test]
fn eight_deploys_at_once_let_exactly_one_in_every_round() {
    // The restart holds the lock long enough that every contender tries while it is held.
    let host = Host::new("");
    host.fx
        .write("restart.sh", &format!("sleep 1.5\n{}", RESTART));
    host.deploy(&host.release("v0", "healthy", 0.0))
        .expect_code(0);
    let artifact = host.release("v1", "healthy", 0.0);
    for round in 0..20 {
        let children: Vec<_> = (0..8)
            .map(|_| {
                host.command(&[
                    "deploy",
                    "--env",
                    "staging",
                    "--artifact",
                    artifact.to_str().unwrap(),
                ])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
            })
            .collect();
        let outputs: Vec<Run> = children
            .into_iter()
            .map(|c| Run(c.wait_with_output().unwrap()))
            .collect();
        let codes: Vec<i32> = outputs.iter().map(Run::code).collect();
        assert_eq!(
            codes.iter().filter(|c| **c == 0).count(),
            1,
            "round {round}: exactly one deploy wins: {codes:?}\n{}",
            outputs
                .iter()
                .map(Run::all_output)
                .collect::<Vec<_>>()
                .join("\n----\n")
        );
        for out in outputs.iter().filter(|o| o.code() != 0) {
            assert_eq!(out.code(), 2, "{}", out.all_output());
            assert!(
                out.all_output().contains("another deploy ("),
                "{}",
                out.all_output()
            );
        }
        assert_settled(&host);
    }
    assert!(host.answering().contains("healthy"));
}

#[test]
fn a_duration_past_its_bound_is_refused_at_load_and_panics_nothing() {
    let host = Host::new("");
    host.deploy(&host.release("v1", "healthy", 0.0))
        .expect_code(0);
    let before = state(&host);
    let manifest = host.fx.read("Cargo.toml").replace(
        "interval = \"100ms\"",
        "interval = \"10000000000000000000s\"",
    );
    host.fx.write("Cargo.toml", &manifest);
    let run = host
        .deploy(&host.release("v2", "healthy", 0.0))
        .expect_code(2);
    assert!(
        run.all_output().contains("is more than 366d"),
        "{}",
        run.all_output()
    );
    assert!(
        run.all_output().contains("interval"),
        "the key is named: {}",
        run.all_output()
    );
    assert_eq!(state(&host), before, "nothing moved");
    assert_settled(&host);
    assert!(host.answering().contains("healthy"));

    let run = host
        .fx
        .run(&[
            "health-check",
            "--url",
            "http://127.0.0.1:9/health",
            "--interval",
            "10000000000000000000s",
        ])
        .expect_code(2);
    assert!(run.stderr().contains("more than 366d"), "{}", run.stderr());
}

#[test]
fn a_restart_that_cannot_start_after_the_switch_goes_back_to_the_previous_release() {
    let host = Host::new("");
    host.deploy(&host.release("v1", "healthy", 0.0))
        .expect_code(0);
    let good = host.current();
    let before = state(&host);
    // Executable, so validation passes; its interpreter does not exist, so it cannot start.
    restart_that_cannot_start(&host);
    let run = host
        .deploy(&host.release("v2", "healthy", 0.0))
        .expect_code(2);
    let said = run.all_output();
    assert!(
        said.contains("did not go live") && said.contains(&format!("switched back to {good}")),
        "{said}"
    );
    assert_eq!(
        host.current(),
        good,
        "current is back on the release that ran"
    );
    assert_eq!(
        state(&host).1.len(),
        before.1.len() + 1,
        "the new release stays staged, not current"
    );
    assert_settled(&host);
    assert!(
        host.answering().contains("healthy"),
        "the previous release still answers"
    );

    // A restart program that does not exist at all is caught before anything moves.
    let manifest = host.fx.read("Cargo.toml").replace(
        "restart = [\"./restart-broken\"]",
        "restart = [\"windlass-no-such-program\"]",
    );
    host.fx.write("Cargo.toml", &manifest);
    let before = state(&host);
    let run = host
        .deploy(&host.release("v3", "healthy", 0.0))
        .expect_code(1);
    assert!(
        run.all_output()
            .contains("the restart command `windlass-no-such-program` is not on PATH"),
        "{}",
        run.all_output()
    );
    assert!(
        run.all_output().contains("nothing was switched"),
        "{}",
        run.all_output()
    );
    assert_eq!(state(&host).0, before.0);
    assert_settled(&host);
}

#[test]
fn a_first_release_that_cannot_go_live_is_withdrawn_entirely() {
    let host = Host::new("");
    restart_that_cannot_start(&host);
    let run = host
        .deploy(&host.release("v1", "healthy", 0.0))
        .expect_code(2);
    assert!(
        run.all_output()
            .contains("it was withdrawn: no `current`, as before"),
        "{}",
        run.all_output()
    );
    assert_eq!(state(&host), (None, Vec::new(), Vec::new()));
    assert_settled(&host);

    // An unhealthy first release, the same.
    let host = Host::new("");
    let run = host
        .deploy(&host.release("v1", "unhealthy", 0.0))
        .expect_code(1);
    assert!(
        run.all_output()
            .contains("no previous release to roll back to"),
        "{}",
        run.all_output()
    );
    assert_eq!(state(&host), (None, Vec::new(), Vec::new()));
    assert_settled(&host);
}

#[test]
fn a_current_that_windlass_did_not_make_is_never_replaced() {
    for (what, make) in [
        (
            "a regular file",
            Box::new(|p: &Path| std::fs::write(p, "the operator's notes\n").unwrap())
                as Box<dyn Fn(&Path)>,
        ),
        (
            "a directory",
            Box::new(|p: &Path| {
                std::fs::create_dir_all(p).unwrap();
                std::fs::write(p.join("svc"), "the old binary").unwrap();
            }),
        ),
        (
            "a link to",
            Box::new(|p: &Path| std::os::unix::fs::symlink("/opt/elsewhere", p).unwrap()),
        ),
    ] {
        let host = Host::new("");
        std::fs::create_dir_all(&host.root).unwrap();
        let current = host.root.join("current");
        make(&current);
        let snapshot = files_under(&host.root);
        let run = host
            .deploy(&host.release("v1", "healthy", 0.0))
            .expect_code(2);
        let said = run.all_output();
        assert!(
            said.contains(&format!("is {what}")) && said.contains("not the link windlass switches"),
            "{what}: {said}"
        );
        assert!(said.contains("move it aside"), "{said}");
        assert!(
            !host.root.join("releases").exists(),
            "{what}: nothing staged"
        );
        let lock = host.root.join(".windlass-deploy.lock");
        let after: Vec<PathBuf> = files_under(&host.root)
            .into_iter()
            .filter(|p| *p != lock)
            .collect();
        assert_eq!(after, snapshot, "{what}: nothing of the operator's changed");
        if what == "a regular file" {
            assert_eq!(
                std::fs::read_to_string(&current).unwrap(),
                "the operator's notes\n"
            );
        }
        assert_settled(&host);
    }
}

#[test]
fn sigterm_after_the_switch_goes_back_to_the_previous_release() {
    let host = Host::new("");
    host.deploy(&host.release("v1", "healthy", 0.0))
        .expect_code(0);
    let good = host.current();
    let manifest = host
        .fx
        .read("Cargo.toml")
        .replace("deadline = \"3s\"", "deadline = \"60s\"");
    host.fx.write("Cargo.toml", &manifest);
    let child = host
        .command(&[
            "deploy",
            "--env",
            "staging",
            "--artifact",
            host.release("v2", "unhealthy", 0.0).to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while host.current() == good {
        assert!(Instant::now() < deadline, "the deploy never switched");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let run = Run(child.wait_with_output().unwrap());
    assert_eq!(run.code(), 130, "{}", run.all_output());
    assert!(
        run.all_output()
            .contains(&format!("rolled back to {good}, which is healthy")),
        "{}",
        run.all_output()
    );
    assert_eq!(host.current(), good);
    assert_settled(&host);
    assert!(host.answering().contains("healthy"));
}

#[test]
fn a_broken_chunked_body_is_not_healthy_and_a_url_cannot_inject_headers() {
    let port = hostile_endpoint(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nnot-hex\r\n{\"status\":\"ok\"}\r\n0\r\n\r\n",
        false,
    );
    let fx = Fixture::new(CLEAN_LIB);
    let url = format!("http://127.0.0.1:{port}/health");
    let run = fx
        .run(&[
            "health-check",
            "--url",
            &url,
            "--deadline",
            "1s",
            "--interval",
            "100ms",
        ])
        .expect_code(1);
    assert!(
        run.stdout().contains("malformed size line"),
        "{}",
        run.stdout()
    );

    let injected = format!("http://127.0.0.1:{port}/health\r\nX-Injected: 1");
    let run = fx.run(&["health-check", "--url", &injected]).expect_code(2);
    assert!(
        run.stderr()
            .contains("a carriage return, which a URL cannot"),
        "{}",
        run.stderr()
    );
}

/// A `.tar.gz` made by Python's tarfile: `count` entries of `size` zeros each.
fn archive(dir: &Path, name: &str, entry: &str, size: u64, mode: u32, count: u32) -> PathBuf {
    let path = dir.join(name);
    let script = format!(
        "import io, tarfile\nclass Zeros(io.RawIOBase):\n    def __init__(s, n): s.n = n\n    def readable(s): return True\n    def readinto(s, b):\n        k = min(len(b), s.n); b[:k] = bytes(k); s.n -= k; return k\nwith tarfile.open({:?}, 'w:gz') as t:\n    for _ in range({count}):\n        i = tarfile.TarInfo({entry:?}); i.size = {size}; i.mode = {mode}\n        t.addfile(i, io.BufferedReader(Zeros({size})))\n",
        path.to_string_lossy(),
    );
    let out = std::process::Command::new("python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

#[test]
fn a_decompression_bomb_is_refused_before_the_disk_fills() {
    let host = Host::new("max-unpacked = \"8MB\"\n");
    host.deploy(&host.release("v1", "healthy", 0.0))
        .expect_code(0);
    let before = state(&host);
    let dir = host.fx.root.join("bombs");
    std::fs::create_dir_all(&dir).unwrap();
    // 64 MiB of zeros in a few kilobytes.
    let bomb = archive(
        &dir,
        "svc-0.2.0-x86_64-unknown-linux-gnu.tar.gz",
        "svc-0.2.0/svc",
        64 << 20,
        0o755,
        1,
    );
    assert!(std::fs::metadata(&bomb).unwrap().len() < 1 << 20);
    let run = host.deploy(&bomb).expect_code(2);
    assert!(
        run.all_output()
            .contains("it unpacks to more than 8388608 bytes"),
        "{}",
        run.all_output()
    );
    let many = archive(
        &dir,
        "svc-0.3.0-x86_64-unknown-linux-gnu.tar.gz",
        "svc-0.3.0/f",
        0,
        0o644,
        10_001,
    );
    let run = host.deploy(&many).expect_code(2);
    assert!(
        run.all_output().contains("more than 10000 entries"),
        "{}",
        run.all_output()
    );
    assert_eq!(state(&host), before);
    let unpacked: Vec<PathBuf> = files_under(&host.fx.root.join("target/windlass-deploy"))
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("windlass-unpack"))
        .collect();
    assert!(unpacked.is_empty(), "no partial file left: {unpacked:?}");
    assert_settled(&host);
    assert!(host.answering().contains("healthy"));
}

#[test]
fn paths_from_config_stay_inside_their_base() {
    let host = Host::new("");
    let manifest = host
        .fx
        .read("Cargo.toml")
        .replace("bin = \"svc\"", "bin = \"../../../x\"");
    host.fx.write("Cargo.toml", &manifest);
    let run = host
        .deploy(&host.release("v1", "healthy", 0.0))
        .expect_code(2);
    assert!(
        run.all_output().contains("`../../../x` is not a file name"),
        "{}",
        run.all_output()
    );
    assert!(run.all_output().contains("bin"), "{}", run.all_output());
    assert!(!host.root.exists(), "nothing written");

    let fx = Fixture::with_manifest(
        CLEAN_LIB,
        "\n[workspace.metadata.windlass.steps.escape]\nrun = [\"touch\", \"escaped\"]\ncwd = \"../../\"\n",
    );
    let run = fx.run(&["ci", "--only", "escape"]).expect_code(2);
    assert!(
        run.all_output()
            .contains("`../../` leaves the workspace root"),
        "{}",
        run.all_output()
    );
    assert!(run.all_output().contains("cwd"), "{}", run.all_output());
    assert!(!fx.root.join("../../escaped").exists());

    // A link inside the root that leads out of it is refused when the step runs.
    let fx = Fixture::with_manifest(
        CLEAN_LIB,
        "\n[workspace.metadata.windlass.steps.escape]\nrun = [\"touch\", \"escaped\"]\ncwd = \"out\"\n",
    );
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), fx.root.join("out")).unwrap();
    let run = fx.run(&["ci", "--only", "escape"]).expect_code(2);
    let line = fx.manifest_line("cwd = ");
    assert!(
        run.all_output().contains(&format!(
            "Cargo.toml:{line}:1: [workspace.metadata.windlass.steps.escape] cwd `out` leads outside the workspace root"
        )),
        "{}",
        run.all_output()
    );
    assert!(!outside.path().join("escaped").exists());
}

#[test]
fn secrets_say_every_file_they_do_not_read_and_follow_no_link_out() {
    let fx = Fixture::new(CLEAN_LIB);
    git(&fx.root, &["init", "--quiet"]);
    let key = "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENGbPxRfiCYq8Zr2XvM7kP\n"; // windlass:allow-secret
    // Over the size limit.
    let mut big = "x".repeat(11 << 20);
    big.push('\n');
    big.push_str(key);
    fx.write("data/dump.txt", &big);
    // Text whose first byte is NUL: still text.
    fx.write("notes.txt", &format!("\0{key}"));
    // A link out of the repository, to a file with a key in it.
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.env"), key).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.env"),
        fx.root.join("linked.env"),
    )
    .unwrap();
    // A key split by a shell continuation.
    fx.write(
        "deploy.sh",
        "export AWS_SECRET_ACCESS_KEY=wJalrXUtnF\\\n  EMI/K7MDENGbPxRfiCYq8Zr2XvM7kP\n",
    ); // windlass:allow-secret

    let run = fx.run(&["secrets", "--format", "json"]).expect_code(1);
    let report = run.json();
    let mut found: Vec<String> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| format!("{}:{}", d["file"].as_str().unwrap(), d["line"]))
        .collect();
    found.sort();
    assert_eq!(found, ["deploy.sh:1", "notes.txt:1"], "{report:#}");
    let said = run.stderr();
    assert!(
        said.contains(
            "not read, larger than the limit (the limit is 10485760 bytes; `max-file-size`"
        ),
        "{said}"
    );
    assert!(said.contains("data/dump.txt ("), "{said}");
    assert!(
        said.contains("not read, links out of the repository: linked.env (to "),
        "{said}"
    );
    assert!(
        report["steps"][0]["summary"]
            .as_str()
            .unwrap()
            .contains("2 not read"),
        "{report:#}"
    );

    // The limit raised, the big file is read.
    let manifest = fx.read("Cargo.toml");
    fx.write(
        "Cargo.toml",
        &format!("{manifest}\n[workspace.metadata.windlass.secrets]\nmax-file-size = \"20MB\"\n"),
    );
    let run = fx.run(&["secrets", "--format", "json"]).expect_code(1);
    let files: Vec<String> = run.json()["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| d["file"].as_str().unwrap().to_string())
        .collect();
    assert!(files.contains(&"data/dump.txt".to_string()), "{files:?}");
}
