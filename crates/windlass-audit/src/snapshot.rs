//! The repository's own snapshot of the advisory database (`[audit] snapshot`, a `.tar.gz`):
//! the last resort of a machine that has no database and cannot fetch one — a fresh clone
//! offline. Unpacked once into windlass's cache (by its hash, so a new snapshot is a new
//! copy), never beside the repository's files, and used with its age said.

use anyhow::Result;
use std::path::{Path, PathBuf};
use windlass_advisories::database::{self, Database};
use windlass_core::{Session, Severity, Workspace};

/// The database `audit` reads: the configured one, else — when there is none and none could
/// be fetched — the repository's snapshot.
pub fn open(session: &mut Session, ws: &Workspace, audit: &crate::Audit) -> Result<Database> {
    let path = audit.db.path.clone().unwrap_or_else(database::default_path);
    let missing = !path.join("crates").is_dir();
    let Some(snapshot) = audit.snapshot.as_ref().filter(|_| missing) else {
        return database::open(session, &audit.db);
    };
    let why = if audit.db.fetch {
        match database::open(session, &audit.db) {
            Ok(db) => return Ok(db),
            Err(err) => format!("{err:#}"),
        }
    } else {
        "fetching is off".to_string()
    };
    let archive = ws.root.join(snapshot);
    if !archive.is_file() {
        return database::open(session, &audit.db);
    }
    let root = unpacked(&archive)?;
    let options = database::DbOptions {
        path: Some(root),
        fetch: false,
        ..audit.db.clone()
    };
    let db = database::open(session, &options)?;
    let age = db.age.map_or_else(
        || "of unknown age".to_string(),
        |a| format!("{} old", database::human_age(a)),
    );
    session.message(
        Severity::Warning,
        format!(
            "no advisory database at {} ({}): auditing with the repository's snapshot {} ({age}); `git clone --depth 1 {} {}` gets the current one",
            path.display(),
            why.lines().next().unwrap_or_default(),
            ws.display_path(&archive),
            database::DEFAULT_URL,
            path.display()
        ),
    );
    Ok(db)
}

/// The snapshot unpacked in windlass's cache: the database's root there.
fn unpacked(archive: &Path) -> Result<PathBuf> {
    let sum = windlass_core::files::sha256_file(archive)?;
    let parent = windlass_core::files::cache_dir().join("advisory-snapshots");
    let dir = parent.join(&sum[..16]);
    if let Some(root) = database_in(&dir) {
        return Ok(root);
    }
    let staging = parent.join(format!("{}.partial-{}", &sum[..16], std::process::id()));
    let cache = windlass_core::files::root(&parent)?;
    let staging_name = PathBuf::from(staging.file_name().unwrap_or_default());
    let _ = cache.remove_tree(&staging_name);
    let unpacking = windlass_archive::unpack_tree(
        archive,
        &staging,
        windlass_archive::Limits {
            max_bytes: 1 << 30,
            max_entries: 200_000,
        },
    );
    if let Err(err) = unpacking {
        let _ = cache.remove_tree(&staging_name);
        return Err(err);
    }
    let target = PathBuf::from(dir.file_name().unwrap_or_default());
    if cache.rename(&staging_name, &target).is_err() {
        // Another run unpacked it first: theirs is as good.
        let _ = cache.remove_tree(&staging_name);
    }
    database_in(&dir).ok_or_else(|| {
        windlass_core::UsageError::refused(format!(
            "{} holds no advisory database (no crates/ directory)",
            archive.display()
        ))
        .into()
    })
}

/// The database under `dir`: `dir` itself, or its one directory that has `crates/`.
fn database_in(dir: &Path) -> Option<PathBuf> {
    if dir.join("crates").is_dir() {
        return Some(dir.to_path_buf());
    }
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.join("crates").is_dir())
}
