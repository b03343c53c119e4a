//! `release`: real workspaces in temp git repositories, real cargo, real git remotes.
#![allow(clippy::unwrap_used)]

mod support;

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use support::{Fixture, files_under, git, tool_or_skip};

/// A committed repository on `main` with a bare `origin` it tracks.
struct Repo {
    fixture: Fixture,
    remote: std::path::PathBuf,
}

const EPOCH: &str = "1790000000";

impl Repo {
    /// `files` written, `cargo generate-lockfile`, committed, tagged `v{tag}` when given,
    /// pushed to a bare `origin`.
    fn new(files: &[(&str, &str)], tag: Option<&str>) -> Self {
        let fixture = Fixture::bare();
        for (path, text) in files {
            fixture.write(path, text);
        }
        fixture.write(".gitignore", "target/\n");
        let lock = std::process::Command::new("cargo")
            .args(["generate-lockfile", "--offline", "--quiet"])
            .current_dir(&fixture.root)
            .output()
            .unwrap();
        assert!(
            lock.status.success(),
            "{}",
            String::from_utf8_lossy(&lock.stderr)
        );
        let root = fixture.root.clone();
        git(&root, &["init", "--quiet", "--initial-branch=main"]);
        git(&root, &["config", "user.name", "Release Test"]);
        git(&root, &["config", "user.email", "release@test"]);
        git(&root, &["add", "."]);
        git(&root, &["commit", "--quiet", "-m", "Initial commit"]);
        if let Some(version) = tag {
            git(&root, &["tag", "-a", &format!("v{version}"), "-m", "first"]);
        }
        let remote = root.parent().unwrap().join("origin.git");
        git(
            root.parent().unwrap(),
            &["init", "--quiet", "--bare", "origin.git"],
        );
        git(
            &root,
            &["remote", "add", "origin", remote.to_str().unwrap()],
        );
        git(
            &root,
            &["push", "--quiet", "-u", "origin", "main", "--tags"],
        );
        Repo { fixture, remote }
    }

    fn root(&self) -> &Path {
        &self.fixture.root
    }

    /// Appends a line to `path` and commits it with `message`.
    fn commit(&self, path: &str, message: &str) {
        let full = self.root().join(path);
        let mut text = std::fs::read_to_string(&full).unwrap_or_default();
        text.push_str("// change\n");
        std::fs::write(&full, text).unwrap();
        git(self.root(), &["commit", "--quiet", "-am", message]);
    }

    fn release(&self, args: &[&str]) -> support::Run {
        let mut cmd = self.fixture.command(&["release"]);
        cmd.args(args).env("SOURCE_DATE_EPOCH", EPOCH);
        support::Run(cmd.output().expect("windlass runs"))
    }

    /// Every file but `.git/` and `target/`, with its SHA-256.
    fn hashes(&self) -> BTreeMap<String, String> {
        files_under(self.root())
            .into_iter()
            .filter_map(|p| {
                let rel = p
                    .strip_prefix(self.root())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                (!rel.starts_with(".git/") && !rel.starts_with("target/")).then(|| {
                    let sum = Sha256::digest(std::fs::read(&p).unwrap());
                    (rel, format!("{sum:x}"))
                })
            })
            .collect()
    }

    /// What must not move when a release is refused or rolled back.
    fn state(&self) -> (BTreeMap<String, String>, String, String, String) {
        (
            self.hashes(),
            git(self.root(), &["status", "--porcelain"]),
            git(self.root(), &["rev-parse", "HEAD"]),
            git(self.root(), &["tag", "--list"]),
        )
    }

    /// Runs a release that must be refused (exit 1) saying each of `expected`, and checks that
    /// nothing moved.
    fn refused(&self, args: &[&str], expected: &[&str]) {
        let before = self.state();
        let out = self.release(args).expect_code(1);
        for text in expected {
            assert!(out.stdout().contains(text), "{text:?} in\n{}", out.stdout());
        }
        assert_eq!(self.state(), before);
    }

    fn locked_metadata_passes(&self) {
        let out = std::process::Command::new("cargo")
            .args(["metadata", "--locked", "--offline", "--format-version", "1"])
            .current_dir(self.root())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

const SINGLE: &str = r#"[package]
name = "svc"
version = "1.2.3"
edition = "2021"
license = "MIT"

[workspace]
"#;

const MAIN_RS: &str = "fn main() {\n    println!(\"up\");\n}\n";

/// A workspace with an inherited version, crates that depend on each other with
/// `version` + `path` (normal, renamed, build, target-specific), and a dev-dependency cycle.
fn workspace_files() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "Cargo.toml",
            r#"[workspace]
members = ["crates/*"]
resolver = "2"

[workspace.package]
version = "0.3.0"
edition = "2021"
license = "MIT OR Apache-2.0"

[workspace.dependencies]
engine = { path = "crates/engine", version = "0.3.0" }
"#,
        ),
        (
            "crates/engine/Cargo.toml",
            r#"[package]
name = "engine"
version.workspace = true
edition.workspace = true
license.workspace = true

[dev-dependencies]
# The cycle: the service's tests of the engine use the service.
bot = { path = "../bot", version = "0.3.0" }
"#,
        ),
        (
            "crates/engine/src/lib.rs",
            "//! Engine.\n\n/// Ticks.\npub fn tick() {}\n",
        ),
        (
            "crates/bot/Cargo.toml",
            r#"[package]
name = "bot"
version.workspace = true
edition.workspace = true
license.workspace = true

[dependencies]
engine.workspace = true
feed = { package = "pricefeed", path = "../pricefeed", version = "=0.1.0" }

[build-dependencies]
feed = { package = "pricefeed", path = "../pricefeed", version = "0.1" }

[target.'cfg(unix)'.dependencies]
feed = { package = "pricefeed", path = "../pricefeed", version = "^0.1.0" }
"#,
        ),
        ("crates/bot/build.rs", "fn main() {}\n"),
        ("crates/bot/src/lib.rs", "//! Bot.\n"),
        (
            "crates/bot/src/main.rs",
            "fn main() {\n    engine::tick();\n}\n",
        ),
        (
            "crates/pricefeed/Cargo.toml",
            r#"[package]
name = "pricefeed"
version = "0.1.0"
edition = "2021"
license = "MIT"
"#,
        ),
        ("crates/pricefeed/src/lib.rs", "//! Feed.\n"),
    ]
}

