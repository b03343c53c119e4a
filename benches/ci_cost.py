#!/usr/bin/env python3
"""What the generated CI costs on a real repository, simulated locally: the same commands its
jobs run, with a cold and with a warm build cache, beside the same jobs without windlass's
caching.

For each compiling job kind (`lint`: clippy over every target; `test`: the test binaries
built; `docs`: rustdoc), in a clean clone of the repository given:
  1. cold: an empty target directory (the registry warm, as on a runner whose cargo cache
     was restored) — what every run costs without a build cache;
  2. the cache as windlass saves it: `cache-prune` over that target directory, and its size
     beside the unpruned directory (what a whole-`target/` cache would upload);
  3. warm: the next commit (a line changed in a member's source) built on the pruned cache,
     and on the unpruned one, each from a fresh copy; the median of `--repeat` runs.
CPU is user+sys of the child processes (what a runner bills is wall time on 2-4 cores; CPU is
the stable figure on a shared, noisy machine). Then the xtask: built once per workflow run
rather than in every job — its cold CPU, times the jobs that no longer build it.

usage: benches/ci_cost.py --repo PATH [--kinds lint,test,docs] [--repeat 3] [--windlass BIN]
                          [--keep]
"""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

COMMANDS = {
    "lint": ["cargo", "clippy", "--workspace", "--all-targets", "--offline", "--quiet"],
    "test": ["cargo", "test", "--workspace", "--no-run", "--offline", "--quiet"],
    "docs": ["cargo", "doc", "--workspace", "--no-deps", "--offline", "--quiet"],
}


def cpu_of(cmd, cwd, env) -> float:
    """User+sys seconds of `cmd` and its children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def size(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            full = Path(root, name)
            if not full.is_symlink():
                total += full.stat().st_size
    return total


def mib(n: int) -> str:
    return f"{n / 1048576:.0f} MiB"


def member_source(clone: Path) -> Path:
    """A source file of a workspace member, to change as the next commit would."""
    out = subprocess.run(["cargo", "metadata", "--no-deps", "--format-version", "1", "--offline"],
                         cwd=clone, capture_output=True, text=True, check=True)
    import json
    for package in json.loads(out.stdout)["packages"]:
        for target in package["targets"]:
            if "lib" in target["kind"] or "bin" in target["kind"]:
                return Path(target["src_path"])
    sys.exit("no member source to change")


def build_windlass() -> Path:
    subprocess.run(["cargo", "build", "--quiet", "--package", "windlass"], cwd=REPO, check=True)
    return REPO / "target/debug/windlass"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True, type=Path,
                        help="a repository (work tree or git directory) to clone")
    parser.add_argument("--kinds", default="lint,test,docs")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--windlass", type=Path)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    windlass = args.windlass or build_windlass()
    kinds = [k for k in args.kinds.split(",") if k]
    for kind in kinds:
        if kind not in COMMANDS:
            sys.exit(f"unknown kind {kind}: {', '.join(COMMANDS)}")

    work = Path(tempfile.mkdtemp(prefix="windlass-ci-cost-"))
    try:
        clone = work / "repo"
        subprocess.run(["git", "clone", "--quiet", str(args.repo), str(clone)], check=True)
        env = dict(os.environ, CARGO_INCREMENTAL="0", CARGO_TERM_COLOR="never")
        env.pop("RUSTFLAGS", None)
        source = member_source(clone)
        original = source.read_text()
        rows = []
        for kind in kinds:
            target = work / f"target-{kind}"
            env_kind = dict(env, CARGO_TARGET_DIR=str(target))
            source.write_text(original)
            cold = cpu_of(COMMANDS[kind], clone, env_kind)
            unpruned_dir = work / f"unpruned-{kind}"
            shutil.copytree(target, unpruned_dir, symlinks=True)
            unpruned = size(unpruned_dir)
            done = subprocess.run([str(windlass), "cache-prune", "--target-dir", str(target)],
                                  cwd=clone, env=env_kind, capture_output=True, text=True)
            if done.returncode != 0:
                sys.exit(f"cache-prune failed:\n{done.stdout}{done.stderr}")
            pruned = size(target)
            warm = {"pruned": [], "unpruned": []}
            for i in range(args.repeat):
                source.write_text(original + f"\n// the next commit {i}\n")
                for label, snapshot in (("pruned", target), ("unpruned", unpruned_dir)):
                    scratch = work / f"scratch-{kind}"
                    shutil.rmtree(scratch, ignore_errors=True)
                    shutil.copytree(snapshot, scratch, symlinks=True)
                    warm[label].append(
                        cpu_of(COMMANDS[kind], clone, dict(env, CARGO_TARGET_DIR=str(scratch))))
            source.write_text(original)
            shutil.rmtree(unpruned_dir, ignore_errors=True)
            shutil.rmtree(work / f"scratch-{kind}", ignore_errors=True)
            shutil.rmtree(target, ignore_errors=True)
            rows.append((kind, cold, statistics.median(warm["pruned"]),
                         statistics.median(warm["unpruned"]), pruned, unpruned))

        # The xtask, built cold (what each job used to pay on a cache miss).
        xtask_target = work / "target-xtask"
        xtask_cpu = cpu_of(["cargo", "build", "--quiet", "--package", "xtask", "--offline"], REPO,
                           dict(env, CARGO_TARGET_DIR=str(xtask_target)))
        shutil.rmtree(xtask_target, ignore_errors=True)

        name = args.repo.resolve().name
        print(f"\nci_cost on {name} ({os.cpu_count()} CPUs), CPU seconds (user+sys), "
              f"median of {args.repeat} warm runs\n")
        print(f"{'job':6} {'cold':>8} {'warm (pruned cache)':>20} {'warm (whole target)':>20} "
              f"{'cache pruned':>13} {'whole target':>13} {'size ratio':>10}")
        for kind, cold, warm_p, warm_u, pruned, unpruned in rows:
            print(f"{kind:6} {cold:8.1f} {warm_p:20.1f} {warm_u:20.1f} {mib(pruned):>13} "
                  f"{mib(unpruned):>13} {unpruned / max(pruned, 1):9.1f}x")
        cold = sum(r[1] for r in rows)
        warm_p = sum(r[2] for r in rows)
        warm_u = sum(r[3] for r in rows)
        pruned = sum(r[4] for r in rows)
        unpruned = sum(r[5] for r in rows)
        print(f"{'total':6} {cold:8.1f} {warm_p:20.1f} {warm_u:20.1f} {mib(pruned):>13} "
              f"{mib(unpruned):>13} {unpruned / max(pruned, 1):9.1f}x")
        print(f"\nwarm with windlass's cache: {cold / max(warm_p, 0.01):.1f}x less CPU than without a "
              f"cache; the cache {unpruned / max(pruned, 1):.1f}x smaller than the whole target "
              f"directory, for {warm_p - warm_u:+.1f} s CPU")
        jobs = len(kinds) + 4  # fmt-check, audit, secrets, workflows besides the compiling ones
        print(f"the xtask: {xtask_cpu:.1f} s CPU cold; built once per run instead of in each of "
              f"{jobs} jobs saves {xtask_cpu * (jobs - 1):.0f} s CPU on a cache miss")
        return 0
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
