//! What every run starts with: its session (reporters for the chosen format, the runner with
//! cargo's flags) and its workspace.

use crate::cli::GlobalArgs;
use anyhow::Result;
use std::io::IsTerminal;
use windlass_core::report::{self, Environment, Format};
use windlass_core::runner::Runner;
use windlass_core::{Session, UsageError, Workspace};

/// The workspace. Tasks that work on files or on git (secrets, the hook, an audit of a lone
/// lockfile) also run where there is no Cargo workspace at all, on the current directory;
/// `target` is the directory a task's arguments name (`init PATH`).
pub(crate) fn discover(
    global: &GlobalArgs,
    target: Option<std::path::PathBuf>,
    needs_cargo_workspace: bool,
    session: &mut Session,
) -> Result<Workspace> {
    if let Some(dir) = &target {
        if !dir.is_dir() {
            return Err(UsageError::new(format!("no directory {}", dir.display())).into());
        }
        session.runner().change_dir(&std::path::absolute(dir)?);
        if needs_cargo_workspace {
            return Workspace::discover(session, Some(dir));
        }
    }
    let cwd = session.shell().current_dir();
    let no_manifest = !cwd.ancestors().any(|d| d.join("Cargo.toml").is_file());
    if global.manifest_path.is_none() && no_manifest && !needs_cargo_workspace {
        return Ok(Workspace::detached(session, &cwd));
    }
    Workspace::discover(session, global.manifest_path.as_deref())
}

/// The session for `global`: reporters for its format and colour, where this process runs.
pub(crate) fn session(global: &GlobalArgs, artifact: bool) -> Result<Session> {
    // Whatever a reporter shows passes the secret scanner's rules first.
    windlass_core::sanitize::install_redactor(windlass_secrets::redact_text);
    let format = global.report_format();
    let human_is_tty = match format {
        Format::Human if !artifact => std::io::stdout().is_terminal(),
        _ => std::io::stderr().is_terminal(),
    };
    let color = report::style::use_color(global.color_choice(), human_is_tty);
    let verbosity = global.verbosity();
    let reporter =
        report::for_environment(format, color, &Environment::from_env(), artifact, verbosity);
    let cwd = std::env::current_dir()?;
    let runner = Runner::new(&cwd, format == Format::Json || artifact)?;
    for key in [
        windlass_hooks::fresh::VERIFY_VARIABLE,
        windlass_hooks::fresh::RECORD_VARIABLE,
    ] {
        runner.withhold_env(key);
    }
    let (locked, offline) = global.cargo_flags();
    runner.cargo_flags(locked, offline);
    Ok(Session::new(runner, Box::new(reporter), color)
        .with_details(format == Format::Json)
        .with_verbose(verbosity == report::Verbosity::Verbose))
}
