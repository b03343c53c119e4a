//! The workflows themselves, as Rust: what each job runs, with secure defaults everywhere —
//! no permissions unless a job is granted them, actions pinned by SHA, credentials not kept
//! after checkout, superseded runs cancelled, and untrusted values reaching `run:` only
//! through `env:`.

use crate::actions::{
    ATTEST_BUILD_PROVENANCE, CACHE, CACHE_RESTORE, CACHE_SAVE, CHECKOUT, DOWNLOAD_ARTIFACT,
    UPLOAD_ARTIFACT,
};
use crate::toolchain;
use crate::yaml::{Node, map, plain, s, strs};
use crate::{DeployTarget, ImageSource, WorkflowsConfig};
use windlass_core::{CiJob, JobStep};

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
        (
            "uses",
            Node::Commented(
                format!("{}@{}", CACHE.repo, CACHE.sha),
                CACHE.version.into(),
            ),
        ),
        (
            "with",
            map([
                (
                    "path",
                    Node::Block(format!(
                        "~/.cargo/registry/index\n~/.cargo/registry/cache\n~/.cargo/git/db\ntarget\n{}",
                        if config.standalone_xtask {
                            "xtask/target\n"
                        } else {
                            ""
                        }
                    )),
                ),
                (
                    "key",
                    s(format!(
                        "xtask-${{{{ runner.os }}}}-${{{{ hashFiles({}) }}}}",
                        files.join(", ")
                    )),
                ),
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

/// The id of the job that builds the xtask, once per run, for the other jobs.
pub const XTASK_JOB: &str = "build-xtask";

/// The artifact the built xtask travels in.
const XTASK_ARTIFACT: &str = "xtask";

/// The alias the other jobs run it through: `CARGO_ALIAS_XTASK` makes `cargo xtask` run the
/// downloaded binary, installed as the cargo subcommand `cargo-xtask-prebuilt` — the scripts
/// stay `cargo xtask <task>`, as a developer types them.
const PREBUILT: &str = "xtask-prebuilt";

/// The directory the xtask is built into, in either layout (a member of the workspace, or a
/// workspace of its own), so that its cache is apart from the jobs' build caches.
const XTASK_TARGET: &str = "xtask/target";

/// `rustup toolchain install` of the repository's toolchain (stable when it pins none, made
/// the default then) and of the ones the job needs besides: an explicit step, so that no
/// toolchain is downloaded mid-check.
fn toolchain_step(config: &WorkflowsConfig, job: Option<&CiJob>, key_output: bool) -> Node {
    let mut own = config.toolchain();
    let extra = job.map_or(&[][..], |j| &j.toolchains[..]);
    for component in job.map_or(&[][..], |j| &j.components[..]) {
        if !own.components.contains(component) {
            own.components.push(component.clone());
        }
    }
    let mut lines = vec![toolchain::install_script(&own)];
    if config.pinned_toolchain.is_none() {
        lines.push(format!("rustup default {}", own.name));
    }
    lines.extend(extra.iter().map(toolchain::install_script));
    let mut pairs = vec![("name".to_string(), s("Install the toolchain"))];
    if key_output {
        pairs.push(("id".to_string(), s("toolchain")));
        lines.push(
            "echo \"rustc=$(rustc -vV | sha256sum | cut -c1-16)\" >> \"$GITHUB_OUTPUT\"".into(),
        );
    }
    pairs.push(("run".to_string(), script(lines)));
    Node::Map(pairs)
}

/// One line as a plain scalar, several as a block.
fn script(lines: Vec<String>) -> Node {
    if lines.len() == 1 {
        s(lines.into_iter().next().unwrap_or_default())
    } else {
        Node::Block(lines.join("\n") + "\n")
    }
}

/// `uses:` of a pinned action.
fn uses(action: crate::actions::Action) -> Node {
    Node::Commented(
        format!("{}@{}", action.repo, action.sha),
        action.version.into(),
    )
}

/// The job every other job of the workflow needs: the xtask built once, with a cache of its
/// own keyed on its lockfile, its sources and the compiler, and passed on as an artifact.
fn xtask_job(config: &WorkflowsConfig) -> Node {
    let (lockfile, build) = if config.standalone_xtask {
        (
            "xtask/Cargo.lock",
            "cargo build --manifest-path xtask/Cargo.toml".to_string(),
        )
    } else {
        (
            "Cargo.lock",
            format!("cargo build --package xtask --target-dir {XTASK_TARGET}"),
        )
    };
    let files: Vec<String> = std::iter::once(lockfile.to_string())
        .chain(config.xtask_sources())
        .map(|f| format!("'{f}'"))
        .collect();
    let steps = vec![
        checkout(false),
        toolchain_step(config, None, true),
        map([
            ("name", s("Cache the xtask's build")),
            ("uses", uses(CACHE)),
            (
                "with",
                map([
                    (
                        "path",
                        Node::Block(format!(
                            "~/.cargo/registry/index\n~/.cargo/registry/cache\n~/.cargo/git/db\n{XTASK_TARGET}\n"
                        )),
                    ),
                    (
                        "key",
                        s(format!(
                            "xtask-${{{{ runner.os }}}}-${{{{ steps.toolchain.outputs.rustc }}}}-${{{{ hashFiles({}) }}}}",
                            files.join(", ")
                        )),
                    ),
                    (
                        "restore-keys",
                        s("xtask-${{ runner.os }}-${{ steps.toolchain.outputs.rustc }}-"),
                    ),
                ]),
            ),
        ]),
        run("Build the xtask", &build),
        map([
            ("name", s("Pass the xtask to the other jobs")),
            ("uses", uses(UPLOAD_ARTIFACT)),
            (
                "with",
                map([
                    ("name", s(XTASK_ARTIFACT)),
                    ("path", s(format!("{XTASK_TARGET}/debug/xtask"))),
                    ("if-no-files-found", s("error")),
                    ("retention-days", plain(1)),
                ]),
            ),
        ]),
    ];
    job(
        config,
        "build the xtask",
        &[("contents", "read")],
        Vec::new(),
        steps,
    )
}

/// The built xtask, fetched and made what `cargo xtask` runs.
fn prebuilt_xtask() -> Vec<Node> {
    vec![
        map([
            ("name", s("Fetch the xtask")),
            ("uses", uses(DOWNLOAD_ARTIFACT)),
            (
                "with",
                map([
                    ("name", s(XTASK_ARTIFACT)),
                    ("path", s("${{ runner.temp }}/xtask")),
                ]),
            ),
        ]),
        map([
            ("name", s("Run the fetched xtask as `cargo xtask`")),
            (
                "run",
                script(vec![
                    "mkdir -p \"$RUNNER_TEMP/bin\"".into(),
                    format!(
                        "install -m 755 \"$RUNNER_TEMP/xtask/xtask\" \"$RUNNER_TEMP/bin/cargo-{PREBUILT}\""
                    ),
                    "echo \"$RUNNER_TEMP/bin\" >> \"$GITHUB_PATH\"".into(),
                ]),
            ),
        ]),
    ]
}

/// What a job's build cache holds: the registry, the target directory, and the tools it
/// installs.
fn cache_paths(tools: &[String]) -> Node {
    let mut paths =
        String::from("~/.cargo/registry/index\n~/.cargo/registry/cache\n~/.cargo/git/db\ntarget\n");
    for tool in tools {
        paths.push_str(&format!("~/.cargo/bin/{tool}\n"));
    }
    Node::Block(paths)
}

/// A job as a step declared it: checkout (with the whole history if it asks), the toolchain,
/// the xtask built once, its build cache restored (when it compiles), its tools, its own steps,
/// then the cache pruned and saved — on pushes to the default branch only, so that what a
/// pull request built never reaches another run. Sharded over a matrix when it is shardable
/// and the workflow has more than one partition.
fn declared_job(config: &WorkflowsConfig, id: &str, declared: &CiJob) -> Node {
    let read = [("contents", "read")];
    let n = config.partitions();
    let shard = declared.shardable && n > 1;
    let title = declared.title.clone().unwrap_or_else(|| id.to_string());
    let mut steps = vec![
        checkout(declared.full_history),
        toolchain_step(config, Some(declared), false),
    ];
    steps.extend(prebuilt_xtask());
    if declared.compiles {
        steps.extend(cache_restore(id, declared));
    }
    for tool in &declared.tools {
        steps.push(run(
            &format!("Install {tool}"),
            &format!("command -v {tool} >/dev/null || cargo install --locked {tool}"),
        ));
    }
    if declared.nextest {
        steps.push(install_nextest());
    }
    let last_run = declared
        .steps
        .iter()
        .rposition(|s| matches!(s, JobStep::Run { .. }));
    for (i, step) in declared.steps.iter().enumerate() {
        let sharded = (shard && Some(i) == last_run).then_some(n);
        steps.push(job_step(step, sharded));
    }
    if declared.compiles {
        steps.extend(cache_save(declared, shard));
    }
    let mut extra = vec![
        ("needs".to_string(), s(XTASK_JOB)),
        ("env".to_string(), map([("CARGO_ALIAS_XTASK", s(PREBUILT))])),
    ];
    if !shard {
        return job(config, &title, &read, extra, steps);
    }
    extra.push((
        "strategy".into(),
        map([
            ("fail-fast", plain(false)),
            (
                "matrix",
                map([("partition", Node::Seq((1..=n).map(plain).collect()))]),
            ),
        ]),
    ));
    job(
        config,
        &format!("{title} (${{{{ matrix.partition }}}}/{n})"),
        &read,
        extra,
        steps,
    )
}

/// The steps that key the build cache of the job of step `kind` and restore it.
fn cache_restore(kind: &str, declared: &CiJob) -> [Node; 2] {
    [
        map([
            ("name", s("Key the build cache")),
            ("id", s("cache-key")),
            (
                "run",
                Node::Block(format!(
                    "echo \"key=$(cargo xtask {key} {kind})\" >> \"$GITHUB_OUTPUT\"\necho \"prefix=$(cargo xtask {key} {kind} --prefix)\" >> \"$GITHUB_OUTPUT\"\n",
                    key = crate::cache::KEY
                )),
            ),
        ]),
        map([
            ("name", s("Restore the build cache")),
            ("id", s("restore")),
            ("uses", uses(CACHE_RESTORE)),
            (
                "with",
                map([
                    ("path", cache_paths(&declared.tools)),
                    (
                        "key",
                        s("${{ runner.os }}-${{ steps.cache-key.outputs.key }}"),
                    ),
                    (
                        "restore-keys",
                        s("${{ runner.os }}-${{ steps.cache-key.outputs.prefix }}"),
                    ),
                ]),
            ),
        ]),
    ]
}

/// One of a job's own steps; `sharded` (the number of partitions) runs it on one shard.
fn job_step(step: &JobStep, sharded: Option<u32>) -> Node {
    match step {
        JobStep::Run {
            name,
            condition,
            env,
            run,
        } => {
            let mut pairs = vec![("name".to_string(), s(name.as_str()))];
            let mut env: Vec<(String, Node)> = env
                .iter()
                .map(|(k, v)| (k.clone(), s(v.as_str())))
                .collect();
            let mut run = run.clone();
            if let Some(n) = sharded {
                pairs[0].1 = s(format!("{name} (one shard)"));
                env.push(("PARTITION".into(), s("${{ matrix.partition }}")));
                run.push_str(&format!(" --partition \"$PARTITION/{n}\""));
            }
            if let Some(condition) = condition {
                pairs.push(("if".to_string(), s(condition.as_str())));
            }
            if !env.is_empty() {
                pairs.push(("env".to_string(), Node::Map(env)));
            }
            pairs.push(("run".to_string(), s(run)));
            Node::Map(pairs)
        }
        JobStep::KeepFile {
            name,
            artifact,
            path,
        } => map([
            ("name", s(name.as_str())),
            ("if", s("always()")),
            ("uses", uses(UPLOAD_ARTIFACT)),
            (
                "with",
                map([
                    ("name", s(artifact.as_str())),
                    ("path", s(path.as_str())),
                    ("if-no-files-found", s("ignore")),
                ]),
            ),
        ]),
    }
}

/// The steps that prune and save the build cache: on pushes to the default branch only, and
/// from one shard for all (they build the same artifacts).
fn cache_save(declared: &CiJob, shard: bool) -> [Node; 2] {
    let saves = format!(
        "!cancelled() && github.event_name == 'push' && steps.restore.outputs.cache-hit != 'true'{}",
        if shard {
            " && matrix.partition == 1"
        } else {
            ""
        }
    );
    [
        map([
            ("name", s("Prune the build cache")),
            ("if", s(saves.as_str())),
            (
                "run",
                s(format!("cargo xtask {} --registry", crate::cache::PRUNE)),
            ),
        ]),
        map([
            ("name", s("Save the build cache")),
            ("if", s(saves.as_str())),
            ("uses", uses(CACHE_SAVE)),
            (
                "with",
                map([
                    ("path", cache_paths(&declared.tools)),
                    (
                        "key",
                        s("${{ runner.os }}-${{ steps.cache-key.outputs.key }}"),
                    ),
                ]),
            ),
        ]),
    ]
}

/// The jobs of a workflow of declared jobs: the xtask's build, then each.
fn declared_jobs(config: &WorkflowsConfig, jobs: &[(String, CiJob)]) -> Node {
    Node::Map(
        std::iter::once((XTASK_JOB.to_string(), xtask_job(config)))
            .chain(
                jobs.iter()
                    .map(|(id, declared)| (id.clone(), declared_job(config, id, declared))),
            )
            .collect(),
    )
}

/// `ci.yml`: every check on pull requests and on pushes to the default branch, one job per
/// `ci` step as the step declares it.
pub fn ci(config: &WorkflowsConfig, jobs: &[(String, CiJob)]) -> Node {
    ci_named(config, jobs, "ci")
}

/// A workflow of `ci` jobs under another name (`windlass.yml`, beside a hand-written CI).
pub fn ci_named(config: &WorkflowsConfig, jobs: &[(String, CiJob)], name: &str) -> Node {
    workflow(
        name,
        map([
            ("pull_request", Node::EmptyMap),
            ("push", map([("branches", strs([config.branch()]))])),
        ]),
        s("${{ github.workflow }}-${{ github.event.pull_request.number || github.ref }}"),
        true,
        declared_jobs(config, jobs),
    )
}

/// `security.yml`: daily, whatever the code's activity, the jobs steps schedule (an audit
/// against a fresh advisory database, secrets over the whole history).
pub fn security(config: &WorkflowsConfig, jobs: &[(String, CiJob)]) -> Node {
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
        declared_jobs(config, jobs),
    )
}

/// `deploy.yml`: on demand, for a chosen environment: the checks, then (for a swarm
/// environment whose image is pushed) the image built and pushed from a hosted runner, then
/// `cargo xtask deploy` on a self-hosted runner on the target itself — a host, or a swarm
/// manager — so that no SSH key or orchestrator credential lives in CI. GitHub's environment
/// protection (required reviewers for production) applies through `environment:`.
// Long: deploy.yml, job by job, as the file it writes.
pub fn deploy(config: &WorkflowsConfig, targets: &[DeployTarget], nextest: bool) -> Node {
    let read = [("contents", "read")];
    let environment = map([("ENVIRONMENT", s("${{ inputs.environment }}"))]);
    let names = |pick: &dyn Fn(&ImageSource) -> bool| -> Vec<String> {
        targets
            .iter()
            .filter(|t| pick(&t.image))
            .map(|t| t.name.clone())
            .collect()
    };
    let pushed = names(&|i| matches!(i, ImageSource::Push { .. }));
    let on_manager = names(&|i| matches!(i, ImageSource::OnManager));
    let mut registries: Vec<&str> = targets
        .iter()
        .filter_map(|t| match &t.image {
            ImageSource::Push { registry } => Some(registry.as_str()),
            _ => None,
        })
        .collect();
    registries.sort_unstable();
    registries.dedup();

    let mut checks = vec![
        checkout(false),
        toolchain_step(config, None, false),
        cache(config),
    ];
    if nextest {
        checks.push(install_nextest());
    }
    checks.push(run("cargo xtask ci", "cargo xtask ci"));
    let mut jobs = vec![(
        "checks".to_string(),
        job(config, "checks", &read, Vec::new(), checks),
    )];

    let mut deploy_extra = vec![
        ("needs".to_string(), s("checks")),
        ("environment".to_string(), s("${{ inputs.environment }}")),
    ];
    if !pushed.is_empty() {
        // No cache: what is pushed runs in production, and must be built from nothing
        // another run could have written (cache poisoning), as release.yml is.
        let mut steps = vec![checkout(false)];
        steps.extend(registries.iter().map(|r| registry_login(r)));
        steps.push(run(
            "cargo xtask docker-build --push",
            "cargo xtask docker-build --push",
        ));
        let ghcr = registries.contains(&"ghcr.io");
        let permissions: &[(&str, &str)] = if ghcr {
            &[
                ("contents", "read"),
                ("packages", "write # push the image to ghcr.io"),
            ]
        } else {
            &read
        };
        jobs.push((
            "image".to_string(),
            job(
                config,
                "build and push the image",
                permissions,
                vec![
                    ("needs".into(), s("checks")),
                    ("if".into(), s(one_of(&pushed))),
                ],
                steps,
            ),
        ));
        // The deploy runs after the image when there is one to push, and without it when
        // the chosen environment has none (the image job is skipped then, not failed).
        deploy_extra[0] = ("needs".to_string(), strs(["checks", "image"]));
        deploy_extra.insert(
            0,
            (
                "if".to_string(),
                s("${{ !cancelled() && needs.checks.result == 'success' && (needs.image.result == 'success' || needs.image.result == 'skipped') }}"),
            ),
        );
    }

    let mut steps = vec![checkout(false)];
    if !on_manager.is_empty() {
        let mut build = run("cargo xtask docker-build", "cargo xtask docker-build");
        if let Node::Map(pairs) = &mut build {
            pairs.insert(1, ("if".to_string(), s(one_of(&on_manager))));
        }
        steps.push(build);
    }
    steps.push(run_env(
        "cargo xtask deploy",
        "cargo xtask deploy --env \"$ENVIRONMENT\"",
        environment.clone(),
    ));
    steps.push(map([
        ("name", s("Deploy statistics")),
        ("if", s("always()")),
        ("env", environment),
        (
            "run",
            s("cargo xtask deploy --env \"$ENVIRONMENT\" --stats"),
        ),
    ]));
    jobs.push((
        "deploy".to_string(),
        job(
            config,
            "deploy to ${{ inputs.environment }}",
            &read,
            deploy_extra,
            steps,
        ),
    ));

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
                        ("options", strs(targets.iter().map(|t| t.name.clone()))),
                    ]),
                )]),
            )]),
        )]),
        s("deploy-${{ inputs.environment }}"),
        false,
        Node::Map(jobs),
    )
}

