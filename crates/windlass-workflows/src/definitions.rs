//! The workflows themselves, as Rust: what each job runs, with secure defaults everywhere —
//! no permissions unless a job is granted them, actions pinned by SHA, credentials not kept
//! after checkout, superseded runs cancelled, and untrusted values reaching `run:` only
//! through `env:`.

use crate::WorkflowsConfig;
use crate::actions::{CACHE, CHECKOUT, UPLOAD_ARTIFACT};
use crate::yaml::{Node, map, plain, s, strs};

/// The jobs' shared environment.
fn workflow_env() -> Node {
    map([
        ("CARGO_TERM_COLOR", s("always")),
        ("CARGO_INCREMENTAL", s("0")),
    ])
}

/// A workflow: no permissions unless a job is granted them, one concurrency group, the
/// shared environment.
fn workflow(name: &str, on: Node, group: Node, cancel_in_progress: bool, jobs: Node) -> Node {
    map([
        ("name", s(name)),
        ("on", on),
        ("permissions", Node::EmptyMap),
        (
            "concurrency",
            map([
                ("group", group),
                ("cancel-in-progress", plain(cancel_in_progress)),
            ]),
        ),
        ("env", workflow_env()),
        ("jobs", jobs),
    ])
}

fn checkout(full_history: bool) -> Node {
    let mut with = vec![("persist-credentials".to_string(), plain(false))];
    if full_history {
        with.push(("fetch-depth".to_string(), plain(0)));
    }
    map([
        ("name", s("Check out")),
        (
            "uses",
            Node::Commented(
                CHECKOUT.repo.to_string() + "@" + CHECKOUT.sha,
                CHECKOUT.version.into(),
            ),
        ),
        ("with", Node::Map(with)),
    ])
}

/// The registry and the built xtask, shared by every job and run until the xtask's sources
/// or the lockfile change: the xtask is compiled once.
fn cache(config: &WorkflowsConfig) -> Node {
    let files: Vec<String> = std::iter::once("Cargo.lock".to_string())
        .chain(config.xtask_sources())
        .map(|f| format!("'{f}'"))
        .collect();
    map([
        ("name", s("Cache the registry and the built xtask")),
        ("uses", Node::Commented(format!("{}@{}", CACHE.repo, CACHE.sha), CACHE.version.into())),
        (
            "with",
            map([
                ("path", Node::Block("~/.cargo/registry/index\n~/.cargo/registry/cache\n~/.cargo/git/db\ntarget\n".into())),
                ("key", s(format!("xtask-${{{{ runner.os }}}}-${{{{ hashFiles({}) }}}}", files.join(", ")))),
                ("restore-keys", s("xtask-${{ runner.os }}-")),
            ]),
        ),
    ])
}

fn run(name: &str, script: &str) -> Node {
    map([("name", s(name)), ("run", s(script))])
}

fn run_env(name: &str, script: &str, env: Node) -> Node {
    map([("name", s(name)), ("env", env), ("run", s(script))])
}

fn run_if(name: &str, condition: &str, script: &str, env: Option<Node>) -> Node {
    let mut pairs = vec![
        ("name".to_string(), s(name)),
        ("if".to_string(), s(condition)),
    ];
    if let Some(env) = env {
        pairs.push(("env".to_string(), env));
    }
    pairs.push(("run".to_string(), s(script)));
    Node::Map(pairs)
}

/// The official installer of cargo-nextest's prebuilt binary (no third-party action).
fn install_nextest() -> Node {
    run(
        "Install cargo-nextest",
        "curl -LsSf https://get.nexte.st/latest/linux | tar zxf - -C \"${CARGO_HOME:-$HOME/.cargo}/bin\"",
    )
}

fn job(
    config: &WorkflowsConfig,
    name: &str,
    permissions: &[(&str, &str)],
    extra: Vec<(String, Node)>,
    steps: Vec<Node>,
) -> Node {
    // The deploy job runs on the host itself: a self-hosted runner labelled with the environment.
    let runs_on = if name.starts_with("deploy to ") {
        strs(["self-hosted", "${{ inputs.environment }}"])
    } else {
        s(config.runs_on())
    };
    let mut pairs = vec![
        ("name".to_string(), s(name)),
        ("runs-on".to_string(), runs_on),
        (
            "timeout-minutes".to_string(),
            plain(config.timeout_minutes()),
        ),
        (
            "permissions".to_string(),
            if permissions.is_empty() {
                Node::EmptyMap
            } else {
                // A write grant carries its reason as `"write # why"`: it is rendered as a
                // YAML comment, the explanation reviewers (and zizmor) ask of every grant.
                map(permissions.iter().map(|(k, v)| {
                    let node = match v.split_once(" # ") {
                        Some((value, why)) => Node::Commented(value.into(), why.into()),
                        None => s(*v),
                    };
                    (*k, node)
                }))
            },
        ),
    ];
    pairs.extend(extra);
    pairs.push(("steps".to_string(), Node::Seq(steps)));
    Node::Map(pairs)
}

