//! `init` and `doctor` on fixture repositories at known levels.
// In test helpers a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use support::*;

fn commit_all(dir: &Path) {
    git(dir, &["init", "--quiet", "--initial-branch=main"]);
    git(dir, &["add", "."]);
    git(
        dir,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "--quiet",
            "-m",
            "init",
        ],
    );
}

/// `check id → status` from `doctor --format json`.
fn doctor(fx: &Fixture) -> (BTreeMap<String, String>, serde_json::Value) {
    let report = fx
        .run(&["doctor", "--format", "json"])
        .expect_code(0)
        .json();
    let readiness = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["title"] == "readiness")
        .unwrap()["details"]
        .clone();
    let checks = readiness["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (checks, readiness)
}

/// A check's evidence (`file:line`) from the report `doctor` returns; empty when it has none.
fn evidence(report: &serde_json::Value, id: &str) -> String {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()["evidence"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

#[test]
fn a_bare_cargo_project_scores_low_check_by_check() {
    let fx = Fixture::new(CLEAN_LIB);
    fx.write(
        "Cargo.toml",
        "[package]\nname = \"bare\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    let (checks, report) = doctor(&fx);
    for failing in [
        "vc.git",
        "build.ci",
        "build.xtask",
        "sec.audit-in-ci",
        "deps.lockfile",
        "doc.readme",
        "doc.changelog",
        "build.release-automated",
        "deploy.health-gate",
    ] {
        assert_eq!(checks[failing], "fail", "{failing}: {report}");
    }
    for passing in ["test.exists", "secrets.tree-clean", "test.tool-configs"] {
        assert_eq!(checks[passing], "pass", "{passing}");
    }
    assert_eq!(
        checks["deploy.docker-nonroot"], "skip",
        "no Dockerfile, nothing to judge"
    );
    assert!(report["maturity"].as_f64().unwrap() < 1.5, "{report}");
}

#[test]
fn the_first_users_setup_is_diagnosed_with_evidence() {
    let fx = Fixture::new(CLEAN_LIB);
    fx.write(
        ".github/workflows/ci.yml",
        "name: ci\non: [push]\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - name: clippy\n        run: cargo clippy -- -D warnings\n        continue-on-error: true\n      - run: cargo test\n  rollback:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ssh host 'cp ploy.bak ploy && systemctl restart ploy'\n",
    );
    fx.write(
        "Dockerfile",
        "FROM rust:1.88 AS build\nCOPY . .\nRUN cargo build --release\nFROM gcr.io/distroless/cc-debian12\nCOPY --from=build /target/release/ploy /ploy\nHEALTHCHECK CMD curl -f http://localhost:8080/health || exit 1\nENTRYPOINT [\"/ploy\"]\n",
    );
    commit_all(&fx.root);
    let (checks, report) = doctor(&fx);
    let evidence = |id: &str| evidence(&report, id);
    assert_eq!(checks["test.lint-blocks"], "fail");
    assert_eq!(evidence("test.lint-blocks"), ".github/workflows/ci.yml:10");
    assert_eq!(checks["sec.audit-in-ci"], "fail");
    assert_eq!(checks["sec.actions-pinned"], "fail");
    assert_eq!(evidence("sec.actions-pinned"), ".github/workflows/ci.yml:7");
    assert_eq!(checks["sec.permissions"], "fail");
    assert_eq!(checks["deploy.auto-rollback"], "fail");
    assert_eq!(
        evidence("deploy.auto-rollback"),
        ".github/workflows/ci.yml:15"
    );
    assert_eq!(
        checks["mon.docker-healthcheck"], "fail",
        "curl does not exist in a distroless image"
    );
    assert_eq!(checks["deploy.docker-nonroot"], "fail");
    assert_eq!(
        checks["deploy.docker-pinned"], "fail",
        "distroless without a tag is `latest`"
    );
    assert_eq!(evidence("deploy.docker-pinned"), "Dockerfile:4");
    assert_eq!(checks["test.in-ci"], "pass");

    let gate = fx.run(&["doctor", "--min-level", "4"]).expect_code(1);
    assert!(
        gate.stdout().contains("below the required 4.0"),
        "{}",
        gate.stdout()
    );
    let md = fx.run(&["doctor", "--markdown"]).expect_code(0).stdout();
    assert!(
        md.contains("## Production readiness:") && md.contains("| `test.lint-blocks`"),
        "{md}"
    );
}

#[test]
fn a_swarm_stack_is_recognised_and_its_services_checked() {
    let fx = Fixture::new(CLEAN_LIB);
    let (checks, _) = doctor(&fx);
    assert_eq!(
        checks["deploy.swarm-rollback"], "skip",
        "no stack, nothing to check"
    );
    assert_eq!(checks["mon.swarm-healthcheck"], "skip");

    fx.write(
        "deploy/docker-stack.yml",
        "services:\n  api:\n    image: ghcr.io/acme/api:1\n    healthcheck:\n      test: [\"CMD\", \"/api\", \"health\"]\n    deploy:\n      replicas: 3\n  worker:\n    image: ghcr.io/acme/worker:1\n    deploy:\n      update_config:\n        failure_action: rollback\n",
    );
    // A development compose file without `deploy:` is not a stack.
    fx.write(
        "docker-compose.yml",
        "services:\n  db:\n    image: postgres:16\n",
    );
    commit_all(&fx.root);
    let (checks, report) = doctor(&fx);
    let evidence = |id: &str| evidence(&report, id);
    assert_eq!(checks["deploy.swarm-rollback"], "fail");
    assert_eq!(
        evidence("deploy.swarm-rollback"),
        "deploy/docker-stack.yml:2 (service api)",
        "api pauses on failure, swarm's default"
    );
    assert_eq!(checks["mon.swarm-healthcheck"], "fail");
    assert_eq!(
        evidence("mon.swarm-healthcheck"),
        "deploy/docker-stack.yml:8 (service worker)"
    );
    assert_eq!(checks["deploy.auto-rollback"], "fail");

    fx.write(
        "deploy/docker-stack.yml",
        "x-update: &update\n  update_config:\n    failure_action: rollback\nservices:\n  api:\n    image: ghcr.io/acme/api:1\n    healthcheck:\n      test: [\"CMD\", \"/api\", \"health\"]\n    deploy:\n      <<: *update\n      replicas: 3\n  worker:\n    build: ..\n    deploy: *update\n",
    );
    fx.write(
        "Dockerfile",
        "FROM scratch\nCOPY worker /worker\nHEALTHCHECK CMD [\"/worker\", \"health\"]\n",
    );
    commit_all(&fx.root);
    let (checks, _) = doctor(&fx);
    assert_eq!(checks["deploy.swarm-rollback"], "pass");
    assert_eq!(
        checks["mon.swarm-healthcheck"], "pass",
        "the worker's HEALTHCHECK is in its Dockerfile"
    );
    assert_eq!(checks["deploy.auto-rollback"], "pass");
}

/// This checkout, as `--windlass-path` names it.
fn windlass_checkout() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Every file of the fixture but git's objects, with its bytes.
/// Every file of the repository with its bytes; git's objects and windlass's own cache of
/// `cargo metadata` in `.git/windlass/` (kept only once a Cargo.lock exists) left out.
fn snapshot(fx: &Fixture) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    files_under(&fx.root)
        .into_iter()
        .filter(|p| !p.to_string_lossy().contains("/.git/objects/"))
        .filter(|p| !p.to_string_lossy().contains("/.git/windlass/metadata-"))
        .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
        .collect()
}

#[test]
fn init_sets_up_a_repository_where_ci_then_passes_and_twice_changes_nothing() {
    let fx = Fixture::new(CLEAN_LIB);
    fx.write("Cargo.toml", "# The service.\n[package]\nname = \"svc\" # keep this comment\nversion = \"0.1.0\"\nedition = \"2021\"\nrust-version = \"1.88\"\n");
    fx.write("rustfmt.toml", "# ours\nmax_width = 100\n");
    commit_all(&fx.root);
    let windlass = windlass_checkout();
    let run = fx
        .run(&[
            "init",
            "--no-build",
            "--windlass-path",
            windlass.to_str().unwrap(),
        ])
        .expect_code(0);
    let out = run.stdout();
    assert!(out.contains("wrote     xtask/Cargo.toml"), "{out}");
    assert!(out.contains("kept      rustfmt.toml"), "{out}");
    assert_eq!(
        fx.read("rustfmt.toml"),
        "# ours\nmax_width = 100\n",
        "existing files are left alone"
    );
    let manifest = fx.read("Cargo.toml");
    assert!(
        manifest.contains("name = \"svc\" # keep this comment"),
        "comments survive: {manifest}"
    );
    assert!(
        !manifest.contains("members") && !manifest.contains("[workspace"),
        "the xtask is no member of the project: {manifest}"
    );
    assert!(
        manifest.contains("[package.metadata.windlass.ci]"),
        "{manifest}"
    );
    let xtask = fx.read("xtask/Cargo.toml");
    for hot in ["windlass-secrets", "windlass-advisories"] {
        assert!(
            xtask.contains(&format!("[profile.dev.package.{hot}]\nopt-level = 2")),
            "{hot} optimised in the xtask's own profile: {xtask}"
        );
    }
    assert!(
        fx.read("xtask/Cargo.lock")
            .contains("name = \"windlass-core\"")
    );
    assert_eq!(
        fx.read(".cargo/config.toml").trim(),
        "[alias]\nxtask = \"run --manifest-path xtask/Cargo.toml --\""
    );
    assert!(
        fx.read(".git/hooks/pre-commit")
            .contains("cargo xtask pre-commit")
    );

    let before = snapshot(&fx);
    let again = fx
        .run(&[
            "init",
            "--no-build",
            "--windlass-path",
            windlass.to_str().unwrap(),
        ])
        .expect_code(0);
    assert!(
        again.stdout().contains("nothing to change"),
        "{}",
        again.stdout()
    );
    assert!(before == snapshot(&fx), "a second init changes nothing");

    // The adopted repository checks itself. Built offline, into a target dir shared between
    // runs of this test so that windlass is compiled once; audited against the tests' copy of
    // the advisory database (a fresh machine has none at the default place).
    let manifest = fx.read("Cargo.toml");
    fx.write(
        "Cargo.toml",
        &format!(
            "{manifest}\n[package.metadata.windlass.audit]\ndb = {:?}\nfetch = false\n",
            advisory_db()
        ),
    );
    let target = std::env::temp_dir().join("windlass-init-test-target");
    let ci = std::process::Command::new("cargo")
        .args(["xtask", "ci"])
        .current_dir(&fx.root)
        .env("CARGO_TARGET_DIR", &target)
        .env("CARGO_NET_OFFLINE", "true")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap();
    let run = Run(ci);
    assert_eq!(run.code(), 0, "{}", run.all_output());
    assert!(
        run.stdout().contains("ci passed: 6 passed"),
        "{}",
        run.stdout()
    );

    let (checks, report) = doctor(&fx);
    for id in [
        "build.xtask",
        "build.ci",
        "sec.audit-in-ci",
        "sec.actions-pinned",
        "sec.permissions",
        "vc.pre-commit",
        "deps.updates",
        "test.lint-blocks",
        "build.release-automated",
        "build.staging-profile",
    ] {
        assert_eq!(checks[id], "pass", "{id}: {report}");
    }
}

/// The default source, the crate registry, has no windlass yet: init is refused, and every
/// file is as it was. Nor does a git source that cannot be reached.
#[test]
fn init_that_cannot_resolve_windlass_writes_nothing() {
    let fx = Fixture::bare();
    fx.write(
        "Cargo.toml",
        "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    fx.write("src/main.rs", "fn main() {}\n");
    commit_all(&fx.root);
    let before = snapshot(&fx);
    for args in [
        vec!["init"],
        vec![
            "init",
            "--windlass-git",
            "https://example.invalid/windlass.git",
            "--rev",
            "v0.1.0",
        ],
    ] {
        let mut cmd = fx.command(&args);
        cmd.env("CARGO_NET_OFFLINE", "true");
        let run = Run(cmd.output().unwrap()).expect_code(2);
        let said = run.all_output();
        assert!(
            said.contains("init wrote nothing: the xtask's dependencies do not resolve"),
            "{said}"
        );
        assert!(
            said.contains("every file init wrote was put back"),
            "{said}"
        );
        assert!(before == snapshot(&fx), "{args:?} left files behind");
    }
}

/// A repository with CI of its own keeps it: no second pipeline beside it, and `ci`'s drift
/// check never fails on it. `--replace-ci` shows what it would replace, and replaces only the
/// CI windlass's `ci.yml` supersedes.
#[test]
fn init_leaves_existing_ci_alone_and_replace_ci_replaces_only_what_it_supersedes() {
    let fx = Fixture::bare();
    fx.write(
        "Cargo.toml",
        "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    fx.write("src/main.rs", "fn main() {}\n");
    fx.write("Dockerfile", "FROM scratch\n");
    let own_ci = "name: CI\non: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: cargo test\n      - run: cargo clippy -- -D warnings\n";
    let docs = "name: docs\non: [pull_request]\njobs:\n  book:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: cargo doc --no-deps\n      - run: mdbook build book\n";
    let release = "name: release\non:\n  push:\n    tags: ['v*']\njobs:\n  changelog:\n    runs-on: ubuntu-latest\n    steps:\n      - run: cargo xtask changelog\n";
    fx.write(".github/workflows/ci.yaml", own_ci);
    fx.write(".github/workflows/docs.yml", docs);
    fx.write(".github/workflows/release.yml", release);
    commit_all(&fx.root);

    let windlass = windlass_checkout();
    let out = fx
        .run(&[
            "init",
            "--no-build",
            "--windlass-path",
            windlass.to_str().unwrap(),
        ])
        .expect_code(0)
        .stdout();
    assert!(
        out.contains("skipped   .github/workflows/ci.yml (hand-written CI .github/workflows/ci.yaml, .github/workflows/docs.yml: left alone"),
        "{out}"
    );
    assert!(out.contains("kept      .github/workflows/release.yml (hand-written .github/workflows/release.yml: left alone)"), "{out}");
    assert!(!fx.root.join(".github/workflows/ci.yml").exists());
    assert_eq!(fx.read(".github/workflows/ci.yaml"), own_ci);
    assert_eq!(fx.read(".github/workflows/release.yml"), release);
    assert!(fx.root.join(".github/workflows/security.yml").exists());
    assert!(
        fx.read("xtask/Cargo.toml")
            .contains("features = [\"audit\", \"release\", \"adopt\", \"docker\", \"deploy\"]"),
        "{}",
        fx.read("xtask/Cargo.toml")
    );
    let manifest = fx.read("Cargo.toml");
    assert!(
        !manifest.contains("[package.metadata]\n")
            && !manifest.contains("[package.metadata.windlass]\n"),
        "no empty table headers: {manifest}"
    );

    // The drift check: the hand-written CI is not windlass's business; what it lacks is said.
    let run = fx.run(&["workflows", "--check"]).expect_code(0);
    assert!(
        run.stdout().contains(
            "hand-written CI .github/workflows/ci.yaml, .github/workflows/docs.yml: left alone"
        ),
        "{}",
        run.stdout()
    );
    assert!(
        run.stdout()
            .contains("the repository's own CI does not run fmt-check, audit, secrets"),
        "{}",
        run.stdout()
    );

    // --replace-ci is a dry run that lists what it would do.
    let before = snapshot(&fx);
    let plan = fx
        .run(&["workflows", "--replace-ci"])
        .expect_code(0)
        .stdout();
    assert!(
        plan.contains("replace  .github/workflows/ci.yaml (it only runs checks `ci` runs)"),
        "{plan}"
    );
    assert!(
        plan.contains(
            "keep     .github/workflows/docs.yml (kept: its job `book` runs `cargo doc --no-deps`)"
        ),
        "{plan}"
    );
    assert!(plan.contains("dry run: nothing written"), "{plan}");
    assert!(before == snapshot(&fx), "a dry run writes nothing");

    // --execute replaces the superseded CI and nothing else.
    fx.run(&["workflows", "--replace-ci", "--execute"])
        .expect_code(0);
    assert!(!fx.root.join(".github/workflows/ci.yaml").exists());
    assert!(
        fx.read(".github/workflows/ci.yml")
            .contains("cargo xtask lint")
    );
    assert_eq!(
        fx.read(".github/workflows/docs.yml"),
        docs,
        "docs.yml is the project's"
    );
    assert_eq!(
        fx.read(".github/workflows/release.yml"),
        release,
        "release.yml is the project's"
    );
    fx.run(&["workflows", "--check"]).expect_code(0);
}

/// Beside a CI of its own, `alongside = true` gives the steps it lacks — an adopter's
/// command step included — jobs of their own in `windlass.yml`.
#[test]
fn alongside_a_kept_ci_windlass_yml_runs_what_it_lacks() {
    let fx = Fixture::with_manifest(
        CLEAN_LIB,
        "\n[workspace.metadata.windlass.workflows]\nalongside = true\n\n[workspace.metadata.windlass.steps.codegen]\nrun = [\"true\"]\n",
    );
    let own_ci = "on: pull_request\njobs:\n  test:\n    steps:\n      - run: cargo fmt --check\n      - run: cargo clippy\n      - run: cargo test\n";
    fx.write(".github/workflows/rust.yml", own_ci);
    fx.run(&["workflows"]).expect_code(0);
    let alongside = fx.read(".github/workflows/windlass.yml");
    for job in ["audit:", "secrets:", "codegen:", "workflows:"] {
        assert!(
            alongside.contains(&format!("\n  {job}\n")),
            "{job}: {alongside}"
        );
    }
    for job in ["lint:", "test:", "fmt-check:"] {
        assert!(
            !alongside.contains(&format!("\n  {job}\n")),
            "{job} runs in rust.yml: {alongside}"
        );
    }
    assert!(
        alongside.contains("cargo xtask ci --only codegen"),
        "{alongside}"
    );
    assert_eq!(fx.read(".github/workflows/rust.yml"), own_ci);
    fx.run(&["workflows", "--check"]).expect_code(0);
}

/// A workspace that never generated workflows passes `ci`'s drift check, with a notice.
#[test]
fn a_workspace_without_generated_workflows_passes_the_drift_check() {
    let fx = Fixture::new(CLEAN_LIB);
    let run = fx.run(&["workflows", "--check"]).expect_code(0);
    assert!(
        run.stdout()
            .contains("no generated workflows in this repository"),
        "{}",
        run.stdout()
    );
    fx.run(&["workflows"]).expect_code(0);
    std::fs::remove_file(fx.root.join(".github/workflows/security.yml")).unwrap();
    let run = fx.run(&["workflows", "--check"]).expect_code(1);
    assert!(
        run.stdout()
            .contains(".github/workflows/security.yml is missing"),
        "{}",
        run.stdout()
    );
}

/// The `deny.toml` init writes is derived from the licences the graph uses: a project whose
/// dependencies are 0BSD, Unlicense and CDLA-Permissive-2.0 and whose own crate is GPL passes
/// `audit --only licenses` on init's file, and cargo-deny agrees with the same file.
#[test]
fn inits_licence_policy_passes_the_graph_and_cargo_deny_agrees() {
    let fx = Fixture::new(CLEAN_LIB);
    let mut deps = String::new();
    for (name, license) in [
        ("zero-bsd", "0BSD"),
        ("unlicensed", "Unlicense"),
        ("cdla-data", "CDLA-Permissive-2.0"),
        ("dual", "MIT OR GPL-2.0-only"),
    ] {
        // Outside the workspace's directory: dependencies, not members (a path dependency
        // inside it would be a member, and init's view of members alone would pass).
        fx.write(
            &format!("../vendor/{name}/Cargo.toml"),
            &format!("[package]\nname = \"{name}\"\nversion = \"1.0.0\"\nedition = \"2021\"\nlicense = \"{license}\"\n"),
        );
        fx.write(
            &format!("../vendor/{name}/src/lib.rs"),
            "//! A dependency.\n",
        );
        deps.push_str(&format!("{name} = {{ path = \"../vendor/{name}\" }}\n"));
    }
    fx.write(
        "Cargo.toml",
        &format!(
            "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\nlicense = \"GPL-3.0-only\"\n\n[dependencies]\n{deps}\n[workspace]\n\n[workspace.metadata.windlass.audit]\ndb = {:?}\nfetch = false\n",
            advisory_db()
        ),
    );
    commit_all(&fx.root);
    fx.run(&[
        "init",
        "--no-build",
        "--windlass-path",
        windlass_checkout().to_str().unwrap(),
    ])
    .expect_code(0);
    let policy = fx.read("deny.toml");
    for license in ["0BSD", "Unlicense", "CDLA-Permissive-2.0", "GPL-3.0-only"] {
        assert!(
            policy.contains(&format!("\"{license}\"")),
            "{license}: {policy}"
        );
    }
    assert!(
        !policy.contains("GPL-2.0-only"),
        "MIT is the cheaper choice of an OR: {policy}"
    );
    assert!(
        policy.contains("# copyleft, review its obligations: svc"),
        "{policy}"
    );
    let run = fx.run(&["audit", "--only", "licenses"]);
    assert_eq!(run.code(), 0, "{}", run.all_output());
    let Some(cargo_deny) = tool_or_skip("cargo-deny", "cargo install cargo-deny --locked") else {
        return;
    };
    let deny = std::process::Command::new(cargo_deny)
        .args(["--offline", "check", "licenses"])
        .current_dir(&fx.root)
        .env("CARGO_TARGET_DIR", fx.root.join("target"))
        .output()
        .unwrap();
    assert!(
        deny.status.success(),
        "cargo-deny disagrees with the policy init wrote:\n{}",
        String::from_utf8_lossy(&deny.stderr)
    );
}
