//! `doctor`: a production-readiness score for any Rust repository, read from its files — no
//! build. Nine areas, each scored 0–5 from concrete checks; each check has an id, the
//! evidence (`file:line`) and the fix. The overall maturity is the areas' mean; readiness
//! is the share of applicable checks that pass, out of 100.

use anyhow::Result;
use serde::Serialize;
use serde_json::json;
use std::path::{Path, PathBuf};
use windlass_core::Plan;
use windlass_core::event::Event;
use windlass_core::runner::Capture;
use windlass_core::{Diagnostic, Session, Severity, Step, StepOutcome, Workspace};

/// The areas of the rubric, in the order the report shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// version control.
    VersionControl,
    /// build automation.
    BuildAutomation,
    /// testing.
    Testing,
    /// security scanning.
    SecurityScanning,
    /// deployment automation.
    DeploymentAutomation,
    /// monitoring hooks.
    MonitoringHooks,
    /// secrets management.
    SecretsManagement,
    /// dependency management.
    DependencyManagement,
    /// documentation.
    Documentation,
}

impl Area {
    /// Every area, in order.
    pub const ALL: [Area; 9] = [
        Area::VersionControl,
        Area::BuildAutomation,
        Area::Testing,
        Area::SecurityScanning,
        Area::DeploymentAutomation,
        Area::MonitoringHooks,
        Area::SecretsManagement,
        Area::DependencyManagement,
        Area::Documentation,
    ];

    /// Its name, as the report writes it.
    pub fn name(self) -> &'static str {
        match self {
            Area::VersionControl => "version control",
            Area::BuildAutomation => "build automation",
            Area::Testing => "testing",
            Area::SecurityScanning => "security scanning",
            Area::DeploymentAutomation => "deployment automation",
            Area::MonitoringHooks => "monitoring hooks",
            Area::SecretsManagement => "secrets management",
            Area::DependencyManagement => "dependency management",
            Area::Documentation => "documentation",
        }
    }
}

impl std::fmt::Display for Area {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

impl Serialize for Area {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// A check's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Met.
    Pass,
    /// Not met.
    Fail,
    /// Does not apply (no Dockerfile, say).
    Skip,
}

/// One check.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Stable id, e.g. `sec.audit-in-ci`.
    pub id: &'static str,
    /// Its area.
    pub area: Area,
    /// What it checks.
    pub title: &'static str,
    /// The result.
    pub status: Status,
    /// Where it was seen (`file:line`), for a pass or a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// How to meet it.
    pub fix: &'static str,
}

/// An area's level.
#[derive(Debug, Clone, Serialize)]
pub struct AreaLevel {
    /// The area.
    pub area: Area,
    /// 0 to 5.
    pub level: f64,
    /// Checks passed.
    pub passed: usize,
    /// Checks that apply.
    pub applicable: usize,
}

/// The whole assessment.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Every area.
    pub areas: Vec<AreaLevel>,
    /// The mean of the areas' levels, 0 to 5.
    pub maturity: f64,
    /// Applicable checks passed, out of 100.
    pub readiness: u32,
    /// Every check.
    pub checks: Vec<Check>,
}

/// The repository's files, read once.
struct Repo {
    root: PathBuf,
    workflows: Vec<(String, String)>,
    manifest: toml::Table,
    tracked: Vec<PathBuf>,
}

impl Repo {
    fn read(&self, rel: &str) -> Option<String> {
        std::fs::read_to_string(self.root.join(rel)).ok()
    }

    fn exists(&self, rel: &str) -> bool {
        self.root.join(rel).exists()
    }

    /// The first workflow line containing any of `needles`, as `file:line`.
    fn in_workflows(&self, needles: &[&str]) -> Option<String> {
        self.workflows.iter().find_map(|(file, text)| {
            text.lines()
                .position(|l| needles.iter().any(|n| l.contains(n)))
                .map(|i| format!("{file}:{}", i + 1))
        })
    }

