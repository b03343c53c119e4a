//! What a shipped binary contains, for `audit --bin`: the dependency list `cargo auditable`
//! embeds in it, or the CycloneDX SBOM a windlass release ships beside it — as lockfile text,
//! so that the advisories and bans read it as they read `Cargo.lock`.

use anyhow::Result;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use windlass_core::UsageError;

const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

/// The dependency list of `path`, and where it came from.
pub struct Contents {
    /// Lockfile text.
    pub lockfile: String,
    /// `embedded by cargo auditable`, `the SBOM x.cdx.json`.
    pub from: String,
}

/// Reads what `path` (a binary, a release archive or an SBOM) contains.
pub fn read(path: &Path) -> Result<Contents> {
    if !path.is_file() {
        return Err(UsageError::new(format!("no file at {}", path.display()))
            .hint("pass --bin the binary, the release archive (.tar.gz) or its SBOM (.cdx.json)")
            .into());
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.ends_with(".cdx.json") {
        return from_sbom(path);
    }
    if let Some(sbom) = windlass_archive::sbom_beside(path) {
        if !sbom.is_file() {
            return Err(UsageError::new(format!(
                "{} is a release archive, but its SBOM {} is not beside it",
                path.display(),
                sbom.display()
            ))
            .hint("audit the binary itself, built with `cargo auditable build`, or keep the release's SBOM beside its archive")
            .into());
        }
        return from_sbom(&sbom);
    }
    match auditable_info::audit_info_from_file(path, auditable_info::Limits::default()) {
        Ok(info) => Ok(Contents {
            lockfile: from_audit_info(&info),
            from: "the dependency list `cargo auditable` embedded".into(),
        }),
        Err(err) => {
            // A deployed release keeps the SBOM of its archive beside the binary.
            for sbom in sboms_beside(path) {
                if sbom.is_file() {
                    return from_sbom(&sbom);
                }
            }
            Err(UsageError::new(format!(
                "{} carries no dependency list ({err})",
                path.display()
            ))
            .hint("build it with `cargo auditable build --release` (install: `cargo install cargo-auditable --locked`), or ship the release's SBOM beside it")
            .into())
        }
    }
}

fn sboms_beside(binary: &Path) -> Vec<PathBuf> {
    let dir = binary.parent().unwrap_or(Path::new("."));
    let name = binary
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    vec![
        dir.join("sbom.cdx.json"),
        dir.join(format!("{name}.cdx.json")),
    ]
}

/// cargo-auditable's packages as lockfile entries: crates.io packages with their source, the
/// others (local, git, other registries: their location is not recorded) without one.
fn from_audit_info(info: &auditable_serde::VersionInfo) -> String {
    let packages = &info.packages;
    let mut text = String::from("version = 4\n");
    for package in packages {
        let _ = write!(
            text,
            "\n[[package]]\nname = \"{}\"\nversion = \"{}\"\n",
            package.name, package.version
        );
        if matches!(package.source, auditable_serde::Source::CratesIo) {
            let _ = writeln!(text, "source = \"{CRATES_IO}\"");
        }
        if !package.dependencies.is_empty() {
            text.push_str("dependencies = [\n");
            for &dep in &package.dependencies {
                if let Some(d) = packages.get(dep) {
                    let _ = writeln!(text, " \"{} {}\",", d.name, d.version);
                }
            }
            text.push_str("]\n");
        }
    }
    text
}

/// A windlass release's CycloneDX SBOM as lockfile entries: components with a registry hash
/// are crates.io packages (their purl `pkg:cargo/name@version`), the root and the others local.
// Long: one CycloneDX document read component by component, each field's refusal with its own
// message.
fn from_sbom(path: &Path) -> Result<Contents> {
    let bad = |why: String| -> anyhow::Error {
        UsageError::new(format!(
            "{} is not a CycloneDX SBOM windlass can read: {why}",
            path.display()
        ))
        .hint("pass the `.cdx.json` written by `release --artifacts`")
        .into()
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let sbom: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let parse_purl = |purl: &str| -> Option<(String, String)> {
        let rest = purl.strip_prefix("pkg:cargo/")?;
        let rest = rest.split(['?', '#']).next()?;
        let (name, version) = rest.rsplit_once('@')?;
        Some((name.to_string(), version.to_string()))
    };
    let mut packages: Vec<(String, String, String, bool)> = Vec::new();
    let root = &sbom["metadata"]["component"];
    if let Some((name, version)) = root["purl"].as_str().and_then(parse_purl) {
        let reference = root["bom-ref"].as_str().unwrap_or_default().to_string();
        packages.push((reference, name, version, false));
    }
    for component in sbom["components"].as_array().into_iter().flatten() {
        let Some((name, version)) = component["purl"].as_str().and_then(parse_purl) else {
            continue;
        };
        let reference = component["bom-ref"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let registry = component["hashes"]
            .as_array()
            .is_some_and(|h| !h.is_empty());
        packages.push((reference, name, version, registry));
    }
    if packages.is_empty() {
        return Err(bad("it lists no cargo package".into()));
    }
    let depends = |reference: &str| -> Vec<String> {
        sbom["dependencies"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|d| d["ref"].as_str() == Some(reference))
            .and_then(|d| d["dependsOn"].as_array())
            .into_iter()
            .flatten()
            .filter_map(|r| r.as_str())
            .filter_map(|r| packages.iter().find(|p| p.0 == r))
            .map(|p| format!("{} {}", p.1, p.2))
            .collect()
    };
    let mut lockfile = String::from("version = 4\n");
    for (reference, name, version, registry) in &packages {
        let _ = write!(
            lockfile,
            "\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\n"
        );
        if *registry {
            let _ = writeln!(lockfile, "source = \"{CRATES_IO}\"");
        }
        let deps = depends(reference);
        if !deps.is_empty() {
            lockfile.push_str("dependencies = [\n");
            for dep in deps {
                let _ = writeln!(lockfile, " \"{dep}\",");
            }
            lockfile.push_str("]\n");
        }
    }
    Ok(Contents {
        lockfile,
        from: format!(
            "the SBOM {}",
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        ),
    })
}
