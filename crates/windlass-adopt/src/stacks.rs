//! Docker Swarm stacks in a repository, for `doctor`: the compose files whose services have a
//! `deploy:` section (which only `docker stack deploy` reads), and for each such service
//! whether a rolling update can be gated and undone — a healthcheck swarm can watch, and
//! `update_config.failure_action: rollback`.

use std::path::{Path, PathBuf};
use yaml_rust2::Yaml;

/// A service of a swarm stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackService {
    /// `file:line` of the service's key.
    pub at: String,
    /// The service's name.
    pub name: String,
    /// Where its healthcheck is defined (`None`: it has none, or it is disabled).
    pub healthcheck: Option<String>,
    /// `deploy.update_config.failure_action` (swarm's default is `pause`).
    pub failure_action: Option<String>,
}

/// Whether a tracked file is named like a compose or stack file.
fn is_compose_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let name = name.to_ascii_lowercase();
    let Some(stem) = name
        .strip_suffix(".yml")
        .or_else(|| name.strip_suffix(".yaml"))
    else {
        return false;
    };
    stem.starts_with("docker-compose")
        || stem.starts_with("compose")
        || stem.contains("stack")
        || stem.ends_with("compose")
}

/// Every service with a `deploy:` section in the tracked compose files, in file order.
/// A file that does not parse as YAML (a template, say) is not a stack windlass can read, and
/// is passed over rather than guessed at.
pub fn find(root: &Path, tracked: &[PathBuf]) -> Vec<StackService> {
    let mut found = Vec::new();
    for rel in tracked.iter().filter(|p| is_compose_file(p)) {
        let Ok(text) = std::fs::read_to_string(root.join(rel)) else {
            continue;
        };
        let Ok(docs) = windlass_workflows::yaml_input::load(&text) else {
            continue;
        };
        let file = rel.to_string_lossy().replace('\\', "/");
        for doc in &docs {
            let Some(services) = doc["services"].as_hash() else {
                continue;
            };
            for (key, service) in services {
                let (Some(name), Some(service)) = (key.as_str(), merged(service)) else {
                    continue;
                };
                let deploy = merged_key(&service, "deploy");
                if deploy.is_none() {
                    continue;
                }
                let line = key_line(&text, name);
                let at = format!("{file}:{line}");
                let failure_action = deploy
                    .as_ref()
                    .and_then(|d| merged_key(d, "update_config"))
                    .and_then(|u| merged_key(&u, "failure_action"))
                    .and_then(|a| a.as_str().map(str::to_string));
                found.push(StackService {
                    healthcheck: healthcheck(root, rel, &service, &at),
                    at,
                    name: name.to_string(),
                    failure_action,
                });
            }
        }
    }
    found
}

/// A mapping with its `<<` merge keys applied (compose files share settings through anchors:
/// `<<: *defaults`), its own keys winning.
fn merged(node: &Yaml) -> Option<Yaml> {
    let hash = node.as_hash()?;
    let mut out = yaml_rust2::yaml::Hash::new();
    let merge_key = Yaml::String("<<".into());
    if let Some(bases) = hash.get(&merge_key) {
        let bases: Vec<&Yaml> = match bases {
            Yaml::Array(list) => list.iter().collect(),
            other => vec![other],
        };
        for base in bases {
            if let Some(Yaml::Hash(base)) = merged(base) {
                for (k, v) in base {
                    out.insert(k, v);
                }
            }
        }
    }
    for (k, v) in hash {
        if *k != merge_key {
            out.insert(k.clone(), v.clone());
        }
    }
    Some(Yaml::Hash(out))
}

/// `node[key]`, merged, when `node` is a mapping that has it.
fn merged_key(node: &Yaml, key: &str) -> Option<Yaml> {
    let value = node.as_hash()?.get(&Yaml::String(key.into()))?;
    match value {
        Yaml::Hash(_) => merged(value),
        Yaml::Null | Yaml::BadValue => None,
        other => Some(other.clone()),
    }
}

