//! Supply chain past advisories and licences: `[bans]` and `[sources]` of `deny.toml` with
//! cargo-deny's meaning (compared with what cargo-deny reports on the same fixtures, recorded
//! in `tests/data/deny/cargo-deny.json` by `benches/deny_record.py`), and waivers that expire.
// In test helpers a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use support::*;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/deny")
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.is_dir() {
            if entry.file_name() != "target" {
                copy_tree(&path, &to.join(entry.file_name()));
            }
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

/// windlass's findings as cargo-deny's (code, crate, severity).
fn flagged(report: &serde_json::Value) -> BTreeSet<(String, String, String)> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] != "notice")
        .filter_map(|d| {
            let title = d["title"].as_str()?;
            let code = match title.split(':').next()? {
                "ban" => "banned",
                "duplicate" => "duplicate",
                "wildcard" => "wildcard",
                "not-allowed" => "not-allowed",
                _ => return None,
            };
            let krate = d["details"]["package"]["name"].as_str()?;
            Some((
                code.to_string(),
                krate.to_string(),
                d["severity"].as_str()?.to_string(),
            ))
        })
        .collect()
}

/// The crates each config flags are the crates cargo-deny flags, with the same severity.
#[test]
fn bans_flag_what_cargo_deny_flags_on_the_same_fixtures() {
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data().join("cargo-deny.json")).unwrap())
            .unwrap();
    let fx = Fixture::bare();
    copy_tree(&data().join("workspace"), &fx.root);
    let cases = record["cases"].as_object().unwrap();
    assert!(cases.len() >= 9, "{record}");
    for (case, expected) in cases {
        let config = data().join("configs").join(format!("{case}.toml"));
        let report = fx
            .run(&[
                "audit",
                "--only",
                "bans",
                "--no-fetch",
                "--format",
                "json",
                "--policy",
                config.to_str().unwrap(),
            ])
            .json();
        assert_ne!(report["exit_code"], 2, "{case}: {report}");
        let expected: BTreeSet<(String, String, String)> = expected
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p[0].as_str().unwrap().to_string(),
                    p[1].as_str().unwrap().to_string(),
                    p[2].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(flagged(&report), expected, "{case}: {report:#}");
        let failed = expected.iter().any(|(_, _, s)| s == "error");
        assert_eq!(report["exit_code"], if failed { 1 } else { 0 }, "{case}");
    }
}

/// A finding is placed at its Cargo.lock line, names the rule it breaks at its deny.toml line,
/// and its dependency path.
#[test]
fn a_denied_crate_names_its_lockfile_line_its_rule_and_its_path() {
    let fx = Fixture::bare();
    copy_tree(&data().join("workspace"), &fx.root);
    fx.write(
        "deny.toml",
        "[bans]\nmultiple-versions = \"allow\"\nwildcards = \"allow\"\ndeny = [\n  { crate = \"banned\", wrappers = [\"wrapper-a\"], reason = \"use the wrapper\" },\n]\n",
    );
    let report = fx
        .run(&["audit", "--only", "bans", "--format", "json"])
        .expect_code(1)
        .json();
    let d = &report["diagnostics"][0];
    assert_eq!(d["title"], "ban:banned");
    assert_eq!(d["file"], "Cargo.lock");
    let lock = fx.read("Cargo.lock");
    let line = lock.lines().position(|l| l == "name = \"banned\"").unwrap() + 1;
    assert_eq!(d["line"], line);
    let message = d["message"].as_str().unwrap();
    assert!(message.contains("use the wrapper"), "{message}");
    assert!(
        message.contains("allowed only through wrapper-a; also depended on by lib-b"),
        "{message}"
    );
    assert!(
        message.contains("rule: [bans] banned (deny.toml:5)"),
        "{message}"
    );
    assert!(
        message.contains("path: lib-b 0.1.0 → banned 1.0.0"),
        "{message}"
    );
}

const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

/// A lockfile with a crate from crates.io (both index protocols), from an allowed git
/// organisation, from another organisation, and from another registry.
fn sources_lockfile() -> String {
    let packages = [
        ("app", "0.1.0", None),
        ("serde", "1.0.200", Some(CRATES_IO.to_string())),
        ("itoa", "1.0.11", Some("sparse+https://index.crates.io/".to_string())),
        (
            "ours",
            "0.3.0",
            Some("git+https://github.com/acme/ours?branch=main#0123456789abcdef0123456789abcdef01234567".to_string()),
        ),
        (
            "forked",
            "0.9.0",
            Some("git+https://github.com/stranger/forked.git#89abcdef0123456789abcdef0123456789abcdef".to_string()),
        ),
        (
            "internal",
            "2.0.0",
            Some("registry+https://registry.example.invalid/index".to_string()),
        ),
    ];
    let mut text = String::from(
        "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n",
    );
    for (name, _, _) in &packages[1..] {
        text.push_str(&format!(" \"{name}\",\n"));
    }
    text.push_str("]\n");
    for (name, version, source) in &packages[1..] {
        text.push_str(&format!(
            "\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\nsource = \"{}\"\n",
            source.as_deref().unwrap_or_default()
        ));
    }
    text
}

