#!/usr/bin/env python3
"""Rolling updates on a one-node Docker Swarm: windlass's deploy beside docker's own.

A 2-replica service of a static test server (images built here FROM scratch, with a
HEALTHCHECK). Each run, from v1:
  - a good update to v2: the time until every replica runs v2 and is healthy;
  - a bad update (an image whose HEALTHCHECK fails): the time until v1 runs healthy again,
    in all and from the moment the failure was acted on (windlass: its health gate failed,
    from the deploy log's `rollback` phase; docker: UpdateStatus turned `rollback_started`).
windlass: `deploy --env bench` (--image). docker: `docker service update --detach=false
--update-failure-action rollback --image ...`, which has no gate beyond the HEALTHCHECK. Both
use the same update settings (parallelism 1, start-first, monitor 1s). Medians of --runs.

The swarm is started only if inactive and left only if started here; the service and images
are removed at the end.

usage: benches/swarm.py [--runs N] [--windlass PATH]
"""
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "crates/windlass/tests/fixtures/swarm_service.rs"  # shared with the swarm tests
DOCKERFILE = (
    "FROM scratch\nCOPY svc /svc\nARG MODE=healthy\nARG VERSION=v1\nENV MODE=$MODE VERSION=$VERSION\n"
    'HEALTHCHECK --interval=1s --timeout=1s --start-period=1s --retries=2 CMD ["/svc", "probe"]\n'
    'ENTRYPOINT ["/svc"]\n'
)
UPDATE = ["--update-parallelism", "1", "--update-order", "start-first", "--update-monitor", "1s"]


def docker(*args, check=False):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check)


def healthy_on(service, image, replicas=2):
    """Whether exactly `replicas` containers of the service run, all `image` and healthy."""
    out = docker("ps", "--filter", f"label=com.docker.swarm.service.name={service}",
                 "--format", "{{.Image}}|{{.Status}}").stdout.split("\n")
    rows = [line.split("|", 1) for line in out if line.strip()]
    return len(rows) == replicas and all(
        img.split("@")[0] == image and "(healthy)" in status for img, status in rows)


def wait_healthy(service, image, deadline=120):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if healthy_on(service, image):
            return time.monotonic()
        time.sleep(0.05)
    raise RuntimeError(f"{service} never ran {image} healthy")


def build_images(work, repo):
    (work / "svc.rs").write_text(FIXTURE.read_text())
    subprocess.run(["rustc", "--edition", "2021", "-O", "-C", "target-feature=+crt-static",
                    "svc.rs", "-o", "svc"], cwd=work, check=True)
    (work / "Dockerfile").write_text(DOCKERFILE)
    for tag, mode in (("v1", "healthy"), ("v2", "healthy"), ("bad", "unhealthy")):
        subprocess.run(["docker", "build", "--quiet", "--build-arg", f"MODE={mode}",
                        "--build-arg", f"VERSION={tag}", "--tag", f"{repo}:{tag}", "."],
                       cwd=work, check=True, capture_output=True)


def remove_service(service):
    docker("service", "rm", service)
    end = time.monotonic() + 30
    while time.monotonic() < end and docker(
            "ps", "--all", "--quiet", "--filter", f"label=com.docker.swarm.service.name={service}").stdout.strip():
        time.sleep(0.2)


def windlass_runs(args, work, repo, service):
    (work / "Cargo.toml").write_text(
        '[package]\nname = "svc"\nversion = "0.1.0"\nedition = "2021"\n\n[workspace]\n\n'
        "[workspace.metadata.windlass.deploy.bench]\n"
        f'engine = "swarm"\nservice = "{service}"\nimage = "{repo}:v1"\nreplicas = 2\n'
        'update = { parallelism = 1, order = "start-first", monitor = "1s" }\n'
        'log = "deploy.log"\nhealth = { deadline = "60s" }\n')
    (work / "src").mkdir(exist_ok=True)
    (work / "src/main.rs").write_text("fn main() {}\n")

    def deploy(tag):
        return subprocess.run([str(args.windlass), "deploy", "--env", "bench", "--image", f"{repo}:{tag}"],
                              cwd=work, capture_output=True, text=True)

    def last_log():
        return json.loads((work / "deploy.log").read_text().splitlines()[-1])

    good, bad, recover = [], [], []
    first = deploy("v1")
    assert first.returncode == 0, first.stdout + first.stderr
    for _ in range(args.runs):
        start = time.monotonic()
        run = deploy("v2")
        assert run.returncode == 0, run.stdout + run.stderr
        good.append(wait_healthy(service, f"{repo}:v2") - start)
        assert deploy("v1").returncode == 0
        start = time.monotonic()
        run = deploy("bad")
        assert run.returncode == 1, run.stdout + run.stderr
        bad.append(wait_healthy(service, f"{repo}:v1") - start)
        entry = last_log()
        assert entry["result"] == "rolled_back", entry
        recover.append(entry["durations_ms"]["rollback"] / 1000)
    remove_service(service)
    return good, bad, recover


