//! `docker-build --check`: a Dockerfile against the rules a production image keeps, each
//! finding placed at its line.

use windlass_core::{Diagnostic, Severity};

/// One finding: line, rule id, message.
pub type Finding = (u32, &'static str, String);

/// Logical lines (continuations joined) with the number of their first physical line. As
/// Docker reads them: comment lines and blank lines inside a continuation are dropped, not
/// the end of the instruction.
fn instructions(text: &str) -> Vec<(u32, String)> {
    let mut out: Vec<(u32, String)> = Vec::new();
    let mut pending: Option<(u32, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (start, mut joined) = pending.take().unwrap_or((number, String::new()));
        let continued = line.ends_with('\\');
        joined.push_str(line.trim_end_matches('\\'));
        joined.push(' ');
        if continued {
            pending = Some((start, joined));
        } else {
            out.push((start, joined.trim().to_string()));
        }
    }
    out.extend(pending.map(|(n, s)| (n, s.trim().to_string())));
    out
}

/// Every rule broken by `text`.
pub fn check(text: &str) -> Vec<Finding> {
    let lines = instructions(text);
    let keyword = |l: &str| {
        l.split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase()
    };
    let mut findings = Vec::new();
    // A set: a Dockerfile of many stages is looked up in constant time per FROM.
    let stages: std::collections::HashSet<String> = lines
        .iter()
        .filter(|(_, l)| keyword(l) == "FROM")
        .filter_map(|(_, l)| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let at = words.iter().position(|w| w.eq_ignore_ascii_case("AS"))?;
            words.get(at + 1).map(|s| s.to_ascii_lowercase())
        })
        .collect();
    let mut last_from = String::new();
    for (n, line) in &lines {
        match keyword(line).as_str() {
            "FROM" => {
                let image = line
                    .split_whitespace()
                    .find(|w| !w.starts_with("--") && !w.eq_ignore_ascii_case("FROM"))
                    .unwrap_or("");
                last_from = image.to_string();
                let is_stage = stages.contains(&image.to_ascii_lowercase());
                let pinned = image == "scratch"
                    || image.contains('@')
                    || is_stage
                    || image.contains('$')
                    || {
                        let tag = image
                            .rsplit('/')
                            .next()
                            .unwrap_or(image)
                            .split_once(':')
                            .map(|(_, t)| t);
                        tag.is_some_and(|t| t != "latest")
                    };
                if !pinned {
                    findings.push((
                        *n,
                        "base-pinned",
                        format!(
                            "`{image}` is not pinned: use a version tag (not `latest`) or a digest"
                        ),
                    ));
                }
            }
            "ADD" => {
                let remote =
                    line.contains("http://") || line.contains("https://") || line.contains("git@");
                if !remote {
                    findings.push((
                        *n,
                        "no-add",
                        "ADD of local files: use COPY (ADD also unpacks archives and fetches URLs)"
                            .into(),
                    ));
                }
            }
            "RUN" if line.contains("apt-get install") || line.contains("apt install") => {
                if !line.contains("--no-install-recommends") {
                    findings.push((
                        *n,
                        "apt-no-recommends",
                        "apt-get install without --no-install-recommends".into(),
                    ));
                }
                if !line.contains("rm -rf /var/lib/apt/lists") {
                    findings.push((
                        *n,
                        "apt-clean",
                        "apt lists are not removed in the same RUN (rm -rf /var/lib/apt/lists/*)"
                            .into(),
                    ));
                }
            }
            "ENTRYPOINT" | "CMD" if !line[keyword(line).len()..].trim_start().starts_with('[') => {
                findings.push((*n, "exec-form", format!("{} in shell form: use the exec form [\"/app\", ...] so signals reach the process", keyword(line))));
            }
            _ => {}
        }
    }
    let minimal = last_from == "scratch" || last_from.contains("distroless");
    let last_line = lines.last().map_or(1, |(n, _)| *n);
    match lines.iter().rev().find(|(_, l)| keyword(l) == "USER") {
        None if !last_from.contains(":nonroot") => findings.push((
            last_line,
            "non-root",
            "no USER: the container runs as root".into(),
        )),
        Some((n, l))
            if matches!(
                l.split_whitespace()
                    .nth(1)
                    .map(|u| u.split(':').next().unwrap_or(u)),
                Some("root" | "0")
            ) =>
        {
            findings.push((*n, "non-root", "the last USER is root".into()));
        }
        _ => {}
    }
    match lines
        .iter()
        .rev()
        .find(|(_, l)| keyword(l) == "HEALTHCHECK")
    {
        None => findings.push((
            last_line,
            "healthcheck",
            "no HEALTHCHECK: a broken container looks healthy".into(),
        )),
        Some((n, l)) => {
            let command = healthcheck_command(l);
            let shell = !command.exec_form;
            if minimal && shell {
                findings.push((*n, "healthcheck", format!("this HEALTHCHECK needs a shell, which `{last_from}` does not have: use the exec form with a probe the image holds")));
            } else if let Some(tool) = command
                .program
                .as_deref()
                .filter(|p| ["curl", "wget"].contains(p))
            {
                let stage = final_stage(&lines);
                if !stage.installs(tool) && lacks(&stage.base, tool) {
                    findings.push((*n, "healthcheck", format!("this HEALTHCHECK runs `{tool}`, which the final stage (`{}`) neither has nor installs: it can never pass; install it in that stage, or use a probe the image holds (`docker-build --init` builds a static one)", stage.base)));
                }
            }
        }
    }
    findings.sort();
    findings
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

/// The final stage, followed through the stages it is built `FROM`: its external base
/// image, and what those stages install.
struct Stage {
    base: String,
    installed: Vec<String>,
}

impl Stage {
    fn installs(&self, tool: &str) -> bool {
        self.installed.iter().any(|t| t == tool)
    }
}

fn final_stage(lines: &[(u32, String)]) -> Stage {
    // Each stage: (alias, base, installed tools).
    let mut stages: Vec<(Option<String>, String, Vec<String>)> = Vec::new();
    for (_, line) in lines {
        let words: Vec<&str> = line.split_whitespace().collect();
        let keyword = words
            .first()
            .map(|w| w.to_ascii_uppercase())
            .unwrap_or_default();
        if keyword == "FROM" {
            let image = words
                .iter()
                .skip(1)
                .find(|w| !w.starts_with("--"))
                .unwrap_or(&"")
                .to_string();
            let alias = words
                .iter()
                .position(|w| w.eq_ignore_ascii_case("AS"))
                .and_then(|at| words.get(at + 1))
                .map(|a| a.to_ascii_lowercase());
            stages.push((alias, image, Vec::new()));
        } else if let Some(stage) = stages.last_mut() {
            stage.2.extend(tools_added(&keyword, line));
        }
    }
    let Some((_, mut base, mut installed)) = stages.last().cloned() else {
        return Stage {
            base: String::new(),
            installed: Vec::new(),
        };
    };
    // FROM an earlier stage inherits what it installed: each alias found in one lookup (a
    // later stage of the same name shadows an earlier one only after it, so the first
    // definition before use is the one a build takes — Docker refuses duplicates anyway).
    let mut by_alias: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, (alias, _, _)) in stages.iter().enumerate() {
        if let Some(alias) = alias {
            by_alias.entry(alias.as_str()).or_insert(i);
        }
    }
    let mut seen = std::collections::HashSet::new();
    while let Some(&parent) = by_alias.get(base.to_ascii_lowercase().as_str()) {
        if !seen.insert(parent) {
            break;
        }
        let (_, parent_base, parent_installed) = &stages[parent];
        installed.extend(parent_installed.iter().cloned());
        base = parent_base.clone();
    }
    Stage { base, installed }
}

/// curl or wget, when an instruction puts it in the stage: a package install or a COPY.
fn tools_added(keyword: &str, line: &str) -> Vec<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
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
            Diagnostic::new(step, Severity::Error, *rule, message.clone()).at(
                file,
                Some(*line),
                None,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_users_dockerfile_breaks_the_rules_at_their_lines() {
        let text = "FROM rust AS build\nADD . /src\nRUN apt-get update && \\\n    apt-get install -y curl\nFROM gcr.io/distroless/cc-debian12:latest\nCOPY --from=build /src/target/release/ploy /ploy\nHEALTHCHECK CMD curl -f http://localhost:8080/health\nCMD /ploy\n";
        let rules: Vec<(u32, &str)> = check(text).iter().map(|(n, r, _)| (*n, *r)).collect();
        assert_eq!(
            rules,
            [
                (1, "base-pinned"),
                (2, "no-add"),
                (3, "apt-clean"),
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
}
