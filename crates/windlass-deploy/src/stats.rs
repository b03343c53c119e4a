//! `deploy --stats`: an environment's delivery metrics from its deploy log — the four the
//! DORA research tracks (deployment frequency, change failure rate, time to restore, lead time
//! from commit to live) with the deploy duration — as a table and a per-week chart, as JSON,
//! or in Prometheus's text exposition (for node-exporter's textfile collector or a
//! pushgateway), so the same Prometheus that gates deploys can chart them.

use anyhow::Result;
use serde::Serialize;
use std::path::Path;
use windlass_core::UsageError;
use windlass_core::time::parse_rfc3339;

/// One deploy, as the log recorded it.
#[derive(Debug, Clone, PartialEq)]
struct Deploy {
    start: u64,
    total_ms: u64,
    result: String,
    rolled_back: bool,
    /// From the release going live to the previous one serving again (a rollback).
    restore_ms: Option<u64>,
    commit_time: Option<u64>,
}

/// The metrics.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Metrics {
    /// The environment.
    pub environment: String,
    /// Deploys recorded.
    pub deploys: usize,
    /// Those that went live and stayed.
    pub succeeded: usize,
    /// Those rolled back automatically.
    pub rolled_back: usize,
    /// Those that failed without a healthy release after them.
    pub failed: usize,
    /// Successful deploys per week over the span of the log.
    pub per_week: f64,
    /// (rolled back + failed) / deploys.
    pub change_failure_rate: f64,
    /// Median time from a failed release going live to a healthy one serving, seconds.
    pub median_time_to_restore_s: Option<f64>,
    /// Median time from commit to live, seconds.
    pub median_lead_time_s: Option<f64>,
    /// Median duration of a successful deploy, seconds.
    pub median_duration_s: Option<f64>,
    /// Each week (its Monday), with its deploys and failures.
    pub weeks: Vec<Week>,
    /// Last success, seconds since the epoch.
    pub last_success: Option<u64>,
}

/// One week of deploys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Week {
    /// Its Monday, `YYYY-MM-DD`.
    pub starting: String,
    /// Deploys in it.
    pub deploys: usize,
    /// Of those, rolled back or failed.
    pub failures: usize,
}

/// Reads the log at `log` (bounded; a device or pipe is refused).
fn read(log: &Path) -> Result<Vec<Deploy>> {
    if !log.exists() {
        return Err(
            UsageError::new(format!("no deploy log at {}", log.display()))
                .hint("deploy first: every deploy appends to it")
                .into(),
        );
    }
    let text = windlass_core::files::read_text(log)?;
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["kind"] == crate::names::DEPLOY)
        .filter_map(|v| {
            let ms = |key: &str| v["durations_ms"][key].as_u64().unwrap_or(0);
            let total_ms = v["total_ms"].as_u64()?;
            let rolled_back = v["rolled_back"] == true;
            Some(Deploy {
                start: parse_rfc3339(v["start"].as_str()?)?,
                total_ms,
                result: v["result"].as_str()?.to_string(),
                rolled_back,
                restore_ms: rolled_back
                    .then(|| total_ms.saturating_sub(ms("build") + ms("validate") + ms("copy"))),
                commit_time: v["commit_time"].as_u64(),
            })
        })
        .collect())
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied()
}

