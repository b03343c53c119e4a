//! The health check: HTTP GET until the service is healthy or a deadline passes.
//!
//! Healthy means a 2xx answer and, when the body is JSON with a `status` field, a status of
//! `healthy`/`ok`/`up`/`pass` (`degraded` only when allowed). Each attempt is bounded in time
//! and in bytes, so that a hostile or broken endpoint — a huge body, a response that never
//! ends, a redirect loop (redirects are not followed), something that is not HTTP — costs one
//! failed attempt, never a hang.

use anyhow::Result;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};
use windlass_core::event::Event;
use windlass_core::{Session, UsageError, units};

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

/// An HTTP URL, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    host: String,
    port: u16,
    path: String,
    /// `user:password` of the URL, sent as HTTP Basic credentials (and never shown: every
    /// reporter redacts a URL's password).
    credentials: Option<String>,
}

/// Parses `http://host[:port][/path]`; anything else is a usage error.
pub fn parse_url(url: &str) -> Result<Target> {
    let bad = |why: &str| -> anyhow::Error {
        UsageError::new(format!("cannot check `{url}`: {why}"))
            .hint("use an http:// URL, e.g. http://127.0.0.1:8080/health")
            .into()
    };
    // The URL goes into the request line and Host header as written: a space, CR or LF in
    // it would write headers (or a second request) of its own.
    if let Some(c) = url.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(bad(&format!(
            "it holds {}, which a URL cannot (percent-encode it)",
            match c {
                '\r' => "a carriage return".to_string(),
                '\n' => "a line feed".to_string(),
                ' ' => "a space".to_string(),
                c if c.is_control() => format!("the control character {:?}", c),
                c => format!("the character {c:?}"),
            }
        )));
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return Err(bad(if url.starts_with("https://") {
            "https is not supported; check the service on its local http port"
        } else {
            "not an http:// URL"
        }));
    };
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) if rest[i..].starts_with('/') => (&rest[..i], &rest[i..]),
        Some(i) => (&rest[..i], "/"),
        None => (rest, "/"),
    };
    // `user:password@host`: the credentials are not part of the host.
    let (credentials, authority) = match authority.rsplit_once('@') {
        Some((userinfo, host)) => (Some(percent_decode(userinfo)), host),
        None => (None, authority),
    };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| bad("unclosed [ in the host"))?;
        (
            host.to_string(),
            after.strip_prefix(':').map(str::to_string),
        )
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p.to_string())),
            None => (authority.to_string(), None),
        }
    };
    let port = match port {
        None => 80,
        Some(p) => p.parse().map_err(|_| bad("the port is not a number"))?,
    };
    if host.is_empty() {
        return Err(bad("no host"));
    }
    Ok(Target {
        host,
        port,
        path: path.to_string(),
        credentials,
    })
}

