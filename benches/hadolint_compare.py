#!/usr/bin/env python3
"""Compares windlass's Dockerfile lint with hadolint on every Dockerfile of the given
repositories (git directories or work trees): for the rules both have, the (rule, line)
pairs each reports, the agreements and each side's extra findings, per file and in total.
Each disagreement is a bug of one side or a documented choice (docs/dockerfile-lint.md).

usage: benches/hadolint_compare.py [--windlass PATH] REPO...
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

# windlass's rule → hadolint's id(s).
SAME = {
    "apt-no-recommends": ["DL3015"],
    "apt-clean": ["DL3009"],
    "apt-get": ["DL3027"],
    "apk-no-cache": ["DL3019"],
    "wget-progress": ["DL3047"],
    "pipefail": ["DL4006"],
    "base-pinned": ["DL3006", "DL3007"],
    "no-add": ["DL3020"],
    "exec-form": ["DL3025"],
    "non-root": ["DL3002"],
}
HADOLINT = {h: ours for ours, ids in SAME.items() for h in ids}


def dockerfiles(repo: Path, into: Path) -> list:
    """Every Dockerfile/Containerfile of `repo`'s HEAD, copied into `into`."""
    git = ["git", f"--git-dir={repo}"] if (repo / "HEAD").is_file() else ["git", "-C", str(repo)]
    names = subprocess.run(git + ["ls-tree", "-r", "--name-only", "HEAD"],
                           capture_output=True, text=True, check=True).stdout.split("\n")
    out = []
    for name in names:
        base = name.rsplit("/", 1)[-1]
        if base.startswith(("Dockerfile", "Containerfile")) or base.endswith(".Dockerfile"):
            label = repo.resolve().parent.name if repo.name in ("repo", ".git") else repo.name
            target = into / label / name.replace("/", "_")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(subprocess.run(git + ["show", f"HEAD:{name}"],
                                              capture_output=True, check=True).stdout)
            out.append(target)
    return out


def windlass(binary: str, path: Path) -> set:
    run = subprocess.run([binary, "docker-build", "--check", str(path), "--format", "json"],
                         capture_output=True, text=True, cwd=path.parent)
    report = json.loads(run.stdout)
    return {(d["title"], d.get("line")) for d in report.get("diagnostics", [])}


def hadolint(path: Path) -> tuple:
    run = subprocess.run(["hadolint", "--no-fail", "-f", "json", str(path)],
                         capture_output=True, text=True)
    try:
        found = json.loads(run.stdout or "[]")
    except json.JSONDecodeError:
        return set(), False
    parsed = not any(f.get("code") == "DL1000" for f in found)
    return {(HADOLINT[f["code"]], f["line"]) for f in found if f["code"] in HADOLINT}, parsed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--windlass", default="target/release/windlass")
    parser.add_argument("repos", nargs="+", type=Path)
    args = parser.parse_args()
    args.windlass = str(Path(args.windlass).resolve())
    totals = {"files": 0, "agree": 0, "only windlass": 0, "only hadolint": 0}
    with tempfile.TemporaryDirectory() as tmp:
        for repo in args.repos:
            for path in dockerfiles(repo, Path(tmp)):
                ours = windlass(args.windlass, path)
                theirs, parsed = hadolint(path)
                shared = {o for o in ours if o[0] in SAME}
                totals["files"] += 1
                totals["agree"] += len(shared & theirs)
                totals["only windlass"] += len(shared - theirs)
                totals["only hadolint"] += len(theirs - shared)
                extra = sorted(shared - theirs)
                missing = sorted(theirs - shared)
                if extra or missing or not parsed:
                    note = "" if parsed else " (hadolint cannot parse it)"
                    print(f"{path.relative_to(tmp)}{note}: windlass only {extra}, hadolint only {missing}")
    print(json.dumps(totals))
    return 0


if __name__ == "__main__":
    sys.exit(main())
