//! The health check: HTTP GET until the service is healthy or a deadline passes.
//!
//! Healthy means a 2xx answer and, when the body is JSON with a `status` field, a status of
//! `healthy`/`ok`/`up`/`pass` (`degraded` only when allowed). Each attempt is bounded in time
//! and in bytes, so that a hostile or broken endpoint — a huge body, a response that never
//! ends, a redirect loop (redirects are not followed), something that is not HTTP — costs one
//! failed attempt, never a hang.

use crate::http;
pub use crate::http::{Target, parse_url};
use anyhow::Result;
use std::time::{Duration, Instant};
use windlass_core::event::Event;
use windlass_core::{Session, units};

/// The most of a response read: enough for any health body.
const MAX_RESPONSE: usize = 64 * 1024;

/// How to check.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthOptions {
    /// `http://host:port/path`.
    pub url: String,
    /// Give up after this long.
    pub deadline: Duration,
    /// Wait between attempts (growing by half up to four times this, with jitter).
    pub interval: Duration,
    /// Each attempt's time limit.
    pub timeout: Duration,
    /// Consecutive healthy answers required.
    pub successes: u32,
    /// Whether `"status": "degraded"` counts as healthy.
    pub degraded_ok: bool,
}

impl Default for HealthOptions {
    fn default() -> Self {
        Self {
            url: "http://127.0.0.1:8080/health".into(),
            deadline: Duration::from_secs(60),
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            successes: 2,
            degraded_ok: false,
        }
    }
}

/// `[...deploy.<env>] health = { url, deadline, interval, timeout, successes, degraded-ok }`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct HealthConfig {
    /// The URL.
    pub url: Option<String>,
    /// `60s`.
    pub deadline: Option<units::Duration>,
    /// `1s`.
    pub interval: Option<units::Duration>,
    /// `1s`.
    pub timeout: Option<units::Duration>,
    /// 2.
    pub successes: Option<u32>,
    /// false.
    pub degraded_ok: Option<bool>,
}

impl HealthConfig {
    /// The options, defaults filled in (the durations were checked when the config loaded).
    pub fn options(&self) -> HealthOptions {
        let d = HealthOptions::default();
        let or =
            |value: Option<units::Duration>, default: Duration| value.map_or(default, |v| v.get());
        HealthOptions {
            url: self.url.clone().unwrap_or(d.url),
            deadline: or(self.deadline, d.deadline),
            interval: or(self.interval, d.interval),
            timeout: or(self.timeout, d.timeout),
            successes: self.successes.unwrap_or(d.successes).max(1),
            degraded_ok: self.degraded_ok.unwrap_or(d.degraded_ok),
        }
    }
}

/// One attempt's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Healthy, with what was seen.
    Healthy(String),
    /// Not healthy, and why.
    Unhealthy(String),
}

/// One GET, bounded by `timeout` in all.
pub fn probe(target: &Target, timeout: Duration, degraded_ok: bool) -> Verdict {
    match http::send(target, "GET", &[], &[], timeout, MAX_RESPONSE) {
        Ok((response, truncated)) => judge(&response, truncated, degraded_ok),
        Err(why) => Verdict::Unhealthy(why),
    }
}

/// The verdict on a raw response.
pub fn judge(response: &[u8], truncated: bool, degraded_ok: bool) -> Verdict {
    let parsed = match http::parse(response, truncated) {
        Ok(parsed) => parsed,
        Err(why) => return Verdict::Unhealthy(why),
    };
    let code = parsed.code;
    if (300..400).contains(&code) {
        let to = parsed.header("location").unwrap_or_default();
        return Verdict::Unhealthy(format!(
            "status {code}, a redirect to `{to}` (not followed)"
        ));
    }
    if !(200..300).contains(&code) {
        return Verdict::Unhealthy(format!("status {code}"));
    }
    let body = match parsed.body {
        Ok(body) => body,
        Err(why) => return Verdict::Unhealthy(format!("status {code}, but {why}")),
    };
    let text = String::from_utf8_lossy(&body);
    let trimmed = text.trim();
    if !trimmed.starts_with('{') {
        return Verdict::Healthy(format!("status {code}"));
    }
    let Ok(json) = serde_json::from_str::<serde_json::Value>(trimmed) else {
        return if truncated {
            Verdict::Unhealthy(format!(
                "status {code}, but the JSON body is too large to read"
            ))
        } else {
            Verdict::Unhealthy(format!("status {code}, but the body is not valid JSON"))
        };
    };
    match json
        .get("status")
        .and_then(|s| s.as_str())
        .map(str::to_ascii_lowercase)
    {
        None => Verdict::Healthy(format!("status {code}")),
        Some(s) if ["healthy", "ok", "up", "pass"].contains(&s.as_str()) => {
            Verdict::Healthy(format!("status {code}, {s}"))
        }
        Some(s) if s == "degraded" && degraded_ok => {
            Verdict::Healthy(format!("status {code}, degraded (allowed)"))
        }
        Some(s) => Verdict::Unhealthy(format!("status {code}, but the body says `{s}`")),
    }
}

