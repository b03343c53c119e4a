//! A stranger's first hour, for real: `cargo new` a service, `windlass init` it, then what
//! they type next — `cargo build`, `git commit` through the hook, `cargo xtask ci`,
//! `docker-build --init` and a commit, `doctor`, a deploy and its systemd unit. Real cargo,
//! git and rustfmt; the xtask built once into a target directory the tests share.
// In test helpers a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

/// A `/health` server on `$SVC_PORT`, standard library only: the service of a stranger.
const SERVICE: &str = include_str!("fixtures/health_service.rs");

/// This checkout: what `--windlass-path` names.
fn windlass_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Where every xtask these tests build goes: windlass is compiled once for all of them.
fn shared_target() -> PathBuf {
    std::env::temp_dir().join("windlass-first-hour-target")
}

/// A brand-new service, as `cargo new` makes it, committed.
struct Stranger {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Stranger {
    fn new(kind: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("windlass first hour ")
            .tempdir()
            .unwrap();
        let out = Command::new("cargo")
            .args(["new", "--quiet", "--vcs", "git", kind, "svc"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let root = dir.path().join("svc");
        let stranger = Self { _dir: dir, root };
        if kind == "--bin" {
            stranger.write("src/main.rs", SERVICE);
        }
        git(
            &stranger.root,
            &["config", "user.email", "stranger@example.com"],
        );
        git(&stranger.root, &["config", "user.name", "Stranger"]);
        git(&stranger.root, &["add", "-A"]);
        git(&stranger.root, &["commit", "--quiet", "-m", "cargo new"]);
        stranger
    }

    fn write(&self, path: &str, text: &str) {
        let full = self.root.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }

    fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.root.join(path)).unwrap()
    }

    /// A command in the repository, as the stranger's shell has it: the shared target dir,
    /// no CI variables, offline (everything windlass needs is in the local registry cache).
    fn command(&self, program: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .current_dir(&self.root)
            .env("CARGO_TARGET_DIR", shared_target())
            .env("CARGO_NET_OFFLINE", "true")
            .env("NO_COLOR", "1");
        for var in [
            "GITHUB_ACTIONS",
            "GITHUB_STEP_SUMMARY",
            "RUSTFLAGS",
            "CARGO_BUILD_RUSTFLAGS",
        ] {
            cmd.env_remove(var);
        }
        cmd
    }

    fn run(&self, program: &str, args: &[&str]) -> Run {
        Run(self.command(program, args).output().unwrap())
    }

    fn windlass(&self, args: &[&str]) -> Run {
        self.run(env!("CARGO_BIN_EXE_windlass"), args)
    }

    fn xtask(&self, args: &[&str]) -> Run {
        let mut all = vec!["xtask"];
        all.extend_from_slice(args);
        self.run("cargo", &all)
    }

    fn commit(&self, message: &str) -> Run {
        git(&self.root, &["add", "-A"]);
        self.run("git", &["commit", "--quiet", "-m", message])
    }

