//! Metric analysis: `[...deploy.<env>.analysis]` — Prometheus queries, each judged by a
//! condition every `interval`, `count` times, failing the release past `failure-limit`
//! failures (Argo Rollouts' `AnalysisTemplate`, in a Cargo manifest). Queries are templated
//! with the release (`{release}`, `{version}`, `{env}`, `{commit}`) so that they select the
//! new release's series; two built-in checks cover a service that exposes the usual HTTP
//! metrics.

use super::condition::Condition;
use super::prometheus::{self, Sample};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use windlass_core::Session;
use windlass_core::units;

/// `analysis = { prometheus, interval, window, selector, builtin, checks, ... }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AnalysisConfig {
    /// The Prometheus to ask: `http://127.0.0.1:9090`, or `env:NAME` for a URL held in a
    /// variable (one with credentials).
    pub prometheus: String,
    /// How often each check is evaluated unless it says (default `10s`).
    pub interval: Option<units::Duration>,
    /// The range of the built-in checks' `rate()` (default `1m`; at least four scrapes).
    pub window: Option<units::Duration>,
    /// Label matchers selecting the release's series in the built-in checks, templated like
    /// queries: `version="{version}"` (default: every series).
    pub selector: Option<String>,
    /// Built-in checks: `error-rate` (5xx of `http_requests_total`) and `latency-p99`
    /// (`http_request_duration_seconds`).
    #[serde(default)]
    pub builtin: Vec<Builtin>,
    /// `error-rate` fails at or above this ratio (default 0.01).
    pub max_error_rate: Option<f64>,
    /// `latency-p99` fails at or above this (default `500ms`).
    pub max_latency: Option<units::Duration>,
    /// Each query's time limit (default `5s`).
    pub timeout: Option<units::Duration>,
    /// What the built-in checks do when Prometheus cannot be asked: `rollback` (default) or
    /// `ignore`. A built-in check with no data (no traffic yet) is never a failure.
    #[serde(default)]
    pub on_error: OnError,
    /// The project's own checks.
    #[serde(default)]
    pub checks: Vec<CheckConfig>,
}

/// A built-in check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Builtin {
    /// The share of 5xx answers.
    ErrorRate,
    /// The 99th percentile of request duration.
    LatencyP99,
}

/// What a check does when its query has no answer (no data, Prometheus unreachable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnError {
    /// Counts as a failure (the default: a check that cannot see is not a pass).
    #[default]
    Rollback,
    /// Logged, not counted.
    Ignore,
}

/// `checks = [{ name, query, success, interval, count, failure-limit, on-error }]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CheckConfig {
    /// Its name in the log.
    pub name: String,
    /// PromQL returning one number, templated.
    pub query: String,
    /// When the number passes: `"< 0.01"`.
    pub success: Condition,
    /// How often (default: the analysis's).
    pub interval: Option<units::Duration>,
    /// How many evaluations (default: as many as the bake window holds, else 3).
    pub count: Option<u32>,
    /// Failures allowed before the release fails (default 0).
    pub failure_limit: Option<u32>,
    /// No data or no answer: `rollback` (default) or `ignore`.
    #[serde(default)]
    pub on_error: OnError,
}

/// What a query is templated with.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    /// The release id.
    pub release: String,
    /// Its version.
    pub version: String,
    /// The environment.
    pub env: String,
    /// Its commit.
    pub commit: String,
}

impl Vars {
    /// `text` with `{release}`, `{version}`, `{env}` and `{commit}` replaced.
    pub fn fill(&self, text: &str) -> String {
        text.replace("{release}", &self.release)
            .replace("{version}", &self.version)
            .replace("{env}", &self.env)
            .replace("{commit}", &self.commit)
    }
}

/// A check ready to run.
#[derive(Debug, Clone)]
pub struct Check {
    /// Its name.
    pub name: String,
    /// The query, templated.
    pub query: String,
    /// Its condition.
    pub success: Condition,
    /// Its interval.
    pub interval: Duration,
    /// Evaluations to make.
    pub count: u32,
    /// Failures allowed.
    pub failure_limit: u32,
    /// No answer from Prometheus.
    pub on_error: OnError,
    /// An empty result.
    pub on_no_data: OnError,
    /// Whether a watch in which it never saw a value fails (a built-in check, which ignores
    /// no data one evaluation at a time: a release nobody can see does not pass).
    pub require_data: bool,
}

/// One evaluation, as the log and the JSON report keep it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// The check.
    pub check: String,
    /// Milliseconds into the watch.
    pub at_ms: u64,
    /// The value, when there was one.
    pub value: Option<f64>,
    /// `pass`, `fail`, `no-data` or `error`.
    pub verdict: &'static str,
    /// The condition, or why there was no value.
    pub detail: String,
}

/// The analysis of one release.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Where Prometheus is.
    pub prometheus: String,
    /// Each query's time limit.
    pub timeout: Duration,
    /// The checks.
    pub checks: Vec<Check>,
}

