//! What a mature Rust CI runs, each on a fixture with a real violation and a clean one:
//! `msrv`, `features`, `coverage`, `semver`; and what keeps CI cheap: the build cache's key
//! and its pruning, on real cargo builds.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

/// The toolchain's own `bin` (cargo, rustc, rustdoc; no rustup proxy, no installed tool).
fn toolchain_bin() -> PathBuf {
    let out = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .unwrap();
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim()).join("bin")
}

/// `windlass ARGS` where no cargo subcommand is installed: only the toolchain on PATH, and
/// an empty `CARGO_HOME` (the fixtures have no registry dependency).
fn without_tools(fx: &Fixture, args: &[&str]) -> Run {
    let home = fx.root.parent().unwrap().join("empty cargo home");
    std::fs::create_dir_all(&home).unwrap();
    let path = format!("{}:/usr/bin:/bin", toolchain_bin().display());
    Run(fx
        .command(args)
        .env("PATH", path)
        .env("CARGO_HOME", &home)
        .output()
        .unwrap())
}

/// An optional tool: the test is skipped without it, whatever `WINDLASS_REQUIRE_TOOLS`
/// says (the CI machine does not build it: cargo-semver-checks takes six minutes).
fn optional_tool(name: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin")))
        .any(|dir| dir.join(name).is_file());
    if !found {
        eprintln!("skipped: {name} is not installed");
    }
    found
}

/// `major.minor` of the default toolchain.
fn default_rust_minor() -> (u64, u64) {
    let out = Command::new("rustc").arg("-V").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let version = text.split_whitespace().nth(1).unwrap();
    let mut parts = version.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
    (parts.next().unwrap(), parts.next().unwrap())
}

/// A build script that refuses a compiler older than `minor` — code that needs a newer Rust.
fn needs_rust(minor: u64) -> String {
    format!(
        r#"fn main() {{
    let rustc = std::env::var("RUSTC").unwrap();
    let out = std::process::Command::new(rustc).arg("-V").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let minor: u64 = text.split('.').nth(1).unwrap().parse().unwrap();
    println!("cargo::rustc-check-cfg=cfg(too_old)");
    if minor < {minor} {{
        println!("cargo::rustc-cfg=too_old");
    }}
}}
"#
    )
}

#[test]
fn msrv_builds_on_the_declared_rust_and_finds_code_that_needs_a_newer_one() {
    let (major, minor) = default_rust_minor();
    let declared = format!("rust-version = \"{major}.{minor}\"\n");
    let fx = Fixture::new(CLEAN_LIB);
    let manifest = fx.read("Cargo.toml").replacen(
        "edition = \"2021\"\n",
        &format!("edition = \"2021\"\n{declared}"),
        1,
    );
    fx.write("Cargo.toml", &manifest);
    let run = fx.run(&["msrv"]).expect_code(0);
    assert!(
        run.stdout().contains(&format!("on {major}.{minor}")),
        "{}",
        run.stdout()
    );

    // Code that needs the next release: an error at its line, exit 1.
    fx.write("build.rs", &needs_rust(minor + 1));
    fx.write(
        "src/lib.rs",
        &format!(
            "{CLEAN_LIB}\n#[cfg(too_old)]\ncompile_error!(\"this crate needs Rust {major}.{}\");\n",
            minor + 1
        ),
    );
    let run = fx.run(&["msrv", "--format", "json"]).expect_code(1);
    let report = run.json();
    let found = report["diagnostics"].as_array().unwrap();
    assert!(
        found
            .iter()
            .any(|d| d["file"] == "src/lib.rs"
                && d["message"].as_str().unwrap().contains("needs Rust")),
        "{report}"
    );
}

