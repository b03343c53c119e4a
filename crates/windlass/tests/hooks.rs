//! The pre-commit hook and secret scanning, with real git repositories and real `git commit`
//! going through the installed hook. Secrets are made up here; none is real.
// In test helpers a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

/// An AWS-shaped key id, assembled at run time so that this file holds no secret.
fn fake_key() -> String {
    format!("AKIA{}", "Q7ZR2XV7MK4PT1WL")
}

/// A git repository holding a formatted crate, with one commit and the hook installed.
struct Repo {
    fx: Fixture,
}

impl Repo {
    fn new() -> Self {
        let fx = Fixture::new(CLEAN_LIB);
        let repo = Self { fx };
        repo.git(&["init", "--quiet", "--initial-branch=main"]);
        repo.git(&["config", "user.email", "dev@example.invalid"]);
        repo.git(&["config", "user.name", "Dev"]);
        repo.fx.write(".gitignore", "/target\n");
        repo.git(&["add", "."]);
        repo.git(&["commit", "--quiet", "-m", "init"]);
        repo
    }

    fn root(&self) -> &Path {
        &self.fx.root
    }

    /// PATH with the windlass binary first, as a developer who installed it has.
    fn path_with_windlass() -> std::ffi::OsString {
        let bin = PathBuf::from(env!("CARGO_BIN_EXE_windlass"));
        let mut paths = vec![bin.parent().unwrap().to_path_buf()];
        paths.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        std::env::join_paths(paths).unwrap()
    }

    fn git_command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("git");
        cmd.args(args)
            .current_dir(self.root())
            .env("PATH", Self::path_with_windlass());
        for var in [
            "GITHUB_ACTIONS",
            "WINDLASS_SKIP",
            "NO_COLOR",
            "CLICOLOR_FORCE",
        ] {
            cmd.env_remove(var);
        }
        cmd
    }

    fn git(&self, args: &[&str]) -> String {
        let out = self.git_command(args).output().unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `git commit`, through whatever hook is installed.
    fn commit(&self, message: &str) -> Run {
        Run(self
            .git_command(&["commit", "-m", message])
            .output()
            .unwrap())
    }

    fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }

    fn install(&self) {
        self.fx.run(&["install-hooks"]).expect_code(0);
    }
}

#[test]
fn a_staged_key_blocks_the_commit_naming_file_line_and_rule() {
    let repo = Repo::new();
    repo.install();
    let before = repo.head();
    repo.fx.write(
        "src/config.rs",
        &format!(
            "//! Config.\n\n/// Key.\npub const KEY: &str = \"{}\";\n",
            fake_key()
        ),
    );
    repo.fx
        .write("src/lib.rs", &format!("{CLEAN_LIB}\npub mod config;\n"));
    repo.git(&["add", "."]);
    let run = repo.commit("add config");
    assert_ne!(run.code(), 0, "the hook must block the commit");
    let out = run.all_output();
    assert!(
        out.contains("error[aws-access-key-id]: possible AWS access key id: `AKIA… (20 chars)`"),
        "{out}"
    );
    assert!(out.contains("--> src/config.rs:4:24"), "{out}");
    assert!(
        !out.contains(&fake_key()),
        "the secret must never be printed: {out}"
    );
    assert_eq!(repo.head(), before, "no commit was made");
}

#[test]
fn the_same_key_with_the_allow_comment_passes() {
    let repo = Repo::new();
    repo.install();
    let before = repo.head();
    repo.fx.write(
        "src/config.rs",
        &format!("//! Config.\n\n/// A documented test key.\npub const KEY: &str = \"{}\"; // windlass:allow-secret\n", fake_key()),
    );
    repo.fx
        .write("src/lib.rs", &format!("{CLEAN_LIB}\npub mod config;\n"));
    repo.git(&["add", "."]);
    let run = repo.commit("add config").expect_code(0);
    assert!(
        run.all_output().contains("pre-commit passed"),
        "{}",
        run.all_output()
    );
    assert_ne!(repo.head(), before);
}

