//! The refusals and guarantees of [`Root`], on a real file system: links on the way, links at
//! the end, modes kept, pipes and bounds, trees removed without leaving them.
#![allow(clippy::unwrap_used)]

use super::*;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::PathBuf;

fn tree() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("keep"), "precious").unwrap();
    (dir, root, outside)
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn writes_create_directories_and_replace_whole_files() {
    let (_t, root, _) = tree();
    let r = Root::open(&root).unwrap();
    r.write_atomic(Path::new("a/b/c.txt"), b"one", Perm::Keep)
        .unwrap();
    r.write_atomic(Path::new("a/b/c.txt"), b"two", Perm::Keep)
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(root.join("a/b/c.txt")).unwrap(),
        "two"
    );
    let names: Vec<_> = r.entries(Path::new("a/b")).unwrap();
    assert_eq!(names.len(), 1, "no partial file left: {names:?}");
}

#[test]
fn a_link_on_the_way_is_refused_and_nothing_outside_changes() {
    let (_t, root, outside) = tree();
    symlink(&outside, root.join("xtask")).unwrap();
    let r = Root::open(&root).unwrap();
    let err = r
        .write_atomic(Path::new("xtask/Cargo.toml"), b"x", Perm::Keep)
        .unwrap_err();
    assert_eq!(err.problem, Problem::Link, "{err}");
    assert!(err.to_string().contains("xtask"), "{err}");
    assert!(err.hint().unwrap().contains("symbolic link"));
    assert!(!outside.join("Cargo.toml").exists());
    assert!(r.create_dir_all(Path::new("xtask/src")).is_err());
    assert!(!outside.join("src").exists());
    assert!(r.remove_file(Path::new("xtask/keep")).is_err());
    assert!(r.remove_tree(Path::new("xtask/keep")).is_err());
    assert!(r.read(Path::new("xtask/keep"), 100).is_err());
    assert!(r.append(Path::new("xtask/log")).is_err());
    assert_eq!(
        std::fs::read_to_string(outside.join("keep")).unwrap(),
        "precious"
    );
}

#[test]
fn a_link_at_the_end_is_never_written_through() {
    let (_t, root, outside) = tree();
    symlink(outside.join("keep"), root.join("config.toml")).unwrap();
    let r = Root::open(&root).unwrap();
    let err = r
        .write_atomic(Path::new("config.toml"), b"x", Perm::Keep)
        .unwrap_err();
    assert_eq!(err.problem, Problem::Link);
    assert!(r.append(Path::new("config.toml")).is_err());
    assert!(r.open_rw(Path::new("config.toml")).is_err());
    // Removing it removes the link, not the file it names.
    assert!(r.remove_file(Path::new("config.toml")).unwrap());
    assert_eq!(
        std::fs::read_to_string(outside.join("keep")).unwrap(),
        "precious"
    );
}

#[test]
fn the_replaced_files_mode_is_kept() {
    let (_t, root, _) = tree();
    let secret = root.join("config.toml");
    std::fs::write(&secret, "token = 1").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let readonly = root.join("Cargo.toml");
    std::fs::write(&readonly, "[package]").unwrap();
    std::fs::set_permissions(&readonly, std::fs::Permissions::from_mode(0o444)).unwrap();
    let r = Root::open(&root).unwrap();
    r.write_atomic(Path::new("config.toml"), b"token = 2", Perm::Keep)
        .unwrap();
    r.write_atomic(Path::new("Cargo.toml"), b"[workspace]", Perm::Keep)
        .unwrap();
    assert_eq!(mode(&secret), 0o600);
    assert_eq!(mode(&readonly), 0o444);
    r.write_atomic(Path::new("hook"), b"#!/bin/sh", Perm::Executable)
        .unwrap();
    assert_eq!(mode(&root.join("hook")), 0o755);
    r.write_atomic(Path::new("config.toml"), b"x", Perm::Executable)
        .unwrap();
    assert_eq!(mode(&secret), 0o700, "execute only where it can be read");
}

#[test]
fn paths_that_leave_the_root_are_refused() {
    let (_t, root, outside) = tree();
    let r = Root::open(&root).unwrap();
    for bad in ["../outside/keep", "/etc/passwd", "a/../../outside/keep"] {
        let err = r
            .write_atomic(Path::new(bad), b"x", Perm::Keep)
            .unwrap_err();
        assert_eq!(err.problem, Problem::Outside, "{bad}: {err}");
    }
    assert_eq!(r.relative(&root.join("a/b")).unwrap(), PathBuf::from("a/b"));
    assert!(r.relative(&outside.join("keep")).is_err());
    assert_eq!(
        std::fs::read_to_string(outside.join("keep")).unwrap(),
        "precious"
    );
}