#[test]
fn sources_outside_the_allowed_registries_and_organisations_are_flagged() {
    let fx = Fixture::new(CLEAN_LIB);
    fx.write("other.lock", &sources_lockfile());
    fx.write(
        "deny.toml",
        "[sources]\nunknown-registry = \"deny\"\nunknown-git = \"deny\"\n\n[sources.allow-org]\ngithub = [\"acme\"]\n",
    );
    let report = fx
        .run(&[
            "audit",
            "--file",
            "other.lock",
            "--only",
            "sources",
            "--format",
            "json",
        ])
        .expect_code(1)
        .json();
    let titles: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "source:https://github.com/stranger/forked",
            "source:https://registry.example.invalid/index"
        ],
        "{report:#}"
    );
    assert_eq!(report["diagnostics"][0]["file"], "other.lock");
    assert!(
        report["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("rule: [sources] unknown-git (deny.toml:3)")
    );

    // allow-git and allow-registry accept them by URL.
    fx.write(
        "deny.toml",
        "[sources]\nunknown-registry = \"deny\"\nunknown-git = \"deny\"\nallow-git = [\"https://github.com/stranger/forked.git\"]\nallow-registry = [\"https://github.com/rust-lang/crates.io-index\", \"https://registry.example.invalid/index\"]\nallow-org = { github = [\"acme\"] }\n",
    );
    fx.run(&["audit", "--file", "other.lock", "--only", "sources"])
        .expect_code(0);
}

/// A date `days` from today, as a waiver writes it.
fn date_in(days: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let t = (now as i64 + days * 86_400) as u64;
    windlass_core::time::civil(std::time::UNIX_EPOCH + std::time::Duration::from_secs(t)).0
}

fn vulnerable_lockfile() -> String {
    // smallvec 0.6.9: RUSTSEC-2018-0018, 2019-0009, 2019-0012, 2021-0003 (aliases CVE-…).
    format!(
        "version = 4\n\n[[package]]\nname = \"fixture\"\nversion = \"0.1.0\"\ndependencies = [\n \"smallvec\",\n]\n\n[[package]]\nname = \"smallvec\"\nversion = \"0.6.9\"\nsource = \"{CRATES_IO}\"\n"
    )
}

fn waiver(id: &str, expires: &str, owner: &str) -> String {
    format!(
        "\n[[workspace.metadata.windlass.waivers]]\nid = \"{id}\"\nreason = \"reviewed: not reachable from our code\"\nexpires = \"{expires}\"\nowner = \"{owner}\"\n"
    )
}

