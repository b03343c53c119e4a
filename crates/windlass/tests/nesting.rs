//! windlass nested in an xtask that has `ci`, `lint`, `test`, `docs` and `coverage` of its own
//! (`examples/nesting.rs`, built by `cargo test`): renamed and left-out commands, all of
//! windlass under one subcommand, and a clash reported as a usage error — never a panic.
// In test helpers a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

use support::*;

/// `examples/nesting` in `mode`, run in a fixture workspace.
fn nesting(fx: &Fixture, mode: &str, args: &[&str]) -> Run {
    nesting_with(fx, mode, args, &[])
}

/// As [`nesting`], with `env` set.
fn nesting_with(fx: &Fixture, mode: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let exe = std::env::current_exe().unwrap();
    let examples = exe.parent().unwrap().parent().unwrap().join("examples");
    let binary = examples.join("nesting");
    assert!(
        binary.is_file(),
        "cargo test builds the example at {}",
        binary.display()
    );
    Run(std::process::Command::new(binary)
        .args(args)
        .env("NESTING", mode)
        .current_dir(&fx.root)
        .env("CARGO_TARGET_DIR", fx.root.join("target"))
        .envs(env.iter().copied())
        .output()
        .unwrap())
}

#[test]
fn renamed_commands_sit_beside_the_xtasks_own() {
    let fx = Fixture::new(CLEAN_LIB);
    let help = nesting(&fx, "renamed", &["--help"]).expect_code(0).stdout();
    assert!(
        help.starts_with("The service's own automation"),
        "the xtask's own description: {help}"
    );
    for ours in ["  ci ", "  lint ", "  test ", "  docs ", "  coverage "] {
        assert!(help.contains(ours), "{ours}: {help}");
    }
    assert!(
        help.contains("  windlass-ci ") && help.contains("  check-lint "),
        "{help}"
    );
    assert!(help.contains("Global options:"), "{help}");
    assert_eq!(
        nesting(&fx, "renamed", &["ci"])
            .expect_code(0)
            .stdout()
            .trim(),
        "the project's own ci"
    );
    let lint = nesting(&fx, "renamed", &["check-lint"]).expect_code(0);
    assert!(lint.stdout().contains("lint passed"), "{}", lint.stdout());
    nesting(&fx, "renamed", &["windlass-ci", "--list"]).expect_code(0);
}

#[test]
fn all_of_windlass_under_one_subcommand_never_clashes() {
    let fx = Fixture::new(CLEAN_LIB);
    nesting(&fx, "nested", &["ci"]).expect_code(0);
    let help = nesting(&fx, "nested", &["windlass", "--help"])
        .expect_code(0)
        .stdout();
    assert!(help.contains("  ci ") && help.contains("  lint "), "{help}");
    let run = nesting(&fx, "nested", &["windlass", "fmt-check"]).expect_code(0);
    assert!(
        run.stdout().contains("fmt-check passed"),
        "{}",
        run.stdout()
    );
}

#[test]
fn a_clash_is_a_usage_error_naming_both_and_the_fix() {
    let fx = Fixture::new(CLEAN_LIB);
    // Parsing never panics, and the xtask's own commands are its own.
    nesting(&fx, "clash", &["--help"]).expect_code(0);
    nesting(&fx, "clash", &["lint"]).expect_code(0);
    let run = nesting(&fx, "clash", &["fmt-check"]).expect_code(2);
    let err = run.stderr();
    assert!(
        err.contains("windlass's `ci` command and this xtask's own `ci` have the same name"),
        "{err}"
    );
    assert!(
        err.contains("`lint`") && err.contains("`coverage`"),
        "{err}"
    );
    assert!(
        err.contains(".rename(\"ci\"") && err.contains("windlass::Nested"),
        "{err}"
    );
}

/// The hook runs the binary directly and asks it to vouch for itself: an xtask with its own
/// command line checks too, and hands over to cargo (exit 75) when it cannot.
#[test]
fn an_xtask_with_its_own_command_line_checks_the_hooks_stamp_too() {
    let fx = Fixture::new(CLEAN_LIB);
    let no_stamp = fx.root.join(".git/windlass/xtask-fresh");
    let verify = [("WINDLASS_HOOK_VERIFY", no_stamp.to_str().unwrap())];
    for (mode, args) in [
        ("nested", &["windlass", "pre-commit"][..]),
        ("renamed", &["pre-commit"][..]),
    ] {
        let run = nesting_with(&fx, mode, args, &verify).expect_code(75);
        assert!(run.stdout().is_empty(), "{mode}: {}", run.stdout());
    }
}
