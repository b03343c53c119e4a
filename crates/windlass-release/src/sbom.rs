//! A CycloneDX 1.5 JSON SBOM of one binary, from `cargo metadata` and `Cargo.lock`: every
//! package compiled into it (normal and build dependencies for the target platform; dev
//! dependencies are not), with purl, licence, the registry's SHA-256 and the dependency graph.
//! The same inputs give the same bytes: the timestamp comes from `SOURCE_DATE_EPOCH` or the
//! commit date, and the serial number is a hash of the content.

use cargo_metadata::{DependencyKind, Metadata, Package, PackageId};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// The CycloneDX version written.
pub const SPEC_VERSION: &str = "1.5";

/// `(name, version)` → the registry checksum `Cargo.lock` records.
pub type Checksums = BTreeMap<(String, String), String>;

/// The checksums of a `Cargo.lock` (empty for a lockfile it cannot read: the SBOM then just
/// has no hashes).
pub fn lock_checksums(lockfile: &str) -> Checksums {
    let Ok(doc) = lockfile.parse::<toml_edit::DocumentMut>() else {
        return Checksums::new();
    };
    let Some(packages) = doc.get("package").and_then(|p| p.as_array_of_tables()) else {
        return Checksums::new();
    };
    packages
        .iter()
        .filter_map(|p| {
            Some((
                (
                    p.get("name")?.as_str()?.to_string(),
                    p.get("version")?.as_str()?.to_string(),
                ),
                p.get("checksum")?.as_str()?.to_string(),
            ))
        })
        .collect()
}

/// What the SBOM describes.
pub struct Subject<'a> {
    /// The resolved metadata, filtered for the target platform.
    pub metadata: &'a Metadata,
    /// The package whose binary it is.
    pub package: &'a PackageId,
    /// The binary's name.
    pub bin: &'a str,
    /// The released version.
    pub version: &'a str,
    /// The RFC 3339 timestamp.
    pub timestamp: &'a str,
    /// The name and version of the tool that wrote it.
    pub tool: (&'a str, &'a str),
}

/// The SBOM, as JSON text with a trailing newline.
// Long: the CycloneDX document, field by field, as the format defines it.
pub fn build(subject: &Subject<'_>, checksums: &Checksums) -> String {
    let packages: BTreeMap<&PackageId, &Package> = subject
        .metadata
        .packages
        .iter()
        .map(|p| (&p.id, p))
        .collect();
    let graph = dependency_graph(subject.metadata);
    let closure = reachable(&graph, subject.package);
    let root = packages.get(subject.package);
    let bom_ref = |id: &PackageId| -> String {
        packages
            .get(id)
            .map_or_else(|| id.repr.clone(), |p| purl(p))
    };

    let mut main = json!({
        "type": "application",
        "bom-ref": bom_ref(subject.package),
        "name": subject.bin,
        "version": subject.version,
        "purl": root.map(|p| purl(p)),
    });
    if let Some(package) = root {
        add_package_fields(&mut main, package, checksums);
    }
    let mut components: Vec<Value> = closure
        .iter()
        .filter(|id| **id != subject.package)
        .filter_map(|id| packages.get(id))
        .map(|package| {
            let mut component = json!({
                "type": "library",
                "bom-ref": purl(package),
                "name": package.name.as_str(),
                "version": package.version.to_string(),
                "purl": purl(package),
            });
            add_package_fields(&mut component, package, checksums);
            component
        })
        .collect();
    // By name and version, for people reading it; the content does not depend on the order
    // cargo lists packages in.
    components.sort_by(|a, b| a["bom-ref"].as_str().cmp(&b["bom-ref"].as_str()));
    let mut dependencies: Vec<Value> = closure
        .iter()
        .map(|id| {
            let depends: BTreeSet<String> = graph
                .get(id)
                .into_iter()
                .flatten()
                .map(|d| bom_ref(d))
                .collect();
            json!({ "ref": bom_ref(id), "dependsOn": depends })
        })
        .collect();

    dependencies.sort_by(|a, b| a["ref"].as_str().cmp(&b["ref"].as_str()));
    let mut bom = json!({
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": "",
        "version": 1,
        "metadata": {
            "timestamp": subject.timestamp,
            "tools": { "components": [{
                "type": "application",
                "name": subject.tool.0,
                "version": subject.tool.1,
            }]},
            "component": main,
        },
        "components": components,
        "dependencies": dependencies,
    });
    let digest = Sha256::digest(bom.to_string().as_bytes());
    bom["serialNumber"] = Value::from(format!("urn:uuid:{}", uuid_from(&digest)));
    let mut text = serde_json::to_string_pretty(&bom).unwrap_or_default();
    text.push('\n');
    text
}

