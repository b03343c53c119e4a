#!/usr/bin/env python3
"""Time from the first bad sample to `current` back on the previous release, with a real
Prometheus.

A release that answers /health but fails half its requests DELAY seconds after it starts is
deployed --runs times into an environment whose bake watches the built-in error-rate check
against a Prometheus scraping the service every --scrape seconds (Debian's `prometheus`).
Each deploy passes its health gate, fails its analysis inside the bake and rolls back. From
the deploy log it reports, as medians: the time from the first bad request (the service's
start + DELAY) to the previous release switched back in, the restart command's time on the
way back, and the goal — two scrape intervals, one evaluation interval and the rate window's
first bad fraction (the ratio crosses a 5 % threshold after a tenth of a window of 50 %
errors), plus the restart. The review's target is detection within a minute and a rollback
within five.

usage: benches/analysis.py [--runs N] [--scrape S] [--windlass PATH] [--prometheus PATH]
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "crates/windlass/tests/fixtures"  # shared with the deploy tests
DELAY = 3.0
WINDOW = 5.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--scrape", type=float, default=1.0)
    ap.add_argument("--windlass", type=Path, default=REPO / "target/debug/windlass")
    ap.add_argument("--prometheus", default=shutil.which("prometheus") or "prometheus")
    args = ap.parse_args()
    if not args.windlass.exists():
        subprocess.run(["cargo", "build", "--package", "windlass"], cwd=REPO, check=True)
    work = Path(tempfile.mkdtemp(prefix="windlass-analysis-bench-"))
    port, prom_port = free_port(), free_port()
    (work / "prometheus.yml").write_text(
        f"global:\n  scrape_interval: {int(args.scrape * 1000)}ms\n  evaluation_interval: {int(args.scrape * 1000)}ms\n"
        f"scrape_configs:\n  - job_name: svc\n    static_configs:\n      - targets: [\"127.0.0.1:{port}\"]\n"
    )
    prometheus = subprocess.Popen(
        [args.prometheus, f"--config.file={work / 'prometheus.yml'}", f"--storage.tsdb.path={work / 'data'}",
         f"--web.listen-address=127.0.0.1:{prom_port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{prom_port}/-/ready", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    (work / "Cargo.toml").write_text(
        '[package]\nname = "svc"\nversion = "0.1.0"\nedition = "2021"\n\n[workspace]\n\n'
        "[workspace.metadata.windlass.deploy.bench]\n"
        'root = "host"\nbin = "svc"\nrestart = ["sh", "restart.sh"]\nbake = "30s"\n'
        f'health = {{ url = "http://127.0.0.1:{port}/health", deadline = "5s", interval = "100ms", timeout = "500ms", successes = 2 }}\n'
        f'analysis = {{ prometheus = "http://127.0.0.1:{prom_port}", interval = "{int(args.scrape * 1000)}ms", window = "{WINDOW:.0f}s", '
        "selector = 'release=\"{release}\"', builtin = [\"error-rate\"], max-error-rate = 0.05 }\n"
    )
    shutil.copy(FIXTURES / "restart.sh", work / "restart.sh")
    template = (FIXTURES / "service.py").read_text()
    for name, mode in (("good", "healthy"), ("bad", "degrades")):
        (work / f"{name}.py").write_text(
            template.replace('MODE, DELAY = "healthy", 0.0', f'MODE, DELAY = "{mode}", {DELAY}'))
    env = {**os.environ, "SVC_PORT": str(port)}
    deploy = lambda artifact: subprocess.run(  # noqa: E731
        [str(args.windlass), "deploy", "--env", "bench", "--artifact", str(work / artifact)],
        cwd=work, env=env, capture_output=True, text=True)
    try:
        first = deploy("good.py")
        assert first.returncode == 0, first.stdout
        detected, restart = [], []
        for _ in range(args.runs):
            out = deploy("bad.py")
            assert out.returncode == 1 and "error-rate" in out.stdout, out.stdout
            line = json.loads((work / "host/deploy.log").read_text().splitlines()[-1])
            d = line["durations_ms"]
            # The service started as the restart ended; the gate took `health`; the bake ran
            # until the analysis failed. The first bad request came DELAY s after the start.
            bad_after_bake_start = DELAY * 1000 - d["health"]
            detected.append(d["bake"] - bad_after_bake_start + d["rollback_switch"])
            restart.append(d["rollback_restart"])
        goal = 2 * args.scrape * 1000 + args.scrape * 1000 + 0.1 * WINDOW * 1000
        print(f"{args.runs} releases bad by their metrics rolled back (scrape and evaluation every {args.scrape:.1f} s, "
              f"rate window {WINDOW:.0f} s), medians: first bad sample to `current` back on the previous release "
              f"{statistics.median(detected):.0f} ms; the restart on the way back {statistics.median(restart):.0f} ms; "
              f"goal {goal:.0f} ms + the restart (the review's: detection < 60 s, rollback < 5 min)")
    finally:
        prometheus.terminate()
        pid = work / "host/service.pid"
        if pid.exists():
            subprocess.run(["kill", pid.read_text().strip()], check=False)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
