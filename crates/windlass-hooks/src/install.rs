//! `install-hooks`: a small `pre-commit` shim that runs windlass's pre-commit checks.
//!
//! The hooks directory comes from git itself (`git rev-parse --git-path hooks`), so
//! `core.hooksPath` and worktrees are honoured. A hook windlass did not write is never
//! replaced unless `--force`, and then it is kept as `pre-commit.windlass-backup`, which
//! `--uninstall` puts back.

use anyhow::Result;
use std::path::{Path, PathBuf};
use windlass_core::Plan;
use windlass_core::files;
use windlass_core::runner::Capture;
use windlass_core::{Session, Step, StepOutcome, UsageError, Workspace};

/// The name of the step.
pub const NAME: &str = "install-hooks";

/// The line that marks a hook as windlass's.
pub const MARKER: &str = "# windlass pre-commit hook";

/// The backup of a hook windlass replaced.
pub const BACKUP: &str = "pre-commit.windlass-backup";

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Write the hook.
    Install {
        /// Replace a hook windlass did not write (keeping a backup).
        force: bool,
    },
    /// Remove it, restoring what it replaced.
    Uninstall,
}

/// The `install-hooks` step.
#[derive(Debug, Clone)]
pub struct InstallHooks {
    /// Install or uninstall.
    pub action: Action,
    /// The command the hook runs, e.g. `cargo xtask pre-commit`.
    pub command: String,
    /// How the hook builds the xtask the first time, visibly (none for an installed binary).
    pub first_build: Option<FirstBuild>,
}

/// The first commit of a clone builds the xtask, which takes minutes: the hook says so and
/// shows cargo's progress, instead of a `cargo run --quiet` that seems to hang.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstBuild {
    /// The build, run from the repository root.
    pub command: String,
}

impl FirstBuild {
    /// The build of the xtask of the workspace at `ws_root` in the repository at
    /// `repo_root`: a standalone xtask (its own `[workspace]`) by its manifest path, an xtask
    /// that is a member by its package name; `None` where there is no xtask.
    pub fn of_xtask(repo_root: &Path, ws_root: &Path) -> Option<Self> {
        let manifest = ws_root.join("xtask/Cargo.toml");
        if !manifest.is_file() {
            return None;
        }
        let relative = |path: &Path| {
            let rel = path.strip_prefix(repo_root).unwrap_or(path);
            windlass_core::paths::shell_quote(&rel.to_string_lossy().replace('\\', "/"))
        };
        let command = if windlass_core::workspace::standalone_xtask(ws_root) {
            format!("cargo build --manifest-path {}", relative(&manifest))
        } else {
            format!(
                "cargo build --package xtask --manifest-path {}",
                relative(&ws_root.join("Cargo.toml"))
            )
        };
        Some(Self { command })
    }
}

/// The hook's text. A hook that runs `cargo xtask` builds the xtask visibly the first time,
/// then runs the binary cargo last ran for it directly while that binary vouches for itself
/// ([`crate::fresh`]), and `cargo xtask` when it does not.
pub fn shim(command: &str, first_build: Option<&FirstBuild>) -> String {
    let head = format!(
        "#!/bin/sh\n{MARKER}: written by `install-hooks`, removed by `install-hooks --uninstall`.\n# Bypass visibly: WINDLASS_SKIP=secrets git commit ..., or git commit --no-verify.\n"
    );
    let (Some(build), Some(args)) = (first_build, command.strip_prefix("cargo xtask ")) else {
        return format!("{head}exec {command}\n");
    };
    let (verify, record, hand_over) = (
        crate::fresh::VERIFY_VARIABLE,
        crate::fresh::RECORD_VARIABLE,
        crate::fresh::HAND_OVER,
    );
    format!(
        r#"{head}state="$(git rev-parse --git-path windlass)"
# The first commit of a clone builds the xtask: say so, with cargo's progress.
if [ ! -e "$state/xtask-built" ]; then
    echo "windlass: building the xtask, the first time only (cargo's progress below)" >&2
    {build} >&2 || exit 1
    mkdir -p "$state" && : > "$state/xtask-built"
fi
# The binary cargo last ran for this hook, without cargo's freshness check: the binary checks
# its stamp itself and exits {hand_over} when it cannot vouch for itself; then cargo runs it.
stamp="$state/xtask-fresh"
bin=""
[ -f "$stamp" ] && read -r bin < "$stamp"
if [ -n "$bin" ] && [ -x "$bin" ] && [ ! "$bin" -nt "$stamp" ]; then
    {verify}="$stamp" "$bin" {args}
    status=$?
    [ "$status" -eq {hand_over} ] || exit "$status"
fi
{record}="$stamp" exec {command}
"#,
        build = build.command
    )
}