/// How a wait ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Whether the service was healthy in time.
    pub healthy: bool,
    /// How many attempts were made.
    pub attempts: u32,
    /// How long it took.
    pub elapsed: Duration,
    /// The last reason it was not healthy.
    pub last_reason: Option<String>,
}

/// Checks until `successes` consecutive healthy answers, or the deadline. Every attempt is
/// logged with its elapsed time and, when it failed, why.
pub fn wait_healthy(session: &mut Session, step: &str, options: &HealthOptions) -> Result<Outcome> {
    let target = parse_url(&options.url)?;
    let started = Instant::now();
    let (mut attempts, mut streak) = (0, 0);
    let mut pause = options.interval;
    let mut last_reason = None;
    loop {
        if session.stop_requested() {
            return Err(windlass_core::Interrupted.into());
        }
        let remaining = options.deadline.saturating_sub(started.elapsed());
        if remaining.is_zero() {
            break;
        }
        attempts += 1;
        let verdict = probe(&target, options.timeout.min(remaining), options.degraded_ok);
        let at = started.elapsed().as_secs_f64();
        let line = match &verdict {
            Verdict::Healthy(what) => {
                streak += 1;
                format!(
                    "  attempt {attempts} at {at:.2}s: healthy ({what}), {streak}/{}",
                    options.successes
                )
            }
            Verdict::Unhealthy(why) => {
                streak = 0;
                last_reason = Some(why.clone());
                format!("  attempt {attempts} at {at:.2}s: not healthy: {why}")
            }
        };
        session.emit(Event::Output {
            step: step.to_string(),
            text: line,
        });
        if streak >= options.successes {
            return Ok(Outcome {
                healthy: true,
                attempts,
                elapsed: started.elapsed(),
                last_reason: None,
            });
        }
        let wait = if streak > 0 {
            options.interval
        } else {
            jitter(pause)
        };
        let remaining = options.deadline.saturating_sub(started.elapsed());
        if remaining.is_zero() {
            break;
        }
        // In slices, so that Ctrl-C or SIGTERM is answered at once.
        let until = Instant::now() + wait.min(remaining);
        while Instant::now() < until && !session.stop_requested() {
            std::thread::sleep(
                until
                    .saturating_duration_since(Instant::now())
                    .min(Duration::from_millis(50)),
            );
        }
        if streak == 0 {
            pause = pause
                .saturating_add(pause / 2)
                .min(options.interval.saturating_mul(4));
        }
    }
    Ok(Outcome {
        healthy: false,
        attempts,
        elapsed: started.elapsed(),
        last_reason,
    })
}