impl AnalysisConfig {
    /// The checks for a release, the window they run in: the bake when there is one.
    pub fn prepare(&self, vars: &Vars, bake: Option<Duration>) -> Result<Analysis, String> {
        let prometheus = match self.prometheus.strip_prefix("env:") {
            Some(name) => std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("${name} (the analysis's Prometheus) is not set"))?,
            None => self.prometheus.clone(),
        };
        let interval = self.interval.map_or(Duration::from_secs(10), |d| d.get());
        let window = self.window.map_or(Duration::from_secs(60), |d| d.get());
        let selector = vars.fill(self.selector.as_deref().unwrap_or(""));
        let count_for = |interval: Duration, count: Option<u32>| -> u32 {
            count.unwrap_or_else(|| match bake {
                Some(bake) if !interval.is_zero() => {
                    u32::try_from(bake.as_millis() / interval.as_millis().max(1))
                        .unwrap_or(u32::MAX)
                        .max(1)
                }
                _ => 3,
            })
        };
        let mut checks = Vec::new();
        for builtin in &self.builtin {
            let (name, query, success) = builtin_query(
                *builtin,
                &selector,
                window,
                self.max_error_rate.unwrap_or(0.01),
                self.max_latency.map_or(0.5, |d| d.get().as_secs_f64()),
            );
            checks.push(Check {
                name: name.into(),
                query,
                success,
                interval,
                count: count_for(interval, None),
                failure_limit: 0,
                on_error: self.on_error,
                on_no_data: OnError::Ignore,
                require_data: true,
            });
        }
        for check in &self.checks {
            let interval = check.interval.map_or(interval, |d| d.get());
            checks.push(Check {
                name: check.name.clone(),
                query: vars.fill(&check.query),
                success: check.success,
                interval,
                count: count_for(interval, check.count),
                failure_limit: check.failure_limit.unwrap_or(0),
                on_error: check.on_error,
                on_no_data: check.on_error,
                require_data: false,
            });
        }
        Ok(Analysis {
            prometheus,
            timeout: self.timeout.map_or(Duration::from_secs(5), |d| d.get()),
            checks,
        })
    }
}

/// A built-in check's name, query and condition. `or` takes the 5xx of whichever label the
/// service uses (`status`, as Rust's exporters write it, or `code`, as Go's do); a service
/// without 5xx has none of either, which is a rate of 0.
fn builtin_query(
    builtin: Builtin,
    selector: &str,
    window: Duration,
    max_error_rate: f64,
    max_latency: f64,
) -> (&'static str, String, Condition) {
    let range = format!("{}s", window.as_secs().max(1));
    let with = |extra: &str| {
        let parts: Vec<&str> = [extra, selector]
            .into_iter()
            .filter(|p| !p.trim().is_empty())
            .collect();
        format!("{{{}}}", parts.join(","))
    };
    match builtin {
        Builtin::ErrorRate => (
            "error-rate",
            format!(
                "(sum(rate(http_requests_total{}[{range}])) or sum(rate(http_requests_total{}[{range}])) or vector(0)) / sum(rate(http_requests_total{}[{range}]))",
                with("status=~\"5..\""),
                with("code=~\"5..\""),
                with("")
            ),
            Condition::less_than(max_error_rate),
        ),
        Builtin::LatencyP99 => (
            "latency-p99",
            format!(
                "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{}[{range}])))",
                with("")
            ),
            Condition::less_than(max_latency),
        ),
    }
}

/// Where each check stands during a watch.
#[derive(Debug, Clone)]
pub struct Progress {
    made: Vec<u32>,
    failures: Vec<u32>,
    next: Vec<Duration>,
    /// Evaluations that returned a value.
    seen: Vec<u32>,
}

impl Analysis {
    /// A fresh progress: each check due at once.
    pub fn start(&self) -> Progress {
        Progress {
            made: vec![0; self.checks.len()],
            failures: vec![0; self.checks.len()],
            next: vec![Duration::ZERO; self.checks.len()],
            seen: vec![0; self.checks.len()],
        }
    }

    /// At the end of a watch: why it fails although no evaluation did — a check that must
    /// see data never saw any (Prometheus does not scrape the release, or the selector
    /// matches none of its series).
    pub fn blind(&self, progress: &Progress) -> Option<String> {
        self.checks
            .iter()
            .zip(progress.made.iter().zip(&progress.seen))
            .find(|(check, (made, seen))| check.require_data && **made > 0 && **seen == 0)
            .map(|(check, (made, _))| {
                format!(
                    "analysis `{}` never saw data in {made} evaluations: check that Prometheus scrapes the release and that the selector matches its series (`{}`)",
                    check.name, check.query
                )
            })
    }

