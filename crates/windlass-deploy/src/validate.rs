//! `validate-config`: what a release needs from its host, checked before anything changes —
//! environment variables (never printed), config files, and the services it talks to.

use crate::config::Environment;
use anyhow::Result;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;
use windlass_core::Plan;
use windlass_core::{Diagnostic, Session, Severity, Step, StepOutcome, Workspace};

/// The name of the step.
pub const NAME: &str = "validate-config";

/// Every problem with the environment, each a diagnostic of `step`; the count.
// Long: the environment's checks in the order `validate-config` reports them, each a few lines with
// its diagnostic.
pub fn check(session: &mut Session, ws: &Workspace, env: &Environment, step: &str) -> usize {
    let mut problems = Vec::new();
    for var in &env.required_env {
        match std::env::var_os(var) {
            None => problems.push(Diagnostic::new(
                step,
                Severity::Error,
                crate::codes::MISSING_VARIABLE,
                format!("environment variable {var} is not set"),
            )),
            Some(v) if v.is_empty() => {
                problems.push(Diagnostic::new(
                    step,
                    Severity::Error,
                    crate::codes::EMPTY_VARIABLE,
                    format!("environment variable {var} is empty"),
                ));
            }
            Some(_) => {}
        }
    }
    for file in &env.config_files {
        let path = if file.is_absolute() {
            file.clone()
        } else {
            ws.root.join(file)
        };
        let shown = ws.display_path(&path);
        match std::fs::read_to_string(&path) {
            Err(e) => problems.push(
                Diagnostic::new(
                    step,
                    Severity::Error,
                    crate::codes::CONFIG_FILE,
                    format!("cannot read {shown}: {e}"),
                )
                .at(shown, None, None),
            ),
            Ok(text) => {
                if let Err(e) = text.parse::<toml::Table>() {
                    let line = e.span().map(|s| {
                        u32::try_from(text[..s.start].lines().count().max(1)).unwrap_or(1)
                    });
                    problems.push(
                        Diagnostic::new(
                            step,
                            Severity::Error,
                            crate::codes::CONFIG_FILE,
                            format!("{shown} is not valid TOML: {}", e.message()),
                        )
                        .at(shown, line, None),
                    );
                }
            }
        }
    }
    if let Some(program) = env.restart.first()
        && let Err(why) = runnable(ws, program)
    {
        problems.push(Diagnostic::new(
            step,
            Severity::Error,
            crate::codes::RESTART_COMMAND,
            format!(
                "the restart command `{program}` {why}: a release switched to could not be started"
            ),
        ));
    }
    for target in &env.reachable {
        if let Err(why) = reachable(target, Duration::from_secs(2)) {
            problems.push(Diagnostic::new(
                step,
                Severity::Error,
                crate::codes::UNREACHABLE,
                format!("{target}: {why}"),
            ));
        }
    }
    let count = problems.len();
    for d in problems {
        session.diagnostic(d);
    }
    count
}

/// Whether `program` can be started: a path (relative to the workspace root, where the
/// command runs) to an executable file, or a name found on `PATH`.
fn runnable(ws: &Workspace, program: &str) -> std::result::Result<(), String> {
    if !program.contains('/') {
        return windlass_core::tool::on_path(program)
            .map(|_| ())
            .ok_or_else(|| "is not on PATH".to_string());
    }
    let path = ws.root.join(program);
    let meta =
        std::fs::metadata(&path).map_err(|_| format!("does not exist ({})", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
            return Err(format!("is not an executable file ({})", path.display()));
        }
    }
    let _ = meta;
    Ok(())
}

fn reachable(target: &str, timeout: Duration) -> std::result::Result<(), String> {
    let addrs: Vec<_> = target
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve: {e}"))?
        .collect();
    let mut last = "no address".to_string();
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(_) => return Ok(()),
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}

/// The `validate-config` step.
#[derive(Debug, Clone)]
pub struct ValidateConfig {
    /// The environment's name.
    pub env_name: String,
    /// Its settings.
    pub env: Environment,
}

impl Step for ValidateConfig {
    fn name(&self) -> &str {
        NAME
    }

    fn plan(&self, _ws: &Workspace, _session: &mut Session) -> Result<Plan> {
        Ok(Plan::describe(format!(
            "check the variables, config files and services that {} needs",
            self.env_name
        )))
    }

    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        let problems = check(session, ws, &self.env, NAME);
        let checked = self.env.required_env.len()
            + self.env.config_files.len()
            + self.env.reachable.len()
            + usize::from(!self.env.restart.is_empty());
        if problems == 0 {
            Ok(StepOutcome::passed(format!(
                "{checked} requirements of {} met",
                self.env_name
            )))
        } else {
            Ok(StepOutcome::failed(
                format!("{problems} of {checked} requirements not met"),
                "set the variables and fix the files named above",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use windlass_core::testing::detached;

    fn environment(toml: &str) -> Environment {
        toml::from_str(toml).expect("the test's environment parses")
    }

    fn codes(recorded: &windlass_core::testing::Recorded) -> Vec<String> {
        recorded.diagnostics().into_iter().map(|d| d.code).collect()
    }

    #[test]
    fn each_problem_is_a_diagnostic_of_its_declared_code() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("good.toml"), "a = 1\n").unwrap();
        std::fs::write(dir.path().join("bad.toml"), "a = 1\nb = \n").unwrap();
        // A port nothing listens on: bound, then released.
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let env = environment(&format!(
            r#"
            required-env = ["PATH", "WINDLASS_TEST_VARIABLE_NOBODY_SETS"]
            config-files = ["good.toml", "bad.toml", "absent.toml"]
            restart = ["no-such-program-anywhere"]
            reachable = ["{closed}"]
            "#
        ));
        let (ws, mut session, recorded) = detached(dir.path());
        let count = check(&mut session, &ws, &env, NAME);
        assert_eq!(
            codes(&recorded),
            [
                "validate-config/missing-variable",
                "validate-config/config-file",
                "validate-config/config-file",
                "validate-config/restart-command",
                "validate-config/unreachable",
            ]
        );
        assert_eq!(count, 5);
        let bad = &recorded.diagnostics()[1];
        assert_eq!(
            (bad.file.as_deref(), bad.line),
            (Some("bad.toml"), Some(2)),
            "{bad:?}"
        );
    }

    #[test]
    fn a_variable_is_named_never_its_value() {
        let dir = tempfile::tempdir().unwrap();
        let env = environment(r#"required-env = ["WINDLASS_TEST_VARIABLE_NOBODY_SETS"]"#);
        let (ws, mut session, recorded) = detached(dir.path());
        check(&mut session, &ws, &env, NAME);
        let d = &recorded.diagnostics()[0];
        assert!(d.message.contains("WINDLASS_TEST_VARIABLE_NOBODY_SETS"));
        // And a set one says nothing at all.
        let env = environment(r#"required-env = ["PATH"]"#);
        let (ws, mut session, recorded) = detached(dir.path());
        assert_eq!(check(&mut session, &ws, &env, NAME), 0);
        assert!(recorded.events().is_empty() || recorded.diagnostics().is_empty());
    }
}
