//! Which of a repository's hand-written workflows windlass's `ci.yml` supersedes: only those
//! whose every job does nothing but what `ci` does (set up Rust, then fmt, clippy, build,
//! test, audit). A workflow that also builds docs, packages an image, publishes, or runs a
//! task of the project's own (`cargo xtask changelog`) is the project's, and is kept.
//!

use yaml_rust2::Yaml;

/// What a hand-written workflow is to windlass's `ci.yml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// It only runs what `ci` runs: replacing it loses nothing.
    Superseded,
    /// It does more, or something else: the reason, naming the job and command.
    Kept(String),
}

/// The actions a CI job uses to set up or run the checks `ci` runs.
const SETUP_ACTIONS: &[&str] = &[
    "actions/checkout",
    "actions/cache",
    "dtolnay/rust-toolchain",
    "actions-rs/toolchain",
    "actions-rs/cargo",
    "actions-rs/clippy-check",
    "actions-rs/audit-check",
    "actions-rust-lang/setup-rust-toolchain",
    "actions-rust-lang/rustfmt",
    "actions-rust-lang/audit",
    "swatinem/rust-cache",
    "taiki-e/install-action",
    "rustsec/audit-check",
    "embarkstudios/cargo-deny-action",
    "giraffate/clippy-action",
    "mozilla-actions/sccache-action",
    "leafwing-studios/cargo-cache",
    "arduino/setup-protoc",
    "awalsh128/cache-apt-pkgs-action",
];

/// cargo subcommands that are `ci`'s checks (or their set-up).
const CHECK_SUBCOMMANDS: &[&str] = &[
    "fmt",
    "clippy",
    "test",
    "nextest",
    "check",
    "build",
    "audit",
    "deny",
    "install",
    "fetch",
    "--version",
    "-V",
    "hack",
];

/// Programs a CI script runs around the checks without doing anything `ci` lacks.
const SETUP_PROGRAMS: &[&str] = &[
    "rustup", "rustc", "echo", "cd", "export", "set", "sudo", "apt", "apt-get", "true", "mkdir",
    "printf", "env", "which", "command", "if", "then", "fi", "else", "curl", "tar", "brew",
    "choco", "pip", "pip3", "python3", "shell:", "git", "ls", "df", "du",
];

/// Reads a hand-written workflow: superseded, or kept and why. `tasks` are windlass's steps
/// of `ci` (and `ci` itself): a `cargo xtask <task>` line of one of them is `ci`'s.
pub fn verdict(text: &str, tasks: &[String]) -> Verdict {
    let Ok(docs) = crate::yaml_input::load(text) else {
        return Verdict::Kept("it is not YAML windlass can read".into());
    };
    let Some(jobs) = docs
        .first()
        .and_then(|d| key(d, "jobs"))
        .and_then(Yaml::as_hash)
    else {
        return Verdict::Kept("it has no jobs windlass can read".into());
    };
    let mut checks = 0;
    for (id, job) in jobs {
        let id = id.as_str().unwrap_or("?");
        if key(job, "uses").is_some() {
            return Verdict::Kept(format!("its job `{id}` calls a reusable workflow"));
        }
        let steps = key(job, "steps")
            .and_then(Yaml::as_vec)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        for step in steps {
            if let Some(action) = key(step, "uses").and_then(Yaml::as_str) {
                let name = action
                    .split('@')
                    .next()
                    .unwrap_or(action)
                    .to_ascii_lowercase();
                if !SETUP_ACTIONS
                    .iter()
                    .any(|a| name == *a || name.starts_with(&format!("{a}/")))
                {
                    return Verdict::Kept(format!("its job `{id}` uses {action}"));
                }
                if name.contains("clippy")
                    || name.contains("audit")
                    || name.contains("deny")
                    || name.ends_with("/cargo")
                    || name.ends_with("rustfmt")
                {
                    checks += 1;
                }
            }
            if let Some(script) = key(step, "run").and_then(Yaml::as_str) {
                for command in commands(script) {
                    match classify(&command, tasks) {
                        Some(true) => checks += 1,
                        Some(false) => {}
                        None => {
                            return Verdict::Kept(format!("its job `{id}` runs `{command}`"));
                        }
                    }
                }
            }
        }
    }
    if checks == 0 {
        return Verdict::Kept("it runs none of the checks `ci` runs".into());
    }
    Verdict::Superseded
}

