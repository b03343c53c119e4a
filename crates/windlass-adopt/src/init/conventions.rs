//! How the repository already formats and lints its code, read from where projects write it
//! down — a `Makefile`, a `justfile`, its CI workflows, its cargo aliases, a rustfmt config
//! outside the places rustfmt looks — so that `fmt-check` and `lint` give the verdict the
//! project's own rule gives, not stable rustfmt's defaults.

use std::path::Path;

/// The way a repository runs one cargo tool (`cargo +nightly fmt --all -- --config-path X`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolRule {
    /// `+nightly`, without the `+`.
    pub toolchain: Option<String>,
    /// cargo's arguments for the subcommand (`--all`), without `--check`.
    pub args: Vec<String>,
    /// The tool's own arguments, after `--` (without `--check`).
    pub tool_args: Vec<String>,
    /// Where it was read, `file:line`.
    pub source: String,
}

/// What init takes over from the repository.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conventions {
    /// How it runs `cargo fmt`.
    pub fmt: Option<ToolRule>,
    /// How it runs `cargo clippy` (its toolchain is what matters).
    pub clippy: Option<ToolRule>,
    /// A rustfmt config rustfmt does not find by itself (`.config/rustfmt.toml`), when no
    /// rule passes one.
    pub rustfmt_config: Option<String>,
    /// Why nightly rustfmt is needed when no rule says so: the config's unstable options.
    pub unstable_rustfmt: Option<String>,
}

/// rustfmt options that only nightly rustfmt applies (stable warns and ignores them, so its
/// verdict differs from the project's).
const UNSTABLE_RUSTFMT: &[&str] = &[
    "unstable_features",
    "imports_granularity",
    "group_imports",
    "wrap_comments",
    "format_code_in_doc_comments",
    "normalize_comments",
    "normalize_doc_attributes",
    "comment_width",
    "format_strings",
    "format_macro_matchers",
    "reorder_impl_items",
    "imports_layout",
    "condense_wildcard_suffixes",
    "overflow_delimited_expr",
    "struct_field_align_threshold",
    "enum_discrim_align_threshold",
    "blank_lines_upper_bound",
    "blank_lines_lower_bound",
    "brace_style",
    "control_brace_style",
    "trailing_semicolon",
    "spaces_around_ranges",
    "version",
    "style_edition",
];

impl Conventions {
    /// Reads them from the repository at `root`.
    pub fn detect(root: &Path) -> Self {
        let sources = sources(root);
        let rule = |tool: &str| {
            sources
                .iter()
                .find_map(|(name, text)| find_rule(name, text, tool))
        };
        let fmt = rule("fmt");
        let clippy = rule("clippy");
        let found_config = [".rustfmt.toml", "rustfmt.toml"]
            .iter()
            .any(|f| root.join(f).is_file());
        let passes_config = fmt
            .as_ref()
            .is_some_and(|r| r.tool_args.iter().any(|a| a.starts_with("--config-path")));
        let rustfmt_config = [".config/rustfmt.toml", ".config/.rustfmt.toml"]
            .iter()
            .find(|f| !found_config && !passes_config && root.join(f).is_file())
            .map(|f| f.to_string());
        let passed_config = fmt.as_ref().and_then(|r| {
            let at = r.tool_args.iter().position(|a| a == "--config-path")?;
            r.tool_args.get(at + 1).cloned()
        });
        let config_file = passed_config
            .or_else(|| rustfmt_config.clone())
            .or_else(|| {
                [".rustfmt.toml", "rustfmt.toml"]
                    .iter()
                    .find(|f| root.join(f).is_file())
                    .map(|f| f.to_string())
            });
        let unstable_rustfmt = config_file.and_then(|file| {
            let text = std::fs::read_to_string(root.join(&file)).ok()?;
            let table: toml::Table = text.parse().ok()?;
            let used: Vec<&str> = UNSTABLE_RUSTFMT
                .iter()
                .copied()
                .filter(|key| match table.get(*key) {
                    Some(toml::Value::Boolean(false)) => false,
                    Some(_) => true,
                    None => false,
                })
                .collect();
            (!used.is_empty()).then(|| format!("{file} sets {}", used.join(", ")))
        });
        Self {
            fmt,
            clippy,
            rustfmt_config,
            unstable_rustfmt,
        }
    }
}

