//! `ci --watch`: the pipeline once, then again on every change — only the steps whose inputs
//! changed (each task says which files concern it: [`windlass_core::Watched`]), until Ctrl-C.
//!
//! Changes are found by polling the files git would commit (`git ls-files`, tracked and
//! untracked-but-not-ignored, so `target/` never counts) for their size and modification time
//! twice a second, and a burst of writes (an editor's save, a `cargo fmt`) is one change: the
//! steps run once the tree has been still for a moment. Polling costs a stat per file and no
//! dependency; an event-based watcher would add a crate family to every adopter's xtask build
//! for a loop that, with a debounce, is no faster to notice a save.

use crate::cli::GlobalArgs;
use crate::embed::Commands;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use windlass_core::Registry;
use windlass_core::error::{EXIT_INTERRUPTED, EXIT_USAGE};
use windlass_core::report::Format;
use windlass_core::{Severity, UsageError, Workspace};

/// How often the tree is looked at.
const POLL: Duration = Duration::from_millis(500);
/// How long the tree must be still before the steps run.
const SETTLE: Duration = Duration::from_millis(300);
/// The most files watched: past it, the watch says so and stops (a tree that large wants
/// `--only` on a narrower checkout, not a stat of every file twice a second).
const MAX_FILES: usize = 200_000;

/// Each watched file's size and modification time.
type Snapshot = BTreeMap<PathBuf, (u64, Option<SystemTime>)>;

/// How one run of `ci` is executed: the xtask's own way, with its global options.
pub type Execute<'a> = &'a dyn Fn(&GlobalArgs, &Commands) -> u8;

/// Runs `ci` (parsed as `command`, with `--watch`) in a loop, each pass through `execute`;
/// its exit code when interrupted.
pub fn run(registry: &Registry, execute: Execute, global: &GlobalArgs, command: &Commands) -> u8 {
    match watch(registry, execute, global, command) {
        Ok(code) => code,
        Err(err) => {
            global.report_error(&command.name, &err);
            windlass_core::error::exit_code_for(&err)
        }
    }
}

fn watch(
    registry: &Registry,
    execute: Execute,
    global: &GlobalArgs,
    command: &Commands,
) -> anyhow::Result<u8> {
    if global.report_format() == Format::Json {
        return Err(
            UsageError::new("`ci --watch` reports as text: JSON is one report per run")
                .hint("drop --format json, or run `ci --format json` once")
                .into(),
        );
    }
    let only: Vec<String> = values(command, "only");
    let skip: Vec<String> = values(command, "skip");
    let keep_going = command.matches.get_flag("keep_going");
    windlass_core::signal::install();
    let mut session = crate::startup::session(global, false)?;
    let ws = crate::startup::discover(global, None, true, &mut session)?;

    let mut code = pass(registry, execute, global, &only, &skip, keep_going)?;
    let mut before = snapshot(&ws, &mut session)?;
    loop {
        if code == EXIT_INTERRUPTED || windlass_core::signal::interrupted() {
            return Ok(EXIT_INTERRUPTED);
        }
        session.message(
            Severity::Notice,
            format!("watching {} files for changes (Ctrl-C stops)", before.len()),
        );
        let (after, changed) = next_change(&ws, &mut session, &before)?;
        let Some(changed) = changed else {
            return Ok(EXIT_INTERRUPTED);
        };
        before = after;
        let steps = affected(registry, &ws, &mut session, &changed, &only, &skip)?;
        let shown: Vec<String> = changed.iter().take(3).cloned().collect();
        let more = changed.len().saturating_sub(shown.len());
        if steps.is_empty() {
            session.message(
                Severity::Notice,
                format!(
                    "changed: {}{}; no step reads it",
                    shown.join(", "),
                    if more > 0 {
                        format!(" (+{more})")
                    } else {
                        String::new()
                    }
                ),
            );
            continue;
        }
        session.message(
            Severity::Notice,
            format!(
                "changed: {}{} → {}",
                shown.join(", "),
                if more > 0 {
                    format!(" (+{more})")
                } else {
                    String::new()
                },
                steps.join(", ")
            ),
        );
        code = pass(registry, execute, global, &steps, &skip, keep_going)?;
    }
}

/// One run of `ci` with these steps (all of `ci`'s when `only` is empty).
fn pass(
    registry: &Registry,
    execute: Execute,
    global: &GlobalArgs,
    only: &[String],
    skip: &[String],
    keep_going: bool,
) -> anyhow::Result<u8> {
    // `ci`'s own parser reads the pass's options, so that they mean what they mean on the
    // command line.
    let mut argv: Vec<String> = Vec::new();
    if !only.is_empty() {
        argv.push(format!("--only={}", only.join(",")));
    }
    if !skip.is_empty() {
        argv.push(format!("--skip={}", skip.join(",")));
    }
    if keep_going {
        argv.push("--keep-going".into());
    }
    let Some(ci) = registry.get(crate::ci::NAME).and_then(|ci| ci.command()) else {
        return Ok(EXIT_USAGE);
    };
    let matches = ci
        .no_binary_name(true)
        .try_get_matches_from(argv)
        .map_err(|e| UsageError::new(e.to_string()))?;
    Ok(execute(
        global,
        &Commands {
            name: crate::ci::NAME.to_string(),
            matches,
        },
    ))
}