#[test]
fn dry_run_shows_the_plan_and_changes_nothing() {
    let repo = Repo::new(
        &[("Cargo.toml", SINGLE), ("src/main.rs", MAIN_RS)],
        Some("1.2.3"),
    );
    repo.commit("src/main.rs", "feat: new order type");
    let before = repo.state();
    let out = repo.release(&["--artifacts", "--push"]).expect_code(0);
    let text = out.stdout();
    for expected in [
        "release 1.2.3 → 1.3.0 (minor; 1 commit(s) since v1.2.3)",
        "svc  1.2.3 → 1.3.0",
        "files: Cargo.toml, Cargo.lock, CHANGELOG.md",
        "## [1.3.0] - 2026-09-21",
        "- new order type (",
        "commit: \"chore(release): 1.3.0\"",
        "tag: v1.3.0 (annotated)",
        "svc-1.3.0-",
        "push: main and v1.3.0 to origin",
        "nothing changed — add --execute to release",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert_eq!(repo.state(), before);
}

#[test]
fn single_crate_patch_release_commits_tags_and_pushes() {
    let repo = Repo::new(
        &[("Cargo.toml", SINGLE), ("src/main.rs", MAIN_RS)],
        Some("1.2.3"),
    );
    repo.commit("src/main.rs", "fix: reconnect after a dropped feed");
    repo.release(&["patch", "--execute", "--skip-ci", "--push"])
        .expect_code(0);
    assert!(
        repo.fixture
            .read("Cargo.toml")
            .contains("version = \"1.2.4\"")
    );
    repo.locked_metadata_passes();
    assert!(
        repo.fixture
            .read("Cargo.lock")
            .contains("name = \"svc\"\nversion = \"1.2.4\"")
    );
    let root = repo.root();
    assert_eq!(
        git(root, &["log", "-1", "--format=%s"]),
        "chore(release): 1.2.4"
    );
    assert_eq!(git(root, &["status", "--porcelain"]), "");
    assert_eq!(git(root, &["cat-file", "-t", "v1.2.4"]), "tag", "annotated");
    assert_eq!(
        git(root, &["rev-parse", "v1.2.4^{commit}"]),
        git(root, &["rev-parse", "HEAD"])
    );
    let message = git(root, &["tag", "-l", "--format=%(contents)", "v1.2.4"]);
    assert!(
        message.contains("reconnect after a dropped feed"),
        "{message}"
    );
    // Pushed: the remote has the branch at the release commit and the tag.
    assert_eq!(
        git(&repo.remote, &["rev-parse", "main"]),
        git(root, &["rev-parse", "HEAD"])
    );
    assert_eq!(git(&repo.remote, &["tag", "--list", "v1.2.4"]), "v1.2.4");
    let changelog = repo.fixture.read("CHANGELOG.md");
    assert!(
        changelog
            .contains("## [1.2.4] - 2026-09-21\n\n### Fixes\n\n- reconnect after a dropped feed ("),
        "{changelog}"
    );
    // No journal is left behind by a finished release.
    assert!(!root.join(".git/windlass/release.json").exists());
}

#[test]
fn workspace_with_inherited_versions_and_dependencies_between_members() {
    let repo = Repo::new(&workspace_files(), Some("0.3.0"));
    repo.commit(
        "crates/engine/src/lib.rs",
        "feat(engine)!: ticks are now async",
    );
    repo.release(&["--execute", "--skip-ci"]).expect_code(0);
    let f = &repo.fixture;
    // `auto` saw a breaking change: 0.3.0 → 1.0.0.
    assert!(
        f.read("Cargo.toml")
            .contains("version = \"1.0.0\"\nedition")
    );
    assert!(
        f.read("Cargo.toml")
            .contains("engine = { path = \"crates/engine\", version = \"1.0.0\" }")
    );
    assert!(
        f.read("crates/engine/Cargo.toml")
            .contains("bot = { path = \"../bot\", version = \"1.0.0\" }")
    );
    let bot = f.read("crates/bot/Cargo.toml");
    assert!(
        bot.starts_with("[package]\nname = \"bot\"\nversion.workspace = true\n"),
        "inheritance kept:\n{bot}"
    );
    assert!(
        bot.contains("version = \"=1.0.0\" }"),
        "renamed, operator kept:\n{bot}"
    );
    assert!(
        bot.contains(
            "[build-dependencies]\nfeed = { package = \"pricefeed\", path = \"../pricefeed\", version = \"1.0.0\" }"
        ),
        "{bot}"
    );
    assert!(
        bot.contains("version = \"^1.0.0\" }"),
        "target-specific:\n{bot}"
    );
    assert!(
        f.read("crates/pricefeed/Cargo.toml")
            .contains("version = \"1.0.0\"")
    );
    repo.locked_metadata_passes();
    let changelog = f.read("CHANGELOG.md");
    assert!(
        changelog.contains("### Breaking changes\n\n- **engine:** ticks are now async ("),
        "{changelog}"
    );
    assert_eq!(git(repo.root(), &["tag", "--points-at", "HEAD"]), "v1.0.0");
}

#[test]
fn a_manifest_full_of_comments_survives_byte_for_byte() {
    let manifest = r#"# The trading bot.   Keep this header.
[package]
name    = "bot"          # aligned on purpose
version = "2.0.0"        # the release bumps this
edition = "2021"
# license below
license = "MIT"

[dependencies]   # none yet

[workspace]
# nothing else
"#;
    let repo = Repo::new(&[("Cargo.toml", manifest), ("src/main.rs", MAIN_RS)], None);
    repo.release(&["minor", "--execute", "--skip-ci"])
        .expect_code(0);
    assert_eq!(
        repo.fixture.read("Cargo.toml"),
        manifest.replace("\"2.0.0\"        #", "\"2.1.0\"        #")
    );
}

#[test]
fn refusals_change_nothing() {
    let repo = Repo::new(
        &[("Cargo.toml", SINGLE), ("src/main.rs", MAIN_RS)],
        Some("1.2.3"),
    );
    repo.commit("src/main.rs", "fix: one");

    // A lower version.
    repo.refused(
        &["1.0.0", "--execute", "--skip-ci"],
        &["would go from 1.2.3 to 1.0.0"],
    );

    // An existing tag.
    git(repo.root(), &["tag", "v1.2.4"]);
    repo.refused(
        &["patch", "--execute", "--skip-ci"],
        &["the tag v1.2.4 already exists"],
    );
    git(repo.root(), &["tag", "-d", "v1.2.4"]);

    // A dirty tree.
    std::fs::write(repo.root().join("src/main.rs"), "fn main() {}\n").unwrap();
    repo.refused(
        &["patch", "--execute", "--skip-ci"],
        &["uncommitted changes", "M src/main.rs"],
    );
    git(repo.root(), &["checkout", "--", "src/main.rs"]);

    // A branch releases are not made from.
    git(repo.root(), &["checkout", "--quiet", "-b", "feature"]);
    let out = repo.release(&["patch"]).expect_code(1);
    assert!(
        out.stdout().contains("this is `feature`"),
        "{}",
        out.stdout()
    );
    git(repo.root(), &["checkout", "--quiet", "main"]);

    // Behind the upstream.
    let other = repo.root().parent().unwrap().join("other");
    git(
        repo.root().parent().unwrap(),
        &[
            "clone",
            "--quiet",
            "--branch",
            "main",
            repo.remote.to_str().unwrap(),
            "other",
        ],
    );
    std::fs::write(other.join("NOTES"), "x\n").unwrap();
    git(&other, &["add", "NOTES"]);
    git(
        &other,
        &[
            "-c",
            "user.name=o",
            "-c",
            "user.email=o@o",
            "commit",
            "--quiet",
            "-m",
            "other",
        ],
    );
    git(&other, &["push", "--quiet", "origin", "main"]);
    let out = repo.release(&["patch"]).expect_code(1);
    assert!(
        out.stdout().contains("1 commit(s) behind origin/main"),
        "{}",
        out.stdout()
    );
}

#[test]
fn failing_ci_refuses_the_release() {
    let manifest = format!("{SINGLE}\n[workspace.metadata.windlass.ci]\nsteps = [\"fmt-check\"]\n");
    let repo = Repo::new(
        &[
            ("Cargo.toml", &manifest),
            ("src/main.rs", "fn main() { println!(\"up\") ; }\n"),
        ],
        Some("1.2.3"),
    );
    repo.commit("src/main.rs", "fix: one");
    let before = repo.state();
    let out = repo
        .release(&["patch", "--execute", "--format", "json"])
        .expect_code(1);
    let report = out.json();
    let names: Vec<&str> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["release-checks", "fmt-check", "release"]);
    assert_eq!(
        support::step_statuses(&report),
        ["passed", "failed", "skipped"]
    );
    assert_eq!(repo.state(), before);
}