def docker_runs(args, repo, service):
    docker("service", "create", "--detach=false", "--quiet", "--name", service, "--replicas", "2",
           *UPDATE, "--update-failure-action", "rollback", f"{repo}:v1", check=True)
    wait_healthy(service, f"{repo}:v1")

    def update(tag):
        return docker("service", "update", "--detach=false", "--quiet", *UPDATE,
                      "--update-failure-action", "rollback", "--image", f"{repo}:{tag}", service)

    good, bad, recover = [], [], []
    for _ in range(args.runs):
        start = time.monotonic()
        update("v2")
        good.append(wait_healthy(service, f"{repo}:v2") - start)
        update("v1")
        wait_healthy(service, f"{repo}:v1")
        # Watch for the moment swarm acts on the failure.
        seen = {}
        stop = threading.Event()

        def watch():
            while not stop.is_set():
                state = docker("service", "inspect", service, "--format",
                               "{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}").stdout.strip()
                if state.startswith("rollback") and "at" not in seen:
                    seen["at"] = time.monotonic()
                time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        start = time.monotonic()
        update("bad")
        done = wait_healthy(service, f"{repo}:v1")
        stop.set()
        watcher.join()
        bad.append(done - start)
        recover.append(done - seen.get("at", start))
    remove_service(service)
    return good, bad, recover


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--windlass", type=Path, default=REPO / "target/debug/windlass")
    args = ap.parse_args()
    if not args.windlass.exists():
        subprocess.run(["cargo", "build", "--package", "windlass"], cwd=REPO, check=True)
    state = docker("info", "--format", "{{.Swarm.LocalNodeState}}").stdout.strip()
    started = state == "inactive"
    if started:
        docker("swarm", "init", "--advertise-addr", "127.0.0.1", check=True)
    tag = f"{int(time.time())}"
    repo = f"windlass-swarm-bench-{tag}"
    try:
        with tempfile.TemporaryDirectory(prefix="windlass-swarm-bench-") as tmp:
            work = Path(tmp)
            build_images(work, repo)
            w = windlass_runs(args, work, repo, f"windlass-bench-w-{tag}")
            d = docker_runs(args, repo, f"windlass-bench-d-{tag}")
    finally:
        for service in (f"windlass-bench-w-{tag}", f"windlass-bench-d-{tag}"):
            remove_service(service)
        docker("config", "rm", f"windlass-deploy-lock-windlass-bench-w-{tag}")
        for t in ("v1", "v2", "bad"):
            docker("rmi", "--force", f"{repo}:{t}")
        if started:
            docker("swarm", "leave", "--force")
    med = statistics.median
    rows = [
        ("good update: v2 healthy on every replica", w[0], d[0]),
        ("bad update: v1 healthy again, in all", w[1], d[1]),
        ("bad update: from the failure acted on to v1 healthy", w[2], d[2]),
    ]
    print(f"medians of {args.runs} runs, 2 replicas, parallelism 1, start-first, monitor 1s")
    print(f"{'':55} {'windlass':>9} {'docker':>9} {'ratio':>6}")
    for label, ws, ds in rows:
        print(f"{label:55} {med(ws):8.2f}s {med(ds):8.2f}s {med(ws) / med(ds):6.2f}")
    print("(ratio = windlass / docker; windlass also confirms v1 healthy before it exits 1, and logs the deploy)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