/// Whether a workflow is release automation: it runs on a GitHub release, or on a push of
/// tags.
pub fn releases(text: &str) -> bool {
    let Ok(docs) = crate::yaml_input::load(text) else {
        return false;
    };
    let Some(on) = docs
        .first()
        .and_then(|d| key(d, "on").or_else(|| key(d, "true")))
    else {
        return false;
    };
    match on {
        Yaml::String(event) => event == "release",
        Yaml::Array(events) => events.iter().any(|e| e.as_str() == Some("release")),
        Yaml::Hash(_) => {
            key(on, "release").is_some()
                || key(on, "push").and_then(|push| key(push, "tags")).is_some()
        }
        _ => false,
    }
}

fn key<'a>(node: &'a Yaml, name: &str) -> Option<&'a Yaml> {
    node.as_hash()?.get(&Yaml::String(name.to_string()))
}

/// The commands of a `run:` script: one per line, split at `&&`, `||` and `;`, without
/// comments and continuation backslashes.
fn commands(script: &str) -> Vec<String> {
    let joined = script.replace("\\\n", " ");
    joined
        .lines()
        .map(|l| l.split(" #").next().unwrap_or_default().trim())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .flat_map(|l| {
            l.split("&&")
                .flat_map(|p| p.split("||"))
                .flat_map(|p| p.split(';'))
                .map(|p| p.trim().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|c| !c.is_empty())
        .collect()
}

/// `Some(true)`: a check `ci` runs; `Some(false)`: set-up around it; `None`: something else.
fn classify(command: &str, tasks: &[String]) -> Option<bool> {
    let all: Vec<&str> = command.split_whitespace().collect();
    let assigns = all
        .iter()
        .take_while(|w| w.contains('=') && !w.starts_with('-'))
        .count();
    // A variable that changes the build (`BUILD_PROTO=1`) makes it another check than `ci`'s.
    if !all[..assigns].iter().all(|a| harmless_variable(a)) {
        return None;
    }
    let words: Vec<&str> = all[assigns..].to_vec();
    let program = words.first()?.rsplit('/').next().unwrap_or_default();
    match program {
        "cargo" => {
            let sub = words
                .iter()
                .skip(1)
                .find(|w| !w.starts_with('+'))
                .copied()
                .unwrap_or_default();
            if sub == "xtask" {
                let task = words.iter().skip_while(|w| **w != "xtask").nth(1).copied();
                return task.filter(|t| tasks.iter().any(|k| k == t)).map(|_| true);
            }
            if sub == "install" || sub == "fetch" || sub == "--version" || sub == "-V" {
                return Some(false);
            }
            // Another profile, target or feature set is a build `ci` does not make.
            let other_build = words.iter().any(|w| {
                let flag = w.split('=').next().unwrap_or_default();
                matches!(
                    flag,
                    "--release"
                        | "-r"
                        | "--profile"
                        | "--target"
                        | "--features"
                        | "-F"
                        | "--no-default-features"
                        | "--manifest-path"
                )
            });
            if other_build {
                return None;
            }
            CHECK_SUBCOMMANDS.contains(&sub).then_some(true)
        }
        "cargo-nextest" => Some(true),
        p if SETUP_PROGRAMS.contains(&p) => Some(false),
        _ => None,
    }
}

/// A variable set before a check that leaves it the check `ci` runs: output colour,
/// backtraces, incremental builds, warnings denied.
fn harmless_variable(assignment: &str) -> bool {
    let (name, value) = assignment.split_once('=').unwrap_or((assignment, ""));
    let value = value.trim_matches(|c| c == '"' || c == '\'');
    match name {
        "RUST_BACKTRACE" | "CARGO_TERM_COLOR" | "CARGO_INCREMENTAL" | "RUST_LOG" => true,
        "RUSTFLAGS" | "RUSTDOCFLAGS" => {
            matches!(value, "-D warnings" | "-Dwarnings" | "--deny warnings" | "")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tasks() -> Vec<String> {
        ["ci", "lint", "test"].map(String::from).into()
    }

    fn classify_(command: &str) -> Option<bool> {
        classify(command, &tasks())
    }

    #[test]
    fn a_workflow_of_rust_checks_is_superseded() {
        let text = "name: CI\non: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: dtolnay/rust-toolchain@stable\n        with:\n          components: clippy, rustfmt\n      - uses: Swatinem/rust-cache@v2\n      - run: cargo fmt --all -- --check\n      - run: |\n          cargo clippy --all-targets -- -D warnings\n          cargo test --workspace\n  audit:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: rustsec/audit-check@v2\n";
        assert_eq!(verdict(text, &tasks()), Verdict::Superseded);
    }

    #[test]
    fn docs_images_releases_and_the_projects_own_tasks_are_kept() {
        let book = "on: [push, pull_request]\njobs:\n  book:\n    steps:\n      - uses: actions/checkout@v4\n      - run: mdbook build book\n";
        assert_eq!(
            verdict(book, &tasks()),
            Verdict::Kept("its job `book` runs `mdbook build book`".into())
        );
        let changelog = "on: pull_request\njobs:\n  changelog:\n    steps:\n      - run: cargo xtask changelog --check\n";
        assert!(
            matches!(verdict(changelog, &tasks()), Verdict::Kept(why) if why.contains("cargo xtask changelog"))
        );
        let docker = "on: pull_request\njobs:\n  image:\n    steps:\n      - uses: docker/build-push-action@v6\n";
        assert!(
            matches!(verdict(docker, &tasks()), Verdict::Kept(why) if why.contains("docker/build-push-action"))
        );
        let docs =
            "on: pull_request\njobs:\n  docs:\n    steps:\n      - run: cargo doc --no-deps\n";
        assert!(matches!(verdict(docs, &tasks()), Verdict::Kept(why) if why.contains("cargo doc")));
        let lint_only =
            "on: pull_request\njobs:\n  zizmor:\n    steps:\n      - uses: actions/checkout@v4\n";
        assert!(
            matches!(verdict(lint_only, &tasks()), Verdict::Kept(why) if why.contains("none of the checks"))
        );
        assert!(matches!(verdict(": [", &tasks()), Verdict::Kept(_)));
    }

    #[test]
    fn release_automation_runs_on_a_release_or_a_tag_push() {
        assert!(releases(
            "on:\n  release:\n    types: [published]\njobs: {}\n"
        ));
        assert!(releases("on:\n  push:\n    tags: ['v*']\njobs: {}\n"));
        assert!(releases("on: [release]\n"));
        assert!(!releases("on:\n  push:\n    branches: [main]\n"));
        assert!(!releases("on: pull_request\n"));
    }

    #[test]
    fn scripts_are_split_into_commands() {
        assert_eq!(
            commands("set -e\ncargo build && cargo test \\\n  --all # all\n# note\n"),
            ["set -e", "cargo build", "cargo test    --all"]
        );
        assert_eq!(
            classify_("RUSTFLAGS=-Dwarnings cargo +nightly clippy"),
            Some(true)
        );
        assert_eq!(
            classify_("cargo install cargo-nextest --locked"),
            Some(false)
        );
        assert_eq!(classify_("./scripts/release.sh"), None);
    }
}
