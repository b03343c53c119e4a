#!/usr/bin/env python3
"""Cold build time and crate count of an adopter's xtask: what every fresh CI runner of every
adopter pays before the first check runs, for a checks-only xtask and a full one.

Builds the `windlass` library (what an xtask's `main` sits on) into an empty target directory
(the registry cache stays warm, as on a runner whose cargo cache is restored but whose target
is not), once with `--no-default-features` (fmt-check, lint, test, secrets, workflows, the
hook) and once with every task family, `--runs` times each, alternating, and reports the
medians, the crates compiled and the ratio.

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

VARIANTS = {
    "checks only (default-features = false)": ["--no-default-features"],
    "full (default features)": [],
}


def build(flags: list[str], env: dict) -> tuple[float, int]:
    target = tempfile.mkdtemp(prefix="windlass-cold-")
    env = dict(env, CARGO_TARGET_DIR=target)
    start = time.perf_counter()
    out = subprocess.run(
        ["cargo", "build", "--locked", "--package", "windlass", "--lib", "--color", "never", *flags],
        cwd=REPO, env=env, check=True, capture_output=True, text=True,
    )
    elapsed = time.perf_counter() - start
    shutil.rmtree(target, ignore_errors=True)
    units = sum(1 for line in out.stderr.splitlines() if line.strip().startswith("Compiling "))
    return elapsed, units


def packages(flags: list[str]) -> int:
    tree = subprocess.run(
        ["cargo", "tree", "--package", "windlass", "--edges", "normal,build", "--prefix", "none",
         "--format", "{p}", *flags],
        cwd=REPO, check=True, capture_output=True, text=True,
    ).stdout
    return len({line.replace(" (*)", "").strip() for line in tree.splitlines() if line.strip()})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    subprocess.run(["cargo", "fetch", "--locked", "--quiet"], cwd=REPO, check=True)
    env = dict(os.environ)
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    units: dict[str, int] = {}
    for i in range(args.runs):
        for name, flags in VARIANTS.items():
            elapsed, units[name] = build(flags, env)
            times[name].append(elapsed)
            print(f"  run {i + 1}, {name}: {elapsed:.1f}s", flush=True)
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name, flags in VARIANTS.items():
        print(f"{name}: median cold build {medians[name]:.1f}s on {os.cpu_count()} cores; "
              f"{units[name]} crates compiled, {packages(flags)} packages in the dependency tree")
    checks, full = medians.values()
    print(f"checks-only / full: {checks / full:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