/// Where the service's healthcheck is: its own `healthcheck:` (unless disabled), else the
/// HEALTHCHECK of the Dockerfile it is built from.
fn healthcheck(root: &Path, file: &Path, service: &Yaml, at: &str) -> Option<String> {
    if let Some(check) = merged_key(service, "healthcheck") {
        let disabled = check["disable"].as_bool() == Some(true)
            || match &check["test"] {
                Yaml::Array(test) => test.first().and_then(Yaml::as_str) == Some("NONE"),
                Yaml::String(test) => test == "NONE",
                _ => false,
            };
        return (!disabled).then(|| at.to_string());
    }
    let build = merged_key(service, "build")?;
    let (context, dockerfile) = match &build {
        Yaml::String(context) => (context.clone(), "Dockerfile".to_string()),
        Yaml::Hash(_) => (
            build["context"].as_str().unwrap_or(".").to_string(),
            build["dockerfile"]
                .as_str()
                .unwrap_or("Dockerfile")
                .to_string(),
        ),
        _ => return None,
    };
    let base = file.parent().unwrap_or(Path::new(""));
    let path = base.join(context).join(dockerfile);
    let text = std::fs::read_to_string(root.join(&path)).ok()?;
    let line = text.lines().position(|l| {
        let mut words = l.split_whitespace();
        words
            .next()
            .is_some_and(|w| w.eq_ignore_ascii_case("HEALTHCHECK"))
            && !words.next().is_some_and(|w| w.eq_ignore_ascii_case("NONE"))
    })?;
    Some(format!(
        "{}:{}",
        normalize(&path).to_string_lossy().replace('\\', "/"),
        line + 1
    ))
}

/// `a/./b/../c` → `a/c`, for evidence a reader can open.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The line of a service's key: the first indented `name:` after `services:`.
fn key_line(text: &str, name: &str) -> usize {
    let mut in_services = false;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if !line.starts_with([' ', '\t']) {
            in_services = trimmed.starts_with("services:");
            continue;
        }
        let key = trimmed.trim_matches(|c| c == '"' || c == '\'');
        if in_services
            && (trimmed.starts_with(&format!("{name}:"))
                || trimmed.starts_with(&format!("\"{name}\":"))
                || trimmed.starts_with(&format!("'{name}':"))
                || key == name)
        {
            return i + 1;
        }
    }
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn services(files: &[(&str, &str)]) -> Vec<StackService> {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let tracked: Vec<PathBuf> = files.iter().map(|(p, _)| PathBuf::from(p)).collect();
        find(dir.path(), &tracked)
    }

    #[test]
    fn only_services_with_a_deploy_section_are_swarm_services() {
        let found = services(&[(
            "docker-compose.yml",
            "services:\n  db:\n    image: postgres:16\n  api:\n    image: ghcr.io/acme/api:1\n    deploy:\n      replicas: 2\n      update_config:\n        failure_action: rollback\n    healthcheck:\n      test: [\"CMD\", \"/api\", \"health\"]\n",
        )]);
        assert_eq!(
            found,
            [StackService {
                at: "docker-compose.yml:4".into(),
                name: "api".into(),
                healthcheck: Some("docker-compose.yml:4".into()),
                failure_action: Some("rollback".into()),
            }]
        );
    }

    #[test]
    fn anchors_dockerfiles_and_disabled_checks_are_followed() {
        let found = services(&[
            (
                "deploy/stack.yml",
                "x-defaults: &defaults\n  deploy:\n    update_config:\n      failure_action: rollback\nservices:\n  web:\n    <<: *defaults\n    build:\n      context: ..\n      dockerfile: docker/Dockerfile\n  worker:\n    <<: *defaults\n    image: acme/worker\n    healthcheck:\n      disable: true\n  cron:\n    image: acme/cron\n    deploy:\n      mode: global\n",
            ),
            (
                "docker/Dockerfile",
                "FROM scratch\nCOPY svc /svc\nHEALTHCHECK CMD [\"/svc\", \"health\"]\n",
            ),
            ("notes.yml", "services:\n  x:\n    deploy: {}\n"),
        ]);
        let summary: Vec<(&str, &str, Option<&str>, Option<&str>)> = found
            .iter()
            .map(|s| {
                (
                    s.name.as_str(),
                    s.at.as_str(),
                    s.healthcheck.as_deref(),
                    s.failure_action.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "web",
                    "deploy/stack.yml:6",
                    Some("docker/Dockerfile:3"),
                    Some("rollback")
                ),
                ("worker", "deploy/stack.yml:11", None, Some("rollback")),
                ("cron", "deploy/stack.yml:16", None, None),
            ]
        );
    }

    #[test]
    fn files_that_are_not_yaml_are_passed_over() {
        assert!(services(&[("compose.yaml", "services: [\n  {{ template }}\n")]).is_empty());
        assert!(services(&[("compose.yaml", "services:\n  a:\n    image: x\n")]).is_empty());
    }
}