    fn manifest_has(&self, path: &[&str]) -> bool {
        let mut node = toml::Value::Table(self.manifest.clone());
        for key in path {
            match node.get(key) {
                Some(next) => node = next.clone(),
                None => return false,
            }
        }
        true
    }
}

fn check(
    id: &'static str,
    area: Area,
    title: &'static str,
    fix: &'static str,
    result: Option<bool>,
    evidence: Option<String>,
) -> Check {
    let status = match result {
        None => Status::Skip,
        Some(true) => Status::Pass,
        Some(false) => Status::Fail,
    };
    Check {
        id,
        area,
        title,
        status,
        evidence,
        fix,
    }
}

/// Where clippy runs in CI without blocking: `continue-on-error` on its step, or `|| true`.
fn lint_not_blocking(repo: &Repo) -> Option<String> {
    for (file, text) in &repo.workflows {
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !line.contains("clippy") {
                continue;
            }
            if line.contains("|| true") {
                return Some(format!("{file}:{}", i + 1));
            }
            // The step's other keys sit within a few lines either side of its `run:`.
            let from = i.saturating_sub(4);
            let to = (i + 5).min(lines.len());
            for (j, other) in lines.iter().enumerate().take(to).skip(from) {
                if other.trim_start().starts_with("continue-on-error:") && other.contains("true") {
                    return Some(format!("{file}:{}", j + 1));
                }
            }
        }
    }
    None
}

fn unpinned_action(repo: &Repo) -> Option<String> {
    for (file, text) in &repo.workflows {
        for (i, line) in text.lines().enumerate() {
            let Some(uses) = line
                .trim_start()
                .trim_start_matches("- ")
                .strip_prefix("uses:")
            else {
                continue;
            };
            let uses = uses
                .split('#')
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches(['"', '\'']);
            if uses.starts_with("./") || uses.starts_with("docker://") {
                continue;
            }
            let pinned = uses
                .rsplit_once('@')
                .is_some_and(|(_, r)| r.len() == 40 && r.bytes().all(|b| b.is_ascii_hexdigit()));
            if !pinned {
                return Some(format!("{file}:{}", i + 1));
            }
        }
    }
    None
}

fn dockerfile_checks(repo: &Repo, checks: &mut Vec<Check>) {
    let text = repo.read("Dockerfile");
    let applies = text.as_ref().map(|_| ());
    let lines: Vec<(usize, String)> = text
        .as_deref()
        .unwrap_or("")
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim().to_string()))
        .collect();
    let upper = |l: &str| {
        l.split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase()
    };
    let last_user = lines.iter().rev().find(|(_, l)| upper(l) == "USER");
    let nonroot = last_user.is_some_and(|(_, l)| {
        let who = l.split_whitespace().nth(1).unwrap_or("root");
        who != "root" && who != "0" && !who.starts_with("0:")
    }) || lines
        .iter()
        .any(|(_, l)| upper(l) == "FROM" && l.contains(":nonroot"));
    checks.push(check(
        "deploy.docker-nonroot",
        Area::DeploymentAutomation,
        "the image runs as a non-root user",
        "end the Dockerfile's last stage with USER <non-root> (or a :nonroot base image)",
        applies.map(|()| nonroot),
        last_user
            .map(|(n, _)| format!("Dockerfile:{n}"))
            .or_else(|| applies.map(|()| "Dockerfile".into())),
    ));
    let froms: Vec<&(usize, String)> = lines.iter().filter(|(_, l)| upper(l) == "FROM").collect();
    let unpinned = froms.iter().find(|(_, l)| {
        let image = l.split_whitespace().nth(1).unwrap_or("");
        image != "scratch"
            && !image.contains('@')
            && (!image.contains(':') || image.ends_with(":latest"))
    });
    checks.push(check(
        "deploy.docker-pinned",
        Area::DeploymentAutomation,
        "base images are pinned (a tag that is not `latest`, or a digest)",
        "pin each FROM image: name:version or name@sha256:...",
        applies.map(|()| unpinned.is_none()),
        unpinned.map(|(n, _)| format!("Dockerfile:{n}")),
    ));
    let healthcheck = lines.iter().find(|(_, l)| upper(l) == "HEALTHCHECK");
    let minimal_base = froms
        .last()
        .is_some_and(|(_, l)| l.contains("scratch") || l.contains("distroless"));
    let healthcheck_works = healthcheck.is_some_and(|(_, l)| {
        !(minimal_base && (l.contains("curl") || l.contains("wget") || l.contains("CMD-SHELL")))
    });
    checks.push(check(
        "mon.docker-healthcheck",
        Area::MonitoringHooks,
        "the image has a HEALTHCHECK that can run in it",
        "add HEALTHCHECK CMD [\"/app\", \"health\"] (no curl or shell in scratch/distroless images)",
        applies.map(|()| healthcheck_works),
        healthcheck.map(|(n, _)| format!("Dockerfile:{n}")),
    ));
    checks.push(check(
        "deploy.dockerignore",
        Area::DeploymentAutomation,
        ".dockerignore keeps target/, .git and .env out of the build context",
        "add a .dockerignore with target/, .git, .env*",
        applies.map(|()| repo.exists(".dockerignore")),
        None,
    ));
}

