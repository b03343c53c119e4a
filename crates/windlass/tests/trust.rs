//! Nothing that is not windlass's: one test per way windlass was found to delete, overwrite,
//! resurrect or print what it does not own (issue "Nothing that is not windlass's"). Each
//! asserts the exit code, the message, and that a sentinel tree around the case — outside the
//! repository, or the repository itself — is exactly as it was.
// In test helpers a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::time::{Duration, Instant};
use support::host::*;
use support::*;

fn commit_all(dir: &Path) {
    if !dir.join(".git").exists() {
        git(dir, &["init", "--quiet", "--initial-branch=main"]);
    }
    git(dir, &["add", "-A"]);
    git(
        dir,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "--quiet",
            "--allow-empty",
            "-m",
            "commit",
        ],
    );
}

fn windlass_checkout() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// `init --no-build` of `fx`, windlass from this checkout.
fn init(fx: &Fixture) -> Run {
    fx.run(&[
        "init",
        "--no-build",
        "--windlass-path",
        windlass_checkout().to_str().unwrap(),
    ])
}

// 1. cache-prune deletes only inside cargo's layout.

#[test]
fn cache_prune_refuses_a_repository_cargo_built_into() {
    let fx = Fixture::new(CLEAN_LIB);
    commit_all(&fx.root);
    // What `CARGO_TARGET_DIR=$repo cargo check` leaves: the repository looks like a target
    // directory.
    fx.write(
        "CACHEDIR.TAG",
        "Signature: 8a477f597d28d172789f06886806bc55\n",
    );
    fx.write(".rustc_info.json", "{}");
    fx.write("debug/.fingerprint/x/y", "");
    let before = tree_state(&fx.root);
    let run = fx
        .run(&["cache-prune", "--target-dir", fx.root.to_str().unwrap()])
        .expect_code(2);
    let err = run.all_output();
    assert!(
        err.contains("nothing pruned") && (err.contains("above") || err.contains("Cargo.toml")),
        "{err}"
    );
    assert_eq!(before, tree_state(&fx.root), "the repository is as it was");
}

#[test]
fn cache_prune_refuses_a_target_dir_above_the_workspace() {
    let fx = Fixture::new(CLEAN_LIB);
    let parent = fx.root.parent().unwrap().to_path_buf();
    std::fs::write(parent.join("CACHEDIR.TAG"), "Signature").unwrap();
    std::fs::write(parent.join("sibling.txt"), "mine").unwrap();
    fx.write(".cargo/config.toml", "[build]\ntarget-dir = \"..\"\n");
    let before = tree_state(&parent);
    let run = fx.run(&["cache-prune"]).expect_code(2);
    assert!(
        run.all_output().contains("nothing pruned"),
        "{}",
        run.all_output()
    );
    assert_eq!(before, tree_state(&parent));
}

#[test]
fn cache_prune_never_enters_a_link_out_of_the_target_dir() {
    let fx = Fixture::new(CLEAN_LIB);
    let outside = Sentinel::new();
    fx.write(
        "Cargo.lock",
        "version = 4\n[[package]]\nname = \"fixture\"\nversion = \"0.1.0\"\n",
    );
    fx.write(
        "target/CACHEDIR.TAG",
        "Signature: 8a477f597d28d172789f06886806bc55\n",
    );
    fx.write("target/debug/.fingerprint/fixture-0123456789abcdef/x", "");
    symlink(
        outside.path.join("deep/er"),
        fx.root.join("target/debug/deps"),
    )
    .unwrap();
    fx.write("target/release/.fingerprint/keep/x", "");
    symlink(&outside.path, fx.root.join("target/release/build")).unwrap();
    symlink(&outside.path, fx.root.join("target/debug/incremental")).unwrap();
    fx.run(&["cache-prune"]).expect_code(0);
    outside.assert_untouched();
    assert!(
        !fx.root
            .join("target/debug/.fingerprint/fixture-0123456789abcdef")
            .exists(),
        "the member's own fingerprint is pruned"
    );
}