#[test]
fn a_failure_before_the_commit_restores_every_file() {
    let repo = Repo::new(&workspace_files(), Some("0.3.0"));
    repo.commit("crates/engine/src/lib.rs", "fix: tick");
    // The failure: the repository's own pre-commit hook rejects the release commit, after
    // every manifest, the lockfile and the changelog were written.
    let hook = repo.root().join(".git/hooks/pre-commit");
    support::write_executable(
        &hook,
        "#!/bin/sh\necho 'hook: no commits today' >&2\nexit 1\n",
    );
    let before = repo.state();
    let out = repo
        .release(&["minor", "--execute", "--skip-ci"])
        .expect_code(2);
    let text = out.all_output();
    assert!(text.contains("no commits today"), "{text}");
    assert!(text.contains("every file is as it was"), "{text}");
    assert_eq!(repo.state(), before);
    assert!(!repo.root().join("CHANGELOG.md").exists());
    assert!(!repo.root().join(".git/windlass/release.json").exists());
}

#[test]
fn an_interrupt_as_the_commit_lands_is_journalled_and_resumed() {
    let repo = Repo::new(
        &[("Cargo.toml", SINGLE), ("src/main.rs", MAIN_RS)],
        Some("1.2.3"),
    );
    repo.commit("src/main.rs", "fix: one");
    // Ctrl-C arrives just after git made the commit: the hook interrupts git's parent,
    // windlass, which stops git (still running the hook) and then itself.
    let hook = repo.root().join(".git/hooks/post-commit");
    support::write_executable(
        &hook,
        "#!/bin/sh\nkill -INT \"$(awk '{print $4}' /proc/$PPID/stat)\"\nsleep 2\n",
    );
    let out = repo
        .release(&["patch", "--execute", "--skip-ci"])
        .expect_code(130);
    assert!(
        out.all_output().contains("landed as the run was stopped"),
        "{}",
        out.all_output()
    );
    let root = repo.root();
    assert_eq!(
        git(root, &["log", "-1", "--format=%s"]),
        "chore(release): 1.2.4"
    );
    assert_eq!(
        git(root, &["status", "--porcelain"]),
        "",
        "the work tree matches the commit"
    );
    assert_eq!(git(root, &["tag", "--points-at", "HEAD"]), "");
    std::fs::remove_file(&hook).unwrap();
    repo.release(&["--resume"]).expect_code(0);
    assert_eq!(git(root, &["tag", "--points-at", "HEAD"]), "v1.2.4");
}

