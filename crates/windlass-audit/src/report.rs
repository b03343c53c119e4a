//! Runs the audit's parts and turns what they find into diagnostics and an outcome.

use crate::advisories::{self, Finding, Kind};
use crate::licenses::{self, Declared, Problem};
use crate::lockfile::Lock;
use crate::policy::Policy;
use crate::{Audit, NAME, database, yanked};
use anyhow::Result;
use serde_json::json;
use windlass_core::{Diagnostic, Session, Severity, StepOutcome, Workspace};

/// Counts for the summary line.
#[derive(Default)]
struct Tally {
    failing: usize,
    warnings: usize,
    waived: usize,
    parts: Vec<String>,
}

/// What every part reads.
struct Parts<'a> {
    ws: &'a Workspace,
    lock: &'a Lock,
    policy: &'a Policy,
    waivers: &'a windlass_core::waivers::Waivers,
    /// The packages only windlass brings in, which the workspace's view leaves out.
    left_out: Option<&'a crate::xtask_view::LeftOut>,
}

impl Parts<'_> {
    /// The workspace's resolved graph, as the audit sees it (without the xtask's own tree),
    /// with the features deny.toml's `[graph]` asks for.
    fn metadata(
        &self,
        session: &mut Session,
    ) -> Result<std::borrow::Cow<'_, cargo_metadata::Metadata>> {
        self.metadata_for(session, None)
    }

    /// [`Parts::metadata`] for one target platform (`None`: every target).
    fn metadata_for(
        &self,
        session: &mut Session,
        target: Option<&str>,
    ) -> Result<std::borrow::Cow<'_, cargo_metadata::Metadata>> {
        let mut options = self.policy.graph.feature_options();
        if let Some(target) = target {
            options.extend(["--filter-platform".to_string(), target.to_string()]);
        }
        let options: Vec<&str> = options.iter().map(String::as_str).collect();
        let metadata = if options.is_empty() {
            std::borrow::Cow::Borrowed(self.ws.resolved_metadata(session)?)
        } else {
            std::borrow::Cow::Owned(self.ws.metadata_with(session, &options)?)
        };
        Ok(match self.left_out {
            Some(left_out) => std::borrow::Cow::Owned(left_out.filter_metadata(&metadata)),
            None => metadata,
        })
    }
}

/// A finding a waiver accepts: reported as waived, with the reason, as a notice.
fn waived(mut d: Diagnostic, waiver: &windlass_core::waivers::Waiver) -> Diagnostic {
    d.severity = Severity::Notice;
    d.message = format!("{}\n{}", waiver.describe(), d.message);
    d
}