    /// Every file outside `.git` and the build output, with its bytes.
    fn snapshot(&self) -> Vec<(PathBuf, Vec<u8>)> {
        files_under(&self.root)
            .into_iter()
            .filter(|p| {
                let rel = p
                    .strip_prefix(&self.root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                !rel.starts_with(".git/") && !rel.starts_with("target/")
            })
            .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
            .collect()
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Stops the service a deploy started (its pid in the deploy root).
struct Service(PathBuf);

impl Drop for Service {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.0.join("service.pid")) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
    }
}

#[test]
fn a_new_service_adopts_windlass_and_what_a_stranger_types_next_works() {
    let svc = Stranger::new("--bin");

    // The default, the crate registry, does not resolve here: refused, nothing written.
    let before = svc.snapshot();
    let refused = svc.windlass(&["init"]).expect_code(2);
    let said = refused.all_output();
    assert!(said.contains("init wrote nothing"), "{said}");
    assert!(
        said.contains("--windlass-path") && said.contains("--windlass-git"),
        "{said}"
    );
    assert!(
        before == svc.snapshot(),
        "a refused init leaves every file as it was"
    );
    assert!(!svc.root.join(".git/hooks/pre-commit").exists());

    // Depending on this checkout's crate directory, by a path relative to the repository.
    let crate_dir = windlass_root().join("crates/windlass");
    let init = svc
        .windlass(&["init", "--windlass-path", crate_dir.to_str().unwrap()])
        .expect_code(0);
    let out = init.stdout();
    assert!(out.contains("wrote     xtask/Cargo.toml"), "{out}");
    let xtask = svc.read("xtask/Cargo.toml");
    assert!(
        xtask.contains("\n[workspace]\n"),
        "a workspace of its own: {xtask}"
    );
    assert!(
        xtask.contains("features = [\"audit\", \"release\", \"adopt\", \"docker\", \"deploy\"]"),
        "a service gets the docker and deploy tasks: {xtask}"
    );
    assert!(
        init.all_output().contains("is an absolute path"),
        "{}",
        init.all_output()
    );
    let manifest = svc.read("Cargo.toml");
    assert!(
        !manifest.contains("[workspace"),
        "a single package stays one: {manifest}"
    );
    assert!(
        !manifest.contains("[profile.dev"),
        "the project's dev profile is its own: {manifest}"
    );
    assert!(svc.root.join("xtask/target").exists() || shared_target().join("debug/xtask").exists());

    // The project builds, and its lockfile knows nothing of windlass.
    svc.run("cargo", &["build", "--quiet"]).expect_code(0);
    let lock = svc.read("Cargo.lock");
    assert!(!lock.contains("name = \"windlass"), "{lock}");
    assert_eq!(lock.matches("[[package]]").count(), 1, "{lock}");

    // The first commit goes through the hook.
    let commit = svc.commit("windlass");
    assert_eq!(commit.code(), 0, "{}", commit.all_output());

    // `cargo xtask ci` passes, auditing the project's one package, not windlass's tree.
    svc.write(
        "Cargo.toml",
        &format!(
            "{manifest}\n[package.metadata.windlass.audit]\ndb = {:?}\nfetch = false\n",
            advisory_db()
        ),
    );
    let ci = svc.xtask(&["ci"]);
    assert_eq!(ci.code(), 0, "{}", ci.all_output());
    let report = ci.stdout();
    assert!(report.contains("ci passed: 6 passed"), "{report}");
    assert!(
        report.contains("0 warnings in 0 packages"),
        "the audit is of the project (no dependencies), not of windlass's tree: {report}"
    );

    // An image for it: the Dockerfile and its probe, committed through the hook.
    svc.xtask(&["docker-build", "--init"]).expect_code(0);
    svc.xtask(&["docker-build", "--check"]).expect_code(0);
    let commit = svc.commit("image");
    assert_eq!(commit.code(), 0, "{}", commit.all_output());

    let doctor = svc.xtask(&["doctor"]);
    assert_eq!(doctor.code(), 0, "{}", doctor.all_output());

    // A deploy on this machine, health-gated, then the unit that runs it.
    let port = free_port();
    let host = svc.root.join("host");
    svc.write("restart.sh", include_str!("fixtures/restart.sh"));
    let manifest = svc.read("Cargo.toml");
    svc.write(
        "Cargo.toml",
        &format!(
            "{manifest}\n[package.metadata.windlass.deploy.local]\nroot = {:?}\nbin = \"svc\"\nprofile = \"dev\"\nrestart = [\"sh\", \"restart.sh\"]\nhealth = {{ url = \"http://127.0.0.1:{port}/health\", deadline = \"60s\", interval = \"100ms\" }}\n",
            host.to_string_lossy()
        ),
    );
    let _service = Service(host.clone());
    let mut deploy = svc.command("cargo", &["xtask", "deploy", "--env", "local"]);
    deploy.env("SVC_PORT", port.to_string());
    let deployed = Run(deploy.output().unwrap());
    assert_eq!(deployed.code(), 0, "{}", deployed.all_output());
    assert!(
        deployed
            .all_output()
            .contains("deploying uncommitted changes"),
        "the tree has uncommitted config: {}",
        deployed.all_output()
    );
    let current = std::fs::read_link(host.join("current")).unwrap();
    let info = std::fs::read_to_string(host.join(&current).join("release.json"))
        .or_else(|_| {
            std::fs::read_to_string(
                host.join("releases")
                    .join(current.file_name().unwrap())
                    .join("release.json"),
            )
        })
        .unwrap();
    assert!(info.contains("\"dirty\": true"), "{info}");
    let mut health = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    health.write_all(b"GET /health HTTP/1.0\r\n\r\n").unwrap();
    let mut answer = String::new();
    health.read_to_string(&mut answer).unwrap();
    assert!(answer.contains("healthy"), "{answer}");

    let unit = svc
        .xtask(&["systemd-unit", "--env", "local"])
        .expect_code(0);
    let text = unit.stdout();
    assert!(
        text.starts_with("# Generated by"),
        "stdout is the unit alone: {text}"
    );
    assert!(
        !text.contains("passed"),
        "the step table goes to stderr: {text}"
    );
    if let Some(analyze) = tool_or_skip("systemd-analyze", "apt-get install systemd") {
        let file = svc.root.join("svc.service");
        std::fs::write(&file, &text).unwrap();
        let verify = Command::new(analyze)
            .arg("verify")
            .arg(&file)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&verify.stderr);
        assert!(
            verify.status.success() && !said.contains("svc.service:"),
            "systemd-analyze verify: {said}"
        );
    }
}

#[test]
fn a_library_gets_the_tasks_it_uses_and_a_left_out_task_names_its_feature() {
    let lib = Stranger::new("--lib");
    // Its root, this time, rather than the crate directory.
    lib.windlass(&["init", "--windlass-path", windlass_root().to_str().unwrap()])
        .expect_code(0);
    let xtask = lib.read("xtask/Cargo.toml");
    assert!(
        xtask.contains("features = [\"audit\", \"release\", \"adopt\"]"),
        "{xtask}"
    );
    let deploy = lib.xtask(&["deploy", "--env", "production"]).expect_code(2);
    let said = deploy.stderr();
    assert!(
        said.contains("`deploy` is not built into this xtask")
            && said.contains("\"deploy\"")
            && said.contains("xtask/Cargo.toml"),
        "{said}"
    );
    let help = lib.xtask(&["--help"]).expect_code(0).stdout();
    assert!(
        help.contains("docker-build") && help.contains("not built in: the `docker` feature"),
        "{help}"
    );
    lib.xtask(&["doctor"]).expect_code(0);
}

/// A commit runs the xtask's binary directly, without `cargo run`, once cargo has run it for
/// the hook without building it; a staged secret still blocks the commit that way, and an
/// edit to the xtask sends the next commit through cargo again.
#[test]
fn the_hook_runs_the_built_xtask_itself_while_cargo_would_not_rebuild_it() {
    let svc = Stranger::new("--lib");
    svc.windlass(&["init", "--windlass-path", windlass_root().to_str().unwrap()])
        .expect_code(0);
    // A binary name of its own: the other tests' xtasks share the target directory.
    let manifest = svc.read("xtask/Cargo.toml");
    svc.write(
        "xtask/Cargo.toml",
        &manifest.replacen(
            "[dependencies]",
            "[[bin]]\nname = \"xtask-hook-fresh\"\npath = \"src/main.rs\"\n\n[dependencies]",
            1,
        ),
    );
    let stamp = svc.root.join(".git/windlass/xtask-fresh");
    let commit = svc.commit("windlass");
    assert_eq!(commit.code(), 0, "{}", commit.all_output());
    assert!(
        !stamp.exists(),
        "cargo has just built the binary: nothing to vouch for yet"
    );
    // Past the margin, cargo runs the binary without building it: that run writes the stamp.
    std::thread::sleep(std::time::Duration::from_secs(6));
    svc.write("src/lib.rs", "//! A library.\n");
    let commit = svc.commit("docs");
    assert_eq!(commit.code(), 0, "{}", commit.all_output());
    let stamped = std::fs::read_to_string(&stamp).unwrap();
    assert!(
        stamped
            .lines()
            .next()
            .unwrap()
            .ends_with("/xtask-hook-fresh"),
        "{stamped}"
    );

    // From now on a `cargo` that only logs its arguments and fails shows whether it ran.
    let shims = tempfile::tempdir().unwrap();
    let log = shims.path().join("cargo.log");
    let cargo = shims.path().join("cargo");
    write_executable(
        &cargo,
        &format!("#!/bin/sh\necho \"$@\" >> '{}'\nexit 97\n", log.display()),
    );
    let mut path = vec![shims.path().to_path_buf()];
    path.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap()));
    let path = std::env::join_paths(path).unwrap();
    let commit_without_cargo = |message: &str| {
        git(&svc.root, &["add", "-A"]);
        Run(svc
            .command("git", &["commit", "--quiet", "-m", message])
            .env("PATH", &path)
            .output()
            .unwrap())
    };

    svc.write("src/lib.rs", "//! A library, documented.\n");
    let commit = commit_without_cargo("more docs");
    assert_eq!(commit.code(), 0, "{}", commit.all_output());
    assert!(
        !log.exists(),
        "cargo ran: {}",
        std::fs::read_to_string(&log).unwrap()
    );

    let key = format!("AKIA{}", "Q7ZR2XV7MK4PT1WL");
    svc.write(
        "src/config.rs",
        &format!("pub const KEY: &str = \"{key}\";\n"),
    );
    let blocked = commit_without_cargo("a key");
    assert_eq!(blocked.code(), 1, "{}", blocked.all_output());
    assert!(
        blocked.all_output().contains("src/config.rs"),
        "{}",
        blocked.all_output()
    );
    assert!(
        !log.exists(),
        "cargo ran: {}",
        std::fs::read_to_string(&log).unwrap()
    );
    std::fs::remove_file(svc.root.join("src/config.rs")).unwrap();

    // The xtask changed: the binary no longer vouches for itself and cargo is asked.
    let main = svc.read("xtask/src/main.rs");
    svc.write("xtask/src/main.rs", &format!("{main}// edited\n"));
    let handed_over = commit_without_cargo("xtask edited");
    // git says 1 for any hook that fails; the log says who ran.
    assert_eq!(handed_over.code(), 1, "{}", handed_over.all_output());
    assert_eq!(
        std::fs::read_to_string(&log).unwrap().trim(),
        "xtask pre-commit"
    );
    let commit = svc.commit("xtask edited");
    assert_eq!(commit.code(), 0, "{}", commit.all_output());
}
