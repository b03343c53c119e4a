//! Fixture workspaces in temp dirs, and the real windlass binary run against them.
#![allow(dead_code)]

pub mod host;
pub mod prometheus;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A clean library crate: formatted, clippy-clean, one passing test.
pub const CLEAN_LIB: &str = r#"//! A fixture crate.

/// Adds two numbers.
pub fn add(a: u32, b: u32) -> u32 {
    a + b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds() {
        assert_eq!(add(1, 2), 3);
    }
}
"#;

/// The same crate, unformatted.
pub const UNFORMATTED_LIB: &str =
    "//! A fixture crate.\n\n/// Adds two numbers.\npub fn add(a: u32, b: u32) -> u32 { a+b }\n";

/// The same crate with a clippy warning (needless_return) at line 5, column 5.
pub const CLIPPY_WARNING_LIB: &str = r#"//! A fixture crate.

/// Adds two numbers.
pub fn add(a: u32, b: u32) -> u32 {
    return a + b;
}
"#;

/// The same crate with a failing test; the assertion is at line 14.
pub const FAILING_TEST_LIB: &str = r#"//! A fixture crate.

/// Adds two numbers.
pub fn add(a: u32, b: u32) -> u32 {
    a + b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_wrongly() {
        assert_eq!(add(1, 2), 4, "one and two");
    }
}
"#;

/// A workspace in a temp dir.
pub struct Fixture {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
}

impl Fixture {
    /// A single-crate workspace named `fixture` whose `src/lib.rs` is `lib`, in a directory
    /// whose name has a space in it (paths must never be split).
    pub fn new(lib: &str) -> Self {
        Self::with_manifest(lib, "")
    }

    /// An empty directory (with a space in its path) for a test that lays out its own files.
    pub fn bare() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("windlass fixture ")
            .tempdir()
            .expect("temp dir");
        let root = dir.path().join("my workspace");
        std::fs::create_dir_all(&root).expect("mkdir");
        Self { _dir: dir, root }
    }

    /// As [`Fixture::new`], with `extra` appended to the manifest.
    pub fn with_manifest(lib: &str, extra: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("windlass fixture ")
            .tempdir()
            .expect("temp dir");
        let root = dir.path().join("my workspace");
        let fixture = Self { _dir: dir, root };
        // Audits read the real snapshot and never the network, unless a test says otherwise.
        let audit = if extra.contains("[workspace.metadata.windlass.audit]") {
            String::new()
        } else {
            format!(
                "\n[workspace.metadata.windlass.audit]\ndb = {:?}\nfetch = false\n",
                advisory_db()
            )
        };
        fixture.write(
            "Cargo.toml",
            &format!(
                "[package]\nname = \"fixture\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n\n[workspace.metadata.windlass.test]\ndoctests = false\n{audit}{extra}"
            ),
        );
        fixture.write("src/lib.rs", lib);
        fixture
    }

    /// Writes `contents` to `path` under the root, creating directories.
    pub fn write(&self, path: &str, contents: &str) {
        let full = self.root.join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, contents).expect("write");
    }

    /// Reads a file under the root.
    pub fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.root.join(path)).expect("read")
    }

    /// The 1-based line of the root manifest that starts with `prefix`, where a config error
    /// should point.
    pub fn manifest_line(&self, prefix: &str) -> usize {
        1 + self
            .read("Cargo.toml")
            .lines()
            .position(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line starting with {prefix:?} in Cargo.toml"))
    }

    /// `windlass ARGS` in the fixture, outside GitHub Actions, without colour.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_windlass"));
        cmd.args(args).current_dir(&self.root);
        for var in [
            "GITHUB_ACTIONS",
            "GITHUB_STEP_SUMMARY",
            "GITHUB_WORKSPACE",
            "NO_COLOR",
            "CLICOLOR",
            "CLICOLOR_FORCE",
            "CARGO_TERM_COLOR",
            "RUSTFLAGS",
            "CARGO_BUILD_RUSTFLAGS",
        ] {
            cmd.env_remove(var);
        }
        // Each fixture builds on its own: a shared target dir would serialise the tests on
        // cargo's lock.
        cmd.env("CARGO_TARGET_DIR", self.root.join("target"));
        // windlass's own cache (the advisory index) beside the fixture: tests never share it.
        cmd.env("WINDLASS_CACHE_DIR", self.cache_dir());
        cmd
    }

    /// Where windlass keeps its cache for this fixture's runs.
    pub fn cache_dir(&self) -> PathBuf {
        self.root
            .parent()
            .expect("the fixture's parent")
            .join("windlass-cache")
    }

    /// Runs `windlass ARGS` to completion.
    pub fn run(&self, args: &[&str]) -> Run {
        Run(self.command(args).output().expect("windlass runs"))
    }
}

/// A finished run.
pub struct Run(pub Output);

impl Run {
    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }

    /// Both streams: a step that cannot run reports through the event stream (stdout), an
    /// error before any step on stderr.
    pub fn all_output(&self) -> String {
        self.stdout() + &self.stderr()
    }

    /// Asserts the exit code, showing both streams when it differs.
    pub fn expect_code(self, code: i32) -> Self {
        assert_eq!(
            self.code(),
            code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }

    /// The JSON report on stdout.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout()).unwrap_or_else(|e| panic!("{e}: {}", self.stdout()))
    }
}

/// The tests' advisory database: real advisories of the crates the test lockfiles pin, kept in
/// the repository (`tests/data/advisory-db`, see its SOURCE.md), so that the suite needs
/// nothing beside the checkout.
pub fn advisory_db() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/advisory-db")
}

