//! Telling people and systems what a deploy did: webhooks posted a JSON document at each phase
//! (`started`, `succeeded`, `rolled-back`, `failed`) with a `text` Slack and Teams render, and
//! hook commands run before a deploy, after it, and after a rollback. Both are bounded in time;
//! neither changes a deploy's verdict (a pre-deploy hook that fails stops the deploy before
//! anything moves, which is its purpose); a webhook's URL comes from the environment and is
//! never shown.

use serde::{Deserialize, Serialize};
use std::time::Duration;
use windlass_core::runner::Capture;
use windlass_core::{Session, Severity, units};

/// A phase of a deploy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// It begins (after the lock and the build).
    Started,
    /// The release passed its gate (and bake) and stays.
    Succeeded,
    /// It failed, and the previous release serves again.
    RolledBack,
    /// It failed, and nothing healthy serves (a first release withdrawn, a rollback that
    /// did not come back healthy, an error).
    Failed,
}

impl Phase {
    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Started => "started",
            Phase::Succeeded => "succeeded",
            Phase::RolledBack => "rolled-back",
            Phase::Failed => "failed",
        }
    }
}

/// `notify = [{ webhook = "env:DEPLOY_WEBHOOK_URL", on = [...], timeout = "10s" }]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NotifyConfig {
    /// `env:NAME`: the variable holding the URL (a webhook's URL is its secret).
    #[serde(deserialize_with = "from_env")]
    pub webhook: String,
    /// The phases posted (default: all four).
    #[serde(default = "all_phases")]
    pub on: Vec<Phase>,
    /// Each post's time limit (default `10s`).
    pub timeout: Option<units::Duration>,
}

fn all_phases() -> Vec<Phase> {
    vec![
        Phase::Started,
        Phase::Succeeded,
        Phase::RolledBack,
        Phase::Failed,
    ]
}

fn from_env<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let text = String::deserialize(d)?;
    match text.strip_prefix("env:") {
        Some(name) if is_variable(name) => Ok(name.to_string()),
        _ => Err(serde::de::Error::custom(
            "a webhook is named by the variable that holds its URL, `env:NAME` (a URL in the manifest would be a secret in the repository)",
        )),
    }
}

fn is_variable(name: &str) -> bool {
    !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

/// `hooks = { pre-deploy = [[...]], post-deploy = [[...]], post-rollback = [[...]], timeout }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct HooksConfig {
    /// Run before anything moves; one that fails stops the deploy.
    #[serde(default)]
    pub pre_deploy: Vec<Vec<String>>,
    /// Run after a release passed and stays.
    #[serde(default)]
    pub post_deploy: Vec<Vec<String>>,
    /// Run after a rollback (automatic or asked for).
    #[serde(default)]
    pub post_rollback: Vec<Vec<String>>,
    /// Each hook's time limit (default `60s`).
    pub timeout: Option<units::Duration>,
}

/// The document a webhook gets.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    /// `windlass.deploy-event/v1`.
    pub schema: &'static str,
    /// The phase.
    pub phase: Phase,
    /// The environment.
    pub environment: String,
    /// The release.
    pub release: String,
    /// Its version.
    pub version: String,
    /// Its commit.
    pub commit: String,
    /// Who ran it: `GITHUB_ACTOR`, else the user and host.
    pub performer: String,
    /// Milliseconds since the deploy began.
    pub duration_ms: u64,
    /// The verdict so far: `started`, `healthy`, `rolled-back`, `failed`.
    pub verdict: String,
    /// Why, when it failed.
    pub reasons: Vec<String>,
    /// The analysis's evaluations.
    pub analysis: Vec<crate::gate::analysis::Evaluation>,
    /// Where it was promoted from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promoted_from: Option<String>,
    /// One line for chat: Slack's and Teams' incoming webhooks show it.
    pub text: String,
}

/// Who runs the deploy.
pub fn performer() -> String {
    if let Ok(actor) = std::env::var("GITHUB_ACTOR")
        && !actor.is_empty()
    {
        return format!("{actor} (GitHub Actions)");
    }
    let user = std::env::var("USER").unwrap_or_else(|_| "someone".into());
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    if host.is_empty() {
        user
    } else {
        format!("{user}@{host}")
    }
}

/// The chat line of a document.
pub fn text(doc: &Document) -> String {
    let icon = match doc.phase {
        Phase::Started => "🚀",
        Phase::Succeeded => "✅",
        Phase::RolledBack => "↩️",
        Phase::Failed => "❌",
    };
    let mut line = format!(
        "{icon} {} of {} {} to {} by {}",
        doc.phase.as_str(),
        doc.release,
        if doc.version.is_empty() {
            ""
        } else {
            &doc.version
        },
        doc.environment,
        doc.performer
    )
    .replace("  ", " ");
    if doc.phase != Phase::Started {
        line.push_str(&format!(" in {:.0}s", doc.duration_ms as f64 / 1000.0));
    }
    if let Some(reason) = doc.reasons.first() {
        line.push_str(&format!(": {reason}"));
    }
    line
}