/// The job for one `ci` step.
fn ci_job(config: &WorkflowsConfig, step: &str) -> Node {
    let read = [("contents", "read")];
    match step {
        "secrets" => job(
            config,
            "secrets",
            &read,
            Vec::new(),
            vec![
                checkout(true),
                cache(config),
                run_if(
                    "cargo xtask secrets (the pull request's commits)",
                    "github.event_name == 'pull_request'",
                    "cargo xtask secrets --since \"origin/$BASE_REF\"",
                    Some(map([("BASE_REF", s("${{ github.base_ref }}"))])),
                ),
                run_if(
                    "cargo xtask secrets",
                    "github.event_name != 'pull_request'",
                    "cargo xtask secrets --all",
                    None,
                ),
            ],
        ),
        "test" if config.partitions() > 1 => {
            let n = config.partitions();
            job(
                config,
                &format!("test (${{{{ matrix.partition }}}}/{n})"),
                &read,
                vec![(
                    "strategy".into(),
                    map([
                        ("fail-fast", plain(false)),
                        (
                            "matrix",
                            map([("partition", Node::Seq((1..=n).map(plain).collect()))]),
                        ),
                    ]),
                )],
                vec![
                    checkout(false),
                    cache(config),
                    install_nextest(),
                    run_env(
                        "cargo xtask test (one shard)",
                        &format!("cargo xtask test --partition \"$PARTITION/{n}\""),
                        map([("PARTITION", s("${{ matrix.partition }}"))]),
                    ),
                ],
            )
        }
        "test" => job(
            config,
            "test",
            &read,
            Vec::new(),
            vec![
                checkout(false),
                cache(config),
                install_nextest(),
                run("cargo xtask test", "cargo xtask test"),
            ],
        ),
        "workflows" => job(
            config,
            "workflows",
            &read,
            Vec::new(),
            vec![
                checkout(false),
                cache(config),
                run(
                    "cargo xtask workflows --check",
                    "cargo xtask workflows --check",
                ),
            ],
        ),
        other => job(
            config,
            other,
            &read,
            Vec::new(),
            vec![
                checkout(false),
                cache(config),
                run(
                    &format!("cargo xtask {other}"),
                    &format!("cargo xtask {other}"),
                ),
            ],
        ),
    }
}

/// `ci.yml`: every check on pull requests and on pushes to the default branch.
pub fn ci(config: &WorkflowsConfig, steps: &[String]) -> Node {
    let jobs: Vec<(String, Node)> = steps
        .iter()
        .map(|step| (step.clone(), ci_job(config, step)))
        .collect();
    workflow(
        "ci",
        map([
            ("pull_request", Node::EmptyMap),
            ("push", map([("branches", strs([config.branch()]))])),
        ]),
        s("${{ github.workflow }}-${{ github.event.pull_request.number || github.ref }}"),
        true,
        Node::Map(jobs),
    )
}

/// `security.yml`: a daily scan against a fresh advisory database, and secrets over the
/// whole history, whatever the code's activity.
pub fn security(config: &WorkflowsConfig) -> Node {
    let read = [("contents", "read")];
    workflow(
        "security",
        map([
            (
                "schedule",
                Node::Seq(vec![map([("cron", s("17 4 * * *"))])]),
            ),
            ("workflow_dispatch", Node::EmptyMap),
        ]),
        s("${{ github.workflow }}-${{ github.ref }}"),
        true,
        map([
            (
                "audit",
                job(
                    config,
                    "audit (fresh advisory database)",
                    &read,
                    Vec::new(),
                    vec![
                        checkout(false),
                        cache(config),
                        run("cargo xtask audit", "cargo xtask audit --deny warnings"),
                    ],
                ),
            ),
            (
                "secrets-history",
                job(
                    config,
                    "secrets (all history)",
                    &read,
                    Vec::new(),
                    vec![
                        checkout(true),
                        cache(config),
                        run(
                            "cargo xtask secrets --history",
                            "cargo xtask secrets --history --sarif secrets.sarif",
                        ),
                        map([
                            ("name", s("Keep the findings")),
                            ("if", s("always()")),
                            (
                                "uses",
                                Node::Commented(
                                    format!("{}@{}", UPLOAD_ARTIFACT.repo, UPLOAD_ARTIFACT.sha),
                                    UPLOAD_ARTIFACT.version.into(),
                                ),
                            ),
                            (
                                "with",
                                map([
                                    ("name", s("secrets-sarif")),
                                    ("path", s("secrets.sarif")),
                                    ("if-no-files-found", s("ignore")),
                                ]),
                            ),
                        ]),
                    ],
                ),
            ),
        ]),
    )
}

