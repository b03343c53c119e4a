//! Test services: a local process and an image run with the real Docker engine, started
//! around `test` (and a command step that asks for them), their addresses exported to the
//! tests, stopped after — nothing left behind, even when a service never gets ready.
// In test helpers a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::Path;
use std::process::Command;
use support::*;

/// A library whose one test talks to the echo service at `$ECHO_PORT`: it can only pass
/// when windlass started the service and exported its address.
const ECHO_CLIENT: &str = r#"//! A client of the echo service.

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};

    #[test]
    fn talks_to_the_service() {
        let port: u16 = std::env::var("ECHO_PORT").unwrap().parse().unwrap();
        assert_eq!(std::env::var("ECHO_HOST").unwrap(), "127.0.0.1");
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.write_all(b"ping\n").unwrap();
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line).unwrap();
        assert_eq!(line, "ping\n");
        assert_eq!(std::env::var("ECHO_URL").unwrap(), format!("tcp://127.0.0.1:{port}"));
    }
}
"#;

fn echo_script() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/echo.py")
        .to_string_lossy()
        .into_owned()
}

/// The port a `service ... ready at 127.0.0.1:PORT` notice names.
fn ready_port(out: &str) -> u16 {
    let at = out
        .find("ready at 127.0.0.1:")
        .unwrap_or_else(|| panic!("{out}"));
    out[at + "ready at 127.0.0.1:".len()..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn nothing_listens(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
}

#[test]
fn a_process_service_runs_around_the_tests_and_is_gone_after() {
    let fx = Fixture::with_manifest(
        ECHO_CLIENT,
        &format!(
            "\n[workspace.metadata.windlass.test.services.echo]\nrun = [\"python3\", {:?}, \"{{port}}\", \"0.3\"]\nexport = {{ ECHO_URL = \"tcp://{{host}}:{{port}}\" }}\n",
            echo_script()
        ),
    );
    let run = fx.run(&["test"]);
    let out = run.stdout();
    assert_eq!(run.code(), 0, "{out}{}", run.stderr());
    assert!(
        out.contains("exported ECHO_HOST, ECHO_PORT, ECHO_URL"),
        "{out}"
    );
    assert!(out.contains("1 passed"), "{out}");
    let port = ready_port(&out);
    assert!(
        nothing_listens(port),
        "the service is stopped after the step"
    );

    // The same service for a command step that asks for it; and the plan says so.
    let manifest = fx.read("Cargo.toml");
    fx.write(
        "Cargo.toml",
        &format!(
            "{manifest}\n[workspace.metadata.windlass.steps.ping]\nrun = [\"python3\", \"-c\", \"import os,socket; s=socket.create_connection(('127.0.0.1', int(os.environ['ECHO_PORT']))); s.sendall(b'x\\\\n'); assert s.recv(2) == b'x\\\\n'\"]\nservices = [\"echo\"]\n"
        ),
    );
    let plan = fx
        .run(&["ci", "--only", "ping", "--dry-run"])
        .expect_code(0);
    assert!(
        plan.stdout().contains("start the services echo (`python3 "),
        "{}",
        plan.stdout()
    );
    fx.run(&["ci", "--only", "ping"]).expect_code(0);

    fx.write(
        "Cargo.toml",
        &format!("{manifest}\n[workspace.metadata.windlass.steps.ping]\nrun = [\"true\"]\nservices = [\"redis\"]\n"),
    );
    let run = fx.run(&["ci", "--only", "ping"]).expect_code(2);
    assert!(
        run.stderr().contains("needs the service `redis`, which"),
        "{}",
        run.stderr()
    );
}

#[test]
fn a_service_that_is_never_ready_fails_with_its_logs_and_leaves_nothing() {
    let marker = format!("windlass-never-ready-{}", std::process::id());
    let fx = Fixture::with_manifest(
        ECHO_CLIENT,
        &format!(
            "\n[workspace.metadata.windlass.test.services.echo]\nrun = [\"python3\", \"-c\", \"print('{marker} booting', flush=True); import time; time.sleep(60)\", \"{{port}}\"]\nready = \"tcp\"\ndeadline = \"1s\"\n"
        ),
    );
    let run = fx.run(&["test"]).expect_code(2);
    let all = run.all_output();
    assert!(
        all.contains("the test service `echo` was not ready within 1s: nothing accepted connections on 127.0.0.1:"),
        "{all}"
    );
    assert!(
        all.contains("--- the last log lines of the service `echo`")
            && all.contains(&format!("{marker} booting")),
        "its logs are shown: {all}"
    );
    let left = Command::new("pgrep")
        .args(["-f", &marker])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&left.stdout).trim().is_empty(),
        "no process left behind"
    );
}

