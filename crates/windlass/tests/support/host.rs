//! A deploy host on this machine: a fixture workspace whose `staging` environment deploys a
//! small HTTP service (a release chooses its behaviour) with a real restart command and real
//! health checks on loopback.

use super::{CLEAN_LIB, Fixture, Run};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The service, as a release: `mode` is healthy, unhealthy, crash, hang or slow (healthy
/// after `delay` seconds).
pub fn service(mode: &str, delay: f64) -> String {
    include_str!("../fixtures/service.py").replace(
        "MODE, DELAY = \"healthy\", 0.0",
        &format!("MODE, DELAY = {mode:?}, {delay}"),
    )
}

/// Stops the running service and starts `current/svc`, detached, recording its pid.
pub const RESTART: &str = include_str!("../fixtures/restart.sh");

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Host {
    pub fx: Fixture,
    pub port: u16,
    pub root: PathBuf,
}

impl Host {
    pub fn new(extra: &str) -> Self {
        let port = free_port();
        let fx = Fixture::with_manifest(
            CLEAN_LIB,
            &format!(
                "\n[workspace.metadata.windlass.deploy.staging]\nroot = \"host\"\nbin = \"svc\"\nrestart = [\"sh\", \"restart.sh\"]\nkeep = 3\nhealth = {{ url = \"http://127.0.0.1:{port}/health\", deadline = \"3s\", interval = \"100ms\", timeout = \"500ms\", successes = 2 }}\n{extra}"
            ),
        );
        fx.write("restart.sh", RESTART);
        let root = fx.root.join("host");
        Self { fx, port, root }
    }

    pub fn release(&self, name: &str, mode: &str, delay: f64) -> PathBuf {
        let path = self.fx.root.join(format!("artifacts/{name}"));
        self.fx
            .write(&format!("artifacts/{name}"), &service(mode, delay));
        path
    }

    pub fn command(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = self.fx.command(args);
        cmd.env("SVC_PORT", self.port.to_string());
        cmd
    }

    pub fn deploy(&self, artifact: &Path) -> Run {
        Run(self
            .command(&[
                "deploy",
                "--env",
                "staging",
                "--artifact",
                artifact.to_str().unwrap(),
            ])
            .output()
            .unwrap())
    }

    pub fn current(&self) -> String {
        std::fs::read_link(self.root.join("current"))
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned()
    }

    pub fn answering(&self) -> String {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        stream.write_all(b"GET /health HTTP/1.0\r\n\r\n").unwrap();
        let mut out = String::new();
        let _ = stream.read_to_string(&mut out);
        out
    }

    pub fn releases(&self) -> Vec<String> {
        let mut ids: Vec<String> = std::fs::read_dir(self.root.join("releases"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        ids.sort();
        ids
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.root.join("service.pid")) {
            let _ = std::process::Command::new("kill")
                .arg("-9")
                .arg(pid.trim())
                .status();
        }
    }
}

/// A one-shot server on loopback that answers every connection with `reply` (or, for
/// `trickle`, one byte a second forever).
pub fn hostile_endpoint(reply: &'static [u8], trickle: bool) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut request = [0u8; 1024];
                let _ = stream.read(&mut request);
                if trickle {
                    let _ = stream
                        .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{");
                    for _ in 0..60 {
                        if stream.write_all(b" ").is_err() {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(100));
                    }
                } else {
                    let _ = stream.write_all(reply);
                }
            });
        }
    });
    port
}
