//! The shape of the code, checked: every task is defined once, and its name is written only
//! there — every other use of it as a task's name goes through its definition's constant, so
//! renaming a task is one edit and no caller can drift from it.
// In test helpers a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

/// Where a string literal is used as a task's name (a step, a section, a report's step).
const NAME_CONTEXTS: &[&str] = &[
    "Diagnostic::new(\"",
    "wait_healthy(session, \"",
    ".section(\"",
    ">(\"",
    ".value(\"",
    "step: \"",
    "Run::single(\"",
    "Run::steps(\"",
    "Pipeline::new(\"",
    "registry.get(\"",
    "kind: \"",
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_task_name_is_written_outside_its_own_definition() {
    let xtask = windlass::Xtask::new();
    let names: Vec<String> = xtask
        .registry()
        .tasks()
        .map(|t| t.name().to_string())
        .collect();
    assert!(names.len() >= 19, "{names:?}");
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for krate in std::fs::read_dir(&crates).unwrap().flatten() {
        let src = krate.path().join("src");
        if src.is_dir() {
            sources(&src, &mut files);
        }
    }
    let mut found = Vec::new();
    for file in &files {
        // The tasks a build leaves out are named there: their definitions are not compiled.
        if file.ends_with("gated.rs") {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        let mut previous = "";
        for (number, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("#[cfg(test)]") {
                break;
            }
            for name in &names {
                let quoted = format!("\"{name}\"");
                let in_context = NAME_CONTEXTS
                    .iter()
                    .any(|c| line.contains(&format!("{c}{name}\"")));
                let returned = line.trim() == quoted && previous.contains("fn name(");
                if in_context || returned {
                    found.push(format!(
                        "{}:{}: {}",
                        file.strip_prefix(&crates).unwrap_or(file).display(),
                        number + 1,
                        line.trim()
                    ));
                }
            }
            previous = line;
        }
    }
    assert!(
        found.is_empty(),
        "task names written outside their definitions (use the definition's constant):\n{}",
        found.join("\n")
    );
}

/// A stock step is one file and one registration line: the registry knows nothing of any
/// task but what the task declares.
#[test]
fn every_task_declares_itself_whole() {
    let xtask = windlass::Xtask::new();
    for task in xtask.registry().tasks() {
        let command = task
            .command()
            .unwrap_or_else(|| panic!("{} is no subcommand", task.name()));
        assert_eq!(command.get_name(), task.name());
        assert!(
            command
                .get_about()
                .is_some_and(|a| !a.to_string().is_empty()),
            "{} has no help",
            task.name()
        );
    }
}

/// No task's argument shares an id with a global option (`--format`, `--keep-going`): clap
/// would accept the command line and then panic reading it.
#[test]
fn no_task_argument_shadows_a_global_option() {
    let xtask = windlass::Xtask::new();
    let cli = xtask.cli();
    let globals: Vec<String> = cli
        .get_arguments()
        .map(|a| a.get_id().to_string())
        .collect();
    assert!(globals.iter().any(|g| g == "format"), "{globals:?}");
    for task in xtask.registry().tasks() {
        let command = task.command().unwrap();
        for arg in command.get_arguments() {
            assert!(
                !globals.contains(&arg.get_id().to_string()),
                "`{}` of {} is also a global option",
                arg.get_id(),
                task.name()
            );
        }
    }
}

/// Every write, rename and delete goes through windlass-fs (through `windlass_core::files`),
/// which never follows a link and keeps a replaced file's mode: no crate calls `std::fs`'s
/// writers itself, outside its tests.
#[test]
fn only_the_file_system_door_writes() {
    const WRITERS: &[&str] = &[
        "fs::write(",
        "fs::remove_file(",
        "fs::remove_dir(",
        "fs::remove_dir_all(",
        "fs::rename(",
        "fs::copy(",
        "fs::create_dir(",
        "fs::create_dir_all(",
        "fs::set_permissions(",
        "fs::hard_link(",
        "File::create(",
        "OpenOptions::new(",
        "unix::fs::symlink(",
    ];
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for krate in std::fs::read_dir(&crates).unwrap().flatten() {
        // The door itself.
        if krate.file_name() == "windlass-fs" {
            continue;
        }
        let src = krate.path().join("src");
        if src.is_dir() {
            sources(&src, &mut files);
        }
    }
    let xtask = crates.join("../xtask/src");
    sources(&xtask, &mut files);
    let mut found = Vec::new();
    for file in &files {
        // Test support: fixtures are written by the tests.
        if file.ends_with("testing.rs") || file.ends_with("tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        for (number, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("#[cfg(test)]") {
                break;
            }
            if line.trim_start().starts_with("//") {
                continue;
            }
            if WRITERS.iter().any(|w| line.contains(w)) {
                found.push(format!(
                    "{}:{}: {}",
                    file.strip_prefix(&crates).unwrap_or(file).display(),
                    number + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(
        found.is_empty(),
        "file-system writes outside windlass-fs (use windlass_core::files):\n{}",
        found.join("\n")
    );
}
