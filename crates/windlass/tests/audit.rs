//! `audit`: advisories from a tiny database written here and from the real snapshot, licences
//! against deny.toml, offline behaviour. Nothing here touches the network.
// In test helpers a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};
use support::*;

const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

/// Writes one advisory into a database under `db`.
fn advisory(db: &Path, id: &str, package: &str, extra: &str, versions: &str, title: &str) {
    let dir = db.join("crates").join(package);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(format!("{id}.md")),
        format!(
            "```toml\n[advisory]\nid = \"{id}\"\npackage = \"{package}\"\ndate = \"2099-01-01\"\n{extra}\n[versions]\n{versions}\n```\n\n# {title}\n\nDescription.\n"
        ),
    )
    .unwrap();
}

/// A database of made-up advisories covering the edge cases.
fn tiny_db(root: &Path) -> PathBuf {
    let db = root.join("advisory-db");
    advisory(
        &db,
        "RUSTSEC-2099-0001",
        "vulnerable",
        "aliases = [\"CVE-2099-1111\", \"GHSA-aaaa-bbbb-cccc\"]\ncvss = \"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"\n",
        "patched = [\">= 1.2.3\", \">= 1.1.5, < 1.2.0\"]\nunaffected = [\"< 1.0.0\"]",
        "Remote code execution in vulnerable",
    );
    advisory(
        &db,
        "RUSTSEC-2099-0002",
        "abandoned",
        "informational = \"unmaintained\"\n",
        "patched = []",
        "abandoned is unmaintained",
    );
    advisory(
        &db,
        "RUSTSEC-2099-0003",
        "withdrawn",
        "withdrawn = \"2099-02-01\"\n",
        "patched = []",
        "A mistake",
    );
    advisory(
        &db,
        "RUSTSEC-2099-0004",
        "ignored",
        "",
        "patched = []",
        "Reviewed and accepted",
    );
    db
}

/// A lockfile of `app` (a path package) depending on the named crates.io packages.
fn lockfile(packages: &[(&str, &str)]) -> String {
    let mut text = String::from(
        "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n",
    );
    for (name, version) in packages {
        text.push_str(&format!(" \"{name} {version}\",\n"));
    }
    text.push_str("]\n");
    for (name, version) in packages {
        text.push_str(&format!(
            "\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\nsource = \"{CRATES_IO}\"\n"
        ));
    }
    text
}