#[test]
fn the_index_is_checked_not_the_work_tree() {
    let repo = Repo::new();
    repo.install();
    let messy = CLEAN_LIB.replace("    a + b\n", "      a+b\n");

    // Formatted in the work tree, unformatted in the index: fails.
    repo.fx.write("src/lib.rs", &messy);
    repo.git(&["add", "src/lib.rs"]);
    repo.fx.write("src/lib.rs", CLEAN_LIB);
    let run = repo.commit("messy staged");
    assert_ne!(run.code(), 0, "{}", run.all_output());
    assert!(
        run.all_output()
            .contains("src/lib.rs:5  error not formatted"),
        "{}",
        run.all_output()
    );

    // Unformatted in the work tree, formatted in the index: passes.
    repo.git(&["add", "src/lib.rs"]);
    let with_doc = CLEAN_LIB.replace(
        "/// Adds two numbers.",
        "/// Adds two numbers, wrapping never.",
    );
    repo.fx.write("src/lib.rs", &with_doc);
    repo.git(&["add", "src/lib.rs"]);
    repo.fx.write(
        "src/lib.rs",
        &with_doc.replace("    a + b\n", "      a+b\n"),
    );
    repo.commit("clean staged").expect_code(0);
}

#[test]
fn a_foreign_hook_is_preserved_and_restored() {
    let repo = Repo::new();
    let hooks = repo.root().join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let foreign = "#!/bin/sh\necho team hook\n";
    std::fs::write(hooks.join("pre-commit"), foreign).unwrap();

    let run = repo.fx.run(&["install-hooks"]).expect_code(2);
    assert!(
        run.all_output()
            .contains("a pre-commit hook that windlass did not write exists"),
        "{}",
        run.all_output()
    );
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-commit")).unwrap(),
        foreign
    );

    repo.fx.run(&["install-hooks", "--force"]).expect_code(0);
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-commit.windlass-backup")).unwrap(),
        foreign
    );
    assert!(
        std::fs::read_to_string(hooks.join("pre-commit"))
            .unwrap()
            .contains("windlass pre-commit")
    );
    let again = repo.fx.run(&["install-hooks"]).expect_code(0);
    assert!(
        again.stdout().contains("already installed"),
        "installing twice changes nothing"
    );

    repo.fx
        .run(&["install-hooks", "--uninstall"])
        .expect_code(0);
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-commit")).unwrap(),
        foreign
    );
    assert!(!hooks.join("pre-commit.windlass-backup").exists());
    repo.fx
        .run(&["install-hooks", "--uninstall"])
        .expect_code(2);
}

#[test]
fn core_hooks_path_is_honoured() {
    let repo = Repo::new();
    repo.git(&["config", "core.hooksPath", ".githooks"]);
    repo.install();
    assert!(repo.root().join(".githooks/pre-commit").is_file());
    repo.fx.write(".env", &format!("AWS_KEY={}\n", fake_key()));
    repo.git(&["add", "-f", ".env"]);
    let run = repo.commit("env");
    assert_ne!(run.code(), 0);
    assert!(
        run.all_output()
            .contains(".env holds secrets by its nature"),
        "{}",
        run.all_output()
    );
}

#[test]
fn a_bypass_is_visible_never_silent() {
    let repo = Repo::new();
    repo.install();
    repo.fx.write("notes.txt", &format!("key {}\n", fake_key()));
    repo.git(&["add", "notes.txt"]);
    let run = Run(repo
        .git_command(&["commit", "-m", "skip"])
        .env("WINDLASS_SKIP", "secrets")
        .output()
        .unwrap())
    .expect_code(0);
    let out = run.all_output();
    assert!(
        out.contains("WINDLASS_SKIP=secrets : these checks are skipped for this commit"),
        "{out}"
    );
    assert!(out.contains("left out by WINDLASS_SKIP"), "{out}");
}

#[test]
fn large_files_and_conflict_markers_are_refused() {
    let repo = Repo::new();
    repo.install();
    repo.fx.write("big.bin", &"x".repeat(1_100 * 1024));
    repo.fx.write(
        "merge.txt",
        "a\n<<<<<<< HEAD\nb\n=======\nc\n>>>>>>> branch\n",
    );
    repo.git(&["add", "."]);
    let out = repo.commit("bad").all_output();
    assert!(
        out.contains("big.bin is 1100 KB, over the 1000 KB limit"),
        "{out}"
    );
    assert!(
        out.contains("merge.txt:2:1  error conflict marker"),
        "{out}"
    );
    assert!(
        out.contains("merge.txt:6:1  error conflict marker"),
        "{out}"
    );
}