#[test]
fn waivers_accept_findings_until_their_date() {
    let active = waiver("RUSTSEC-2019-0009", &date_in(100), "@core");
    let by_alias = waiver("CVE-2019-15554", &date_in(5), "@core");
    let fx = Fixture::with_manifest(CLEAN_LIB, &format!("{active}{by_alias}"));
    fx.write("Cargo.lock", &vulnerable_lockfile());
    let db = advisory_db();
    // A hand-written lockfile no manifest pulls in: read lockfile-wide.
    let args = [
        "audit",
        "--lockfile-wide",
        "--only",
        "advisories",
        "--no-fetch",
        "--db",
        db.to_str().unwrap(),
        "--format",
        "json",
    ];
    let report = fx.run(&args).expect_code(1).json();
    let by_title = |title: &str| -> serde_json::Value {
        report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["title"] == title)
            .cloned()
            .unwrap_or_else(|| panic!("{title}: {report:#}"))
    };
    // Waived: a notice carrying the reason, not a failure.
    let waived = by_title("RUSTSEC-2019-0009");
    assert_eq!(waived["severity"], "notice");
    assert!(waived["message"].as_str().unwrap().starts_with(&format!(
        "waived until {}, owner @core: reviewed",
        date_in(100)
    )));
    // By an alias too (RUSTSEC-2019-0012 is CVE-2019-15554); and that one expires soon.
    assert_eq!(by_title("RUSTSEC-2019-0012")["severity"], "notice");
    let soon = by_title("waiver expires soon");
    assert_eq!(soon["severity"], "warning");
    assert_eq!(soon["file"], "Cargo.toml");
    let manifest = fx.read("Cargo.toml");
    let line = manifest
        .lines()
        .position(|l| l == "id = \"CVE-2019-15554\"")
        .unwrap()
        + 1;
    assert_eq!(soon["line"], line);
    // The others are reported as before: 2021-0003 fails the step.
    assert_eq!(by_title("RUSTSEC-2021-0003")["severity"], "error");
    assert!(
        report["steps"][0]["summary"]
            .as_str()
            .unwrap()
            .contains("2 waived"),
        "{report:#}"
    );

    // Every finding waived: it passes. An expired waiver fails at its own line, and a
    // waiver that matches nothing is stale.
    let all: String = [
        "RUSTSEC-2018-0018",
        "RUSTSEC-2019-0009",
        "RUSTSEC-2019-0012",
    ]
    .iter()
    .map(|id| waiver(id, &date_in(60), "@core"))
    .collect();
    let fx = Fixture::with_manifest(
        CLEAN_LIB,
        &format!(
            "{all}{}{}",
            waiver("RUSTSEC-2021-0003", &date_in(-1), "@sec"),
            waiver("RUSTSEC-2099-9999", &date_in(60), "@sec")
        ),
    );
    fx.write("Cargo.lock", &vulnerable_lockfile());
    let report = fx.run(&args).expect_code(1).json();
    let titles: Vec<(&str, &str)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["title"].as_str().unwrap(),
                d["severity"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(titles.contains(&("expired waiver", "error")), "{titles:?}");
    assert!(
        titles.contains(&("RUSTSEC-2021-0003", "error")),
        "an expired waiver waives nothing: {titles:?}"
    );
    assert!(titles.contains(&("stale waiver", "warning")), "{titles:?}");
    let expired = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["title"] == "expired waiver")
        .unwrap();
    assert!(
        expired["message"]
            .as_str()
            .unwrap()
            .contains(&format!("expired on {}, owner @sec", date_in(-1))),
        "{expired}"
    );

    // Renewed: it passes, the stale one still said.
    let fx = Fixture::with_manifest(
        CLEAN_LIB,
        &format!(
            "{all}{}{}",
            waiver("RUSTSEC-2021-0003", &date_in(30), "@sec"),
            waiver("RUSTSEC-2099-9999", &date_in(60), "@sec")
        ),
    );
    fx.write("Cargo.lock", &vulnerable_lockfile());
    fx.run(&args).expect_code(0);
}

#[test]
fn a_malformed_waiver_is_exit_2_naming_it() {
    for (entry, why) in [
        (
            "id = \"RUSTSEC-2019-0009\"\nreason = \"x\"\nexpires = \"soon\"\n",
            "`soon` is not a date",
        ),
        (
            "id = \"RUSTSEC-2019-0009\"\nreason = \"x\"\nexpires = \"2027-02-30\"\n",
            "`2027-02-30` is not a date",
        ),
        (
            "id = \"RUSTSEC-2019-0009\"\nexpires = \"2027-01-01\"\n",
            "missing field `reason`",
        ),
    ] {
        let fx = Fixture::with_manifest(
            CLEAN_LIB,
            &format!("\n[[workspace.metadata.windlass.waivers]]\n{entry}"),
        );
        fx.write("Cargo.lock", &vulnerable_lockfile());
        let run = fx
            .run(&["audit", "--only", "advisories", "--no-fetch"])
            .expect_code(2);
        assert!(run.stderr().contains(why), "{entry}: {}", run.stderr());
        assert!(
            run.stderr()
                .contains("[workspace.metadata.windlass.waivers]"),
            "{}",
            run.stderr()
        );
    }
}

/// One list for every finding: a duplicate version and a secret's fingerprint too.
#[test]
fn waivers_cover_bans_and_secrets() {
    let fx = Fixture::bare();
    copy_tree(&data().join("workspace"), &fx.root);
    fx.write(
        "deny.toml",
        "[bans]\nmultiple-versions = \"deny\"\nwildcards = \"allow\"\n",
    );
    fx.run(&["audit", "--only", "bans"]).expect_code(1);
    let manifest = fx.read("Cargo.toml");
    fx.write(
        "Cargo.toml",
        &format!(
            "{manifest}{}",
            waiver("duplicate:shared", &date_in(30), "@core")
        ),
    );
    let out = fx.run(&["audit", "--only", "bans"]).expect_code(0).stdout();
    assert!(out.contains("1 waived"), "{out}");

    let key = format!("AKIA{}", "Q7ZR2XV7MK4PT1WL");
    fx.write("config/app.env", &format!("AWS_KEY={key}\n"));
    let report = fx
        .run(&["secrets", "--format", "json"])
        .expect_code(1)
        .json();
    let fingerprint = report["diagnostics"][0]["details"]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let manifest = fx.read("Cargo.toml");
    fx.write(
        "Cargo.toml",
        &format!("{manifest}{}", waiver(&fingerprint, &date_in(10), "@core")),
    );
    let run = fx.run(&["secrets"]).expect_code(0);
    assert!(run.stdout().contains("1 waived"), "{}", run.stdout());
    assert!(
        run.stdout().contains("waiver expires soon"),
        "{}",
        run.stdout()
    );
}

