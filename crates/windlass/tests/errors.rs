//! Bad input: a clear message naming the file and the fix, exit code 2, nothing written.
// In test helpers a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

use support::*;

#[test]
fn a_malformed_manifest_exits_2_naming_it() {
    let fx = Fixture::new(CLEAN_LIB);
    fx.write("Cargo.toml", "[package\nname = \"fixture\"\n");
    let before = files_under(&fx.root);
    let run = fx.run(&["ci"]).expect_code(2);
    let err = run.stderr();
    assert!(
        err.contains("my workspace/Cargo.toml is not valid TOML"),
        "{err}"
    );
    assert!(err.contains("line 1"), "{err}");
    assert!(
        err.contains("help: fix the syntax at the line shown"),
        "{err}"
    );
    assert_eq!(files_under(&fx.root), before, "nothing may be written");
}

#[test]
fn a_manifest_cargo_rejects_exits_2_with_cargos_reason() {
    let fx = Fixture::new(CLEAN_LIB);
    fx.write(
        "Cargo.toml",
        "[package]\nversion = \"0.1.0\"\n\n[workspace]\n",
    );
    for task in ["fmt-check", "lint", "test"] {
        let run = fx.run(&[task]).expect_code(2);
        let out = run.stdout() + &run.stderr();
        assert!(
            out.contains("missing field `package.name`"),
            "{task}: {out}"
        );
    }
}

#[test]
fn a_file_rustfmt_cannot_parse_fails_fmt_check_at_its_line() {
    let fx = Fixture::new("pub fn broken( {}\n");
    let report = fx
        .run(&["fmt-check", "--format", "json"])
        .expect_code(1)
        .json();
    let d = &report["diagnostics"][0];
    assert_eq!(d["title"], "rustfmt error");
    assert_eq!(d["file"], "src/lib.rs");
    assert_eq!(d["line"], 1);
}

#[test]
fn an_unknown_config_key_exits_2_naming_key_and_file() {
    let fx = Fixture::with_manifest(
        CLEAN_LIB,
        "\n[workspace.metadata.windlass.lint]\nall-featurs = true\n",
    );
    // Placed at the key's line and column, with the key it most likely meant.
    let line = fx.manifest_line("all-featurs");
    let err = fx.run(&["lint"]).expect_code(2).stderr();
    assert!(
        err.contains(&format!(
            "Cargo.toml:{line}:1: invalid [workspace.metadata.windlass.lint]"
        )),
        "{err}"
    );
    assert!(err.contains("unknown field `all-featurs`"), "{err}");
    assert!(err.contains("did you mean `all-features`?"), "{err}");

    let fx = Fixture::with_manifest(CLEAN_LIB, "\n[workspace.metadata.windlass.deploi]\n");
    let err = fx.run(&["ci"]).expect_code(2).stderr();
    assert!(
        err.contains("unknown key `deploi` in [workspace.metadata.windlass]"),
        "{err}"
    );
    assert!(err.contains("did you mean `deploy`?"), "{err}");

    // A value at fault is placed at the value: the JSON error carries its kind and place.
    let fx = Fixture::with_manifest(
        CLEAN_LIB,
        "\n[workspace.metadata.windlass.pre-commit]\nmax-file-size = \"lots\"\n",
    );
    let line = fx.manifest_line("max-file-size");
    let run = fx.run(&["ci", "--format", "json"]).expect_code(2);
    let failure = &run.json()["failure"];
    assert_eq!(failure["kind"], "config", "{failure}");
    assert_eq!(failure["line"], line, "{failure}");
    assert_eq!(failure["column"], 17, "{failure}");
    assert!(
        failure["file"].as_str().unwrap().ends_with("Cargo.toml"),
        "{failure}"
    );
    assert!(
        failure["message"]
            .as_str()
            .unwrap()
            .contains("invalid value `lots`"),
        "{failure}"
    );
    assert_eq!(
        failure["hint"], "fix or remove the key named above",
        "{failure}"
    );

    let fx = Fixture::with_manifest(
        CLEAN_LIB,
        "\n[workspace.metadata.windlass.ci]\nsteps = [\"fmt-check\", \"lnit\"]\n",
    );
    let err = fx.run(&["ci"]).expect_code(2).stderr();
    let line = fx.manifest_line("steps = ");
    // At the name itself: the column of `"lnit"` in the list.
    assert!(
        err.contains(&format!("Cargo.toml:{line}:23: unknown step `lnit`")),
        "{err}"
    );
    assert!(err.contains("did you mean `lint`?"), "{err}");

    // Errors a task finds in its own section later, when it runs, are placed too.
    let fx = Fixture::with_manifest(
        CLEAN_LIB,
        "\n[workspace.metadata.windlass.steps.gen]\nrun = []\n",
    );
    let line = fx.manifest_line("run = []");
    let err = fx.run(&["ci", "--only", "gen"]).expect_code(2).stderr();
    assert!(
        err.contains(&format!(
            "Cargo.toml:{line}:1: [workspace.metadata.windlass.steps.gen] has an empty `run`"
        )),
        "{err}"
    );
}

