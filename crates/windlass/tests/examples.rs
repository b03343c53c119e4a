//! The examples under `examples/`, run as an adopter runs them: each copied into a git
//! repository of its own, its path dependency pointed at this checkout, then the real
//! `cargo xtask` — the example's own xtask, built by cargo — on it.
// In test helpers a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use support::*;

/// The examples share one target directory (windlass is compiled once for all of them), and
/// both build a binary called `xtask` into it: one `cargo xtask` at a time.
static CARGO: Mutex<()> = Mutex::new(());

/// An example in a git repository of its own.
struct Example {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

fn checkout() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

impl Example {
    /// `examples/<name>` copied (without its build output), windlass depended on at this
    /// checkout, resolved from this checkout's lockfile (so offline), audited against the
    /// tests' advisory database, and committed.
    fn new(name: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("windlass example ")
            .tempdir()
            .unwrap();
        let root = dir.path().join(name);
        copy_tree(&checkout().join("examples").join(name), &root);
        let xtask = root.join("xtask/Cargo.toml");
        let manifest = std::fs::read_to_string(&xtask).unwrap();
        let windlass = checkout().join("crates/windlass");
        let rewritten = manifest.replace(
            "path = \"../../../crates/windlass\"",
            &format!("path = {:?}", windlass.to_str().unwrap()),
        );
        assert_ne!(
            manifest, rewritten,
            "the example depends on windlass by path"
        );
        std::fs::write(&xtask, rewritten).unwrap();
        std::fs::copy(checkout().join("Cargo.lock"), root.join("Cargo.lock")).unwrap();
        let example = Self { _dir: dir, root };
        example.append(
            "Cargo.toml",
            &format!(
                "\n[workspace.metadata.windlass.audit]\ndb = {:?}\nfetch = false\n",
                advisory_db()
            ),
        );
        example.write(".gitignore", "/target\n");
        git(&example.root, &["init", "--quiet", "--initial-branch=main"]);
        git(
            &example.root,
            &["config", "user.email", "dev@example.invalid"],
        );
        git(&example.root, &["config", "user.name", "Dev"]);
        git(&example.root, &["add", "."]);
        git(&example.root, &["commit", "--quiet", "-m", "init"]);
        example
    }

    fn write(&self, path: &str, text: &str) {
        std::fs::write(self.root.join(path), text).unwrap();
    }

    fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.root.join(path)).unwrap()
    }

    fn append(&self, path: &str, text: &str) {
        let old = self.read(path);
        self.write(path, &format!("{old}{text}"));
    }

    /// `cargo xtask ARGS`, offline, outside GitHub Actions unless `env` says otherwise.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("cargo");
        cmd.arg("xtask").args(args).current_dir(&self.root);
        for var in [
            "GITHUB_ACTIONS",
            "GITHUB_STEP_SUMMARY",
            "GITHUB_WORKSPACE",
            "NO_COLOR",
            "CLICOLOR_FORCE",
            "RUSTFLAGS",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("CARGO_NET_OFFLINE", "true").env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("examples"),
        );
        cmd
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_with(self.command(args))
    }

    fn run_with(&self, mut cmd: Command) -> Run {
        let _one_at_a_time = CARGO.lock().unwrap_or_else(|e| e.into_inner());
        Run(cmd.output().unwrap())
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "target" || name == "Cargo.lock" {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            copy_tree(&path, &to.join(&name));
        } else {
            std::fs::copy(&path, to.join(&name)).unwrap();
        }
    }
}