/// The files a project writes its commands in, with their names relative to `root`.
fn sources(root: &Path) -> Vec<(String, String)> {
    let mut names: Vec<String> = [
        "Makefile",
        "makefile",
        "GNUmakefile",
        "justfile",
        "Justfile",
        ".justfile",
        "Makefile.toml",
        ".cargo/config.toml",
        ".cargo/config",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut workflows: Vec<String> = std::fs::read_dir(root.join(".github/workflows"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name.ends_with(".yml") || name.ends_with(".yaml"))
                .then(|| format!(".github/workflows/{name}"))
        })
        .collect();
    workflows.sort();
    names.extend(workflows);
    names
        .into_iter()
        .filter_map(|name| {
            let text = std::fs::read_to_string(root.join(&name)).ok()?;
            // A workflow windlass generated says nothing of the project's own rule.
            (!text.starts_with("# Generated by `cargo xtask workflows`")).then_some((name, text))
        })
        .collect()
}

/// The first `cargo [+toolchain] <tool> ...` command line of `text` that checks (a
/// `--check` for fmt; any clippy run), read word by word.
fn find_rule(name: &str, text: &str, tool: &str) -> Option<ToolRule> {
    let variables = variables(text);
    for (index, line) in text.lines().enumerate() {
        let code = expand(line.split(" #").next().unwrap_or_default(), &variables);
        let words: Vec<&str> = code
            .split(|c: char| {
                c.is_whitespace() || c == '"' || c == '\'' || c == ',' || c == '[' || c == ']'
            })
            .filter(|w| !w.is_empty())
            .collect();
        // make's `@` (silent) and `-` (ignore errors) before a recipe's command.
        let Some(at) = words
            .iter()
            .position(|w| w.trim_start_matches(['@', '-']) == "cargo")
        else {
            continue;
        };
        // A step's name or a message that mentions the command is not the command.
        if words[..at].iter().any(|w| {
            w.ends_with("name:") || w.ends_with("description:") || matches!(*w, "echo" | "#" | "//")
        }) {
            continue;
        }
        let mut rest = &words[at + 1..];
        let toolchain = rest
            .first()
            .and_then(|w| w.strip_prefix('+'))
            .map(str::to_string);
        if toolchain.is_some() {
            rest = &rest[1..];
        }
        if rest.first() != Some(&tool) {
            continue;
        }
        let rest: Vec<&str> = rest[1..]
            .iter()
            .copied()
            .take_while(|w| !matches!(*w, "&&" | "||" | ";" | "|"))
            .collect();
        if tool == "fmt" && !rest.contains(&"--check") {
            continue;
        }
        let split = rest.iter().position(|w| *w == "--").unwrap_or(rest.len());
        let keep = |w: &&&str| !matches!(**w, "--check" | "-D" | "warnings" | "--");
        let args: Vec<String> = rest[..split]
            .iter()
            .filter(keep)
            .filter(|w| tool == "fmt" || **w != "--workspace")
            .map(|w| w.to_string())
            .collect();
        let tool_args: Vec<String> = rest[split..]
            .iter()
            .filter(keep)
            .map(|w| w.to_string())
            .collect();
        let plain_word = |w: &String| {
            w.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_=./+:".contains(c))
        };
        // A line of shell variables or templating is not a rule to copy.
        if !args.iter().chain(&tool_args).all(plain_word)
            || toolchain
                .as_deref()
                .is_some_and(|t| !windlass_core::cargo_env::is_toolchain_name(t))
        {
            continue;
        }
        return Some(ToolRule {
            toolchain,
            args,
            tool_args,
            source: format!("{name}:{}", index + 1),
        });
    }
    None
}

/// The variables a Makefile (`NAME = value`, `:=`, `?=`) or a justfile (`name := "value"`)
/// sets: their commands use them (`$(RUSTFMT_CONFIG)`, `{{config}}`).
fn variables(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|l| !l.starts_with(char::is_whitespace))
        .filter_map(|l| {
            let (name, value) = [":=", "?=", "="].iter().find_map(|op| l.split_once(op))?;
            let name = name.trim().trim_start_matches("export ").trim();
            let plain = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
            (plain && !value.contains("$(shell")).then(|| (name.to_string(), value.to_string()))
        })
        .collect()
}

