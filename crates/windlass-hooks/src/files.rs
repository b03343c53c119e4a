//! `files` in the hook: large files, merge-conflict markers, and `.env`-style files or private
//! key files being added.

use crate::staged;
use anyhow::Result;
use windlass_core::Plan;
use windlass_core::{Diagnostic, Session, Severity, Step, StepOutcome, Workspace};

/// The name of the step.
pub const NAME: &str = "files";

/// Checks of the staged files themselves.
#[derive(Debug, Clone, Copy)]
pub struct StagedFiles {
    /// The largest file a commit may add or change.
    pub max_bytes: u64,
}

/// Whether a file of this name holds secrets by its nature.
pub fn is_secret_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let templates = [
        ".example",
        ".sample",
        ".template",
        ".dist",
        ".defaults",
        ".tpl",
    ];
    let env = (name == ".env" || name.starts_with(".env.") || name.ends_with(".env"))
        && !templates.iter().any(|t| name.ends_with(t));
    let key_names = ["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"];
    let key_exts = [".pem", ".key", ".p12", ".pfx", ".jks", ".keystore"];
    env || key_names.contains(&name.as_str()) || key_exts.iter().any(|e| name.ends_with(e))
}

impl Step for StagedFiles {
    fn name(&self) -> &str {
        NAME
    }

    fn plan(&self, _ws: &Workspace, _session: &mut Session) -> Result<Plan> {
        Ok(Plan::describe(format!(
            "staged files: none over {} KB, no conflict markers, no .env or key files",
            self.max_bytes / 1024
        )))
    }

    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        let root = ws.repo_root.clone();
        let files = staged::files(session, &root)?;
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        let sizes = staged::sizes(session, &root, &paths)?;
        let mut problems = 0;
        for (file, size) in files.iter().zip(&sizes) {
            if *size > self.max_bytes {
                problems += 1;
                session.diagnostic(
                    Diagnostic::new(
                        NAME,
                        Severity::Error,
                        crate::codes::LARGE_FILE,
                        format!(
                            "{} is {} KB, over the {} KB limit; keep it out of git (git LFS, a release asset) or raise max-file-size",
                            file.path,
                            size.div_ceil(1024),
                            self.max_bytes / 1024
                        ),
                    )
                    .at(file.path.clone(), None, None),
                );
            }
            if file.status == 'A' && is_secret_file(&file.path) {
                problems += 1;
                session.diagnostic(
                    Diagnostic::new(
                        NAME,
                        Severity::Error,
                        crate::codes::SECRET_FILE,
                        format!("{} holds secrets by its nature and must not be committed; add it to .gitignore (commit a `.example` copy instead)", file.path),
                    )
                    .at(file.path.clone(), None, None),
                );
            }
        }
        let (added, _) = staged::added_lines(session, &root)?;
        for file in &added {
            for (number, line) in &file.lines {
                if ["<<<<<<< ", ">>>>>>> ", "||||||| "]
                    .iter()
                    .any(|m| line.starts_with(m))
                    || line == "<<<<<<<"
                    || line == ">>>>>>>"
                {
                    problems += 1;
                    session.diagnostic(
                        Diagnostic::new(
                            NAME,
                            Severity::Error,
                            crate::codes::CONFLICT_MARKER,
                            "an unresolved merge conflict marker",
                        )
                        .at(file.path.clone(), Some(*number), Some(1)),
                    );
                }
            }
        }
        if problems > 0 {
            Ok(StepOutcome::failed(
                format!("{problems} problems in {} staged files", files.len()),
                "fix the files named above and stage them again",
            ))
        } else {
            Ok(StepOutcome::passed(format!(
                "{} staged files checked",
                files.len()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_and_key_files_are_recognised_and_templates_are_not() {
        for yes in [
            ".env",
            "config/.env.production",
            "deploy/id_ed25519",
            "certs/server.key",
            "prod.env",
        ] {
            assert!(is_secret_file(yes), "{yes}");
        }
        for no in [
            ".env.example",
            ".env.sample",
            "src/env.rs",
            "keys.rs",
            "README.md",
        ] {
            assert!(!is_secret_file(no), "{no}");
        }
    }
}