    /// How long the checks need at most: each `count` evaluations `interval` apart.
    pub fn span(&self) -> Duration {
        self.checks
            .iter()
            .map(|c| c.interval.saturating_mul(c.count.saturating_sub(1)))
            .max()
            .unwrap_or_default()
    }

    /// Whether every check has made its evaluations.
    pub fn done(&self, progress: &Progress) -> bool {
        self.checks
            .iter()
            .zip(&progress.made)
            .all(|(c, made)| *made >= c.count)
    }

    /// Evaluates every check due at `elapsed`: the evaluations made, and the reason the
    /// release fails when a check went past its failure limit.
    pub fn tick(
        &self,
        session: &mut Session,
        progress: &mut Progress,
        elapsed: Duration,
    ) -> (Vec<Evaluation>, Option<String>) {
        let mut made = Vec::new();
        for (i, check) in self.checks.iter().enumerate() {
            if progress.made[i] >= check.count || elapsed < progress.next[i] {
                continue;
            }
            progress.made[i] += 1;
            progress.next[i] = elapsed + check.interval;
            let sample = prometheus::query(session, &self.prometheus, &check.query, self.timeout);
            let (value, verdict, detail, failed) = match sample {
                Sample::Value(v) if check.success.holds(v) => {
                    (Some(v), "pass", check.success.to_string(), false)
                }
                Sample::Value(v) => (Some(v), "fail", check.success.to_string(), true),
                Sample::NoData => (
                    None,
                    "no-data",
                    "the query returned no data".to_string(),
                    check.on_no_data == OnError::Rollback,
                ),
                Sample::Error(why) => (None, "error", why, check.on_error == OnError::Rollback),
            };
            if failed {
                progress.failures[i] += 1;
            }
            if value.is_some() {
                progress.seen[i] += 1;
            }
            made.push(Evaluation {
                check: check.name.clone(),
                at_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
                value,
                verdict,
                detail,
            });
            if progress.failures[i] > check.failure_limit {
                let last = made.last().map(describe).unwrap_or_default();
                return (
                    made,
                    Some(format!(
                        "analysis `{}` failed {} time(s), more than its limit of {}: {last}",
                        check.name, progress.failures[i], check.failure_limit
                    )),
                );
            }
        }
        (made, None)
    }
}

/// `error-rate = 0.1200 (needs < 0.01): fail`.
pub fn describe(e: &Evaluation) -> String {
    match e.value {
        Some(v) => format!("{} = {v:.4} (needs {}): {}", e.check, e.detail, e.verdict),
        None => format!("{}: {} ({})", e.check, e.verdict, e.detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> AnalysisConfig {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn queries_are_templated_and_builtins_select_the_release() {
        let vars = Vars {
            release: "r1".into(),
            version: "1.2.0".into(),
            env: "prod".into(),
            commit: "abc".into(),
        };
        let analysis = config(
            "prometheus = \"http://127.0.0.1:9090\"\ninterval = \"2s\"\nwindow = \"10s\"\nselector = 'version=\"{version}\"'\nbuiltin = [\"error-rate\", \"latency-p99\"]\n[[checks]]\nname = \"orders\"\nquery = 'sum(rate(orders_failed{env=\"{env}\",release=\"{release}\"}[1m]))'\nsuccess = \"< 1\"\ncount = 4\nfailure-limit = 1\non-error = \"ignore\"\n",
        )
        .prepare(&vars, Some(Duration::from_secs(20)))
        .unwrap();
        let names: Vec<&str> = analysis.checks.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["error-rate", "latency-p99", "orders"]);
        assert!(
            analysis.checks[0]
                .query
                .contains("status=~\"5..\",version=\"1.2.0\"")
        );
        assert!(analysis.checks[0].query.contains("[10s]"));
        assert_eq!(analysis.checks[0].count, 10, "a 20 s bake at 2 s");
        assert_eq!(
            analysis.checks[2].query,
            "sum(rate(orders_failed{env=\"prod\",release=\"r1\"}[1m]))"
        );
        assert_eq!(
            (analysis.checks[2].count, analysis.checks[2].failure_limit),
            (4, 1)
        );
        assert_eq!(analysis.span(), Duration::from_secs(18));
        let plain = config("prometheus = \"http://p\"\nbuiltin = [\"error-rate\"]\n")
            .prepare(&vars, None)
            .unwrap();
        assert!(plain.checks[0].query.contains("http_requests_total{}[60s]"));
        assert_eq!(plain.checks[0].count, 3);
    }

    #[test]
    fn a_bad_condition_or_key_is_refused_at_load() {
        let err = toml::from_str::<AnalysisConfig>(
            "prometheus = \"p\"\n[[checks]]\nname = \"x\"\nquery = \"q\"\nsuccess = \"about 1\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("not a condition"), "{err}");
        assert!(toml::from_str::<AnalysisConfig>("prometheus = \"p\"\nbuiltins = []\n").is_err());
    }
}