/// ±10%, so that many checkers do not beat in step.
fn jitter(d: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |t| t.subsec_nanos());
    // 9000..=10998 parts in 10000.
    let parts = 9000 + (nanos % 1000) * 2;
    d.checked_mul(parts).map_or(d, |scaled| scaled / 10_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::base64;

    #[test]
    fn urls_parse_and_https_is_refused() {
        assert_eq!(
            parse_url("http://127.0.0.1:8080/health").unwrap(),
            Target {
                host: "127.0.0.1".into(),
                port: 8080,
                path: "/health".into(),
                credentials: None,
            }
        );
        assert_eq!(parse_url("http://[::1]:9/").unwrap().host, "::1");
        assert_eq!(parse_url("http://localhost").unwrap().port, 80);
        assert!(
            parse_url("https://x/health")
                .unwrap_err()
                .to_string()
                .contains("https is not supported")
        );
        assert!(parse_url("ftp://x").is_err());
    }

    #[test]
    fn responses_are_judged_by_status_and_json_status() {
        let ok = |r: &str| judge(r.as_bytes(), false, false);
        assert!(matches!(
            ok("HTTP/1.1 200 OK\r\n\r\n{\"status\":\"healthy\"}"),
            Verdict::Healthy(_)
        ));
        assert!(matches!(
            ok("HTTP/1.1 200 OK\r\n\r\nfine"),
            Verdict::Healthy(_)
        ));
        assert_eq!(
            ok("HTTP/1.1 200 OK\r\n\r\n{\"status\":\"down\"}"),
            Verdict::Unhealthy("status 200, but the body says `down`".into())
        );
        assert!(matches!(
            judge(
                b"HTTP/1.1 200 OK\r\n\r\n{\"status\":\"degraded\"}",
                false,
                true
            ),
            Verdict::Healthy(_)
        ));
        assert_eq!(
            ok("HTTP/1.1 503 Service Unavailable\r\n\r\n"),
            Verdict::Unhealthy("status 503".into())
        );
        assert_eq!(
            ok("HTTP/1.1 302 Found\r\nLocation: /health\r\n\r\n"),
            Verdict::Unhealthy("status 302, a redirect to `/health` (not followed)".into())
        );
        assert_eq!(
            ok("SSH-2.0-OpenSSH\r\n"),
            Verdict::Unhealthy("the reply is not HTTP".into())
        );
        assert!(matches!(
            ok(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n{\"statu\r\nd\r\ns\":\"healthy\"}\r\n0\r\n\r\n"
            ),
            Verdict::Healthy(_)
        ));
    }

    #[test]
    fn a_malformed_chunked_body_is_not_healthy() {
        let chunked = |body: &str| {
            judge(
                format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{body}").as_bytes(),
                false,
                false,
            )
        };
        for (body, why) in [
            ("zz\r\nhello\r\n0\r\n\r\n", "malformed size line `zz`"),
            ("\r\n", "malformed size line"),
            (
                "ffffffffffffffffff\r\nx\r\n0\r\n\r\n",
                "malformed size line",
            ),
            ("5\r\nhel", "ends inside a chunk"),
            ("5\r\nhello", "does not end with CRLF"),
            ("5\r\nhelloXX0\r\n\r\n", "does not end with CRLF"),
            ("5\r\nhello\r\n", "ends before its last chunk"),
        ] {
            match chunked(body) {
                Verdict::Unhealthy(said) => assert!(said.contains(why), "{body:?}: {said}"),
                healthy => panic!("{body:?} judged {healthy:?}"),
            }
        }
        // Cut short by our own limit: judged on the whole chunks that arrived.
        assert!(matches!(
            judge(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n5\r\nhel",
                true,
                false
            ),
            Verdict::Healthy(_)
        ));
    }

    #[test]
    fn a_url_with_a_control_character_or_space_is_refused() {
        for url in [
            "http://127.0.0.1:8080/health\r\nX-Injected: 1",
            "http://127.0.0.1:8080/health\nHost: evil",
            "http://127.0.0.1:8080/he alth",
            "http://127.0.0.1:8080/\u{0}",
            "http://127.0.0.1:8080/h\u{e9}alth",
        ] {
            let err = parse_url(url).unwrap_err().to_string();
            assert!(err.contains("which a URL cannot"), "{url:?}: {err}");
        }
    }

    #[test]
    fn credentials_in_a_url_are_not_the_host_and_go_as_basic_auth() {
        let target = parse_url("http://user:p%40ss@127.0.0.1:8080/health?x=1").unwrap(); // windlass:allow-secret
        assert_eq!(target.host, "127.0.0.1");
        assert_eq!(target.port, 8080);
        assert_eq!(target.credentials.as_deref(), Some("user:p@ss"));
        assert_eq!(base64(b"user:p@ss"), "dXNlcjpwQHNz");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b""), "");
        let plain = parse_url("http://127.0.0.1:8080").unwrap();
        assert_eq!((plain.credentials, plain.path.as_str()), (None, "/"));
    }
}
