#!/usr/bin/env python3
"""A stranger's first hour with windlass, timed step by step on a brand-new service.

`cargo new` a service with a std-only /health server, then what a new user runs: `windlass
init` with its defaults (refused: windlass is not on the registry yet, nothing written) and
with `--windlass-path`, `cargo build`, a commit through the hook, `cargo xtask ci`,
`docker-build --init` and `--check` and a commit, `doctor`, a local deploy, `systemd-unit`
through `systemd-analyze verify`, and a broken release deployed and rolled back. Each step's
verdict and wall time, then what adoption costs: the xtask's cold build (an empty target
directory, the registry cache warm, as on a CI runner with its cargo cache restored), its
package count, and the project's own Cargo.lock before and after.

Exit status 1 when any step's verdict is not the expected one.

usage: benches/first_hour.py [--windlass PATH] [--keep]
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# The service of a stranger: a /health server, standard library only (the tests use it too).
SERVICE = (REPO / "crates/windlass/tests/fixtures/health_service.rs").read_text()

RESTART = (REPO / "crates/windlass/tests/fixtures/restart.sh").read_text()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hour:
    def __init__(self, root: Path, windlass: Path, env: dict):
        self.root, self.windlass, self.env = root, windlass, env
        self.rows: list[tuple[str, str, str, float]] = []
        self.failed = False

    def run(self, label: str, cmd: list[str], expect: int = 0, env: dict | None = None,
            stdout=None) -> subprocess.CompletedProcess:
        start = time.perf_counter()
        done = subprocess.run(cmd, cwd=self.root, env=env or self.env, text=True,
                              stdout=stdout or subprocess.PIPE, stderr=subprocess.PIPE)
        took = time.perf_counter() - start
        ok = done.returncode == expect
        verdict = f"exit {done.returncode}" + ("" if ok else f" (expected {expect})")
        self.rows.append((label, "ok" if ok else "UNEXPECTED", verdict, took))
        if not ok:
            self.failed = True
            tail = ((done.stdout or "") + done.stderr)[-3000:]
            print(f"--- {label}: {' '.join(cmd)}\n{tail}", file=sys.stderr)
        return done

    def check(self, label: str, ok: bool, detail: str) -> None:
        self.rows.append((label, "ok" if ok else "UNEXPECTED", detail, 0.0))
        self.failed |= not ok

    def commit(self, label: str, message: str) -> None:
        subprocess.run(["git", "add", "-A"], cwd=self.root, check=True)
        self.run(label, ["git", "commit", "--quiet", "-m", message])


def packages_in(lock: Path) -> int:
    return lock.read_text().count("[[package]]") if lock.exists() else 0


def cold_build(manifest: Path, env: dict) -> tuple[float, int]:
    target = tempfile.mkdtemp(prefix="windlass-first-hour-cold-")
    start = time.perf_counter()
    out = subprocess.run(["cargo", "build", "--offline", "--manifest-path", str(manifest)],
                         env=dict(env, CARGO_TARGET_DIR=target), capture_output=True, text=True,
                         check=True)
    took = time.perf_counter() - start
    shutil.rmtree(target, ignore_errors=True)
    return took, sum(1 for l in out.stderr.splitlines() if l.strip().startswith("Compiling "))


def health(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
            return r.status == 200
    except Exception:
        return False


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--windlass", type=Path, help="the windlass binary (default: built from this checkout)")
    ap.add_argument("--keep", action="store_true", help="keep the service's directory")
    args = ap.parse_args()
    if args.windlass is None:
        subprocess.run(["cargo", "build", "--quiet", "--locked", "--package", "windlass", "--bin", "windlass"],
                       cwd=REPO, check=True)
        args.windlass = REPO / "target/debug/windlass"
    db = os.environ.get("WINDLASS_ADVISORY_DB") or str(REPO / "crates/windlass/tests/data/advisory-db")

    work = Path(tempfile.mkdtemp(prefix="windlass-first-hour-"))
    env = {k: v for k, v in os.environ.items()
           if k not in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "CARGO_TARGET_DIR", "RUSTFLAGS")}
    env.update(NO_COLOR="1", GIT_AUTHOR_NAME="Stranger", GIT_AUTHOR_EMAIL="s@example.com",
               GIT_COMMITTER_NAME="Stranger", GIT_COMMITTER_EMAIL="s@example.com")
    subprocess.run(["cargo", "new", "--quiet", "--bin", "svc"], cwd=work, env=env, check=True)
    root = work / "svc"
    (root / "src/main.rs").write_text(SERVICE)
    hour = Hour(root, args.windlass, env)
    hour.commit("cargo new (commit)", "cargo new")
    hour.run("cargo build (before windlass)", ["cargo", "build", "--quiet"])
    lock_before = (root / "Cargo.lock").read_text()

    refused = hour.run("windlass init (defaults)", [str(args.windlass), "init"], expect=2,
                       env=dict(env, CARGO_NET_OFFLINE="true"))
    hour.check("  ... nothing written", not (root / "xtask").exists()
               and "--windlass-path" in refused.stdout + refused.stderr, "no xtask/, the fix named")
    hour.run("windlass init --windlass-path (builds the xtask)",
             [str(args.windlass), "init", "--windlass-path", str(REPO / "crates/windlass")])
    hour.run("cargo build (after)", ["cargo", "build", "--quiet"])
    hour.check("  ... project Cargo.lock unchanged", (root / "Cargo.lock").read_text() == lock_before,
               f"{packages_in(root / 'Cargo.lock')} package(s)")
    hour.commit("git commit (the hook's first run)", "windlass")

    manifest = (root / "Cargo.toml").read_text()
    (root / "Cargo.toml").write_text(manifest + f'\n[package.metadata.windlass.audit]\ndb = "{db}"\nfetch = false\n')
    hour.run("cargo xtask ci", ["cargo", "xtask", "ci"])
    hour.run("cargo xtask docker-build --init", ["cargo", "xtask", "docker-build", "--init"])
    hour.run("cargo xtask docker-build --check", ["cargo", "xtask", "docker-build", "--check"])
    hour.commit("git commit (Dockerfile, probe)", "image")
    hour.run("cargo xtask doctor", ["cargo", "xtask", "doctor"])

    port = free_port()
    host = work / "host"
    (root / "restart.sh").write_text(RESTART)
    (root / "Cargo.toml").write_text((root / "Cargo.toml").read_text() + (
        f'\n[package.metadata.windlass.deploy.local]\nroot = "{host}"\nbin = "svc"\nprofile = "dev"\n'
        f'restart = ["sh", "restart.sh"]\n'
        f'health = {{ url = "http://127.0.0.1:{port}/health", deadline = "20s", interval = "200ms" }}\n'))
    hour.commit("git commit (deploy config)", "deploy config")
    deploy_env = dict(env, SVC_PORT=str(port))
    try:
        hour.run("cargo xtask deploy --env local", ["cargo", "xtask", "deploy", "--env", "local"], env=deploy_env)
        good = os.readlink(host / "current") if (host / "current").is_symlink() else None
        hour.check("  ... the service answers", health(port), f"current -> {good}")
        unit = work / "svc.service"
        with unit.open("w") as f:
            hour.run("cargo xtask systemd-unit --env local > svc.service",
                     ["cargo", "xtask", "systemd-unit", "--env", "local"], stdout=f)
        if shutil.which("systemd-analyze"):
            hour.run("systemd-analyze verify svc.service", ["systemd-analyze", "verify", str(unit)])
        (root / "src/main.rs").write_text(SERVICE.replace('"200 OK"', '"503 Service Unavailable"'))
        hour.commit("git commit (a broken release)", "broken")
        hour.run("cargo xtask deploy (broken, rolled back)", ["cargo", "xtask", "deploy", "--env", "local"],
                 expect=1, env=deploy_env)
        back = os.readlink(host / "current") if (host / "current").is_symlink() else None
        hour.check("  ... back on the good release", back == good and health(port), f"current -> {back}")
    finally:
        pid = host / "service.pid"
        if pid.exists():
            subprocess.run(["kill", pid.read_text().strip()], stderr=subprocess.DEVNULL)

    cold, units = cold_build(root / "xtask/Cargo.toml", env)
    xtask_packages = packages_in(root / "xtask/Cargo.lock")

    width = max(len(r[0]) for r in hour.rows)
    print(f"{'step':<{width}}  verdict     detail                              time")
    for label, verdict, detail, took in hour.rows:
        print(f"{label:<{width}}  {verdict:<10}  {detail:<34}  {took:6.2f}s")
    print()
    print(f"xtask cold build (empty target dir, registry cache warm): {cold:.1f} s, {units} crates compiled")
    print(f"xtask's own Cargo.lock: {xtask_packages} packages; the project's Cargo.lock: "
          f"{packages_in(root / 'Cargo.lock')} package(s) before and after (the member layout would add {xtask_packages - 1})")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"kept {work}")
    return 1 if hour.failed else 0


if __name__ == "__main__":
    sys.exit(main())
