//! `deploy`, `rollback`, `health-check` and `--stats` on a real one-node Docker Swarm: the
//! swarm is started only if this machine's is inactive, and left only if the test started it;
//! the images are built here `FROM scratch` (nothing can be pulled), and no service,
//! container, config or image is left behind.
// In test helpers a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use support::*;

fn docker(args: &[&str]) -> std::process::Output {
    Command::new("docker").args(args).output().unwrap()
}

fn stdout(args: &[&str]) -> String {
    String::from_utf8_lossy(&docker(args).stdout)
        .trim()
        .to_string()
}

/// The swarm, the images and the service of one test run; all of it goes on drop, the swarm
/// only if this run started it.
struct Swarm {
    started_swarm: bool,
    /// Where a canary publishes its port, and the service of the canary environment its own.
    canary_port: u16,
    service_port: u16,
    /// The service of the canary environment.
    canary_service: String,
    service: String,
    images: Vec<String>,
    repo: String,
}

impl Swarm {
    fn new(build: &Path) -> Self {
        let state = stdout(&["info", "--format", "{{.Swarm.LocalNodeState}}"]);
        let started_swarm = state == "inactive";
        if started_swarm {
            let init = docker(&["swarm", "init", "--advertise-addr", "127.0.0.1"]);
            assert!(
                init.status.success(),
                "{}",
                String::from_utf8_lossy(&init.stderr)
            );
        }
        let repo = format!("windlass-swarm-test-{}", std::process::id());
        let mut swarm = Self {
            started_swarm,
            canary_port: support::host::free_port(),
            service_port: support::host::free_port(),
            canary_service: format!("windlass-test-{}-c", std::process::id()),
            service: format!("windlass-test-{}", std::process::id()),
            images: Vec::new(),
            repo,
        };
        swarm.build_images(build);
        swarm
    }

    /// `repo:v1`, `:v2` healthy; `:bad` whose HEALTHCHECK fails; `:crash` that exits at once;
    /// `:slow` that starts after 8 s; `:degrades`, healthy but failing half its requests after
    /// 3 s by its metrics.
    fn build_images(&mut self, dir: &Path) {
        build_static(dir, include_str!("fixtures/swarm_service.rs"), "svc");
        std::fs::write(
            dir.join("Dockerfile"),
            "FROM scratch\nCOPY svc /svc\nARG MODE=healthy\nARG VERSION=v1\nENV MODE=$MODE VERSION=$VERSION\nHEALTHCHECK --interval=1s --timeout=1s --start-period=1s --retries=2 CMD [\"/svc\", \"probe\"]\nENTRYPOINT [\"/svc\"]\n",
        )
        .unwrap();
        for (tag, mode) in [
            ("v1", "healthy"),
            ("v2", "healthy"),
            ("bad", "unhealthy"),
            ("crash", "crash"),
            ("slow", "slow"),
            ("degrades", "degrades"),
        ] {
            let image = format!("{}:{tag}", self.repo);
            let out = Command::new("docker")
                .args(["build", "--quiet", "--build-arg"])
                .arg(format!("MODE={mode}"))
                .arg("--build-arg")
                .arg(format!("VERSION={tag}"))
                .args(["--tag", &image, "."])
                .current_dir(dir)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            self.images.push(image);
        }
    }

    fn image(&self, tag: &str) -> String {
        format!("{}:{tag}", self.repo)
    }