/// `cargo auditable`, on PATH or where cargo installs tools; `None` (the test skips, saying
/// why) when absent, unless `WINDLASS_REQUIRE_TOOLS=1`.
fn cargo_auditable() -> Option<PathBuf> {
    tool_or_skip("cargo-auditable", "cargo install cargo-auditable --locked")
}

/// The fixture service built with `cargo auditable`, offline (its dependencies are fetched by
/// `.ci/run`); `None` when they are not in cargo's cache, unless `WINDLASS_REQUIRE_TOOLS=1`.
fn auditable_service(fx: &Fixture) -> Option<PathBuf> {
    copy_tree(&data().parent().unwrap().join("auditable"), &fx.root);
    let out = std::process::Command::new("cargo")
        .args(["auditable", "build", "--offline", "--locked"])
        .current_dir(&fx.root)
        .env("CARGO_TARGET_DIR", fx.root.join("target"))
        .output()
        .unwrap();
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            std::env::var_os("WINDLASS_REQUIRE_TOOLS").is_none(),
            "the auditable fixture did not build: {err}"
        );
        eprintln!(
            "skipped: the auditable fixture did not build offline (run `cargo fetch --locked` in tests/data/auditable): {err}"
        );
        return None;
    }
    Some(fx.root.join("target/debug/svc"))
}

/// What is shipped is audited: the dependency list `cargo auditable` embedded in a binary,
/// and the binary a real deploy made current — against today's database.
#[test]
fn audit_bin_and_deployed_read_what_the_binary_was_built_with() {
    if cargo_auditable().is_none() {
        return;
    }
    let fx = Fixture::bare();
    let Some(binary) = auditable_service(&fx) else {
        return;
    };
    let db = advisory_db();
    let audit_bin = |extra: &[&str]| -> Run {
        let mut args = vec![
            "audit",
            "--no-fetch",
            "--db",
            db.to_str().unwrap(),
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        fx.run(&args)
    };
    let report = audit_bin(&["--bin", binary.to_str().unwrap()])
        .expect_code(1)
        .json();
    let ids: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] != "notice")
        .map(|d| d["title"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["RUSTSEC-2021-0003"], "{report:#}");
    assert_eq!(report["diagnostics"][0]["file"], "target/debug/svc");
    assert!(
        report["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("path: svc 1.0.0 → smallvec 0.6.13"),
        "{report:#}"
    );

    // A binary without the list: exit 2, with how to build one that has it.
    let plain = fx.root.join("plain-svc");
    std::fs::copy("/bin/true", &plain).unwrap();
    let run = audit_bin(&["--bin", plain.to_str().unwrap()]).expect_code(2);
    assert!(
        run.stderr().contains("carries no dependency list"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("cargo auditable build"),
        "{}",
        run.stderr()
    );

    // Deployed for real, then audited where it runs.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let manifest = fx.read("Cargo.toml");
    fx.write(
        "Cargo.toml",
        &format!(
            "{manifest}\n[workspace.metadata.windlass.deploy.staging]\nroot = \"host\"\nbin = \"svc\"\nrestart = [\"sh\", \"restart.sh\"]\nhealth = {{ url = \"http://127.0.0.1:{port}/health\", deadline = \"10s\", interval = \"100ms\", timeout = \"500ms\", successes = 1 }}\n"
        ),
    );
    fx.write("restart.sh", include_str!("fixtures/restart.sh"));
    let deployed = Run(fx
        .command(&[
            "deploy",
            "--env",
            "staging",
            "--artifact",
            binary.to_str().unwrap(),
        ])
        .env("SVC_PORT", port.to_string())
        .output()
        .unwrap());
    let pid = std::fs::read_to_string(fx.root.join("host/service.pid")).unwrap_or_default();
    let stop = || {
        let _ = std::process::Command::new("kill").arg(pid.trim()).status();
    };
    if deployed.code() != 0 {
        stop();
        panic!("deploy: {}", deployed.all_output());
    }
    let report = audit_bin(&["--deployed", "--env", "staging"]).json();
    stop();
    assert_eq!(report["exit_code"], 1, "{report:#}");
    let file = report["diagnostics"][0]["file"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        file.starts_with("host/releases/") && file.ends_with("/svc"),
        "{file}"
    );
    assert_eq!(report["diagnostics"][0]["title"], "RUSTSEC-2021-0003");
}