#[test]
fn msrv_refuses_a_rust_version_whose_toolchain_is_not_installed_and_downloads_nothing() {
    let fx = Fixture::new(CLEAN_LIB);
    let manifest = fx.read("Cargo.toml").replacen(
        "edition = \"2021\"\n",
        "edition = \"2021\"\nrust-version = \"1.60\"\n",
        1,
    );
    fx.write("Cargo.toml", &manifest);
    let run = fx.run(&["msrv"]).expect_code(2);
    let out = run.all_output();
    assert!(out.contains("no Rust 1.60 toolchain is installed"), "{out}");
    assert!(
        out.contains("rustup toolchain install 1.60 --profile minimal"),
        "{out}"
    );
    let toolchains = Command::new("rustup")
        .args(["toolchain", "list"])
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&toolchains.stdout).contains("1.60"),
        "a toolchain was downloaded"
    );
    // CI installs them first, from what `--toolchains` prints.
    let printed = fx.run(&["msrv", "--toolchains"]).expect_code(0);
    assert_eq!(printed.stdout(), "1.60\n");
}

/// A feature that compiles only beside another: found by `--each-feature`.
const FEATURE_NEEDS_ANOTHER: &str = "//! A fixture crate.\n\n/// Only with `b`.\n#[cfg(feature = \"b\")]\npub fn helper() -> u32 {\n    1\n}\n\n/// Uses `helper`, but `a` does not enable `b`.\n#[cfg(feature = \"a\")]\npub fn uses() -> u32 {\n    helper()\n}\n";

#[test]
fn features_finds_a_feature_that_does_not_build_alone() {
    if tool_or_skip("cargo-hack", "cargo install cargo-hack --locked").is_none() {
        return;
    }
    let fx = Fixture::with_manifest(FEATURE_NEEDS_ANOTHER, "\n[features]\na = []\nb = []\n");
    let run = fx.run(&["features", "--format", "json"]).expect_code(1);
    let report = run.json();
    let found = report["diagnostics"].as_array().unwrap();
    assert!(
        found
            .iter()
            .any(|d| d["file"] == "src/lib.rs" && d["line"] == 12),
        "{report}"
    );
    // `a` enabling `b` fixes it.
    let fixed = fx.read("Cargo.toml").replace("a = []", "a = [\"b\"]");
    fx.write("Cargo.toml", &fixed);
    fx.run(&["features"]).expect_code(0);
}

#[test]
fn features_without_cargo_hack_names_its_install_command() {
    let fx = Fixture::with_manifest(CLEAN_LIB, "\n[features]\na = []\n");
    let run = without_tools(&fx, &["features"]).expect_code(2);
    assert!(
        run.all_output()
            .contains("cargo install cargo-hack --locked"),
        "{}",
        run.all_output()
    );
}

const TESTED_HALF: &str = "//! A fixture crate.\n\n/// Covered.\npub fn covered() -> u32 {\n    1\n}\n\n/// Never called.\npub fn uncovered(x: u32) -> u32 {\n    if x > 3 {\n        x * 2\n    } else {\n        x + 7\n    }\n}\n\n#[test]\nfn it_works() {\n    assert_eq!(covered(), 1);\n}\n";

/// A toolchain without the LLVM tools, if one is installed.
fn toolchain_without_llvm_tools() -> Option<String> {
    let list = Command::new("rustup")
        .args(["toolchain", "list"])
        .output()
        .ok()?;
    String::from_utf8_lossy(&list.stdout)
        .lines()
        .find_map(|line| {
            let name = line.split_whitespace().next()?.to_string();
            let sysroot = Command::new("rustc")
                .arg(format!("+{name}"))
                .args(["--print", "sysroot"])
                .env("RUSTUP_AUTO_INSTALL", "0")
                .output()
                .ok()?;
            let sysroot = PathBuf::from(String::from_utf8_lossy(&sysroot.stdout).trim());
            let has = walk_has(&sysroot.join("lib/rustlib"), "llvm-profdata");
            (!has).then_some(name)
        })
}

fn walk_has(dir: &Path, name: &str) -> bool {
    files_under(dir)
        .iter()
        .any(|f| f.file_name().is_some_and(|n| n == name))
}