#[test]
fn a_failure_after_the_commit_is_finished_by_resume() {
    let repo = Repo::new(
        &[("Cargo.toml", SINGLE), ("src/main.rs", MAIN_RS)],
        Some("1.2.3"),
    );
    repo.commit("src/main.rs", "fix: one");
    // The remote refuses every push, as a protected branch would.
    let hook = repo.remote.join("hooks/pre-receive");
    support::write_executable(
        &hook,
        "#!/bin/sh\necho 'remote: pushes are frozen' >&2\nexit 1\n",
    );
    let out = repo
        .release(&["patch", "--execute", "--skip-ci", "--push"])
        .expect_code(2);
    assert!(
        out.all_output().contains("pushes are frozen"),
        "{}",
        out.all_output()
    );
    assert!(
        out.all_output().contains(
            "stopped after its commit (done: commit, tag); fix the cause and `release --resume` finishes it"
        ),
        "{}",
        out.all_output()
    );
    let root = repo.root();
    assert_eq!(
        git(root, &["log", "-1", "--format=%s"]),
        "chore(release): 1.2.4"
    );
    assert_eq!(git(root, &["tag", "--points-at", "HEAD"]), "v1.2.4");
    let journal = repo.fixture.read(".git/windlass/release.json");
    assert!(journal.contains("\"tag\""), "{journal}");

    // A new release is refused while this one is unfinished.
    let out = repo.release(&["patch"]).expect_code(1);
    assert!(out.stdout().contains("is not finished"), "{}", out.stdout());

    std::fs::remove_file(&hook).unwrap();
    let out = repo.release(&["--resume"]).expect_code(0);
    let text = out.stdout();
    assert!(
        text.contains("resuming the release of 1.2.4 (done: commit, tag)"),
        "{text}"
    );
    assert!(text.contains("pushed main and v1.2.4 to origin"), "{text}");
    assert_eq!(git(&repo.remote, &["tag", "--list"]), "v1.2.3\nv1.2.4");
    assert!(!root.join(".git/windlass/release.json").exists());
    let out = repo.release(&["--resume"]).expect_code(2);
    assert!(
        out.all_output().contains("no release in progress"),
        "{}",
        out.all_output()
    );
}

#[test]
fn a_resume_that_can_never_push_says_so_and_its_undo_puts_the_clone_back() {
    let repo = Repo::new(
        &[("Cargo.toml", SINGLE), ("src/main.rs", MAIN_RS)],
        Some("1.2.3"),
    );
    repo.commit("src/main.rs", "fix: one");
    let root = repo.root().to_path_buf();
    let before = git(&root, &["rev-parse", "HEAD"]);
    let hook = repo.remote.join("hooks/pre-receive");
    support::write_executable(
        &hook,
        "#!/bin/sh\necho 'remote: pushes are frozen' >&2\nexit 1\n",
    );
    repo.release(&["patch", "--execute", "--skip-ci", "--push"])
        .expect_code(2);
    std::fs::remove_file(&hook).unwrap();
    // Meanwhile someone released 1.2.4 from another commit.
    let other = root.parent().unwrap().join("other-clone");
    git(
        root.parent().unwrap(),
        &[
            "clone",
            "--quiet",
            repo.remote.to_str().unwrap(),
            other.to_str().unwrap(),
        ],
    );
    git(
        &other,
        &[
            "-c",
            "user.name=o",
            "-c",
            "user.email=o@o",
            "commit",
            "--quiet",
            "--allow-empty",
            "-m",
            "theirs",
        ],
    );
    git(&other, &["tag", "v1.2.4"]);
    git(&other, &["push", "--quiet", "origin", "v1.2.4"]);

    let out = repo.release(&["--resume"]).expect_code(2);
    let text = out.all_output();
    assert!(text.contains("cannot finish this release"), "{text}");
    let undo = text
        .split('`')
        .find(|part| part.starts_with("git tag -d v1.2.4"))
        .unwrap_or_else(|| panic!("no undo command in: {text}"))
        .to_string();
    // The undo it prints, run as printed, puts the clone back as it was before the release.
    let ran = std::process::Command::new("sh")
        .arg("-c")
        .arg(&undo)
        .current_dir(&root)
        .output()
        .unwrap();
    assert!(
        ran.status.success(),
        "{undo}: {}",
        String::from_utf8_lossy(&ran.stderr)
    );
    assert_eq!(git(&root, &["rev-parse", "HEAD"]), before);
    assert_eq!(git(&root, &["tag", "--list", "v1.2.4"]), "");
    assert!(!root.join(".git/windlass/release.json").exists());
    assert_eq!(git(&root, &["status", "--porcelain"]), "");
}

