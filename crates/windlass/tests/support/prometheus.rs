//! A real Prometheus (Debian's `prometheus` package) on loopback, scraping targets every
//! second, for the tests of the deploy gate's analysis.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Prometheus {
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    /// Started with `binary`, scraping each of `targets` (`127.0.0.1:PORT`) as its own job
    /// every second; ready when this returns.
    pub fn start(binary: &Path, targets: &[(&str, String)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = super::host::free_port();
        let jobs: String = targets
            .iter()
            .map(|(job, target)| {
                format!(
                    "  - job_name: {job}\n    static_configs:\n      - targets: [\"{target}\"]\n"
                )
            })
            .collect();
        std::fs::write(
            dir.path().join("prometheus.yml"),
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n{jobs}"
            ),
        )
        .unwrap();
        let child = Command::new(binary)
            .arg(format!(
                "--config.file={}",
                dir.path().join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let prometheus = Self {
            port,
            child,
            _dir: dir,
        };
        let started = Instant::now();
        while !prometheus.get("/-/ready").contains("200 OK") {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "Prometheus did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        prometheus
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn get(&self, path: &str) -> String {
        let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else {
            return String::new();
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let _ = write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
        let mut out = String::new();
        let _ = stream.read_to_string(&mut out);
        out
    }

    /// The first value of an instant query, once it has one (within `wait`).
    pub fn value(&self, query: &str, wait: Duration) -> Option<f64> {
        let encoded: String = query
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let started = Instant::now();
        loop {
            let answer = self.get(&format!("/api/v1/query?query={encoded}"));
            let body = answer.split("\r\n\r\n").nth(1).unwrap_or("");
            if let Ok(json) = serde_json::from_str::<serde_json::Value>(body)
                && let Some(v) = json["data"]["result"][0]["value"][1].as_str()
            {
                return v.parse().ok();
            }
            if started.elapsed() > wait {
                return None;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        self.stop();
    }
}