// 2 and 3. The ledger: deploys prune only their own releases; rollback never resurrects a
// release that failed its gate.

#[test]
fn deploy_prunes_only_releases_its_ledger_recorded() {
    let host = Host::new("");
    std::fs::create_dir_all(host.root.join("releases/0000-operator-backup")).unwrap();
    std::fs::write(
        host.root.join("releases/0000-operator-backup/db.dump"),
        "data",
    )
    .unwrap();
    let backup = tree_state(&host.root.join("releases/0000-operator-backup"));
    let mut last = None;
    for i in 0..5 {
        let run = host
            .deploy(&host.release(&format!("v{i}"), "healthy", 0.0))
            .expect_code(0);
        last = Some(run.stdout());
    }
    let out = last.unwrap();
    assert!(out.contains("left alone"), "{out}");
    assert!(out.contains("0000-operator-backup"), "{out}");
    assert_eq!(
        backup,
        tree_state(&host.root.join("releases/0000-operator-backup")),
        "the operator's backup is untouched"
    );
    // keep = 3: three of windlass's releases and the backup.
    assert_eq!(host.releases().len(), 4, "{:?}", host.releases());
    let history = host
        .command(&["deploy", "--env", "staging", "--history"])
        .output()
        .unwrap();
    let history = String::from_utf8_lossy(&history.stdout);
    assert_eq!(history.matches("healthy").count(), 5, "{history}");
    assert!(history.contains("pruned"), "{history}");
}

#[test]
fn rollback_never_picks_a_release_that_failed_its_gate() {
    let host = Host::new("");
    host.deploy(&host.release("a", "healthy", 0.0))
        .expect_code(0);
    let a = host.current();
    host.deploy(&host.release("b", "unhealthy", 0.0))
        .expect_code(1);
    let b = host
        .releases()
        .into_iter()
        .find(|r| *r != a)
        .expect("b's directory is kept");
    host.deploy(&host.release("c", "healthy", 0.0))
        .expect_code(0);
    let c = host.current();
    assert_ne!(c, a);

    let run = Run(host
        .command(&["rollback", "--env", "staging"])
        .output()
        .unwrap())
    .expect_code(0);
    assert_eq!(host.current(), a, "{}", run.stdout());
    assert!(host.answering().contains("200"), "A answers healthy");

    // Named, B is refused: it failed its gate.
    let refused = Run(host
        .command(&["rollback", "--env", "staging", "--to", &b])
        .output()
        .unwrap())
    .expect_code(2);
    let err = refused.all_output();
    assert!(
        err.contains("did not pass its gate") && err.contains("rolled-back"),
        "{err}"
    );
    assert!(err.contains("--force"), "{err}");
    assert_eq!(host.current(), a, "nothing moved");

    // --force goes there, and the gate says what it is.
    let forced = Run(host
        .command(&["rollback", "--env", "staging", "--to", &b, "--force"])
        .output()
        .unwrap())
    .expect_code(1);
    assert!(
        forced.stdout().contains("NOT healthy"),
        "{}",
        forced.stdout()
    );
    let history = String::from_utf8_lossy(
        &host
            .command(&["deploy", "--env", "staging", "--history"])
            .output()
            .unwrap()
            .stdout,
    )
    .into_owned();
    assert!(
        history.contains("unhealthy") && history.contains("not healthy when rolled back to"),
        "{history}"
    );
}

#[test]
fn rollback_with_no_release_that_passed_names_the_way_out() {
    let host = Host::new("");
    host.deploy(&host.release("a", "healthy", 0.0))
        .expect_code(0);
    let run = Run(host
        .command(&["rollback", "--env", "staging"])
        .output()
        .unwrap())
    .expect_code(2);
    assert!(
        run.all_output().contains("nothing to roll back to"),
        "{}",
        run.all_output()
    );
    assert!(run.all_output().contains("--to"), "{}", run.all_output());
}

// 4. No write through a link out of the repository.