/// An `if:` true when the chosen environment is one of `names`.
fn one_of(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    format!(
        "contains(fromJSON('[{}]'), inputs.environment)",
        quoted.join(",")
    )
}

/// `docker login` to `registry`, the password on stdin: ghcr.io with the job's own token,
/// any other registry with the `REGISTRY_USERNAME` and `REGISTRY_PASSWORD` secrets.
fn registry_login(registry: &str) -> Node {
    let (user, password) = if registry == "ghcr.io" {
        ("${{ github.actor }}", "${{ secrets.GITHUB_TOKEN }}")
    } else {
        (
            "${{ secrets.REGISTRY_USERNAME }}",
            "${{ secrets.REGISTRY_PASSWORD }}",
        )
    };
    run_env(
        &format!("Log in to {registry}"),
        &format!(
            "printf '%s' \"$REGISTRY_PASSWORD\" | docker login {registry} --username \"$REGISTRY_USERNAME\" --password-stdin"
        ),
        map([
            ("REGISTRY_USERNAME", s(user)),
            ("REGISTRY_PASSWORD", s(password)),
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
                &[
                    ("contents", "write # to create the GitHub release"),
                    (
                        "id-token",
                        "write # to sign the provenance attestation with this run's identity",
                    ),
                    (
                        "attestations",
                        "write # to store the provenance attestation of the archives",
                    ),
                ],
                Vec::new(),
                vec![
                    checkout(false),
                    toolchain_step(config, None, false),
                    run(
                        "Build the artifacts, SHA256SUMS and SBOMs",
                        "cargo xtask release --artifacts-only",
                    ),
                    map([
                        ("name", s("Attest the archives' build provenance")),
                        (
                            "uses",
                            Node::Commented(
                                format!(
                                    "{}@{}",
                                    ATTEST_BUILD_PROVENANCE.repo, ATTEST_BUILD_PROVENANCE.sha
                                ),
                                ATTEST_BUILD_PROVENANCE.version.into(),
                            ),
                        ),
                        (
                            "with",
                            map([("subject-path", s("target/artifacts/*/*.tar.gz"))]),
                        ),
                    ]),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::render;

    fn ci_of(config: &WorkflowsConfig, jobs: Vec<(&str, CiJob)>) -> String {
        let jobs: Vec<(String, CiJob)> =
            jobs.into_iter().map(|(n, j)| (n.to_string(), j)).collect();
        render(&ci(config, &jobs))
    }

    #[test]
    fn a_job_that_compiles_nothing_caches_nothing() {
        let text = ci_of(
            &WorkflowsConfig::default(),
            vec![(
                "fmt-check",
                CiJob::runs(["cargo xtask fmt-check"]).without_build(),
            )],
        );
        let job = &text[text.find("  fmt-check:").expect("job")..];
        assert!(!job.contains("cache"), "{job}");
        assert!(job.contains("needs: build-xtask"), "{job}");
        assert!(job.contains("CARGO_ALIAS_XTASK: xtask-prebuilt"), "{job}");
    }

    #[test]
    fn the_cache_is_keyed_by_its_kind_and_saved_by_one_shard_on_pushes() {
        let config = WorkflowsConfig {
            partitions: std::num::NonZeroU32::new(2),
            ..WorkflowsConfig::default()
        };
        let job = CiJob {
            shardable: true,
            tools: vec!["cargo-hack".into()],
            ..CiJob::runs(["cargo xtask test"])
        };
        let text = ci_of(&config, vec![("test", job)]);
        assert!(text.contains("cargo xtask cache-key test)\""), "{text}");
        assert!(text.contains("~/.cargo/bin/cargo-hack\n"), "{text}");
        let saves = text.matches("github.event_name == ''push'' && steps.restore.outputs.cache-hit != ''true'' && matrix.partition == 1").count();
        assert_eq!(saves, 2, "prune and save, by the first shard only: {text}");
        // Installed before the steps, from the job's own cache when it is there.
        let install = text.find("Install cargo-hack").expect("tool");
        assert!(
            install < text.find("run: cargo xtask test").expect("step"),
            "{text}"
        );
    }

    #[test]
    fn the_xtask_is_built_into_a_target_of_its_own_in_either_layout() {
        let member = ci_of(&WorkflowsConfig::default(), Vec::new());
        assert!(
            member.contains("cargo build --package xtask --target-dir xtask/target"),
            "{member}"
        );
        let standalone = ci_of(
            &WorkflowsConfig {
                standalone_xtask: true,
                ..WorkflowsConfig::default()
            },
            Vec::new(),
        );
        assert!(
            standalone.contains("cargo build --manifest-path xtask/Cargo.toml"),
            "{standalone}"
        );
        assert!(
            standalone.contains("hashFiles('xtask/Cargo.lock', 'xtask/**')"),
            "{standalone}"
        );
        assert!(
            standalone.contains("path: xtask/target/debug/xtask"),
            "{standalone}"
        );
    }
}