#[test]
fn errors_are_json_documents_with_format_json() {
    let fx = Fixture::new(CLEAN_LIB);
    fx.write("Cargo.toml", "not toml at all [");
    let run = fx.run(&["ci", "--format", "json"]).expect_code(2);
    let doc = run.json();
    assert_eq!(doc["status"], "error");
    assert_eq!(doc["exit_code"], 2);
    assert!(
        doc["error"]
            .as_str()
            .unwrap()
            .contains("Cargo.toml is not valid TOML")
    );
}

#[test]
fn a_missing_manifest_path_exits_2() {
    let fx = Fixture::new(CLEAN_LIB);
    let err = fx
        .run(&["ci", "--manifest-path", "no/such/Cargo.toml"])
        .expect_code(2)
        .stderr();
    assert!(err.contains("no manifest at no/such/Cargo.toml"), "{err}");
}

#[test]
fn bad_usage_exits_2() {
    let fx = Fixture::new(CLEAN_LIB);
    let err = fx
        .run(&["test", "--partition", "3/2"])
        .expect_code(2)
        .stderr();
    assert!(err.contains("`3/2` is not a partition"), "{err}");
    fx.run(&["no-such-task"]).expect_code(2);
    fx.run(&["--help"]).expect_code(0);
}

#[test]
fn a_missing_tool_exits_2_with_the_install_command() {
    let fx = Fixture::new(CLEAN_LIB);
    // Only cargo's own directory on PATH: nextest (installed elsewhere) is then missing.
    let path = cargo_dir();
    let run = Run(fx
        .command(&["test", "--runner", "nextest"])
        .env("PATH", &path)
        .env("CARGO_HOME", fx.root.join("no-cargo-home"))
        .output()
        .unwrap());
    if path.join("cargo-nextest").exists() {
        eprintln!("skipped: cargo-nextest sits beside cargo");
        return;
    }
    let run = run.expect_code(2);
    let out = run.stdout() + &run.stderr();
    assert!(out.contains("cargo-nextest is not installed"), "{out}");
    assert!(
        out.contains("cargo install cargo-nextest --locked"),
        "{out}"
    );
}

/// Config values fail when the config loads, before any step: a bad duration, a zero shard
/// count, a size with no unit windlass knows — each naming the section and the value.
#[test]
fn bad_config_values_fail_at_load_naming_the_section() {
    for (section, expect) in [
        (
            "[workspace.metadata.windlass.workflows]\npartitions = 0\n",
            "invalid [workspace.metadata.windlass.workflows]",
        ),
        (
            "[workspace.metadata.windlass.pre-commit]\nmax-file-size = \"1PB\"\n",
            "invalid value `1PB`: write e.g. 500KB",
        ),
        (
            "[workspace.metadata.windlass.deploy.staging]\nroot = \"/tmp/x\"\nhealth = { deadline = \"soon\" }\n",
            "invalid value `soon`: write e.g. 500ms",
        ),
    ] {
        let fx = Fixture::with_manifest(CLEAN_LIB, section);
        let run = fx.run(&["fmt-check"]).expect_code(2);
        assert!(run.stderr().contains(expect), "{section}: {}", run.stderr());
        assert!(run.stdout().is_empty(), "no step ran: {}", run.stdout());
    }
}

