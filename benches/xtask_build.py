#!/usr/bin/env python3
"""Cold build time and crate count of this repository's xtask: what every fresh CI runner of
every adopter pays before the first check runs.

Builds `xtask` into an empty target directory (the registry cache stays warm, as on a runner
whose cargo cache is restored but whose target is not) `--runs` times, and reports the median.

usage: benches/xtask_build.py [--runs N]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--package", default="xtask")
    args = ap.parse_args()
    env = dict(os.environ)
    subprocess.run(["cargo", "fetch", "--quiet"], cwd=REPO, check=True)
    times = []
    units = 0
    for i in range(args.runs):
        target = tempfile.mkdtemp(prefix="windlass-cold-")
        env["CARGO_TARGET_DIR"] = target
        start = time.perf_counter()
        out = subprocess.run(
            ["cargo", "build", "--package", args.package, "--color", "never"],
            cwd=REPO, env=env, check=True, capture_output=True, text=True,
        )
        times.append(time.perf_counter() - start)
        units = sum(1 for line in out.stderr.splitlines() if line.strip().startswith("Compiling "))
        shutil.rmtree(target, ignore_errors=True)
        print(f"  run {i + 1}: {times[-1]:.1f}s", flush=True)
    tree = subprocess.run(
        ["cargo", "tree", "--package", args.package, "--edges", "normal,build", "--prefix", "none", "--format", "{p}"],
        cwd=REPO, check=True, capture_output=True, text=True,
    ).stdout
    crates = {line.replace(" (*)", "").strip() for line in tree.splitlines() if line.strip()}
    print(f"{args.package}: median cold build {statistics.median(times):.1f}s on {os.cpu_count()} cores; "
          f"{units} crates compiled, {len(crates)} packages in its dependency tree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
