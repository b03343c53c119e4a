#!/usr/bin/env python3
"""`docker-build --prebuilt` after a one-line source change, against a plain multi-stage
`docker build` of the same service, warm; and the runtime image sizes.

The multi-stage build needs its base images (a Rust builder, the distroless runtime) in the
local engine. Machines without a registry cannot pull them: the script then says so and
reports the prebuilt figures alone.

usage: benches/docker.py [--runs N] [--windlass PATH]
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
SERVICE = (REPO / "crates/windlass/tests/docker.rs").read_text().split('r#"', 1)[1].split('"#', 1)[0]


def sh(cmd, cwd, env=None, check=True):
    return subprocess.run(cmd, cwd=cwd, env=env, check=check, capture_output=True, text=True)


def timed(cmd, cwd, env=None):
    start = time.perf_counter()
    sh(cmd, cwd, env)
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--windlass", type=Path, default=REPO / "target/debug/windlass")
    args = ap.parse_args()
    if not args.windlass.exists():
        sh(["cargo", "build", "--package", "windlass"], REPO)
    work = Path(tempfile.mkdtemp(prefix="windlass-docker-bench-"))
    image = f"windlass-bench-{os.getpid()}"
    (work / "src").mkdir()
    (work / "Cargo.toml").write_text(
        f'[package]\nname = "svc"\nversion = "0.1.0"\nedition = "2021"\n\n[workspace]\n\n'
        f'[workspace.metadata.windlass.docker]\nimage = "{image}"\n')
    main_rs = work / "src/main.rs"
    main_rs.write_text(SERVICE.replace("{healthy}", "true").replace("{{", "{").replace("}}", "}"))
    for cmd in (["git", "init", "-q"], ["git", "add", "."], ["git", "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "svc"]):
        sh(cmd, work)
    build = [str(args.windlass), "docker-build", "--prebuilt"]
    try:
        sh(build, work)  # warm: dependencies and layers
        times = []
        for i in range(args.runs):
            main_rs.write_text(main_rs.read_text().replace('println!("listening', f'println!("{i} listening', 1) if i == 0
                               else main_rs.read_text().replace(f'println!("{i - 1} listening', f'println!("{i} listening', 1))
            times.append(timed(build, work))
        size = sh(["docker", "image", "inspect", "--format", "{{.Size}}", f"{image}:0.1.0"], work).stdout.strip()
        print(f"docker-build --prebuilt after a one-line change: median {statistics.median(times):.2f} s; "
              f"runtime image {int(size) / 1e6:.1f} MB (scratch)")
        sh([str(args.windlass), "docker-build", "--init"], work)
        missing = [img for img in ("rust:1.88-slim-bookworm", "gcr.io/distroless/cc-debian12:nonroot")
                   if sh(["docker", "image", "inspect", img], work, check=False).returncode != 0]
        if missing:
            print(f"multi-stage comparison skipped: {', '.join(missing)} not in the local engine and not pullable here")
            return 0
        sh(["docker", "build", "-t", f"{image}-plain", "."], work)
        plain = []
        for i in range(args.runs):
            main_rs.write_text(main_rs.read_text().replace("listening", f"listening{i}", 1))
            plain.append(timed(["docker", "build", "-t", f"{image}-plain", "."], work))
        mp, mq = statistics.median(plain), statistics.median(times)
        size = sh(["docker", "image", "inspect", "--format", "{{.Size}}", f"{image}-plain"], work).stdout.strip()
        print(f"plain multi-stage docker build: median {mp:.2f} s, image {int(size) / 1e6:.1f} MB; prebuilt is {mp / mq:.1f}x faster")
    finally:
        images = sh(["docker", "images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", f"reference={image}*"], work, check=False).stdout.split()
        for tag in images:
            sh(["docker", "rmi", "--force", tag], work, check=False)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