fn hooks_dir(session: &mut Session, root: &Path) -> Result<PathBuf> {
    let sh = session.shell();
    let cmd = sh
        .cmd("git")
        .arg("-C")
        .arg(root)
        .args(["rev-parse", "--git-path", "hooks"]);
    let finished = session.run(cmd, Capture::Everything)?;
    if !finished.success() {
        return Err(
            UsageError::new(format!("{} is not in a git repository", root.display()))
                .hint("run `git init` first")
                .into(),
        );
    }
    let path = PathBuf::from(finished.stdout.trim());
    Ok(if path.is_absolute() {
        path
    } else {
        root.join(path)
    })
}

impl Step for InstallHooks {
    fn name(&self) -> &str {
        NAME
    }

    fn plan(&self, _ws: &Workspace, _session: &mut Session) -> Result<Plan> {
        Ok(Plan::describe(match self.action {
            Action::Install { .. } => {
                format!("write a pre-commit hook that runs `{}`", self.command)
            }
            Action::Uninstall => "remove windlass's pre-commit hook".into(),
        }))
    }

    // Long: the hook's install: an existing hook kept or chained, written, verified; each branch
    // has its own message.
    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        let dir = hooks_dir(session, &ws.repo_root)?;
        let hook = dir.join("pre-commit");
        let backup = dir.join(BACKUP);
        // The hooks directory is git's (or `core.hooksPath`'s); inside it nothing is followed:
        // a `pre-commit` that is a link is moved aside as a link, never written through.
        let hooks = windlass_core::files::root(&dir)?;
        let existing = hooks.kind(Path::new(HOOK)).map_err(files::error)?.map(|_| {
            // A link or a pipe reads as empty: something there, and not windlass's.
            let bytes = hooks
                .read(Path::new(HOOK), files::TEXT_LIMIT)
                .unwrap_or_default();
            String::from_utf8_lossy(&bytes).into_owned()
        });
        let ours = existing.as_deref().is_some_and(|t| t.contains(MARKER));
        let shown = ws.display_path(&hook);
        match self.action {
            Action::Uninstall => {
                if existing.is_none() {
                    return Ok(StepOutcome::passed(format!(
                        "no pre-commit hook at {shown}"
                    )));
                }
                if !ours {
                    return Err(UsageError::new(format!(
                        "the pre-commit hook at {shown} was not written by windlass"
                    ))
                    .hint("leave it, or remove it yourself")
                    .into());
                }
                hooks.remove_file(Path::new(HOOK)).map_err(files::error)?;
                if hooks
                    .kind(Path::new(BACKUP))
                    .map_err(files::error)?
                    .is_some()
                {
                    hooks
                        .rename(Path::new(BACKUP), Path::new(HOOK))
                        .map_err(files::error)?;
                    return Ok(StepOutcome::passed(format!(
                        "removed; the previous hook is back at {shown}"
                    )));
                }
                Ok(StepOutcome::passed(format!("removed {shown}")))
            }
            Action::Install { force } => {
                let text = shim(&self.command, self.first_build.as_ref());
                if existing.as_deref() == Some(text.as_str()) {
                    return Ok(StepOutcome::passed(format!("already installed at {shown}")));
                }
                if existing.is_some() && !ours {
                    if !force {
                        return Err(UsageError::new(format!(
                            "a pre-commit hook that windlass did not write exists at {shown}"
                        ))
                        .hint(format!(
                            "keep it, or pass --force to replace it (it is kept as {BACKUP})"
                        ))
                        .into());
                    }
                    if hooks
                        .kind(Path::new(BACKUP))
                        .map_err(files::error)?
                        .is_some()
                    {
                        return Err(UsageError::new(format!(
                            "{} already exists",
                            ws.display_path(&backup)
                        ))
                        .hint("restore or delete the old backup first")
                        .into());
                    }
                    hooks
                        .rename(Path::new(HOOK), Path::new(BACKUP))
                        .map_err(files::error)?;
                }
                hooks
                    .write_atomic(Path::new(HOOK), text.as_bytes(), files::Perm::Executable)
                    .map_err(files::error)?;
                Ok(StepOutcome::passed(format!(
                    "installed at {shown}: it runs `{}`",
                    self.command
                )))
            }
        }
    }
}

/// The hook's file name in the hooks directory.
const HOOK: &str = "pre-commit";
