//! A minimal HTTP/1.1 client over loopback and local networks: what the health gate, the
//! Prometheus queries and the webhooks of a deploy send. Every exchange is bounded in time and
//! in bytes, headers cannot be injected (a URL holding a control character or a space is
//! refused when it is parsed), redirects are never followed, and a URL's credentials travel
//! as Basic authentication, never as part of the host. `https://` goes through `curl`
//! ([`crate::curl`]), which this module does not replace.

use anyhow::Result;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};
use windlass_core::UsageError;

/// An HTTP URL, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) path: String,
    /// `user:password` of the URL, sent as HTTP Basic credentials (and never shown: every
    /// reporter redacts a URL's password).
    pub(crate) credentials: Option<String>,
}

impl Target {
    /// The same host and credentials, another path (and query).
    pub fn with_path(&self, path: &str) -> Target {
        Target {
            path: path.to_string(),
            ..self.clone()
        }
    }
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
pub(crate) fn base64(bytes: &[u8]) -> String {
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

/// One request, bounded by `timeout` in all and by `max` bytes of response: the raw
/// response and whether it was cut short (by the bound, the time, or a reset after data).
/// `Err` says why nothing usable came back.
// Long: one bounded request: connect, write, read to the byte and time bounds; each bound ends the
// same loop.
pub fn send(
    target: &Target,
    method: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
    max: usize,
) -> Result<(Vec<u8>, bool), String> {
    let started = Instant::now();
    let addrs: Vec<SocketAddr> = match (target.host.as_str(), target.port).to_socket_addrs() {
        Ok(a) => a.collect(),
        Err(e) => return Err(format!("cannot resolve {}: {e}", target.host)),
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
        return Err(last_error);
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
    let mut extra = String::new();
    for (name, value) in headers {
        extra.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || method != "GET" {
        extra.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    let mut request = format!(
        "{method} {} HTTP/1.1\r\nHost: {host}:{}\r\n{authorization}User-Agent: windlass\r\nAccept: application/json, */*\r\n{extra}Connection: close\r\n\r\n",
        target.path, target.port
    )
    .into_bytes();
    request.extend_from_slice(body);
    let left = |started: Instant| {
        timeout
            .saturating_sub(started.elapsed())
            .max(Duration::from_millis(1))
    };
    let _ = stream.set_write_timeout(Some(left(started)));
    if let Err(e) = stream.write_all(&request) {
        return Err(format!("cannot send the request: {e}"));
    }
    let mut response = Vec::new();
    let mut buf = [0u8; 8192];
    let mut truncated = false;
    loop {
        if started.elapsed() >= timeout {
            if response.is_empty() {
                return Err("timed out waiting for a response".into());
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
                if response.len() >= max {
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
                    return Err("timed out waiting for a response".into());
                }
                truncated = true;
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset && !response.is_empty() => {
                break;
            }
            Err(e) => return Err(format!("connection failed: {e}")),
        }
    }
    Ok((response, truncated))
}

/// A parsed response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub code: u16,
    /// The status line, for messages.
    pub status_line: String,
    /// The headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked), or why it is malformed.
    pub body: std::result::Result<Vec<u8>, String>,
    /// Whether the response was cut short.
    pub truncated: bool,
}

impl Response {
    /// The first header of that name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Parses a raw response: `Err` when it is not HTTP or its headers are incomplete.
pub fn parse(response: &[u8], truncated: bool) -> std::result::Result<Response, String> {
    if !response.starts_with(b"HTTP/") {
        return Err("the reply is not HTTP".into());
    }
    let Some(head_end) = response.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Err("incomplete or oversized response headers".into());
    };
    let head = String::from_utf8_lossy(&response[..head_end]);
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or_default().to_string();
    let Some(code) = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse::<u16>().ok())
    else {
        return Err(format!("malformed status line `{status_line}`"));
    };
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            Some((k.trim().to_string(), v.trim().to_string()))
        })
        .collect();
    let raw_body = &response[head_end + 4..];
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    let body = if chunked {
        dechunk(raw_body, truncated)
    } else {
        Ok(raw_body.to_vec())
    };
    Ok(Response {
        code,
        status_line,
        headers,
        body,
        truncated,
    })
}

/// The body of a chunked response, or why it is malformed: a size line that is not hex, a
/// chunk without its CRLF, a body that ends before its last (zero) chunk. A response cut
/// short by our own limits (`truncated`) is judged on the chunks that arrived whole.
pub fn dechunk(mut raw: &[u8], truncated: bool) -> Result<Vec<u8>, String> {
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