/// A swarm stack's services (compose files with `deploy:`): each has a healthcheck swarm can
/// watch during a rolling update, and rolls a failed update back instead of pausing it (swarm's
/// default, which leaves the service half on the new version).
fn swarm_checks(stack: &[crate::stacks::StackService], checks: &mut Vec<Check>) {
    let applies = (!stack.is_empty()).then_some(());
    let evidence = |failing: Option<&crate::stacks::StackService>| {
        failing
            .or(stack.first())
            .map(|s| format!("{} (service {})", s.at, s.name))
    };
    let unchecked = stack.iter().find(|s| s.healthcheck.is_none());
    checks.push(check(
        "mon.swarm-healthcheck",
        Area::MonitoringHooks,
        "every swarm service has a healthcheck its rolling updates can wait on",
        "give the service a healthcheck: (or build it from a Dockerfile with a HEALTHCHECK)",
        applies.map(|()| unchecked.is_none()),
        evidence(unchecked),
    ));
    let pausing = stack
        .iter()
        .find(|s| s.failure_action.as_deref() != Some("rollback"));
    checks.push(check(
        "deploy.swarm-rollback",
        Area::DeploymentAutomation,
        "every swarm service rolls a failed update back",
        "set deploy.update_config.failure_action: rollback, or deploy with `cargo xtask deploy` (engine = \"swarm\": health gate and rollback)",
        applies.map(|()| pausing.is_none()),
        evidence(pausing),
    ));
}

