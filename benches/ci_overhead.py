#!/usr/bin/env python3
"""Overhead of `cargo xtask ci` over the same cargo commands run back to back.

Generates a workspace of realistic size (several crates, tens of thousands of lines, hundreds
of tests) whose own xtask depends on windlass by path, warms every cache, then alternates
`cargo xtask ci` with the raw commands windlass runs (as `cargo xtask ci --dry-run` prints them)
and reports the medians and their ratio. The machine is shared and noisy: medians and ratios
only, never a single timing.

usage: benches/ci_overhead.py [--runs N] [--crates N] [--modules N] [--keep DIR]
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


def module_source(crate: int, module: int, functions: int) -> str:
    out = [f"//! Generated module {module} of crate {crate}.\n"]
    for f in range(functions):
        out.append(
            f"""
/// Mixes `x` with a constant, function {f}.
pub fn mix_{f}(x: u64) -> u64 {{
    let mut acc = x.wrapping_mul({f + 3});
    for i in 0..{(f % 7) + 2} {{
        acc = acc.rotate_left(i).wrapping_add({module + 1});
    }}
    acc ^ {crate * 1000 + f + 1}
}}
"""
        )
    out.append("\n#[cfg(test)]\nmod tests {\n    use super::*;\n")
    for f in range(0, functions, 4):
        out.append(
            f"""
    #[test]
    fn mix_{f}_is_deterministic() {{
        assert_eq!(mix_{f}(7), mix_{f}(7));
    }}
"""
        )
    out.append("}\n")
    return "".join(out)


def generate(root: Path, crates: int, modules: int, functions: int) -> int:
    members = [f"crates/c{c}" for c in range(crates)] + ["xtask"]
    # The pipeline of the comparison: the steps that are cargo commands a user would run.
    (root / "Cargo.toml").write_text(
        "[workspace]\nresolver = \"3\"\nmembers = [%s]\n\n[workspace.package]\nedition = \"2024\"\n\n"
        "[workspace.metadata.windlass.ci]\nsteps = [\"fmt-check\", \"lint\", \"test\"]\n"
        % ", ".join(f'"{m}"' for m in members)
    )
    (root / ".cargo").mkdir()
    (root / ".cargo/config.toml").write_text('[alias]\nxtask = "run --quiet --package xtask --"\n')
    lines = 0
    for c in range(crates):
        crate = root / f"crates/c{c}"
        (crate / "src").mkdir(parents=True)
        deps = f'c{c - 1} = {{ path = "../c{c - 1}" }}\n' if c else ""
        (crate / "Cargo.toml").write_text(
            f'[package]\nname = "c{c}"\nversion = "0.1.0"\nedition.workspace = true\n\n[dependencies]\n{deps}'
        )
        lib = [f"//! Generated crate {c}.\n\n"] + [f"pub mod m{m};\n" for m in range(modules)]
        (crate / "src/lib.rs").write_text("".join(lib))
        for m in range(modules):
            text = module_source(c, m, functions)
            lines += text.count("\n")
            (crate / f"src/m{m}.rs").write_text(text)
    xtask = root / "xtask"
    (xtask / "src").mkdir(parents=True)
    (xtask / "Cargo.toml").write_text(
        f'[package]\nname = "xtask"\nversion = "0.1.0"\nedition.workspace = true\npublish = false\n\n'
        f'[dependencies]\nwindlass = {{ path = "{REPO / "crates/windlass"}" }}\n'
    )
    (xtask / "src/main.rs").write_text(
        "//! xtask.\n\nfn main() -> std::process::ExitCode {\n    windlass::main()\n}\n"
    )
    return lines


def timed(cmd, cwd, env) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def timed_sequence(commands, cwd, env) -> float:
    start = time.perf_counter()
    for cmd in commands:
        subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def raw_commands(root: Path, env) -> list:
    plan = subprocess.run(
        ["cargo", "xtask", "ci", "--dry-run", "--color", "never"],
        cwd=root, env=env, check=True, capture_output=True, text=True,
    ).stdout
    commands = []
    for line in plan.splitlines():
        parts = line.strip().split(None, 2)
        if len(parts) == 3 and parts[0].rstrip(".").isdigit():
            for command in parts[2].split(" && "):
                argv = command.split()
                # Environment assignments shown in front of a command are kept, through env(1).
                if argv and "=" in argv[0] and not argv[0].startswith("-"):
                    argv.insert(0, "env")
                commands.append(argv)
    return commands


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--crates", type=int, default=8)
    ap.add_argument("--modules", type=int, default=20)
    ap.add_argument("--functions", type=int, default=16)
    ap.add_argument("--keep", type=Path, help="generate into this directory and keep it")
    args = ap.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="windlass-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    if not (root / "Cargo.toml").exists():
        lines = generate(root, args.crates, args.modules, args.functions)
        print(f"workspace: {root} ({args.crates} crates, {lines} lines of Rust)")
        # Generated code is formatted the way a real, CI-clean workspace is.
        subprocess.run(["cargo", "fmt", "--all"], cwd=root, check=True)
    env = dict(os.environ)
    for var in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "CARGO_TARGET_DIR"):
        env.pop(var, None)

    print("warming caches ...", flush=True)
    subprocess.run(["cargo", "xtask", "ci"], cwd=root, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    raw = raw_commands(root, env)
    print("raw commands:\n  " + "\n  ".join(" ".join(c) for c in raw))
    timed_sequence(raw, root, env)

    # `cargo xtask` is `cargo run`: cargo's own freshness check of the xtask is part of what a
    # user pays, so it is measured; the built binary alone shows windlass's own share.
    binary = str(root / "target/debug/xtask")
    xtask, alone, direct = [], [], []
    for i in range(args.runs):
        xtask.append(timed(["cargo", "xtask", "ci"], root, env))
        direct.append(timed_sequence(raw, root, env))
        alone.append(timed([binary, "ci"], root, env))
        print(f"  run {i + 1}: cargo xtask ci {xtask[-1]:.3f}s  xtask binary {alone[-1]:.3f}s  raw {direct[-1]:.3f}s", flush=True)
    mx, ma, md = statistics.median(xtask), statistics.median(alone), statistics.median(direct)
    print(f"median cargo xtask ci:       {mx:.3f}s")
    print(f"median xtask binary ci:      {ma:.3f}s")
    print(f"median raw commands:         {md:.3f}s")
    print(f"overhead ratio, cargo xtask ci / raw:  {mx / md:.3f} (goal <= 1.03)")
    print(f"overhead ratio, xtask binary / raw:    {ma / md:.3f}")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