fn step_names(report: &serde_json::Value) -> Vec<String> {
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_custom_step_is_a_step_like_the_stock_ones() {
    let ex = Example::new("adopter");

    // Listed among the stock steps, with its plan; the TOML command step too.
    let plan = ex
        .run(&["ci", "--list", "--format", "json"])
        .expect_code(0)
        .json();
    let names = step_names(&plan);
    assert_eq!(
        names,
        [
            "fmt-check",
            "lint",
            "audit",
            "secrets",
            "workflows",
            "test",
            "no-todo",
            "codegen"
        ],
        "{plan}"
    );
    assert_eq!(
        plan["steps"][6]["runs"],
        "scan src/ for TODO comments, except in src/legacy.rs"
    );
    assert_eq!(
        plan["steps"][7]["actions"][0]["command"]["argv"],
        serde_json::json!([
            "cargo",
            "run",
            "--quiet",
            "--package",
            "codegen",
            "--",
            "--check"
        ])
    );

    // Clean: it passes.
    ex.run(&["ci", "--only", "no-todo"]).expect_code(0);

    // A TODO in src/lib.rs fails it, annotated at its line in GitHub Actions.
    let lib = ex.read("src/lib.rs");
    ex.write(
        "src/lib.rs",
        &format!("{lib}\n// TODO: remove the legacy module\n"),
    );
    let line = lib.lines().count() + 2;
    let mut cmd = ex.command(&["ci", "--only", "no-todo"]);
    cmd.env("GITHUB_ACTIONS", "true");
    let run = ex.run_with(cmd).expect_code(1);
    let out = run.stdout();
    assert!(out.contains("::group::no-todo"), "{out}");
    assert!(
        out.contains(&format!(
            "::error file=src/lib.rs,line={line},col=4,title=no-todo%3A TODO::"
        )),
        "{out}"
    );

    // JSON, as for a stock step: the finding at its file and line, the fix.
    let report = ex
        .run(&["ci", "--only", "no-todo", "--format", "json"])
        .expect_code(1)
        .json();
    assert_eq!(report["diagnostics"][0]["step"], "no-todo");
    assert_eq!(report["diagnostics"][0]["file"], "src/lib.rs");
    assert_eq!(report["diagnostics"][0]["line"], line);
    let no_todo = &report["steps"][6];
    assert_eq!(no_todo["status"], "failed", "{report}");
    assert!(no_todo["fix"].as_str().unwrap().contains("open an issue"));

    // --skip leaves it out, as it leaves out a stock step.
    let report = ex
        .run(&[
            "ci", "--skip", "no-todo", "--only", "no-todo", "--only", "codegen", "--format", "json",
        ])
        .expect_code(0)
        .json();
    assert_eq!(report["steps"][6]["status"], "skipped", "{report}");
    assert_eq!(report["steps"][7]["status"], "passed", "{report}");

    // The same TODO in the allowed file passes: the step's own config section.
    ex.write("src/lib.rs", &lib);
    let legacy = ex.read("src/legacy.rs");
    ex.write("src/legacy.rs", &format!("{legacy}// TODO: one more\n"));
    ex.run(&["ci", "--only", "no-todo"]).expect_code(0);
}

#[test]
fn a_command_step_fails_with_its_command() {
    let ex = Example::new("adopter");
    ex.run(&["ci", "--only", "codegen"]).expect_code(0);
    ex.append("schema.txt", "expired\n");
    let report = ex
        .run(&["ci", "--only", "codegen", "--format", "json"])
        .expect_code(1)
        .json();
    let codegen = &report["steps"][7];
    assert_eq!(codegen["status"], "failed", "{report}");
    assert_eq!(
        codegen["fix"],
        "cargo run --quiet --package codegen -- --check"
    );
    assert_eq!(report["diagnostics"][0]["title"], "command failed");
}

#[test]
fn workflows_the_hook_and_the_config_know_custom_steps() {
    let ex = Example::new("adopter");

    // A job runs it in CI.
    ex.run(&["workflows"]).expect_code(0);
    let ci = ex.read(".github/workflows/ci.yml");
    assert!(
        ci.contains("  no-todo:\n    name: no-todo\n"),
        "a job for no-todo: {ci}"
    );
    assert!(
        ci.contains("run: cargo xtask no-todo"),
        "a task is its own subcommand: {ci}"
    );
    assert!(ci.contains("run: cargo xtask ci --only codegen"), "{ci}");
    ex.run(&["workflows", "--check"]).expect_code(0);

    // The hook runs it when asked to.
    ex.append(
        "Cargo.toml",
        "\n[workspace.metadata.windlass.pre-commit]\nextra-steps = [\"no-todo\"]\n",
    );
    ex.write("src/lib.rs", "//! x\n// TODO: staged\n");
    git(&ex.root, &["add", "src/lib.rs", "Cargo.toml"]);
    let report = ex
        .run(&["pre-commit", "--format", "json"])
        .expect_code(1)
        .json();
    assert!(
        step_names(&report).contains(&"no-todo".to_string()),
        "{report}"
    );
    assert_eq!(report["diagnostics"][0]["step"], "no-todo", "{report}");
    git(
        &ex.root,
        &["checkout", "HEAD", "--", "src/lib.rs", "Cargo.toml"],
    );

    // A stock task still works with the custom section present.
    ex.run(&["lint"]).expect_code(0);

    // An unknown key inside the step's own section is an error naming it; so is a section
    // nobody registered, and an unknown step in `ci.steps`.
    let manifest = ex.read("Cargo.toml");
    ex.write(
        "Cargo.toml",
        &manifest.replace("allow = [\"src/legacy.rs\"]", "allwo = []"),
    );
    let run = ex.run(&["ci", "--list"]).expect_code(2);
    assert!(
        run.stderr()
            .contains("[workspace.metadata.windlass.no-todo]")
            && run.stderr().contains("`allwo`"),
        "{}",
        run.stderr()
    );
    ex.write(
        "Cargo.toml",
        &format!("{manifest}\n[workspace.metadata.windlass.nobody]\nx = 1\n"),
    );
    let run = ex.run(&["lint"]).expect_code(2);
    assert!(
        run.stderr().contains("unknown key `nobody`"),
        "{}",
        run.stderr()
    );
    ex.write(
        "Cargo.toml",
        &format!(
            "{manifest}\n[workspace.metadata.windlass.ci]\nsteps = [\"no-todo\", \"no-tood\"]\n"
        ),
    );
    let run = ex.run(&["ci"]).expect_code(2);
    assert!(
        run.stderr().contains("unknown step `no-tood`") && run.stderr().contains("no-todo"),
        "{}",
        run.stderr()
    );
}

#[test]
fn a_subcommand_of_the_xtask_reports_like_a_stock_task() {
    let ex = Example::new("adopter");
    let run = ex.run(&["hello", "--name", "crew"]).expect_code(0);
    assert!(run.stdout().contains("hello, crew!"), "{}", run.stdout());
    let report = ex.run(&["hello", "--format", "json"]).expect_code(0).json();
    assert_eq!(report["task"], "hello");
    assert_eq!(report["steps"][0]["summary"], "greeted world");
    let run = ex.run(&["hello", "--nme", "x"]).expect_code(2);
    assert!(
        run.stderr().contains("Usage: cargo xtask hello"),
        "{}",
        run.stderr()
    );
}

#[test]
fn an_existing_xtask_keeps_its_commands_and_gains_windlass() {
    let ex = Example::new("existing-xtask");
    let run = ex.run(&["codegen", "--check"]).expect_code(0);
    assert!(run.stdout().contains("up to date"), "{}", run.stdout());

    // The whole pipeline, in the example as it is (it never generated workflows: a notice).
    let run = ex.run(&["ci"]);
    assert_eq!(run.code(), 0, "{}", run.all_output());
    assert!(
        run.stdout().contains("ci passed: 6 passed"),
        "{}",
        run.stdout()
    );
    assert!(
        run.stdout().contains("no generated workflows"),
        "{}",
        run.stdout()
    );

    // Its own command goes through windlass's reporters; the global options apply to both.
    ex.append("schema.txt", "expired\n");
    let report = ex
        .run(&["--format", "json", "codegen", "--check"])
        .expect_code(1)
        .json();
    assert_eq!(report["task"], "codegen");
    assert_eq!(report["diagnostics"][0]["file"], "src/generated.rs");
    ex.run(&["codegen"]).expect_code(0);
    ex.run(&["codegen", "--check"]).expect_code(0);
}
