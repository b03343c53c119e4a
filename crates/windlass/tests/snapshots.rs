//! What users see, snapshotted: a change to the terminal or JSON output is a reviewed change.
//! Update with `SNAPSHOTS=overwrite cargo test -p windlass --test snapshots`, then put `[..]`
//! back over the durations.
// In test helpers a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

use snapbox::{IntoData, assert_data_eq, str};
use support::*;

#[test]
fn terminal_output_of_a_failing_ci() {
    let lib = "//! F.\n\n/// A.\npub fn add(a: u32, b: u32) -> u32 {\n    return a + b;\n}\n";
    let fx = Fixture::new(lib);
    let run = fx
        .run(&[
            "ci",
            "--keep-going",
            "--skip",
            "audit",
            "--skip",
            "secrets",
            "--skip",
            "workflows",
            "--skip",
            "test",
        ])
        .expect_code(1);
    assert_data_eq!(
        run.stdout(),
        str![[r#"
==> fmt-check
    $ cargo fmt -- --check --color never
✓ fmt-check passed in [..]s: all files formatted
==> lint
    $ cargo clippy --workspace --all-targets --message-format=json --color never
warning: unneeded `return` statement
 --> src/lib.rs:5:5
  |
5 |     return a + b;
  |     ^^^^^^^^^^^^
  |
  = help: for further information visit https://rust-lang.github.io/rust-clippy/[..]/index.html#needless_return
  = note: `#[warn(clippy::needless_return)]` on by default
help: remove `return`
  |
5 -     return a + b;
5 +     a + b
  |

✗ lint failed in [..]s: 1 warning
    src/lib.rs:5:5  warning clippy::needless_return
  to fix or reproduce: cargo clippy --fix --workspace --all-targets --allow-dirty (then fix the rest by hand)

step       result       time
fmt-check  passed [..]s
lint       failed [..]s
audit      skipped         -  left out by --skip/--only
secrets    skipped         -  left out by --skip/--only
workflows  skipped         -  left out by --skip/--only
test       skipped         -  left out by --skip/--only
ci failed: 1 passed, 1 failed, 4 skipped in [..]s

"#]]
    );
}

#[test]
fn json_report_of_a_failing_ci() {
    let fx = Fixture::new(UNFORMATTED_LIB);
    let run = fx
        .run(&["ci", "--format", "json", "--only", "fmt-check"])
        .expect_code(1);
    assert_data_eq!(run.stdout().is_json(), str![[r#"
{
  "diagnostics": [
    {
      "code": "fmt-check/not-formatted",
      "file": "src/lib.rs",
      "line": 4,
      "message": "1 place in src/lib.rs differs from rustfmt's output; run `cargo fmt`",
      "rendered": "Diff in src/lib.rs:1:\n //! A fixture crate.\n \n /// Adds two numbers.\n-pub fn add(a: u32, b: u32) -> u32 { a+b }\n+pub fn add(a: u32, b: u32) -> u32 {\n+    a + b\n+}\n \n",
      "severity": "error",
      "step": "fmt-check",
      "title": "not formatted"
    }
  ],
  "duration_ms": "{...}",
  "exit_code": 1,
  "schema": "windlass.report/v1",
  "status": "failed",
  "steps": [
    {
      "duration_ms": "{...}",
      "fix": "cargo fmt",
      "name": "fmt-check",
      "status": "failed",
      "summary": "1 file not formatted"
    },
    {
      "duration_ms": 0,
      "name": "lint",
      "status": "skipped",
      "summary": "left out by --skip/--only"
    },
    {
      "duration_ms": 0,
      "name": "audit",
      "status": "skipped",
      "summary": "left out by --skip/--only"
    },
    {
      "duration_ms": 0,
      "name": "secrets",
      "status": "skipped",
      "summary": "left out by --skip/--only"
    },
    {
      "duration_ms": 0,
      "name": "workflows",
      "status": "skipped",
      "summary": "left out by --skip/--only"
    },
    {
      "duration_ms": 0,
      "name": "test",
      "status": "skipped",
      "summary": "left out by --skip/--only"
    }
  ],
  "task": "ci"
}
"#]].is_json());
}

#[test]
fn terminal_plan() {
    let fx = Fixture::new(CLEAN_LIB);
    let run = fx
        .run(&[
            "ci",
            "--list",
            "--skip",
            "audit",
            "--skip",
            "secrets",
            "--skip",
            "workflows",
            "--skip",
            "test",
        ])
        .expect_code(0);
    assert_data_eq!(
        run.stdout(),
        str![[r#"
notice: steps this `ci` does not run: docs, msrv, features, coverage, semver (name them in [workspace.metadata.windlass.ci] steps to)
 1. fmt-check  cargo fmt -- --check --color never
 2. lint       cargo clippy --workspace --all-targets --message-format=json --color never
 3. audit      (skipped)
 4. secrets    (skipped)
 5. workflows  (skipped)
 6. test       (skipped)

"#]]
    );
}
