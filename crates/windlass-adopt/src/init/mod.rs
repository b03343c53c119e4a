//! `init`: windlass in any Rust repository, in one command — and a repository that builds
//! afterwards, or nothing written at all.
//!
//! The xtask it writes is a workspace of its own (`xtask/Cargo.toml` with `[workspace]`, its
//! own `Cargo.lock` and `target/`, the alias `run --manifest-path xtask/Cargo.toml`), so the
//! project's lockfile, audit, Dependabot and clippy never see windlass's dependencies. Every
//! file goes through a journal of what was there before; after writing, the project's manifest is loaded,
//! the xtask resolved and built, and if any of that fails every file is put back and the run
//! ends with exit 2 and the way to fix it.

mod conventions;
mod journal;
mod manifest;
mod policy;
mod resolve;
mod source;
mod xtask_crate;

pub use conventions::{Conventions, ToolRule};
pub use source::{Dependency, Source};
pub use xtask_crate::hot_crates;

use anyhow::Result;
use journal::Journal;
use std::path::Path;
use toml_edit::{DocumentMut, Item, Table, value};
use windlass_core::event::Event;
use windlass_core::{Plan, Session, Severity, Step, StepOutcome, UsageError, Workspace};
use windlass_hooks::install::{Action, InstallHooks};
use windlass_workflows::{FileAction, WorkflowsConfig};

/// The `init` step.
#[derive(Debug, Clone)]
pub struct Init {
    /// Where the xtask takes windlass from.
    pub source: Source,
    /// Replace files that exist.
    pub force: bool,
    /// Replace the hand-written CI that windlass's `ci.yml` supersedes.
    pub replace_ci: bool,
    /// Leave the first build of the xtask to its first run.
    pub no_build: bool,
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
    Removed,
    Kept,
    /// A file windlass would write and does not (the repository has its own in its place).
    NotWritten,
    Unchanged,
    /// A choice init made for the repository, said with why.
    Chose,
}

/// The report of one run, a line per file.
#[derive(Default)]
struct Log(Vec<(Change, String, String)>);

impl Log {
    fn note(&mut self, change: Change, path: &str, why: &str) {
        self.0.push((change, path.to_string(), why.to_string()));
    }

    fn emit(&self, session: &mut Session) -> usize {
        let mut wrote = 0;
        for (change, path, why) in &self.0 {
            let label = match change {
                Change::Wrote => "wrote    ",
                Change::Updated => "updated  ",
                Change::Removed => "removed  ",
                Change::Kept => "kept     ",
                Change::NotWritten => "skipped  ",
                Change::Unchanged => "unchanged",
                Change::Chose => "chose    ",
            };
            if matches!(change, Change::Wrote | Change::Updated | Change::Removed) {
                wrote += 1;
            }
            let why = if why.is_empty() {
                String::new()
            } else {
                format!(" ({why})")
            };
            session.emit(Event::Output {
                step: NAME.into(),
                text: format!("  {label} {path}{why}"),
            });
        }
        wrote
    }
}

/// The xtask directory's state before init.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum XtaskState {
    /// None there: init writes a standalone one.
    Absent,
    /// An xtask that depends on windlass (an earlier init's, or the project's own nesting).
    Windlass,
    /// The repository's own xtask, without windlass: left alone, nesting explained.
    Foreign,
}

impl Init {
    /// Writes `text` at `rel` unless a different file is there (or `--force`).
    fn file(
        &self,
        root: &Path,
        rel: &str,
        text: &str,
        journal: &mut Journal,
        log: &mut Log,
    ) -> Result<()> {
        let path = root.join(rel);
        match journal.read(&path)? {
            Some(existing) if existing == text => {
                log.note(Change::Unchanged, rel, "already as windlass writes it")
            }
            Some(_) if !self.force => {
                log.note(Change::Kept, rel, "exists; left alone, --force replaces it")
            }
            existing => {
                journal.write(&path, text)?;
                let change = if existing.is_some() {
                    Change::Updated
                } else {
                    Change::Wrote
                };
                log.note(change, rel, "");
            }
        }
        Ok(())
    }

