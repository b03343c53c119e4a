#!/usr/bin/env python3
"""windlass on real repositories, as a new user meets it: after `windlass init`, is each
`cargo xtask ci` step green exactly where the code is green?

For each repository directory given, on a scratch copy (the original is never touched):
  1. `windlass init --windlass-path <this checkout>` (the stock binary, built here);
  2. `cargo xtask ci --keep-going --format json` — or `windlass ci ...` when the repository has
     an xtask of its own, which init leaves alone;
  3. the commands a team would otherwise run, on the same copy and target directory:
     `cargo fmt -- --check`, `cargo clippy --workspace --all-targets -- -D warnings`,
     `cargo test --workspace`;
and prints one table: for each repository and step, windlass's verdict beside the raw one,
and every mismatch. Steps with no raw counterpart (audit, secrets, workflows) are shown
with windlass's verdict alone.

Not part of CI: it needs the repositories (and the crates they depend on).

usage: benches/adoption.py [--keep] [--config NAME=TOML_FILE ...] REPO_DIR [REPO_DIR ...]

`--config repo=file.toml` appends a file's TOML to that copy's root manifest after init: the
config a team would add (test services, say).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
RAW = {
    "fmt-check": ["cargo", "fmt", "--", "--check"],
    "lint": ["cargo", "clippy", "--workspace", "--all-targets", "--", "-D", "warnings"],
    "test": ["cargo", "test", "--workspace"],
}


def run(cmd, cwd, env, timeout=3600):
    start = time.perf_counter()
    try:
        out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
        return out.returncode, out.stdout, out.stderr, time.perf_counter() - start
    except subprocess.TimeoutExpired:
        return -1, "", "timed out", time.perf_counter() - start


def windlass_binary(scratch: Path) -> Path:
    """The stock binary, built and copied aside so that later builds of the checkout do not
    change it under the harness."""
    subprocess.run(["cargo", "build", "--quiet", "--package", "windlass", "--bin", "windlass"],
                   cwd=CHECKOUT, check=True)
    meta = json.loads(subprocess.run(["cargo", "metadata", "--no-deps", "--format-version", "1"],
                                     cwd=CHECKOUT, capture_output=True, text=True, check=True).stdout)
    built = Path(meta["target_directory"]) / "debug" / "windlass"
    copy = scratch / "windlass"
    shutil.copy2(built, copy)
    return copy


def has_own_xtask(repo: Path) -> bool:
    manifest = repo / "xtask" / "Cargo.toml"
    return manifest.is_file() and "windlass" not in manifest.read_text()


def snapshot(scratch: Path) -> Path:
    """This checkout's HEAD, unpacked: what the adopted repositories depend on, unmoved by
    edits made while the harness runs."""
    dest = scratch / "windlass-checkout"
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=CHECKOUT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def adopt(source: Path, scratch: Path, windlass: Path, checkout: Path, extra_config: Path | None,
          env: dict) -> dict:
    copy = scratch / source.name
    shutil.copytree(source, copy, symlinks=True, ignore=shutil.ignore_patterns("target"))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=copy,
                            capture_output=True, text=True).stdout.strip()
    own_xtask = has_own_xtask(copy)
    code, out, err, _ = run([str(windlass), "init", "--windlass-path", str(checkout)], copy, env)
    if code != 0:
        return {"repo": source.name, "commit": commit, "init": f"exit {code}: {err.strip()[-400:]}",
                "steps": {}, "raw": {}}
    if extra_config:
        with open(copy / "Cargo.toml", "a") as manifest:
            manifest.write("\n" + extra_config.read_text())
    env = dict(env, CARGO_TARGET_DIR=str(copy / "target"))
    if own_xtask:
        cmd = [str(windlass), "ci", "--keep-going", "--format", "json"]
    else:
        cmd = ["cargo", "xtask", "ci", "--keep-going", "--format", "json"]
    code, out, err, took = run(cmd, copy, env)
    try:
        report = json.loads(out)
    except json.JSONDecodeError:
        report = {"steps": [], "error": err.strip()[-600:]}
    steps = {s["name"]: {"status": s["status"], "summary": s["summary"]} for s in report.get("steps", [])}
    raw = {}
    for step, raw_cmd in RAW.items():
        rcode, rout, rerr, rtook = run(raw_cmd, copy, env)
        raw[step] = {"status": "passed" if rcode == 0 else "failed", "tail": (rout + rerr).strip()[-300:],
                     "seconds": round(rtook, 1)}
    return {"repo": source.name, "commit": commit, "own_xtask": own_xtask, "init": "ok",
            "ci_exit": code, "ci_seconds": round(took, 1), "error": report.get("error"),
            "steps": steps, "raw": raw}


def table(results: list) -> int:
    mismatches = 0
    print("\n| repository | commit | step | windlass | raw command | agree |")
    print("|---|---|---|---|---|---|")
    for r in results:
        if r["init"] != "ok":
            print(f"| {r['repo']} | {r['commit']} | init | {r['init']} | | |")
            mismatches += 1
            continue
        if r.get("error"):
            print(f"| {r['repo']} | {r['commit']} | ci | error: {r['error']} | | |")
        for name, step in r["steps"].items():
            raw = r["raw"].get(name)
            if raw is None:
                print(f"| {r['repo']} | {r['commit']} | {name} | {step['status']}: {step['summary']} | — | |")
                continue
            agree = (step["status"] == "passed") == (raw["status"] == "passed")
            mismatches += not agree
            print(f"| {r['repo']} | {r['commit']} | {name} | {step['status']}: {step['summary']} "
                  f"| {raw['status']} | {'yes' if agree else '**NO**'} |")
    print(f"\n{mismatches} mismatch(es)")
    for r in results:
        for name, step in r["steps"].items():
            raw = r["raw"].get(name)
            if raw and (step["status"] == "passed") != (raw["status"] == "passed"):
                print(f"\n{r['repo']} {name}: windlass {step['status']} ({step['summary']}); "
                      f"raw {raw['status']}:\n{raw['tail']}")
    return mismatches


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("repos", nargs="+", type=Path)
    ap.add_argument("--keep", action="store_true", help="keep the scratch copies")
    ap.add_argument("--config", action="append", default=[], metavar="NAME=FILE")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    configs = dict(c.split("=", 1) for c in args.config)
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "CARGO_TARGET_DIR")}
    scratch = Path(tempfile.mkdtemp(prefix="windlass-adoption-"))
    windlass = windlass_binary(scratch)
    checkout = snapshot(scratch)
    results = []
    try:
        for repo in args.repos:
            repo = repo.resolve()
            extra = Path(configs[repo.name]).resolve() if repo.name in configs else None
            print(f"== {repo.name}", flush=True)
            result = adopt(repo, scratch, windlass, checkout, extra, env)
            results.append(result)
            print(json.dumps({k: v for k, v in result.items() if k != "raw"}, indent=1), flush=True)
    finally:
        if args.keep:
            print(f"scratch copies kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 1 if table(results) else 0


if __name__ == "__main__":
    sys.exit(main())