    /// Waits until the service's running tasks run `tag` on both replicas — swarm goes on
    /// converging after windlass's verdict, slower on a loaded machine — for at most the
    /// prod environment's own health deadline (30 s); else fails with every task it saw.
    fn converges_to(&self, tag: &str) {
        let wanted = [self.image(tag), self.image(tag)];
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let running = self.running();
            if running == wanted {
                return;
            }
            if Instant::now() > deadline {
                let tasks = stdout(&["service", "ps", &self.service, "--no-trunc"]);
                panic!("the service never ran two {tag} tasks: running {running:?}\n{tasks}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The images the service's running tasks run.
    fn running(&self) -> Vec<String> {
        let mut images: Vec<String> = stdout(&[
            "service",
            "ps",
            &self.service,
            "--filter",
            "desired-state=running",
            "--format",
            "{{.Image}} {{.CurrentState}}",
        ])
        .lines()
        .filter(|l| l.contains(" Running"))
        .map(|l| {
            l.split(' ')
                .next()
                .unwrap()
                .split('@')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
        images.sort();
        images
    }
}

impl Drop for Swarm {
    fn drop(&mut self) {
        let _ = docker(&["service", "rm", &self.service]);
        let _ = docker(&["service", "rm", &self.canary_service]);
        let _ = docker(&["service", "rm", &format!("{}-canary", self.canary_service)]);
        let _ = docker(&[
            "config",
            "rm",
            &format!("windlass-deploy-lock-{}", self.service),
        ]);
        // The service's containers go a moment after the service.
        let deadline = Instant::now() + Duration::from_secs(30);
        let filter = format!("label=com.docker.swarm.service.name={}", self.service);
        while Instant::now() < deadline
            && !stdout(&["ps", "--all", "--quiet", "--filter", &filter]).is_empty()
        {
            std::thread::sleep(Duration::from_millis(200));
        }
        for image in &self.images {
            let _ = docker(&["rmi", "--force", image]);
        }
        if self.started_swarm {
            let _ = docker(&["swarm", "leave", "--force"]);
        }
    }
}

/// A workspace with swarm environments for `service`: `prod` (two replicas, a 30 s gate),
/// `fast` (a 3 s gate) and `secret` (a secret that does not exist).
fn workspace(swarm: &Swarm) -> Fixture {
    let section = |env: &str, extra: &str| {
        format!(
            "\n[workspace.metadata.windlass.deploy.{env}]\nengine = \"swarm\"\nservice = \"{}\"\nimage = \"{}\"\nreplicas = 2\nupdate = {{ parallelism = 1, order = \"start-first\", monitor = \"1s\" }}\nlog = \"deploy.log\"\n{extra}",
            swarm.service,
            swarm.image("v1"),
        )
    };
    Fixture::with_manifest(
        CLEAN_LIB,
        &(format!(
            "{}{}{}",
            section("prod", "health = { deadline = \"30s\" }\n"),
            section("fast", "health = { deadline = \"3s\" }\n"),
            section("secret", "secrets = [\"windlass-test-no-such-secret\"]\n"),
        )
        // One replica publishing its port (stop-first: one node, one port) and a canary
        // publishing its own, both scraped by the test's Prometheus.
        + &format!(
            "\n[workspace.metadata.windlass.deploy.canary]\nengine = \"swarm\"\nservice = \"{}\"\nimage = \"{}\"\nreplicas = 1\nupdate = {{ parallelism = 1, order = \"stop-first\", monitor = \"1s\" }}\npublish = [\"{}:8080\"]\nlog = \"canary.log\"\nhealth = {{ deadline = \"30s\" }}\nbake = \"8s\"\ncanary = {{ publish = [\"{}:8080\"] }}\nanalysis = {{ prometheus = \"env:TEST_PROMETHEUS_URL\", interval = \"1s\", window = \"4s\", selector = 'version=\"{{release}}\"', builtin = [\"error-rate\"], max-error-rate = 0.05 }}\n",
            swarm.canary_service,
            swarm.image("v1"),
            swarm.service_port,
            swarm.canary_port
        )),
    )
}

fn log_results(fx: &Fixture) -> Vec<(String, String)> {
    fx.read("deploy.log")
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["release"].as_str().unwrap().to_string(),
                v["result"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn swarm_deploys_are_gated_rolled_back_and_leave_nothing_behind() {
    if !docker_available() {
        return;
    }
    let build = tempfile::tempdir().unwrap();
    let swarm = Swarm::new(build.path());
    let fx = workspace(&swarm);
    let deploy = |env: &str, tag: &str| -> Run {
        fx.run(&["deploy", "--env", env, "--image", &swarm.image(tag)])
    };

    // First deploy: the service is created with two replicas, which pass the gate.
    let run = deploy("prod", "v1");
    assert_eq!(run.code(), 0, "{}", run.all_output());
    swarm.converges_to("v1");

    // A healthy update.
    deploy("prod", "v2").expect_code(0);
    swarm.converges_to("v2");

    // A HEALTHCHECK that fails: rolled back, v2 answers again, exit 1, logged.
    let run = deploy("prod", "bad").expect_code(1);
    assert!(
        run.stdout().contains("bad was not healthy")
            && run.stdout().contains("rolled back to v2, which is healthy"),
        "{}",
        run.stdout()
    );
    swarm.converges_to("v2");

    // A process that exits at once (a crash loop): rolled back.
    deploy("prod", "crash").expect_code(1);
    swarm.converges_to("v2");

    // A deadline shorter than the start: rolled back.
    let run = deploy("fast", "slow").expect_code(1);
    // Swarm may pause the update itself before the deadline passes; either
    // way the verdict is "not healthy" and the previous image runs again.
    assert!(
        run.stdout().contains("slow was not healthy") && run.stdout().contains("rolled back to v2"),
        "{}",
        run.stdout()
    );
    swarm.converges_to("v2");

    // A missing secret: refused before anything changes.
    let run = deploy("secret", "v1").expect_code(1);
    assert!(
        run.stdout()
            .contains("the swarm secret `windlass-test-no-such-secret` does not exist"),
        "{}",
        run.stdout()
    );
    swarm.converges_to("v2");

    // A concurrent deploy (another manager's lock): refused.
    let lock = format!("windlass-deploy-lock-{}", swarm.service);
    let held = Command::new("docker")
        .args(["config", "create", &lock, "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"pid=1 host=another-manager")?;
            child.wait()
        })
        .unwrap();
    assert!(held.success());
    let run = deploy("prod", "v1").expect_code(2);
    assert!(
        run.all_output().contains("another deploy of the service")
            && run.all_output().contains("another-manager"),
        "{}",
        run.all_output()
    );
    let _ = docker(&["config", "rm", &lock]);

    // Back to a named version, health-gated; the environment's health as its deploys see it.
    let run = fx.run(&["rollback", "--env", "prod", "--to", "v1"]);
    assert_eq!(run.code(), 0, "{}", run.all_output());
    swarm.converges_to("v1");
    fx.run(&["health-check", "--env", "prod"]).expect_code(0);

    // Every deploy is in the log, and --stats reads it.
    assert_eq!(
        log_results(&fx),
        [
            ("v1", "success"),
            ("v2", "success"),
            ("bad", "rolled_back"),
            ("crash", "rolled_back"),
            ("slow", "rolled_back"),
            ("v1", "success"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let stats = fx
        .run(&["deploy", "--env", "prod", "--stats"])
        .expect_code(0);
    assert!(
        stats
            .stdout()
            .contains("5 deploys of prod: 2 succeeded, 3 rolled back, 0 failed"),
        "{}",
        stats.stdout()
    );
    canary_analysis(&fx, &swarm);
    drop(swarm);
    assert!(
        stdout(&[
            "service",
            "ls",
            "--quiet",
            "--filter",
            &format!("name=windlass-test-{}", std::process::id())
        ])
        .is_empty()
    );
}

/// A service with an analysis: its update starts with a canary, which a real Prometheus
/// scrapes through the routing mesh; a release bad by its metrics never reaches the service.
fn canary_analysis(fx: &Fixture, swarm: &Swarm) {
    let Some(binary) = tool_or_skip("prometheus", "apt-get install prometheus") else {
        return;
    };
    let prometheus = support::prometheus::Prometheus::start(
        &binary,
        &[
            ("canary", format!("127.0.0.1:{}", swarm.canary_port)),
            ("service", format!("127.0.0.1:{}", swarm.service_port)),
        ],
    );
    let deploy = |tag: &str| -> Run {
        Run(fx
            .command(&["deploy", "--env", "canary", "--image", &swarm.image(tag)])
            .env("TEST_PROMETHEUS_URL", prometheus.url())
            .output()
            .unwrap())
    };
    let canary = format!("{}-canary", swarm.canary_service);
    let image_of = || {
        stdout(&[
            "service",
            "inspect",
            &swarm.canary_service,
            "--format",
            "{{.Spec.TaskTemplate.ContainerSpec.Image}}",
        ])
    };
    // The first deploy creates the service (nothing to compare a canary with).
    let first = deploy("v1");
    assert_eq!(first.code(), 0, "{}", first.all_output());
    let good = deploy("v2");
    assert_eq!(good.code(), 0, "{}", good.all_output());
    assert!(good.stdout().contains("canary"), "{}", good.stdout());
    assert!(image_of().starts_with(&swarm.image("v2")), "{}", image_of());
    let bad = deploy("degrades").expect_code(1);
    let out = bad.stdout();
    assert!(
        out.contains("the canary failed") && out.contains("error-rate"),
        "{out}"
    );
    assert!(
        image_of().starts_with(&swarm.image("v2")),
        "the service never left v2: {}",
        image_of()
    );
    assert!(
        stdout(&[
            "service",
            "ls",
            "--quiet",
            "--filter",
            &format!("name={canary}")
        ])
        .is_empty(),
        "the canary is removed"
    );
    let _ = docker(&["service", "rm", &swarm.canary_service]);
}