#[test]
fn workflows_never_write_through_a_linked_workflows_directory() {
    let fx = Fixture::new(CLEAN_LIB);
    let outside = Sentinel::new();
    std::fs::create_dir_all(fx.root.join(".github")).unwrap();
    symlink(&outside.path, fx.root.join(".github/workflows")).unwrap();
    commit_all(&fx.root);
    let run = fx
        .run(&["workflows", "--replace-ci", "--execute"])
        .expect_code(2);
    let out = run.all_output();
    assert!(
        out.contains("symbolic link") && out.contains("workflows"),
        "{out}"
    );
    outside.assert_untouched();
}

#[test]
fn init_refuses_a_committed_xtask_link_and_writes_nothing() {
    let fx = Fixture::new(CLEAN_LIB);
    let outside = Sentinel::new();
    symlink(&outside.path, fx.root.join("xtask")).unwrap();
    commit_all(&fx.root);
    let before = tree_state(&fx.root);
    let run = init(&fx).expect_code(2);
    let err = run.all_output();
    assert!(
        err.contains("xtask") && err.contains("symbolic link"),
        "{err}"
    );
    assert!(err.contains("put back"), "{err}");
    outside.assert_untouched();
    let after: Vec<_> = tree_state(&fx.root)
        .into_iter()
        .filter(|(p, _)| !p.starts_with(".git"))
        .collect();
    let before: Vec<_> = before
        .into_iter()
        .filter(|(p, _)| !p.starts_with(".git"))
        .collect();
    assert_eq!(before, after, "every file put back");
}

#[test]
fn audit_writes_no_index_beside_the_database() {
    let fx = Fixture::new(CLEAN_LIB);
    let copy = tempfile::tempdir().unwrap();
    let db = copy.path().join("db");
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(advisory_db())
        .arg(&db)
        .status()
        .unwrap();
    assert!(status.success());
    let before = tree_state(copy.path());
    let cache = tempfile::tempdir().unwrap();
    let run = fx
        .command(&["audit", "--db", db.to_str().unwrap(), "--no-fetch"])
        .env("WINDLASS_CACHE_DIR", cache.path())
        .output()
        .unwrap();
    assert!(matches!(run.status.code(), Some(0 | 1)), "{run:?}");
    assert_eq!(
        before,
        tree_state(copy.path()),
        "nothing beside or inside the database"
    );
    assert!(
        files_under(cache.path())
            .iter()
            .any(|p| p.to_string_lossy().contains("advisory-index")),
        "the index lives in windlass's cache"
    );
}

// 5 and 6. init keeps modes, line ends and BOMs; a failure anywhere puts everything back.

