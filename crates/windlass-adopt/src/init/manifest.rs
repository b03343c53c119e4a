//! The edits init makes to the project's root manifest, keeping its comments and layout
//! (toml_edit): windlass's config table, a `staging` profile, and — only where the project's
//! own member globs would take the xtask in — an `exclude` that keeps it a workspace apart.

use super::conventions::{Conventions, ToolRule};
use toml_edit::{Array, DocumentMut, Item, Table, value};
use windlass_core::ci_steps::CI_SECTION;

/// What to write into the config table.
pub struct ConfigEdit<'a> {
    /// The steps of `ci`.
    pub ci_steps: &'a [String],
    /// The repository's own fmt and clippy rules.
    pub conventions: &'a Conventions,
    /// Whether `xtask/` is a workspace of its own, which the project's must then leave out.
    pub xtask_standalone: bool,
}

/// Applies the edits; returns one line per thing it changed, for init's report.
pub fn edit(doc: &mut DocumentMut, config: &ConfigEdit<'_>) -> Vec<String> {
    let mut changes = Vec::new();
    if config.xtask_standalone {
        keep_xtask_apart(doc, &mut changes);
    }
    write_config(doc, config, &mut changes);
    add_staging_profile(doc, &mut changes);
    changes
}

/// Tables that only hold tables stay implicit: no empty `[workspace.metadata]` header.
fn implicit_table() -> Item {
    let mut table = Table::new();
    table.set_implicit(true);
    Item::Table(table)
}

/// A project whose members are globs (`members = ["*"]`) would take `xtask/` in: it is
/// excluded, as the standalone xtask's own `[workspace]` requires. A literal `"xtask"`
/// member is the one an earlier windlass init added, and goes.
fn keep_xtask_apart(doc: &mut DocumentMut, changes: &mut Vec<String>) {
    let Some(ws) = doc.get_mut("workspace").and_then(Item::as_table_like_mut) else {
        return;
    };
    let members: Vec<String> = ws
        .get("members")
        .and_then(Item::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|m| m.as_str())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if members.iter().any(|m| m == "xtask" || m == "./xtask")
        && let Some(array) = ws.get_mut("members").and_then(Item::as_array_mut)
    {
        array.retain(|m| !matches!(m.as_str(), Some("xtask" | "./xtask")));
        changes.push("the xtask is no longer a member (it is a workspace of its own)".into());
    }
    let by_glob = members
        .iter()
        .any(|m| m.contains('*') && windlass_core::glob::matches(m, "xtask"));
    let excluded = ws
        .get("exclude")
        .and_then(Item::as_array)
        .is_some_and(|a| a.iter().any(|e| e.as_str() == Some("xtask")));
    if by_glob && !excluded {
        let exclude = ws.entry("exclude").or_insert(value(Array::new()));
        if let Some(array) = exclude.as_array_mut() {
            array.push("xtask");
            changes.push("`exclude = [\"xtask\"]`: the member globs would take it in".into());
        }
    }
}

/// `[workspace.metadata.windlass]` (or `[package.metadata.windlass]` in a manifest that
/// is a single package and no workspace): the `ci` steps and the repository's own fmt and
/// clippy rules, each only where the table does not say already.
// Long: one table edited key by key, each key only where the adopter's table is silent; splitting
// it would pass the same three handles to every piece.
fn write_config(doc: &mut DocumentMut, config: &ConfigEdit<'_>, changes: &mut Vec<String>) {
    let owner = if doc.contains_key("workspace") || !doc.contains_key("package") {
        "workspace"
    } else {
        "package"
    };
    let table = doc.entry(owner).or_insert(Item::Table(Table::new()));
    let Some(table) = table.as_table_like_mut() else {
        return;
    };
    let metadata = table.entry("metadata").or_insert(implicit_table());
    let Some(windlass) = metadata
        .as_table_like_mut()
        .map(|m| m.entry("windlass").or_insert(implicit_table()))
        .and_then(Item::as_table_like_mut)
    else {
        return;
    };
    let mut section = |name: &str, keys: Vec<(&str, Item)>, why: String| {
        if keys.is_empty() {
            return;
        }
        let item = windlass.entry(name).or_insert(Item::Table(Table::new()));
        let Some(table) = item.as_table_like_mut() else {
            return;
        };
        let mut wrote = Vec::new();
        for (key, item) in keys {
            if !table.contains_key(key) {
                let shown = item.as_value().map(|v| v.to_string()).unwrap_or_default();
                wrote.push(format!("{key} = {}", shown.trim()));
                table.insert(key, item);
            }
        }
        if !wrote.is_empty() {
            changes.push(match why.is_empty() {
                true => format!("[{name}] {}", wrote.join(", ")),
                false => format!("[{name}] {} ({why})", wrote.join(", ")),
            });
        }
    };
    let steps: Array = config.ci_steps.iter().map(String::as_str).collect();
    section(CI_SECTION, vec![("steps", value(steps))], String::new());
    let conventions = config.conventions;
    let mut fmt_keys = Vec::new();
    let mut fmt_why = Vec::new();
    if let Some(rule) = &conventions.fmt {
        fmt_keys.extend(rule_keys(rule, "rustfmt-args"));
        fmt_why.push(format!("as {} runs it", rule.source));
    }
    let nightly_for_config = conventions
        .fmt
        .as_ref()
        .is_none_or(|r| r.toolchain.is_none());
    if let (true, Some(why)) = (nightly_for_config, &conventions.unstable_rustfmt) {
        fmt_keys.push(("toolchain", value("nightly")));
        fmt_why.push(format!(
            "nightly: {why}, options only nightly rustfmt applies"
        ));
    }
    if let Some(path) = &conventions.rustfmt_config {
        fmt_keys.push(("config-path", value(path.as_str())));
        fmt_why.push(format!("{path}, which rustfmt does not find by itself"));
    }
    section(windlass_checks::fmt::NAME, fmt_keys, fmt_why.join("; "));
    if let Some(rule) = &conventions.clippy {
        let mut keys: Vec<(&str, Item)> = rule
            .toolchain
            .iter()
            .map(|t| ("toolchain", value(t.as_str())))
            .collect();
        for (flag, key) in [
            ("--all-features", "all-features"),
            ("--no-default-features", "no-default-features"),
        ] {
            if rule.args.iter().any(|a| a == flag) {
                keys.push((key, value(true)));
            }
        }
        section(
            windlass_checks::lint::NAME,
            keys,
            format!("as {} runs clippy", rule.source),
        );
    }
}

