//! `no-todo`: a `TODO` comment under `src/` fails `ci`, at its file and line, unless its file
//! is allowed in `[workspace.metadata.windlass.no-todo] allow`.

use serde::Deserialize;
use std::path::{Path, PathBuf};
use windlass::{Diagnostic, InCi, NoArgs, Plan, Session, Severity, StepOutcome, Task, Workspace};

/// The codes of its findings: `no-todo/todo` in the JSON report.
mod codes {
    windlass::declare_codes! {
        owner: "xtask";
        codes {
            /// A TODO comment under src/.
            TODO = "todo" titled "TODO";
        }
        families {}
    }
}

/// The task: `cargo xtask no-todo`, and a step of `ci`.
pub struct NoTodo;

/// `[workspace.metadata.windlass.no-todo]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoTodoConfig {
    /// Files (relative to the workspace root) whose TODOs are allowed.
    #[serde(default)]
    allow: Vec<PathBuf>,
}

impl Task for NoTodo {
    type Args = NoArgs;
    type Config = NoTodoConfig;

    fn name(&self) -> &str {
        "no-todo"
    }

    fn about(&self) -> &str {
        "No TODO comments under src/."
    }

    fn ci(&self) -> InCi {
        InCi::Default
    }

    fn plan(
        &self,
        _: &NoArgs,
        config: &NoTodoConfig,
        _ws: &Workspace,
        _: &mut Session,
    ) -> anyhow::Result<Plan> {
        let allowed: Vec<String> = config
            .allow
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        Ok(Plan::describe(if allowed.is_empty() {
            "scan src/ for TODO comments".to_string()
        } else {
            format!(
                "scan src/ for TODO comments, except in {}",
                allowed.join(", ")
            )
        }))
    }

    fn run(
        &self,
        _: &NoArgs,
        config: &NoTodoConfig,
        ws: &Workspace,
        session: &mut Session,
    ) -> anyhow::Result<StepOutcome> {
        let mut files = Vec::new();
        rust_files(&ws.root.join("src"), &mut files)?;
        files.sort();
        let mut found = 0;
        for file in files {
            let relative = file.strip_prefix(&ws.root).unwrap_or(&file);
            if config.allow.iter().any(|a| a == relative) {
                continue;
            }
            let text = std::fs::read_to_string(&file)?;
            for (index, line) in text.lines().enumerate() {
                let Some(column) = todo_in_comment(line) else {
                    continue;
                };
                found += 1;
                session.diagnostic(
                    Diagnostic::new(
                        "no-todo",
                        Severity::Error,
                        codes::TODO,
                        format!("a TODO comment: {}", line.trim()),
                    )
                    .at(
                        ws.display_path(&file),
                        u32::try_from(index + 1).ok(),
                        u32::try_from(column + 1).ok(),
                    ),
                );
            }
        }
        Ok(if found == 0 {
            StepOutcome::passed("no TODO comments")
        } else {
            StepOutcome::failed(
                format!("{found} TODO comment(s)"),
                "do the work, or open an issue and link it instead of the TODO",
            )
        })
    }
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            rust_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// The column of `TODO` in a `//` or `/*` comment of `line`, if any.
fn todo_in_comment(line: &str) -> Option<usize> {
    let comment = [line.find("//"), line.find("/*")]
        .into_iter()
        .flatten()
        .min()?;
    line[comment..].find("TODO").map(|at| comment + at)
}