#[test]
fn remove_tree_removes_links_as_links_and_never_leaves_the_tree() {
    let (_t, root, outside) = tree();
    std::fs::create_dir_all(root.join("target/debug/deps")).unwrap();
    std::fs::write(root.join("target/debug/deps/libx.rlib"), "x").unwrap();
    symlink(&outside, root.join("target/debug/incremental")).unwrap();
    symlink(outside.join("keep"), root.join("target/debug/deps/keep")).unwrap();
    let r = Root::open(&root).unwrap();
    assert!(r.size(Path::new("target")) > 0);
    assert!(r.remove_tree(Path::new("target")).unwrap());
    assert!(!root.join("target").exists());
    assert!(
        !r.remove_tree(Path::new("target")).unwrap(),
        "absent: false"
    );
    assert_eq!(
        std::fs::read_to_string(outside.join("keep")).unwrap(),
        "precious"
    );
}

#[test]
fn entries_list_links_as_links() {
    let (_t, root, outside) = tree();
    std::fs::create_dir(root.join("dir")).unwrap();
    std::fs::write(root.join("file"), "").unwrap();
    symlink(&outside, root.join("link")).unwrap();
    let r = Root::open(&root).unwrap();
    let kinds: Vec<(String, Kind)> = r
        .entries(Path::new(""))
        .unwrap()
        .into_iter()
        .map(|e| (e.name.to_string_lossy().into_owned(), e.kind))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("dir".into(), Kind::Dir),
            ("file".into(), Kind::File),
            ("link".into(), Kind::Link)
        ]
    );
    assert!(r.entries(Path::new("link")).is_err());
    assert!(r.subdir(Path::new("link")).is_err());
}

#[test]
fn reads_are_bounded_and_refuse_pipes_and_devices() {
    let (_t, root, _) = tree();
    std::fs::write(root.join("big"), vec![b'x'; 1000]).unwrap();
    symlink("/dev/zero", root.join("zero")).unwrap();
    let fifo = root.join("fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let r = Root::open(&root).unwrap();
    assert_eq!(r.read(Path::new("big"), 1000).unwrap().len(), 1000);
    let err = r.read(Path::new("big"), 999).unwrap_err();
    assert_eq!(err.problem, Problem::TooLarge);
    assert!(err.to_string().contains("999 bytes"), "{err}");
    assert_eq!(
        r.read(Path::new("zero"), 10).unwrap_err().problem,
        Problem::Link
    );
    // Opening a pipe for reading would wait for a writer: refused at once instead.
    assert_eq!(
        r.read(Path::new("fifo"), 10).unwrap_err().problem,
        Problem::NotAFile
    );
    assert_eq!(
        r.append(Path::new("fifo")).unwrap_err().problem,
        Problem::NotAFile
    );
    let err = read_bounded(Path::new("/proc/self/status"), 10).unwrap_err();
    assert_eq!(
        err.problem,
        Problem::TooLarge,
        "a size the file lies about: {err}"
    );
}

#[test]
fn a_file_where_a_directory_is_needed_names_it() {
    let (_t, root, _) = tree();
    std::fs::write(root.join(".github"), "not a dir").unwrap();
    let r = Root::open(&root).unwrap();
    let err = r
        .write_atomic(Path::new(".github/workflows/ci.yml"), b"x", Perm::Keep)
        .unwrap_err();
    assert_eq!(err.problem, Problem::NotADirectory);
    assert!(err.to_string().contains(".github"), "{err}");
    assert!(err.hint().unwrap().contains("move it aside"));
}

#[test]
fn renames_and_links_stay_inside() {
    let (_t, root, _) = tree();
    let r = Root::open(&root).unwrap();
    std::fs::create_dir(root.join("releases")).unwrap();
    std::fs::create_dir(root.join("releases/a")).unwrap();
    r.symlink(Path::new("releases/a"), Path::new("current.new"))
        .unwrap();
    r.rename(Path::new("current.new"), Path::new("current"))
        .unwrap();
    assert_eq!(
        r.read_link(Path::new("current")).unwrap(),
        PathBuf::from("releases/a")
    );
    assert_eq!(r.kind(Path::new("current")).unwrap(), Some(Kind::Link));
    assert!(r.remove_empty_dir(Path::new("releases/a")).unwrap());
    assert!(!r.remove_empty_dir(Path::new("releases/a")).unwrap());
}

#[test]
fn a_copy_is_streamed_in_atomically() {
    let (_t, root, outside) = tree();
    let r = Root::open(&root).unwrap();
    r.copy_in(
        &outside.join("keep"),
        Path::new("rel/bin"),
        Perm::Executable,
    )
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(root.join("rel/bin")).unwrap(),
        "precious"
    );
    assert_eq!(mode(&root.join("rel/bin")), 0o755);
    assert!(r.copy_in(&outside, Path::new("rel/x"), Perm::Keep).is_err());
}

#[test]
fn hashes_like_sha256sum() {
    let (_t, root, _) = tree();
    std::fs::write(root.join("abc"), "abc").unwrap();
    assert_eq!(
        sha256_file(&root.join("abc")).unwrap(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn file_names_are_one_component() {
    for ok in ["svc", "svc-1.2", ".hidden", "a b"] {
        assert!(is_file_name(ok), "{ok}");
    }
    for bad in ["", ".", "..", "../x", "a/b", "a\\b", "x\ny", "/abs"] {
        assert!(!is_file_name(bad), "{bad:?}");
    }
}
