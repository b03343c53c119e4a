//! `init`: windlass in any Rust repository, in one command.

use anyhow::Result;
use std::path::{Path, PathBuf};
use toml_edit::{Array, DocumentMut, Item, Table, value};
use windlass_core::Plan;
use windlass_core::event::Event;
use windlass_core::{Session, Step, StepOutcome, UsageError, Workspace};
use windlass_hooks::install::{Action, InstallHooks};
use windlass_workflows::{State, WorkflowsConfig};

/// Where the xtask takes windlass from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Source {
    /// The crate registry, at this version of windlass: what a published library is.
    #[default]
    Registry,
    /// A git repository, at a revision when given.
    Git {
        /// The repository's URL.
        url: String,
        /// A commit, tag or branch.
        rev: Option<String>,
    },
    /// A local checkout (offline, and what tests use).
    Path(PathBuf),
}

/// The `init` step.
#[derive(Debug, Clone)]
pub struct Init {
    /// Where the xtask takes windlass from.
    pub source: Source,
    /// Replace files that exist.
    pub force: bool,
    /// Replace hand-written CI workflows of the same names with windlass's.
    pub replace_ci: bool,
    /// The steps `ci` runs, as the registry lists them: written to `[ci] steps`.
    pub ci_steps: Vec<String>,
    /// What the workflows are generated from: the jobs of those steps.
    pub workflows: windlass_workflows::Inputs,
}

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Wrote,
    Updated,
    Kept,
    Unchanged,
}

struct Log(Vec<(Change, String, String)>);

impl Log {
    fn note(&mut self, change: Change, path: &str, why: &str) {
        self.0.push((change, path.to_string(), why.to_string()));
    }
}

impl Init {
    /// The `windlass = ...` line of the xtask's manifest: the source, and only the task
    /// families this repository uses (a leaner cold build on every CI runner).
    fn dependency(&self, root: &Path) -> Result<String> {
        let features = features_needed(root)
            .iter()
            .map(|f| format!("\"{f}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let source = match &self.source {
            Source::Registry => format!("version = \"{}\"", env!("CARGO_PKG_VERSION")),
            Source::Git { url, rev } => match rev {
                Some(rev) => format!("git = {url:?}, rev = {rev:?}"),
                None => format!("git = {url:?}"),
            },
            Source::Path(dir) => {
                let crate_dir = dir.join("crates/windlass");
                if !crate_dir.join("Cargo.toml").is_file() {
                    return Err(UsageError::new(format!(
                        "{} is not a windlass checkout (no crates/windlass)",
                        dir.display()
                    ))
                    .hint("pass --windlass-path the root of a windlass repository")
                    .into());
                }
                let abs = std::path::absolute(&crate_dir).unwrap_or(crate_dir);
                format!("path = {:?}", abs.to_string_lossy())
            }
        };
        Ok(format!(
            "windlass = {{ {source}, default-features = false, features = [{features}] }}"
        ))
    }

    /// Writes `text` at `path` unless a file is there (or `--force`).
    fn file(&self, root: &Path, rel: &str, text: &str, log: &mut Log) -> Result<()> {
        let path = root.join(rel);
        match std::fs::read_to_string(&path) {
            Ok(existing) if existing == text => {
                log.note(Change::Unchanged, rel, "already as windlass writes it")
            }
            Ok(_) if !self.force => log.note(
                Change::Kept,
                rel,
                "exists; left alone (--force replaces it)",
            ),
            existing => {
                write(&path, text)?;
                log.note(
                    if existing.is_ok() {
                        Change::Updated
                    } else {
                        Change::Wrote
                    },
                    rel,
                    "",
                );
            }
        }
        Ok(())
    }
}

impl Init {
    /// A generated workflow, unless the repository has a hand-written one of the same name:
    /// that CI is left alone (never a second pipeline beside it) unless `--replace-ci`.
    fn workflow(&self, root: &Path, path: &Path, text: &str, log: &mut Log) -> Result<()> {
        let rel = path.to_string_lossy().replace('\\', "/");
        let hand_written = match State::of(root, path) {
            State::HandWritten(files) => files,
            _ => return self.file(root, &rel, text, log),
        };
        let names: Vec<String> = hand_written
            .iter()
            .map(|f| {
                f.strip_prefix(root)
                    .unwrap_or(f)
                    .to_string_lossy()
                    .replace('\\', "/")
            })
            .collect();
        if !self.replace_ci {
            log.note(
                Change::Kept,
                &names.join(", "),
                "hand-written CI, left alone; `cargo xtask workflows --replace-ci` switches to windlass's",
            );
            return Ok(());
        }
        for file in &hand_written {
            std::fs::remove_file(file)
                .map_err(|e| UsageError::new(format!("cannot remove {}: {e}", file.display())))?;
        }
        write(&root.join(path), text)?;
        log.note(
            Change::Updated,
            &rel,
            &format!("replaces the hand-written {}", names.join(", ")),
        );
        Ok(())
    }
}

/// The task families (features of the windlass crate) the repository needs: the audit and
/// releases always (`ci` audits; the generated `release.yml` runs `release`); `docker-build`
/// where there is a Dockerfile; the deploy tasks where the config has environments.
pub fn features_needed(root: &Path) -> Vec<&'static str> {
    let mut features = vec!["audit", "release"];
    if root.join("Dockerfile").is_file() {
        features.push("docker");
    }
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap_or_default();
    if manifest.contains("windlass.deploy") {
        features.push("deploy");
    }
    features
}

