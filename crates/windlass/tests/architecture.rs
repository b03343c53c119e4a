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

/// A crate's top-level modules and, for each, the top-level modules it names through
/// `crate::` (tests left out: a test may use anything).
fn module_graph(
    src: &Path,
) -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let mut files = Vec::new();
    sources(src, &mut files);
    let mut graph: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    for file in &files {
        let relative = file.strip_prefix(src).unwrap();
        let top = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        let uses = graph.entry(top.clone()).or_default();
        for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
            let mut rest = line;
            while let Some(at) = rest.find("crate::") {
                rest = &rest[at + "crate::".len()..];
                let before = line.len() - rest.len() - "crate::".len();
                // `$crate::` in a macro and `windlass_crate::` are other crates.
                if line[..before].ends_with(|c: char| c == '$' || c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                // `use crate::{a, b}`: every module in the braces.
                if name.is_empty() && rest.starts_with('{') {
                    let inner = rest[1..].split('}').next().unwrap_or("");
                    for part in inner.split(',') {
                        let module = part.trim().split("::").next().unwrap_or("").trim();
                        if !module.is_empty() && module != top {
                            uses.insert(module.to_string());
                        }
                    }
                } else if !name.is_empty() && name != top {
                    uses.insert(name);
                }
            }
        }
    }
    let modules: std::collections::BTreeSet<String> = graph.keys().cloned().collect();
    for uses in graph.values_mut() {
        uses.retain(|m| modules.contains(m));
    }
    graph
}

/// The strongly connected groups of more than one module (Tarjan's algorithm).
fn cycles(
    graph: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        index: std::collections::HashMap<&'g str, usize>,
        low: std::collections::HashMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: std::collections::HashSet<&'g str>,
        next: usize,
        found: Vec<Vec<String>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in &s.graph[v] {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut group = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                group.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                s.found.push(group);
            }
        }
    }
    let mut state = State {
        graph,
        index: Default::default(),
        low: Default::default(),
        stack: Vec::new(),
        on_stack: Default::default(),
        next: 0,
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !state.index.contains_key(v.as_str()) {
            visit(&mut state, v);
        }
    }
    state.found
}

#[test]
fn no_two_modules_of_a_crate_import_each_other() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut found = Vec::new();
    for krate in std::fs::read_dir(&crates).unwrap().flatten() {
        let src = krate.path().join("src");
        if !src.is_dir() {
            continue;
        }
        for group in cycles(&module_graph(&src)) {
            found.push(format!(
                "{}: {}",
                krate.file_name().to_string_lossy(),
                group.join(" ↔ ")
            ));
        }
    }
    found.sort();
    assert!(
        found.is_empty(),
        "modules that import each other (move what both need into one of them, or a third):\n{}",
        found.join("\n")
    );
}

/// The crates' layering: the core and the file-system door depend on no task crate, a task
/// crate never on the facade, and no crate on one above it.
#[test]
fn the_crates_are_layered() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let deps = |name: &str| -> Vec<String> {
        let text = std::fs::read_to_string(crates.join(name).join("Cargo.toml")).unwrap();
        let manifest: toml::Table = text.parse().unwrap();
        manifest
            .get("dependencies")
            .and_then(|d| d.as_table())
            .map(|d| {
                d.keys()
                    .filter(|k| k.starts_with("windlass"))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(deps("windlass-fs"), Vec::<String>::new());
    assert_eq!(deps("windlass-core"), ["windlass-fs"]);
    for krate in std::fs::read_dir(&crates).unwrap().flatten() {
        let name = krate.file_name().to_string_lossy().to_string();
        if name == "windlass" || !krate.path().join("Cargo.toml").is_file() {
            continue;
        }
        assert!(
            !deps(&name).iter().any(|d| d == "windlass"),
            "{name} depends on the facade"
        );
    }
}

/// The longest a function may be without a reason: a step is a step, and a function that
/// does several is split where one ends.
const MAX_FUNCTION_LINES: usize = 80;

/// Functions over [`MAX_FUNCTION_LINES`] lines (tests left out) without a `// Long: why`
/// comment among the lines right above them.
#[test]
fn a_long_function_says_why() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for dir in ["crates", "xtask"] {
        for krate in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
            let src = krate.path().join("src");
            if src.is_dir() {
                sources(&src, &mut files);
            }
        }
        if root.join(dir).join("src").is_dir() {
            sources(&root.join(dir).join("src"), &mut files);
        }
    }
    files.sort();
    files.dedup();
    let mut long = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let end = lines
            .iter()
            .position(|l| l.trim() == "#[cfg(test)]")
            .unwrap_or(lines.len());
        for (i, line) in lines[..end].iter().enumerate() {
            let trimmed = line.trim_start();
            let indent = &line[..line.len() - trimmed.len()];
            let signature = trimmed
                .trim_start_matches("pub(crate) ")
                .trim_start_matches("pub ")
                .trim_start_matches("const ");
            if !signature.starts_with("fn ") {
                continue;
            }
            let closing = format!("{indent}}}");
            let Some(length) = lines[i + 1..end]
                .iter()
                .position(|l| *l == closing)
                .map(|p| p + 2)
            else {
                continue;
            };
            if length <= MAX_FUNCTION_LINES {
                continue;
            }
            let says_why = lines[..i]
                .iter()
                .rev()
                .take_while(|l| {
                    let l = l.trim_start();
                    l.starts_with("//") || l.starts_with("#[")
                })
                .any(|l| l.trim_start().starts_with("// Long: "));
            if !says_why {
                long.push(format!(
                    "{}:{} {} lines",
                    file.strip_prefix(&root).unwrap_or(file).display(),
                    i + 1,
                    length
                ));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over {MAX_FUNCTION_LINES} lines: split them where a step ends, or say why not in a `// Long: ` comment above them:\n{}",
        long.join("\n")
    );
}
