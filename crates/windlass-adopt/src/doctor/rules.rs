//! The rubric as a table: each rule an id, its area, what it checks, its fix and a verdict
//! over the repository's files read once ([`Repo`]). A rule is one entry; the report keeps
//! the table's order.

use super::Area;
use crate::stacks::StackService;
use anyhow::Result;
use std::path::{Path, PathBuf};
use windlass_core::Session;
use windlass_core::runner::Capture;

/// Whether a rule is met (`None`: it does not apply), and where that was seen.
pub type Verdict = (Option<bool>, Option<String>);

/// One rule of the rubric.
pub struct Rule {
    /// Stable id, e.g. `sec.audit-in-ci`.
    pub id: &'static str,
    /// Its area.
    pub area: Area,
    /// What it checks.
    pub title: &'static str,
    /// How to meet it.
    pub fix: &'static str,
    /// Its verdict on a repository.
    pub verdict: fn(&Repo) -> Verdict,
}

/// The repository's files, read once, and what only a process can tell.
pub struct Repo {
    root: PathBuf,
    workflows: Vec<(String, String)>,
    manifest: toml::Table,
    tracked: Vec<PathBuf>,
    is_git: bool,
    lock_tracked: bool,
    first_secret: Option<String>,
    stack: Vec<StackService>,
    dockerfile: Option<Vec<(usize, String)>>,
}

impl Repo {
    /// Reads the repository at `root`.
    pub fn read(session: &mut Session, root: &Path) -> Result<Self> {
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
        let is_git = root.join(".git").exists();
        let lock_tracked = is_git && {
            let sh = session.shell();
            let cmd = sh.cmd("git").arg("-C").arg(root).args([
                "ls-files",
                "--error-unmatch",
                "Cargo.lock",
            ]);
            session
                .run(cmd, Capture::Everything)
                .is_ok_and(|f| f.success())
        };
        let first_secret =
            windlass_secrets::files::scan(root, &tracked, windlass_secrets::files::MAX_FILE_BYTES)
                .findings
                .first()
                .map(|f| format!("{}:{}", f.path, f.line));
        let stack = crate::stacks::find(root, &tracked);
        let dockerfile = std::fs::read_to_string(root.join("Dockerfile"))
            .ok()
            .map(|text| {
                text.lines()
                    .enumerate()
                    .map(|(i, l)| (i + 1, l.trim().to_string()))
                    .collect()
            });
        Ok(Self {
            root: root.to_path_buf(),
            workflows,
            manifest,
            tracked,
            is_git,
            lock_tracked,
            first_secret,
            stack,
            dockerfile,
        })
    }

