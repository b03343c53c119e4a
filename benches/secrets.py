#!/usr/bin/env python3
"""`secrets --all` against detect-secrets: speed on a large tree of real Rust, and recall and
false positives on the labelled corpus of crates/windlass-secrets/tests/corpus.rs.

The tree is built from the Rust sources in cargo's registry cache (real code, --megabytes of
it). detect-secrets is slow on it (about 90 s for 29 MB here), so it runs --their-runs times
(default 1) and windlass --runs times; medians are reported with the ratio.

usage: benches/secrets.py [--megabytes N] [--runs N] [--their-runs N] [--windlass PATH]
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


def build_tree(dest: Path, megabytes: int):
    home = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo"))
    budget = megabytes * 1024 * 1024
    total = lines = files = 0
    for src in sorted(glob.glob(str(home / "registry/src/*/*/**/*.rs"), recursive=True)):
        size = os.path.getsize(src)
        if total + size > budget:
            continue
        rel = Path(src).relative_to(home / "registry/src")
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
        total += size
        files += 1
        with open(src, "rb") as f:
            lines += f.read().count(b"\n")
        if total >= budget * 0.99:
            break
    return total, lines, files


def timed(cmd, cwd=None):
    start = time.perf_counter()
    out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    return time.perf_counter() - start, out


def windlass_files(out):
    report = json.loads(out.stdout)
    return {d["file"] for d in report["diagnostics"] if d.get("file")}


def detect_secrets_files(out):
    report = json.loads(out.stdout)
    return {path for path, results in report["results"].items() if results}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--megabytes", type=int, default=29)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--their-runs", type=int, default=1)
    ap.add_argument("--windlass", type=Path, default=REPO / "target/debug/windlass")
    args = ap.parse_args()
    if shutil.which("detect-secrets") is None:
        print("detect-secrets is not installed: pip install detect-secrets", file=sys.stderr)
        return 2
    if not args.windlass.exists():
        subprocess.run(["cargo", "build", "--package", "windlass"], cwd=REPO, check=True)
    work = Path(tempfile.mkdtemp(prefix="windlass-secrets-bench-"))

    # Recall and false positives on the labelled corpus.
    corpus = work / "corpus"
    subprocess.run(["cargo", "test", "--quiet", "--package", "windlass-secrets", "--test", "corpus"],
                   cwd=REPO, check=True, env={**os.environ, "WINDLASS_CORPUS_DIR": str(corpus)},
                   stdout=subprocess.DEVNULL)
    positives = {f"positive/{p.name}" for p in (corpus / "positive").iterdir()}
    negatives = {f"negative/{p.name}" for p in (corpus / "negative").iterdir()}
    ours = windlass_files(timed([str(args.windlass), "secrets", "--all", "--format", "json"], cwd=corpus)[1])
    theirs = detect_secrets_files(timed(["detect-secrets", "scan", "--all-files", "."], cwd=corpus)[1])
    for name, found in (("windlass", ours), ("detect-secrets", theirs)):
        print(f"corpus, {name}: recall {len(found & positives)}/{len(positives)}, "
              f"false positives {len(found & negatives)}/{len(negatives)}")

    # Speed on a large tree of real Rust.
    tree = work / "tree"
    size, lines, files = build_tree(tree, args.megabytes)
    print(f"tree: {size / 1e6:.1f} MB, {lines} lines, {files} files of Rust")
    t_ours = [timed([str(args.windlass), "secrets", "--all"], cwd=tree)[0] for _ in range(args.runs)]
    t_theirs = [timed(["detect-secrets", "scan", "--all-files", "."], cwd=tree)[0] for _ in range(args.their_runs)]
    mo, mt = statistics.median(t_ours), statistics.median(t_theirs)
    print(f"windlass secrets --all: {mo:.2f} s (median of {args.runs}); "
          f"detect-secrets scan --all-files: {mt:.1f} s (median of {args.their_runs}); speed-up {mt / mo:.0f}x")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