/// The package URL: `pkg:cargo/name@version`.
fn purl(package: &Package) -> String {
    format!("pkg:cargo/{}@{}", package.name, package.version)
}

fn add_package_fields(component: &mut Value, package: &Package, checksums: &Checksums) {
    let Some(object) = component.as_object_mut() else {
        return;
    };
    if let Some(description) = &package.description {
        object.insert(
            "description".into(),
            Value::from(description.split_whitespace().collect::<Vec<_>>().join(" ")),
        );
    }
    if let Some(license) = &package.license {
        object.insert("licenses".into(), json!([license_choice(license)]));
    }
    let key = (package.name.to_string(), package.version.to_string());
    if let Some(sum) = checksums.get(&key) {
        object.insert(
            "hashes".into(),
            json!([{ "alg": "SHA-256", "content": sum }]),
        );
    }
    let mut references = Vec::new();
    if let Some(repository) = &package.repository {
        references.push(json!({ "type": "vcs", "url": repository }));
    }
    if let Some(homepage) = &package.homepage {
        references.push(json!({ "type": "website", "url": homepage }));
    }
    if !references.is_empty() {
        object.insert("externalReferences".into(), Value::from(references));
    }
}

/// An SPDX expression where the licence field is one (the old `MIT/Apache-2.0` is read as
/// `OR`, as cargo does), a named licence otherwise.
fn license_choice(license: &str) -> Value {
    let normalised = license.replace('/', " OR ");
    match spdx::Expression::parse_mode(&normalised, spdx::ParseMode::LAX) {
        Ok(expression) => json!({ "expression": expression.to_string() }),
        Err(_) => json!({ "license": { "name": license } }),
    }
}

/// Package → the packages it uses in the binary (normal and build edges; dev edges left out).
fn dependency_graph(metadata: &Metadata) -> BTreeMap<&PackageId, Vec<&PackageId>> {
    let Some(resolve) = &metadata.resolve else {
        return BTreeMap::new();
    };
    resolve
        .nodes
        .iter()
        .map(|node| {
            let deps = node
                .deps
                .iter()
                .filter(|d| {
                    d.dep_kinds
                        .iter()
                        .any(|k| k.kind != DependencyKind::Development)
                })
                .map(|d| &d.pkg)
                .collect();
            (&node.id, deps)
        })
        .collect()
}

/// `root` and everything it reaches, sorted.
fn reachable<'a>(
    graph: &BTreeMap<&'a PackageId, Vec<&'a PackageId>>,
    root: &'a PackageId,
) -> BTreeSet<&'a PackageId> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![root];
    while let Some(id) = stack.pop() {
        if seen.insert(id) {
            stack.extend(graph.get(id).into_iter().flatten().copied());
        }
    }
    seen
}

/// A name-based (version 5 layout) UUID from a digest.
fn uuid_from(digest: &[u8]) -> String {
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_has_the_v5_layout() {
        let id = uuid_from(&Sha256::digest(b"x"));
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "5");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "{id}");
    }

    #[test]
    fn licences() {
        assert_eq!(
            license_choice("MIT/Apache-2.0"),
            json!({ "expression": "MIT OR Apache-2.0" })
        );
        assert_eq!(
            license_choice("Proprietary, see LICENSE"),
            json!({ "license": { "name": "Proprietary, see LICENSE" } })
        );
    }

    #[test]
    fn reads_lock_checksums() {
        let lock = "version = 4\n\n[[package]]\nname = \"itoa\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"abcd\"\n\n[[package]]\nname = \"svc\"\nversion = \"0.1.0\"\n";
        let sums = lock_checksums(lock);
        assert_eq!(sums.len(), 1);
        assert_eq!(sums[&("itoa".into(), "1.0.0".into())], "abcd");
    }
}