/// Whether the audit owns the waiver `id` (the secrets scan owns fingerprints), given the
/// parts that run.
fn owns(audit: &Audit, id: &str) -> bool {
    let lower = id.to_ascii_lowercase();
    let scope = audit.scope;
    if lower.starts_with("license:") {
        return scope.licenses;
    }
    if [
        "ban:",
        "duplicate:",
        "wildcard:",
        "not-allowed:",
        "stale-skip:",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
    {
        return scope.bans;
    }
    if lower.starts_with("source:") {
        return scope.sources;
    }
    // An advisory id or one of its aliases.
    scope.advisories && !lower.contains(':')
}

// Long: the audit's parts in order (advisories, yanked, licences, bans) with the waivers, the tally
// and the one outcome they share.
pub(crate) fn run(audit: &Audit, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
    let waivers = windlass_core::waivers::Waivers::load(ws)?.owned_by(|id| owns(audit, id));
    let policy = Policy::load(&ws.root.join(&audit.policy))?;
    let lock = match &audit.bin {
        Some(binary) => {
            let contents = crate::binary::read(binary)?;
            session.message(
                Severity::Notice,
                format!("auditing {}: {}", ws.display_path(binary), contents.from),
            );
            Lock::from_text(binary, &contents.lockfile)?
        }
        None => {
            let lock_path = audit
                .file
                .clone()
                .unwrap_or_else(|| ws.root.join("Cargo.lock"));
            if audit.file.is_none() && !lock_path.exists() {
                generate_lockfile(audit, session)?;
            }
            Lock::load(&lock_path)?
        }
    };
    let left_out = if audit.file.is_none() && audit.bin.is_none() && !audit.include_xtask {
        crate::xtask_view::xtask_only(ws, session, &lock)?
    } else {
        None
    };
    let lock = match &left_out {
        Some(left_out) => {
            session.message(
                Severity::Notice,
                format!(
                    "left out {} that only windlass, the dependency of {}, brings in: the xtask's automation, not the project's dependencies (--include-xtask audits them)",
                    match left_out.packages.len() {
                        1 => "the 1 package".to_string(),
                        n => format!("{n} packages"),
                    },
                    left_out.xtasks.join(", ")
                ),
            );
            lock.without(|p| left_out.contains(p.name.as_str(), &p.version.to_string()))
        }
        None => lock,
    };
    let mut tally = Tally::default();
    let parts = Parts {
        ws,
        lock: &lock,
        policy: &policy,
        waivers: &waivers,
        left_out: left_out.as_ref(),
    };
    if !policy.graph.unapplied.is_empty() {
        let keys: Vec<&str> = policy.graph.unapplied.keys().map(String::as_str).collect();
        session.message(
            Severity::Notice,
            format!(
                "[graph] {} in {}: not applied by windlass (targets, features, all-features, no-default-features, exclude-dev and exclude-unpublished are)",
                keys.join(", "),
                audit.policy.display()
            ),
        );
    }

    if audit.scope.advisories {
        advisories_part(audit, &parts, session, &mut tally)?;
        if audit.yanked {
            yanked_part(audit, ws, session, &lock, &mut tally)?;
        }
    }
    if audit.scope.licenses {
        licenses_part(audit, &parts, session, &mut tally)?;
    }
    if audit.scope.bans || audit.scope.sources {
        bans_part(audit, &parts, session, &mut tally)?;
    }
    tally.failing += waivers.report(session, NAME, audit.denies("warnings"));
    if tally.waived > 0 {
        tally.parts.push(format!("{} waived", tally.waived));
    }

    let summary = tally.parts.join("; ");
    if tally.failing > 0 {
        let mut fix = "upgrade the dependencies named above (`cargo update -p NAME`)".to_string();
        if tally.warnings > 0 {
            fix.push_str(", or review and ignore an advisory in deny.toml with a reason");
        }
        Ok(StepOutcome::failed(summary, fix))
    } else {
        Ok(StepOutcome::passed(summary))
    }
}

/// A workspace without `Cargo.lock` (a library, say) gets one, as cargo-audit does: the
/// audit is of what a build would resolve today.
fn generate_lockfile(audit: &Audit, session: &mut Session) -> Result<()> {
    session.message(
        Severity::Notice,
        "no Cargo.lock: generating one to audit what a build would use",
    );
    let sh = session.shell();
    let mut cmd = sh.cmd("cargo").arg("generate-lockfile");
    if !audit.db.fetch {
        cmd = cmd.arg("--offline");
    }
    let finished = session.run(cmd, windlass_core::runner::Capture::Everything)?;
    if !finished.success() {
        return Err(windlass_core::UsageError::new(format!(
            "no Cargo.lock, and `cargo generate-lockfile` failed:\n{}",
            finished.stderr.trim()
        ))
        .hint("run `cargo generate-lockfile` where the crate registry can be reached, or pass --file PATH")
        .into());
    }
    Ok(())
}

// Long: the advisory scan, its ignores and its stale ignores report into one tally, finding by
// finding.
fn advisories_part(
    audit: &Audit,
    parts: &Parts<'_>,
    session: &mut Session,
    tally: &mut Tally,
) -> Result<()> {
    let (ws, lock, policy) = (parts.ws, parts.lock, parts.policy);
    let mut db = crate::snapshot::open(session, ws, audit)?;
    // cargo-deny's view by default: the packages the workspace's enabled features and all
    // its targets pull in, as `[graph]` narrows them; not every entry of the lockfile.
    let in_build = if audit.lockfile_wide {
        None
    } else {
        in_scope(audit, parts, session)?
    };
    let scan = advisories::scan_only(&mut db, lock, &policy.ignore, &|package| {
        in_build.as_ref().is_none_or(|set| {
            set.contains(&(package.name.to_string(), package.version.to_string()))
        })
    })?;
    let with_details = session.wants_details();
    let (mut vulnerabilities, mut warnings) = (0, 0);
    let direct = direct_dependencies(audit, parts, session)?;
    let mut out_of_reach = 0;
    for finding in &scan.findings {
        // cargo-deny's `unmaintained`/`unsound` reach: whose crates those kinds are about.
        let reach = match finding.kind {
            Kind::Unmaintained => policy.unmaintained,
            Kind::Unsound => policy.unsound,
            _ => crate::policy::Reach::All,
        };
        if let Some(direct) = &direct
            && !reach.reaches(direct.contains(&(
                finding.package.name.to_string(),
                finding.package.version.to_string(),
            )))
        {
            out_of_reach += 1;
            continue;
        }
        let ids = finding.shown.ids();
        if let Some(waiver) = parts.waivers.waives(&ids) {
            tally.waived += 1;
            session.diagnostic(waived(
                advisory_diagnostic(ws, lock, finding, false, with_details),
                waiver,
            ));
            continue;
        }
        let fails = finding.kind == Kind::Vulnerability || audit.denies(finding.kind.as_str());
        if finding.kind == Kind::Vulnerability {
            vulnerabilities += 1;
        } else {
            warnings += 1;
        }
        if fails {
            tally.failing += 1;
        } else {
            tally.warnings += 1;
        }
        session.diagnostic(advisory_diagnostic(ws, lock, finding, fails, with_details));
    }
    if out_of_reach > 0 {
        session.message(
            Severity::Notice,
            format!(
                "{out_of_reach} unmaintained or unsound advisory(ies) about crates outside their reach in {} (`unmaintained`, `unsound`: all, workspace, transitive, none) not reported",
                audit.policy.display()
            ),
        );
    }
    for (id, package) in &scan.ignored {
        session.message(
            Severity::Notice,
            format!("{id} ({package}) is ignored by {}", audit.policy.display()),
        );
    }
    for stale in &scan.stale {
        let known = db.knows(
            &stale
                .id
                .parse()
                .unwrap_or_else(|_| rustsec::advisory::Id::default()),
        );
        let why = if known {
            "no longer matches any dependency"
        } else {
            "is not in the advisory database"
        };
        let fails = audit.denies("warnings");
        let mut d = Diagnostic::new(
            NAME,
            if fails {
                Severity::Error
            } else {
                Severity::Warning
            },
            crate::codes::STALE_IGNORE,
            format!(
                "the ignored advisory {} {why}; remove it from {}",
                stale.id,
                audit.policy.display()
            ),
        );
        if let Some(path) = &policy.path {
            d = d.at(ws.display_path(path), policy.line_of(&stale.id), None);
        }
        session.diagnostic(d);
        if fails {
            tally.failing += 1;
        } else {
            tally.warnings += 1;
        }
    }
    let age = db
        .age
        .map(|a| format!(", database {} old", database::human_age(a)))
        .unwrap_or_default();
    tally.parts.push(format!(
        "{} {}, {} {} in {} {}{age}",
        vulnerabilities,
        if vulnerabilities == 1 {
            "vulnerability"
        } else {
            "vulnerabilities"
        },
        warnings,
        if warnings == 1 { "warning" } else { "warnings" },
        scan.checked,
        if scan.checked == 1 {
            "package"
        } else {
            "packages"
        }
    ));
    Ok(())
}

fn advisory_diagnostic(
    ws: &Workspace,
    lock: &Lock,
    finding: &Finding,
    fails: bool,
    with_details: bool,
) -> Diagnostic {
    let shown = &finding.shown;
    let package = &finding.package;
    let path = lock.dependency_path(package);
    let mut message = format!("{} {}: {}", package.name, package.version, shown.title);
    if finding.kind != Kind::Vulnerability {
        message.push_str(&format!(" ({})", finding.kind.as_str()));
    }
    if !shown.aliases.is_empty() {
        message.push_str(&format!("\naliases: {}", shown.aliases.join(", ")));
    }
    if let Some(severity) = &shown.severity {
        message.push_str(&format!("\nseverity: {severity}"));
    }
    message.push_str(&format!(
        "\nfixed in: {}",
        if shown.patched.is_empty() {
            "no fixed version yet".to_string()
        } else {
            shown.patched.join(", ")
        }
    ));
    message.push_str(&format!("\npath: {}", path.join(" → ")));
    if path.len() > 2 {
        message.push_str(&format!(
            "\nupgrade: {} (the direct dependency of {})",
            path[1], path[0]
        ));
    }
    if let Some(url) = &shown.url {
        message.push_str(&format!("\n{url}"));
    }
    let severity = if fails {
        Severity::Error
    } else {
        Severity::Warning
    };
    let d = Diagnostic::new(
        NAME,
        severity,
        crate::codes::ADVISORY.member(shown.id.clone()),
        message,
    )
    .at(ws.display_path(&lock.path), lock.line_of(package), None);
    let (true, Some(advisory)) = (with_details, &finding.advisory) else {
        return d;
    };
    d.details(json!({
        "kind": finding.kind,
        "advisory": advisory.metadata,
        "versions": advisory.versions,
        "affected": advisory.affected,
        "package": package,
        "dependency_path": path,
    }))
}

fn yanked_part(
    audit: &Audit,
    ws: &Workspace,
    session: &mut Session,
    lock: &Lock,
    tally: &mut Tally,
) -> Result<()> {
    let scan = yanked::scan(session, lock, audit.db.fetch)?;
    let fails = audit.denies("yanked");
    for package in &scan.yanked {
        let d = Diagnostic::new(
            NAME,
            if fails {
                Severity::Error
            } else {
                Severity::Warning
            },
            crate::codes::YANKED,
            format!(
                "{} {} is yanked from the crate registry; update it with `cargo update -p {}`",
                package.name, package.version, package.name
            ),
        )
        .at(ws.display_path(&lock.path), lock.line_of(package), None)
        .details(json!({"kind": "yanked", "package": package}));
        session.diagnostic(d);
    }
    if fails {
        tally.failing += scan.yanked.len();
    } else {
        tally.warnings += scan.yanked.len();
    }
    if !scan.unknown.is_empty() {
        session.message(
            Severity::Warning,
            format!(
                "could not check {} packages for yanked versions (not in cargo's local index cache): {}",
                scan.unknown.len(),
                scan.unknown.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
            ),
        );
    }
    tally.parts.push(format!("{} yanked", scan.yanked.len()));
    Ok(())
}

// Long: each licence problem is a match arm with its message; the arms are the function's length.
fn licenses_part(
    audit: &Audit,
    parts: &Parts<'_>,
    session: &mut Session,
    tally: &mut Tally,
) -> Result<()> {
    let (ws, lock, policy) = (parts.ws, parts.lock, parts.policy);
    let Some(rules) = &policy.licenses else {
        session.message(
            Severity::Notice,
            format!(
                "no [licenses] policy in {}: licences not checked",
                audit.policy.display()
            ),
        );
        return Ok(());
    };
    if audit.file.is_some() || audit.bin.is_some() {
        session.message(
            Severity::Notice,
            "licences are checked for a workspace, not for a lone lockfile or binary",
        );
        return Ok(());
    }
    let metadata = parts.metadata(session)?;
    let mut refused = 0;
    // The workspace's own crates are its authors' to license (a service is often never
    // published): the policy is about what the workspace depends on.
    let scope = in_scope(audit, parts, session)?;
    let mut packages: Vec<_> = metadata
        .packages
        .iter()
        .filter(|p| !metadata.workspace_members.contains(&p.id))
        .filter(|p| {
            scope
                .as_ref()
                .is_none_or(|s| s.contains(&(p.name.to_string(), p.version.to_string())))
        })
        .collect();
    packages.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    for package in &packages {
        let declared = Declared {
            name: package.name.as_str(),
            version: package.version.to_string(),
            license: package.license.as_deref(),
            license_file: package.license_file.is_some(),
            dir: package.manifest_path.parent().map(|d| d.as_std_path()),
        };
        let Some(problem) = licenses::check(rules, &declared) else {
            continue;
        };
        let mut ids = vec![format!("license:{}", package.name)];
        if let Problem::NotAllowed { refused, .. } = &problem {
            ids.extend(
                refused
                    .iter()
                    .map(|l| format!("license:{l}@{}", package.name)),
            );
        }
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let waiver = parts.waivers.waives(&ids);
        if waiver.is_none() {
            refused += 1;
        }
        let (title, message) = match &problem {
            Problem::NotAllowed {
                expression,
                refused,
            } => (
                crate::codes::LICENCE_NOT_ALLOWED,
                format!(
                    "{} {} is licensed `{expression}`; not allowed: {}",
                    package.name,
                    package.version,
                    refused.join(", ")
                ),
            ),
            Problem::Unknown { license_file: true } => (
                crate::codes::LICENCE_UNKNOWN,
                format!(
                    "{} {} has only a licence file; clarify it or add an exception in {}",
                    package.name,
                    package.version,
                    audit.policy.display()
                ),
            ),
            Problem::Unknown {
                license_file: false,
            } => (
                crate::codes::LICENCE_MISSING,
                format!("{} {} declares no licence", package.name, package.version),
            ),
            Problem::Invalid { expression, reason } => (
                crate::codes::LICENCE_INVALID,
                format!(
                    "{} {}: `{expression}` is not a valid SPDX expression: {reason}",
                    package.name, package.version
                ),
            ),
        };
        let line = lock
            .lockfile
            .packages
            .iter()
            .find(|p| {
                p.name.as_str() == package.name.as_str()
                    && p.version.to_string() == package.version.to_string()
            })
            .and_then(|p| lock.line_of(p));
        let d = Diagnostic::new(NAME, Severity::Error, title, message)
            .at(ws.display_path(&lock.path), line, None)
            .details(json!({
                "kind": "license",
                "package": {"name": package.name.as_str(), "version": package.version.to_string()},
                "license": package.license,
            }));
        match waiver {
            Some(waiver) => {
                tally.waived += 1;
                session.diagnostic(waived(d, waiver));
            }
            None => session.diagnostic(d),
        }
    }
    tally.failing += refused;
    tally.parts.push(format!(
        "licences: {} of {} packages refused",
        refused,
        packages.len()
    ));
    Ok(())
}

/// The packages (name, version) the checks look at: those reached from the workspace members
/// in the resolved graph (the enabled features, every target), as deny.toml's `[graph]`
/// `exclude-dev` and `exclude-unpublished` narrow them; `None` for a lone lockfile or binary.
fn in_scope(
    audit: &Audit,
    parts: &Parts<'_>,
    session: &mut Session,
) -> Result<Option<std::collections::HashSet<(String, String)>>> {
    if audit.file.is_some() || audit.bin.is_some() {
        return Ok(None);
    }
    let scope = &parts.policy.graph;
    let targets: Vec<Option<&str>> = if scope.targets.is_empty() {
        vec![None]
    } else {
        scope.targets.iter().map(|t| Some(t.triple())).collect()
    };
    // What any of the targets builds.
    let mut found = std::collections::HashSet::new();
    for target in targets {
        let metadata = parts.metadata_for(session, target)?;
        let graph = crate::graph::Graph::from_metadata(metadata.as_ref());
        found.extend(
            graph
                .reached(scope.exclude_unpublished, scope.exclude_dev)
                .into_iter()
                .map(|i| {
                    (
                        graph.nodes[i].name.clone(),
                        graph.nodes[i].version.to_string(),
                    )
                }),
        );
    }
    Ok(Some(found))
}

/// The workspace members' direct dependencies (name, version), which cargo-deny's
/// `workspace` reach means; `None` for a lone lockfile or binary and lockfile-wide (as
/// cargo-audit reads it), whose every finding is in reach.
fn direct_dependencies(
    audit: &Audit,
    parts: &Parts<'_>,
    session: &mut Session,
) -> Result<Option<std::collections::HashSet<(String, String)>>> {
    let policy = parts.policy;
    let all = crate::policy::Reach::All;
    if audit.file.is_some()
        || audit.bin.is_some()
        || audit.lockfile_wide
        || (policy.unmaintained == all && policy.unsound == all)
    {
        return Ok(None);
    }
    let graph = crate::graph::Graph::from_metadata(parts.metadata(session)?.as_ref());
    Ok(Some(
        graph
            .nodes
            .iter()
            .filter(|n| n.member)
            .flat_map(|n| n.deps.iter().map(|(i, _)| &graph.nodes[*i]))
            .map(|n| (n.name.clone(), n.version.to_string()))
            .collect(),
    ))
}

/// `[bans]` and `[sources]` over the graph cargo resolves (a lone lockfile's own graph with
/// `--file`), each finding at its package's `Cargo.lock` line with its dependency path.
// Long: [bans] and [sources] share the graph, the policy's line lookup and the tally; each
// finding's diagnostic is built where its rule is known.
fn bans_part(
    audit: &Audit,
    parts: &Parts<'_>,
    session: &mut Session,
    tally: &mut Tally,
) -> Result<()> {
    let (ws, lock, policy) = (parts.ws, parts.lock, parts.policy);
    let bans = policy.bans.as_ref().filter(|_| audit.scope.bans);
    // A binary records no source URLs: its sources cannot be judged.
    let sources = policy
        .sources
        .as_ref()
        .filter(|_| audit.scope.sources && audit.bin.is_none());
    for (wanted, present, section) in [
        (audit.scope.bans, bans.is_some(), "bans"),
        (audit.scope.sources, sources.is_some(), "sources"),
    ] {
        if wanted && !present {
            session.message(
                Severity::Notice,
                format!(
                    "no [{section}] policy in {}: {section} not checked",
                    audit.policy.display()
                ),
            );
        }
    }
    if bans.is_none() && sources.is_none() {
        return Ok(());
    }
    let graph = if audit.file.is_some() || audit.bin.is_some() {
        crate::graph::Graph::from_lock(lock)
    } else {
        crate::graph::Graph::from_metadata(parts.metadata(session)?.as_ref())
    };
    let mut findings = Vec::new();
    if let Some(bans) = bans {
        findings.extend(bans.check(&graph).into_iter().map(|f| ("bans", f)));
    }
    if let Some(sources) = sources {
        findings.extend(sources.check(&graph).into_iter().map(|f| ("sources", f)));
    }
    let (mut failing, mut warnings) = (0, 0);
    for (section, finding) in &findings {
        let waiver = parts.waivers.waives(&[finding.id.as_str()]);
        let fails = waiver.is_none()
            && (finding.level == crate::bans::Level::Deny
                || audit.denies("warnings")
                || audit.denies(section));
        if waiver.is_some() {
            tally.waived += 1;
        } else if fails {
            failing += 1;
        } else {
            warnings += 1;
        }
        let config_line = policy.line_of_entry(section, &finding.config);
        let config_at = match (&policy.path, config_line) {
            (Some(path), Some(line)) => format!("{}:{line}", ws.display_path(path)),
            (Some(path), None) => ws.display_path(path),
            (None, _) => audit.policy.display().to_string(),
        };
        let mut message = format!(
            "{}\nrule: [{section}] {} ({config_at})",
            finding.message, finding.config
        );
        let package = finding.node.map(|i| &graph.nodes[i]);
        let locked = package.and_then(|node| {
            lock.lockfile
                .packages
                .iter()
                .find(|p| p.name.as_str() == node.name && p.version == node.version)
        });
        if let Some(locked) = locked {
            let path = lock.dependency_path(locked);
            if path.len() > 1 {
                message.push_str(&format!("\npath: {}", path.join(" → ")));
            }
        }
        let mut d = Diagnostic::new(
            NAME,
            if fails {
                Severity::Error
            } else {
                Severity::Warning
            },
            crate::codes::POLICY.member(finding.id.clone()),
            message,
        )
        .details(json!({
            "kind": section.trim_end_matches('s'),
            "id": finding.id,
            "package": package.map(|n| json!({"name": n.name, "version": n.version.to_string(), "source": n.source})),
            "rule": finding.config,
        }));
        d = match (locked, &policy.path) {
            (Some(locked), _) => d.at(ws.display_path(&lock.path), lock.line_of(locked), None),
            (None, Some(path)) => d.at(ws.display_path(path), config_line, None),
            (None, None) => d,
        };
        session.diagnostic(match waiver {
            Some(waiver) => waived(d, waiver),
            None => d,
        });
    }
    tally.failing += failing;
    tally.warnings += warnings;
    let mut part = Vec::new();
    if bans.is_some() {
        part.push(format!(
            "bans: {} finding(s)",
            findings.iter().filter(|(s, _)| *s == "bans").count()
        ));
    }
    if sources.is_some() {
        part.push(format!(
            "sources: {} finding(s)",
            findings.iter().filter(|(s, _)| *s == "sources").count()
        ));
    }
    tally.parts.push(format!(
        "{} in {} packages",
        part.join(", "),
        graph.nodes.len()
    ));
    Ok(())
}