    /// The xtask crate: its manifest (a workspace of its own), `main.rs`, and a lockfile
    /// started from the one windlass is tested with.
    fn write_xtask(
        &self,
        ws: &Workspace,
        session: &mut Session,
        edition: &str,
        journal: &mut Journal,
        log: &mut Log,
    ) -> Result<()> {
        let root = &ws.root;
        let features = features_needed(ws, session);
        let dependency = self
            .source
            .dependency(&ws.repo_root, &root.join("xtask"), &features)?;
        for warning in &dependency.warnings {
            session.message(Severity::Warning, warning.clone());
        }
        let manifest = xtask_crate::manifest(edition, &dependency.line, &features);
        self.file(root, "xtask/Cargo.toml", &manifest, journal, log)?;
        self.file(
            root,
            "xtask/src/main.rs",
            xtask_crate::MAIN_RS,
            journal,
            log,
        )?;
        let lockfile = root.join("xtask/Cargo.lock");
        if let Some(tested) = &dependency.tested_lockfile
            && !lockfile.exists()
        {
            journal.copy(tested, &lockfile)?;
            log.note(
                Change::Wrote,
                "xtask/Cargo.lock",
                "the versions windlass itself is tested with",
            );
        }
        log.note(
            Change::Chose,
            &format!("the task families {}", features.join(", ")),
            "features of windlass in xtask/Cargo.toml; add one there to turn on another",
        );
        Ok(())
    }

    /// The `cargo xtask` alias in `.cargo/config.toml`.
    fn write_alias(&self, root: &Path, journal: &mut Journal, log: &mut Log) -> Result<()> {
        let config_path = root.join(".cargo/config.toml");
        let mut config = read_doc(journal, &config_path)?;
        let alias = config.entry("alias").or_insert(Item::Table(Table::new()));
        match alias.get("xtask").and_then(Item::as_str) {
            Some(existing) if existing == xtask_crate::ALIAS => log.note(
                Change::Unchanged,
                ".cargo/config.toml",
                "has the xtask alias",
            ),
            Some(_) if !self.force => log.note(
                Change::Kept,
                ".cargo/config.toml",
                &format!(
                    "has another `xtask` alias; left alone (the standalone xtask runs with `{}`; --force replaces it)",
                    xtask_crate::ALIAS
                ),
            ),
            _ => {
                alias["xtask"] = value(xtask_crate::ALIAS);
                journal.write(&config_path, &config.to_string())?;
                log.note(Change::Updated, ".cargo/config.toml", "alias xtask");
            }
        }
        Ok(())
    }