#[test]
fn secrets_since_and_history_find_a_key_added_then_removed() {
    let repo = Repo::new();
    let base = repo.head();
    repo.fx
        .write("leak.txt", &format!("token {}\n", fake_key()));
    repo.git(&["add", "leak.txt"]);
    repo.git(&["commit", "--quiet", "--no-verify", "-m", "oops"]);
    let leaked_in = repo.head();
    repo.git(&["rm", "--quiet", "leak.txt"]);
    repo.git(&["commit", "--quiet", "--no-verify", "-m", "remove"]);

    // The tree is clean now...
    repo.fx.run(&["secrets", "--all"]).expect_code(0);
    // ...but the pull request's commits and the history are not.
    for args in [
        vec!["secrets", "--since", base.as_str(), "--format", "json"],
        vec!["secrets", "--history", "--format", "json"],
    ] {
        let report = repo.fx.run(&args).expect_code(1).json();
        let d = &report["diagnostics"][0];
        assert_eq!(d["title"], "aws-access-key-id");
        assert_eq!(d["file"], "leak.txt");
        assert_eq!(d["details"]["commit"], leaked_in.as_str());
    }
    let err = repo
        .fx
        .run(&["secrets", "--since", "no-such-rev"])
        .expect_code(2)
        .all_output();
    assert!(
        err.contains("`--since no-such-rev` names no commit"),
        "{err}"
    );
}

#[test]
fn secrets_write_sarif_and_honour_the_ignore_file() {
    let repo = Repo::new();
    repo.fx
        .write("leak.txt", &format!("token {}\n", fake_key()));
    let sarif = repo.root().join("secrets.sarif");
    let report = repo
        .fx
        .run(&[
            "secrets",
            "--format",
            "json",
            "--sarif",
            sarif.to_str().unwrap(),
        ])
        .expect_code(1)
        .json();
    let fingerprint = report["diagnostics"][0]["details"]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "aws-access-key-id");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "leak.txt"
    );
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
    assert!(
        !std::fs::read_to_string(&sarif)
            .unwrap()
            .contains(&fake_key())
    );

    repo.fx.write(
        ".windlass-secrets-ignore",
        &format!("# reviewed: a test fixture\n{fingerprint}\n"),
    );
    let run = repo.fx.run(&["secrets"]).expect_code(0);
    assert!(
        run.stdout()
            .contains("(1 reviewed in .windlass-secrets-ignore)"),
        "{}",
        run.stdout()
    );
}

/// The fix a private key's finding prints is one that can be followed: its fingerprint shown
/// whole (not taken for a secret and redacted), and the ignore file holding it not flagged.
#[test]
fn a_private_keys_printed_fingerprint_goes_into_the_ignore_file_as_shown() {
    let repo = Repo::new();
    // A test fixture's key, as real repositories keep them; assembled here, so this file
    // holds none.
    let pem = format!(
        "-----BEGIN EC {}-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oqwGMnpvJXxMoAoGCCqGSM49\n-----END EC {}-----\n",
        "PRIVATE KEY", "PRIVATE KEY"
    );
    repo.fx.write("tests/data/key_ec.pem", &pem);
    let said = repo.fx.run(&["secrets"]).expect_code(1).stdout();
    let shown = said
        .lines()
        .find_map(|l| {
            l.split('`')
                .find(|part| part.starts_with("tests/data/key_ec.pem:private-key:"))
        })
        .unwrap_or_else(|| panic!("no fingerprint in the fix: {said}"))
        .to_string();
    assert!(!shown.contains("redacted"), "{said}");
    repo.fx.write(
        ".windlass-secrets-ignore",
        &format!("# reviewed: a test fixture's key\n{shown}\n"),
    );
    let run = repo.fx.run(&["secrets"]).expect_code(0);
    assert!(
        run.stdout()
            .contains("(1 reviewed in .windlass-secrets-ignore)"),
        "{}",
        run.stdout()
    );
}

