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

/// Whether `cargo <subcommand> --version` runs: a rustup proxy exists even for a component
/// that is not installed, so only running it tells.
pub fn cargo_subcommand_works(session: &mut Session, subcommand: &str) -> bool {
    let sh = session.shell();
    let cmd = sh.cmd("cargo").arg(subcommand).arg("--version");
    session
        .run(cmd, Capture::Everything)
        .is_ok_and(|f| f.success())
}

/// The error for a tool that is not installed.
pub fn missing(tool: &str, install: &str) -> UsageError {
    UsageError::new(format!("{tool} is not installed")).hint(format!("install it with `{install}`"))
}
