#!/usr/bin/env python3
"""Pre-commit hook latency on a one-file commit, against `cargo fmt --all -- --check`.

Generates workspaces of about 50k and 500k lines of Rust (each with its own xtask over
windlass, as an adopter has), commits them, installs the hook, stages a one-line change to one
file, and times the hook as git runs it (warm: the xtask built, its stamp written), the same
checks through `cargo xtask pre-commit` (cargo's freshness check included), and
`cargo fmt --all -- --check`, which is what a hook would otherwise run. Medians of --runs runs,
alternating; the machine is shared and noisy.

usage: benches/hook_latency.py [--runs N] [--sizes 50000,500000]
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ci_overhead  # noqa: E402  (the workspace generator)


def run(cmd, cwd, env, check=True):
    return subprocess.run(cmd, cwd=cwd, env=env, check=check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def timed(cmd, cwd, env):
    start = time.perf_counter()
    out = run(cmd, cwd, env, check=False)
    return time.perf_counter() - start, out.returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--sizes", default="50000,500000")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="windlass-hook-bench-"))
    env = dict(os.environ)
    for var in ("GITHUB_ACTIONS", "WINDLASS_SKIP"):
        env.pop(var, None)
    env["CARGO_TARGET_DIR"] = str(work / "target")  # the xtask is built once for every size
    for target_lines in (int(s) for s in args.sizes.split(",")):
        root = work / f"ws-{target_lines}"
        root.mkdir()
        # A module of 16 functions is about 170 lines; 8 crates x 20 modules about 27k.
        crates = max(4, target_lines // 27_000 * 4)
        modules = max(10, round(target_lines / (crates * 170)))
        lines = ci_overhead.generate(root, crates, modules, 16)
        run(["cargo", "fmt", "--all"], root, env)
        for cmd in (["git", "init", "-q"], ["git", "add", "."], ["git", "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "init"]):
            run(cmd, root, env)
        run(["cargo", "build", "-q", "-p", "xtask"], root, env)
        module = root / "crates/c0/src/m0.rs"
        module.write_text(module.read_text().replace("Mixes `x`", "Mixes the value `x`", 1))
        run(["git", "add", str(module)], root, env)
        run(["cargo", "xtask", "install-hooks"], root, env)
        hook_script = ["sh", str(root / ".git/hooks/pre-commit")]
        # The hook vouches for a binary only once cargo has run it without building it, and
        # the binary is older than the margin (5 s): the first commits after a build go
        # through cargo.
        time.sleep(6)
        for _ in range(2):
            timed(hook_script, root, env)
        assert (root / ".git/windlass/xtask-fresh").is_file(), "the hook wrote no stamp"
        hook, through_cargo, fmt = [], [], []
        for _ in range(args.runs):
            t, code = timed(hook_script, root, env)
            assert code == 0, "the hook must pass on a clean one-file commit"
            hook.append(t)
            through_cargo.append(timed(["cargo", "xtask", "pre-commit"], root, env)[0])
            fmt.append(timed(["cargo", "fmt", "--all", "--", "--check"], root, env)[0])
        mh, mc, mf = (statistics.median(x) for x in (hook, through_cargo, fmt))
        print(f"{lines} lines: the hook {mh:.3f} s, cargo xtask pre-commit {mc:.3f} s, "
              f"cargo fmt --all -- --check {mf:.3f} s; hook/fmt ratio {mh / mf:.2f}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
