#!/usr/bin/env python3
"""`audit` against cargo-audit: same lockfiles, same database, same findings, side by side.

Builds lockfiles of about 200 and 600 real packages (real names and versions, gathered from
the Cargo.lock files in cargo's registry cache, so advisories match as they would in a real
project), then times the windlass binary's `audit --no-fetch --only advisories` against
`cargo audit --no-fetch --no-yanked` — the same work — and checks that both report the same
advisory ids. Medians of --runs runs, alternating; the machine is shared and noisy.

usage: benches/audit.py [--runs N] [--db PATH] [--cargo-audit PATH] [--windlass PATH]
"""
import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CRATES_IO = "registry+https://github.com/rust-lang/crates.io-index"


def real_packages():
    """(name, version) pairs from every Cargo.lock in cargo's registry cache, one version each."""
    home = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo"))
    seen = {}
    for lock in sorted(glob.glob(str(home / "registry/src/*/*/Cargo.lock"))):
        name = version = None
        source_ok = False
        for line in Path(lock).read_text(errors="replace").splitlines() + ["[[package]]"]:
            if line.startswith("[[package]]"):
                if name and version and source_ok and name not in seen:
                    seen[name] = version
                name = version = None
                source_ok = False
            elif line.startswith("name = "):
                name = line.split('"')[1]
            elif line.startswith("version = ") and name:
                version = line.split('"')[1]
            elif line.startswith("source = ") and "crates.io-index" in line:
                source_ok = True
    return sorted(seen.items())


def write_lockfile(path: Path, packages):
    lines = ["version = 3", "", "[[package]]", 'name = "bench-app"', 'version = "0.1.0"', "dependencies = ["]
    lines += [f' "{n} {v}",' for n, v in packages]
    lines += ["]"]
    for n, v in packages:
        lines += ["", "[[package]]", f'name = "{n}"', f'version = "{v}"', f'source = "{CRATES_IO}"']
    path.write_text("\n".join(lines) + "\n")


def timed(cmd):
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)
    return time.perf_counter() - start, out


def windlass_ids(out):
    report = json.loads(out.stdout)
    return sorted(d["details"]["advisory"]["id"] for d in report["diagnostics"] if "advisory" in d.get("details", {}))


def cargo_audit_ids(out):
    report = json.loads(out.stdout)
    ids = [v["advisory"]["id"] for v in report["vulnerabilities"]["list"]]
    for kind in report.get("warnings", {}).values():
        ids += [w["advisory"]["id"] for w in kind if w.get("advisory")]
    return sorted(ids)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--db", type=Path, default=Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo")) / "advisory-db")
    ap.add_argument("--cargo-audit", default=shutil.which("cargo-audit") or "cargo-audit")
    ap.add_argument("--windlass", type=Path, default=REPO / "target/debug/windlass")
    args = ap.parse_args()
    if not args.windlass.exists():
        subprocess.run(["cargo", "build", "--package", "windlass"], cwd=REPO, check=True)
    packages = real_packages()
    print(f"{len(packages)} distinct real packages available; database {args.db}")
    tmp = Path(tempfile.mkdtemp(prefix="windlass-audit-bench-"))
    for size in (200, 600):
        chosen = packages[:: max(1, len(packages) // size)][:size]
        lock = tmp / f"lock-{size}.lock"
        write_lockfile(lock, chosen)
        ours = [str(args.windlass), "audit", "--no-fetch", "--only", "advisories",
                "--db", str(args.db), "--file", str(lock)]
        theirs = [args.cargo_audit, "audit", "--no-fetch", "--no-yanked",
                  "--db", str(args.db), "--file", str(lock)]
        # Same findings: compared through each tool's JSON output.
        a = windlass_ids(timed(ours + ["--format", "json"])[1])
        b = cargo_audit_ids(timed(theirs + ["--json"])[1])
        same = "identical" if a == b else f"DIFFERENT: windlass {a} vs cargo-audit {b}"
        for label, extra_ours, extra_theirs in (("terminal", [], []), ("json", ["--format", "json"], ["--json"])):
            t_ours, t_theirs = [], []
            for _ in range(args.runs):
                t_ours.append(timed(ours + extra_ours)[0])
                t_theirs.append(timed(theirs + extra_theirs)[0])
            mo, mt = statistics.median(t_ours), statistics.median(t_theirs)
            print(f"{len(chosen)} packages, {label} output: windlass {mo * 1000:.1f} ms, "
                  f"cargo-audit {mt * 1000:.1f} ms, speed-up {mt / mo:.1f}x")
        print(f"{len(chosen)} packages: {len(a)} advisory ids, {same}")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
