//! `docker-build` against the real Docker engine: images built from `scratch` (nothing can be
//! pulled here), labels and tags inspected, smoke tests that pass and that fail.
// In test helpers a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

use std::process::Command;
use support::*;

/// An ordinary HTTP service that knows nothing of windlass: it serves `GET /health` on 8080
/// (200, or 503 when it is not healthy) and has no `health` subcommand of its own — a second
/// copy started as a probe would only fail to bind the port.
fn service(healthy: bool) -> String {
    let status = if healthy {
        "200 OK"
    } else {
        "503 Service Unavailable"
    };
    format!(
        r#"//! A fixture service.
use std::io::{{Read, Write}};

fn main() {{
    println!("listening on 8080");
    let listener = std::net::TcpListener::bind("0.0.0.0:8080").expect("port 8080");
    for stream in listener.incoming().flatten() {{
        let mut stream = stream;
        let mut request = [0u8; 512];
        let _ = stream.read(&mut request);
        let _ = stream.write_all(b"HTTP/1.0 {status}\r\n\r\n{{\"status\":\"healthy\"}}");
    }}
}}
"#
    )
}

/// A service workspace in git, with a unique image name; its images are removed on drop.
struct Project {
    fx: Fixture,
    image: String,
}

impl Project {
    fn new(healthy: bool) -> Self {
        static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let image = format!("windlass-test-{}-{n}", std::process::id());
        let fx = Fixture::with_manifest(
            "",
            &format!("\n[workspace.metadata.windlass.docker]\nimage = \"{image}\"\n"),
        );
        fx.write(
            "Cargo.toml",
            &fx.read("Cargo.toml")
                .replace("name = \"fixture\"", "name = \"svc\"")
                .replace("[package]\n", "[package]\nlicense = \"MIT\"\n"),
        );
        std::fs::remove_file(fx.root.join("src/lib.rs")).unwrap();
        fx.write("src/main.rs", &service(healthy));
        fx.write(".gitignore", "/target\n");
        git(&fx.root, &["init", "--quiet"]);
        git(&fx.root, &["add", "."]);
        git(
            &fx.root,
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "commit",
                "--quiet",
                "-m",
                "svc",
            ],
        );
        Self { fx, image }
    }

    fn build(&self, extra: &[&str], epoch: &str) -> Run {
        let mut args = vec!["docker-build", "--prebuilt", "--deadline", "20s"];
        args.extend_from_slice(extra);
        Run(self
            .fx
            .command(&args)
            .env("SOURCE_DATE_EPOCH", epoch)
            .output()
            .unwrap())
    }

    fn labels(&self, tag: &str) -> serde_json::Value {
        let out = Command::new("docker")
            .args([
                "image",
                "inspect",
                "--format",
                "{{json .Config.Labels}}",
                &format!("{}:{tag}", self.image),
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let out = Command::new("docker")
            .args([
                "images",
                "--format",
                "{{.Repository}}:{{.Tag}}",
                &self.image,
            ])
            .output();
        if let Ok(out) = out {
            for tag in String::from_utf8_lossy(&out.stdout).lines() {
                let _ = Command::new("docker")
                    .args(["rmi", "--force", tag])
                    .output();
            }
        }
    }
}

#[test]
fn a_prebuilt_scratch_image_is_labelled_tagged_reproducibly_and_smoke_tested() {
    if !docker_available() {
        return;
    }
    let project = Project::new(true);
    let run = project.build(&["--smoke"], "1700000000").expect_code(0);
    assert!(run.stdout().contains("healthy after"), "{}", run.stdout());
    assert!(
        run.stdout().contains(
            "HEALTHCHECK: windlass's static HTTP probe GETs http://127.0.0.1:8080/health"
        ),
        "the user is told which probe: {}",
        run.stdout()
    );
    let head = git(&project.fx.root, &["rev-parse", "HEAD"]);
    let labels = project.labels("0.1.0");
    assert_eq!(
        labels["org.opencontainers.image.created"],
        "2023-11-14T22:13:20Z"
    );
    assert_eq!(labels["org.opencontainers.image.revision"], head.as_str());
    assert_eq!(labels["org.opencontainers.image.version"], "0.1.0");
    assert_eq!(labels["org.opencontainers.image.title"], "svc");
    assert_eq!(labels["org.opencontainers.image.licenses"], "MIT");
    assert_eq!(
        project.labels(&format!("sha-{}", &head[..7])),
        labels,
        "both tags name one image"
    );

    project.build(&[], "1700000000").expect_code(0);
    assert_eq!(
        project.labels("0.1.0"),
        labels,
        "the same SOURCE_DATE_EPOCH gives the same labels"
    );
    let user = Command::new("docker")
        .args([
            "image",
            "inspect",
            "--format",
            "{{.Config.User}}",
            &format!("{}:0.1.0", project.image),
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&user.stdout).trim(), "65532:65532");
}

#[test]
fn a_failing_health_check_fails_the_smoke_test_with_logs_and_no_container_left() {
    if !docker_available() {
        return;
    }
    let project = Project::new(false);
    let run = project.build(&["--smoke"], "1700000000").expect_code(1);
    let out = run.stdout();
    assert!(
        out.contains("is not healthy: its HEALTHCHECK reports unhealthy"),
        "{out}"
    );
    assert!(
        out.contains("--- the container's last log lines") && out.contains("listening on 8080"),
        "{out}"
    );
    assert!(out.contains("--- the health log\nexit 1"), "{out}");
    let left = Command::new("docker")
        .args([
            "ps",
            "--all",
            "--quiet",
            "--filter",
            &format!("ancestor={}:0.1.0", project.image),
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&left.stdout).trim().is_empty(),
        "the container is removed"
    );
}

#[test]
fn init_writes_a_dockerfile_that_passes_hadolint_and_the_check() {
    let project = Project::new(true);
    let fx = &project.fx;
    fx.run(&["docker-build", "--init"]).expect_code(0);
    let dockerfile = fx.read("Dockerfile");
    assert!(
        dockerfile.contains("FROM gcr.io/distroless/cc-debian12:nonroot"),
        "{dockerfile}"
    );
    assert!(dockerfile.contains("HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 CMD [\"/usr/local/bin/healthprobe\", \"http://127.0.0.1:8080/health\"]"), "{dockerfile}");
    assert!(
        dockerfile
            .contains("COPY --from=builder /usr/local/bin/healthprobe /usr/local/bin/healthprobe"),
        "{dockerfile}"
    );
    assert_eq!(
        fx.read("docker/healthprobe.rs"),
        include_str!("../../windlass-docker/probe/healthprobe.rs")
    );
    assert!(fx.read(".dockerignore").contains(".env"));
    fx.run(&["docker-build", "--check"]).expect_code(0);
    let kept = fx.run(&["docker-build", "--init"]).expect_code(0);
    assert!(
        kept.stdout().contains("kept Dockerfile"),
        "never overwritten without --force"
    );

    let hadolint = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("hadolint"))
            .find(|c| c.is_file())
    });
    match hadolint {
        Some(hadolint) => {
            let out = Command::new(hadolint)
                .arg(fx.root.join("Dockerfile"))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "hadolint: {}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        None => assert!(
            std::env::var_os("WINDLASS_REQUIRE_TOOLS").is_none(),
            "hadolint is required but not installed"
        ),
    }

    fx.write("Dockerfile", "FROM rust\nADD . /src\nHEALTHCHECK CMD curl -f http://localhost:8080/health\nFROM gcr.io/distroless/cc-debian12:latest\nCMD /svc\n");
    let report = fx
        .run(&["docker-build", "--check", "--format", "json"])
        .expect_code(1)
        .json();
    let found: Vec<(u64, String)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["line"].as_u64().unwrap(),
                d["title"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (1, "base-pinned"),
            (2, "no-add"),
            (4, "base-pinned"),
            (5, "exec-form"),
            // The builder's HEALTHCHECK is not the image's: the final stage has none.
            (5, "healthcheck"),
            (5, "non-root")
        ]
        .map(|(n, r)| (n, r.to_string()))
    );

    let dry = fx
        .run(&["docker-build", "--dry-run"])
        .expect_code(0)
        .stdout();
    assert!(
        dry.contains("docker build --file")
            && dry.contains(&format!("--tag {}:0.1.0", project.image)),
        "{dry}"
    );
    assert!(
        dry.contains("--label org.opencontainers.image.version=0.1.0"),
        "{dry}"
    );
}

/// A binary that checks its own health says so in the config, and the HEALTHCHECK runs it.
#[test]
fn a_binary_that_probes_itself_is_run_as_the_healthcheck() {
    let project = Project::new(true);
    let fx = &project.fx;
    fx.write(
        "Cargo.toml",
        &format!("{}healthcheck = [\"health\"]\n", fx.read("Cargo.toml")),
    );
    let out = fx.run(&["docker-build", "--init"]).expect_code(0).stdout();
    assert!(
        out.contains("HEALTHCHECK: the binary probes itself with `health`"),
        "{out}"
    );
    let dockerfile = fx.read("Dockerfile");
    assert!(
        dockerfile.contains("CMD [\"/usr/local/bin/svc\", \"health\"]")
            && !dockerfile.contains("healthprobe"),
        "{dockerfile}"
    );
    assert!(!fx.root.join("docker/healthprobe.rs").exists());
}

#[test]
fn a_workspace_without_a_binary_is_refused() {
    let fx = Fixture::new(CLEAN_LIB);
    let out = fx
        .run(&["docker-build", "--dry-run"])
        .expect_code(2)
        .all_output();
    assert!(
        out.contains("the workspace has no binary target to put in an image"),
        "{out}"
    );
}