/// `deploy.yml`: a manual deploy to one of the configured environments, after the checks
/// pass. The deploy job runs on a self-hosted runner on the target host (labelled with the
/// environment's name), so that `cargo xtask deploy` — its health gate and its automatic
/// rollback — happens there, and no SSH key ever passes through the workflow. GitHub's
/// environment protection (required reviewers for production) applies through `environment:`.
pub fn deploy(config: &WorkflowsConfig, environments: &[String]) -> Node {
    let read = [("contents", "read")];
    let environment = map([("ENVIRONMENT", s("${{ inputs.environment }}"))]);
    // One deploy per environment at a time, and never cancelled half-way.
    workflow(
        "deploy",
        map([(
            "workflow_dispatch",
            map([(
                "inputs",
                map([(
                    "environment",
                    map([
                        ("description", s("Where to deploy")),
                        ("required", plain(true)),
                        ("type", s("choice")),
                        ("options", strs(environments.iter().cloned())),
                    ]),
                )]),
            )]),
        )]),
        s("deploy-${{ inputs.environment }}"),
        false,
        map([
            (
                "checks",
                job(
                    config,
                    "checks",
                    &read,
                    Vec::new(),
                    vec![
                        checkout(false),
                        cache(config),
                        install_nextest(),
                        run("cargo xtask ci", "cargo xtask ci"),
                    ],
                ),
            ),
            (
                "deploy",
                job(
                    config,
                    "deploy to ${{ inputs.environment }}",
                    &read,
                    vec![
                        ("needs".into(), s("checks")),
                        ("environment".into(), s("${{ inputs.environment }}")),
                    ],
                    vec![
                        checkout(false),
                        run_env(
                            "cargo xtask deploy",
                            "cargo xtask deploy --env \"$ENVIRONMENT\"",
                            environment.clone(),
                        ),
                        map([
                            ("name", s("Deploy statistics")),
                            ("if", s("always()")),
                            ("env", environment),
                            (
                                "run",
                                s("cargo xtask deploy --env \"$ENVIRONMENT\" --stats"),
                            ),
                        ]),
                    ],
                ),
            ),
        ]),
    )
}

/// `release.yml`: on the push of a release tag (made by `cargo xtask release --push`), the
/// artifacts, their SHA256SUMS and SBOMs built from the tag and attached to a GitHub release
/// whose notes are the tag's message (the changelog section). No cache here: a release is
/// built from nothing a pull request could have written (cache poisoning).
pub fn release(config: &WorkflowsConfig, tag: &str) -> Node {
    let pattern = tag.replace("{version}", "*");
    let prefix = tag.split("{version}").next().unwrap_or("");
    let script = format!(
        "gh release create \"$TAG\" --verify-tag --title \"$TAG\" --notes-from-tag \"target/artifacts/${{TAG#{prefix}}}\"/*"
    );
    workflow(
        "release",
        map([("push", map([("tags", strs([pattern]))]))]),
        s("release-${{ github.ref }}"),
        false,
        map([(
            "artifacts",
            job(
                config,
                "artifacts and GitHub release",
                &[("contents", "write # to create the GitHub release")],
                Vec::new(),
                vec![
                    checkout(false),
                    run(
                        "Build the artifacts, SHA256SUMS and SBOMs",
                        "cargo xtask release --artifacts-only",
                    ),
                    run_env(
                        "Publish the GitHub release",
                        &script,
                        map([
                            ("TAG", s("${{ github.ref_name }}")),
                            ("GH_TOKEN", s("${{ github.token }}")),
                        ]),
                    ),
                ],
            ),
        )]),
    )
}

/// `dependabot.yml`: cargo and the actions, weekly, grouped, after a cooldown (a release gets
/// a week to be yanked before it is proposed).
pub fn dependabot() -> Node {
    let ecosystem = |name: &str| {
        map([
            ("package-ecosystem", s(name)),
            ("directory", s("/")),
            ("schedule", map([("interval", s("weekly"))])),
            (
                "groups",
                map([(name.replace('-', "_"), map([("patterns", strs(["*"]))]))]),
            ),
            ("cooldown", map([("default-days", plain(7))])),
            ("open-pull-requests-limit", plain(5)),
        ])
    };
    map([
        ("version", plain(2)),
        (
            "updates",
            Node::Seq(vec![ecosystem("cargo"), ecosystem("github-actions")]),
        ),
    ])
}
