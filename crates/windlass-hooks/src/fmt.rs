//! `fmt` in the hook: rustfmt on the staged version of each staged `.rs` file, with the
//! edition of the crate that holds it and the `rustfmt.toml` that applies to it.

use crate::staged;
use anyhow::Result;
use std::path::Path;
use windlass_checks::fmt::{FmtConfig, parse_check_output};
use windlass_core::Plan;
use windlass_core::cargo_env::Toolchain;
use windlass_core::{
    Diagnostic, Session, Severity, Step, StepOutcome, UsageError, Workspace, tool,
};

/// The name of the step.
pub const NAME: &str = "fmt";

/// Formatting of the staged Rust files, by the rules `fmt-check` follows (its toolchain, its
/// config path and rustfmt arguments).
#[derive(Debug, Clone, Default)]
pub struct StagedFmt {
    /// `[workspace.metadata.windlass.fmt-check]`.
    pub config: FmtConfig,
}

impl Step for StagedFmt {
    fn name(&self) -> &str {
        NAME
    }

    fn plan(&self, _ws: &Workspace, _session: &mut Session) -> Result<Plan> {
        Ok(Plan::describe(
            "rustfmt --check on the staged content of each staged .rs file",
        ))
    }

    // Long: each staged file is read from the index, formatted and compared in turn; the loop body
    // is the step.
    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        let root = ws.repo_root.clone();
        let rust: Vec<String> = staged::files(session, &root)?
            .into_iter()
            .map(|f| f.path)
            .filter(|p| p.ends_with(".rs"))
            .collect();
        let mut unformatted = 0;
        for path in &rust {
            let text = staged::content(session, &root, path)?;
            let dir = root
                .join(path)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| root.clone());
            let sh = session.shell();
            let mut cmd = sh
                .cmd("rustfmt")
                .args(self.config.toolchain.as_ref().map(Toolchain::arg))
                .args(["--check", "--color", "never"]);
            if let Some(edition) = edition_for(&dir) {
                cmd = cmd.arg("--edition").arg(edition);
            }
            // rustfmt reading stdin cannot find the file's config itself.
            let config = match &self.config.config_path {
                Some(path) => Some(ws.root.join(path)),
                None => rustfmt_config(&dir),
            };
            if let Some(config) = config {
                cmd = cmd.arg("--config-path").arg(config);
            }
            cmd = cmd.args(&self.config.rustfmt_args);
            let finished = session.run_input(cmd, text.into_bytes())?;
            let stderr = finished.stderr.trim();
            if stderr.contains("is not installed")
                || stderr.contains("not found") && !stderr.contains("-->")
            {
                return Err(match &self.config.toolchain {
                    Some(t) => tool::missing(
                        &format!("rustfmt of the {} toolchain", t.name()),
                        &format!("rustup toolchain install {} --component rustfmt", t.name()),
                    ),
                    None => tool::missing("rustfmt", "rustup component add rustfmt"),
                }
                .into());
            }
            let files = parse_check_output(&finished.stdout);
            if let Some(file) = files.first() {
                unformatted += 1;
                let rendered = file.render(path);
                session.diagnostic(
                    Diagnostic::new(
                        NAME,
                        Severity::Error,
                        windlass_checks::codes::NOT_FORMATTED,
                        format!(
                            "the staged {path} is not formatted; run `cargo fmt` and stage it again"
                        ),
                    )
                    .at(path.clone(), Some(file.hunks[0].first_changed_line()), None)
                    .rendered(rendered),
                );
            } else if !finished.success() {
                unformatted += 1;
                let location = windlass_checks::fmt::parse_errors(stderr)
                    .into_iter()
                    .find_map(|e| e.location);
                let mut d = Diagnostic::new(
                    NAME,
                    Severity::Error,
                    windlass_checks::codes::RUSTFMT_ERROR,
                    format!("rustfmt cannot parse the staged {path}:\n{stderr}"),
                );
                if let Some((_, line, column)) = location {
                    d = d.at(path.clone(), Some(line), Some(column));
                }
                session.diagnostic(d);
            } else if !stderr.is_empty() && stderr.contains("error") {
                return Err(UsageError::new(format!("rustfmt failed on {path}: {stderr}")).into());
            }
        }
        if unformatted > 0 {
            return Ok(StepOutcome::failed(
                format!(
                    "{unformatted} of {} staged Rust files not formatted",
                    rust.len()
                ),
                "cargo fmt, then stage the changes (git add -u)",
            ));
        }
        Ok(StepOutcome::passed(format!(
            "{} staged Rust files formatted",
            rust.len()
        )))
    }
}

/// The edition of the crate whose manifest is nearest above `dir`, following
/// `edition.workspace = true` to the workspace's `[workspace.package]`.
fn edition_for(dir: &Path) -> Option<String> {
    let (manifest_dir, doc) = dir
        .ancestors()
        .find_map(|d| Some((d, read(&d.join("Cargo.toml"))?)))?;
    let package = doc.get("package")?;
    match package.get("edition") {
        Some(toml::Value::String(edition)) => Some(edition.clone()),
        Some(toml::Value::Table(t))
            if t.get("workspace").and_then(toml::Value::as_bool) == Some(true) =>
        {
            manifest_dir
                .ancestors()
                .filter_map(|d| read(&d.join("Cargo.toml")))
                .find_map(|ws| {
                    ws.get("workspace")?
                        .get("package")?
                        .get("edition")?
                        .as_str()
                        .map(str::to_string)
                })
        }
        // cargo's default when a manifest names none.
        _ => Some("2015".into()),
    }
}

/// The `rustfmt.toml` (or `.rustfmt.toml`) that applies to files in `dir`: the nearest one above.
fn rustfmt_config(dir: &Path) -> Option<std::path::PathBuf> {
    dir.ancestors()
        .flat_map(|d| [d.join("rustfmt.toml"), d.join(".rustfmt.toml")])
        .find(|p| p.is_file())
}

fn read(path: &Path) -> Option<toml::Table> {
    std::fs::read_to_string(path).ok()?.parse().ok()
}