    fn read_file(&self, rel: &str) -> Option<String> {
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

    /// Whether `.gitignore` has `entry` as a line of its own (`/target/` counts as `target`).
    fn ignores(&self, entry: &str) -> bool {
        self.read_file(".gitignore")
            .unwrap_or_default()
            .lines()
            .any(|l| l.trim().trim_start_matches('/').trim_end_matches('/') == entry)
    }

    fn has_workflows(&self) -> bool {
        !self.workflows.is_empty()
    }

    fn windlass_deploy(&self) -> bool {
        self.manifest_has(&["workspace", "metadata", "windlass", "deploy"])
    }

    /// The Dockerfile's instructions named `keyword` (`FROM`, `USER`), with their lines.
    fn docker(&self, keyword: &str) -> Vec<&(usize, String)> {
        self.dockerfile
            .iter()
            .flatten()
            .filter(|(_, l)| {
                l.split_whitespace()
                    .next()
                    .is_some_and(|k| k.eq_ignore_ascii_case(keyword))
            })
            .collect()
    }

    /// `Some(())` when there is a Dockerfile: the Docker rules apply.
    fn has_dockerfile(&self) -> Option<()> {
        self.dockerfile.as_ref().map(|_| ())
    }

    /// `Some(())` when there is a swarm stack: the swarm rules apply.
    fn has_stack(&self) -> Option<()> {
        (!self.stack.is_empty()).then_some(())
    }

    /// Where a swarm rule was seen: the failing service, else the first.
    fn stack_evidence(&self, failing: Option<&StackService>) -> Option<String> {
        failing
            .or(self.stack.first())
            .map(|s| format!("{} (service {})", s.at, s.name))
    }
}

/// A verdict that always applies.
fn met(ok: bool, evidence: Option<String>) -> Verdict {
    (Some(ok), evidence)
}

/// A verdict that is met when something was found, with where.
fn found(evidence: Option<String>) -> Verdict {
    (Some(evidence.is_some()), evidence)
}

/// The rubric, in the order the report shows it.
pub const RULES: &[Rule] = &[
    // Version control.
    Rule {
        id: "vc.git",
        area: Area::VersionControl,
        title: "the code is in git",
        fix: "git init, and push it somewhere safe",
        verdict: |r| met(r.is_git, None),
    },
    Rule {
        id: "vc.ignore-target",
        area: Area::VersionControl,
        title: "build output is ignored",
        fix: "add /target to .gitignore",
        verdict: |r| met(r.ignores("target"), None),
    },
    Rule {
        id: "vc.pre-commit",
        area: Area::VersionControl,
        title: "a pre-commit hook checks each commit",
        fix: "cargo xtask install-hooks",
        verdict: |r| {
            let hook = r.read_file(".git/hooks/pre-commit").is_some()
                || r.exists(".pre-commit-config.yaml");
            (r.is_git.then_some(hook), None)
        },
    },
    // Build automation.
    Rule {
        id: "build.ci",
        area: Area::BuildAutomation,
        title: "CI runs on every change",
        fix: "cargo xtask workflows",
        verdict: |r| found(r.workflows.first().map(|(f, _)| f.clone())),
    },
    Rule {
        id: "build.xtask",
        area: Area::BuildAutomation,
        title: "the checks are one command (`cargo xtask ci`)",
        fix: "windlass init",
        verdict: |r| {
            let alias = r
                .read_file(".cargo/config.toml")
                .is_some_and(|t| t.contains("xtask"));
            met(alias, alias.then(|| ".cargo/config.toml".into()))
        },
    },
    Rule {
        id: "build.rust-version",
        area: Area::BuildAutomation,
        title: "rust-version is declared",
        fix: "set rust-version in [package] or [workspace.package]",
        verdict: |r| {
            met(
                r.manifest_has(&["package", "rust-version"])
                    || r.manifest_has(&["workspace", "package", "rust-version"]),
                None,
            )
        },
    },
    Rule {
        id: "build.release-profile",
        area: Area::BuildAutomation,
        title: "the release profile is tuned",
        fix: "set lto, codegen-units = 1 and strip in [profile.release]",
        verdict: |r| {
            let tuned = ["lto", "codegen-units", "strip", "panic"]
                .iter()
                .any(|k| r.manifest_has(&["profile", "release", k]));
            met(tuned, None)
        },
    },
    Rule {
        id: "build.staging-profile",
        area: Area::BuildAutomation,
        title: "a staging profile keeps debug symbols",
        fix: "add [profile.staging] inherits = \"release\", debug = true",
        verdict: |r| met(r.manifest_has(&["profile", "staging"]), None),
    },
    Rule {
        id: "build.release-automated",
        area: Area::BuildAutomation,
        title: "releases are made by a tool, not tagged by hand",
        fix: "cargo xtask release LEVEL --execute --push (and `cargo xtask workflows` for release.yml)",
        verdict: |r| {
            found(r.in_workflows(&[
                "xtask release",
                "cargo release",
                "release-plz",
                "cargo dist",
            ]))
        },
    },
    // Testing.
    Rule {
        id: "test.exists",
        area: Area::Testing,
        title: "there are tests",
        fix: "add unit tests (#[test]) and integration tests (tests/)",
        verdict: |r| {
            let has_tests = r.tracked.iter().any(|p| {
                p.extension().is_some_and(|e| e == "rs")
                    && (p.components().any(|c| c.as_os_str() == "tests")
                        || std::fs::read_to_string(r.root.join(p))
                            .is_ok_and(|t| t.contains("#[test]")))
            });
            met(has_tests, None)
        },
    },
    Rule {
        id: "test.in-ci",
        area: Area::Testing,
        title: "CI runs the tests",
        fix: "cargo xtask workflows (a test job)",
        verdict: |r| found(r.in_workflows(&["cargo test", "nextest", "xtask test", "xtask ci"])),
    },
    Rule {
        id: "test.lint-blocks",
        area: Area::Testing,
        title: "clippy warnings block CI",
        fix: "remove continue-on-error from the lint step; run `cargo xtask lint` (warnings fail)",
        verdict: |r| {
            let lint = r.in_workflows(&["clippy", "xtask lint", "xtask ci"]);
            let not_blocking = lint_not_blocking(r);
            met(
                lint.is_some() && not_blocking.is_none(),
                not_blocking.or(lint),
            )
        },
    },
    Rule {
        id: "test.tool-configs",
        area: Area::Testing,
        title: "rustfmt and clippy configs are valid TOML",
        fix: "fix the file named",
        verdict: |r| {
            let invalid = [
                "rustfmt.toml",
                ".rustfmt.toml",
                "clippy.toml",
                ".clippy.toml",
            ]
            .iter()
            .filter_map(|f| r.read_file(f).map(|t| (f, t)))
            .find(|(_, t)| t.parse::<toml::Table>().is_err())
            .map(|(f, _)| (*f).to_string());
            met(invalid.is_none(), invalid)
        },
    },
    // Security scanning.
    Rule {
        id: "sec.audit-in-ci",
        area: Area::SecurityScanning,
        title: "dependencies are audited in CI",
        fix: "cargo xtask workflows (an audit job, and a daily scan)",
        verdict: |r| {
            found(r.in_workflows(&[
                "cargo audit",
                "cargo deny",
                "xtask audit",
                "xtask ci",
                "cargo-deny",
            ]))
        },
    },
    Rule {
        id: "sec.deny-toml",
        area: Area::SecurityScanning,
        title: "a dependency policy exists (deny.toml)",
        fix: "windlass init writes one",
        verdict: |r| met(r.exists("deny.toml"), None),
    },
    Rule {
        id: "sec.actions-pinned",
        area: Area::SecurityScanning,
        title: "actions are pinned by commit SHA",
        fix: "pin each `uses:` to a full SHA with the version in a comment",
        verdict: |r| {
            let unpinned = unpinned_action(r);
            (r.has_workflows().then_some(unpinned.is_none()), unpinned)
        },
    },
    Rule {
        id: "sec.permissions",
        area: Area::SecurityScanning,
        title: "workflows grant no default permissions",
        fix: "add top-level `permissions: {}` and grant per job",
        verdict: |r| {
            let open = r
                .workflows
                .iter()
                .find(|(_, t)| !t.lines().any(|l| l.starts_with("permissions:")))
                .map(|(f, _)| f.clone());
            (r.has_workflows().then_some(open.is_none()), open)
        },
    },
    // Secrets management.
    Rule {
        id: "secrets.tree-clean",
        area: Area::SecretsManagement,
        title: "no secrets in the tree",
        fix: "remove and rotate them; cargo xtask secrets",
        verdict: |r| met(r.first_secret.is_none(), r.first_secret.clone()),
    },
    Rule {
        id: "secrets.env-ignored",
        area: Area::SecretsManagement,
        title: ".env files are ignored",
        fix: "add .env to .gitignore",
        verdict: |r| met(r.ignores(".env") || r.ignores(".env*"), None),
    },
    Rule {
        id: "secrets.scan-in-ci",
        area: Area::SecretsManagement,
        title: "CI scans for secrets",
        fix: "cargo xtask workflows (a secrets job)",
        verdict: |r| {
            found(r.in_workflows(&[
                "xtask secrets",
                "xtask ci",
                "gitleaks",
                "trufflehog",
                "detect-secrets",
            ]))
        },
    },
    // Dependency management.
    Rule {
        id: "deps.lockfile",
        area: Area::DependencyManagement,
        title: "Cargo.lock is committed",
        fix: "commit Cargo.lock (services and binaries should)",
        verdict: |r| met(r.lock_tracked, None),
    },
    Rule {
        id: "deps.updates",
        area: Area::DependencyManagement,
        title: "dependency updates are automated",
        fix: "cargo xtask workflows (writes .github/dependabot.yml)",
        verdict: |r| {
            let updates = r.exists(".github/dependabot.yml")
                || r.exists(".github/dependabot.yaml")
                || r.exists("renovate.json");
            met(updates, None)
        },
    },
    Rule {
        id: "deps.licenses",
        area: Area::DependencyManagement,
        title: "licences follow a policy",
        fix: "add [licenses] allow = [...] to deny.toml",
        verdict: |r| {
            let policy = r
                .read_file("deny.toml")
                .is_some_and(|t| t.contains("[licenses]"));
            met(policy, None)
        },
    },
    // Deployment automation and monitoring.
    Rule {
        id: "deploy.health-gate",
        area: Area::DeploymentAutomation,
        title: "a deploy waits for the service to be healthy",
        fix: "deploy with `cargo xtask deploy` (health gate)",
        verdict: |r| {
            let gate = r.in_workflows(&["xtask deploy", "health-check"]);
            met(r.windlass_deploy() || gate.is_some(), gate)
        },
    },
    Rule {
        id: "deploy.auto-rollback",
        area: Area::DeploymentAutomation,
        title: "a bad release is rolled back automatically",
        fix: "`cargo xtask deploy` rolls back when the health gate fails",
        verdict: |r| {
            let manual = r.workflows.iter().find_map(|(f, t)| {
                t.lines()
                    .position(|l| l.contains(".bak") && (l.contains("cp ") || l.contains("mv ")))
                    .map(|i| format!("{f}:{}", i + 1))
            });
            let stack_rolls_back = !r.stack.is_empty()
                && r.stack
                    .iter()
                    .all(|s| s.failure_action.as_deref() == Some("rollback"));
            let automatic = r.windlass_deploy()
                || r.in_workflows(&["xtask deploy"]).is_some()
                || stack_rolls_back;
            met(automatic, manual)
        },
    },
    Rule {
        id: "deploy.docker-nonroot",
        area: Area::DeploymentAutomation,
        title: "the image runs as a non-root user",
        fix: "end the Dockerfile's last stage with USER <non-root> (or a :nonroot base image)",
        verdict: |r| {
            let applies = r.has_dockerfile();
            let users = r.docker("USER");
            let last_user = users.last();
            let nonroot = last_user.is_some_and(|(_, l)| {
                let who = l.split_whitespace().nth(1).unwrap_or("root");
                who != "root" && who != "0" && !who.starts_with("0:")
            }) || r.docker("FROM").iter().any(|(_, l)| l.contains(":nonroot"));
            (
                applies.map(|()| nonroot),
                last_user
                    .map(|(n, _)| format!("Dockerfile:{n}"))
                    .or_else(|| applies.map(|()| "Dockerfile".into())),
            )
        },
    },
    Rule {
        id: "deploy.docker-pinned",
        area: Area::DeploymentAutomation,
        title: "base images are pinned (a tag that is not `latest`, or a digest)",
        fix: "pin each FROM image: name:version or name@sha256:...",
        verdict: |r| {
            let froms = r.docker("FROM");
            // A stage of the same file (`FROM chef AS planner` … `FROM planner`) is no image.
            let stages: std::collections::HashSet<String> = froms
                .iter()
                .filter_map(|(_, l)| {
                    let words: Vec<&str> = l.split_whitespace().collect();
                    let at = words.iter().position(|w| w.eq_ignore_ascii_case("AS"))?;
                    words.get(at + 1).map(|s| s.to_ascii_lowercase())
                })
                .collect();
            let unpinned = froms.iter().find(|(_, l)| {
                let image = l
                    .split_whitespace()
                    .skip(1)
                    .find(|w| !w.starts_with("--"))
                    .unwrap_or("");
                image != "scratch"
                    && !image.contains('@')
                    && !image.contains('$')
                    && !stages.contains(&image.to_ascii_lowercase())
                    && (!image.contains(':') || image.ends_with(":latest"))
            });
            (
                r.has_dockerfile().map(|()| unpinned.is_none()),
                unpinned.map(|(n, _)| format!("Dockerfile:{n}")),
            )
        },
    },
    Rule {
        id: "mon.docker-healthcheck",
        area: Area::MonitoringHooks,
        title: "the image has a HEALTHCHECK that can run in it",
        fix: "add HEALTHCHECK CMD [\"/app\", \"health\"] (no curl or shell in scratch/distroless images)",
        verdict: |r| {
            let healthchecks = r.docker("HEALTHCHECK");
            let healthcheck = healthchecks.first();
            let minimal_base = r
                .docker("FROM")
                .last()
                .is_some_and(|(_, l)| l.contains("scratch") || l.contains("distroless"));
            let works = healthcheck.is_some_and(|(_, l)| {
                !(minimal_base
                    && (l.contains("curl") || l.contains("wget") || l.contains("CMD-SHELL")))
            });
            (
                r.has_dockerfile().map(|()| works),
                healthcheck.map(|(n, _)| format!("Dockerfile:{n}")),
            )
        },
    },
    Rule {
        id: "deploy.dockerignore",
        area: Area::DeploymentAutomation,
        title: ".dockerignore keeps target/, .git and .env out of the build context",
        fix: "add a .dockerignore with target/, .git, .env*",
        verdict: |r| (r.has_dockerfile().map(|()| r.exists(".dockerignore")), None),
    },
    // A swarm stack's services (compose files with `deploy:`): a healthcheck swarm can watch
    // during a rolling update, and a failed update rolled back rather than paused (swarm's
    // default, which leaves the service half on the new version).
    Rule {
        id: "mon.swarm-healthcheck",
        area: Area::MonitoringHooks,
        title: "every swarm service has a healthcheck its rolling updates can wait on",
        fix: "give the service a healthcheck: (or build it from a Dockerfile with a HEALTHCHECK)",
        verdict: |r| {
            let unchecked = r.stack.iter().find(|s| s.healthcheck.is_none());
            (
                r.has_stack().map(|()| unchecked.is_none()),
                r.stack_evidence(unchecked),
            )
        },
    },
    Rule {
        id: "deploy.swarm-rollback",
        area: Area::DeploymentAutomation,
        title: "every swarm service rolls a failed update back",
        fix: "set deploy.update_config.failure_action: rollback, or deploy with `cargo xtask deploy` (engine = \"swarm\": health gate and rollback)",
        verdict: |r| {
            let pausing = r
                .stack
                .iter()
                .find(|s| s.failure_action.as_deref() != Some("rollback"));
            (
                r.has_stack().map(|()| pausing.is_none()),
                r.stack_evidence(pausing),
            )
        },
    },
    Rule {
        id: "mon.health-endpoint",
        area: Area::MonitoringHooks,
        title: "the service exposes a health endpoint",
        fix: "serve GET /health with {\"status\": \"healthy\"}",
        verdict: |r| {
            found(
                r.tracked
                    .iter()
                    .filter(|p| p.extension().is_some_and(|e| e == "rs"))
                    .find_map(|p| {
                        let text = std::fs::read_to_string(r.root.join(p)).ok()?;
                        // A route however it is written: `"/health"`, `"/healthz"`,
                        // `"/api/health"`, `path!("health")`, `.route("/health/live", ..)`.
                        text.lines()
                            .position(|l| {
                                let lower = l.to_ascii_lowercase();
                                [
                                    "\"/health",
                                    "/health\"",
                                    "/healthz",
                                    "/livez",
                                    "/readyz",
                                    "\"health\"",
                                    "/ping\"",
                                ]
                                .iter()
                                .any(|m| lower.contains(m))
                            })
                            .map(|i| format!("{}:{}", p.display(), i + 1))
                    }),
            )
        },
    },
    Rule {
        id: "mon.supervised",
        area: Area::MonitoringHooks,
        title: "the service is supervised (systemd unit or container health check)",
        fix: "cargo xtask systemd-unit --env production",
        verdict: |r| {
            let unit = r
                .tracked
                .iter()
                .any(|p| p.extension().is_some_and(|e| e == "service"));
            let healthcheck = r
                .read_file("Dockerfile")
                .is_some_and(|t| t.contains("HEALTHCHECK"));
            met(unit || healthcheck, None)
        },
    },
    // Documentation.
    Rule {
        id: "doc.readme",
        area: Area::Documentation,
        title: "a README",
        fix: "write README.md",
        verdict: |r| met(r.exists("README.md"), None),
    },
    Rule {
        id: "doc.changelog",
        area: Area::Documentation,
        title: "a changelog",
        fix: "cargo xtask release writes CHANGELOG.md from the commits",
        verdict: |r| met(r.exists("CHANGELOG.md"), None),
    },
    Rule {
        id: "doc.deployment",
        area: Area::Documentation,
        title: "how to deploy is written down",
        fix: "write DEPLOYMENT.md",
        verdict: |r| {
            // Any of the names teams give it, at the root or in docs/, any case.
            let deployment = r.tracked.iter().find(|p| {
                let in_place = p
                    .parent()
                    .is_none_or(|d| d.as_os_str().is_empty() || d == std::path::Path::new("docs"));
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().to_ascii_lowercase())
                    .unwrap_or_default();
                in_place
                    && [
                        "deploy",
                        "deployment",
                        "deploying",
                        "operations",
                        "runbook",
                        "ops",
                    ]
                    .iter()
                    .any(|stem| name == format!("{stem}.md"))
            });
            met(
                deployment.is_some(),
                deployment.map(|p| p.display().to_string()),
            )
        },
    },
    Rule {
        id: "doc.runbooks",
        area: Area::Documentation,
        title: "runbooks for incidents",
        fix: "write RUNBOOKS.md (rollback, restore, rotate a key)",
        verdict: |r| {
            met(
                r.exists("RUNBOOKS.md") || r.exists("docs/RUNBOOKS.md"),
                None,
            )
        },
    },
];

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

