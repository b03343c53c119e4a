//! The release archive: the contract between `release`, which makes it, and `deploy` and
//! `audit`, which read it.
//!
//! A release's artifacts directory holds, per binary, `name-version-target.tar.gz` (the
//! binary and its README and licence files under a top directory of the same name; entries
//! sorted, owner 0, every time stamp the release's, so the bytes are reproducible) and the
//! CycloneDX SBOM `name-version-target.cdx.json`; and one `SHA256SUMS` over them all, as
//! `sha256sum -c` reads it. This crate is that format: the names, packing, unpacking, the
//! checksums and the version a release archive records. It depends on windlass's core (its
//! errors are windlass's own, right by construction) and its file-system door: both sides of
//! the contract take it as it is.

#[cfg(feature = "sign")]
pub mod minisign;
#[cfg(feature = "pack")]
mod pack;

#[cfg(feature = "pack")]
pub use pack::{Limits, Unpacked, pack, unpack_release, unpack_tree};

mod error;
mod files;

pub use error::{io, refused};
pub use files::{is_file_name, sha256_file, write_atomic};

use anyhow::Result;
use std::path::{Path, PathBuf};

/// The checksums file of an artifacts directory.
pub const CHECKSUMS: &str = "SHA256SUMS";

/// Its signature, in minisign's format.
pub const CHECKSUMS_SIGNATURE: &str = "SHA256SUMS.minisig";

/// The SBOM of the archive whose stem is `stem`.
pub fn sbom_name(stem: &str) -> String {
    format!("{stem}.cdx.json")
}

/// The archive whose stem is `stem`.
pub fn archive_name(stem: &str) -> String {
    format!("{stem}.tar.gz")
}

/// The stem of a release archive's file name (`name-version-target`), when it is one.
pub fn stem_of(archive: &Path) -> Option<String> {
    let name = archive.file_name()?.to_string_lossy().into_owned();
    name.strip_suffix(".tar.gz").map(str::to_string)
}

/// The SBOM beside a release archive.
pub fn sbom_beside(archive: &Path) -> Option<PathBuf> {
    let stem = stem_of(archive)?;
    Some(archive.with_file_name(sbom_name(&stem)))
}

/// `name-version-target`: the archive's stem and its top directory.
pub fn stem(bin: &str, version: &str, target: &str) -> String {
    format!("{bin}-{version}-{target}")
}

/// `SHA256SUMS` as `sha256sum -c` reads it: `hash  name`, sorted by name.
pub fn checksums(files: &[PathBuf]) -> Result<String> {
    let mut lines: Vec<(String, String)> = Vec::new();
    for file in files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        lines.push((name, sha256_file(file)?));
    }
    lines.sort();
    Ok(lines
        .iter()
        .map(|(name, sum)| format!("{sum}  {name}\n"))
        .collect())
}

/// Whether `file` is listed in the `SHA256SUMS` of its directory with its current hash: an
/// artifact a previous run already made.
pub fn already_made(file: &Path) -> bool {
    let Some(dir) = file.parent() else {
        return false;
    };
    let Ok(sums) = std::fs::read_to_string(dir.join(CHECKSUMS)) else {
        return false;
    };
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Ok(actual) = sha256_file(file) else {
        return false;
    };
    sums.lines()
        .any(|l| l.split_once("  ") == Some((actual.as_str(), name.as_str())))
}