/// `%XX` decoded (what a URL's userinfo may hold); an invalid escape is kept as written.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Standard base64 with padding (RFC 4648), for a Basic `Authorization` header.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
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
    let started = Instant::now();
    let addrs: Vec<SocketAddr> = match (target.host.as_str(), target.port).to_socket_addrs() {
        Ok(a) => a.collect(),
        Err(e) => return Verdict::Unhealthy(format!("cannot resolve {}: {e}", target.host)),
    };
    let mut last_error = String::from("no address");
    let mut stream = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                last_error = "connection refused".into()
            }
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                last_error = "connect timed out".into()
            }
            Err(e) => last_error = e.to_string(),
        }
    }
    let Some(mut stream) = stream else {
        return Verdict::Unhealthy(last_error);
    };
    let host = if target.host.contains(':') {
        format!("[{}]", target.host)
    } else {
        target.host.clone()
    };
    let authorization = target
        .credentials
        .as_ref()
        .map(|c| format!("Authorization: Basic {}\r\n", base64(c.as_bytes())))
        .unwrap_or_default();
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {host}:{}\r\n{authorization}User-Agent: windlass-health-check\r\nAccept: application/json, */*\r\nConnection: close\r\n\r\n",
        target.path, target.port
    );
    let left = |started: Instant| {
        timeout
            .saturating_sub(started.elapsed())
            .max(Duration::from_millis(1))
    };
    let _ = stream.set_write_timeout(Some(left(started)));
    if let Err(e) = stream.write_all(request.as_bytes()) {
        return Verdict::Unhealthy(format!("cannot send the request: {e}"));
    }
    let mut response = Vec::new();
    let mut buf = [0u8; 8192];
    let mut truncated = false;
    loop {
        if started.elapsed() >= timeout {
            if response.is_empty() {
                return Verdict::Unhealthy("timed out waiting for a response".into());
            }
            // A response that never ends: judge what arrived.
            truncated = true;
            break;
        }
        let _ = stream.set_read_timeout(Some(left(started)));
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                response.extend_from_slice(&buf[..n]);
                if response.len() >= MAX_RESPONSE {
                    truncated = true;
                    break;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if response.is_empty() {
                    return Verdict::Unhealthy("timed out waiting for a response".into());
                }
                truncated = true;
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset && !response.is_empty() => {
                break;
            }
            Err(e) => return Verdict::Unhealthy(format!("connection failed: {e}")),
        }
    }
    judge(&response, truncated, degraded_ok)
}

/// The verdict on a raw response.
pub fn judge(response: &[u8], truncated: bool, degraded_ok: bool) -> Verdict {
    if !response.starts_with(b"HTTP/") {
        return Verdict::Unhealthy("the reply is not HTTP".into());
    }
    let Some(head_end) = response.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Verdict::Unhealthy("incomplete or oversized response headers".into());
    };
    let head = String::from_utf8_lossy(&response[..head_end]);
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or_default();
    let Some(code) = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse::<u16>().ok())
    else {
        return Verdict::Unhealthy(format!("malformed status line `{status_line}`"));
    };
    let header = |name: &str| {
        lines.clone().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    };
    if (300..400).contains(&code) {
        let to = header("location").unwrap_or_default();
        return Verdict::Unhealthy(format!(
            "status {code}, a redirect to `{to}` (not followed)"
        ));
    }
    if !(200..300).contains(&code) {
        return Verdict::Unhealthy(format!("status {code}"));
    }
    let raw_body = &response[head_end + 4..];
    let chunked = header("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        match dechunk(raw_body, truncated) {
            Ok(body) => body,
            Err(why) => return Verdict::Unhealthy(format!("status {code}, but {why}")),
        }
    } else {
        raw_body.to_vec()
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

/// The body of a chunked response, or why it is malformed: a size line that is not hex, a
/// chunk without its CRLF, a body that ends before its last (zero) chunk. A response cut
/// short by our own limits (`truncated`) is judged on the chunks that arrived whole.
fn dechunk(mut raw: &[u8], truncated: bool) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let Some(line_end) = raw.windows(2).position(|w| w == b"\r\n") else {
            return if truncated {
                Ok(out)
            } else {
                Err("the chunked body ends before its last chunk".into())
            };
        };
        let size_text = String::from_utf8_lossy(&raw[..line_end]);
        let digits = size_text.split(';').next().unwrap_or("").trim();
        let size = match usize::from_str_radix(digits, 16) {
            Ok(size) if !digits.is_empty() && digits.len() <= 16 => size,
            _ => {
                return Err(format!(
                    "the chunked body has a malformed size line `{}`",
                    size_text.chars().take(40).collect::<String>()
                ));
            }
        };
        if size == 0 {
            return Ok(out);
        }
        let start = line_end + 2;
        let Some(end) = start.checked_add(size).filter(|end| *end <= raw.len()) else {
            return if truncated {
                Ok(out)
            } else {
                Err("the chunked body ends inside a chunk".into())
            };
        };
        out.extend_from_slice(&raw[start..end]);
        match raw.get(end..end + 2) {
            Some(b"\r\n") => raw = &raw[end + 2..],
            None if truncated => return Ok(out),
            _ => return Err("a chunk of the chunked body does not end with CRLF".into()),
        }
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
        let target = parse_url("http://user:p%40ss@127.0.0.1:8080/health?x=1").unwrap();
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