/// The first `uses:` that is not pinned to a full commit SHA, as `file:line`.
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A repository of `files` (path, text), read the way `Repo::read` reads one.
    fn repo_of(files: &[(&str, &str)]) -> (tempfile::TempDir, Repo) {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let dockerfile = files
            .iter()
            .find(|(p, _)| *p == "Dockerfile")
            .map(|(_, t)| {
                t.lines()
                    .enumerate()
                    .map(|(i, l)| (i + 1, l.trim().to_string()))
                    .collect()
            });
        let repo = Repo {
            root: dir.path().to_path_buf(),
            workflows: Vec::new(),
            manifest: toml::Table::new(),
            tracked: files.iter().map(|(p, _)| PathBuf::from(p)).collect(),
            is_git: true,
            lock_tracked: true,
            first_secret: None,
            stack: Vec::new(),
            dockerfile,
        };
        (dir, repo)
    }

    fn verdict(id: &str, repo: &Repo) -> Verdict {
        let rule = RULES.iter().find(|r| r.id == id).unwrap();
        (rule.verdict)(repo)
    }

    #[test]
    fn a_stage_of_the_same_file_is_no_unpinned_image() {
        let chef = "FROM --platform=$BUILDPLATFORM rust:1.83 AS chef\n\
                    FROM chef AS planner\nFROM planner AS builder\n\
                    FROM debian:bookworm-slim\n";
        let (_d, repo) = repo_of(&[("Dockerfile", chef)]);
        assert_eq!(verdict("deploy.docker-pinned", &repo).0, Some(true));
        let latest = "FROM rust:1.83 AS builder\nFROM debian:latest\n";
        let (_d, repo) = repo_of(&[("Dockerfile", latest)]);
        let (ok, evidence) = verdict("deploy.docker-pinned", &repo);
        assert_eq!(ok, Some(false));
        assert!(evidence.unwrap().contains(":2"));
    }

    #[test]
    fn a_health_route_is_found_however_it_is_written() {
        for line in [
            r#".route("/healthz", get(ok))"#,
            r#"warp::path!("health")"#,
            r#".route("/api/Health", get(ok))"#,
            r#"#[get("/livez")]"#,
        ] {
            let (_d, repo) = repo_of(&[("src/main.rs", line)]);
            let (ok, evidence) = verdict("mon.health-endpoint", &repo);
            assert_eq!(ok, Some(true), "{line}");
            assert_eq!(evidence.as_deref(), Some("src/main.rs:1"));
        }
        let (_d, repo) = repo_of(&[("src/main.rs", r#"let wealth = "healthy";"#)]);
        assert_eq!(verdict("mon.health-endpoint", &repo).0, Some(false));
    }

    #[test]
    fn deployment_docs_go_by_the_names_teams_give_them() {
        for path in [
            "DEPLOYMENT.md",
            "docs/deploy.md",
            "RUNBOOK.md",
            "docs/Operations.md",
        ] {
            let (_d, repo) = repo_of(&[(path, "# how")]);
            let (ok, evidence) = verdict("doc.deployment", &repo);
            assert_eq!(ok, Some(true), "{path}");
            assert_eq!(evidence.as_deref(), Some(path));
        }
        let (_d, repo) = repo_of(&[("crates/x/DEPLOYMENT.md", "# not the project's")]);
        assert_eq!(verdict("doc.deployment", &repo).0, Some(false));
    }

    #[test]
    fn every_rule_has_a_unique_id_named_for_its_area() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count, "duplicate rule ids");
        for rule in RULES {
            let prefix = rule.id.split('.').next().unwrap_or("");
            assert!(
                [
                    "vc", "build", "test", "sec", "secrets", "deps", "deploy", "mon", "doc"
                ]
                .contains(&prefix),
                "{}",
                rule.id
            );
            assert!(
                !rule.title.is_empty() && !rule.fix.is_empty(),
                "{}",
                rule.id
            );
        }
    }
}
