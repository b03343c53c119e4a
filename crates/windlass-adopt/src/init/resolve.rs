//! Proof that what init wrote builds: the project's manifest still loads, the xtask's
//! dependencies resolve (offline first, from what this machine already has), and the xtask
//! compiles — before init says it passed. Any failure is returned as cargo's own words, and
//! init undoes everything.

use std::path::Path;
use windlass_core::Session;
use windlass_core::runner::Capture;

/// Why the written repository does not build.
#[derive(Debug)]
pub struct NotBuilding {
    /// What failed, as a clause: `the project's manifest does not load`, ...
    pub what: &'static str,
    /// cargo's error, trimmed to its lines that say why.
    pub cargo_says: String,
}

/// The failure of [`project_loads`].
pub const MANIFEST: &str = "the project's manifest does not load";

/// `cargo metadata --no-deps` of the project: the manifest init edited still loads.
pub fn project_loads(session: &mut Session, manifest: &Path) -> Result<(), NotBuilding> {
    let sh = session.shell();
    let cmd = sh
        .cmd("cargo")
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
            "--manifest-path",
        ])
        .arg(manifest);
    run(session, cmd, MANIFEST)
}

/// Resolves the xtask's dependencies into its own `Cargo.lock`: offline from the local
/// registry cache first, then (unless cargo is told to stay offline) from the network.
pub fn xtask_resolves(session: &mut Session, manifest: &Path) -> Result<(), NotBuilding> {
    let attempt = |session: &mut Session, offline: bool| {
        let sh = session.shell();
        let cmd = sh
            .cmd("cargo")
            .args(["metadata", "--format-version", "1"])
            .args(offline.then_some("--offline"))
            .arg("--manifest-path")
            .arg(manifest);
        run(session, cmd, "the xtask's dependencies do not resolve")
    };
    match attempt(session, true) {
        Ok(()) => Ok(()),
        Err(offline) if stays_offline() => Err(offline),
        Err(_) => attempt(session, false),
    }
}

/// Builds the xtask, cargo's progress shown: the first `cargo xtask` (or commit, through the
/// hook) is then immediate.
pub fn xtask_builds(session: &mut Session, manifest: &Path) -> Result<(), NotBuilding> {
    let sh = session.shell();
    let cmd = sh
        .cmd("cargo")
        .args(["build"])
        .args(stays_offline().then_some("--offline"))
        .arg("--manifest-path")
        .arg(manifest);
    let finished = session.run(cmd, Capture::Stdout).map_err(|e| NotBuilding {
        what: "the xtask does not build",
        cargo_says: e.to_string(),
    })?;
    if finished.success() {
        Ok(())
    } else {
        Err(NotBuilding {
            what: "the xtask does not build",
            cargo_says: format!(
                "`cargo build` exited with {}; its errors are above",
                finished.status
            ),
        })
    }
}

fn stays_offline() -> bool {
    windlass_core::cargo_env::offline()
}

fn run(session: &mut Session, cmd: xshell::Cmd<'_>, what: &'static str) -> Result<(), NotBuilding> {
    let finished = session
        .run(cmd, Capture::Everything)
        .map_err(|e| NotBuilding {
            what,
            cargo_says: e.to_string(),
        })?;
    if finished.success() {
        return Ok(());
    }
    if let Some(toolchain) = missing_toolchain(&finished.stderr) {
        return Err(NotBuilding {
            what: TOOLCHAIN,
            cargo_says: format!(
                "the repository pins the toolchain {toolchain} (rust-toolchain.toml), which this machine does not have: `rustup toolchain install {toolchain}`"
            ),
        });
    }
    Err(NotBuilding {
        what,
        cargo_says: essence(&finished.stderr),
    })
}

/// The failure of a project whose pinned toolchain is not installed.
pub const TOOLCHAIN: &str = "the project's toolchain is not installed";

/// The toolchain rustup says is not installed (`toolchain 'X' is not installed`), without
/// its host triple when it has one, as `rustup toolchain install` takes it.
fn missing_toolchain(stderr: &str) -> Option<String> {
    let line = stderr.lines().find(|l| l.contains("is not installed"))?;
    let start = line.find("toolchain '")? + "toolchain '".len();
    let name = &line[start..start + line[start..].find('\'')?];
    let host = ["-x86_64-", "-aarch64-", "-i686-", "-armv7-", "-riscv64"]
        .iter()
        .filter_map(|h| name.find(h))
        .min();
    Some(host.map_or(name, |at| &name[..at]).to_string())
}

/// cargo's error without its progress lines (`Updating`, `Locking`, `Downloading`).
fn essence(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| {
            let word = l.trim_start().split(' ').next().unwrap_or_default();
            !matches!(
                word,
                "Updating" | "Locking" | "Downloading" | "Downloaded" | "Adding" | "Blocking"
            )
        })
        .collect();
    lines.join("\n").trim().to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_pinned_toolchain_that_is_not_installed_is_named() {
        let stderr = "error: toolchain '1.79.0-x86_64-unknown-linux-gnu' is not installed\nhelp: run `rustup toolchain install 1.79.0-x86_64-unknown-linux-gnu` to install it\n";
        assert_eq!(super::missing_toolchain(stderr).as_deref(), Some("1.79.0"));
        let stderr = "error: toolchain 'nightly-2025-01-10-aarch64-apple-darwin' is not installed";
        assert_eq!(
            super::missing_toolchain(stderr).as_deref(),
            Some("nightly-2025-01-10")
        );
        assert_eq!(super::missing_toolchain("error: no matching package"), None);
    }

    #[test]
    fn cargo_progress_is_left_out_of_the_error() {
        let stderr = "    Updating crates.io index\nerror: no matching package named `windlass` found\nlocation searched: crates.io index\n";
        assert_eq!(
            super::essence(stderr),
            "error: no matching package named `windlass` found\nlocation searched: crates.io index"
        );
    }
}