/// Inspects the repository at `root`.
pub fn inspect(session: &mut Session, root: &Path) -> Result<Report> {
    let mut workflows = Vec::new();
    if let Ok(entries) = std::fs::read_dir(root.join(".github/workflows")) {
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for path in paths
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            workflows.push((rel, text));
        }
    }
    let manifest = std::fs::read_to_string(root.join("Cargo.toml"))
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or_default();
    let tracked = windlass_secrets::files::list(session, root)?;
    let repo = Repo {
        root: root.to_path_buf(),
        workflows,
        manifest,
        tracked,
    };
    let is_git = repo.exists(".git");
    let mut checks = Vec::new();

    // Version control.
    checks.push(check(
        "vc.git",
        Area::VersionControl,
        "the code is in git",
        "git init, and push it somewhere safe",
        Some(is_git),
        None,
    ));
    let gitignore = repo.read(".gitignore").unwrap_or_default();
    let ignores = |entry: &str| {
        gitignore
            .lines()
            .any(|l| l.trim().trim_start_matches('/').trim_end_matches('/') == entry)
    };
    checks.push(check(
        "vc.ignore-target",
        Area::VersionControl,
        "build output is ignored",
        "add /target to .gitignore",
        Some(ignores("target")),
        None,
    ));
    let hook =
        repo.read(".git/hooks/pre-commit").is_some() || repo.exists(".pre-commit-config.yaml");
    checks.push(check(
        "vc.pre-commit",
        Area::VersionControl,
        "a pre-commit hook checks each commit",
        "cargo xtask install-hooks",
        is_git.then_some(hook),
        None,
    ));

    // Build automation.
    let ci = repo.workflows.first().map(|(f, _)| f.clone());
    checks.push(check(
        "build.ci",
        Area::BuildAutomation,
        "CI runs on every change",
        "cargo xtask workflows",
        Some(ci.is_some()),
        ci,
    ));
    let alias = repo
        .read(".cargo/config.toml")
        .is_some_and(|t| t.contains("xtask"));
    checks.push(check(
        "build.xtask",
        Area::BuildAutomation,
        "the checks are one command (`cargo xtask ci`)",
        "windlass init",
        Some(alias),
        alias.then(|| ".cargo/config.toml".into()),
    ));
    let rust_version = repo.manifest_has(&["package", "rust-version"])
        || repo.manifest_has(&["workspace", "package", "rust-version"]);
    checks.push(check(
        "build.rust-version",
        Area::BuildAutomation,
        "rust-version is declared",
        "set rust-version in [package] or [workspace.package]",
        Some(rust_version),
        None,
    ));
    let release = ["lto", "codegen-units", "strip", "panic"]
        .iter()
        .any(|k| repo.manifest_has(&["profile", "release", k]));
    checks.push(check(
        "build.release-profile",
        Area::BuildAutomation,
        "the release profile is tuned",
        "set lto, codegen-units = 1 and strip in [profile.release]",
        Some(release),
        None,
    ));
    checks.push(check(
        "build.staging-profile",
        Area::BuildAutomation,
        "a staging profile keeps debug symbols",
        "add [profile.staging] inherits = \"release\", debug = true",
        Some(repo.manifest_has(&["profile", "staging"])),
        None,
    ));

    let release_tool = repo.in_workflows(&[
        "xtask release",
        "cargo release",
        "release-plz",
        "cargo dist",
    ]);
    checks.push(check(
        "build.release-automated",
        Area::BuildAutomation,
        "releases are made by a tool, not tagged by hand",
        "cargo xtask release LEVEL --execute --push (and `cargo xtask workflows` for release.yml)",
        Some(release_tool.is_some()),
        release_tool,
    ));

    // Testing.
    let has_tests = repo.tracked.iter().any(|p| {
        p.extension().is_some_and(|e| e == "rs")
            && (p.components().any(|c| c.as_os_str() == "tests")
                || std::fs::read_to_string(root.join(p)).is_ok_and(|t| t.contains("#[test]")))
    });
    checks.push(check(
        "test.exists",
        Area::Testing,
        "there are tests",
        "add unit tests (#[test]) and integration tests (tests/)",
        Some(has_tests),
        None,
    ));
    let runs_tests = repo.in_workflows(&["cargo test", "nextest", "xtask test", "xtask ci"]);
    checks.push(check(
        "test.in-ci",
        Area::Testing,
        "CI runs the tests",
        "cargo xtask workflows (a test job)",
        Some(runs_tests.is_some()),
        runs_tests,
    ));
    let lint = repo.in_workflows(&["clippy", "xtask lint", "xtask ci"]);
    let not_blocking = lint_not_blocking(&repo);
    checks.push(check(
        "test.lint-blocks",
        Area::Testing,
        "clippy warnings block CI",
        "remove continue-on-error from the lint step; run `cargo xtask lint` (warnings fail)",
        Some(lint.is_some() && not_blocking.is_none()),
        not_blocking.or(lint),
    ));
    let configs_valid = [
        "rustfmt.toml",
        ".rustfmt.toml",
        "clippy.toml",
        ".clippy.toml",
    ]
    .iter()
    .filter_map(|f| repo.read(f).map(|t| (f, t)))
    .find(|(_, t)| t.parse::<toml::Table>().is_err())
    .map(|(f, _)| (*f).to_string());
    checks.push(check(
        "test.tool-configs",
        Area::Testing,
        "rustfmt and clippy configs are valid TOML",
        "fix the file named",
        Some(configs_valid.is_none()),
        configs_valid,
    ));

    // Security scanning.
    let audit = repo.in_workflows(&[
        "cargo audit",
        "cargo deny",
        "xtask audit",
        "xtask ci",
        "cargo-deny",
    ]);
    checks.push(check(
        "sec.audit-in-ci",
        Area::SecurityScanning,
        "dependencies are audited in CI",
        "cargo xtask workflows (an audit job, and a daily scan)",
        Some(audit.is_some()),
        audit,
    ));
    checks.push(check(
        "sec.deny-toml",
        Area::SecurityScanning,
        "a dependency policy exists (deny.toml)",
        "windlass init writes one",
        Some(repo.exists("deny.toml")),
        None,
    ));
    let unpinned = unpinned_action(&repo);
    checks.push(check(
        "sec.actions-pinned",
        Area::SecurityScanning,
        "actions are pinned by commit SHA",
        "pin each `uses:` to a full SHA with the version in a comment",
        (!repo.workflows.is_empty()).then_some(unpinned.is_none()),
        unpinned,
    ));
    let no_permissions = repo
        .workflows
        .iter()
        .find(|(_, t)| !t.lines().any(|l| l.starts_with("permissions:")))
        .map(|(f, _)| f.clone());
    checks.push(check(
        "sec.permissions",
        Area::SecurityScanning,
        "workflows grant no default permissions",
        "add top-level `permissions: {}` and grant per job",
        (!repo.workflows.is_empty()).then_some(no_permissions.is_none()),
        no_permissions,
    ));

    // Secrets management.
    let findings =
        windlass_secrets::files::scan(root, &repo.tracked, windlass_secrets::files::MAX_FILE_BYTES)
            .findings;
    let first = findings.first().map(|f| format!("{}:{}", f.path, f.line));
    checks.push(check(
        "secrets.tree-clean",
        Area::SecretsManagement,
        "no secrets in the tree",
        "remove and rotate them; cargo xtask secrets",
        Some(findings.is_empty()),
        first,
    ));
    checks.push(check(
        "secrets.env-ignored",
        Area::SecretsManagement,
        ".env files are ignored",
        "add .env to .gitignore",
        Some(ignores(".env") || ignores(".env*")),
        None,
    ));
    let scan = repo.in_workflows(&[
        "xtask secrets",
        "xtask ci",
        "gitleaks",
        "trufflehog",
        "detect-secrets",
    ]);
    checks.push(check(
        "secrets.scan-in-ci",
        Area::SecretsManagement,
        "CI scans for secrets",
        "cargo xtask workflows (a secrets job)",
        Some(scan.is_some()),
        scan,
    ));

    // Dependency management.
    let lock_tracked = is_git && {
        let sh = session.shell();
        let cmd =
            sh.cmd("git")
                .arg("-C")
                .arg(root)
                .args(["ls-files", "--error-unmatch", "Cargo.lock"]);
        session
            .run(cmd, Capture::Everything)
            .is_ok_and(|f| f.success())
    };
    checks.push(check(
        "deps.lockfile",
        Area::DependencyManagement,
        "Cargo.lock is committed",
        "commit Cargo.lock (services and binaries should)",
        Some(lock_tracked),
        None,
    ));
    let updates = repo.exists(".github/dependabot.yml")
        || repo.exists(".github/dependabot.yaml")
        || repo.exists("renovate.json");
    checks.push(check(
        "deps.updates",
        Area::DependencyManagement,
        "dependency updates are automated",
        "cargo xtask workflows (writes .github/dependabot.yml)",
        Some(updates),
        None,
    ));
    let licenses = repo
        .read("deny.toml")
        .is_some_and(|t| t.contains("[licenses]"));
    checks.push(check(
        "deps.licenses",
        Area::DependencyManagement,
        "licences follow a policy",
        "add [licenses] allow = [...] to deny.toml",
        Some(licenses),
        None,
    ));

    // Deployment automation and monitoring.
    let windlass_deploy = repo.manifest_has(&["workspace", "metadata", "windlass", "deploy"]);
    let gate = repo.in_workflows(&["xtask deploy", "health-check"]);
    checks.push(check(
        "deploy.health-gate",
        Area::DeploymentAutomation,
        "a deploy waits for the service to be healthy",
        "deploy with `cargo xtask deploy` (health gate)",
        Some(windlass_deploy || gate.is_some()),
        gate,
    ));
    let manual = repo.workflows.iter().find_map(|(f, t)| {
        t.lines()
            .position(|l| l.contains(".bak") && (l.contains("cp ") || l.contains("mv ")))
            .map(|i| format!("{f}:{}", i + 1))
    });
    let stack = crate::stacks::find(&repo.root, &repo.tracked);
    let stack_rolls_back = !stack.is_empty()
        && stack
            .iter()
            .all(|s| s.failure_action.as_deref() == Some("rollback"));
    checks.push(check(
        "deploy.auto-rollback",
        Area::DeploymentAutomation,
        "a bad release is rolled back automatically",
        "`cargo xtask deploy` rolls back when the health gate fails",
        Some(windlass_deploy || repo.in_workflows(&["xtask deploy"]).is_some() || stack_rolls_back),
        manual,
    ));
    dockerfile_checks(&repo, &mut checks);
    swarm_checks(&stack, &mut checks);
    let health_route = repo
        .tracked
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .find_map(|p| {
            let text = std::fs::read_to_string(root.join(p)).ok()?;
            text.lines()
                .position(|l| l.contains("\"/health"))
                .map(|i| format!("{}:{}", p.display(), i + 1))
        });
    checks.push(check(
        "mon.health-endpoint",
        Area::MonitoringHooks,
        "the service exposes a health endpoint",
        "serve GET /health with {\"status\": \"healthy\"}",
        Some(health_route.is_some()),
        health_route,
    ));
    let unit = repo
        .tracked
        .iter()
        .any(|p| p.extension().is_some_and(|e| e == "service"));
    checks.push(check(
        "mon.supervised",
        Area::MonitoringHooks,
        "the service is supervised (systemd unit or container health check)",
        "cargo xtask systemd-unit --env production",
        Some(
            unit || repo
                .read("Dockerfile")
                .is_some_and(|t| t.contains("HEALTHCHECK")),
        ),
        None,
    ));

    // Documentation.
    checks.push(check(
        "doc.readme",
        Area::Documentation,
        "a README",
        "write README.md",
        Some(repo.exists("README.md")),
        None,
    ));
    checks.push(check(
        "doc.changelog",
        Area::Documentation,
        "a changelog",
        "cargo xtask release writes CHANGELOG.md from the commits",
        Some(repo.exists("CHANGELOG.md")),
        None,
    ));
    checks.push(check(
        "doc.deployment",
        Area::Documentation,
        "how to deploy is written down",
        "write DEPLOYMENT.md",
        Some(repo.exists("DEPLOYMENT.md") || repo.exists("docs/DEPLOYMENT.md")),
        None,
    ));
    checks.push(check(
        "doc.runbooks",
        Area::Documentation,
        "runbooks for incidents",
        "write RUNBOOKS.md (rollback, restore, rotate a key)",
        Some(repo.exists("RUNBOOKS.md") || repo.exists("docs/RUNBOOKS.md")),
        None,
    ));

    let areas: Vec<AreaLevel> = Area::ALL
        .iter()
        .map(|&area| {
            let applicable: Vec<&Check> = checks
                .iter()
                .filter(|c| c.area == area && c.status != Status::Skip)
                .collect();
            let passed = applicable
                .iter()
                .filter(|c| c.status == Status::Pass)
                .count();
            let level = if applicable.is_empty() {
                0.0
            } else {
                (50.0 * passed as f64 / applicable.len() as f64).round() / 10.0
            };
            AreaLevel {
                area,
                level,
                passed,
                applicable: applicable.len(),
            }
        })
        .collect();
    let maturity =
        (10.0 * areas.iter().map(|a| a.level).sum::<f64>() / areas.len() as f64).round() / 10.0;
    let applicable = checks.iter().filter(|c| c.status != Status::Skip).count();
    let passed = checks.iter().filter(|c| c.status == Status::Pass).count();
    let readiness = u32::try_from(100 * passed / applicable.max(1)).unwrap_or(0);
    Ok(Report {
        areas,
        maturity,
        readiness,
        checks,
    })
}

