#!/usr/bin/env python3
"""Records what cargo-deny flags on the bans fixtures, for the tests to compare windlass with
(`crates/windlass/tests/data/deny/cargo-deny.json`): for each config under
`tests/data/deny/configs`, `cargo deny check bans` on the fixture workspace, reduced to the
(code, crate) pairs it reports. Needs cargo-deny 0.18+; run it again when a fixture changes.

usage: benches/deny_record.py
"""
import json
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "crates/windlass/tests/data/deny"


def flagged(config: Path) -> list:
    out = subprocess.run(
        ["cargo", "deny", "--offline", "--format", "json", "--log-level", "warn",
         "--config", str(config), "check", "bans"],
        cwd=DATA / "workspace", capture_output=True, text=True,
    )
    pairs = set()
    for line in out.stderr.splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        fields = event.get("fields", {})
        code = fields.get("code")
        if event.get("type") != "diagnostic" or fields.get("severity") not in ("error", "warning"):
            continue
        if code not in ("duplicate", "banned", "wildcard", "not-allowed"):
            continue
        graphs = fields.get("graphs") or []
        for graph in graphs:
            krate = graph.get("Krate", {})
            if krate.get("name"):
                pairs.add((code, krate["name"], fields["severity"]))
    return sorted(pairs)


def main() -> int:
    version = subprocess.run(["cargo", "deny", "--version"], capture_output=True, text=True).stdout.strip()
    record = {"cargo-deny": version, "cases": {}}
    for config in sorted((DATA / "configs").glob("*.toml")):
        record["cases"][config.stem] = [list(p) for p in flagged(config)]
        print(config.stem, record["cases"][config.stem])
    (DATA / "cargo-deny.json").write_text(json.dumps(record, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
