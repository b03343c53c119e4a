//! `msrv`: every member builds and passes its tests on the Rust it says it supports — its
//! `rust-version` — with a toolchain of exactly that version that is already installed. One
//! that is not is refused, naming the command that installs it: nothing is downloaded behind
//! the user's back (`RUSTUP_AUTO_INSTALL=0`).

use crate::lint::{compiler_messages, message_format};
use crate::text::count;
use anyhow::Result;
use std::collections::BTreeMap;
use windlass_core::event::Event;
use windlass_core::task::{InCi, Task};
use windlass_core::{CiJob, JobStep, Plan, Session, Severity, StepOutcome, UsageError, Workspace};

/// The name of the task.
pub const NAME: &str = "msrv";

/// `[workspace.metadata.windlass.msrv]`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct MsrvConfig {
    /// Only build (`cargo check`), without running the tests (default: build and test).
    #[serde(default)]
    pub check_only: bool,
}

/// `msrv`'s command line.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct MsrvArgs {
    /// Print the toolchains to install, one per line, and check nothing (what CI installs
    /// before the check: `cargo xtask msrv --toolchains | xargs -n1 rustup toolchain install`).
    #[arg(long)]
    pub toolchains: bool,
}

/// `msrv`: the workspace on each `rust-version` its members declare.
pub struct MsrvTask;

/// The members of each declared `rust-version`.
type ByVersion = BTreeMap<String, Vec<String>>;

/// The members of each declared `rust-version`; the members that declare none.
fn groups(ws: &Workspace, session: &mut Session) -> Result<(ByVersion, Vec<String>)> {
    let mut by_version: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut undeclared = Vec::new();
    for package in ws.members(session)? {
        match &package.rust_version {
            Some(version) => by_version
                .entry(declared(version))
                .or_default()
                .push(package.name.to_string()),
            None if !windlass_core::workspace::is_xtask(package) => {
                undeclared.push(package.name.to_string());
            }
            None => {}
        }
    }
    Ok((by_version, undeclared))
}

/// A `rust-version` as written: cargo reads `1.85` as 1.85.0, which any 1.85.x satisfies.
fn declared(version: &cargo_metadata::semver::Version) -> String {
    if version.patch == 0 {
        format!("{}.{}", version.major, version.minor)
    } else {
        version.to_string()
    }
}

/// The installed toolchain of exactly `rust_version` (`1.88` is any 1.88.x, the newest
/// patch; `1.88.1` that one): a toolchain named for it, or a channel (`stable`) that is at
/// it. `None` when none is installed.
pub fn installed_toolchain(session: &mut Session, rust_version: &str) -> Option<String> {
    let sh = session.shell();
    let listed = session
        .run_quiet(sh.cmd("rustup").args(["toolchain", "list"]))
        .ok()
        .filter(|f| f.success())?;
    let wanted: Vec<&str> = rust_version.split('.').collect();
    let matches = |version: &str| {
        let have: Vec<&str> = version.split('.').collect();
        wanted.iter().zip(&have).all(|(w, h)| w == h) && have.len() >= wanted.len()
    };
    let mut found: Vec<(Vec<u64>, bool, String)> = Vec::new();
    for line in listed.stdout.lines() {
        let name = line.split_whitespace().next().unwrap_or_default();
        let short = name.split('-').next().unwrap_or_default();
        let named_for_version = short.starts_with(|c: char| c.is_ascii_digit());
        let version = if named_for_version {
            short.to_string()
        } else {
            let sh = session.shell();
            let out = session
                .run_quiet(sh.cmd("rustc").arg(format!("+{short}")).arg("--version"))
                .ok()?;
            out.stdout
                .split_whitespace()
                .nth(1)
                .map(|v| v.split('-').next().unwrap_or(v).to_string())
                .unwrap_or_default()
        };
        if !version.is_empty() && matches(&version) {
            let key: Vec<u64> = version.split('.').filter_map(|p| p.parse().ok()).collect();
            let label = if named_for_version {
                version.clone()
            } else {
                short.to_string()
            };
            found.push((key, named_for_version, label));
        }
    }
    found.sort();
    found.pop().map(|(_, _, name)| name)
}

impl MsrvTask {
    fn cargo_args(
        toolchain: &str,
        members: &[String],
        check_only: bool,
        color: bool,
    ) -> Vec<String> {
        let mut args = vec![format!("+{toolchain}")];
        args.push(if check_only { "check" } else { "test" }.into());
        for member in members {
            args.push("--package".into());
            args.push(member.clone());
        }
        if check_only {
            args.push("--all-targets".into());
        }
        args.push(message_format(color));
        args
    }
}

impl Task for MsrvTask {
    type Args = MsrvArgs;
    type Config = MsrvConfig;