/// The report as Markdown, for a pull request comment or a job summary.
pub fn markdown(report: &Report) -> String {
    let mut md = format!(
        "## Production readiness: {}/100, maturity {:.1}/5\n\n| Area | Level | Checks |\n|---|---:|---:|\n",
        report.readiness, report.maturity
    );
    for a in &report.areas {
        md.push_str(&format!(
            "| {} | {:.1} | {}/{} |\n",
            a.area, a.level, a.passed, a.applicable
        ));
    }
    md.push_str("\n| Check | Status | Evidence | Fix |\n|---|---|---|---|\n");
    for c in report.checks.iter().filter(|c| c.status == Status::Fail) {
        md.push_str(&format!(
            "| `{}` {} | ❌ | {} | {} |\n",
            c.id,
            c.title,
            c.evidence.as_deref().unwrap_or("-"),
            c.fix.replace('|', "\\|")
        ));
    }
    md
}

fn text(report: &Report) -> String {
    let mut out = String::from("  area                     level  checks\n");
    for a in &report.areas {
        out.push_str(&format!(
            "  {:<24} {:>4.1}   {}/{}\n",
            a.area, a.level, a.passed, a.applicable
        ));
    }
    out.push_str(&format!(
        "  maturity {:.1}/5, readiness {}/100",
        report.maturity, report.readiness
    ));
    out
}

