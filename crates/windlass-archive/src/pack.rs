//! Packing and unpacking release archives: reproducible `.tar.gz` files (the `pack` feature;
//! what reads only names and checksums does without tar and flate2).

use crate::{CHECKSUMS, already_made, archive_name, sbom_name};
use anyhow::{Context, Result};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use windlass_core::UsageError;

/// Writes `name-version-target.tar.gz` into `out_dir`: `stem/bin` (0755) and the companions
/// (0644), every entry stamped `mtime`.
pub fn pack(
    out_dir: &Path,
    stem: &str,
    executable: &Path,
    bin_name: &str,
    companions: &[PathBuf],
    mtime: u64,
) -> Result<PathBuf> {
    let archive = out_dir.join(archive_name(stem));
    let mut entries: Vec<(String, Vec<u8>, u32)> = Vec::new();
    let binary = std::fs::read(executable)
        .with_context(|| format!("cannot read {}", executable.display()))?;
    entries.push((format!("{stem}/{bin_name}"), binary, 0o755));
    for file in companions {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bytes =
            std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        entries.push((format!("{stem}/{name}"), bytes, 0o644));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));

    let gzip = flate2::GzBuilder::new()
        .mtime(u32::try_from(mtime).unwrap_or(0))
        .write(Vec::new(), flate2::Compression::best());
    let mut tar = tar::Builder::new(gzip);
    tar.mode(tar::HeaderMode::Deterministic);
    for (path, bytes, mode) in &entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(*mode);
        header.set_mtime(mtime);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, path, bytes.as_slice())?;
    }
    let mut gzip = tar.into_inner()?;
    gzip.flush()?;
    let bytes = gzip.finish()?;
    windlass_core::files::write_atomic(&archive, &bytes, false)?;
    Ok(archive)
}

/// A binary taken out of a release archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unpacked {
    /// The binary, written under the destination directory.
    pub binary: PathBuf,
    /// Its name.
    pub name: String,
    /// The release version: from the SBOM beside the archive, else from the archive's name.
    pub version: Option<String>,
    /// Whether a `SHA256SUMS` beside the archive vouched for it.
    pub verified: bool,
}

/// Takes the binary `bin` (or the archive's only executable) out of a release archive made
/// by `--artifacts`, into `dest`. A `SHA256SUMS` beside the archive must list it with its
/// hash; an archive that does not match is refused before anything is unpacked.
pub fn unpack_release(archive: &Path, bin: Option<&str>, dest: &Path) -> Result<Unpacked> {
    let file_name = archive
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = file_name
        .strip_suffix(".tar.gz")
        .unwrap_or(&file_name)
        .to_string();
    let dir = archive.parent().unwrap_or(Path::new("."));
    let sums = dir.join(CHECKSUMS);
    let verified = sums.is_file();
    if verified && !already_made(archive) {
        return Err(UsageError::new(format!(
            "{} does not match its entry in {}: it is not the archive the release made",
            archive.display(),
            sums.display()
        ))
        .hint("rebuild it with `cargo xtask release --artifacts-only` on the release tag")
        .into());
    }
    let bytes =
        std::fs::read(archive).with_context(|| format!("cannot read {}", archive.display()))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(bytes.as_slice()));
    let bad = |e: std::io::Error| -> anyhow::Error {
        UsageError::new(format!(
            "{} is not a readable .tar.gz: {e}",
            archive.display()
        ))
        .into()
    };
    let mut found: Vec<(String, Vec<u8>)> = Vec::new();
    for entry in tar.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        let header = entry.header();
        let executable = header.mode().is_ok_and(|m| m & 0o111 != 0);
        if header.entry_type() != tar::EntryType::Regular || !executable {
            continue;
        }
        let name = entry
            .path()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default();
        if bin.is_some_and(|b| b != name) {
            continue;
        }
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut content).map_err(bad)?;
        found.push((name, content));
    }
    let (name, content) = match found.len() {
        1 => found.remove(0),
        0 => {
            return Err(UsageError::new(format!(
                "{} holds no executable{}",
                archive.display(),
                bin.map(|b| format!(" named `{b}`")).unwrap_or_default()
            ))
            .into());
        }
        _ => {
            return Err(UsageError::new(format!(
                "{} holds several executables",
                archive.display()
            ))
            .hint("name the one to deploy with `bin` in the environment's config")
            .into());
        }
    };
    let binary = dest.join(&name);
    windlass_core::files::write_atomic(&binary, &content, true)?;
    let version =
        version_from_sbom(&dir.join(sbom_name(&stem))).or_else(|| version_from_stem(&stem, &name));
    Ok(Unpacked {
        binary,
        name,
        version,
        verified,
    })
}

