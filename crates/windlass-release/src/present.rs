//! The release plan as people and scripts see it: the text of the dry run, and the same as
//! JSON details for `--format json`.

use crate::config::ReleaseConfig;
use crate::plan::Plan;
use crate::{Options, artifacts, changelog, checks, execute, git, publish, sbom};
use anyhow::Result;
use windlass_core::{Session, Workspace};

/// The plan as data, for `--format json`.
pub fn details(ws: &Workspace, plan: &Plan) -> serde_json::Value {
    serde_json::json!({
        "old": plan.old.to_string(),
        "version": plan.version.to_string(),
        "level": plan.level.map(|l| l.to_string()),
        "tag": plan.tag,
        "previous-tag": plan.previous_tag,
        "commits": plan.commit_count,
        "crates": plan.bumps.iter().map(|b| serde_json::json!({
            "name": b.member.name,
            "old": b.member.version.to_string(),
            "new": b.new.to_string(),
            "inherited": b.inherited,
        })).collect::<Vec<_>>(),
        "files": plan.edits.iter().map(|e| ws.display_path(&e.path)).collect::<Vec<_>>(),
        "changelog": plan.notes.render(),
        "commit-message": plan.commit_message,
        "branch": plan.branch,
    })
}

/// Prints the plan, as the dry run shows it and `--execute` follows it.
// Long: the dry run's text, section by section, as the user reads it.
pub fn show(
    ws: &Workspace,
    session: &mut Session,
    config: &ReleaseConfig,
    options: &Options,
    plan: &Plan,
) -> Result<()> {
    let how = match plan.level {
        Some(level) => level.to_string(),
        None => "explicit version".into(),
    };
    let since = plan
        .previous_tag
        .as_deref()
        .map_or_else(|| "the first commit".to_string(), str::to_string);
    let mut lines = vec![format!(
        "release {} → {} ({how}; {} commit(s) since {since})",
        plan.old, plan.version, plan.commit_count
    )];
    let width = plan
        .bumps
        .iter()
        .map(|b| b.member.name.len())
        .max()
        .unwrap_or(0);
    lines.push("  versions:".into());
    for bump in &plan.bumps {
        lines.push(format!(
            "    {:width$}  {} → {}{}",
            bump.member.name,
            bump.member.version,
            bump.new,
            if bump.inherited {
                "  (workspace.package)"
            } else {
                ""
            }
        ));
    }
    let mut files: Vec<String> = plan
        .edits
        .iter()
        .map(|e| ws.display_path(&e.path))
        .collect();
    if ws.root.join("Cargo.lock").is_file() {
        files.push(ws.display_path(&ws.root.join("Cargo.lock")));
    }
    if let Some((path, _)) = &plan.changelog {
        files.push(ws.display_path(path));
    }
    lines.push(format!("  files: {}", files.join(", ")));
    if let Some((path, _)) = &plan.changelog {
        lines.push(format!(
            "  changelog: {}, new section:",
            ws.display_path(path)
        ));
        lines.push(format!(
            "    {}",
            changelog::heading(&plan.version.to_string(), &plan.date)
        ));
        let body = plan.notes.render();
        for line in body.lines().filter(|l| !l.is_empty()) {
            lines.push(format!("    {line}"));
        }
    }
    if !options.skip_ci && !options.ci_steps.is_empty() {
        lines.push(format!(
            "  ci first{}: {}",
            if options.execute {
                ""
            } else {
                " (with --execute)"
            },
            options.ci_steps.join(", ")
        ));
    }
    lines.push(format!("  commit: \"{}\"", plan.commit_message));
    lines.push(format!("  tag: {} (annotated)", plan.tag));
    if options.artifacts {
        let bins = execute::bins(ws, session, config)?;
        let target = match &options.build_target {
            Some(t) => t.clone(),
            None => artifacts::host_target(session)?,
        };
        let profile = options.profile.as_deref().unwrap_or(&config.profile);
        let dir = execute::artifacts_dir(ws, config, &plan.version.to_string());
        lines.push(format!(
            "  artifacts (profile {profile}) in {}:",
            ws.display_path(&dir)
        ));
        for bin in &bins {
            let stem = artifacts::stem(&bin.name, &plan.version.to_string(), &target);
            lines.push(format!(
                "    {stem}.tar.gz, {stem}.cdx.json (CycloneDX {})",
                sbom::SPEC_VERSION
            ));
        }
        lines.push("    SHA256SUMS".into());
    } else {
        lines.push("  artifacts: none (--artifacts builds them)".into());
    }
    if options.push {
        let remote = git::remote(session, plan.branch.as_deref())?;
        lines.push(format!(
            "  push: {} and {} to {}",
            plan.branch.as_deref().unwrap_or("HEAD"),
            plan.tag,
            remote.as_deref().unwrap_or("(no remote)")
        ));
    } else {
        lines.push("  push: no (--push pushes the branch and the tag)".into());
    }
    if options.publish {
        let members = ws.members(session)?;
        let order = publish::order(&members)?;
        let skipped: Vec<&str> = members
            .iter()
            .map(|p| p.name.as_str())
            .filter(|n| !order.iter().any(|o| o == n))
            .collect();
        lines.push(format!(
            "  publish, in this order: {}{}",
            if order.is_empty() {
                "nothing".into()
            } else {
                order.join(", ")
            },
            if skipped.is_empty() {
                String::new()
            } else {
                format!(" (publish = false: {})", skipped.join(", "))
            }
        ));
    }
    crate::say(session, checks::STEP, lines.join("\n"));
    Ok(())
}