    fn name(&self) -> &str {
        NAME
    }

    fn watches(&self) -> windlass_core::Watched {
        windlass_core::Watched::Rust
    }

    fn about(&self) -> &str {
        "Build and test each member on its rust-version, with that toolchain installed."
    }

    fn ci(&self) -> InCi {
        InCi::OptIn
    }

    fn plan(
        &self,
        _: &MsrvArgs,
        config: &MsrvConfig,
        ws: &Workspace,
        session: &mut Session,
    ) -> Result<Plan> {
        let (groups, _) = groups(ws, session)?;
        let mut plan = Plan::describe("every member with a rust-version, on that toolchain");
        for (version, members) in &groups {
            let sh = session.shell();
            plan = plan.then(Plan::command(
                sh.cmd("cargo")
                    .args(Self::cargo_args(version, members, config.check_only, false))
                    .env("RUSTUP_AUTO_INSTALL", "0"),
            ));
        }
        Ok(plan)
    }

    // Long: each toolchain is installed, checked and reported in turn; the loop body is the step.
    fn run(
        &self,
        args: &MsrvArgs,
        config: &MsrvConfig,
        ws: &Workspace,
        session: &mut Session,
    ) -> Result<StepOutcome> {
        let (groups, undeclared) = groups(ws, session)?;
        if args.toolchains {
            let text: String = groups.keys().map(|v| format!("{v}\n")).collect();
            session.emit(Event::Artifact {
                step: NAME.into(),
                text,
            });
            return Ok(StepOutcome::passed(format!(
                "{} to install",
                count(groups.len(), "toolchain", "toolchains")
            )));
        }
        if !undeclared.is_empty() {
            session.message(
                Severity::Notice,
                format!(
                    "no rust-version, so no MSRV to check: {} (declare one in [package] or [workspace.package])",
                    undeclared.join(", ")
                ),
            );
        }
        if groups.is_empty() {
            return Ok(StepOutcome::passed("no member declares a rust-version"));
        }
        // Every toolchain first: none is downloaded, and a missing one stops the step before
        // anything is built.
        let mut toolchains = Vec::new();
        for version in groups.keys() {
            let Some(toolchain) = installed_toolchain(session, version) else {
                return Err(UsageError::new(format!(
                    "no Rust {version} toolchain is installed, and the rust-version of {} is {version}",
                    groups[version].join(", ")
                ))
                .kind(windlass_core::error::ErrorKind::ToolMissing)
                .hint(format!("install it with `rustup toolchain install {version} --profile minimal` (windlass never downloads one itself)"))
                .into());
            };
            toolchains.push(toolchain);
        }
        let (mut problems, mut failed) = (0, Vec::new());
        for ((version, members), toolchain) in groups.iter().zip(&toolchains) {
            let sh = session.shell();
            let cmd = sh
                .cmd("cargo")
                .args(Self::cargo_args(
                    toolchain,
                    members,
                    config.check_only,
                    session.color(),
                ))
                .env("RUSTUP_AUTO_INSTALL", "0");
            let (errors, _warnings, finished) = compiler_messages(session, cmd, ws, NAME)?;
            problems += errors;
            if !finished.success() {
                failed.push(format!("{} on {version} ({toolchain})", members.join(", ")));
            }
        }
        let versions: Vec<&String> = groups.keys().collect();
        if failed.is_empty() {
            return Ok(StepOutcome::passed(format!(
                "{} on {}",
                count(
                    groups.values().map(Vec::len).sum(),
                    "member builds",
                    "members build"
                ),
                versions
                    .iter()
                    .map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        Ok(StepOutcome::failed(
            format!(
                "not on its rust-version: {}{}",
                failed.join("; "),
                if problems > 0 {
                    format!(" ({})", count(problems, "error", "errors"))
                } else {
                    String::new()
                }
            ),
            "raise the rust-version, or keep to what it supports (`cargo xtask msrv`)",
        ))
    }

    fn writes_artifact(&self, args: &MsrvArgs) -> bool {
        args.toolchains
    }

    /// The toolchains are installed as a step of their own, from the manifests as they are
    /// at that commit, so that the check never waits on a download.
    fn ci_job(&self, _: &MsrvConfig, _: &Workspace) -> Result<CiJob> {
        let mut job = CiJob::runs([format!("cargo xtask {NAME}")]);
        job.steps.insert(
            0,
            JobStep::Run {
                name: "Install each rust-version's toolchain".into(),
                condition: None,
                env: Vec::new(),
                run: format!(
                    "cargo xtask {NAME} --toolchains | xargs -r -n1 rustup toolchain install --profile minimal --no-self-update"
                ),
            },
        );
        Ok(job)
    }
}