/// The metrics of the log at `log`.
pub fn metrics(environment: &str, log: &Path) -> Result<Metrics> {
    let deploys = read(log)?;
    let mut m = Metrics {
        environment: environment.to_string(),
        deploys: deploys.len(),
        ..Metrics::default()
    };
    if deploys.is_empty() {
        return Ok(m);
    }
    m.succeeded = deploys.iter().filter(|d| d.result == "success").count();
    m.rolled_back = deploys.iter().filter(|d| d.result == "rolled_back").count();
    m.failed = deploys.len() - m.succeeded - m.rolled_back;
    m.change_failure_rate = (m.rolled_back + m.failed) as f64 / deploys.len() as f64;
    let first = deploys.iter().map(|d| d.start).min().unwrap_or(0);
    let last = deploys.iter().map(|d| d.start).max().unwrap_or(0);
    let weeks = ((last - first) as f64 / (7.0 * 86_400.0)).max(1.0);
    m.per_week = m.succeeded as f64 / weeks;
    let end = |d: &Deploy| d.start * 1000 + d.total_ms;
    // A failure restores when its own rollback brings the previous release back, or (nothing
    // to go back to) when the next deploy succeeds.
    let mut restores = Vec::new();
    for (i, d) in deploys.iter().enumerate() {
        match (d.result.as_str(), d.restore_ms) {
            ("rolled_back", Some(ms)) => restores.push(ms as f64 / 1000.0),
            ("success", _) => {}
            _ => {
                if let Some(next) = deploys[i + 1..].iter().find(|n| n.result == "success") {
                    restores.push((end(next).saturating_sub(d.start * 1000)) as f64 / 1000.0);
                }
            }
        }
    }
    m.median_time_to_restore_s = median(restores);
    let successes: Vec<&Deploy> = deploys.iter().filter(|d| d.result == "success").collect();
    m.median_lead_time_s = median(
        successes
            .iter()
            .filter_map(|d| Some((end(d).saturating_sub(d.commit_time? * 1000)) as f64 / 1000.0))
            .collect(),
    );
    m.median_duration_s = median(
        successes
            .iter()
            .map(|d| d.total_ms as f64 / 1000.0)
            .collect(),
    );
    m.last_success = successes.iter().map(|d| d.start).max();
    let mut weeks: Vec<(i64, usize, usize)> = Vec::new();
    for d in &deploys {
        let day = i64::try_from(d.start / 86_400).unwrap_or(0);
        // 1970-01-01 was a Thursday: Monday is three days before.
        let monday = day - (day + 3).rem_euclid(7);
        let failed = usize::from(d.result != "success");
        match weeks.iter_mut().find(|w| w.0 == monday) {
            Some(w) => {
                w.1 += 1;
                w.2 += failed;
            }
            None => weeks.push((monday, 1, failed)),
        }
    }
    weeks.sort_unstable();
    m.weeks = weeks
        .into_iter()
        .map(|(monday, deploys, failures)| Week {
            starting: windlass_core::time::civil(
                std::time::UNIX_EPOCH
                    + std::time::Duration::from_secs(u64::try_from(monday).unwrap_or(0) * 86_400),
            )
            .0,
            deploys,
            failures,
        })
        .collect();
    Ok(m)
}

fn seconds(s: Option<f64>) -> String {
    match s {
        None => "-".into(),
        Some(s) if s < 120.0 => format!("{s:.1}s"),
        Some(s) if s < 7200.0 => format!("{:.1}m", s / 60.0),
        Some(s) if s < 172_800.0 => format!("{:.1}h", s / 3600.0),
        Some(s) => format!("{:.1}d", s / 86_400.0),
    }
}

/// The table and the chart, for people.
pub fn table(m: &Metrics) -> String {
    if m.deploys == 0 {
        return "no deploys yet".into();
    }
    let mut out = format!(
        "{} deploys of {}: {} succeeded, {} rolled back, {} failed\n\
         deployment frequency   {:.1} per week\n\
         change failure rate    {:.0}%\n\
         time to restore        {} (median)\n\
         lead time to live      {} (median, commit to live)\n\
         time to deploy         {} (median)\n",
        m.deploys,
        m.environment,
        m.succeeded,
        m.rolled_back,
        m.failed,
        m.per_week,
        100.0 * m.change_failure_rate,
        seconds(m.median_time_to_restore_s),
        seconds(m.median_lead_time_s),
        seconds(m.median_duration_s),
    );
    out.push_str(&chart(m, '█', '▒'));
    out
}

/// One line per week: a bar of its deploys, the failed ones drawn apart.
fn chart(m: &Metrics, ok: char, failed: char) -> String {
    let widest = m.weeks.iter().map(|w| w.deploys).max().unwrap_or(1).max(1);
    let scale = |n: usize| (n * 30).div_ceil(widest);
    m.weeks
        .iter()
        .map(|w| {
            let bad = scale(w.failures);
            let good = scale(w.deploys).saturating_sub(bad);
            format!(
                "week of {}  {}{} {} deploys{}\n",
                w.starting,
                ok.to_string().repeat(good),
                failed.to_string().repeat(bad),
                w.deploys,
                if w.failures > 0 {
                    format!(", {} failed", w.failures)
                } else {
                    String::new()
                }
            )
        })
        .collect()
}

/// The job summary's Markdown: the table and the chart in a code block.
pub fn markdown(m: &Metrics) -> String {
    format!(
        "### Delivery metrics: {}\n\n```\n{}```\n",
        windlass_core::sanitize::markdown(&m.environment),
        table(m)
    )
}