fn write(path: &Path, text: &str) -> Result<()> {
    windlass_core::files::write_atomic(path, text.as_bytes(), false)
}

fn read_doc(path: &Path) -> Result<DocumentMut> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.parse()
        .map_err(|e| UsageError::new(format!("{} is not valid TOML: {e}", path.display())).into())
}

/// `edition` and `rust-version` of the root package or `[workspace.package]`.
fn detect(doc: &DocumentMut, key: &str) -> Option<String> {
    doc.get("package")
        .and_then(|p| p.get(key))
        .and_then(Item::as_str)
        .or_else(|| doc.get("workspace")?.get("package")?.get(key)?.as_str())
        .map(str::to_string)
}

/// Adds `xtask` as a member, the windlass config, the dev-profile settings and a staging
/// profile to the root manifest, keeping its comments and layout.
fn edit_manifest(doc: &mut DocumentMut, ci_steps: &[String]) {
    let has_package = doc.contains_key("package");
    let workspace = doc.entry("workspace").or_insert(Item::Table(Table::new()));
    if let Some(ws) = workspace.as_table_like_mut() {
        let members = ws.entry("members").or_insert(value(Array::new()));
        if let Some(array) = members.as_array_mut() {
            let covered = array
                .iter()
                .filter_map(|m| m.as_str())
                .any(|m| m == "xtask" || m == "*");
            if !covered {
                if has_package && array.is_empty() {
                    array.push(".");
                }
                array.push("xtask");
            }
        }
    }
    let steps: Array = ci_steps.iter().map(String::as_str).collect();
    // Tables that only hold tables stay implicit: no empty `[workspace.metadata]` header.
    let implicit_table = || {
        let mut table = Table::new();
        table.set_implicit(true);
        Item::Table(table)
    };
    let metadata = doc["workspace"]
        .as_table_like_mut()
        .map(|ws| ws.entry("metadata").or_insert(implicit_table()));
    if let Some(metadata) = metadata.and_then(Item::as_table_like_mut) {
        let windlass = metadata.entry("windlass").or_insert(implicit_table());
        if let Some(windlass) = windlass.as_table_like_mut() {
            let ci = windlass.entry("ci").or_insert(Item::Table(Table::new()));
            if let Some(ci) = ci.as_table_like_mut()
                && !ci.contains_key("steps")
            {
                ci.insert("steps", value(steps));
            }
        }
    }
    // The xtask runs unoptimised: these make its scanner fast at no cold-build cost.
    let implicit = |item: &mut Item| {
        if let Some(t) = item.as_table_mut() {
            t.set_implicit(true);
        }
    };
    let profile = doc.entry("profile").or_insert(Item::Table(Table::new()));
    implicit(profile);
    let Some(profile) = profile.as_table_mut() else {
        return;
    };
    // The build `release --artifacts --profile staging` ships to staging: release code with
    // its debug symbols, for readable backtraces there.
    if !profile.contains_key("staging") {
        let mut staging = Table::new();
        staging.insert("inherits", value("release"));
        staging.insert("debug", value(true));
        profile.insert("staging", Item::Table(staging));
    }
    let dev = profile.entry("dev").or_insert(Item::Table(Table::new()));
    implicit(dev);
    let Some(dev) = dev.as_table_mut() else {
        return;
    };
    let package = dev.entry("package").or_insert(Item::Table(Table::new()));
    implicit(package);
    let Some(package) = package.as_table_mut() else {
        return;
    };
    if !package.contains_key("*") {
        let mut all = Table::new();
        all.insert("debug-assertions", value(false));
        package.insert("*", Item::Table(all));
    }
    // The secret scanner reads whole trees byte by byte, the audit thousands of lockfile
    // lines, versions and advisories, the graph checks cargo metadata's JSON: small crates
    // whose optimisation the cold build hardly notices.
    for hot in HOT_CRATES {
        if !package.contains_key(hot) {
            let mut optimised = Table::new();
            optimised.insert("opt-level", value(2));
            package.insert(hot, Item::Table(optimised));
        }
    }
}