#[test]
fn coverage_measures_lines_against_the_threshold_and_writes_lcov() {
    if !optional_tool("cargo-llvm-cov") {
        return;
    }
    let sysroot = toolchain_bin().parent().unwrap().to_path_buf();
    if !walk_has(&sysroot.join("lib/rustlib"), "llvm-profdata") {
        eprintln!("skipped: the default toolchain has no llvm-tools");
        return;
    }
    let fx = Fixture::new(TESTED_HALF);
    let run = fx
        .run(&["coverage", "--threshold", "95", "--format", "json"])
        .expect_code(1);
    let report = run.json();
    let step = &report["steps"][0];
    assert!(
        step["summary"]
            .as_str()
            .unwrap()
            .contains("under the threshold of 95%"),
        "{report}"
    );
    assert!(
        report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["file"] == "src/lib.rs" && d["title"] == "least covered"),
        "{report}"
    );
    let lcov = fx.read("target/coverage/lcov.info");
    assert!(
        lcov.contains("SF:") && lcov.contains("src/lib.rs"),
        "{lcov}"
    );

    let run = fx.run(&["coverage", "--threshold", "30"]).expect_code(0);
    assert!(run.stdout().contains("at least 30%"), "{}", run.stdout());
    // A threshold past 100 is a usage error, before anything runs.
    fx.run(&["coverage", "--threshold", "101"]).expect_code(2);
}

#[test]
fn coverage_is_refused_without_the_llvm_tools_naming_how_to_install_them() {
    if !optional_tool("cargo-llvm-cov") {
        return;
    }
    let Some(toolchain) = toolchain_without_llvm_tools() else {
        eprintln!("skipped: every installed toolchain has the LLVM tools");
        return;
    };
    let fx = Fixture::new(TESTED_HALF);
    let run = Run(fx
        .command(&["coverage"])
        .env("RUSTUP_TOOLCHAIN", &toolchain)
        .output()
        .unwrap())
    .expect_code(2);
    let out = run.all_output();
    assert!(
        out.contains("rustup component add llvm-tools-preview"),
        "{out}"
    );
    assert!(!fx.root.join("target/coverage").exists(), "{out}");
}

#[test]
fn coverage_refuses_a_report_path_outside_the_workspace() {
    let fx = Fixture::with_manifest(
        TESTED_HALF,
        "\n[workspace.metadata.windlass.coverage]\noutput = \"../../outside.info\"\n",
    );
    let run = fx.run(&["coverage"]).expect_code(2);
    assert!(
        run.all_output().contains("leaves the workspace"),
        "{}",
        run.all_output()
    );
    fx.write(
        "Cargo.toml",
        &fx.read("Cargo.toml")
            .replace("\"../../outside.info\"", "150"),
    );
    let run = fx.run(&["coverage"]).expect_code(2);
    assert!(
        run.all_output().contains("Cargo.toml:"),
        "{}",
        run.all_output()
    );
}

#[test]
fn coverage_without_cargo_llvm_cov_names_its_install_command() {
    let fx = Fixture::new(TESTED_HALF);
    let run = without_tools(&fx, &["coverage"]).expect_code(2);
    assert!(
        run.all_output()
            .contains("cargo install cargo-llvm-cov --locked"),
        "{}",
        run.all_output()
    );
}

/// A library released as 1.0.0 (tag v1.0.0), in a git repository.
fn released_library() -> Fixture {
    let fx = Fixture::bare();
    fx.write(
        "Cargo.toml",
        "[package]\nname = \"api\"\nversion = \"1.0.0\"\nedition = \"2021\"\n\n[workspace]\n",
    );
    fx.write(
        "src/lib.rs",
        "//! An API.\n\n/// Kept.\npub fn kept() {}\n\n/// Removed later.\npub fn removed() {}\n",
    );
    fx.write(".gitignore", "target/\n");
    git(&fx.root, &["init", "--quiet", "--initial-branch=main"]);
    git(&fx.root, &["config", "user.name", "T"]);
    git(&fx.root, &["config", "user.email", "t@t"]);
    git(&fx.root, &["add", "."]);
    git(&fx.root, &["commit", "--quiet", "-m", "feat: first"]);
    git(&fx.root, &["tag", "-a", "v1.0.0", "-m", "1.0.0"]);
    fx
}