/// The `doctor` step.
#[derive(Debug, Clone, Default)]
pub struct Doctor {
    /// Fail below this maturity (a CI gate).
    pub min_level: Option<f64>,
    /// Print Markdown instead of the table.
    pub markdown: bool,
}

/// The name of the task.
pub const NAME: &str = "doctor";

impl Step for Doctor {
    fn name(&self) -> &str {
        NAME
    }

    fn plan(&self, _ws: &Workspace, _session: &mut Session) -> Result<Plan> {
        Ok(Plan::describe(
            "inspect the repository and score its production readiness",
        ))
    }

    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        let report = inspect(session, &ws.repo_root)?;
        for c in report.checks.iter().filter(|c| c.status == Status::Fail) {
            let mut d = Diagnostic::new(NAME, Severity::Warning, c.id, format!("not met: {}; fix: {}", c.title, c.fix))
                .details(json!({"id": c.id, "area": c.area, "status": c.status, "evidence": c.evidence, "fix": c.fix}));
            if let Some(evidence) = &c.evidence {
                let (file, line) = match evidence.rsplit_once(':') {
                    Some((f, l)) if l.parse::<u32>().is_ok() => (f.to_string(), l.parse().ok()),
                    _ => (evidence.clone(), None),
                };
                d = d.at(file, line, None);
            }
            session.diagnostic(d);
        }
        session.diagnostic(
            Diagnostic::new(
                "doctor",
                Severity::Notice,
                "readiness",
                format!(
                    "maturity {:.1}/5, readiness {}/100",
                    report.maturity, report.readiness
                ),
            )
            .details(serde_json::to_value(&report)?),
        );
        let shown = if self.markdown {
            markdown(&report)
        } else {
            text(&report)
        };
        session.emit(Event::Output {
            step: NAME.into(),
            text: shown,
        });
        let summary = format!(
            "maturity {:.1}/5, readiness {}/100",
            report.maturity, report.readiness
        );
        match self.min_level {
            Some(min) if report.maturity < min => Ok(StepOutcome::failed(
                format!("{summary}, below the required {min:.1}"),
                "fix the checks listed above",
            )),
            _ => Ok(StepOutcome::passed(summary)),
        }
    }
}