/// The steps of `ci` (or of `only`) that a change to any of `changed` concerns, in order.
fn affected(
    registry: &Registry,
    ws: &Workspace,
    session: &mut windlass_core::Session,
    changed: &[String],
    only: &[String],
    skip: &[String],
) -> anyhow::Result<Vec<String>> {
    // The config may be what changed: read it again.
    let ws = Workspace::discover(session, Some(&ws.manifest_path))?;
    let mut registry = registry.clone();
    registry.load(&ws.config)?;
    windlass_checks::command_step::register(&mut registry, &ws.config)?;
    let names: Vec<String> = if only.is_empty() {
        windlass_core::ci_steps::step_names(&registry, &ws)?
    } else {
        only.to_vec()
    };
    Ok(names
        .into_iter()
        .filter(|name| !skip.contains(name))
        .filter(|name| {
            registry.get(name).is_none_or(|kind| {
                let watched = kind.watches();
                changed.iter().any(|path| watched.concerns(path))
            })
        })
        .collect())
}

/// Polls until the tree changes and then stays still; the new snapshot and the changed paths
/// (`None` when interrupted first).
fn next_change(
    ws: &Workspace,
    session: &mut windlass_core::Session,
    before: &Snapshot,
) -> anyhow::Result<(Snapshot, Option<Vec<String>>)> {
    loop {
        if sleep_or_interrupted(POLL) {
            return Ok((before.clone(), None));
        }
        let mut now = snapshot(ws, session)?;
        if now == *before {
            continue;
        }
        // A burst of writes is one change: wait until two looks agree.
        loop {
            if sleep_or_interrupted(SETTLE) {
                return Ok((now, None));
            }
            let again = snapshot(ws, session)?;
            if again == now {
                break;
            }
            now = again;
        }
        let changed = diff(before, &now);
        return Ok((now, Some(changed)));
    }
}

fn sleep_or_interrupted(total: Duration) -> bool {
    let step = Duration::from_millis(50);
    let mut slept = Duration::ZERO;
    while slept < total {
        if windlass_core::signal::interrupted() {
            return true;
        }
        std::thread::sleep(step);
        slept += step;
    }
    windlass_core::signal::interrupted()
}

/// The paths added, removed or changed between two snapshots, relative and `/`-separated.
fn diff(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    let mut changed: Vec<String> = after
        .iter()
        .filter(|(path, state)| before.get(*path) != Some(*state))
        .map(|(path, _)| path.to_string_lossy().replace('\\', "/"))
        .collect();
    changed.extend(
        before
            .keys()
            .filter(|path| !after.contains_key(*path))
            .map(|path| path.to_string_lossy().replace('\\', "/")),
    );
    changed.sort();
    changed
}

/// The files git would commit under the workspace root, each with its size and mtime.
fn snapshot(ws: &Workspace, session: &mut windlass_core::Session) -> anyhow::Result<Snapshot> {
    let sh = session.shell();
    let listed = session.run_quiet(sh.cmd("git").arg("-C").arg(&ws.root).args([
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
    ]))?;
    if !listed.success() {
        return Err(UsageError::new(format!(
            "`ci --watch` watches the files of a git repository, and {} is none",
            ws.root.display()
        ))
        .hint("`git init` (then `target/` and the rest of .gitignore are never watched)")
        .into());
    }
    let mut files = Snapshot::new();
    for name in listed.stdout.split('\0').filter(|n| !n.is_empty()) {
        if files.len() >= MAX_FILES {
            return Err(UsageError::new(format!(
                "more than {MAX_FILES} files to watch under {}",
                ws.root.display()
            ))
            .hint("watch a smaller checkout, or run `cargo xtask ci --only STEP` by hand")
            .into());
        }
        let path = Path::new(name);
        let state = std::fs::symlink_metadata(ws.root.join(path))
            .map(|m| (m.len(), m.modified().ok()))
            .unwrap_or((u64::MAX, None));
        files.insert(path.to_path_buf(), state);
    }
    Ok(files)
}

fn values(command: &Commands, id: &str) -> Vec<String> {
    command
        .matches
        .get_many::<String>(id)
        .map(|v| v.cloned().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_what_was_added_removed_or_rewritten() {
        let t = Some(SystemTime::UNIX_EPOCH);
        let before: Snapshot = [("a.rs", (1, t)), ("b.rs", (1, t)), ("c.md", (1, t))]
            .map(|(p, s)| (PathBuf::from(p), s))
            .into();
        let after: Snapshot = [("a.rs", (2, t)), ("c.md", (1, t)), ("d.rs", (1, t))]
            .map(|(p, s)| (PathBuf::from(p), s))
            .into();
        assert_eq!(diff(&before, &after), ["a.rs", "b.rs", "d.rs"]);
        assert!(diff(&after, &after).is_empty());
    }
}