#[test]
fn artifacts_are_packed_checksummed_and_described_by_a_valid_sbom() {
    let mut files = workspace_files();
    files.push(("crates/bot/README.md", "# bot\n"));
    // A registry dependency too (resolved offline from the local registry cache, which
    // windlass's own build fills): its SBOM entry carries the registry's SHA-256.
    files[7] = (
        "crates/pricefeed/Cargo.toml",
        "[package]\nname = \"pricefeed\"\nversion = \"0.1.0\"\nedition = \"2021\"\nlicense = \"MIT\"\n\n[dependencies]\nitoa = \"1\"\n",
    );
    let repo = Repo::new(&files, Some("0.3.0"));
    repo.commit("crates/engine/src/lib.rs", "fix: tick");
    repo.release(&["patch", "--execute", "--skip-ci", "--artifacts"])
        .expect_code(0);
    let dir = repo.root().join("target/artifacts/0.3.1");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    let stem = names[1]
        .strip_suffix(".cdx.json")
        .expect("an SBOM")
        .to_string();
    assert!(stem.starts_with("bot-0.3.1-"), "{stem}");
    assert_eq!(names[0], "SHA256SUMS");
    assert_eq!(names[2], format!("{stem}.tar.gz"));

    // `sha256sum -c` agrees with SHA256SUMS.
    let check = std::process::Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );

    // The archive holds the binary and the package's README, and the binary runs.
    let unpack = repo.root().join("target/unpacked");
    std::fs::create_dir_all(&unpack).unwrap();
    let tar = std::process::Command::new("tar")
        .args([
            "-xzf",
            dir.join(format!("{stem}.tar.gz")).to_str().unwrap(),
            "-C",
        ])
        .arg(&unpack)
        .output()
        .unwrap();
    assert!(
        tar.status.success(),
        "{}",
        String::from_utf8_lossy(&tar.stderr)
    );
    assert!(unpack.join(&stem).join("README.md").is_file());
    let ran = std::process::Command::new(unpack.join(&stem).join("bot"))
        .output()
        .unwrap();
    assert!(ran.status.success());

    // The SBOM: every library compiled in, none of the dev-only cycle, and valid CycloneDX.
    let sbom_path = dir.join(format!("{stem}.cdx.json"));
    let sbom: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sbom_path).unwrap()).unwrap();
    assert_eq!(sbom["specVersion"], "1.5");
    assert_eq!(sbom["metadata"]["timestamp"], "2026-09-21T14:13:20Z");
    assert_eq!(sbom["metadata"]["component"]["purl"], "pkg:cargo/bot@0.3.1");
    let purls: Vec<&str> = sbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["purl"].as_str().unwrap())
        .collect();
    assert_eq!(purls.len(), 3, "{purls:?}");
    assert_eq!(purls[0], "pkg:cargo/engine@0.3.1");
    assert!(purls[1].starts_with("pkg:cargo/itoa@1."), "{purls:?}");
    assert_eq!(purls[2], "pkg:cargo/pricefeed@0.1.1");
    let itoa = &sbom["components"][1];
    assert_eq!(itoa["hashes"][0]["alg"], "SHA-256");
    assert_eq!(itoa["hashes"][0]["content"].as_str().unwrap().len(), 64);
    assert_eq!(itoa["licenses"][0]["expression"], "MIT OR Apache-2.0");
    validate_cyclonedx(&sbom_path);

    // What the archive ships is audited from that SBOM (itoa, the one registry crate).
    let db = support::advisory_db();
    let archive = dir.join(format!("{stem}.tar.gz"));
    let report = repo
        .fixture
        .run(&[
            "audit",
            "--bin",
            archive.to_str().unwrap(),
            "--no-fetch",
            "--db",
            db.to_str().unwrap(),
            "--format",
            "json",
        ])
        .expect_code(0)
        .json();
    assert!(
        report["steps"][0]["summary"]
            .as_str()
            .unwrap()
            .contains("0 vulnerabilities, 0 warnings in 1 package,"),
        "{report:#}"
    );

    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
    // Reproducible: built again from the tag, as the release workflow does, the same bytes.
    std::fs::remove_dir_all(&dir).unwrap();
    repo.release(&["--artifacts-only"]).expect_code(0);
    assert_eq!(repo.fixture.read("target/artifacts/0.3.1/SHA256SUMS"), sums);
    // Off the tag there is no release to build.
    repo.commit("crates/engine/src/lib.rs", "fix: after");
    let out = repo.release(&["--artifacts-only"]).expect_code(2);
    assert!(
        out.all_output().contains("HEAD carries no release tag"),
        "{}",
        out.all_output()
    );
}

/// Whether an executable carries DWARF debug info.
fn has_debug_info(path: &Path) -> bool {
    let bytes = std::fs::read(path).unwrap();
    bytes.windows(11).any(|w| w == b".debug_info")
}