#[test]
fn init_keeps_modes_line_ends_and_byte_order_marks() {
    let fx = Fixture::new(CLEAN_LIB);
    let manifest = format!("\u{feff}{}", fx.read("Cargo.toml").replace('\n', "\r\n"));
    fx.write("Cargo.toml", &manifest);
    fx.write(
        ".cargo/config.toml",
        "[registry]\r\ntoken = \"secret-token\"\r\n",
    );
    std::fs::set_permissions(
        fx.root.join(".cargo/config.toml"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    std::fs::set_permissions(
        fx.root.join("Cargo.toml"),
        std::fs::Permissions::from_mode(0o444),
    )
    .unwrap();
    commit_all(&fx.root);
    init(&fx).expect_code(0);
    let mode = |p: &str| {
        std::fs::metadata(fx.root.join(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(".cargo/config.toml"), 0o600, "a token stays private");
    assert_eq!(mode("Cargo.toml"), 0o444);
    let manifest = fx.read("Cargo.toml");
    assert!(manifest.starts_with('\u{feff}'), "the BOM is kept");
    assert!(
        manifest.contains("[workspace.metadata.windlass"),
        "{manifest}"
    );
    assert!(
        !manifest.replace("\r\n", "").contains('\n'),
        "every line ends in CRLF: {manifest:?}"
    );
    let config = fx.read(".cargo/config.toml");
    assert!(
        config.starts_with("[registry]\r\ntoken = \"secret-token\"\r\n"),
        "{config:?}"
    );
    assert!(config.contains("[alias]\r\nxtask = "), "{config:?}");
    assert!(!config.replace("\r\n", "").contains('\n'), "{config:?}");
}

#[test]
fn init_puts_every_file_back_when_it_cannot_finish() {
    let fx = Fixture::new(CLEAN_LIB);
    // `.github` is a file: the workflows cannot be written, late in the run.
    fx.write(".github", "not a directory\n");
    commit_all(&fx.root);
    let before: Vec<_> = tree_state(&fx.root)
        .into_iter()
        .filter(|(p, _)| !p.starts_with(".git/"))
        .collect();
    let run = init(&fx).expect_code(2);
    let err = run.all_output();
    assert!(
        err.contains(".github") && err.contains("move it aside"),
        "{err}"
    );
    assert!(err.contains("put back"), "{err}");
    let after: Vec<_> = tree_state(&fx.root)
        .into_iter()
        .filter(|(p, _)| !p.starts_with(".git/"))
        .collect();
    assert_eq!(
        before, after,
        "Cargo.toml, .cargo, xtask, configs and .gitignore all put back"
    );
}

#[test]
fn a_file_where_init_needs_a_directory_is_named_with_the_fix() {
    let fx = Fixture::new(CLEAN_LIB);
    fx.write("xtask", "a file\n");
    commit_all(&fx.root);
    let run = init(&fx).expect_code(2);
    let err = run.all_output();
    assert!(!err.contains("os error 17"), "{err}");
    assert!(
        err.contains("xtask") && err.contains("move it aside"),
        "{err}"
    );
}

#[test]
fn sigterm_during_inits_build_exits_130_with_every_file_put_back() {
    let fx = Fixture::new(CLEAN_LIB);
    fx.write("src/main.rs", "fn main() {}\n");
    commit_all(&fx.root);
    let before: Vec<_> = tree_state(&fx.root)
        .into_iter()
        .filter(|(p, _)| !p.starts_with(".git/"))
        .collect();
    let mut child = fx
        .command(&[
            "init",
            "--windlass-path",
            windlass_checkout().to_str().unwrap(),
        ])
        .env("CARGO_NET_OFFLINE", "true")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut err = String::new();
        let _ = std::io::Read::read_to_string(&mut { stderr }, &mut err);
        err
    });
    let stdout = child.stdout.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = std::io::Read::read_to_string(&mut { stdout }, &mut out);
        out
    });
    // Its build writes the target directory: the signal lands while cargo compiles.
    let build = fx.root.join("target/debug");
    let started = Instant::now();
    while !build.exists() && started.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(build.exists(), "the build started");
    std::thread::sleep(Duration::from_millis(500));
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    let err = reader.join().unwrap() + &out_reader.join().unwrap();
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(
        err.contains("interrupted") && err.contains("put back"),
        "{err}"
    );
    let after: Vec<_> = tree_state(&fx.root)
        .into_iter()
        .filter(|(p, _)| !p.starts_with(".git/") && !p.starts_with("target"))
        .collect();
    assert_eq!(before, after);
}

// 7. release checks the remote's tags before it commits.

#[test]
fn release_refuses_before_committing_when_the_remote_has_the_tag() {
    let fx = Fixture::new(CLEAN_LIB);
    commit_all(&fx.root);
    let remote = tempfile::tempdir().unwrap();
    git(
        remote.path(),
        &["init", "--quiet", "--bare", "--initial-branch=main"],
    );
    git(
        &fx.root,
        &["remote", "add", "origin", remote.path().to_str().unwrap()],
    );
    git(&fx.root, &["push", "--quiet", "-u", "origin", "main"]);
    // Someone else released 0.2.0: the remote has the tag, this clone does not.
    git(&fx.root, &["tag", "v0.2.0"]);
    git(&fx.root, &["push", "--quiet", "origin", "v0.2.0"]);
    git(&fx.root, &["tag", "-d", "v0.2.0"]);
    let head = git(&fx.root, &["rev-parse", "HEAD"]);
    let run = fx
        .run(&["release", "minor", "--execute", "--push", "--skip-ci"])
        .expect_code(1);
    let out = run.all_output();
    assert!(out.contains("already has the tag v0.2.0"), "{out}");
    assert_eq!(
        git(&fx.root, &["rev-parse", "HEAD"]),
        head,
        "no commit was made"
    );
    assert_eq!(
        git(&fx.root, &["tag", "--list", "v0.2.0"]),
        "",
        "no tag was made"
    );
}

