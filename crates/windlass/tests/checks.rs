//! fmt-check, lint and test against real cargo on fixture workspaces.
// In test helpers a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

use support::*;

#[test]
fn fmt_check_names_the_unformatted_file_and_exits_1() {
    let fx = Fixture::new(UNFORMATTED_LIB);
    let run = fx.run(&["fmt-check"]).expect_code(1);
    let out = run.stdout();
    // rustfmt's diff, then the file at its first changed line.
    assert!(out.contains("Diff in src/lib.rs:1:\n"), "{out}");
    assert!(
        out.contains("    src/lib.rs:4  error not formatted"),
        "{out}"
    );
    assert!(out.contains("to fix or reproduce: cargo fmt"), "{out}");
    // The check changes nothing.
    assert_eq!(fx.read("src/lib.rs"), UNFORMATTED_LIB);
}

#[test]
fn fmt_check_covers_every_member_but_not_path_dependencies_outside_the_workspace() {
    // An xtask that depends on windlass (or any sibling checkout) by path must not fail on
    // code that is not the repository's own.
    let fx = Fixture::with_manifest(
        CLEAN_LIB,
        "\n[dependencies]\nsibling = { path = \"../sibling\" }\nmember = { path = \"member\" }\n",
    );
    let sibling = fx.root.parent().unwrap().join("sibling");
    std::fs::create_dir_all(sibling.join("src")).unwrap();
    std::fs::write(
        sibling.join("Cargo.toml"),
        "[package]\nname = \"sibling\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    std::fs::write(sibling.join("src/lib.rs"), "pub fn  unformatted() {}\n").unwrap();
    fx.write(
        "member/Cargo.toml",
        "[package]\nname = \"member\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    fx.write("member/src/lib.rs", "pub fn member() {}\n");
    fx.run(&["fmt-check"]).expect_code(0);

    fx.write("member/src/lib.rs", "pub fn  member() {}\n");
    let run = fx.run(&["fmt-check"]).expect_code(1);
    assert!(
        run.stdout()
            .contains("member/src/lib.rs:1  error not formatted"),
        "{}",
        run.stdout()
    );
    assert!(!run.stdout().contains("sibling"), "{}", run.stdout());
}

#[test]
fn fmt_check_annotates_each_file_in_github_actions() {
    let fx = Fixture::new(UNFORMATTED_LIB);
    fx.write("src/other.rs", "fn  x() {}\n");
    fx.write("src/lib.rs", &format!("{UNFORMATTED_LIB}mod other;\n"));
    let run = Run(fx
        .command(&["fmt-check"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_WORKSPACE", &fx.root)
        .output()
        .unwrap())
    .expect_code(1);
    let out = run.stdout();
    assert!(
        out.contains("::error file=src/lib.rs,line=4,title=fmt-check%3A not formatted::"),
        "{out}"
    );
    assert!(
        out.contains("::error file=src/other.rs,line=1,title=fmt-check%3A not formatted::"),
        "{out}"
    );
}

#[test]
fn lint_fails_on_a_warning_and_annotates_its_line_in_github_actions() {
    let fx = Fixture::new(CLIPPY_WARNING_LIB);
    let run = Run(fx
        .command(&["lint"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_WORKSPACE", &fx.root)
        .output()
        .unwrap())
    .expect_code(1);
    let out = run.stdout();
    assert!(
        out.contains("::warning file=src/lib.rs,line=5,endLine=5,col=5,endColumn=17,title=lint%3A clippy%3A%3Aneedless_return::unneeded `return` statement"),
        "{out}"
    );
    // rustc's own rendering is shown too, and the step is grouped.
    assert!(
        out.contains("warning: unneeded `return` statement"),
        "{out}"
    );
    assert!(
        out.contains("::group::lint") && out.contains("::endgroup::"),
        "{out}"
    );
    assert!(
        out.contains("lint failed") && out.contains("1 warning"),
        "{out}"
    );
}

#[test]
fn lint_reports_a_compile_error_as_a_failure() {
    let fx = Fixture::new("pub fn f() -> u32 { \"no\" }\n");
    let run = fx.run(&["lint", "--format", "json"]).expect_code(1);
    let report = run.json();
    let d = &report["diagnostics"][0];
    assert_eq!(d["severity"], "error");
    assert_eq!(d["title"], "E0308");
    assert_eq!(d["file"], "src/lib.rs");
    assert_eq!(d["line"], 1);
}

#[test]
fn lint_passes_features_through() {
    let lib =
        "//! F.\n\n/// F.\n#[cfg(feature = \"extra\")]\npub fn f() -> u32 {\n    return 1;\n}\n";
    let fx = Fixture::with_manifest(lib, "\n[features]\nextra = []\n");
    fx.run(&["lint"]).expect_code(0);
    fx.run(&["lint", "--features", "extra"]).expect_code(1);
    fx.run(&["lint", "--all-features"]).expect_code(1);
}

#[test]
fn a_failing_test_exits_1_and_is_named_at_its_line() {
    let fx = Fixture::new(FAILING_TEST_LIB);
    for runner in ["cargo", "auto"] {
        let run = fx
            .run(&["test", "--runner", runner, "--format", "json"])
            .expect_code(1);
        let report = run.json();
        let d = &report["diagnostics"][0];
        assert_eq!(d["title"], "tests::adds_wrongly", "{runner}: {report}");
        assert_eq!(d["file"], "src/lib.rs", "{runner}");
        assert_eq!(d["line"], 14, "{runner}");
        assert!(
            d["message"].as_str().unwrap().contains("one and two"),
            "{runner}: {report}"
        );
        assert_eq!(
            report["steps"][0]["summary"], "0 passed, 1 failed with cargo test",
            "{runner}"
        );
    }
}

/// `auto` gives the verdict `cargo test` gives, unless the repository opts in to nextest; the
/// step says which runner ran and why, and the CI job installs nextest only for one that does.
#[test]
fn auto_runs_cargo_test_unless_the_repository_opts_in_to_nextest() {
    let fx = Fixture::new(CLEAN_LIB);
    let out = fx.run(&["test"]).expect_code(0).stdout();
    assert!(
        out.contains("runner: cargo test (the verdict `cargo test` gives;"),
        "{out}"
    );
    assert!(out.contains("1 passed with cargo test"), "{out}");
    fx.run(&["workflows"]).expect_code(0);
    assert!(!fx.read(".github/workflows/ci.yml").contains("nextest"));

    if !has_nextest() {
        eprintln!("skipped the nextest half: cargo-nextest is not installed");
        return;
    }
    fx.write(
        ".config/nextest.toml",
        "[profile.default]\nslow-timeout = \"60s\"\n",
    );
    let out = fx.run(&["test"]).expect_code(0).stdout();
    assert!(
        out.contains("runner: cargo nextest (.config/nextest.toml opts in to nextest)"),
        "{out}"
    );
    assert!(out.contains("1 passed with cargo nextest"), "{out}");
    fx.run(&["workflows"]).expect_code(0);
    assert!(
        fx.read(".github/workflows/ci.yml")
            .contains("Install cargo-nextest")
    );
}

#[test]
fn the_failing_test_is_named_on_the_terminal_with_a_command_to_rerun_it() {
    if !has_nextest() {
        eprintln!("skipped: cargo-nextest is not installed");
        return;
    }
    let fx = Fixture::new(FAILING_TEST_LIB);
    let out = fx
        .run(&["test", "--runner", "nextest"])
        .expect_code(1)
        .stdout();
    assert!(
        out.contains("src/lib.rs:14:9  error tests::adds_wrongly"),
        "{out}"
    );
    assert!(
        out.contains("cargo nextest run --workspace -E 'test(=tests::adds_wrongly)'"),
        "{out}"
    );
}

#[test]
fn partitions_split_the_suite_without_overlap() {
    if !has_nextest() {
        eprintln!("skipped: cargo-nextest is not installed");
        return;
    }
    let tests: String = (0..6)
        .map(|i| format!("    #[test]\n    fn t{i}() {{}}\n"))
        .collect();
    let fx = Fixture::new(&format!(
        "//! P.\n\n#[cfg(test)]\nmod tests {{\n{tests}}}\n"
    ));
    let mut total = 0;
    for shard in ["1/2", "2/2"] {
        let report = fx
            .run(&["test", "--partition", shard, "--format", "json"])
            .expect_code(0)
            .json();
        let summary = report["steps"][0]["summary"].as_str().unwrap().to_string();
        let passed: usize = summary.split(' ').next().unwrap().parse().unwrap();
        assert!(passed > 0 && passed < 6, "{shard}: {summary}");
        total += passed;
    }
    assert_eq!(total, 6);
}

#[test]
fn doctests_run_after_nextest_and_a_failing_one_fails_the_step() {
    let lib = "//! D.\n\n/// Adds.\n///\n/// ```\n/// assert_eq!(fixture::add(1, 1), 3);\n/// ```\npub fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n";
    let fx = Fixture::new(lib);
    fx.write(
        "Cargo.toml",
        "[package]\nname = \"fixture\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    );
    let report = fx.run(&["test", "--format", "json"]).expect_code(1).json();
    let d = &report["diagnostics"][0];
    assert!(
        d["title"]
            .as_str()
            .unwrap()
            .starts_with("src/lib.rs - add (line 5)"),
        "{report}"
    );
}

/// `fmt-check` and `lint` run the repository's own rule: its toolchain, cargo's and the tool's
/// arguments, a rustfmt config rustfmt would not find; `ci --only` takes a comma list.
#[test]
fn fmt_check_and_lint_follow_the_repositorys_toolchain_and_arguments() {
    let fx = Fixture::with_manifest(
        CLEAN_LIB,
        "\n[workspace.metadata.windlass.fmt-check]\ntoolchain = \"nightly\"\nargs = [\"--all\"]\nconfig-path = \".config/rustfmt.toml\"\n\n[workspace.metadata.windlass.lint]\ntoolchain = \"nightly\"\n",
    );
    let plan = fx
        .run(&["ci", "--only", "fmt-check,lint", "--dry-run"])
        .expect_code(0)
        .stdout();
    assert!(
        plan.contains(
            "cargo +nightly fmt --all -- --check --color never --config-path .config/rustfmt.toml"
        ),
        "{plan}"
    );
    assert!(
        plan.contains("cargo +nightly clippy --workspace --all-targets"),
        "{plan}"
    );
    assert!(!plan.contains("cargo test"), "only the two steps: {plan}");

    // The config path is the rule: 30 columns make the clean crate unformatted.
    let fx = Fixture::with_manifest(
        CLEAN_LIB,
        "\n[workspace.metadata.windlass.fmt-check]\ntoolchain = \"stable\"\nconfig-path = \".config/rustfmt.toml\"\n",
    );
    fx.write(".config/rustfmt.toml", "max_width = 30\n");
    let run = fx.run(&["fmt-check"]).expect_code(1);
    assert!(
        run.stdout().contains(
            "to fix or reproduce: cargo +stable fmt -- --config-path .config/rustfmt.toml"
        ),
        "{}",
        run.stdout()
    );

    // A toolchain that is not installed is named with the command that installs it.
    let fx = Fixture::with_manifest(
        CLEAN_LIB,
        "\n[workspace.metadata.windlass.fmt-check]\ntoolchain = \"windlass-absent-toolchain\"\n",
    );
    let run = fx.run(&["fmt-check"]).expect_code(2);
    assert!(
        run.all_output()
            .contains("rustup toolchain install windlass-absent-toolchain --component rustfmt"),
        "{}",
        run.all_output()
    );
    // And a value that cannot be a toolchain is refused when the config loads.
    let fx = Fixture::with_manifest(
        CLEAN_LIB,
        "\n[workspace.metadata.windlass.lint]\ntoolchain = \"nightly; rm -rf /\"\n",
    );
    let run = fx.run(&["lint"]).expect_code(2);
    assert!(
        run.all_output().contains("is not a toolchain name"),
        "{}",
        run.all_output()
    );
}

/// `docs`, a step a repository opts in to: rustdoc's warnings are findings at file:line.
#[test]
fn docs_finds_broken_intra_doc_links_and_passes_clean_docs() {
    let fx = Fixture::new(
        "//! A fixture crate.\n\n/// Adds, unlike [`Subtract`].\npub fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n",
    );
    let run = fx.run(&["docs", "--format", "json"]).expect_code(1);
    let report = run.json();
    let d = &report["diagnostics"][0];
    assert_eq!(d["step"], "docs", "{report}");
    assert_eq!(d["title"], "rustdoc::broken_intra_doc_links", "{report}");
    assert_eq!(
        (d["file"].as_str(), d["line"].as_u64()),
        (Some("src/lib.rs"), Some(3)),
        "{report}"
    );

    let fx = Fixture::new(CLEAN_LIB);
    fx.run(&["docs"]).expect_code(0);
    // Opt-in: not in `ci` unless named, and then with the arguments written after its name.
    let plan = fx.run(&["ci", "--dry-run"]).expect_code(0).stdout();
    assert!(!plan.contains("cargo doc"), "{plan}");
    let manifest = fx.read("Cargo.toml");
    fx.write(
        "Cargo.toml",
        &format!("{manifest}\n[workspace.metadata.windlass.ci]\nsteps = [\"docs --all-features\", \"lint --no-default-features\"]\n"),
    );
    let plan = fx.run(&["ci", "--dry-run"]).expect_code(0).stdout();
    assert!(
        plan.contains("cargo doc --no-deps --workspace --keep-going --all-features"),
        "{plan}"
    );
    assert!(
        plan.contains("cargo clippy --workspace --all-targets --no-default-features"),
        "{plan}"
    );
    fx.run(&["ci"]).expect_code(0);
}