/// A static echo server on port 7000, in an image built here `FROM scratch` (nothing can be
/// pulled): what a team's own test dependency image is to the engine.
const ECHO_SERVER: &str = r#"
use std::io::{BufRead, BufReader, Write};
fn main() {
    println!("echo image listening on 7000");
    let listener = std::net::TcpListener::bind("0.0.0.0:7000").unwrap();
    for stream in listener.incoming().flatten() {
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 {
                let _ = (&stream).write_all(line.as_bytes());
                line.clear();
            }
        });
    }
}
"#;

struct Image(String);

impl Drop for Image {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["rmi", "--force", &self.0])
            .output();
    }
}

fn echo_image(dir: &Path) -> Image {
    let tag = format!("windlass-test-echo:{}", std::process::id());
    build_static(dir, ECHO_SERVER, "echo");
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM scratch\nCOPY echo /echo\nENTRYPOINT [\"/echo\"]\n",
    )
    .unwrap();
    let out = Command::new("docker")
        .args(["build", "--quiet", "--tag", &tag, "."])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Image(tag)
}

#[test]
fn an_image_service_runs_in_docker_around_the_tests_and_is_removed() {
    if !docker_available() {
        return;
    }
    let build = tempfile::tempdir().unwrap();
    let image = echo_image(build.path());
    let fx = Fixture::with_manifest(
        ECHO_CLIENT,
        &format!(
            "\n[workspace.metadata.windlass.test.services.echo]\nimage = \"{}\"\nports = [7000]\nexport = {{ ECHO_URL = \"tcp://{{host}}:{{port:7000}}\" }}\n",
            image.0
        ),
    );
    let run = fx.run(&["test"]);
    let out = run.stdout();
    assert_eq!(run.code(), 0, "{out}{}", run.stderr());
    assert!(out.contains("$ docker run --detach"), "{out}");
    assert!(
        out.contains("exported ECHO_HOST, ECHO_PORT, ECHO_PORT_7000, ECHO_URL"),
        "{out}"
    );
    let left = Command::new("docker")
        .args([
            "ps",
            "--all",
            "--quiet",
            "--filter",
            &format!("ancestor={}", image.0),
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&left.stdout).trim().is_empty(),
        "the container is removed"
    );

    // A failing test shows the service's logs.
    fx.write(
        "src/lib.rs",
        &ECHO_CLIENT.replace("\"ping\\n\");", "\"pong\\n\");"),
    );
    let out = fx.run(&["test"]).expect_code(1).stdout();
    assert!(
        out.contains("--- the last log lines of the service `echo`\necho image listening on 7000"),
        "{out}"
    );
}

/// Ctrl-C while the tests run: the service stops with them, and the run exits 130.
#[test]
fn an_interrupt_stops_the_services_too() {
    let fx = Fixture::with_manifest(
        "",
        &format!(
            "\n[workspace.metadata.windlass.test.services.echo]\nrun = [\"python3\", {:?}, \"{{port}}\"]\n",
            echo_script()
        ),
    );
    let marker = fx.root.join("port");
    fx.write(
        "src/lib.rs",
        &format!(
            "//! S.\n\n#[cfg(test)]\nmod tests {{\n    #[test]\n    fn sleeps() {{\n        std::fs::write({marker:?}, std::env::var(\"ECHO_PORT\").unwrap()).unwrap();\n        std::thread::sleep(std::time::Duration::from_secs(120));\n    }}\n}}\n"
        ),
    );
    let mut child = fx
        .command(&["test", "--runner", "cargo"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while !marker.exists() {
        assert!(started.elapsed().as_secs() < 120, "the test never started");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let port: u16 = std::fs::read_to_string(&marker).unwrap().parse().unwrap();
    assert!(
        !nothing_listens(port),
        "the service runs while the tests do"
    );
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        assert!(started.elapsed().as_secs() < 150, "windlass did not stop");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(code, Some(130));
    assert!(nothing_listens(port), "the service stopped with the run");
}
