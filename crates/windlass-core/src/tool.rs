//! External tools: finding them, and saying how to install the ones that are missing.

use crate::error::UsageError;
use crate::runner::Capture;
use crate::session::Session;
use std::path::PathBuf;

/// The first `program` on `PATH` (or in `$CARGO_HOME/bin`, where cargo installs tools).
pub fn on_path(program: &str) -> Option<PathBuf> {
    let exe = format!("{program}{}", std::env::consts::EXE_SUFFIX);
    let cargo_bin = Some(crate::cargo_env::cargo_home().join("bin"));
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(cargo_bin)
        .map(|dir| dir.join(&exe))
        .find(|candidate| candidate.is_file())
}

/// `None` when `cargo [+toolchain] <subcommand>` runs, else the error that says what to
/// install: the component, or the whole toolchain the config names.
pub fn cargo_subcommand_missing(
    session: &mut Session,
    toolchain: Option<&crate::cargo_env::Toolchain>,
    subcommand: &str,
    component: &str,
) -> Option<UsageError> {
    let sh = session.shell();
    let cmd = sh
        .cmd("cargo")
        .args(toolchain.map(crate::cargo_env::Toolchain::arg))
        .arg(subcommand)
        .arg("--version");
    if session
        .run(cmd, Capture::Everything)
        .is_ok_and(|f| f.success())
    {
        return None;
    }
    Some(match toolchain {
        Some(t) => missing(
            &format!("`cargo +{} {subcommand}`", t.name()),
            &format!(
                "rustup toolchain install {} --component {component}",
                t.name()
            ),
        ),
        None => missing(component, &format!("rustup component add {component}")),
    })
}

/// The error for a tool that is not installed.
pub fn missing(tool: &str, install: &str) -> UsageError {
    UsageError::new(format!("{tool} is not installed"))
        .hint(format!("install it with `{install}`"))
        .kind(crate::error::ErrorKind::ToolMissing)
}