#[test]
fn semver_finds_an_item_removed_under_a_patch_bump_and_release_refuses_it() {
    if !optional_tool("cargo-semver-checks") {
        return;
    }
    let fx = released_library();
    // Nothing changed in the API: compatible.
    fx.write(
        "src/lib.rs",
        &(fx.read("src/lib.rs") + "\n/// Added.\npub fn added() {}\n"),
    );
    git(&fx.root, &["commit", "--quiet", "-am", "fix: add"]);
    fx.run(&["semver"]).expect_code(0);

    fx.write("src/lib.rs", "//! An API.\n\n/// Kept.\npub fn kept() {}\n");
    git(&fx.root, &["commit", "--quiet", "-am", "fix: tidy"]);
    let run = fx.run(&["semver", "--format", "json"]).expect_code(1);
    let report = run.json();
    let d = &report["diagnostics"][0];
    assert_eq!(d["title"], "function_missing", "{report}");
    assert_eq!(
        (d["file"].as_str(), d["line"].as_u64()),
        (Some("src/lib.rs"), Some(7)),
        "{report}"
    );

    // The release of a patch is refused; a major one is not, by that check.
    let run = fx.run(&["release", "patch"]).expect_code(1);
    let out = run.all_output();
    assert!(
        out.contains("1.0.0 → 1.0.1 breaks the public API of v1.0.0"),
        "{out}"
    );
    let run = fx.run(&["release", "major"]);
    assert!(
        !run.all_output().contains("breaks the public API"),
        "{}",
        run.all_output()
    );
}

#[test]
fn semver_without_the_tool_names_its_install_command() {
    let fx = released_library();
    let run = without_tools(&fx, &["semver"]).expect_code(2);
    assert!(
        run.all_output()
            .contains("cargo install cargo-semver-checks --locked"),
        "{}",
        run.all_output()
    );
}

/// `cache-key KIND`, printed alone on stdout.
fn cache_key(fx: &Fixture, kind: &str) -> String {
    // Under `cargo test`, rustup's RUSTUP_TOOLCHAIN would override the fixture's own pin.
    let run = Run(fx
        .command(&["cache-key", kind])
        .env_remove("RUSTUP_TOOLCHAIN")
        .output()
        .unwrap())
    .expect_code(0);
    let key = run.stdout();
    assert_eq!(key.lines().count(), 1, "{key}");
    key.trim().to_string()
}

#[test]
fn the_cache_key_follows_the_lockfile_and_toolchain_and_not_a_comment() {
    let fx = Fixture::new(CLEAN_LIB);
    Command::new("cargo")
        .args(["generate-lockfile", "--offline", "--quiet"])
        .current_dir(&fx.root)
        .status()
        .unwrap();
    let first = cache_key(&fx, "lint");
    assert!(first.starts_with("lint-"), "{first}");
    assert_eq!(cache_key(&fx, "lint"), first, "stable across runs");
    assert_ne!(cache_key(&fx, "test"), first, "one cache per job kind");

    fx.write("src/lib.rs", &format!("// a comment\n{CLEAN_LIB}"));
    assert_eq!(cache_key(&fx, "lint"), first, "a source edit keeps the key");

    // A new dependency: the lockfile changes, and so does the key (not the prefix).
    let prefix = fx
        .run(&["cache-key", "lint", "--prefix"])
        .expect_code(0)
        .stdout();
    fx.write(
        "dep/Cargo.toml",
        "[package]\nname = \"dep\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    fx.write("dep/src/lib.rs", "");
    let manifest = fx.read("Cargo.toml").replace(
        "[workspace]\n",
        "[dependencies]\ndep = { path = \"dep\" }\n\n[workspace]\n",
    );
    fx.write("Cargo.toml", &manifest);
    Command::new("cargo")
        .args(["generate-lockfile", "--offline", "--quiet"])
        .current_dir(&fx.root)
        .status()
        .unwrap();
    let with_dep = cache_key(&fx, "lint");
    assert_ne!(with_dep, first);
    assert!(with_dep.starts_with(prefix.trim()), "{with_dep} / {prefix}");

    // Another compiler: another prefix, so nothing built by the old one is restored.
    let (major, minor) = default_rust_minor();
    if Command::new("rustc")
        .arg("+nightly")
        .arg("-V")
        .env("RUSTUP_AUTO_INSTALL", "0")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        fx.write(
            "rust-toolchain.toml",
            "[toolchain]\nchannel = \"nightly\"\n",
        );
        let nightly = cache_key(&fx, "lint");
        assert!(!nightly.starts_with(prefix.trim()), "{nightly} / {prefix}");
        std::fs::remove_file(fx.root.join("rust-toolchain.toml")).unwrap();
    } else {
        eprintln!(
            "no nightly toolchain: the compiler half is covered by a pinned {major}.{minor} only"
        );
    }
    let full = String::from_utf8(Command::new("rustc").arg("-V").output().unwrap().stdout).unwrap();
    let full = full.split_whitespace().nth(1).unwrap().to_string();
    fx.write(
        "rust-toolchain.toml",
        &format!("[toolchain]\nchannel = \"{full}\"\n"),
    );
    assert_ne!(
        cache_key(&fx, "lint"),
        with_dep,
        "the toolchain file keys it"
    );

    // A kind that is not a job name is refused.
    fx.run(&["cache-key", "a b"]).expect_code(2);
}