/// Posts `doc` to every webhook that wants its phase. A failure is a warning, never the
/// deploy's verdict.
pub fn post(session: &mut Session, configs: &[NotifyConfig], doc: &Document) {
    let body = serde_json::to_vec(doc).unwrap_or_default();
    for config in configs.iter().filter(|c| c.on.contains(&doc.phase)) {
        let Some(url) = std::env::var(&config.webhook)
            .ok()
            .filter(|u| !u.is_empty())
        else {
            session.message(
                Severity::Warning,
                format!(
                    "the {} notification was not sent: ${} is not set",
                    doc.phase.as_str(),
                    config.webhook
                ),
            );
            continue;
        };
        let timeout = config.timeout.map_or(Duration::from_secs(10), |d| d.get());
        let sent = send(session, &url, &body, timeout);
        match sent {
            Ok(code) if (200..300).contains(&code) => session.message(
                Severity::Notice,
                format!(
                    "notified ${} of {} ({code})",
                    config.webhook,
                    doc.phase.as_str()
                ),
            ),
            Ok(code) => session.message(
                Severity::Warning,
                format!(
                    "the webhook in ${} answered {code} to the {} notification",
                    config.webhook,
                    doc.phase.as_str()
                ),
            ),
            Err(why) => session.message(
                Severity::Warning,
                format!(
                    "the {} notification to ${} failed: {why}",
                    doc.phase.as_str(),
                    config.webhook
                ),
            ),
        }
    }
}

/// Posts `body` to `url`: loopback and `http://` directly, `https://` through curl.
fn send(session: &mut Session, url: &str, body: &[u8], timeout: Duration) -> Result<u16, String> {
    if url.starts_with("https://") {
        return match crate::curl::request(session, "POST", url, body, timeout) {
            Ok(Ok(reply)) => Ok(reply.code),
            Ok(Err(why)) => Err(why),
            Err(err) => Err(format!("{err:#}")),
        };
    }
    // The URL is never part of a message: only what went wrong.
    let target = crate::http::parse_url(url).map_err(|_| "the URL is not http(s)".to_string())?;
    let (raw, truncated) = crate::http::send(
        &target,
        "POST",
        &[("Content-Type", "application/json")],
        body,
        timeout,
        64 * 1024,
    )?;
    crate::http::parse(&raw, truncated).map(|r| r.code)
}

/// What a hook is told.
pub struct HookEnv<'a> {
    /// The environment.
    pub env: &'a str,
    /// The release.
    pub release: &'a str,
    /// Its version.
    pub version: &'a str,
    /// Its commit.
    pub commit: &'a str,
    /// The verdict.
    pub verdict: &'a str,
}

/// Runs `hooks` in order with the release in their environment: whether all succeeded. Each
/// failure is reported; `stop_at_failure` stops at the first (pre-deploy).
pub fn run_hooks(
    session: &mut Session,
    which: &str,
    hooks: &[Vec<String>],
    timeout: Option<units::Duration>,
    vars: &HookEnv<'_>,
    stop_at_failure: bool,
) -> anyhow::Result<bool> {
    let timeout = timeout.map_or(Duration::from_secs(60), |d| d.get());
    let mut all = true;
    for hook in hooks {
        let Some((program, args)) = hook.split_first() else {
            continue;
        };
        let sh = session.shell();
        let cmd = sh
            .cmd(program)
            .args(args)
            .env("WINDLASS_ENV", vars.env)
            .env("WINDLASS_RELEASE", vars.release)
            .env("WINDLASS_VERSION", vars.version)
            .env("WINDLASS_COMMIT", vars.commit)
            .env("WINDLASS_VERDICT", vars.verdict)
            .env("WINDLASS_PERFORMER", performer());
        let finished = session
            .cmd(cmd)
            .capture(Capture::Everything)
            .timeout(timeout)
            .run()?;
        if !finished.success() {
            all = false;
            let why = if finished.timed_out {
                format!("ran past its {:.0}s limit", timeout.as_secs_f64())
            } else {
                format!("{}: {}", finished.status, finished.stderr.trim())
            };
            session.message(
                Severity::Warning,
                format!("the {which} hook `{}` failed ({why})", hook.join(" ")),
            );
            if stop_at_failure {
                break;
            }
        }
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_is_a_variable_never_a_url() {
        let ok: NotifyConfig = toml::from_str("webhook = \"env:DEPLOY_HOOK\"\n").unwrap();
        assert_eq!(ok.webhook, "DEPLOY_HOOK");
        assert_eq!(ok.on.len(), 4);
        for bad in [
            "https://hooks.slack.com/services/T/B/x",
            "env:",
            "env:1X",
            "env:A B",
        ] {
            let err = toml::from_str::<NotifyConfig>(&format!("webhook = {bad:?}\n"))
                .unwrap_err()
                .to_string();
            assert!(err.contains("env:NAME"), "{bad}: {err}");
        }
        assert!(
            toml::from_str::<NotifyConfig>("webhook = \"env:X\"\non = [\"sometimes\"]\n").is_err()
        );
    }

    #[test]
    fn the_chat_line_says_what_happened() {
        let doc = Document {
            schema: "windlass.deploy-event/v1",
            phase: Phase::RolledBack,
            environment: "production".into(),
            release: "r2".into(),
            version: "1.2.0".into(),
            commit: "abc".into(),
            performer: "alice".into(),
            duration_ms: 42_000,
            verdict: "rolled-back".into(),
            reasons: vec!["analysis `error-rate` failed".into()],
            analysis: Vec::new(),
            promoted_from: None,
            text: String::new(),
        };
        assert_eq!(
            text(&doc),
            "↩️ rolled-back of r2 1.2.0 to production by alice in 42s: analysis `error-rate` failed"
        );
    }
}