// 8. A revision is never an option.

#[test]
fn a_revision_that_is_an_option_is_refused_before_git_sees_it() {
    let fx = Fixture::new(CLEAN_LIB);
    commit_all(&fx.root);
    let target = tempfile::tempdir().unwrap();
    let out = target.path().join("x");
    let flag = format!("--since=--output={}", out.display());
    let run = fx.run(&["secrets", &flag]).expect_code(2);
    assert!(
        run.all_output().contains("is not a revision"),
        "{}",
        run.all_output()
    );
    assert!(!out.exists(), "git wrote no file");
    let run = fx
        .run(&["secrets", "--since", "no-such-branch"])
        .expect_code(2);
    assert!(
        run.all_output().contains("names no commit"),
        "{}",
        run.all_output()
    );
}

// 9 and 10. No workflow command, escape sequence or secret slips through.

#[test]
fn a_file_name_cannot_inject_a_workflow_command_or_an_escape_sequence() {
    let fx = Fixture::new(CLEAN_LIB);
    // windlass:allow-secret (a test literal)
    let key = ["AKIA", "Z7Q3XM2W", "BK4TLR9P"].concat();
    let name = "a\n::error title=INJECTED::pwned\u{1b}]0;title\u{7}.env";
    std::fs::write(fx.root.join(name), format!("AWS_ACCESS_KEY_ID={key}\n")).unwrap();
    commit_all(&fx.root);
    let run = Run(fx
        .command(&["secrets", "--color", "never"])
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap())
    .expect_code(1);
    for stream in [run.stdout(), run.stderr()] {
        let live = windlass::core::testing::live_workflow_commands(&stream);
        assert!(
            live.iter().all(
                |l| !l.trim_start().starts_with("::error title=INJECTED") && !l.contains("##[")
            ),
            "a data line became a command: {live:?}\n{stream}"
        );
        assert!(
            !stream.contains('\u{1b}'),
            "a raw escape reached the terminal: {stream:?}"
        );
    }
    assert!(
        windlass::core::testing::live_workflow_commands(&run.stdout())
            .iter()
            .any(|l| l.starts_with("::error file=")),
        "the finding is still annotated"
    );
}

#[test]
fn workflows_check_never_prints_a_secret_in_its_diff() {
    let fx = Fixture::new(CLEAN_LIB);
    commit_all(&fx.root);
    fx.run(&["workflows"]).expect_code(0);
    // windlass:allow-secret (a test literal)
    let secret = ["wJalrXUtnFEMI", "/K7MDENG/bPxRfiCYzq8Ht3kLp2"].concat();
    let ci = fx.read(".github/workflows/ci.yml");
    fx.write(
        ".github/workflows/ci.yml",
        &format!("{ci}\n# aws_secret_access_key: {secret}\n"),
    );
    let run = fx.run(&["workflows", "--check"]).expect_code(1);
    assert!(!run.all_output().contains(&secret), "{}", run.all_output());
    assert!(run.stdout().contains("redacted"), "{}", run.stdout());
    let json = fx
        .run(&["workflows", "--check", "--format", "json"])
        .expect_code(1);
    assert!(!json.stdout().contains(&secret));
}

// 11. Generated Dockerfiles quote every value from the repository.