/// A rule's toolchain and arguments as config keys.
fn rule_keys(rule: &ToolRule, tool_args_key: &'static str) -> Vec<(&'static str, Item)> {
    let mut keys = Vec::new();
    if let Some(toolchain) = &rule.toolchain {
        keys.push(("toolchain", value(toolchain.as_str())));
    }
    if !rule.args.is_empty() {
        keys.push((
            "args",
            value(rule.args.iter().map(String::as_str).collect::<Array>()),
        ));
    }
    if !rule.tool_args.is_empty() {
        keys.push((
            tool_args_key,
            value(rule.tool_args.iter().map(String::as_str).collect::<Array>()),
        ));
    }
    keys
}

/// The build `release --artifacts --profile staging` ships to staging: release code with
/// its debug symbols, for readable backtraces there.
fn add_staging_profile(doc: &mut DocumentMut, changes: &mut Vec<String>) {
    let profile = doc.entry("profile").or_insert(implicit_table());
    let Some(profile) = profile.as_table_mut() else {
        return;
    };
    if profile.contains_key("staging") {
        return;
    }
    let mut staging = Table::new();
    staging.insert("inherits", value("release"));
    staging.insert("debug", value(true));
    profile.insert("staging", Item::Table(staging));
    changes.push("[profile.staging] (release code with debug symbols)".into());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edited(text: &str, conventions: &Conventions) -> (String, Vec<String>) {
        let mut doc: DocumentMut = text.parse().unwrap();
        let steps = vec!["fmt-check".to_string(), "lint".to_string()];
        let changes = edit(
            &mut doc,
            &ConfigEdit {
                ci_steps: &steps,
                conventions,
                xtask_standalone: true,
            },
        );
        (doc.to_string(), changes)
    }

    #[test]
    fn a_single_package_keeps_its_config_under_package_metadata_and_gets_no_workspace() {
        let (text, _) = edited(
            "# svc\n[package]\nname = \"svc\" # ours\nversion = \"0.1.0\"\n",
            &Conventions::default(),
        );
        assert!(!text.contains("[workspace"), "{text}");
        assert!(
            text.contains("[package.metadata.windlass.ci]\nsteps = [\"fmt-check\", \"lint\"]"),
            "{text}"
        );
        assert!(text.contains("name = \"svc\" # ours"), "{text}");
        assert!(
            text.contains("[profile.staging]\ninherits = \"release\"\ndebug = true"),
            "{text}"
        );
        assert!(
            !text.contains("[profile.dev"),
            "the project's dev profile is its own: {text}"
        );
    }

    #[test]
    fn member_globs_exclude_the_xtask_and_an_old_xtask_member_goes() {
        let (text, changes) = edited(
            "[workspace]\nmembers = [\"*\", \"xtask\"]\n",
            &Conventions::default(),
        );
        assert!(text.contains("members = [\"*\"]"), "{text}");
        assert!(text.contains("exclude = [\"xtask\"]"), "{text}");
        assert_eq!(changes.len(), 4, "{changes:?}");
        let (text, _) = edited(
            "[workspace]\nmembers = [\"crates/*\"]\n",
            &Conventions::default(),
        );
        assert!(!text.contains("exclude"), "{text}");
    }

    #[test]
    fn the_repositorys_fmt_rule_becomes_the_fmt_check_config_and_its_keys_are_not_overwritten() {
        let conventions = Conventions {
            fmt: Some(ToolRule {
                toolchain: Some("nightly".into()),
                args: vec!["--all".into()],
                tool_args: vec!["--config-path".into(), ".config/rustfmt.toml".into()],
                source: "Makefile:3".into(),
            }),
            ..Conventions::default()
        };
        let (text, changes) = edited("[workspace]\n", &conventions);
        assert!(
            text.contains("[workspace.metadata.windlass.fmt-check]\ntoolchain = \"nightly\"\nargs = [\"--all\"]\nrustfmt-args = [\"--config-path\", \".config/rustfmt.toml\"]"),
            "{text}"
        );
        assert!(
            changes.iter().any(|c| c.contains("Makefile:3")),
            "{changes:?}"
        );
        let (again, changes) = edited(&text, &conventions);
        assert_eq!(again, text);
        assert!(changes.is_empty(), "{changes:?}");
    }
}