/// The error kinds of the JSON report, right by construction: the kind and exit code of each
/// way a run or a step cannot go on (docs/json-report.md).
#[test]
fn each_error_has_its_kind_and_exit_code_in_the_json_report() {
    let kind_of = |run: &Run| -> (i32, String) {
        let doc = run.json();
        let failure = doc["steps"]
            .as_array()
            .and_then(|s| s.iter().find_map(|s| s.get("failure")))
            .cloned()
            .unwrap_or_else(|| doc["failure"].clone());
        (
            run.code(),
            failure["kind"].as_str().unwrap_or("none").to_string(),
        )
    };

    // A missing clippy: the toolchain the config names has none (it is not installed).
    let fx = Fixture::with_manifest(
        CLEAN_LIB,
        "\n[workspace.metadata.windlass.lint]\ntoolchain = \"1.2.3\"\n",
    );
    let run = Run(fx
        .command(&["lint", "--format", "json"])
        .env("RUSTUP_AUTO_INSTALL", "0")
        .output()
        .unwrap());
    assert_eq!(
        kind_of(&run),
        (2, "tool-missing".into()),
        "{}",
        run.stdout()
    );

    // A missing nextest: only cargo's directory on PATH.
    let fx = Fixture::new(CLEAN_LIB);
    if !cargo_dir().join("cargo-nextest").exists() {
        let run = Run(fx
            .command(&["test", "--runner", "nextest", "--format", "json"])
            .env("PATH", cargo_dir())
            .env("CARGO_HOME", fx.root.join("no-cargo-home"))
            .output()
            .unwrap());
        assert_eq!(
            kind_of(&run),
            (2, "tool-missing".into()),
            "{}",
            run.stdout()
        );
    }

    // A held lock: another deploy is running.
    let host = support::host::Host::new("");
    std::fs::create_dir_all(&host.root).unwrap();
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(host.root.join(".windlass-deploy.lock"))
        .unwrap();
    lock.try_lock().unwrap();
    let artifact = host.release("v1", "healthy", 0.0);
    let run = Run(host
        .command(&[
            "deploy",
            "--env",
            "staging",
            "--format",
            "json",
            "--artifact",
            artifact.to_str().unwrap(),
        ])
        .output()
        .unwrap());
    assert_eq!(kind_of(&run), (2, "refused".into()), "{}", run.stdout());
    drop(lock);

    // A bad config key.
    let fx = Fixture::with_manifest(
        CLEAN_LIB,
        "\n[workspace.metadata.windlass.lint]\nfeaturez = []\n",
    );
    let run = fx.run(&["lint", "--format", "json"]);
    assert_eq!(kind_of(&run), (2, "config".into()), "{}", run.stdout());

    // An unreadable file (a directory where the lockfile is: root reads any mode).
    let fx = Fixture::new(CLEAN_LIB);
    std::fs::create_dir_all(fx.root.join("Cargo.lock")).unwrap();
    let run = fx.run(&["audit", "--format", "json", "--no-fetch"]);
    assert_eq!(kind_of(&run), (2, "io".into()), "{}", run.stdout());

    // An interrupted run.
    let fx = Fixture::new(
        "#[test]\nfn waits() { std::thread::sleep(std::time::Duration::from_secs(60)); }\n",
    );
    let child = fx
        .command(&["test", "--runner", "cargo", "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(8));
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let run = Run(child.wait_with_output().unwrap());
    assert_eq!(
        kind_of(&run),
        (130, "interrupted".into()),
        "{}",
        run.stdout()
    );
}