#[test]
fn a_bin_path_holding_shell_is_a_file_name_in_the_dockerfile() {
    let fx = Fixture::new(CLEAN_LIB);
    let bin = "src/bin/a;touch PWNED;#.rs";
    fx.write(bin, "fn main() {}\n");
    fx.write(
        "Cargo.toml",
        &format!(
            "{}\n[workspace.metadata.windlass.docker]\nbin = \"a;touch PWNED;#\"\n",
            fx.read("Cargo.toml")
        ),
    );
    fx.run(&["docker-build", "--init"]).expect_code(0);
    let dockerfile = fx.read("Dockerfile");
    assert!(
        dockerfile.contains("'src/bin/a;touch PWNED;#.rs'"),
        "{dockerfile}"
    );
    // Run the stub step of the dependency layer as the image build would: a file is made,
    // no command runs.
    let run_line = dockerfile
        .split("RUN ")
        .nth(1)
        .unwrap()
        .split("&& cargo build")
        .next()
        .unwrap()
        .replace("\\\n", " ");
    let sandbox = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("sh")
        .args(["-c", run_line.trim().trim_end_matches("&&").trim()])
        .current_dir(sandbox.path())
        .status()
        .unwrap();
    assert!(status.success(), "{run_line}");
    assert!(!sandbox.path().join("PWNED").exists(), "{run_line}");
    assert!(sandbox.path().join(bin).exists(), "{run_line}");
}

// 12. A URL's credentials are credentials.

#[test]
fn health_check_credentials_are_sent_as_basic_auth_and_never_shown() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]).to_string();
            // user:s3cr3t-pass
            let ok = request.contains("Authorization: Basic dXNlcjpzM2NyM3QtcGFzcw==");
            let reply: &[u8] = if ok {
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
            } else {
                b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"
            };
            let _ = stream.write_all(reply);
        }
    });
    let fx = Fixture::bare();
    let url = format!("http://user:s3cr3t-pass@127.0.0.1:{port}/health"); // windlass:allow-secret
    let run = fx
        .run(&[
            "health-check",
            "--url",
            &url,
            "--deadline",
            "5s",
            "--interval",
            "100ms",
        ])
        .expect_code(0);
    assert!(!run.all_output().contains("s3cr3t"), "{}", run.all_output());
    let fail = fx
        .run(&[
            "health-check",
            "--url",
            &format!("http://user:s3cr3t-wrong@127.0.0.1:{port}/health"), // windlass:allow-secret
            "--deadline",
            "1s",
            "--interval",
            "100ms",
        ])
        .expect_code(1);
    assert!(
        !fail.all_output().contains("s3cr3t"),
        "{}",
        fail.all_output()
    );
    assert!(fail.all_output().contains("401"), "{}", fail.all_output());
}

// 13. UTF-16 text is text.