fn ids(report: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["details"]["advisory"]["id"].is_string())
        .map(|d| d["details"]["advisory"]["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

/// `audit --only advisories` as JSON, over the graph the workspace's features and targets pull
/// in (cargo-deny's view).
fn advisories(fx: &Fixture, db: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        "audit",
        "--no-fetch",
        "--only",
        "advisories",
        "--format",
        "json",
        "--db",
        db.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    fx.run(&args)
}

/// `audit --only advisories` of a hand-written lockfile, whose packages no manifest pulls
/// in: lockfile-wide, as cargo-audit reads it.
fn audit(fx: &Fixture, db: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["--lockfile-wide"];
    args.extend_from_slice(extra);
    advisories(fx, db, &args)
}

/// `cargo generate-lockfile` offline: the crates these tests depend on (itoa, memchr,
/// serde_json) are in the local registry, which windlass's own build fills.
fn resolve_offline(fx: &Fixture) {
    let status = std::process::Command::new("cargo")
        .args(["generate-lockfile", "--offline", "--quiet"])
        .current_dir(&fx.root)
        .status()
        .unwrap();
    assert!(status.success());
}

/// A fixture whose manifest ends with `tail` (dependency tables), resolved offline.
fn depending(tail: &str) -> Fixture {
    let fx = Fixture::new(CLEAN_LIB);
    let manifest = fx.read("Cargo.toml");
    fx.write("Cargo.toml", &format!("{manifest}\n{tail}"));
    resolve_offline(&fx);
    fx
}

#[test]
fn a_crate_only_an_unused_feature_pulls_in_is_reported_only_lockfile_wide() {
    // itoa is in the build only with the `fast` feature.
    let fx = depending(
        "[dependencies]\nitoa = { version = \"1\", optional = true }\n\n[features]\nfast = [\"dep:itoa\"]\n",
    );
    assert!(fx.read("Cargo.lock").contains("name = \"itoa\""));
    let db = fx.root.join("advisory-db");
    advisory(
        &db,
        "RUSTSEC-2099-0100",
        "itoa",
        "",
        "patched = []",
        "itoa is bad",
    );
    let run = |extra: &[&str]| advisories(&fx, &db, extra);
    // cargo-deny's view: no feature pulls itoa in, so nothing is vulnerable.
    let report = run(&[]).expect_code(0).json();
    assert_eq!(ids(&report), Vec::<String>::new(), "{report}");
    // cargo-audit's view: every entry of the lockfile.
    let report = run(&["--lockfile-wide"]).expect_code(1).json();
    assert_eq!(ids(&report), ["RUSTSEC-2099-0100"], "{report}");
    // deny.toml's [graph] turns the feature on, as cargo-deny's does.
    fx.write("deny.toml", "[graph]\nall-features = true\n");
    let report = run(&[]).expect_code(1).json();
    assert_eq!(ids(&report), ["RUSTSEC-2099-0100"], "{report}");
    fx.write("deny.toml", "[graph]\nfeatures = [\"fast\"]\n");
    assert_eq!(ids(&run(&[]).expect_code(1).json()), ["RUSTSEC-2099-0100"]);
}

#[test]
fn deny_tomls_graph_targets_leave_out_what_other_platforms_build() {
    let fx = depending("[target.'cfg(windows)'.dependencies]\nitoa = \"1\"\n");
    let db = fx.root.join("advisory-db");
    advisory(
        &db,
        "RUSTSEC-2099-0400",
        "itoa",
        "",
        "patched = []",
        "windows only",
    );
    let run = || advisories(&fx, &db, &[]).json();
    // Every target by default, as cargo-deny.
    assert_eq!(ids(&run()), ["RUSTSEC-2099-0400"]);
    fx.write(
        "deny.toml",
        "[graph]\ntargets = [\"x86_64-unknown-linux-gnu\", { triple = \"aarch64-apple-darwin\" }]\n",
    );
    assert_eq!(ids(&run()), Vec::<String>::new());
    fx.write(
        "deny.toml",
        "[graph]\ntargets = [\"x86_64-unknown-linux-gnu\", \"x86_64-pc-windows-msvc\"]\n",
    );
    assert_eq!(ids(&run()), ["RUSTSEC-2099-0400"]);
}

#[test]
fn unsound_advisories_reach_the_workspaces_direct_dependencies_unless_deny_toml_widens_it() {
    // serde_json is direct, itoa only through it.
    let fx = depending("[dependencies]\nserde_json = \"1\"\n");
    let db = fx.root.join("advisory-db");
    let unsound = "informational = \"unsound\"\n";
    advisory(
        &db,
        "RUSTSEC-2099-0201",
        "serde_json",
        unsound,
        "patched = []",
        "direct",
    );
    advisory(
        &db,
        "RUSTSEC-2099-0202",
        "itoa",
        unsound,
        "patched = []",
        "transitive",
    );
    let run = || advisories(&fx, &db, &[]).expect_code(0).json();
    // cargo-deny's default, `unsound = "workspace"`: the direct dependency's only.
    assert_eq!(ids(&run()), ["RUSTSEC-2099-0201"]);
    fx.write("deny.toml", "[advisories]\nunsound = \"all\"\n");
    assert_eq!(ids(&run()), ["RUSTSEC-2099-0201", "RUSTSEC-2099-0202"]);
    fx.write("deny.toml", "[advisories]\nunsound = \"transitive\"\n");
    assert_eq!(ids(&run()), ["RUSTSEC-2099-0202"]);
}

#[test]
fn deny_tomls_graph_section_leaves_out_dev_only_and_unpublished_dependencies() {
    let fx = Fixture::new(CLEAN_LIB);
    // itoa only as a dev-dependency; memchr only through an unpublished member.
    let manifest =
        fx.read("Cargo.toml")
            .replacen("[workspace]\n", "[workspace]\nmembers = [\"tool\"]\n", 1);
    fx.write(
        "Cargo.toml",
        &format!("{manifest}\n[dev-dependencies]\nitoa = \"1\"\n"),
    );
    fx.write(
        "tool/Cargo.toml",
        "[package]\nname = \"tool\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\nmemchr = \"2\"\n",
    );
    fx.write("tool/src/lib.rs", "");
    resolve_offline(&fx);
    let db = fx.root.join("advisory-db");
    advisory(
        &db,
        "RUSTSEC-2099-0301",
        "itoa",
        "",
        "patched = []",
        "dev only",
    );
    advisory(
        &db,
        "RUSTSEC-2099-0302",
        "memchr",
        "",
        "patched = []",
        "unpublished only",
    );
    let run = || advisories(&fx, &db, &[]).json();
    // cargo-deny's default graph: everything the members pull in, dev-dependencies included.
    assert_eq!(ids(&run()), ["RUSTSEC-2099-0301", "RUSTSEC-2099-0302"]);
    fx.write("deny.toml", "[graph]\nexclude-dev = true\n");
    assert_eq!(ids(&run()), ["RUSTSEC-2099-0302"]);
    fx.write(
        "deny.toml",
        "[graph]\nexclude-dev = true\nexclude-unpublished = true\nexclude = [\"tool\"]\n",
    );
    let report = run();
    assert_eq!(ids(&report), Vec::<String>::new(), "{report}");
    let out = fx.run(&[
        "audit",
        "--no-fetch",
        "--only",
        "advisories",
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(
        out.all_output()
            .contains("[graph] exclude in deny.toml: not applied by windlass"),
        "{}",
        out.all_output()
    );
}

#[test]
fn version_ranges_decide_what_is_vulnerable() {
    let fx = Fixture::new(CLEAN_LIB);
    let db = tiny_db(&fx.root);
    for (version, vulnerable) in [
        ("0.9.0", false),
        ("1.0.0", true),
        ("1.1.4", true),
        ("1.1.5", false),
        ("1.2.2", true),
        ("1.2.3", false),
        ("2.0.0", false),
    ] {
        fx.write("Cargo.lock", &lockfile(&[("vulnerable", version)]));
        let run = audit(&fx, &db, &[]);
        let report = run.json();
        assert_eq!(
            run.code(),
            if vulnerable { 1 } else { 0 },
            "{version}: {report}"
        );
        assert_eq!(ids(&report).len(), usize::from(vulnerable), "{version}");
    }
}

#[test]
fn a_finding_carries_everything_needed_to_act_on_it() {
    let fx = Fixture::new(CLEAN_LIB);
    let db = tiny_db(&fx.root);
    fx.write("Cargo.lock", &lockfile(&[("vulnerable", "1.1.4")]));
    let report = audit(&fx, &db, &[]).expect_code(1).json();
    let d = &report["diagnostics"][0];
    assert_eq!(d["title"], "RUSTSEC-2099-0001");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["file"], "Cargo.lock");
    assert_eq!(d["line"], 11, "the line of `name = \"vulnerable\"`");
    let message = d["message"].as_str().unwrap();
    for part in [
        "vulnerable 1.1.4: Remote code execution in vulnerable",
        "aliases: CVE-2099-1111, GHSA-aaaa-bbbb-cccc",
        "severity: critical (9.8)",
        "fixed in: >=1.2.3, >=1.1.5, <1.2.0",
        "path: app 0.1.0 → vulnerable 1.1.4",
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }
    // The fields of cargo-audit's --json, so that scripts can switch.
    assert_eq!(d["details"]["kind"], "vulnerability");
    assert_eq!(d["details"]["advisory"]["id"], "RUSTSEC-2099-0001");
    assert_eq!(d["details"]["package"]["name"], "vulnerable");
    assert_eq!(d["details"]["package"]["version"], "1.1.4");
}

#[test]
fn informational_advisories_warn_unless_denied_and_withdrawn_ones_are_skipped() {
    let fx = Fixture::new(CLEAN_LIB);
    let db = tiny_db(&fx.root);
    fx.write(
        "Cargo.lock",
        &lockfile(&[("abandoned", "1.0.0"), ("withdrawn", "1.0.0")]),
    );
    let report = audit(&fx, &db, &[]).expect_code(0).json();
    assert_eq!(ids(&report), ["RUSTSEC-2099-0002"]);
    assert_eq!(report["diagnostics"][0]["severity"], "warning");
    assert_eq!(report["diagnostics"][0]["details"]["kind"], "unmaintained");

    audit(&fx, &db, &["--deny", "warnings"]).expect_code(1);
    audit(&fx, &db, &["--deny", "unmaintained"]).expect_code(1);
    audit(&fx, &db, &["--deny", "unsound"]).expect_code(0);
    let err = audit(&fx, &db, &["--deny", "everything"])
        .expect_code(2)
        .stderr();
    assert!(err.contains("`everything` cannot be denied"), "{err}");
}

#[test]
fn ignores_from_deny_toml_are_honoured_and_stale_ones_reported() {
    let fx = Fixture::new(CLEAN_LIB);
    let db = tiny_db(&fx.root);
    fx.write(
        "Cargo.lock",
        &lockfile(&[("ignored", "1.0.0"), ("vulnerable", "1.1.4")]),
    );
    fx.write(
        "deny.toml",
        "[advisories]\nignore = [\n  { id = \"RUSTSEC-2099-0004\", reason = \"not reachable\" },\n  \"CVE-2099-1111\",\n  \"RUSTSEC-2099-0003\",\n]\n",
    );
    let report = audit(&fx, &db, &[]).expect_code(0).json();
    assert!(
        ids(&report).is_empty(),
        "ignored by id and by alias: {report}"
    );
    let stale: Vec<_> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["title"] == "stale ignore")
        .collect();
    assert_eq!(stale.len(), 1, "{report}");
    assert_eq!(stale[0]["file"], "deny.toml");
    assert_eq!(stale[0]["line"], 5);
    assert!(
        stale[0]["message"]
            .as_str()
            .unwrap()
            .contains("RUSTSEC-2099-0003 no longer matches any dependency")
    );
    audit(&fx, &db, &["--deny", "warnings"]).expect_code(1);
}

#[test]
fn the_dependency_path_names_the_direct_dependency_to_upgrade() {
    let fx = Fixture::new(CLEAN_LIB);
    let db = tiny_db(&fx.root);
    let lock = format!(
        "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"framework\",\n]\n\n[[package]]\nname = \"framework\"\nversion = \"3.0.0\"\nsource = \"{CRATES_IO}\"\ndependencies = [\n \"vulnerable\",\n]\n\n[[package]]\nname = \"vulnerable\"\nversion = \"1.0.0\"\nsource = \"{CRATES_IO}\"\n"
    );
    fx.write("Cargo.lock", &lock);
    let report = audit(&fx, &db, &[]).expect_code(1).json();
    let message = report["diagnostics"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("path: app 0.1.0 → framework 3.0.0 → vulnerable 1.0.0"),
        "{message}"
    );
    assert!(
        message.contains("upgrade: framework 3.0.0 (the direct dependency of app 0.1.0)"),
        "{message}"
    );
}

#[test]
fn github_actions_annotates_the_cargo_lock_line() {
    let fx = Fixture::new(CLEAN_LIB);
    let db = tiny_db(&fx.root);
    fx.write("Cargo.lock", &lockfile(&[("vulnerable", "1.0.0")]));
    let run = Run(fx
        .command(&[
            "audit",
            "--lockfile-wide",
            "--no-fetch",
            "--only",
            "advisories",
            "--db",
            db.to_str().unwrap(),
        ])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_WORKSPACE", &fx.root)
        .output()
        .unwrap())
    .expect_code(1);
    assert!(
        run.stdout().contains(
            "::error file=Cargo.lock,line=11,title=audit%3A RUSTSEC-2099-0001::vulnerable 1.0.0"
        ),
        "{}",
        run.stdout()
    );
}

#[test]
fn a_lone_lockfile_can_be_audited_from_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let db = tiny_db(dir.path());
    let lock = dir.path().join("elsewhere.lock");
    std::fs::write(&lock, lockfile(&[("vulnerable", "1.0.0")])).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_windlass"))
        .args([
            "audit",
            "--no-fetch",
            "--db",
            db.to_str().unwrap(),
            "--file",
            lock.to_str().unwrap(),
            "--format",
            "json",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let run = Run(out).expect_code(1);
    assert_eq!(ids(&run.json()), ["RUSTSEC-2099-0001"]);
}

#[test]
fn a_lockfile_named_from_a_workspaces_subdirectory_is_the_one_typed_and_shown_so() {
    let fx = Fixture::new(CLEAN_LIB);
    let db = tiny_db(&fx.root);
    // Beside the workspace: `../other/Cargo.lock` from its src/ is another file than from
    // its root.
    let other = fx.root.parent().unwrap().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(
        other.join("Cargo.lock"),
        lockfile(&[("vulnerable", "1.0.0")]),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_windlass"))
        .args([
            "audit",
            "--no-fetch",
            "--db",
            db.to_str().unwrap(),
            "--file",
            "../../other/Cargo.lock",
            "--format",
            "json",
        ])
        .current_dir(fx.root.join("src"))
        .output()
        .unwrap();
    let report = Run(out).expect_code(1).json();
    let shown = report["diagnostics"][0]["file"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        std::path::Path::new(&shown),
        other.join("Cargo.lock"),
        "{report}"
    );
}

#[test]
fn without_a_database_and_offline_it_exits_2_with_the_command_to_get_one() {
    let fx = Fixture::new(CLEAN_LIB);
    fx.write("Cargo.lock", &lockfile(&[("vulnerable", "1.0.0")]));
    let missing = fx.root.join("no-db");
    let err = fx
        .run(&["audit", "--no-fetch", "--db", missing.to_str().unwrap()])
        .expect_code(2)
        .all_output();
    assert!(
        err.contains("no advisory database at") && err.contains("fetching is off"),
        "{err}"
    );
    assert!(
        err.contains("git clone --depth 1 https://github.com/rustsec/advisory-db.git"),
        "{err}"
    );

    let run = Run(fx
        .command(&["audit", "--db", missing.to_str().unwrap()])
        .env("CARGO_NET_OFFLINE", "true")
        .output()
        .unwrap());
    assert!(run.expect_code(2).all_output().contains("fetching is off"));
}

#[test]
fn a_failed_clone_leaves_nothing_behind_and_exits_2() {
    let fx = Fixture::with_manifest(
        CLEAN_LIB,
        "\n[workspace.metadata.windlass.audit]\ndb-url = \"file:///nonexistent/advisory-db\"\n",
    );
    fx.write("Cargo.lock", &lockfile(&[("vulnerable", "1.0.0")]));
    let db = fx.root.join("cache/advisory-db");
    let err = fx
        .run(&["audit", "--db", db.to_str().unwrap()])
        .expect_code(2)
        .all_output();
    assert!(err.contains("cloning it failed"), "{err}");
    assert!(!db.exists() && !db.with_extension("partial").exists());
}

#[test]
fn a_stale_database_whose_fetch_fails_warns_with_its_age_and_still_audits() {
    let fx = Fixture::with_manifest(
        CLEAN_LIB,
        "\n[workspace.metadata.windlass.audit]\nmax-age = \"1h\"\n",
    );
    let db = tiny_db(&fx.root);
    git(&db, &["init", "--quiet"]);
    git(
        &db,
        &["-c", "user.name=t", "-c", "user.email=t@t", "add", "."],
    );
    git(
        &db,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "--quiet",
            "-m",
            "db",
        ],
    );
    git(
        &db,
        &["remote", "add", "origin", "file:///nonexistent/advisory-db"],
    );
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3 * 86_400);
    std::fs::File::options()
        .write(true)
        .open(db.join(".git/HEAD"))
        .unwrap()
        .set_modified(old)
        .unwrap();
    fx.write("Cargo.lock", &lockfile(&[("vulnerable", "1.0.0")]));
    let run = fx
        .run(&[
            "audit",
            "--lockfile-wide",
            "--only",
            "advisories",
            "--db",
            db.to_str().unwrap(),
        ])
        .expect_code(1);
    let out = run.stdout();
    assert!(
        out.contains("warning: could not update the advisory database; auditing with the copy at"),
        "{out}"
    );
    assert!(out.contains("(3 days old)"), "{out}");
    assert!(out.contains("RUSTSEC-2099-0001"), "{out}");
}

/// Lockfiles pinning known-vulnerable versions of real crates, audited against the real
/// advisories of those crates (the repository's subset of the database). The expected ids are
/// what cargo-audit 0.22 reports on the same files and the whole snapshot
/// (`cargo audit --no-fetch --db ... --file ...`), recorded here.
#[test]
fn real_advisories_match_cargo_audit() {
    let db = advisory_db();
    let fx = Fixture::new(CLEAN_LIB);
    for (packages, expected) in real_cases() {
        fx.write("Cargo.lock", &lockfile(&packages));
        let run = audit(&fx, &db, &[]);
        assert_ne!(run.code(), 2, "{}", run.all_output());
        assert_eq!(ids(&run.json()), expected, "{packages:?}");
    }
}

#[test]
fn the_index_gives_the_same_findings_and_never_hides_a_new_advisory() {
    let fx = Fixture::new(CLEAN_LIB);
    let db = tiny_db(&fx.root);
    let index_of = |fx: &Fixture| {
        files_under(&fx.cache_dir())
            .into_iter()
            .find(|p| p.to_string_lossy().contains("advisory-index"))
    };
    // A `[versions]` table with a comment in it is read by the full parse: a patched version
    // must stay unreported on the run that indexes it as on later ones.
    advisory(
        &db,
        "RUSTSEC-2099-0005",
        "commented",
        "",
        "# none, 0day\npatched = [\">= 2.0.0\"]",
        "Fixed in 2.0.0",
    );
    fx.write(
        "Cargo.lock",
        &lockfile(&[
            ("vulnerable", "1.0.0"),
            ("abandoned", "1.0.0"),
            ("other", "1.0.0"),
            ("commented", "2.1.0"),
        ]),
    );
    let diagnostics = |run: &Run| run.json()["diagnostics"].clone();
    let cold = audit(&fx, &db, &[]);
    let index = index_of(&fx).expect("the first audit writes the index, in windlass's cache");
    assert!(
        !fx.root.join("advisory-db.windlass-index").exists(),
        "never beside the database"
    );
    assert_eq!(
        ids(&cold.json()),
        ["RUSTSEC-2099-0001", "RUSTSEC-2099-0002"]
    );
    let warm = audit(&fx, &db, &[]);
    assert_eq!(diagnostics(&cold), diagnostics(&warm));
    assert_eq!(
        ids(&warm.json()),
        ["RUSTSEC-2099-0001", "RUSTSEC-2099-0002"]
    );

    // A new advisory for an indexed crate, and one for a crate the index knew nothing about.
    std::thread::sleep(std::time::Duration::from_millis(20));
    advisory(
        &db,
        "RUSTSEC-2099-0010",
        "vulnerable",
        "",
        "patched = []",
        "Another hole",
    );
    advisory(
        &db,
        "RUSTSEC-2099-0011",
        "other",
        "",
        "patched = []",
        "A first hole",
    );
    let after = audit(&fx, &db, &[]);
    assert_eq!(
        ids(&after.json()),
        [
            "RUSTSEC-2099-0001",
            "RUSTSEC-2099-0002",
            "RUSTSEC-2099-0010",
            "RUSTSEC-2099-0011"
        ]
    );

    // A damaged index is rebuilt, not believed.
    std::fs::write(
        &index,
        "windlass-advisory-index 1\ncommit -\ncrates 1 vulnerable\nsection vulnerable 1 9\n",
    )
    .unwrap();
    assert_eq!(ids(&audit(&fx, &db, &[]).json()).len(), 4);
}

/// The whole database, where it is found: every advisory of every crate reads (a lockfile
/// naming each crate once), and none is a usage error. Skips without it.
#[test]
fn every_advisory_of_the_whole_database_is_read() {
    let Some(db) = shared_advisory_db() else {
        return;
    };
    let mut names: Vec<String> = std::fs::read_dir(db.join("crates"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let packages: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "0.1.0")).collect();
    let fx = Fixture::new(CLEAN_LIB);
    fx.write("Cargo.lock", &lockfile(&packages));
    let run = audit(&fx, &db, &[]);
    assert_ne!(run.code(), 2, "{}", run.stderr());
    let report = run.json();
    let summary = report["steps"][0]["summary"].as_str().unwrap();
    assert!(summary.contains(" vulnerabilities"), "{summary}");
}

type Case = (Vec<(&'static str, &'static str)>, Vec<&'static str>);

fn real_cases() -> Vec<Case> {
    vec![
        (
            vec![("smallvec", "0.6.9")],
            vec![
                "RUSTSEC-2018-0018",
                "RUSTSEC-2019-0009",
                "RUSTSEC-2019-0012",
                "RUSTSEC-2021-0003",
            ],
        ),
        (
            vec![("time", "0.1.43"), ("chrono", "0.4.19")],
            vec!["RUSTSEC-2020-0071", "RUSTSEC-2020-0159"],
        ),
        (
            vec![("hyper", "0.14.9"), ("h2", "0.3.15"), ("tokio", "1.8.0")],
            vec![
                "RUSTSEC-2021-0072",
                "RUSTSEC-2021-0078",
                "RUSTSEC-2021-0079",
                "RUSTSEC-2021-0124",
                "RUSTSEC-2022-0022",
                "RUSTSEC-2023-0001",
                "RUSTSEC-2023-0005",
                "RUSTSEC-2023-0034",
                "RUSTSEC-2024-0003",
                "RUSTSEC-2024-0332",
                "RUSTSEC-2025-0023",
                "RUSTSEC-2026-0258",
            ],
        ),
        // Informational: unmaintained and unsound (warnings in both tools).
        (
            vec![("atty", "0.2.14"), ("ansi_term", "0.12.1")],
            vec![
                "RUSTSEC-2021-0139",
                "RUSTSEC-2021-0145",
                "RUSTSEC-2024-0375",
            ],
        ),
        (
            vec![
                ("regex", "1.5.4"),
                ("openssl", "0.10.38"),
                ("rustls", "0.20.0"),
            ],
            vec![
                "RUSTSEC-2022-0013",
                "RUSTSEC-2023-0022",
                "RUSTSEC-2023-0023",
                "RUSTSEC-2023-0024",
                "RUSTSEC-2023-0044",
                "RUSTSEC-2023-0072",
                "RUSTSEC-2024-0336",
                "RUSTSEC-2024-0357",
                "RUSTSEC-2025-0004",
            ],
        ),
        (vec![("serde", "1.0.200"), ("libc", "0.2.150")], vec![]),
    ]
}

/// A workspace whose members declare the licences under test (path packages only, so that
/// `cargo metadata` needs no network).
fn licence_workspace(licenses: &[(&str, Option<&str>, bool)]) -> Fixture {
    // The workspace is one unlicensed app (its own crates are not judged) depending on
    // crates outside it, whose licences are.
    let fx = Fixture::new(CLEAN_LIB);
    let deps: String = licenses
        .iter()
        .map(|(name, _, _)| format!("{name} = {{ path = \"../deps/{name}\" }}\n"))
        .collect();
    fx.write(
        "Cargo.toml",
        &format!("[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n{deps}\n[workspace]\n"),
    );
    for (name, license, file) in licenses {
        let mut manifest =
            format!("[package]\nname = \"{name}\"\nversion = \"1.0.0\"\nedition = \"2021\"\n");
        if let Some(license) = license {
            manifest.push_str(&format!("license = \"{license}\"\n"));
        }
        if *file {
            manifest.push_str("license-file = \"LICENSE\"\n");
            fx.write(&format!("../deps/{name}/LICENSE"), "All rights reserved.\n");
        }
        fx.write(&format!("../deps/{name}/Cargo.toml"), &manifest);
        fx.write(&format!("../deps/{name}/src/lib.rs"), "//! A dependency.\n");
    }
    let status = std::process::Command::new("cargo")
        .args(["generate-lockfile", "--offline"])
        .current_dir(&fx.root)
        .status()
        .unwrap();
    assert!(status.success());
    fx
}

fn licence_findings(report: &serde_json::Value) -> Vec<(String, String)> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["details"]["kind"] == "license")
        .map(|d| {
            (
                d["details"]["package"]["name"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                d["title"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn licences_are_checked_against_deny_toml() {
    let fx = licence_workspace(&[
        ("dual", Some("MIT OR Apache-2.0"), false),
        ("copyleft", Some("GPL-3.0-only"), false),
        ("old-syntax", Some("MIT/Apache-2.0"), false),
        ("unlicensed", None, false),
        ("file-only", None, true),
        ("excepted", Some("MIT AND OpenSSL"), false),
    ]);
    fx.write(
        "deny.toml",
        "[licenses]\nallow = [\"MIT\", \"Apache-2.0\"]\nconfidence-threshold = 0.9\nexceptions = [{ allow = [\"OpenSSL\"], crate = \"excepted\" }]\n",
    );
    let run = fx
        .run(&["audit", "--only", "licenses", "--format", "json"])
        .expect_code(1);
    let report = run.json();
    let mut found = licence_findings(&report);
    found.sort();
    assert_eq!(
        found,
        [
            ("copyleft".to_string(), "licence not allowed".to_string()),
            ("file-only".to_string(), "licence unknown".to_string()),
            ("unlicensed".to_string(), "licence missing".to_string()),
        ],
        "{report}"
    );
    let copyleft = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["details"]["package"]["name"] == "copyleft")
        .unwrap();
    assert!(
        copyleft["message"]
            .as_str()
            .unwrap()
            .contains("not allowed: GPL-3.0-only"),
        "{copyleft}"
    );
    assert_eq!(copyleft["file"], "Cargo.lock");
    assert_eq!(
        report["steps"][0]["summary"],
        "licences: 3 of 6 packages refused"
    );

    // A clarification settles the licence-file-only crate.
    fx.write(
        "deny.toml",
        "[licenses]\nallow = [\"MIT\", \"Apache-2.0\", \"GPL-3.0-only\"]\nexceptions = [{ allow = [\"OpenSSL\"], crate = \"excepted\" }]\n[[licenses.clarify]]\ncrate = \"file-only\"\nexpression = \"MIT\"\n",
    );
    let report = fx
        .run(&["audit", "--only", "licenses", "--format", "json"])
        .expect_code(1)
        .json();
    assert_eq!(
        licence_findings(&report),
        [("unlicensed".to_string(), "licence missing".to_string())]
    );
}

#[test]
fn without_a_licence_policy_licences_are_not_checked_and_say_so() {
    let fx = licence_workspace(&[("copyleft", Some("GPL-3.0-only"), false)]);
    let run = fx.run(&["audit", "--only", "licenses"]).expect_code(0);
    assert!(
        run.stdout()
            .contains("no [licenses] policy in deny.toml: licences not checked"),
        "{}",
        run.stdout()
    );
}

#[test]
fn yanked_versions_are_read_from_cargos_index_cache_offline() {
    let fx = Fixture::new(CLEAN_LIB);
    let db = tiny_db(&fx.root);
    fx.write(
        "Cargo.lock",
        &lockfile(&[
            ("pulled", "1.0.1"),
            ("kept", "2.0.0"),
            ("never-seen", "1.0.0"),
        ]),
    );
    let home = fx.root.join("cargo-home");
    let cache = home.join("registry/index/index.crates.io-1949cf8c6b5b557f/.cache");
    let entry = |name: &str, versions: &[(&str, bool)]| {
        let mut bytes = vec![3, 2, 0, 0, 0];
        bytes.extend_from_slice(b"etag\0");
        for (version, yanked) in versions {
            bytes.extend_from_slice(format!("{version}\0{{\"name\":\"{name}\",\"vers\":\"{version}\",\"yanked\":{yanked}}}\0").as_bytes());
        }
        bytes
    };
    for (path, bytes) in [
        (
            "pu/ll/pulled",
            entry("pulled", &[("1.0.0", false), ("1.0.1", true)]),
        ),
        ("ke/pt/kept", entry("kept", &[("2.0.0", false)])),
    ] {
        let file = cache.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, bytes).unwrap();
    }
    let run = |extra: &[&str]| {
        let mut args = vec![
            "audit",
            "--lockfile-wide",
            "--no-fetch",
            "--only",
            "advisories",
            "--yanked",
            "--db",
            db.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        Run(fx.command(&args).env("CARGO_HOME", &home).output().unwrap())
    };
    let out = run(&[]).expect_code(0).stdout();
    assert!(
        out.contains("warning[yanked]: pulled 1.0.1 is yanked from the crate registry"),
        "{out}"
    );
    assert!(out.contains("could not check 1 packages for yanked versions (not in cargo's local index cache): never-seen 1.0.0"), "{out}");
    assert!(!out.contains("kept 2.0.0 is yanked"), "{out}");
    run(&["--deny", "yanked"]).expect_code(1);
}

/// An audit that read no package did not audit: a lockfile that is not TOML, or lists
/// nothing, is exit 2 naming it — never "0 vulnerabilities in 0 packages".
#[test]
fn a_lockfile_that_is_not_one_is_exit_2_not_a_pass() {
    let fx = Fixture::new(CLEAN_LIB);
    let db = advisory_db();
    for (text, why) in [
        ("this is = = not toml\n", "is not a valid Cargo.lock"),
        ("", "lists no package"),
    ] {
        fx.write("Cargo.lock", text);
        let run = audit(&fx, &db, &[]).expect_code(2);
        assert!(run.stderr().contains(why), "{text:?}: {}", run.stderr());
        assert_eq!(run.json()["status"], "error");
    }
}

/// An xtask that is a workspace member (an existing one windlass was nested into) brings
/// windlass's tree into Cargo.lock: what only windlass brings in is the automation's, left out
/// of the project's audit unless `--include-xtask`; what the project (or the xtask itself)
/// uses stays.
#[test]
fn what_only_an_xtask_member_uses_is_left_out_unless_asked_for() {
    let fx = Fixture::bare();
    fx.write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"app\", \"xtask\"]\nresolver = \"2\"\n",
    );
    fx.write(
        "app/Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nshared = \"1\"\n",
    );
    fx.write("app/src/lib.rs", "");
    fx.write(
        "xtask/Cargo.toml",
        "[package]\nname = \"tasks\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nshared = \"1\"\nwindlass = \"0.1\"\n",
    );
    fx.write("xtask/src/main.rs", "fn main() {}\n");
    let registry = |name: &str, version: &str| {
        format!(
            "\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\nsource = \"{CRATES_IO}\"\n"
        )
    };
    let windlass =
        registry("windlass", "0.1.0") + "dependencies = [\n \"abandoned\",\n \"vulnerable\",\n]\n";
    fx.write(
        "Cargo.lock",
        &format!(
            "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"shared\",\n]\n\n[[package]]\nname = \"tasks\"\nversion = \"0.1.0\"\ndependencies = [\n \"shared\",\n \"windlass\",\n]\n{}{}{}{}",
            registry("abandoned", "1.0.0"),
            registry("shared", "1.0.0"),
            registry("vulnerable", "1.0.0"),
            windlass,
        ),
    );
    let db = tiny_db(&fx.root);
    advisory(
        &db,
        "RUSTSEC-2099-0020",
        "shared",
        "",
        "patched = []",
        "shared is vulnerable",
    );

    let run = audit(&fx, &db, &[]);
    assert_eq!(run.code(), 1, "{}", run.all_output());
    assert_eq!(
        ids(&run.json()),
        ["RUSTSEC-2099-0020"],
        "the project's own finding stays"
    );
    assert!(
        run.stderr()
            .contains("left out 3 packages that only windlass, the dependency of tasks, brings in"),
        "{}",
        run.stderr()
    );

    let run = audit(&fx, &db, &["--include-xtask"]);
    assert_eq!(
        ids(&run.json()),
        [
            "RUSTSEC-2099-0001",
            "RUSTSEC-2099-0002",
            "RUSTSEC-2099-0020"
        ]
    );
}

/// A fresh machine offline — no database, none to fetch — audits against the snapshot the
/// repository carries (`[audit] snapshot`), unpacked in windlass's cache, its age said.
#[test]
fn a_fresh_machine_offline_audits_against_the_repositorys_snapshot() {
    let fx = Fixture::with_manifest(
        CLEAN_LIB,
        "\n[workspace.metadata.windlass.audit]\ndb = \"no-database-here\"\nfetch = false\nsnapshot = \"snap/advisory-db.tar.gz\"\n",
    );
    std::fs::create_dir_all(fx.root.join("snap")).unwrap();
    let db = advisory_db();
    let made = std::process::Command::new("tar")
        .arg("-czf")
        .arg(fx.root.join("snap/advisory-db.tar.gz"))
        .arg("-C")
        .arg(db.parent().unwrap())
        .arg(db.file_name().unwrap())
        .status()
        .unwrap();
    assert!(made.success());
    fx.write(
        "Cargo.lock",
        "version = 4\n\n[[package]]\nname = \"fixture\"\nversion = \"0.1.0\"\n",
    );
    let run = fx.run(&["audit"]);
    assert_eq!(run.code(), 0, "{}", run.all_output());
    let out = run.all_output();
    assert!(
        out.contains("auditing with the repository's snapshot snap/advisory-db.tar.gz"),
        "{out}"
    );
    assert!(
        !fx.root.join("no-database-here").exists(),
        "nothing written beside the repository's files"
    );
    assert!(
        files_under(&fx.cache_dir())
            .iter()
            .any(|p| p.to_string_lossy().contains("advisory-snapshots"))
    );
    // Without a snapshot, the one command that gets a database.
    let bare = Fixture::with_manifest(
        CLEAN_LIB,
        "\n[workspace.metadata.windlass.audit]\ndb = \"no-database-here\"\nfetch = false\n",
    );
    bare.write(
        "Cargo.lock",
        "version = 4\n\n[[package]]\nname = \"fixture\"\nversion = \"0.1.0\"\n",
    );
    let run = bare.run(&["audit"]).expect_code(2);
    assert!(
        run.all_output().contains("git clone --depth 1"),
        "{}",
        run.all_output()
    );
}
