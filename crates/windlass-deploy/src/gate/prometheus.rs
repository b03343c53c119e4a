//! One instant query against Prometheus's HTTP API (`/api/v1/query`): the value a check is
//! judged on, or why there is none — no data (an empty result, a ratio over no traffic), or an
//! error (Prometheus down, a query it refuses).

use crate::http::{self, Target};
use std::time::Duration;
use windlass_core::Session;

/// What a query gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Sample {
    /// A number.
    Value(f64),
    /// An empty result, or NaN.
    NoData,
    /// No answer, or Prometheus said no: why.
    Error(String),
}

/// The most of an answer read: a query that returns a whole table is a mistake.
const MAX_ANSWER: usize = 1024 * 1024;

/// Runs `query` against the Prometheus at `base` (`http://host:9090`, or `https://` through
/// curl).
pub fn query(session: &mut Session, base: &str, query: &str, timeout: Duration) -> Sample {
    let path = format!("/api/v1/query?query={}", encode(query));
    let body = if base.starts_with("https://") {
        let url = format!("{}{path}", base.trim_end_matches('/'));
        match crate::curl::request(session, "GET", &url, &[], timeout) {
            Ok(Ok(reply))
                if (200..300).contains(&reply.code) || reply.code == 400 || reply.code == 422 =>
            {
                reply.body.into_bytes()
            }
            Ok(Ok(reply)) => return Sample::Error(format!("Prometheus answered {}", reply.code)),
            Ok(Err(why)) => return Sample::Error(why),
            Err(err) => return Sample::Error(format!("{err:#}")),
        }
    } else {
        let target = match http::parse_url(base) {
            Ok(target) => target,
            Err(err) => return Sample::Error(format!("{err:#}")),
        };
        let prefix = target_path(&target);
        let target = target.with_path(&format!("{prefix}{path}"));
        match http::send(&target, "GET", &[], &[], timeout, MAX_ANSWER)
            .and_then(|(raw, truncated)| http::parse(&raw, truncated))
        {
            Ok(response) => match response.body {
                Ok(body) => body,
                Err(why) => return Sample::Error(why),
            },
            Err(why) => return Sample::Error(format!("Prometheus did not answer: {why}")),
        }
    };
    read(&body)
}

/// The base URL's own path (a Prometheus behind a prefix), without its trailing `/`.
fn target_path(target: &Target) -> String {
    target.path.trim_end_matches('/').to_string()
}

/// The value of an API answer: the first element of a vector, or a scalar.
pub fn read(body: &[u8]) -> Sample {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Sample::Error("the answer is not Prometheus's JSON".into());
    };
    if json["status"] != "success" {
        let why = json["error"].as_str().unwrap_or("no reason given");
        return Sample::Error(format!("Prometheus refused the query: {why}"));
    }
    let data = &json["data"];
    let value = match data["resultType"].as_str() {
        Some("vector") => data["result"].get(0).map(|r| &r["value"][1]),
        Some("scalar") => Some(&data["result"][1]),
        Some(other) => {
            return Sample::Error(format!(
                "the query returns a {other}, not one number: aggregate it (sum, avg, max)"
            ));
        }
        None => None,
    };
    match value.and_then(|v| v.as_str()).map(str::parse::<f64>) {
        None => Sample::NoData,
        Some(Ok(v)) if v.is_nan() => Sample::NoData,
        Some(Ok(v)) => Sample::Value(v),
        Some(Err(_)) => Sample::Error("the answer's value is not a number".into()),
    }
}

/// A query string, percent-encoded for a URL's query.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_as_prometheus_writes_them() {
        let vector = br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1.7e9,"0.25"]}]}}"#;
        assert_eq!(read(vector), Sample::Value(0.25));
        let empty = br#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;
        assert_eq!(read(empty), Sample::NoData);
        let nan = br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"NaN"]}]}}"#;
        assert_eq!(read(nan), Sample::NoData);
        let scalar = br#"{"status":"success","data":{"resultType":"scalar","result":[1,"3"]}}"#;
        assert_eq!(read(scalar), Sample::Value(3.0));
        let refused = br#"{"status":"error","errorType":"bad_data","error":"parse error"}"#;
        assert!(matches!(read(refused), Sample::Error(e) if e.contains("parse error")));
        let matrix = br#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
        assert!(matches!(read(matrix), Sample::Error(e) if e.contains("aggregate")));
        assert!(matches!(read(b"<html>"), Sample::Error(_)));
        assert_eq!(
            encode("rate(x{a=\"b\"}[1m])"),
            "rate%28x%7Ba%3D%22b%22%7D%5B1m%5D%29"
        );
    }
}
