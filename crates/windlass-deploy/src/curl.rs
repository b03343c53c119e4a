//! `https://` requests (a Slack or Teams webhook, a hosted Prometheus) through `curl`, which
//! every CI runner and server has: the URL — a webhook's is a secret — goes in a config file
//! in a private scratch directory, never on the command line where `ps` and the echoed command
//! would show it; the body goes on stdin; the time is bounded.

use anyhow::Result;
use std::time::Duration;
use windlass_core::Session;
use windlass_core::files::{Perm, ScratchDir};
use windlass_core::runner::Capture;

/// What `curl` got back: the status code and the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status code (0 when no response came).
    pub code: u16,
    /// The body, at most a megabyte.
    pub body: String,
}

/// `method url` with `body` (JSON when not empty), within `timeout`. `Err` says why no
/// response came (curl's words, the URL never in them).
pub fn request(
    session: &mut Session,
    method: &str,
    url: &str,
    body: &[u8],
    timeout: Duration,
) -> Result<std::result::Result<Reply, String>> {
    let scratch = ScratchDir::new("curl")?;
    let quoted = url.replace('\\', "\\\\").replace('"', "\\\"");
    let mut config = format!("url = \"{quoted}\"\n");
    if !body.is_empty() {
        config.push_str("header = \"Content-Type: application/json\"\ndata-binary = \"@-\"\n");
    }
    scratch
        .root()?
        .write_atomic(
            std::path::Path::new("config"),
            config.as_bytes(),
            Perm::Keep,
        )
        .map_err(windlass_core::files::error)?;
    let sh = session.shell();
    let cmd = sh
        .cmd("curl")
        .args([
            "--silent",
            "--show-error",
            "--max-redirs",
            "0",
            "--max-filesize",
            "1048576",
            "--write-out",
            "\n%{http_code}",
            "--request",
            method,
            "--max-time",
        ])
        .arg(format!("{:.1}", timeout.as_secs_f64().max(1.0)))
        .arg("--config")
        .arg(scratch.path().join("config"));
    let finished = session
        .cmd(cmd)
        .capture(Capture::Everything)
        .stdin(body.to_vec())
        .timeout(timeout + Duration::from_secs(5))
        .quiet()
        .run()?;
    let (text, code) = finished
        .stdout
        .rsplit_once('\n')
        .map_or((String::new(), 0), |(t, c)| {
            (t.to_string(), c.trim().parse().unwrap_or(0))
        });
    if !finished.success() && code == 0 {
        // curl names the host, never the path and query a webhook's secret is in.
        return Ok(Err(finished.stderr.trim().to_string()));
    }
    Ok(Ok(Reply { code, body: text }))
}