fn version_from_sbom(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let sbom: serde_json::Value = serde_json::from_str(&text).ok()?;
    sbom["metadata"]["component"]["version"]
        .as_str()
        .map(str::to_string)
}

/// The version in `name-version-target`: the target triple starts with its architecture.
fn version_from_stem(stem: &str, bin: &str) -> Option<String> {
    const ARCHES: [&str; 12] = [
        "x86_64",
        "aarch64",
        "i686",
        "i586",
        "arm",
        "riscv",
        "powerpc",
        "s390x",
        "wasm32",
        "mips",
        "loongarch64",
        "sparc",
    ];
    let rest = stem.strip_prefix(bin)?.strip_prefix('-')?;
    rest.match_indices('-').find_map(|(at, _)| {
        let target = &rest[at + 1..];
        ARCHES
            .iter()
            .any(|a| target.starts_with(a))
            .then(|| rest[..at].to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checksums;

    #[test]
    fn archives_are_reproducible_and_checksummed() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("svc");
        std::fs::write(&exe, b"\x7fELF fake").unwrap();
        let readme = dir.path().join("README.md");
        std::fs::write(&readme, "# svc\n").unwrap();
        let out = dir.path().join("out");
        let a = pack(
            &out,
            "svc-1.0.0-x86_64-unknown-linux-gnu",
            &exe,
            "svc",
            std::slice::from_ref(&readme),
            1_700_000_000,
        )
        .unwrap();
        let first = std::fs::read(&a).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let b = pack(
            &out,
            "svc-1.0.0-x86_64-unknown-linux-gnu",
            &exe,
            "svc",
            &[readme],
            1_700_000_000,
        )
        .unwrap();
        assert_eq!(first, std::fs::read(&b).unwrap());
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(first.as_slice()));
        let names: Vec<(String, u32)> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.path().unwrap().display().to_string(),
                    e.header().mode().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                (
                    "svc-1.0.0-x86_64-unknown-linux-gnu/README.md".to_string(),
                    0o644
                ),
                ("svc-1.0.0-x86_64-unknown-linux-gnu/svc".to_string(), 0o755)
            ]
        );
        let sums = checksums(std::slice::from_ref(&a)).unwrap();
        std::fs::write(out.join("SHA256SUMS"), &sums).unwrap();
        assert!(
            sums.ends_with("  svc-1.0.0-x86_64-unknown-linux-gnu.tar.gz\n"),
            "{sums}"
        );
        assert!(already_made(&a));

        let unpacked = unpack_release(&a, None, &dir.path().join("deploy")).unwrap();
        assert_eq!(unpacked.name, "svc");
        assert_eq!(unpacked.version.as_deref(), Some("1.0.0"));
        assert!(unpacked.verified);
        assert_eq!(std::fs::read(&unpacked.binary).unwrap(), b"\x7fELF fake");

        std::fs::write(&a, b"tampered").unwrap();
        assert!(!already_made(&a));
        let err = unpack_release(&a, None, &dir.path().join("deploy")).unwrap_err();
        assert!(err.to_string().contains("does not match"), "{err}");
    }

    #[test]
    fn versions_from_archive_names() {
        assert_eq!(
            version_from_stem("svc-1.2.4-rc.1-x86_64-unknown-linux-gnu", "svc").as_deref(),
            Some("1.2.4-rc.1")
        );
        assert_eq!(
            version_from_stem("my-bot-2.0.0-aarch64-apple-darwin", "my-bot").as_deref(),
            Some("2.0.0")
        );
        assert_eq!(version_from_stem("svc-1.0.0-x", "svc"), None);
    }
}