/// Vendored code is left out of every scan, never silently: by `.gitattributes`
/// (`linguist-vendored`, git's own reading) or by `[secrets] exclude` globs.
#[test]
fn vendored_trees_are_left_out_and_said_to_be() {
    let repo = Repo::new();
    repo.fx.write(
        "web/node_modules/sdk/index.js",
        &format!("var k=\"{}\";\n", fake_key()),
    );
    repo.fx.write(
        "web/node_modules/sdk/charset.js",
        "const key = \"0123456789abcdefghijklmnopqrstuvwxyz\"[i];\n/** https://abc:xyz@example.com */\n",
    );
    repo.fx.run(&["secrets"]).expect_code(1);

    repo.fx
        .write(".gitattributes", "web/node_modules/** linguist-vendored\n");
    let run = repo.fx.run(&["secrets"]).expect_code(0);
    let out = run.stdout();
    assert!(
        out.contains("not scanned, as vendored or generated: 2 file(s) in web/ (2, .gitattributes linguist-vendored)"),
        "{out}"
    );
    assert!(out.contains("2 vendored or generated left out"), "{out}");

    // The same by config; and in the lines a pull request adds.
    repo.fx.write(".gitattributes", "");
    let manifest = repo.fx.read("Cargo.toml");
    repo.fx.write(
        "Cargo.toml",
        &format!("{manifest}\n[workspace.metadata.windlass.secrets]\nexclude = [\"**/node_modules/**\"]\n"),
    );
    let out = repo.fx.run(&["secrets"]).expect_code(0).stdout();
    assert!(out.contains("(2, exclude `**/node_modules/**`)"), "{out}");
    repo.git(&["add", "."]);
    repo.git(&["commit", "--quiet", "-m", "vendor the sdk"]);
    repo.fx
        .run(&["secrets", "--since", "HEAD~1"])
        .expect_code(0);
    repo.fx.write("Cargo.toml", &manifest);
    repo.fx
        .run(&["secrets", "--since", "HEAD~1"])
        .expect_code(1);
}

#[test]
fn the_pre_commit_framework_runs_windlass() {
    let Some(framework) = tool_or_skip("pre-commit", "pip install pre-commit") else {
        return;
    };
    let repo = Repo::new();
    // The hook repository: windlass's own .pre-commit-hooks.yaml in a repository of its own.
    let hooks_repo = repo.root().join("../windlass-hooks-repo");
    std::fs::create_dir_all(&hooks_repo).unwrap();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.pre-commit-hooks.yaml");
    std::fs::copy(manifest, hooks_repo.join(".pre-commit-hooks.yaml")).unwrap();
    git(&hooks_repo, &["init", "--quiet"]);
    git(&hooks_repo, &["add", "."]);
    git(
        &hooks_repo,
        &[
            "-c",
            "user.email=t@t",
            "-c",
            "user.name=t",
            "commit",
            "--quiet",
            "-m",
            "hooks",
        ],
    );
    let rev = git(&hooks_repo, &["rev-parse", "HEAD"]);
    // `cargo xtask` in this repository runs the windlass binary, as an adopter's alias would.
    let shim_dir = repo.root().join("../bin");
    std::fs::create_dir_all(&shim_dir).unwrap();
    let shim = shim_dir.join("cargo-windlass-test");
    write_executable(
        &shim,
        &format!(
            "#!/bin/sh\nshift\nexec '{}' \"$@\"\n",
            env!("CARGO_BIN_EXE_windlass")
        ),
    );
    repo.fx
        .write(".cargo/config.toml", "[alias]\nxtask = \"windlass-test\"\n");
    repo.fx.write(
        ".pre-commit-config.yaml",
        &format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: windlass\n",
            hooks_repo.display()
        ),
    );
    repo.fx
        .write("leak.txt", &format!("token {}\n", fake_key()));
    repo.git(&["add", "."]);
    let path = std::env::join_paths(
        std::iter::once(shim_dir).chain(std::env::split_paths(&Repo::path_with_windlass())),
    )
    .unwrap();
    let run = |extra: &[&str]| {
        Run(Command::new(&framework)
            .args(["run", "--all-files"])
            .args(extra)
            .current_dir(repo.root())
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", repo.root().join("../pre-commit-home"))
            .output()
            .unwrap())
    };
    let out = run(&[]);
    assert_ne!(out.code(), 0, "{}", out.all_output());
    assert!(
        out.all_output().contains("aws-access-key-id"),
        "{}",
        out.all_output()
    );
    repo.git(&["rm", "--quiet", "--cached", "leak.txt"]);
    std::fs::remove_file(repo.root().join("leak.txt")).unwrap();
    let out = run(&[]);
    assert_eq!(out.code(), 0, "{}", out.all_output());
}
