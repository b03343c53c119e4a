//! Yanked versions (`--yanked`): read from cargo's local cache of the crate registry's sparse
//! index when offline, and from the index itself (one `curl --parallel` call) when online.

use crate::lockfile::Lock;
use anyhow::Result;
use rustsec::package::Package;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use windlass_core::runner::Capture;
use windlass_core::{Session, Severity};

const SPARSE_INDEX: &str = "https://index.crates.io";

/// What the yanked check found.
#[derive(Debug, Default)]
pub struct YankedScan {
    /// Packages whose locked version is yanked.
    pub yanked: Vec<Package>,
    /// Packages nothing could be learned about.
    pub unknown: Vec<String>,
}

/// The path of a crate's file in a sparse index (`se/rd/serde`, `3/s/syn`, `1/a`).
pub fn index_path(name: &str) -> String {
    let name = name.to_lowercase();
    match name.len() {
        1 => format!("1/{name}"),
        2 => format!("2/{name}"),
        3 => format!("3/{}/{name}", &name[..1]),
        _ => format!("{}/{}/{name}", &name[..2], &name[2..4]),
    }
}

/// Checks every crates.io package of `lock`.
pub fn scan(session: &mut Session, lock: &Lock, online: bool) -> Result<YankedScan> {
    let packages: Vec<&Package> = lock
        .lockfile
        .packages
        .iter()
        .filter(|p| p.source.as_ref().is_some_and(|s| s.is_default_registry()))
        .collect();
    let mut versions: HashMap<String, HashMap<String, bool>> = HashMap::new();
    if online {
        match fetch(session, &packages) {
            Ok(fetched) => versions = fetched,
            Err(reason) => session.message(
                Severity::Warning,
                format!("could not reach the crate registry's index ({reason}); yanked status comes from cargo's local cache"),
            ),
        }
    }
    let caches = local_caches();
    let mut out = YankedScan::default();
    for package in packages {
        let name = package.name.as_str();
        if !versions.contains_key(name)
            && let Some(local) = caches
                .iter()
                .find_map(|dir| read_cache(&dir.join(index_path(name))))
        {
            versions.insert(name.to_string(), local);
        }
        match versions
            .get(name)
            .and_then(|v| v.get(&package.version.to_string()))
        {
            Some(true) => out.yanked.push(package.clone()),
            Some(false) => {}
            None => out
                .unknown
                .push(format!("{} {}", package.name, package.version)),
        }
    }
    Ok(out)
}

fn fetch(
    session: &mut Session,
    packages: &[&Package],
) -> std::result::Result<HashMap<String, HashMap<String, bool>>, String> {
    let scratch = windlass_core::files::ScratchDir::new("yanked").map_err(|e| e.to_string())?;
    let dir = scratch.path().to_path_buf();
    let sh = session.shell();
    let mut cmd = sh.cmd("curl").args([
        "--parallel",
        "--silent",
        "--location",
        "--max-time",
        "60",
        "--connect-timeout",
        "10",
    ]);
    let mut names: Vec<&str> = packages.iter().map(|p| p.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    for name in &names {
        cmd = cmd
            .arg("--output")
            .arg(dir.join(name))
            .arg(format!("{SPARSE_INDEX}/{}", index_path(name)));
    }
    let finished = session
        .run_timeout(cmd, Capture::Everything, Duration::from_secs(90))
        .map_err(|e| e.to_string())?;
    let mut out = HashMap::new();
    for name in names {
        if let Ok(text) = windlass_core::files::read_text(&dir.join(name)) {
            out.insert(name.to_string(), parse_entries(text.lines()));
        }
    }
    drop(scratch);
    if out.is_empty() {
        return Err(if finished.timed_out {
            "timed out".into()
        } else {
            finished.stderr.trim().to_string()
        });
    }
    Ok(out)
}

/// Cargo's caches of the crates.io sparse index.
fn local_caches() -> Vec<PathBuf> {
    let index = windlass_core::cargo_env::cargo_home().join("registry/index");
    std::fs::read_dir(index)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("index.crates.io-"))
        })
        .map(|p| p.join(".cache"))
        .collect()
}

/// Reads one file of cargo's index cache: a header, then `version NUL json NUL` pairs.
fn read_cache(path: &Path) -> Option<HashMap<String, bool>> {
    let bytes = std::fs::read(path).ok()?;
    let body = bytes.get(5..)?;
    let mut parts = body.split(|&b| b == 0);
    parts.next()?;
    let mut jsons = Vec::new();
    while let (Some(_version), Some(json)) = (parts.next(), parts.next()) {
        jsons.push(String::from_utf8_lossy(json).into_owned());
    }
    Some(parse_entries(jsons.iter().map(String::as_str)))
}

/// `version → yanked` from index entries (one JSON object each).
fn parse_entries<'a>(lines: impl Iterator<Item = &'a str>) -> HashMap<String, bool> {
    #[derive(serde::Deserialize)]
    struct Entry {
        vers: String,
        #[serde(default)]
        yanked: bool,
    }
    lines
        .filter_map(|l| serde_json::from_str::<Entry>(l).ok())
        .map(|e| (e.vers, e.yanked))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_paths_follow_the_sparse_layout() {
        assert_eq!(index_path("a"), "1/a");
        assert_eq!(index_path("ab"), "2/ab");
        assert_eq!(index_path("syn"), "3/s/syn");
        assert_eq!(index_path("Serde"), "se/rd/serde");
    }

    #[test]
    fn reads_cargos_cache_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x");
        let mut bytes = vec![3, 2, 0, 0, 0];
        bytes.extend_from_slice(b"etag\0");
        bytes.extend_from_slice(b"1.0.0\0{\"name\":\"x\",\"vers\":\"1.0.0\",\"yanked\":false}\0");
        bytes.extend_from_slice(b"1.0.1\0{\"name\":\"x\",\"vers\":\"1.0.1\",\"yanked\":true}\0");
        std::fs::write(&path, bytes).unwrap();
        let versions = read_cache(&path).unwrap();
        assert_eq!(versions.get("1.0.0"), Some(&false));
        assert_eq!(versions.get("1.0.1"), Some(&true));
    }
}