/// The crates an adopter's xtask builds optimised in its dev profile, as windlass's own does.
pub const HOT_CRATES: [&str; 5] = [
    "windlass-secrets",
    "windlass-advisories",
    "cargo_metadata",
    "semver",
    "cvss",
];

const DENY_TOML: &str = r#"# The dependency policy, read by `cargo xtask audit` and by cargo-deny.

[advisories]
# Reviewed advisories that do not affect this project: { id = "RUSTSEC-YYYY-NNNN", reason = "..." }.
ignore = []

[licenses]
confidence-threshold = 0.93
allow = [
    "Apache-2.0",
    "Apache-2.0 WITH LLVM-exception",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "ISC",
    "MIT",
    "MPL-2.0",
    "Unicode-3.0",
    "Zlib",
]
"#;

const MAIN_RS: &str = "//! This repository's automation: `cargo xtask ci`, `cargo xtask --help` for the rest.\n\nfn main() -> std::process::ExitCode {\n    windlass::main()\n}\n";

impl Step for Init {
    fn name(&self) -> &str {
        "init"
    }

    fn plan(&self, _ws: &Workspace, _session: &mut Session) -> Result<Plan> {
        Ok(Plan::describe(
            "add an xtask crate, the alias, config, rustfmt/clippy/deny files, workflows and the hook",
        ))
    }

    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        let root = ws.root.clone();
        let mut log = Log(Vec::new());
        let mut doc = read_doc(&ws.manifest_path)?;
        let edition = detect(&doc, "edition").unwrap_or_else(|| "2021".into());
        let rust_version = detect(&doc, "rust-version");

        self.file(
            &root,
            "xtask/Cargo.toml",
            &format!("[package]\nname = \"xtask\"\nversion = \"0.1.0\"\nedition = \"{edition}\"\npublish = false\n\n[dependencies]\n{}\n", self.dependency(&root)?),
            &mut log,
        )?;
        self.file(&root, "xtask/src/main.rs", MAIN_RS, &mut log)?;
        let xtask_manifest =
            std::fs::read_to_string(root.join("xtask/Cargo.toml")).unwrap_or_default();
        let foreign_xtask = !xtask_manifest.contains("windlass");
        if foreign_xtask {
            // An xtask of the repository's own: `cargo xtask` is its command line, not ours.
            log.note(
                Change::Kept,
                "xtask/",
                "the repository's own xtask, without windlass: nest windlass's commands in it (docs/extending.md, \"Nesting windlass in an existing xtask\"); until then run `windlass ci`",
            );
        }

        let before = doc.to_string();
        edit_manifest(&mut doc, &self.ci_steps);
        if doc.to_string() == before {
            log.note(
                Change::Unchanged,
                "Cargo.toml",
                "already has xtask, the config and the profile settings",
            );
        } else {
            write(&ws.manifest_path, &doc.to_string())?;
            log.note(
                Change::Updated,
                "Cargo.toml",
                "xtask member, [workspace.metadata.windlass], dev and staging profiles",
            );
        }

