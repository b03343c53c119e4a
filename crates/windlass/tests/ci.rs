//! The `ci` pipeline: order, fail-fast, keep-going, selection, plans and the job summary.
// In test helpers a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

use support::*;

#[test]
fn a_clean_workspace_passes_and_the_step_summary_holds_the_table() {
    let fx = Fixture::new(CLEAN_LIB);
    fx.run(&["workflows"]).expect_code(0);
    let summary = fx.root.join("summary.md");
    let run = Run(fx
        .command(&["ci"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap())
    .expect_code(0);
    let md = std::fs::read_to_string(&summary).expect("summary written");
    assert!(md.starts_with("### windlass ci: ✅ passed\n\n| Step | Result | Duration | Summary |\n|---|---|---:|---|\n"), "{md}");
    for step in [
        "<code>fmt-check</code> | ✅ passed",
        "<code>lint</code> | ✅ passed",
        "<code>test</code> | ✅ passed",
    ] {
        assert!(md.contains(step), "{step}: {md}");
    }
    let out = run.stdout();
    for group in ["::group::fmt-check", "::group::lint", "::group::test"] {
        assert!(out.contains(group), "{out}");
    }
}

#[test]
fn fail_fast_stops_at_the_first_failure_and_keep_going_reports_all_three() {
    // Unformatted, a clippy warning, and a failing test, all at once.
    let lib = "//! F.\n\n/// A.\npub fn add(a: u32, b: u32) -> u32 {  return a + b; }\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn wrong() {\n        assert_eq!(super::add(1, 1), 3);\n    }\n}\n";
    let fx = Fixture::new(lib);
    fx.run(&["workflows"]).expect_code(0);

    let report = fx.run(&["ci", "--format", "json"]).expect_code(1).json();
    let statuses = step_statuses(&report);
    assert_eq!(
        statuses,
        [
            "failed", "skipped", "skipped", "skipped", "skipped", "skipped"
        ]
    );
    assert!(
        report["steps"][1]["summary"]
            .as_str()
            .unwrap()
            .contains("--keep-going")
    );

    let report = fx
        .run(&["ci", "--keep-going", "--format", "json"])
        .expect_code(1)
        .json();
    let statuses = step_statuses(&report);
    assert_eq!(
        statuses,
        ["failed", "failed", "passed", "passed", "passed", "failed"],
        "{report}"
    );
    let titles: Vec<_> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        ["not formatted", "clippy::needless_return", "tests::wrong"],
        "{report}"
    );
    let fixes: Vec<_> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["fix"].as_str())
        .collect();
    assert_eq!(fixes[0], Some("cargo fmt"));
    assert!(
        fixes[1].is_some_and(|f| f.starts_with("cargo clippy --fix")),
        "{fixes:?}"
    );
    assert_eq!(fixes[2], None, "a passed step has nothing to fix");
    assert_eq!(fixes[3], None);
    assert_eq!(fixes[4], None);
    assert!(
        fixes[5].is_some_and(|f| f.contains("test(=tests::wrong)") || f.contains("tests::wrong")),
        "{fixes:?}"
    );
}

#[test]
fn keep_going_can_be_configured() {
    let fx = Fixture::with_manifest(
        UNFORMATTED_LIB,
        "\n[workspace.metadata.windlass.ci]\nkeep-going = true\nsteps = [\"fmt-check\", \"lint\"]\n",
    );
    let report = fx.run(&["ci", "--format", "json"]).expect_code(1).json();
    let statuses = step_statuses(&report);
    assert_eq!(statuses, ["failed", "passed"]);
}

#[test]
fn skip_and_only_select_steps() {
    let fx = Fixture::new(UNFORMATTED_LIB);
    fx.run(&["workflows"]).expect_code(0);
    let report = fx
        .run(&[
            "ci",
            "--skip",
            "fmt-check",
            "--skip",
            "test",
            "--format",
            "json",
        ])
        .expect_code(0)
        .json();
    let statuses = step_statuses(&report);
    assert_eq!(
        statuses,
        ["skipped", "passed", "passed", "passed", "passed", "skipped"]
    );

    let report = fx
        .run(&["ci", "--only", "fmt-check", "--format", "json"])
        .expect_code(1)
        .json();
    assert_eq!(report["steps"][0]["status"], "failed");
    assert_eq!(report["steps"][1]["summary"], "left out by --skip/--only");

    let run = fx.run(&["ci", "--only", "lnt"]).expect_code(2);
    assert!(
        run.stderr().contains("`lnt` is not a step of `ci`"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr()
            .contains("the steps are: fmt-check, lint, audit, secrets, workflows, test"),
        "{}",
        run.stderr()
    );
}

#[test]
fn list_and_dry_run_print_the_plan_and_run_nothing() {
    let fx = Fixture::new(CLEAN_LIB);
    let run = fx
        .run(&["ci", "--dry-run", "--skip", "lint"])
        .expect_code(0);
    let out = run.stdout();
    assert!(
        out.contains(" 1. fmt-check  cargo fmt -- --check --color never"),
        "{out}"
    );
    assert!(out.contains(" 2. lint       (skipped)"), "{out}");
    assert!(out.contains(" 6. test       "), "{out}");
    assert!(
        out.contains("cargo nextest run --workspace") || out.contains("cargo test --workspace"),
        "{out}"
    );
    assert!(!fx.root.join("target").exists(), "a dry run must not build");

    let plan = fx
        .run(&["ci", "--list", "--format", "json"])
        .expect_code(0)
        .json();
    assert_eq!(plan["schema"], "windlass.plan/v1");
    assert_eq!(plan["steps"][1]["name"], "lint");
    assert_eq!(plan["steps"][1]["selected"], true);
}

#[test]
fn manifest_path_works_from_elsewhere_and_hints_carry_it() {
    let fx = Fixture::new(UNFORMATTED_LIB);
    let elsewhere = tempfile::tempdir().unwrap();
    let manifest = fx.root.join("Cargo.toml");
    let run = Run(fx
        .command(&["fmt-check", "--manifest-path", manifest.to_str().unwrap()])
        .current_dir(elsewhere.path())
        .output()
        .unwrap())
    .expect_code(1);
    let out = run.stdout();
    assert!(
        out.contains(&format!("cd '{}' && cargo fmt", fx.root.display())),
        "{out}"
    );
}
