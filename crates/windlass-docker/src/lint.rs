//! `docker-build --check`: a Dockerfile against the rules a production image keeps, each
//! finding placed at its line. Read as Docker reads it ([`crate::parse`]): the user and the
//! health check are the final stage's (inherited through the stages it is built `FROM`),
//! heredoc bodies are scripts, not instructions, `ONBUILD` instructions are checked as what
//! they will be. hadolint's rules that matter for a Rust service's image are here too (its
//! ids in the messages): `pipefail`, `apt` in scripts, `apk --no-cache`, quiet `wget`.

use crate::parse::{Dockerfile, Instruction, Stage};
use std::collections::HashSet;
use windlass_core::{Diagnostic, Severity};

/// One finding: line, rule id, message.
pub type Finding = (u32, &'static str, String);

/// Every rule broken by `text`.
pub fn check(text: &str) -> Vec<Finding> {
    check_at(text, None)
}

/// Every rule broken by `text`, the Dockerfile at `path`: a base image that a sibling
/// Dockerfile builds (`FROM registry/app:base` beside `Dockerfile.base`) hands down its user
/// and health check as a stage of the same file would.
pub fn check_at(text: &str, path: Option<&std::path::Path>) -> Vec<Finding> {
    let file = Dockerfile::parse(text);
    let bases = path.map(|p| sibling_bases(&file, p)).unwrap_or_default();
    let mut findings = Vec::new();
    let stage_names = file.stage_names();
    // The stages the image is made of: the final one and those it is built FROM.
    let shipped: HashSet<u32> = file.final_chain().iter().map(|s| s.line).collect();
    // A SHELL holds for its stage and the stages built FROM it, not for the file.
    let mut pipefail_of: std::collections::HashMap<&str, bool> = Default::default();
    for stage in &file.stages {
        check_base(&stage_names, stage, &mut findings);
        let mut shell_pipefail = pipefail_of
            .get(stage.base.to_ascii_lowercase().as_str())
            .copied()
            .unwrap_or(false);
        let ships = shipped.contains(&stage.line);
        for instruction in &stage.instructions {
            if instruction.keyword == "SHELL" {
                shell_pipefail = instruction.args.contains("pipefail");
            }
            check_instruction(instruction, shell_pipefail, ships, &mut findings);
        }
        if let Some(alias) = &stage.alias {
            pipefail_of.insert(alias.as_str(), shell_pipefail);
        }
    }
    check_final_stage(&file, &bases, &mut findings);
    findings.sort();
    findings.dedup();
    findings
}

/// A base image not pinned by a version tag or a digest.
fn check_base(stage_names: &HashSet<&str>, stage: &Stage, findings: &mut Vec<Finding>) {
    let image = stage.base.as_str();
    let pinned = image == "scratch"
        || image.contains('@')
        || stage_names.contains(image.to_ascii_lowercase().as_str())
        || image.contains('$')
        || image
            .rsplit('/')
            .next()
            .unwrap_or(image)
            .split_once(':')
            .is_some_and(|(_, tag)| tag != "latest");
    if !pinned {
        findings.push((
            stage.line,
            "base-pinned",
            format!("`{image}` is not pinned: use a version tag (not `latest`) or a digest"),
        ));
    }
}

/// The rules of one instruction (an `ONBUILD` one as what it will be).
fn check_instruction(
    i: &Instruction,
    shell_pipefail: bool,
    ships: bool,
    findings: &mut Vec<Finding>,
) {
    let n = i.line;
    let onbuild = if i.onbuild { "ONBUILD " } else { "" };
    match i.keyword.as_str() {
        "ADD" => {
            let remote = i.args.contains("http://")
                || i.args.contains("https://")
                || i.args.contains("git@");
            if !remote {
                findings.push((n, "no-add", format!("{onbuild}ADD of local files: use COPY (ADD also unpacks archives and fetches URLs)")));
            }
        }
        "RUN" => check_run(n, &i.args, shell_pipefail, ships, findings),
        "ENTRYPOINT" | "CMD" => check_exec_form(n, &i.keyword, &i.args, findings),
        _ => {}
    }
}

/// The shell commands of a RUN (its heredoc included), each judged by itself. `ships`: the
/// stage ends up in the image (the final stage or one it is built from); apt lists left in a
/// builder stage never ship, as hadolint also judges.
fn check_run(n: u32, script: &str, shell_pipefail: bool, ships: bool, findings: &mut Vec<Finding>) {
    let parsed = crate::shell::parse(script);
    let has = |args: &[String], flag: &str| args.iter().any(|a| a == flag);
    for tool in ["apt-get", "apt"] {
        let installs: Vec<&[String]> = parsed
            .invocations(tool)
            .filter(|args| args.first().is_some_and(|a| a == "install") || has(args, "install"))
            .collect();
        if installs.is_empty() {
            continue;
        }
        let without_recommends = installs.iter().any(|args| {
            !has(args, "--no-install-recommends")
                && !args
                    .iter()
                    .any(|a| a.contains("APT::Install-Recommends=false"))
        });
        if without_recommends {
            findings.push((
                n,
                "apt-no-recommends",
                format!("`{tool} install` without --no-install-recommends (hadolint DL3015)"),
            ));
        }
        if ships && !script.contains("rm -rf /var/lib/apt/lists") {
            findings.push((n, "apt-clean", "apt lists are not removed in the same RUN (`rm -rf /var/lib/apt/lists/*`, hadolint DL3009)".into()));
        }
    }
    if parsed.invocations("apt").next().is_some() {
        findings.push((n, "apt-get", "`apt` is for people; scripts use `apt-get`, whose interface is stable (hadolint DL3027)".into()));
    }
    if parsed
        .invocations("apk")
        .any(|args| args.first().is_some_and(|a| a == "add") && !has(args, "--no-cache"))
    {
        findings.push((
            n,
            "apk-no-cache",
            "`apk add` without --no-cache keeps the package index in the image (hadolint DL3019)"
                .into(),
        ));
    }
    let noisy_wget = parsed.invocations("wget").any(|args| {
        !args.iter().any(|w| {
            w.starts_with("--progress")
                || w == "-q"
                || w == "--quiet"
                || w.starts_with("-nv")
                || w == "--no-verbose"
        })
    });
    if noisy_wget {
        findings.push((
            n,
            "wget-progress",
            "`wget` without --progress=dot:giga (or -q) fills the build log (hadolint DL3047)"
                .into(),
        ));
    }
    if parsed.pipes && !shell_pipefail && !script.contains("pipefail") {
        findings.push((n, "pipefail", "a pipe in RUN without `set -o pipefail`: a failing first command goes unnoticed (hadolint DL4006; `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]`)".into()));
    }
}

/// ENTRYPOINT and CMD in the exec form, and that form valid JSON (Docker runs anything else,
/// `['/app']` included, as a shell command).
fn check_exec_form(n: u32, keyword: &str, args: &str, findings: &mut Vec<Finding>) {
    let args = args.trim();
    if !args.starts_with('[') {
        findings.push((n, "exec-form", format!("{keyword} in shell form: use the exec form [\"/app\", ...] so signals reach the process")));
    } else if serde_json::from_str::<Vec<String>>(args).is_err() {
        findings.push((n, "exec-form", format!("{keyword} {args} is not a JSON array of strings (double quotes only): Docker runs it as a shell command")));
    }
}

/// The Dockerfiles beside `path` that build the image `file`'s final chain starts from, and
/// theirs in turn (at most four, never one twice): `FROM registry/app:base` is built by a
/// `Dockerfile.base` (`Dockerfile.ci.base`, `Dockerfile-base`), `base.Dockerfile`, or the same
/// named after the image (`app`) when one is there.
fn sibling_bases(file: &Dockerfile, path: &std::path::Path) -> Vec<Dockerfile> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let mut seen = vec![path.to_path_buf()];
    let mut out: Vec<Dockerfile> = Vec::new();
    let mut image = file.final_chain().last().map(|s| s.base.clone());
    while let Some(base) = image.take().filter(|_| out.len() < 4) {
        let last = base.rsplit('/').next().unwrap_or(&base);
        let (name, tag) = last.split_once(':').unwrap_or((last, ""));
        let siblings: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
            .map(|entries| entries.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        let builds = |n: &str, file: &std::path::Path| {
            let f = file.file_name().and_then(|f| f.to_str()).unwrap_or("");
            (f.starts_with("Dockerfile")
                && (f.ends_with(&format!(".{n}")) || f.ends_with(&format!("-{n}"))))
                || f == format!("{n}.Dockerfile")
        };
        let Some(found) = [tag, name]
            .into_iter()
            .filter(|n| !n.is_empty() && !n.contains('$'))
            .find_map(|n| {
                siblings
                    .iter()
                    // A link is never followed, in or out of the repository.
                    .find(|c| {
                        std::fs::symlink_metadata(c).is_ok_and(|m| m.is_file())
                            && !seen.contains(c)
                            && builds(n, c)
                    })
                    .cloned()
            })
        else {
            break;
        };
        let Ok(text) = windlass_core::files::read_text_limited(&found, 1 << 20) else {
            break;
        };
        seen.push(found);
        let parsed = Dockerfile::parse(&text);
        image = parsed.final_chain().last().map(|s| s.base.clone());
        out.push(parsed);
    }
    out
}

/// The final stage's user and health check, inherited through the stages it is built from.
// Long: the user and health-check rules over one walk of the inherited stages, each verdict with
// hadolint's id.
fn check_final_stage(file: &Dockerfile, bases: &[Dockerfile], findings: &mut Vec<Finding>) {
    let mut chain = file.final_chain();
    for base in bases {
        chain.extend(base.final_chain());
    }
    let Some(last) = file.final_chain().first().copied() else {
        return;
    };
    let external = chain.last().map_or("", |s| s.base.as_str());
    let last_line = last.instructions.last().map_or(last.line, |i| i.line);
    // Nearest first: the last USER of the nearest stage that sets one.
    let user = chain.iter().find_map(|stage| {
        stage
            .instructions
            .iter()
            .rev()
            .find(|i| i.keyword == "USER" && !i.onbuild)
    });
    match user {
        None if !external.contains(":nonroot") => findings.push((
            last_line,
            "non-root",
            "the final stage sets no USER: the container runs as root".into(),
        )),
        Some(i)
            if matches!(
                i.args
                    .split_whitespace()
                    .next()
                    .map(|u| u.split(':').next().unwrap_or(u)),
                Some("root" | "0")
            ) =>
        {
            findings.push((i.line, "non-root", "the final stage's USER is root".into()));
        }
        _ => {}
    }
    let healthcheck = chain.iter().find_map(|stage| {
        stage
            .instructions
            .iter()
            .rev()
            .find(|i| i.keyword == "HEALTHCHECK" && !i.onbuild)
    });
    let Some(healthcheck) = healthcheck else {
        findings.push((
            last_line,
            "healthcheck",
            "the final stage has no HEALTHCHECK: a broken container looks healthy".into(),
        ));
        return;
    };
    if healthcheck
        .args
        .split_whitespace()
        .next()
        .is_some_and(|w| w.eq_ignore_ascii_case("NONE"))
    {
        findings.push((
            healthcheck.line,
            "healthcheck",
            "HEALTHCHECK NONE turns the health check off: a broken container looks healthy".into(),
        ));
        return;
    }
    let minimal = external == "scratch" || external.contains("distroless");
    let command = healthcheck_command(&format!("HEALTHCHECK {}", healthcheck.args));
    if minimal && !command.exec_form {
        findings.push((healthcheck.line, "healthcheck", format!("this HEALTHCHECK needs a shell, which `{external}` does not have: use the exec form with a probe the image holds")));
    } else if let Some(tool) = command
        .program
        .as_deref()
        .filter(|p| ["curl", "wget"].contains(p))
    {
        let installed = chain.iter().any(|stage| {
            stage
                .instructions
                .iter()
                .any(|i| tools_added(&i.keyword, &i.args).iter().any(|t| t == tool))
        });
        if !installed && lacks(external, tool) {
            findings.push((healthcheck.line, "healthcheck", format!("this HEALTHCHECK runs `{tool}`, which the final stage (`{external}`) neither has nor installs: it can never pass; install it in that stage, or use a probe the image holds (`docker-build --init` builds a static one)")));
        }
    }
}

/// What a HEALTHCHECK runs.
struct HealthCommand {
    /// `CMD ["prog", ...]` rather than a shell command.
    exec_form: bool,
    /// The program's name (its path's last part).
    program: Option<String>,
}

fn healthcheck_command(line: &str) -> HealthCommand {
    // HEALTHCHECK [--option=value ...] CMD|CMD-SHELL ...
    let after = line
        .split_whitespace()
        .skip(1)
        .skip_while(|w| w.starts_with("--"))
        .collect::<Vec<_>>();
    let (kind, rest) = match after.split_first() {
        Some((kind, rest)) => (kind.to_ascii_uppercase(), rest.join(" ")),
        None => (String::new(), String::new()),
    };
    let exec_form = kind == "CMD" && rest.trim_start().starts_with('[');
    let first = if exec_form {
        rest.trim_start()
            .trim_start_matches('[')
            .split(',')
            .next()
            .map(|w| w.trim().trim_matches('"').to_string())
    } else {
        rest.split_whitespace().next().map(str::to_string)
    };
    HealthCommand {
        exec_form,
        program: first.map(|p| p.rsplit('/').next().unwrap_or(&p).to_string()),
    }
}

/// curl or wget, when an instruction puts it in the stage: a package install or a COPY.
fn tools_added(keyword: &str, args: &str) -> Vec<String> {
    let words: Vec<&str> = args.split_whitespace().collect();
    let installs = keyword == "RUN"
        && words.windows(2).any(|w| {
            matches!(
                (w[0], w[1]),
                (
                    "apt-get" | "apt" | "yum" | "dnf" | "microdnf" | "zypper",
                    "install"
                ) | ("apk", "add")
            )
        });
    let copies = keyword == "COPY" || keyword == "ADD";
    ["curl", "wget"]
        .iter()
        .filter(|tool| {
            (installs && words.iter().any(|w| w == *tool))
                || (copies && words.iter().any(|w| w.rsplit('/').next() == Some(**tool)))
        })
        .map(|t| (*t).to_string())
        .collect()
}

/// Whether `image` is known to come without `tool`: distroless, scratch, slim variants and the
/// bare distribution images (alpine has wget in busybox, not curl). Other images may have it.
fn lacks(image: &str, tool: &str) -> bool {
    let image = image.to_ascii_lowercase();
    let name = image.rsplit('/').next().unwrap_or(&image);
    let (repo, tag) = name.split_once(':').unwrap_or((name, ""));
    let repo = repo.split('@').next().unwrap_or(repo);
    image == "scratch"
        || image.contains("distroless")
        || image.contains("chainguard")
        || tag.contains("slim")
        || matches!(repo, "debian" | "ubuntu" | "busybox")
        || (repo == "alpine" && tool == "curl")
}

/// As diagnostics of `step` at `file`.
pub fn diagnostics(step: &str, file: &str, findings: &[Finding]) -> Vec<Diagnostic> {
    findings
        .iter()
        .map(|(line, rule, message)| {
            Diagnostic::new(
                step,
                Severity::Error,
                crate::codes::DOCKERFILE_RULE.member(*rule),
                message.clone(),
            )
            .at(file, Some(*line), None)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_a_sibling_dockerfile_builds_hands_down_its_user_and_health_check() {
        let dir = tempfile::tempdir().unwrap();
        let app = dir.path().join("Dockerfile.app");
        let text = "FROM localhost:5000/svc:base\nCOPY app /app\nENTRYPOINT [\"/app\"]\n";
        // Alone, the image says nothing of its user or health.
        let alone: Vec<&str> = check_at(text, Some(&app)).iter().map(|f| f.1).collect();
        assert_eq!(alone, ["healthcheck", "non-root"]);
        std::fs::write(
            dir.path().join("Dockerfile.base"),
            "FROM debian:12-slim\nUSER 1000\nHEALTHCHECK CMD [\"/probe\"]\n",
        )
        .unwrap();
        assert_eq!(check_at(text, Some(&app)), Vec::<Finding>::new());
        // A base that runs as root hands that down too.
        std::fs::write(
            dir.path().join("Dockerfile.base"),
            "FROM debian:12-slim\nUSER root\nHEALTHCHECK CMD [\"/probe\"]\n",
        )
        .unwrap();
        let rules: Vec<&str> = check_at(text, Some(&app)).iter().map(|f| f.1).collect();
        assert_eq!(rules, ["non-root"]);
        // A link in the base's place is never followed, wherever it points.
        #[cfg(unix)]
        {
            let elsewhere = tempfile::tempdir().unwrap();
            let good = elsewhere.path().join("Dockerfile.base");
            std::fs::write(
                &good,
                "FROM debian:12-slim\nUSER 1000\nHEALTHCHECK CMD [\"/probe\"]\n",
            )
            .unwrap();
            std::fs::remove_file(dir.path().join("Dockerfile.base")).unwrap();
            std::os::unix::fs::symlink(&good, dir.path().join("Dockerfile.base")).unwrap();
            let rules: Vec<&str> = check_at(text, Some(&app)).iter().map(|f| f.1).collect();
            assert_eq!(rules, ["healthcheck", "non-root"]);
        }
    }

    /// What real Dockerfiles (vaultwarden, qdrant, zola) showed against hadolint: each
    /// command judged by itself.
    #[test]
    fn each_command_of_a_run_is_judged_by_itself() {
        let tail = "USER 1000\nHEALTHCHECK CMD [\"/probe\"]\nCMD [\"/app\"]\n";
        // `wget` installed, never run; the apt lists removed.
        let text = format!(
            "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends wget && rm -rf /var/lib/apt/lists/*\n{tail}"
        );
        assert_eq!(rules(&text), []);
        // One of two installs without --no-install-recommends.
        let text = format!(
            "FROM debian:12\nRUN apt-get install -y --no-install-recommends a \\\n && apt-get install -y b && rm -rf /var/lib/apt/lists/*\n{tail}"
        );
        assert_eq!(rules(&text), [(2, "apt-no-recommends")]);
        // A case pattern's `|` and a quoted one are no pipes.
        let text = format!(
            "FROM debian:12\nRUN case \"$P\" in \\\n */amd64 ) A=x ;; \\\n */arm64 | */arm64/* ) A=y ;; \\\n esac && sed -i 's|a|b|' f\n{tail}"
        );
        assert_eq!(rules(&text), []);
        // A SHELL with pipefail holds for its stage and those built from it, not the others.
        let text = format!(
            "FROM debian:12 AS a\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN curl u | tar x\nFROM a AS b\nRUN curl u | tar x\nFROM debian:12\nRUN curl u | tar x\n{tail}"
        );
        assert_eq!(rules(&text), [(7, "pipefail")]);
        // apt lists left in the final stage ship.
        let text = format!(
            "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n{tail}"
        );
        assert_eq!(rules(&text), [(2, "apt-clean")]);
    }

    #[test]
    fn the_first_users_dockerfile_breaks_the_rules_at_their_lines() {
        let text = "FROM rust AS build\nADD . /src\nRUN apt-get update && \\\n    apt-get install -y curl\nFROM gcr.io/distroless/cc-debian12:latest\nCOPY --from=build /src/target/release/ploy /ploy\nHEALTHCHECK CMD curl -f http://localhost:8080/health\nCMD /ploy\n";
        let rules: Vec<(u32, &str)> = check(text).iter().map(|(n, r, _)| (*n, *r)).collect();
        assert_eq!(
            rules,
            [
                (1, "base-pinned"),
                (2, "no-add"),
                // apt lists in the builder stage never ship: no apt-clean there.
                (3, "apt-no-recommends"),
                (5, "base-pinned"),
                (7, "healthcheck"),
                (8, "exec-form"),
                (8, "non-root")
            ]
        );
    }

    #[test]
    fn a_comment_inside_a_continued_run_is_not_its_end() {
        // As in real Dockerfiles: `# Clean up` between two continued lines.
        let text = "FROM debian:bookworm-slim AS runtime\nRUN apt-get update -y \\\n    && apt-get install -y --no-install-recommends openssl ca-certificates \\\n    # Clean up\n    && apt-get autoremove -y \\\n\n    && rm -rf /var/lib/apt/lists/*\nUSER 1000\nHEALTHCHECK CMD [\"/app\", \"health\"]\nENTRYPOINT [\"/app\"]\n";
        assert_eq!(check(text), Vec::<Finding>::new());
    }

    #[test]
    fn a_healthcheck_tool_the_final_stage_lacks_is_reported() {
        let rules = |text: &str| -> Vec<(u32, &'static str)> {
            check(text).iter().map(|(n, r, _)| (*n, *r)).collect()
        };
        let tail = "USER 1000\nENTRYPOINT [\"/app\"]\n";
        // curl in a slim runtime that never installs it (the first user's defect).
        let slim = format!(
            "FROM rust:1.80 AS build\nRUN apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\nFROM debian:bookworm-slim\nHEALTHCHECK CMD curl -f http://localhost:8080/health || exit 1\n{tail}"
        );
        assert_eq!(rules(&slim), [(4, "healthcheck")]);
        let message = &check(&slim)[0].2;
        assert!(
            message.contains("`curl`") && message.contains("debian:bookworm-slim"),
            "{message}"
        );
        // Installed in the final stage, or in the stage it is built from: fine.
        let installed = format!(
            "FROM debian:bookworm-slim AS base\nRUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\nFROM base\nHEALTHCHECK CMD [\"curl\", \"-f\", \"http://localhost/health\"]\n{tail}"
        );
        assert_eq!(rules(&installed), []);
        // wget is in alpine's busybox; curl is not.
        let alpine = |tool: &str| {
            format!("FROM alpine:3.20\nHEALTHCHECK CMD {tool} -q http://localhost/health\n{tail}")
        };
        assert_eq!(rules(&alpine("wget")), []);
        assert_eq!(rules(&alpine("curl")), [(2, "healthcheck")]);
        // A base windlass cannot know about: not reported.
        let other = format!(
            "FROM ghcr.io/acme/runtime:1.2\nHEALTHCHECK CMD curl -f http://localhost/health\n{tail}"
        );
        assert_eq!(rules(&other), []);
    }

    #[test]
    fn a_good_dockerfile_passes() {
        let text = "ARG RUST_VERSION=1.88\nFROM rust:${RUST_VERSION}-slim AS builder\nCOPY . .\nRUN cargo build --release\nFROM scratch\nCOPY --from=builder /app /app\nUSER 65532:65532\nHEALTHCHECK CMD [\"/app\", \"health\"]\nENTRYPOINT [\"/app\"]\n";
        assert_eq!(check(text), Vec::<Finding>::new());
    }

    fn rules(text: &str) -> Vec<(u32, &'static str)> {
        check(text).iter().map(|(n, r, _)| (*n, *r)).collect()
    }

    const TAIL: &str = "HEALTHCHECK CMD [\"/app\", \"health\"]\nENTRYPOINT [\"/app\"]\n";

    #[test]
    fn the_user_and_the_healthcheck_are_the_final_stages() {
        // A USER and a HEALTHCHECK in the builder do not make the runtime non-root or checked.
        let text = "FROM rust:1.88 AS build\nUSER 1000\nHEALTHCHECK CMD [\"/x\"]\nRUN cargo build\nFROM debian:12-slim\nCOPY --from=build /app /app\nENTRYPOINT [\"/app\"]\n";
        assert_eq!(rules(text), [(7, "healthcheck"), (7, "non-root")]);
        // Inherited from the stage the final one is built from: fine.
        let inherited =
            format!("FROM debian:12-slim AS base\nUSER 1000\n{TAIL}FROM base\nCOPY app /app\n");
        assert_eq!(rules(&inherited), []);
        // HEALTHCHECK NONE turns it off.
        let off =
            format!("FROM debian:12-slim AS base\nUSER 1000\n{TAIL}FROM base\nHEALTHCHECK NONE\n");
        assert_eq!(rules(&off), [(6, "healthcheck")]);
    }

    #[test]
    fn heredocs_escape_directives_and_onbuild_get_the_right_verdict() {
        let heredoc = format!(
            "FROM debian:12-slim\nUSER 1000\nRUN <<EOF\nset -e\necho ADD this to the list\napt-get install -y curl\nEOF\n{TAIL}"
        );
        assert_eq!(
            rules(&heredoc),
            [(3, "apt-clean"), (3, "apt-no-recommends")]
        );
        let escape = format!(
            "# escape=`\nFROM debian:12-slim\nUSER 1000\nRUN apt-get update && `\n    apt-get install -y --no-install-recommends curl && `\n    rm -rf /var/lib/apt/lists/*\n{TAIL}"
        );
        assert_eq!(rules(&escape), []);
        let onbuild = format!("FROM debian:12-slim\nUSER 1000\nONBUILD ADD . /app\n{TAIL}");
        assert_eq!(rules(&onbuild), [(3, "no-add")]);
        assert!(check(&onbuild)[0].2.starts_with("ONBUILD ADD"));
    }

    #[test]
    fn exec_form_must_be_json_and_messages_name_the_command_used() {
        let single_quotes =
            "FROM scratch\nUSER 1\nHEALTHCHECK CMD [\"/app\"]\nENTRYPOINT ['/app']\n";
        assert_eq!(rules(single_quotes), [(4, "exec-form")]);
        assert!(check(single_quotes)[0].2.contains("not a JSON array"));
        let apt = format!("FROM debian:12-slim\nUSER 1000\nRUN apt install -y curl\n{TAIL}");
        let found = check(&apt);
        assert!(
            found
                .iter()
                .any(|(_, r, m)| *r == "apt-no-recommends" && m.contains("`apt install`")),
            "{found:?}"
        );
        assert!(found.iter().any(|(_, r, _)| *r == "apt-get"), "{found:?}");
    }

    #[test]
    fn hadolints_rules_for_a_rust_image() {
        let text = format!(
            "FROM alpine:3.20\nUSER 1000\nRUN apk add curl\nRUN wget https://x/y.tgz | tar xz\n{TAIL}"
        );
        assert_eq!(
            rules(&text),
            [(3, "apk-no-cache"), (4, "pipefail"), (4, "wget-progress")]
        );
        let fixed = format!(
            "FROM alpine:3.20\nSHELL [\"/bin/ash\", \"-o\", \"pipefail\", \"-c\"]\nUSER 1000\nRUN apk add --no-cache curl\nRUN wget -q https://x/y.tgz | tar xz || true\n{TAIL}"
        );
        assert_eq!(rules(&fixed), []);
    }
}