#[test]
fn a_staging_profile_ships_debug_symbols() {
    let manifest = format!("{SINGLE}\n[profile.staging]\ninherits = \"release\"\ndebug = true\n");
    let repo = Repo::new(
        &[("Cargo.toml", &manifest), ("src/main.rs", MAIN_RS)],
        Some("1.2.3"),
    );
    repo.commit("src/main.rs", "fix: one");
    let out = repo
        .release(&[
            "patch",
            "--execute",
            "--skip-ci",
            "--artifacts",
            "--profile",
            "staging",
        ])
        .expect_code(0);
    assert!(
        out.stdout().contains("--profile staging"),
        "{}",
        out.stdout()
    );
    let dir = repo.root().join("target/artifacts/1.2.4");
    let archive = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
        .unwrap();
    let tar = std::process::Command::new("tar")
        .arg("-xzf")
        .arg(&archive)
        .arg("-C")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(tar.status.success());
    let stem = archive
        .file_name()
        .unwrap()
        .to_string_lossy()
        .replace(".tar.gz", "");
    assert!(has_debug_info(&dir.join(stem).join("svc")));
}

/// Validates a CycloneDX JSON document with the CycloneDX project's own validator
/// (cyclonedx-python-lib, from PyPI).
fn validate_cyclonedx(path: &Path) {
    let script = r#"
import sys
try:
    from cyclonedx.validation.json import JsonStrictValidator
    from cyclonedx.schema import SchemaVersion
except ImportError:
    print("missing")
    sys.exit(3)
errors = JsonStrictValidator(SchemaVersion.V1_5).validate_str(open(sys.argv[1]).read())
print(errors or "valid")
sys.exit(1 if errors else 0)
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .output()
        .expect("python3 runs");
    if out.status.code() == Some(3) {
        assert!(
            std::env::var_os("WINDLASS_REQUIRE_TOOLS").is_none(),
            "cyclonedx-python-lib is required: pip install 'cyclonedx-python-lib[json-validation]'"
        );
        eprintln!("skipped: cyclonedx-python-lib is not installed");
        return;
    }
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn unreleased_notes_are_carried_and_pre_releases_count_up() {
    let changelog = "# Changelog\n\n## [Unreleased]\n\n### Security\n\n- Rotated the exchange keys.\n\n## [1.2.3] - 2026-01-01\n\n- First.\n";
    let repo = Repo::new(
        &[
            ("Cargo.toml", SINGLE),
            ("src/main.rs", MAIN_RS),
            ("CHANGELOG.md", changelog),
        ],
        Some("1.2.3"),
    );
    repo.commit("src/main.rs", "Tidy the main loop");
    repo.release(&["rc", "--execute", "--skip-ci"])
        .expect_code(0);
    assert_eq!(
        repo.fixture.read("CHANGELOG.md"),
        "# Changelog\n\n## [Unreleased]\n\n## [1.2.4-rc.1] - 2026-09-21\n\n### Security\n\n- Rotated the exchange keys.\n\n### Other\n\n- Tidy the main loop ("
            .to_string()
            + &git(repo.root(), &["rev-parse", "--short", "HEAD~1"])
            + ")\n\n## [1.2.3] - 2026-01-01\n\n- First.\n"
    );
    // A GitHub remote (no upstream to fetch from here): the sections get compare links.
    git(repo.root(), &["branch", "--unset-upstream"]);
    git(
        repo.root(),
        &["remote", "set-url", "origin", "git@github.com:acme/bot.git"],
    );
    repo.commit("src/main.rs", "fix: last one");
    repo.release(&["release", "--execute", "--skip-ci"])
        .expect_code(0);
    assert_eq!(git(repo.root(), &["describe", "--tags"]), "v1.2.4");
    let changelog = repo.fixture.read("CHANGELOG.md");
    assert!(
        changelog.ends_with(
            "- First.\n\n[Unreleased]: https://github.com/acme/bot/compare/v1.2.4...HEAD\n[1.2.4]: https://github.com/acme/bot/compare/v1.2.4-rc.1...v1.2.4\n"
        ),
        "{changelog}"
    );
}

#[test]
fn publish_plan_follows_dependencies_and_skips_unpublishable_crates() {
    let mut files = workspace_files();
    files[7] = (
        "crates/pricefeed/Cargo.toml",
        "[package]\nname = \"pricefeed\"\nversion = \"0.1.0\"\nedition = \"2021\"\nlicense = \"MIT\"\npublish = false\n",
    );
    let repo = Repo::new(&files, Some("0.3.0"));
    let out = repo.release(&["patch", "--publish"]).expect_code(0);
    assert!(
        out.stdout()
            .contains("publish, in this order: engine, bot (publish = false: pricefeed)"),
        "{}",
        out.stdout()
    );
}

#[test]
fn outside_git_or_before_any_commit_there_is_nothing_to_release() {
    let fx = Fixture::new(support::CLEAN_LIB);
    let out = fx.run(&["release", "patch"]).expect_code(2);
    assert!(
        out.all_output().contains("not in a git repository"),
        "{}",
        out.all_output()
    );
    git(&fx.root, &["init", "--quiet"]);
    let out = fx.run(&["release", "patch"]).expect_code(2);
    assert!(
        out.all_output().contains("no commits yet"),
        "{}",
        out.all_output()
    );
}

#[test]
fn bad_input_is_exit_2_with_the_fix() {
    let repo = Repo::new(&[("Cargo.toml", SINGLE), ("src/main.rs", MAIN_RS)], None);
    let out = repo.release(&["huge"]).expect_code(2);
    assert!(
        out.stderr().contains("neither a bump level nor a version"),
        "{}",
        out.stderr()
    );
    let manifest = format!("{SINGLE}\n[workspace.metadata.windlass.release]\ntag-format = \"x\"\n");
    repo.fixture.write("Cargo.toml", &manifest);
    let out = repo.release(&["patch"]).expect_code(2);
    assert!(out.stderr().contains("tag-format"), "{}", out.stderr());
}

/// The loopback registry of `fixtures/registry.py`, stopped when dropped.
struct Registry {
    child: std::process::Child,
    port: u16,
    store: tempfile::TempDir,
}

impl Registry {
    fn start() -> Self {
        use std::io::BufRead;
        let store = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/registry.py");
        let mut child = std::process::Command::new("python3")
            .arg(script)
            .arg(store.path())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().expect("the registry prints its port");
        Registry { child, port, store }
    }

    fn published(&self) -> String {
        std::fs::read_to_string(self.store.path().join("published.log")).unwrap_or_default()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn publish_goes_in_dependency_order_and_resumes_after_a_registry_failure() {
    let registry = Registry::start();
    let config = format!(
        "[registries.local]\nindex = \"sparse+http://127.0.0.1:{}/index/\"\n",
        registry.port
    );
    let repo = Repo::new(
        &[
            (".cargo/config.toml", &config),
            (
                "Cargo.toml",
                "[workspace]\nmembers = [\"crates/*\"]\nresolver = \"2\"\n\n[workspace.package]\nversion = \"0.3.0\"\nedition = \"2021\"\nlicense = \"MIT\"\ndescription = \"A crate of the publish test.\"\npublish = [\"local\"]\n",
            ),
            (
                "crates/bot/Cargo.toml",
                "[package]\nname = \"bot\"\nversion.workspace = true\nedition.workspace = true\nlicense.workspace = true\ndescription.workspace = true\npublish.workspace = true\n\n[dependencies]\nengine = { path = \"../engine\", version = \"0.3.0\", registry = \"local\" }\n",
            ),
            ("crates/bot/src/lib.rs", "//! Bot.\npub use engine::tick;\n"),
            (
                "crates/engine/Cargo.toml",
                "[package]\nname = \"engine\"\nversion.workspace = true\nedition.workspace = true\nlicense.workspace = true\ndescription.workspace = true\npublish.workspace = true\n",
            ),
            (
                "crates/engine/src/lib.rs",
                "//! Engine.\n\n/// Ticks.\npub fn tick() {}\n",
            ),
            (
                "crates/tool/Cargo.toml",
                "[package]\nname = \"tool\"\nversion.workspace = true\nedition.workspace = true\npublish = false\n",
            ),
            ("crates/tool/src/main.rs", "fn main() {}\n"),
        ],
        Some("0.3.0"),
    );
    repo.commit("crates/engine/src/lib.rs", "feat: faster ticks");
    // The registry is down when bot's turn comes: engine is out, bot is not.
    std::fs::write(registry.store.path().join("fail-once"), "bot").unwrap();
    let publish = |args: &[&str]| {
        let mut cmd = repo.fixture.command(&["release"]);
        cmd.args(args)
            .env("SOURCE_DATE_EPOCH", EPOCH)
            .env("CARGO_REGISTRIES_LOCAL_TOKEN", "test-token");
        support::Run(cmd.output().expect("windlass runs"))
    };
    let out = publish(&["--execute", "--skip-ci", "--publish"]).expect_code(2);
    let text = out.all_output();
    assert!(
        text.contains("publish, in this order: engine, bot (publish = false: tool)"),
        "{text}"
    );
    assert!(text.contains("down for maintenance"), "{text}");
    assert_eq!(registry.published(), "engine 0.4.0\n");

    let out = publish(&["--resume"]).expect_code(0);
    assert!(
        out.stdout().contains("published 1 of 2 crate(s)"),
        "{}",
        out.stdout()
    );
    assert_eq!(registry.published(), "engine 0.4.0\nbot 0.4.0\n");

    // A journal that lost track of the publishing: what the registry has counts as done.
    let journal = serde_json::json!({
        "schema": "windlass.release-journal/v1",
        "version": "0.4.0",
        "tag": "v0.4.0",
        "commit": git(repo.root(), &["rev-parse", "HEAD"]),
        "branch": "main",
        "remote": "origin",
        "wanted": ["tag", "publish"],
        "done": ["commit", "tag"],
    });
    repo.fixture
        .write(".git/windlass/release.json", &journal.to_string());
    let out = publish(&["--resume"]).expect_code(0);
    assert!(
        out.stdout()
            .contains("engine 0.4.0 is on the registry already"),
        "{}",
        out.stdout()
    );
    assert!(
        out.stdout().contains("published 0 of 2 crate(s)"),
        "{}",
        out.stdout()
    );
    assert_eq!(registry.published(), "engine 0.4.0\nbot 0.4.0\n");
}

/// `minisign` (Debian's package), or `None` (the test skips, saying why) unless
/// `WINDLASS_REQUIRE_TOOLS=1`.
fn minisign() -> Option<std::path::PathBuf> {
    tool_or_skip("minisign", "apt-get install minisign")
}

/// `minisign -G -W` in `dir`: an unencrypted key pair, as a CI secret holds one.
fn minisign_keys(minisign: &Path, dir: &Path) -> (String, String) {
    let out = std::process::Command::new(minisign)
        .args(["-G", "-W", "-p", "key.pub", "-s", "key.sec"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        std::fs::read_to_string(dir.join("key.pub")).unwrap(),
        std::fs::read_to_string(dir.join("key.sec")).unwrap(),
    )
}

/// A health endpoint on loopback that always answers healthy, for the deploys below.
fn healthy_endpoint() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            use std::io::{Read, Write};
            let mut stream = stream;
            let mut request = [0u8; 512];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(b"HTTP/1.0 200 OK\r\n\r\n{\"status\":\"healthy\"}");
        }
    });
    port
}