    /// rustfmt, clippy and deny configs, each only where the repository has none of its own
    /// (under any of the names the tool reads).
    fn write_tool_configs(
        &self,
        ws: &Workspace,
        session: &mut Session,
        doc: &DocumentMut,
        journal: &mut Journal,
        log: &mut Log,
    ) -> Result<()> {
        let root = &ws.root;
        // Resolving the graph for the licence policy: an existing Cargo.lock is only read
        // (`--locked`: cargo never rewrites it, nor writes through a link in its place); a
        // missing one is created by cargo, journalled (undone with the rest) and said.
        let lock = root.join("Cargo.lock");
        let had_lock = std::fs::symlink_metadata(&lock).is_ok();
        if !had_lock {
            journal.record(&lock)?;
        }
        let resolve: &[&str] = if had_lock { &["--locked"] } else { &[] };
        let edition = detect(doc, "edition").unwrap_or_else(|| "2021".into());
        let rust_version = detect(doc, "rust-version");
        let own = |names: &[&'static str]| -> Option<&'static str> {
            names.iter().find(|n| root.join(n).is_file()).copied()
        };
        let configs = [
            (
                &["rustfmt.toml", ".rustfmt.toml", ".config/rustfmt.toml", ".config/.rustfmt.toml"][..],
                "rustfmt.toml",
                format!("edition = \"{edition}\"\n"),
            ),
            (
                &["clippy.toml", ".clippy.toml", ".config/clippy.toml"][..],
                "clippy.toml",
                match &rust_version {
                    Some(msrv) => format!("# Only keys stable clippy knows: an unknown key makes clippy fail.\nmsrv = \"{msrv}\"\n"),
                    None => "# Only keys stable clippy knows: an unknown key makes clippy fail.\nallow-unwrap-in-tests = true\n".to_string(),
                },
            ),
            (
                &["deny.toml", ".deny.toml", ".cargo/deny.toml"][..],
                "deny.toml",
                // The resolved graph's licences (the `--no-deps` view has the members' only);
                // where it cannot resolve (offline, sources missing), the permissive defaults.
                policy::deny_toml(ws.uncached_metadata(session, resolve).ok().as_ref()),
            ),
        ];
        if !had_lock && lock.exists() {
            log.note(
                Change::Wrote,
                "Cargo.lock",
                "cargo resolved the graph, for deny.toml's licences",
            );
        }
        for (names, ours, text) in configs {
            match own(names) {
                Some(theirs) if theirs != ours => {
                    log.note(Change::Kept, theirs, "the repository's own; left alone")
                }
                _ => self.file(root, ours, &text, journal, log)?,
            }
        }
        Ok(())
    }

    /// `.gitignore`: the two target directories and `.env`.
    fn write_gitignore(&self, root: &Path, journal: &mut Journal, log: &mut Log) -> Result<()> {
        let gitignore = root.join(".gitignore");
        let mut ignore = journal.read(&gitignore)?.unwrap_or_default();
        let lines: Vec<&str> = ignore.lines().map(str::trim).collect();
        // `target`, `target/` and `**/target` ignore every target directory, `/target` only
        // the root's.
        let ignored = |entry: &str| {
            let bare = entry.trim_start_matches('/');
            lines.iter().any(|l| {
                let l = l.trim_end_matches('/');
                l.trim_start_matches('/') == bare
                    || (bare.ends_with("target") && matches!(l, "target" | "**/target"))
            })
        };
        let added: Vec<&str> = ["/target", "/xtask/target", ".env"]
            .into_iter()
            .filter(|e| !ignored(e))
            .collect();
        if added.is_empty() {
            log.note(
                Change::Unchanged,
                ".gitignore",
                "ignores target/, xtask/target/ and .env",
            );
            return Ok(());
        }
        if !ignore.is_empty() && !ignore.ends_with('\n') {
            ignore.push('\n');
        }
        for entry in &added {
            ignore.push_str(entry);
            ignore.push('\n');
        }
        journal.write(&gitignore, &ignore)?;
        log.note(Change::Updated, ".gitignore", &added.join(", "));
        Ok(())
    }

    /// The generated workflows: each written unless a hand-written file of its name is there;
    /// `ci.yml` replaces the hand-written CI it supersedes only with `--replace-ci`.
    fn write_workflows(&self, ws: &Workspace, journal: &mut Journal, log: &mut Log) -> Result<()> {
        let config = WorkflowsConfig {
            xtask_sources: Some(vec!["xtask/**".into()]),
            ..WorkflowsConfig::default()
        }
        .found_in(&ws.root);
        let files = windlass_workflows::generate_for(&ws.repo_root, &config, &self.workflows);
        let tasks = windlass_workflows::task_names(&self.workflows);
        for planned in windlass_workflows::plan_files(&ws.repo_root, files, self.replace_ci, &tasks)
        {
            let shown = planned.shown();
            match &planned.action {
                FileAction::Unchanged => {
                    log.note(Change::Unchanged, &shown, "already as windlass writes it")
                }
                FileAction::Write { existed } => {
                    journal.write(&ws.repo_root.join(&planned.path), &planned.text)?;
                    let change = if *existed {
                        Change::Updated
                    } else {
                        Change::Wrote
                    };
                    log.note(change, &shown, "");
                }
                // A file that is not there was not kept: it was not written.
                FileAction::Keep { why } if !ws.repo_root.join(&planned.path).exists() => {
                    log.note(Change::NotWritten, &shown, why)
                }
                FileAction::Keep { why } => log.note(Change::Kept, &shown, why),
                FileAction::Replace { superseded, kept } => {
                    for file in superseded {
                        journal.remove(&ws.repo_root.join(file))?;
                        log.note(
                            Change::Removed,
                            file,
                            "hand-written CI that windlass's ci.yml runs the checks of",
                        );
                    }
                    for (file, why) in kept {
                        log.note(Change::Kept, file, why);
                    }
                    journal.write(&ws.repo_root.join(&planned.path), &planned.text)?;
                    log.note(Change::Wrote, &shown, "");
                }
            }
        }
        Ok(())
    }

    /// Loads the project, resolves and builds the xtask; on failure, undoes the journal and
    /// says what to change.
    fn prove_it_builds(
        &self,
        ws: &Workspace,
        session: &mut Session,
        journal: Journal,
    ) -> Result<Journal> {
        let xtask = ws.root.join("xtask/Cargo.toml");
        let proof = resolve::project_loads(session, &ws.manifest_path)
            .and_then(|()| resolve::xtask_resolves(session, &xtask))
            .and_then(|()| {
                if self.no_build {
                    Ok(())
                } else {
                    session.message(
                        Severity::Notice,
                        "building the xtask once, so that the first `cargo xtask` and commit need not (--no-build skips it)",
                    );
                    resolve::xtask_builds(session, &xtask)
                }
            });
        let Err(failed) = proof else {
            return Ok(journal);
        };
        if windlass_core::signal::interrupted() {
            return Err(interrupted(ws, journal));
        }
        let not_restored = journal.undo();
        let restored = if not_restored.is_empty() {
            "every file init wrote was put back as it was".to_string()
        } else {
            format!(
                "these could not be put back: {}",
                not_restored
                    .iter()
                    .map(|p| ws.display_path(p))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let hint = match (&self.source, failed.what) {
            (_, resolve::MANIFEST) => {
                "fix the manifest cargo names above, then run init again".to_string()
            }
            (_, resolve::TOOLCHAIN) => {
                "install the toolchain the repository pins (the command above), then run init again"
                    .to_string()
            }
            (Source::Registry, _) => format!(
                "windlass {} is not on the crate registry yet: depend on a checkout with `--windlass-path DIR` (its root or crates/windlass), or on its repository with `--windlass-git URL --rev REV`",
                env!("CARGO_PKG_VERSION")
            ),
            _ => "check the windlass source (`--windlass-path DIR` or `--windlass-git URL --rev REV`) and the toolchain (windlass needs Rust 1.89 or newer), then run init again".to_string(),
        };
        Err(UsageError::new(format!(
            "init wrote nothing: {} with {}:\n{}\n({restored})",
            failed.what,
            self.source.describe(),
            indent(&failed.cargo_says)
        ))
        .hint(hint)
        .into())
    }
    /// Every file init writes, through the journal; what it found at `xtask/`.
    fn write_all(
        &self,
        ws: &Workspace,
        session: &mut Session,
        journal: &mut Journal,
        log: &mut Log,
    ) -> Result<XtaskState> {
        let root = ws.root.clone();
        let mut doc = read_doc(journal, &ws.manifest_path)?;
        let edition = detect(&doc, "edition").unwrap_or_else(|| "2021".into());
        let state = xtask_state(&root);

        match state {
            XtaskState::Foreign => {
                log.note(
                    Change::Kept,
                    "xtask/",
                    "the repository's own xtask, without windlass: nest windlass in it as shown above",
                );
                let features = features_needed(ws, session);
                let dependency =
                    self.source
                        .dependency(&ws.repo_root, &root.join("xtask"), &features)?;
                session.emit(Event::Output {
                    step: NAME.into(),
                    text: nesting_instructions(&dependency.line),
                });
            }
            XtaskState::Absent | XtaskState::Windlass => {
                self.write_xtask(ws, session, &edition, journal, log)?;
            }
        }

        let conventions = Conventions::detect(&root);
        let before = doc.to_string();
        let changes = manifest::edit(
            &mut doc,
            &manifest::ConfigEdit {
                ci_steps: &self.ci_steps,
                conventions: &conventions,
                xtask_standalone: standalone(&root),
            },
        );
        if doc.to_string() == before {
            log.note(
                Change::Unchanged,
                "Cargo.toml",
                "already has windlass's config and the staging profile",
            );
        } else {
            journal.write(&ws.manifest_path, &doc.to_string())?;
            log.note(Change::Updated, "Cargo.toml", &changes.join("; "));
        }
        if state != XtaskState::Foreign && standalone(&root) {
            self.write_alias(&root, journal, log)?;
        }
        self.write_tool_configs(ws, session, &doc, journal, log)?;
        self.write_gitignore(&root, journal, log)?;
        // Workflows and a hook that run `cargo xtask <task>` only work once the repository's
        // own xtask has windlass's tasks: none before then.
        if state == XtaskState::Foreign {
            log.note(
                Change::Kept,
                ".github/workflows, pre-commit hook",
                "not written: they run `cargo xtask <task>`, which the repository's own xtask does not have yet",
            );
        } else {
            self.write_workflows(ws, journal, log)?;
        }

        Ok(state)
    }
}

/// The error of a run that could not write everything, after putting back what it wrote.
fn undone(ws: &Workspace, journal: Journal, err: anyhow::Error) -> anyhow::Error {
    if windlass_core::signal::interrupted() {
        return interrupted(ws, journal);
    }
    let not_restored = journal.undo();
    err.context(restored_note(ws, &not_restored))
}

/// An interrupt (Ctrl-C, SIGTERM) during init: every file put back, exit 130.
fn interrupted(ws: &Workspace, journal: Journal) -> anyhow::Error {
    let not_restored = journal.undo();
    anyhow::Error::new(windlass_core::Interrupted).context(format!(
        "init was interrupted: {}",
        restored_note(ws, &not_restored)
    ))
}

fn restored_note(ws: &Workspace, not_restored: &[std::path::PathBuf]) -> String {
    if not_restored.is_empty() {
        "init wrote nothing: every file it had written was put back as it was".to_string()
    } else {
        format!(
            "init could not put these back: {}",
            not_restored
                .iter()
                .map(|p| ws.display_path(p))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// The exact change that nests windlass in an xtask of the repository's own, under one
/// subcommand so that no name of its own can clash (`cargo xtask windlass ci`).
fn nesting_instructions(dependency: &str) -> String {
    format!(
        "  To nest windlass in your xtask (its commands under `cargo xtask windlass`, so none clashes with yours):\n\
         \x20   1. xtask/Cargo.toml, [dependencies]:\n\
         \x20        {dependency}\n\
         \x20   2. a variant of your clap command enum:\n\
         \x20        /// windlass's CI/CD tasks.\n\
         \x20        Windlass(windlass::Nested),\n\
         \x20   3. its arm where you dispatch the commands:\n\
         \x20        Command::Windlass(nested) => return std::process::ExitCode::from(\n\
         \x20            windlass::Xtask::new().execute(&windlass::GlobalArgs::default(), &nested.0),\n\
         \x20        ),\n\
         \x20   windlass's pipeline is then `cargo xtask windlass ci` (docs/extending.md, \"Nesting windlass\")"
    )
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The task families (features of the windlass crate) the repository needs: the audit,
/// releases and doctor always (`ci` audits; the generated `release.yml` runs `release`);
/// `docker-build` and the deploy tasks for a service — a binary, a Dockerfile, or deploy
/// environments in the config.
pub fn features_needed(ws: &Workspace, session: &mut Session) -> Vec<&'static str> {
    let mut features = vec!["audit", "release", "adopt"];
    let has_binary = ws.metadata(session).is_ok_and(|m| {
        m.workspace_packages()
            .iter()
            .filter(|p| p.name.as_str() != "xtask")
            .any(|p| p.targets.iter().any(|t| t.is_bin()))
    });
    let manifest = std::fs::read_to_string(&ws.manifest_path).unwrap_or_default();
    if has_binary || ws.root.join("Dockerfile").is_file() {
        features.push("docker");
    }
    if has_binary || manifest.contains("windlass.deploy") {
        features.push("deploy");
    }
    features
}

fn read_doc(journal: &Journal, path: &Path) -> Result<DocumentMut> {
    let text = journal.read(path)?.unwrap_or_default();
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

/// What is at `xtask/`.
fn xtask_state(root: &Path) -> XtaskState {
    match std::fs::read_to_string(root.join("xtask/Cargo.toml")) {
        Err(_) => XtaskState::Absent,
        Ok(text) if text.contains("windlass") => XtaskState::Windlass,
        Ok(_) => XtaskState::Foreign,
    }
}

/// The name of the task.
pub const NAME: &str = "init";

impl Step for Init {
    fn name(&self) -> &str {
        NAME
    }

    fn plan(&self, _ws: &Workspace, _session: &mut Session) -> Result<Plan> {
        Ok(Plan::describe(
            "add a standalone xtask crate, the alias, config, rustfmt/clippy/deny files, workflows and the hook; then prove it builds",
        ))
    }

    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        let root = ws.root.clone();
        let mut log = Log::default();
        let mut journal = Journal::new(&ws.repo_root)?;
        // Any failure while writing — a link refused, a file where a directory goes, an
        // interrupt — puts back every file written so far.
        let state = match self.write_all(ws, session, &mut journal, &mut log) {
            Ok(state) if !windlass_core::signal::interrupted() => state,
            Ok(_) => return Err(interrupted(ws, journal)),
            Err(err) => return Err(undone(ws, journal, err)),
        };

        let journal = if state == XtaskState::Foreign || !standalone(&root) {
            journal
        } else {
            self.prove_it_builds(ws, session, journal)?
        };
        drop(journal);

        if ws.repo_root.join(".git").exists() && state != XtaskState::Foreign {
            let hook = InstallHooks {
                action: Action::Install { force: false },
                command: "cargo xtask pre-commit".into(),
                first_build: windlass_hooks::install::FirstBuild::of_xtask(&ws.repo_root, &root),
            };
            match hook.run(ws, session) {
                Ok(outcome) if outcome.summary.starts_with("already installed") => {
                    log.note(Change::Unchanged, "pre-commit hook", &outcome.summary);
                }
                Ok(outcome) => log.note(Change::Wrote, "pre-commit hook", &outcome.summary),
                Err(err) => log.note(Change::Kept, "pre-commit hook", &err.to_string()),
            }
        }

        let wrote = log.emit(session);
        let next = if state == XtaskState::Foreign {
            "next: nest windlass in xtask/ as shown above, then `cargo xtask windlass ci` (until then, `windlass ci`)"
        } else {
            "next: `cargo xtask ci`"
        };
        let summary = if wrote == 0 && state != XtaskState::Foreign {
            "nothing to change: windlass is set up".to_string()
        } else {
            format!("{wrote} files written or updated; {next}")
        };
        Ok(StepOutcome::passed(summary))
    }
}

use windlass_core::workspace::standalone_xtask as standalone;
