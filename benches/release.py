#!/usr/bin/env python3
"""`release` against cargo-release, on the same generated workspace.

A workspace of --crates crates (a chain of `version` + `path` dependencies, every manifest
inheriting `workspace.package.version`, a lockfile) in a git repository with --commits
Conventional Commits since its last tag. Both tools make the same patch release, --runs times
each, the repository reset between runs:

- plan: `windlass release patch` and `cargo release patch` (both dry runs by default);
- execute: `windlass release patch --execute --skip-ci` and
  `cargo release patch --execute --no-confirm --no-publish --no-push`: bump every manifest,
  update Cargo.lock, commit, tag. windlass also writes the changelog section.

It checks that both leave the same versions in every manifest and in Cargo.lock, and reports
medians and their ratio (cargo-release / windlass; above 1: windlass is faster).

usage: benches/release.py [--crates N] [--commits N] [--runs N] [--windlass PATH]
       [--cargo-release PATH]   (default: cargo-release on PATH)
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


def git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def make_workspace(root: Path, crates: int, commits: int) -> None:
    members = [f"crate{i:03}" for i in range(crates)]
    (root / "Cargo.toml").write_text(
        '[workspace]\nmembers = ["crates/*"]\nresolver = "2"\n\n'
        '[workspace.package]\nversion = "1.4.2"  # shared by every crate\nedition = "2021"\n'
        'license = "MIT"\npublish = false\n\n'
        "# cargo-release's equivalent of windlass's defaults: one version, one tag, one commit.\n"
        '[workspace.metadata.release]\nshared-version = true\ntag-name = "v{{version}}"\n'
        "consolidate-commits = true\n"
    )
    for i, name in enumerate(members):
        deps = ""
        if i > 0:
            prev = members[i - 1]
            deps = f'\n[dependencies]\n# the one below in the chain\n{prev} = {{ path = "../{prev}", version = "1.4.2" }}\n'
        crate = root / "crates" / name
        (crate / "src").mkdir(parents=True)
        (crate / "Cargo.toml").write_text(
            f'[package]\nname = "{name}"\nversion.workspace = true\nedition.workspace = true\n'
            f"license.workspace = true\npublish.workspace = true\n{deps}"
        )
        (crate / "src/lib.rs").write_text(f"//! {name}\n")
    (root / ".gitignore").write_text("target/\n")
    subprocess.run(["cargo", "generate-lockfile", "--offline", "--quiet"], cwd=root, check=True)
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "config", "user.name", "bench")
    git(root, "config", "user.email", "bench@example.com")
    git(root, "add", ".")
    git(root, "commit", "--quiet", "-m", "chore: initial")
    git(root, "tag", "-a", "v1.4.2", "-m", "v1.4.2")
    kinds = ["fix", "feat", "perf", "docs", "refactor"]
    lib = root / "crates" / members[0] / "src/lib.rs"
    for n in range(commits):
        with lib.open("a") as f:
            f.write(f"// change {n}\n")
        git(root, "commit", "--quiet", "-am", f"{kinds[n % len(kinds)]}: change number {n}")


def versions(root: Path) -> list:
    out = []
    for manifest in sorted(root.rglob("Cargo.toml")):
        if "target" in manifest.parts:
            continue
        out += [l.strip() for l in manifest.read_text().splitlines() if "version" in l]
    lock = (root / "Cargo.lock").read_text()
    out += [l for l in lock.splitlines() if l.startswith("version = ")]
    return out


def timed(cmd, cwd, env) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    return elapsed


def reset(root: Path) -> None:
    git(root, "reset", "--quiet", "--hard", "v1.4.2-base")
    tags = subprocess.run(["git", "tag"], cwd=root, capture_output=True, text=True).stdout.split()
    stray = [t for t in tags if t not in ("v1.4.2", "v1.4.2-base")]
    if stray:
        git(root, "tag", "-d", *stray)
    for extra in ("CHANGELOG.md",):
        (root / extra).unlink(missing_ok=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--crates", type=int, default=30)
    ap.add_argument("--commits", type=int, default=300)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--windlass", type=Path, default=REPO / "target/debug/windlass")
    ap.add_argument("--cargo-release", type=Path, default=None)
    args = ap.parse_args()
    cargo_release = args.cargo_release or shutil.which("cargo-release")
    if not cargo_release:
        sys.exit("cargo-release is not installed: cargo install cargo-release --locked (or pass --cargo-release PATH)")
    if not args.windlass.exists():
        subprocess.run(["cargo", "build", "--package", "windlass"], cwd=REPO, check=True)

    work = Path(tempfile.mkdtemp(prefix="windlass-release-bench-"))
    root = work / "ws"
    root.mkdir()
    try:
        make_workspace(root, args.crates, args.commits)
        git(root, "tag", "v1.4.2-base")
        env = {**os.environ, "CARGO_TERM_COLOR": "never", "SOURCE_DATE_EPOCH": "1790000000"}
        windlass = [str(args.windlass), "release", "patch"]
        cr = [str(cargo_release), "release", "patch"]
        jobs = {
            "plan": (windlass, cr),
            "execute": (
                windlass + ["--execute", "--skip-ci"],
                cr + ["--execute", "--no-confirm", "--no-publish", "--no-push"],
            ),
        }
        results = {}
        for job, (ours, theirs) in jobs.items():
            times = {"windlass": [], "cargo-release": []}
            for _ in range(args.runs):
                for label, cmd in (("windlass", ours), ("cargo-release", theirs)):
                    reset(root)
                    times[label].append(timed(cmd, root, env))
                    if job == "execute":
                        results[label] = versions(root)
            results[job] = times
        reset(root)
        same = results["windlass"] == results["cargo-release"]
        print(f"{args.crates} crates, {args.commits} commits since the last tag, {args.runs} runs each (medians)")
        for job in jobs:
            w = statistics.median(results[job]["windlass"])
            c = statistics.median(results[job]["cargo-release"])
            print(f"  {job:8} windlass {w * 1000:7.0f} ms   cargo-release {c * 1000:7.0f} ms   ratio {c / w:5.2f}")
        print(f"  same versions in every manifest and Cargo.lock after --execute: {same}")
        return 0 if same else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