/// Prometheus's text exposition format.
pub fn exposition(m: &Metrics) -> String {
    let env = m
        .environment
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n");
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, samples: Vec<(String, f64)>| {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        for (labels, value) in samples {
            out.push_str(&format!("{name}{{env=\"{env}\"{labels}}} {value}\n"));
        }
    };
    metric(
        "windlass_deploys_total",
        "counter",
        "Deploys, by result.",
        vec![
            (",result=\"success\"".into(), m.succeeded as f64),
            (",result=\"rolled_back\"".into(), m.rolled_back as f64),
            (",result=\"failed\"".into(), m.failed as f64),
        ],
    );
    metric(
        "windlass_deploys_per_week",
        "gauge",
        "Successful deploys per week over the log's span.",
        vec![(String::new(), m.per_week)],
    );
    metric(
        "windlass_change_failure_ratio",
        "gauge",
        "Deploys rolled back or failed, over all deploys.",
        vec![(String::new(), m.change_failure_rate)],
    );
    let quantile = |v: Option<f64>| {
        v.map(|v| vec![(",quantile=\"0.5\"".to_string(), v)])
            .unwrap_or_default()
    };
    metric(
        "windlass_deploy_duration_seconds",
        "summary",
        "Duration of a successful deploy.",
        quantile(m.median_duration_s),
    );
    metric(
        "windlass_time_to_restore_seconds",
        "summary",
        "From a failed release going live to a healthy one serving.",
        quantile(m.median_time_to_restore_s),
    );
    metric(
        "windlass_lead_time_seconds",
        "summary",
        "From commit to live.",
        quantile(m.median_lead_time_s),
    );
    if let Some(at) = m.last_success {
        metric(
            "windlass_last_success_timestamp_seconds",
            "gauge",
            "When the last successful deploy started.",
            vec![(String::new(), at as f64)],
        );
    }
    out
}

/// The one-line summary `deploy --stats` ends with.
pub fn stats(log: &Path) -> Result<String> {
    let m = metrics("", log)?;
    Ok(table(&m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(start: &str, result: &str, total: u64, commit: Option<u64>) -> String {
        let mut v = serde_json::json!({
            "kind": "deploy", "start": start, "total_ms": total, "result": result,
            "rolled_back": result == "rolled_back",
            "durations_ms": {"build": 1000, "validate": 0, "copy": 0},
        });
        if let Some(c) = commit {
            v["commit_time"] = serde_json::json!(c);
        }
        v.to_string()
    }

    #[test]
    fn the_four_keys_from_a_log() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("deploy.log");
        let t0 = parse_rfc3339("2026-11-30T10:00:00Z").unwrap();
        std::fs::write(
            &log,
            [
                line("2026-11-30T10:00:00Z", "success", 10_000, Some(t0 - 3600)),
                line("2026-12-01T10:00:00Z", "rolled_back", 31_000, None),
                line("2026-12-02T10:00:00Z", "failed", 5_000, None),
                line("2026-12-02T11:00:00Z", "success", 20_000, Some(t0 + 2 * 86_400)),
                "{\"kind\":\"rollback\",\"start\":\"2026-12-03T10:00:00Z\",\"total_ms\":1,\"result\":\"success\"}".into(),
                line("2026-12-08T10:00:00Z", "success", 12_000, None),
            ]
            .join("\n"),
        )
        .unwrap();
        let m = metrics("prod", &log).unwrap();
        assert_eq!(
            (m.deploys, m.succeeded, m.rolled_back, m.failed),
            (5, 3, 1, 1)
        );
        assert!((m.change_failure_rate - 0.4).abs() < 1e-9);
        // 30 s of the rolled-back deploy after its build; the failed one restored when the
        // next success ended, an hour and 20 s later.
        assert_eq!(m.median_time_to_restore_s, Some(3620.0), "{m:?}");
        assert_eq!(m.median_lead_time_s, Some(3620.0));
        assert_eq!(m.weeks.len(), 2);
        assert_eq!(m.weeks[0].starting, "2026-11-30");
        assert_eq!((m.weeks[0].deploys, m.weeks[0].failures), (4, 2));
        let table = table(&m);
        assert!(table.contains("change failure rate    40%"), "{table}");
        assert!(table.contains("week of 2026-12-07"), "{table}");
        let exposition = exposition(&m);
        assert!(
            exposition.contains("windlass_deploys_total{env=\"prod\",result=\"success\"} 3\n"),
            "{exposition}"
        );
        assert!(exposition.contains("# TYPE windlass_change_failure_ratio gauge"));
    }
}
