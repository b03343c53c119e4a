#!/usr/bin/env python3
"""`audit` against cargo-audit: same lockfiles, same database, same findings, side by side.

Builds lockfiles of 200, 600 and 1500 real packages (real names and versions, gathered from
the Cargo.lock files in cargo's registry cache, so advisories match as they would in a real
project), then times the windlass binary's `audit --no-fetch --only advisories` against
`cargo audit --no-fetch --no-yanked` — the same work — and checks that both report the same
advisory ids. Then, on real workspaces (this repository by default; fetch their dependencies
first), `audit --only bans,sources` against `cargo deny check bans sources` with the same
deny.toml, and whether both reach the same verdict. Medians of --runs runs, alternating; the
machine is shared and noisy. The windlass binary is the dev-profile build an xtask runs as.

usage: benches/audit.py [--runs N] [--db PATH] [--cargo-audit PATH] [--windlass PATH] [WORKSPACE...]
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
    """(name, version) pairs from every Cargo.lock in cargo's registry cache: one version of
    each name first, then the other versions seen (large real lockfiles lock several versions
    of a crate), so that any size up to the total can be drawn."""
    home = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo"))
    pairs = set()
    for lock in sorted(glob.glob(str(home / "registry/src/*/*/Cargo.lock"))):
        name = version = None
        source_ok = False
        for line in Path(lock).read_text(errors="replace").splitlines() + ["[[package]]"]:
            if line.startswith("[[package]]"):
                if name and version and source_ok:
                    pairs.add((name, version))
                name = version = None
                source_ok = False
            elif line.startswith("name = "):
                name = line.split('"')[1]
            elif line.startswith("version = ") and name:
                version = line.split('"')[1]
            elif line.startswith("source = ") and "crates.io-index" in line:
                source_ok = True
    first, rest, seen = [], [], set()
    for name, version in sorted(pairs):
        (rest if name in seen else first).append((name, version))
        seen.add(name)
    return first, rest


def choose(first, rest, size):
    """`size` packages spread over the distinct names, topped up with other versions."""
    if size <= len(first):
        return first[:: max(1, len(first) // size)][:size]
    extra = size - len(first)
    return sorted(first + rest[:: max(1, len(rest) // extra)][:extra])


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
    ap.add_argument("workspaces", nargs="*", default=[str(REPO)],
                    help="workspaces for the bans/sources comparison (default: this repository)")
    args = ap.parse_args()
    if not args.windlass.exists():
        subprocess.run(["cargo", "build", "--package", "windlass"], cwd=REPO, check=True)
    first, rest = real_packages()
    print(f"{len(first)} distinct real crates, {len(first) + len(rest)} versions available; database {args.db}")
    tmp = Path(tempfile.mkdtemp(prefix="windlass-audit-bench-"))
    print("\n## advisories: windlass audit --only advisories vs cargo audit --no-yanked")
    for size in (200, 600, 1500):
        chosen = choose(first, rest, size)
        lock = tmp / f"lock-{size}.lock"
        write_lockfile(lock, chosen)
        ours = [str(args.windlass), "audit", "--no-fetch", "--only", "advisories",
                "--db", str(args.db), "--file", str(lock)]
        theirs = [args.cargo_audit, "audit", "--no-fetch", "--no-yanked",
                  "--db", str(args.db), "--file", str(lock)]
        # Same findings: compared through each tool's JSON output. The first run also fills
        # windlass's advisory index, as the first audit after a database update does.
        t_first, first_run = timed(ours + ["--format", "json"])
        a = windlass_ids(first_run)
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
        print(f"{len(chosen)} packages: {len(a)} advisory ids, {same} "
              f"(first run, indexing: {t_first * 1000:.0f} ms)")

    print("\n## bans and sources: windlass audit --only bans,sources vs cargo deny check bans sources")
    for workspace in args.workspaces:
        workspace = Path(workspace).resolve()
        deny_toml = workspace / "deny.toml"
        ours = [str(args.windlass), "audit", "--no-fetch", "--only", "bans,sources",
                "--manifest-path", str(workspace / "Cargo.toml")]
        theirs = ["cargo", "deny", "--offline", "--manifest-path", str(workspace / "Cargo.toml"),
                  "check", "bans", "sources"]
        if deny_toml.exists():
            ours += ["--policy", str(deny_toml)]
        packages = len(json.loads(subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--offline", "--manifest-path",
             str(workspace / "Cargo.toml")], capture_output=True, text=True).stdout or "{}").get("packages", []))
        o, t = timed(ours), timed(theirs)
        if o[1].returncode == 2 or t[1].returncode not in (0, 1):
            print(f"{workspace.name}: skipped (windlass {o[1].returncode}, cargo-deny {t[1].returncode}: "
                  f"{(o[1].stderr or t[1].stderr).strip().splitlines()[-1:]})")
            continue
        verdict = "same verdict" if (o[1].returncode == 0) == (t[1].returncode == 0) else \
            f"DIFFERENT verdicts: windlass {o[1].returncode}, cargo-deny {t[1].returncode}"
        t_ours, t_theirs = [], []
        for _ in range(args.runs):
            t_ours.append(timed(ours)[0])
            t_theirs.append(timed(theirs)[0])
        mo, mt = statistics.median(t_ours), statistics.median(t_theirs)
        print(f"{workspace.name} ({packages} packages): windlass {mo * 1000:.1f} ms, cargo-deny "
              f"{mt * 1000:.1f} ms, speed-up {mt / mo:.1f}x, {verdict}")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
