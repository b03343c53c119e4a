//! `docker-build --check`: a Dockerfile against the rules a production image keeps, each
//! finding placed at its line.

use windlass_core::{Diagnostic, Severity};

/// One finding: line, rule id, message.
pub type Finding = (u32, &'static str, String);

/// Logical lines (continuations joined) with the number of their first physical line.
fn instructions(text: &str) -> Vec<(u32, String)> {
    let mut out: Vec<(u32, String)> = Vec::new();
    let mut pending: Option<(u32, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let line = raw.trim();
        if pending.is_none() && (line.is_empty() || line.starts_with('#')) {
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
    let stages: Vec<String> = lines
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
    match lines.iter().find(|(_, l)| keyword(l) == "HEALTHCHECK") {
        None => findings.push((
            last_line,
            "healthcheck",
            "no HEALTHCHECK: a broken container looks healthy".into(),
        )),
        Some((n, l))
            if minimal
                && (l.contains("curl")
                    || l.contains("wget")
                    || l.contains("CMD-SHELL")
                    || !l.contains('[')) =>
        {
            findings.push((*n, "healthcheck", format!("this HEALTHCHECK needs a shell or curl, which `{last_from}` does not have: use the exec form with the service's own probe")));
        }
        _ => {}
    }
    findings.sort();
    findings
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
    fn a_good_dockerfile_passes() {
        let text = "ARG RUST_VERSION=1.88\nFROM rust:${RUST_VERSION}-slim AS builder\nCOPY . .\nRUN cargo build --release\nFROM scratch\nCOPY --from=builder /app /app\nUSER 65532:65532\nHEALTHCHECK CMD [\"/app\", \"health\"]\nENTRYPOINT [\"/app\"]\n";
        assert_eq!(check(text), Vec::<Finding>::new());
    }
}