/// `line` with the variables it uses replaced by their values (nested ones too, a few
/// levels deep); an unknown one stays as written.
fn expand(line: &str, variables: &[(String, String)]) -> String {
    let mut out = line.to_string();
    for _ in 0..4 {
        let before = out.clone();
        for (name, value) in variables {
            for form in [
                format!("$({name})"),
                format!("${{{name}}}"),
                format!("{{{{{name}}}}}"),
                format!("{{{{ {name} }}}}"),
            ] {
                out = out.replace(&form, value);
            }
        }
        if out == before {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_makefile_rule_with_nightly_and_a_config_path_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("Makefile"),
            "fmt:\n\tcargo +nightly fmt --all -- --config-path .config/rustfmt.toml\n\ncheck-fmt:\n\tcargo +nightly fmt --all --check -- --config-path .config/rustfmt.toml\n",
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join(".config")).unwrap();
        std::fs::write(
            dir.path().join(".config/rustfmt.toml"),
            "imports_granularity = \"Crate\"\n",
        )
        .unwrap();
        let found = Conventions::detect(dir.path());
        let fmt = found.fmt.unwrap();
        assert_eq!(fmt.toolchain.as_deref(), Some("nightly"));
        assert_eq!(fmt.args, ["--all"]);
        assert_eq!(fmt.tool_args, ["--config-path", ".config/rustfmt.toml"]);
        assert_eq!(fmt.source, "Makefile:5");
        assert_eq!(found.rustfmt_config, None, "the rule passes it already");
        assert!(
            found
                .unstable_rustfmt
                .unwrap()
                .contains("imports_granularity")
        );
    }

    #[test]
    fn make_and_just_variables_are_expanded_and_recipe_prefixes_dropped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("Makefile"),
            "CONFIG_DIR = .config\nRUSTFMT_CONFIG = $(CONFIG_DIR)/rustfmt.toml\nNOW ?= $(shell date)\n\nformat-check:\n\tcargo xtask fmt-comments --check\n\t@cargo +nightly fmt --all --check -- --config-path $(RUSTFMT_CONFIG)\n",
        )
        .unwrap();
        let fmt = Conventions::detect(dir.path()).fmt.unwrap();
        assert_eq!(fmt.tool_args, ["--config-path", ".config/rustfmt.toml"]);
        assert_eq!(fmt.source, "Makefile:7");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("justfile"),
            "config := \"rustfmt.nightly.toml\"\n\nfmt-ci:\n    cargo +nightly fmt --all --check -- --config-path {{config}}\n",
        )
        .unwrap();
        let fmt = Conventions::detect(dir.path()).fmt.unwrap();
        assert_eq!(fmt.tool_args, ["--config-path", "rustfmt.nightly.toml"]);
    }

    #[test]
    fn a_workflow_clippy_toolchain_and_a_config_rustfmt_finds_not() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".github/workflows")).unwrap();
        std::fs::write(
            dir.path().join(".github/workflows/ci.yml"),
            "jobs:\n  lint:\n    steps:\n      - name: Run cargo clippy\n      - run: cargo +nightly-2025-01-01 clippy --workspace --all-targets -- -D warnings\n      - run: cargo fmt --check  # style\n",
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join(".config")).unwrap();
        std::fs::write(dir.path().join(".config/rustfmt.toml"), "max_width = 80\n").unwrap();
        let found = Conventions::detect(dir.path());
        let clippy = found.clippy.unwrap();
        assert_eq!(clippy.toolchain.as_deref(), Some("nightly-2025-01-01"));
        assert_eq!(clippy.args, ["--all-targets"]);
        let fmt = found.fmt.unwrap();
        assert_eq!(fmt.toolchain, None);
        assert_eq!(fmt.source, ".github/workflows/ci.yml:6");
        assert_eq!(
            found.rustfmt_config.as_deref(),
            Some(".config/rustfmt.toml")
        );
        assert_eq!(found.unstable_rustfmt, None);
    }

    #[test]
    fn nothing_written_down_means_nothing_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("justfile"),
            "fmt:\n    cargo fmt\ntest:\n    cargo test $ARGS\n",
        )
        .unwrap();
        assert_eq!(Conventions::detect(dir.path()), Conventions::default());
    }
}