/// The whole RustSec snapshot, for the optional wider tests: `$WINDLASS_ADVISORY_DB`, or
/// `shared/advisory-db` beside the repository. `None` (the test skips, saying why) when it is
/// absent, unless `WINDLASS_REQUIRE_TOOLS=1` asks for it.
pub fn shared_advisory_db() -> Option<PathBuf> {
    let found = std::env::var_os("WINDLASS_ADVISORY_DB")
        .map(PathBuf::from)
        .or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .ancestors()
                .map(|a| a.join("shared/advisory-db"))
                .find(|p| p.join("crates").is_dir())
        });
    if found.is_none() {
        assert!(
            std::env::var_os("WINDLASS_REQUIRE_TOOLS").is_none(),
            "the whole advisory database is required (WINDLASS_REQUIRE_TOOLS): set WINDLASS_ADVISORY_DB"
        );
        eprintln!(
            "skipped: no whole advisory database (set WINDLASS_ADVISORY_DB to run this test)"
        );
    }
    found
}

/// The status of each step of a JSON report, in order.
pub fn step_statuses(report: &serde_json::Value) -> Vec<String> {
    report["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["status"].as_str().expect("status").to_string())
        .collect()
}

/// `git ARGS` in `dir`, which must succeed; its stdout, trimmed.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Writes an executable file (a hook, a shim, a service), creating its directory.
pub fn write_executable(path: &Path, contents: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, contents).expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
}

/// Whether cargo-nextest is installed (the test runner then defaults to it).
pub fn has_nextest() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("cargo-nextest").is_file()))
}

/// The directory that holds `cargo` (for a PATH without anything else on it).
pub fn cargo_dir() -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|p| std::env::split_paths(&p).find(|d| d.join("cargo").is_file()))
        .expect("cargo on PATH")
}

/// Every file under `dir`, for "nothing was written" checks.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path)
            } else {
                out.push(path)
            }
        }
    }
    out.sort();
    out
}

/// Whether a Docker daemon answers; `WINDLASS_REQUIRE_DOCKER` (CI) makes its absence a failure
/// rather than a skip.
pub fn docker_available() -> bool {
    let up = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !up {
        assert!(
            std::env::var_os("WINDLASS_REQUIRE_DOCKER").is_none(),
            "WINDLASS_REQUIRE_DOCKER is set but no Docker daemon answers"
        );
        eprintln!("skipped: no Docker daemon answers");
    }
    up
}

/// Compiles the one-file program `source` into a static binary `dir/name`, for an image
/// `FROM scratch` (nothing can be pulled here).
pub fn build_static(dir: &Path, source: &str, name: &str) {
    let file = format!("{name}.rs");
    std::fs::write(dir.join(&file), source).expect("write the source");
    let built = Command::new("rustc")
        .args([
            "--edition",
            "2021",
            "-O",
            "-C",
            "target-feature=+crt-static",
        ])
        .arg(&file)
        .args(["-o", name])
        .current_dir(dir)
        .output()
        .expect("run rustc");
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
}

/// An external tool, on `PATH` or where cargo installs tools, or `None` after saying why the
/// test is skipped — unless the environment requires it (`WINDLASS_REQUIRE_TOOLS=1`, as
/// `.ci/run` sets), when a missing tool fails the test with `install`, the way to get it.
pub fn tool_or_skip(name: &str, install: &str) -> Option<PathBuf> {
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|home| home.join("bin"));
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(cargo_bin)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file());
    if found.is_none() {
        assert!(
            std::env::var_os("WINDLASS_REQUIRE_TOOLS").is_none(),
            "{name} is required but not installed ({install})"
        );
        eprintln!("skipped: {name} is not installed");
    }
    found
}

/// Everything under `dir` as it is — each path with its kind, mode, and bytes or link
/// target — never following a link: what a test compares before and after a run to prove
/// that nothing there was written, deleted, re-moded or followed.
pub fn tree_state(dir: &Path) -> Vec<(PathBuf, String)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&d)
            .into_iter()
            .flatten()
            .flatten()
            .collect();
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            let mode = meta.permissions().mode() & 0o7777;
            let rel = path.strip_prefix(dir).unwrap_or(&path).to_path_buf();
            let what = if meta.file_type().is_symlink() {
                format!(
                    "link -> {}",
                    std::fs::read_link(&path).unwrap_or_default().display()
                )
            } else if meta.is_dir() {
                stack.push(path);
                format!("dir {mode:o}")
            } else {
                let bytes = std::fs::read(&path).unwrap_or_default();
                format!("file {mode:o} {} {:x}", bytes.len(), fnv(&bytes))
            };
            out.push((rel, what));
        }
    }
    out.sort();
    out
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A directory outside the repository a hostile case points into, with files whose state is
/// recorded: [`Sentinel::assert_untouched`] fails on any change there.
pub struct Sentinel {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
    before: Vec<(PathBuf, String)>,
}

impl Sentinel {
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("windlass sentinel ")
            .tempdir()
            .expect("temp dir");
        let path = dir.path().to_path_buf();
        std::fs::write(path.join("keep"), "precious").expect("write");
        std::fs::write(path.join("rust.yml"), "name: theirs\non: push\n").expect("write");
        std::fs::create_dir_all(path.join("deep/er")).expect("mkdir");
        std::fs::write(path.join("deep/er/libgone-0123456789abcdef.rlib"), "x").expect("write");
        let before = tree_state(&path);
        Self {
            _dir: dir,
            path,
            before,
        }
    }

    pub fn assert_untouched(&self) {
        let after = tree_state(&self.path);
        assert_eq!(
            self.before, after,
            "something outside the repository changed"
        );
    }
}