/// Signed releases: `release --sign` signs SHA256SUMS as minisign does (the real `minisign`
/// verifies it; windlass verifies what `minisign -S` signs), and a deploy to an environment
/// with a public key refuses a tampered archive, tampered sums, a wrong key or no signature,
/// before anything moves.
#[test]
fn signed_releases_interoperate_with_minisign_and_deploy_verifies_them_first() {
    let Some(minisign) = minisign() else {
        return;
    };
    let repo = Repo::new(&workspace_files(), Some("0.3.0"));
    repo.commit("crates/engine/src/lib.rs", "fix: tick");
    let keys = tempfile::tempdir().unwrap();
    let (public, secret) = minisign_keys(&minisign, keys.path());

    // No key: refused before anything changes.
    let before = repo.state();
    let out = repo
        .release(&["patch", "--execute", "--skip-ci", "--artifacts", "--sign"])
        .expect_code(2);
    assert!(
        out.stderr().contains("WINDLASS_SIGNING_KEY"),
        "{}",
        out.stderr()
    );
    assert_eq!(repo.state(), before);

    let mut cmd = repo.fixture.command(&[
        "release",
        "patch",
        "--execute",
        "--skip-ci",
        "--artifacts",
        "--sign",
    ]);
    cmd.env("SOURCE_DATE_EPOCH", EPOCH)
        .env("WINDLASS_SIGNING_KEY", &secret);
    let run = support::Run(cmd.output().unwrap()).expect_code(0);
    assert!(
        !run.all_output().contains(secret.lines().nth(1).unwrap()),
        "the key is never printed"
    );
    let dir = repo.root().join("target/artifacts/0.3.1");
    let verified = std::process::Command::new(&minisign)
        .args(["-V", "-m", "SHA256SUMS", "-p"])
        .arg(keys.path().join("key.pub"))
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        verified.status.success(),
        "minisign verifies windlass's signature: {}{}",
        String::from_utf8_lossy(&verified.stdout),
        String::from_utf8_lossy(&verified.stderr)
    );
    assert!(String::from_utf8_lossy(&verified.stdout).contains("file:SHA256SUMS"));

    // windlass verifies minisign's own signature of the same sums.
    let signed = std::process::Command::new(&minisign)
        .args(["-S", "-m", "SHA256SUMS", "-s"])
        .arg(keys.path().join("key.sec"))
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        signed.status.success(),
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );

    let port = healthy_endpoint();
    let manifest = repo.fixture.read("Cargo.toml");
    repo.fixture.write(
        "Cargo.toml",
        &format!(
            "{manifest}\n[workspace.metadata.windlass.deploy.prod]\nroot = \"host\"\nbin = \"bot\"\nrestart = [\"true\"]\npublic-key = {:?}\nhealth = {{ url = \"http://127.0.0.1:{port}/health\", deadline = \"5s\", interval = \"100ms\", successes = 1 }}\n",
            public.lines().nth(1).unwrap()
        ),
    );
    let archive = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
        .unwrap();
    let deploy = |archive: &Path| -> support::Run {
        repo.fixture.run(&[
            "deploy",
            "--env",
            "prod",
            "--artifact",
            archive.to_str().unwrap(),
        ])
    };
    let current = || std::fs::read_link(repo.root().join("host/current")).ok();
    deploy(&archive).expect_code(0);
    let good = current().expect("deployed");

    // Each tampering, in a copy of the artifacts: refused, exit 2, `current` unchanged.
    let variant = |name: &str, change: &dyn Fn(&Path)| -> String {
        let copy = repo.root().join(format!("target/{name}"));
        std::fs::create_dir_all(&copy).unwrap();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, copy.join(path.file_name().unwrap())).unwrap();
        }
        change(&copy);
        let out = deploy(&copy.join(archive.file_name().unwrap())).expect_code(2);
        assert_eq!(current().as_ref(), Some(&good), "{name}: current moved");
        out.all_output()
    };
    let err = variant("tampered-archive", &|d| {
        let path = d.join(archive.file_name().unwrap());
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.push(0);
        std::fs::write(&path, bytes).unwrap();
    });
    assert!(
        err.contains("does not match its entry in the signed SHA256SUMS"),
        "{err}"
    );
    let err = variant("tampered-sums", &|d| {
        let path = d.join("SHA256SUMS");
        let sums = std::fs::read_to_string(&path).unwrap();
        let first = sums.chars().next().unwrap();
        let other = if first == '0' { '1' } else { '0' };
        std::fs::write(&path, format!("{other}{}", &sums[1..])).unwrap();
    });
    assert!(err.contains("does not match the file"), "{err}");
    let other_keys = tempfile::tempdir().unwrap();
    minisign_keys(&minisign, other_keys.path());
    let err = variant("wrong-key", &|d| {
        let out = std::process::Command::new(&minisign)
            .args(["-S", "-m", "SHA256SUMS", "-s"])
            .arg(other_keys.path().join("key.sec"))
            .current_dir(d)
            .output()
            .unwrap();
        assert!(out.status.success());
    });
    assert!(err.contains("was made with the key"), "{err}");
    let err = variant("unsigned", &|d| {
        std::fs::remove_file(d.join("SHA256SUMS.minisig")).unwrap()
    });
    assert!(err.contains("no SHA256SUMS.minisig beside it"), "{err}");

    // A bare binary is not a signed release.
    let bare = repo.root().join("target/bare-bot");
    std::fs::copy("/bin/true", &bare).unwrap();
    let err = deploy(&bare).expect_code(2).all_output();
    assert!(err.contains("requires signed releases"), "{err}");
    assert_eq!(current(), Some(good));
}