        let config_path = root.join(".cargo/config.toml");
        let mut config = read_doc(&config_path)?;
        let alias = config.entry("alias").or_insert(Item::Table(Table::new()));
        match alias.get("xtask").and_then(Item::as_str) {
            Some(existing) if existing.contains("xtask") => log.note(
                Change::Unchanged,
                ".cargo/config.toml",
                "has the xtask alias",
            ),
            Some(_) if !self.force => log.note(
                Change::Kept,
                ".cargo/config.toml",
                "has another `xtask` alias; left alone",
            ),
            _ => {
                alias["xtask"] = value("run --quiet --package xtask --");
                write(&config_path, &config.to_string())?;
                log.note(Change::Updated, ".cargo/config.toml", "alias xtask");
            }
        }

        self.file(
            &root,
            "rustfmt.toml",
            &format!("edition = \"{edition}\"\n"),
            &mut log,
        )?;
        let clippy = match &rust_version {
            Some(msrv) => format!("# Only keys stable clippy knows: an unknown key makes clippy fail.\nmsrv = \"{msrv}\"\n"),
            None => "# Only keys stable clippy knows: an unknown key makes clippy fail.\nallow-unwrap-in-tests = true\n".to_string(),
        };
        self.file(&root, "clippy.toml", &clippy, &mut log)?;
        self.file(&root, "deny.toml", DENY_TOML, &mut log)?;

        let gitignore = root.join(".gitignore");
        let mut ignore = std::fs::read_to_string(&gitignore).unwrap_or_default();
        let lines: Vec<&str> = ignore.lines().map(str::trim).collect();
        let mut added = Vec::new();
        for entry in ["/target", ".env"] {
            let bare = entry.trim_start_matches('/');
            if !lines
                .iter()
                .any(|l| l.trim_start_matches('/').trim_end_matches('/') == bare)
            {
                added.push(entry);
            }
        }
        if added.is_empty() {
            log.note(Change::Unchanged, ".gitignore", "ignores target/ and .env");
        } else {
            if !ignore.is_empty() && !ignore.ends_with('\n') {
                ignore.push('\n');
            }
            for entry in &added {
                ignore.push_str(entry);
                ignore.push('\n');
            }
            write(&gitignore, &ignore)?;
            log.note(Change::Updated, ".gitignore", &added.join(", "));
        }

        let workflows = WorkflowsConfig {
            xtask_sources: Some(vec!["xtask/**".into()]),
            ..WorkflowsConfig::default()
        };
        // Workflows and a hook that run `cargo xtask <task>` only work once the repository's
        // own xtask has windlass's tasks: none before then.
        if foreign_xtask {
            log.note(
                Change::Kept,
                ".github/workflows, pre-commit hook",
                "not written: they run `cargo xtask <task>`, which the repository's own xtask does not have yet",
            );
        } else {
            for (path, text) in windlass_workflows::generate(&workflows, &self.workflows) {
                self.workflow(&ws.repo_root, &path, &text, &mut log)?;
            }
        }

        if ws.repo_root.join(".git").exists() && !foreign_xtask {
            let hook = InstallHooks {
                action: Action::Install { force: false },
                command: "cargo xtask pre-commit".into(),
            };
            match hook.run(ws, session) {
                Ok(outcome) if outcome.summary.starts_with("already installed") => {
                    log.note(Change::Unchanged, "pre-commit hook", &outcome.summary);
                }
                Ok(outcome) => log.note(Change::Wrote, "pre-commit hook", &outcome.summary),
                Err(err) => log.note(Change::Kept, "pre-commit hook", &err.to_string()),
            }
        }

        let mut wrote = 0;
        for (change, path, why) in &log.0 {
            let label = match change {
                Change::Wrote => {
                    wrote += 1;
                    "wrote    "
                }
                Change::Updated => {
                    wrote += 1;
                    "updated  "
                }
                Change::Kept => "kept     ",
                Change::Unchanged => "unchanged",
            };
            let why = if why.is_empty() {
                String::new()
            } else {
                format!(" ({why})")
            };
            session.emit(Event::Output {
                step: "init".into(),
                text: format!("  {label} {path}{why}"),
            });
        }
        let summary = if wrote == 0 {
            "nothing to change: windlass is set up".to_string()
        } else {
            format!("{wrote} files written or updated; next: `cargo xtask ci`")
        };
        Ok(StepOutcome::passed(summary))
    }
}
