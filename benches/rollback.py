#!/usr/bin/env python3
"""Time to recover from a bad release, on loopback.

Deploys a healthy release, then --runs times a release that never becomes healthy; each of
those deploys fails its health gate and rolls back. From the deploy log it reports, as
medians: the time from the end of the bad release's health deadline to the previous release
answering healthy again, and that time less the restart command's own (the goal: under 2 s;
the review's budget is 5 minutes).

usage: benches/rollback.py [--runs N] [--windlass PATH]
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
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "crates/windlass/tests/fixtures"  # shared with the deploy tests


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--windlass", type=Path, default=REPO / "target/debug/windlass")
    args = ap.parse_args()
    if not args.windlass.exists():
        subprocess.run(["cargo", "build", "--package", "windlass"], cwd=REPO, check=True)
    work = Path(tempfile.mkdtemp(prefix="windlass-rollback-bench-"))
    port = free_port()
    (work / "Cargo.toml").write_text(
        '[package]\nname = "svc"\nversion = "0.1.0"\nedition = "2021"\n\n[workspace]\n\n'
        "[workspace.metadata.windlass.deploy.bench]\n"
        'root = "host"\nbin = "svc"\nrestart = ["sh", "restart.sh"]\n'
        f'health = {{ url = "http://127.0.0.1:{port}/health", deadline = "2s", interval = "100ms", timeout = "500ms", successes = 2 }}\n'
    )
    shutil.copy(FIXTURES / "restart.sh", work / "restart.sh")
    template = (FIXTURES / "service.py").read_text()
    for mode in ("healthy", "unhealthy"):
        (work / f"{mode}.py").write_text(template.replace('MODE, DELAY = "healthy", 0.0', f'MODE, DELAY = "{mode}", 0.0'))
    env = {**os.environ, "SVC_PORT": str(port)}
    deploy = lambda artifact: subprocess.run(  # noqa: E731
        [str(args.windlass), "deploy", "--env", "bench", "--artifact", str(work / artifact)],
        cwd=work, env=env, capture_output=True, text=True)
    try:
        assert deploy("healthy.py").returncode == 0, "the good release must deploy"
        recover, beyond_restart, restart = [], [], []
        for _ in range(args.runs):
            out = deploy("unhealthy.py")
            assert out.returncode == 1 and "which is healthy" in out.stdout, out.stdout
            line = json.loads((work / "host/deploy.log").read_text().splitlines()[-1])
            d = line["durations_ms"]
            recover.append(d["rollback"])
            restart.append(d["rollback_restart"])
            beyond_restart.append(d["rollback"] - d["rollback_restart"])
        print(f"{args.runs} bad releases rolled back, medians: recovered {statistics.median(recover)} ms after the "
              f"health deadline; the restart command took {statistics.median(restart)} ms; "
              f"beyond it {statistics.median(beyond_restart)} ms (goal < 2000 ms)")
    finally:
        pid = work / "host/service.pid"
        if pid.exists():
            subprocess.run(["kill", pid.read_text().strip()], check=False)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