#[test]
fn pruning_keeps_the_dependencies_a_warm_build_reuses_and_drops_the_rest() {
    let fx = Fixture::new(CLEAN_LIB);
    // A dependency outside the workspace (a path dependency, so no network), a binary and an
    // example of the member.
    let dep = fx.root.parent().unwrap().join("dep");
    std::fs::create_dir_all(dep.join("src")).unwrap();
    std::fs::write(
        dep.join("Cargo.toml"),
        "[package]\nname = \"the-dep\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    std::fs::write(dep.join("src/lib.rs"), "pub fn dep() -> u32 { 1 }\n").unwrap();
    let manifest = fx.read("Cargo.toml").replace(
        "[workspace]\n",
        "[dependencies]\nthe-dep = { path = \"../dep\" }\n\n[workspace]\n",
    );
    fx.write("Cargo.toml", &manifest);
    fx.write(
        "src/main.rs",
        "fn main() { println!(\"{}\", the_dep::dep()); }\n",
    );
    fx.write("examples/demo.rs", "fn main() {}\n");
    let build = |extra: &[&str]| {
        let out = Command::new("cargo")
            .args(["build", "--all-targets", "--offline"])
            .args(extra)
            .current_dir(&fx.root)
            .env("CARGO_TARGET_DIR", fx.root.join("target"))
            .env("CARGO_INCREMENTAL", "1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    build(&[]);
    std::fs::create_dir_all(fx.root.join("target/doc/fixture")).unwrap();
    let deps = fx.root.join("target/debug/deps");
    let names = |dir: &Path| -> Vec<String> {
        std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(names(&deps).iter().any(|n| n.starts_with("libthe_dep-")));

    let run = fx.run(&["cache-prune"]).expect_code(0);
    assert!(run.stdout().contains("target "), "{}", run.stdout());
    let left = names(&deps);
    assert!(
        left.iter().any(|n| n.starts_with("libthe_dep-")),
        "{left:?}"
    );
    assert!(
        !left
            .iter()
            .any(|n| n.starts_with("libfixture-") || n.starts_with("fixture-")),
        "{left:?}"
    );
    assert!(!fx.root.join("target/debug/incremental").exists());
    assert!(!fx.root.join("target/debug/examples").exists());
    assert!(!fx.root.join("target/debug/fixture").exists());
    assert!(!fx.root.join("target/doc").exists());
    assert!(fx.root.join("target/debug/.fingerprint").is_dir());

    // Warm: the member is rebuilt, the dependency is not.
    let log = build(&[]);
    assert!(log.contains("Compiling fixture"), "{log}");
    assert!(!log.contains("Compiling the-dep"), "{log}");

    // What is not a target directory is refused, and left as it was.
    let run = fx
        .run(&["cache-prune", "--target-dir", "src"])
        .expect_code(2);
    assert!(
        run.all_output().contains("not a cargo target directory"),
        "{}",
        run.all_output()
    );
    assert!(fx.root.join("src/lib.rs").exists());
}

#[test]
fn ci_runs_the_xtask_built_once_as_cargo_xtask() {
    // What the generated jobs do: the xtask binary installed as `cargo-xtask-prebuilt`, and
    // `CARGO_ALIAS_XTASK` pointing `cargo xtask` at it, over the repository's own alias.
    let fx = Fixture::new(CLEAN_LIB);
    fx.write(
        ".cargo/config.toml",
        "[alias]\nxtask = \"run --quiet --package xtask --\"\n",
    );
    let bin = fx.root.parent().unwrap().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(
        env!("CARGO_BIN_EXE_windlass"),
        bin.join("cargo-xtask-prebuilt"),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("cargo")
        .args(["xtask", "fmt-check"])
        .current_dir(&fx.root)
        .env("PATH", path)
        .env("CARGO_ALIAS_XTASK", "xtask-prebuilt")
        .env("CARGO_TARGET_DIR", fx.root.join("target"))
        .output()
        .unwrap();
    let run = Run(out).expect_code(0);
    assert!(
        run.stdout().contains("fmt-check passed"),
        "{}",
        run.stdout()
    );
}

#[test]
fn completions_complete_every_task_in_a_real_bash() {
    let fx = Fixture::bare();
    let run = fx.run(&["completions", "bash"]).expect_code(0);
    let script = run.stdout();
    assert!(script.contains("_xtask()"), "{script}");
    fx.write("xtask.bash", &script);
    // What bash does on `xtask ms<TAB>` and `xtask coverage --rep<TAB>`.
    let complete = |words: &str, cword: usize| {
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "source ./xtask.bash; COMP_WORDS=({words}); COMP_CWORD={cword}; _xtask xtask \"${{COMP_WORDS[$COMP_CWORD]}}\" \"${{COMP_WORDS[$COMP_CWORD-1]}}\"; printf '%s\\n' \"${{COMPREPLY[@]}}\""
            ))
            .current_dir(&fx.root)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(
        complete("xtask ms", 1).lines().any(|l| l == "msrv"),
        "{}",
        complete("xtask ms", 1)
    );
    assert!(
        complete("xtask coverage --rep", 2)
            .lines()
            .any(|l| l == "--report"),
        "{}",
        complete("xtask coverage --rep", 2)
    );
    fx.run(&["completions", "bash", "--bin", "x y"])
        .expect_code(2);
    fx.run(&["completions", "tcsh"]).expect_code(2);
}

/// Lines of a child's stdout as they come, with a deadline for each wait.
struct Lines {
    rx: std::sync::mpsc::Receiver<String>,
    seen: String,
}

impl Lines {
    fn of(child: &mut std::process::Child) -> Self {
        use std::io::BufRead;
        let out = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Lines {
            rx,
            seen: String::new(),
        }
    }

    /// Waits (up to a minute, for a loaded machine) for a line containing `text`.
    fn until(&mut self, text: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.rx.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push_str(&line);
                    self.seen.push('\n');
                    if line.contains(text) {
                        return;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no line with {text:?} in:\n{}", self.seen);
    }
}

#[test]
fn ci_watch_runs_again_only_the_steps_a_change_concerns_until_interrupted() {
    let fx = Fixture::new(CLEAN_LIB);
    git(&fx.root, &["init", "--quiet"]);
    fx.write(".gitignore", "target/\n");
    let mut child = fx
        .command(&["ci", "--watch", "--only", "fmt-check,secrets"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Lines::of(&mut child);
    lines.until("watching");
    // A Rust file: both steps.
    fx.write(
        "src/lib.rs",
        &format!("{CLEAN_LIB}pub fn  unformatted() {{}}\n"),
    );
    lines.until("changed: src/lib.rs → fmt-check, secrets");
    lines.until("fmt-check failed");
    lines.until("watching");
    // A file no Rust step reads: secrets only.
    fx.write("NOTES.md", "notes\n");
    lines.until("changed: NOTES.md → secrets");
    lines.until("watching");
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{}", lines.seen);

    // JSON is one report per run: refused with --watch.
    fx.run(&["ci", "--watch", "--format", "json"])
        .expect_code(2);
}