#[test]
fn a_utf16_file_holding_a_key_is_scanned() {
    let fx = Fixture::new(CLEAN_LIB);
    // windlass:allow-secret (a test literal)
    let line = ["AWS_ACCESS_KEY_ID=", "AKIA", "Z7Q3XM2W", "BK4TLR9P\r\n"].concat();
    let bytes: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(line.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    std::fs::write(fx.root.join("creds.ps1"), bytes).unwrap();
    let run = fx.run(&["secrets"]).expect_code(1);
    assert!(run.stdout().contains("creds.ps1"), "{}", run.stdout());
}

// 14 to 18. Crashes and hangs.

#[test]
fn a_step_list_that_runs_itself_is_refused_naming_the_cycle() {
    let fx = Fixture::with_manifest(
        CLEAN_LIB,
        "\n[workspace.metadata.windlass.ci]\nsteps = [\"fmt-check\", \"ci\"]\n",
    );
    for args in [&["ci"][..], &["ci", "--dry-run"][..]] {
        let run = fx.run(args).expect_code(2);
        let err = run.all_output();
        assert!(
            err.contains("run itself") && err.contains("ci → ci"),
            "{err}"
        );
        assert!(err.contains("Cargo.toml:"), "placed in the manifest: {err}");
    }
}

#[test]
fn a_yaml_bomb_in_a_workflow_or_compose_file_is_refused_not_expanded() {
    let fx = Fixture::new(CLEAN_LIB);
    let mut bomb = String::from(
        "name: bomb\non: pull_request\nx: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let mut previous = 'a';
    for name in "bcdefghijk".chars() {
        let refs = vec![format!("*{previous}"); 9].join(",");
        bomb.push_str(&format!("{name}: &{name} [{refs}]\n"));
        previous = name;
    }
    bomb.push_str("jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: [*k]\n");
    fx.write(".github/workflows/bomb.yml", &bomb);
    fx.write("docker-compose.yml", &bomb.replace("jobs:", "services:"));
    commit_all(&fx.root);
    let started = Instant::now();
    let run = fx.run(&["workflows", "--check"]);
    assert!(matches!(run.code(), 0 | 1), "{}", run.all_output());
    let doctor = fx.run(&["doctor"]);
    assert!(matches!(doctor.code(), 0 | 1), "{}", doctor.all_output());
    // Expanded, the bomb is 9^11 nodes: it would never have finished at all.
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[test]
fn a_restart_that_leaves_a_daemon_holding_its_output_returns() {
    let host = Host::new("");
    // The daemon inherits the restart command's stdout and stderr and keeps them for 60 s.
    host.fx
        .write("restart.sh", &format!("{RESTART}\nsleep 60 &\n"));
    let started = Instant::now();
    host.deploy(&host.release("a", "healthy", 0.0))
        .expect_code(0);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the deploy waited for the daemon: {:?}",
        started.elapsed()
    );
}

#[test]
fn a_dockerfile_of_many_stages_is_linted_in_linear_time() {
    let fx = Fixture::new(CLEAN_LIB);
    let mut text = String::from("FROM scratch AS s0\n");
    for i in 1..200_000 {
        text.push_str(&format!("FROM s{} AS s{i}\n", i - 1));
    }
    text.push_str("USER 65532\nHEALTHCHECK CMD [\"/probe\"]\nENTRYPOINT [\"/app\"]\n");
    fx.write("Dockerfile", &text);
    let started = Instant::now();
    let run = fx.run(&["docker-build", "--check", "Dockerfile"]);
    assert!(matches!(run.code(), 0 | 1), "{}", run.all_output());
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn deploy_stats_refuses_a_log_that_is_a_device() {
    let host = Host::new("");
    std::fs::create_dir_all(&host.root).unwrap();
    symlink("/dev/zero", host.root.join("deploy.log")).unwrap();
    let run = Run(host
        .command(&["deploy", "--env", "staging", "--stats"])
        .output()
        .unwrap())
    .expect_code(2);
    assert!(
        run.all_output().contains("not a regular file"),
        "{}",
        run.all_output()
    );
}

#[test]
fn a_toolchain_that_is_no_rustup_name_is_a_config_error() {
    let fx = Fixture::with_manifest(
        CLEAN_LIB,
        "\n[workspace.metadata.windlass.fmt-check]\ntoolchain = \"..\"\n",
    );
    let run = fx.run(&["fmt-check"]).expect_code(2);
    let err = run.all_output();
    assert!(
        err.contains("not a toolchain name") && err.contains("Cargo.toml:"),
        "{err}"
    );
    assert!(!err.contains("rustup toolchain install .."), "{err}");
}

// 19. The advisory database's age comes from its data.

#[test]
fn an_old_database_copied_just_now_is_reported_old() {
    let fx = Fixture::new(CLEAN_LIB);
    let copy = tempfile::tempdir().unwrap();
    let db = copy.path().join("db");
    // A fresh copy (every file's time is now) of advisories dated years ago.
    assert!(
        std::process::Command::new("cp")
            .arg("-r")
            .arg(advisory_db())
            .arg(&db)
            .status()
            .unwrap()
            .success()
    );
    let cache = tempfile::tempdir().unwrap();
    let run = Run(fx
        .command(&["audit", "--db", db.to_str().unwrap(), "--no-fetch"])
        .env("WINDLASS_CACHE_DIR", cache.path())
        .output()
        .unwrap());
    let out = run.all_output();
    assert!(out.contains("old by its newest advisory's date"), "{out}");
    assert!(!out.contains("0 minutes old"), "{out}");
}
