//! Durations and sizes as people write them in config and on the command line, with one
//! grammar for every task: `500ms`, `2s`, `1.5s`, `30m`, `24h`, `7d`; `500KB`, `2MB`.
//!
//! Both are serde types, so a bad value fails when the config is loaded, naming the section
//! and the key, never later in the middle of a deploy.

use serde::{Deserialize, Deserializer};
use std::fmt;
use std::str::FromStr;

/// A duration: a number (decimals allowed) with `ms`, `s`, `m`, `h` or `d`; a bare number is
/// seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Duration(pub std::time::Duration);

/// A size in bytes: a whole number with `B`, `KB`, `MB` or `GB` (binary: 1KB = 1024 B, as
/// pre-commit's `check-added-large-files` counts); a bare number is bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Size(pub u64);

/// The longest duration any setting takes: a year and a day. Anything longer is a mistake
/// (`10000000000000000000s`), and refusing it at load keeps every sum and product of
/// durations (a backoff, a deadline) far from overflowing.
pub const MAX_DURATION: std::time::Duration = std::time::Duration::from_secs(366 * 86_400);

/// The largest size any setting takes: 1 TiB.
pub const MAX_SIZE: u64 = 1 << 40;

/// A value that does not follow the grammar, or is past its bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadUnit {
    text: String,
    example: &'static str,
    too_large: Option<&'static str>,
}

impl fmt::Display for BadUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.too_large {
            Some(bound) => write!(
                f,
                "`{}` is more than {bound}, the most windlass takes",
                self.text
            ),
            None => write!(
                f,
                "invalid value `{}`: write e.g. {}",
                self.text, self.example
            ),
        }
    }
}

impl std::error::Error for BadUnit {}

const DURATION_EXAMPLE: &str = "500ms, 2s, 1.5s, 30m, 24h or 7d";
const SIZE_EXAMPLE: &str = "500KB, 2MB or 1048576";

/// The number and the unit of `text`.
fn split(text: &str) -> (&str, &str) {
    let text = text.trim();
    let at = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    (&text[..at], text[at..].trim())
}

impl FromStr for Duration {
    type Err = BadUnit;

    fn from_str(text: &str) -> Result<Self, BadUnit> {
        let bad = || BadUnit {
            text: text.to_string(),
            example: DURATION_EXAMPLE,
            too_large: None,
        };
        let (number, unit) = split(text);
        let value: f64 = number.parse().map_err(|_| bad())?;
        let seconds = match unit {
            "ms" => value / 1000.0,
            "" | "s" => value,
            "m" => value * 60.0,
            "h" => value * 3600.0,
            "d" => value * 86_400.0,
            _ => return Err(bad()),
        };
        if !seconds.is_finite() || seconds > MAX_DURATION.as_secs_f64() {
            return Err(BadUnit {
                too_large: Some("366d"),
                ..bad()
            });
        }
        std::time::Duration::try_from_secs_f64(seconds)
            .map(Duration)
            .map_err(|_| bad())
    }
}

impl FromStr for Size {
    type Err = BadUnit;

    fn from_str(text: &str) -> Result<Self, BadUnit> {
        let bad = || BadUnit {
            text: text.to_string(),
            example: SIZE_EXAMPLE,
            too_large: None,
        };
        let (number, unit) = split(text);
        let factor: u64 = match unit.to_ascii_uppercase().as_str() {
            "" | "B" => 1,
            "KB" | "K" | "KIB" => 1 << 10,
            "MB" | "M" | "MIB" => 1 << 20,
            "GB" | "G" | "GIB" => 1 << 30,
            "TB" | "T" | "TIB" => 1 << 40,
            _ => return Err(bad()),
        };
        let too_large = || BadUnit {
            too_large: Some("1TB"),
            ..bad()
        };
        // Digits past u64 are a number, only too large.
        if !number.is_empty()
            && number.bytes().all(|b| b.is_ascii_digit())
            && number.parse::<u64>().is_err()
        {
            return Err(too_large());
        }
        let n: u64 = number.parse().map_err(|_| bad())?;
        match n.checked_mul(factor) {
            Some(bytes) if bytes <= MAX_SIZE => Ok(Size(bytes)),
            _ => Err(too_large()),
        }
    }
}

impl Duration {
    /// From seconds.
    pub const fn secs(n: u64) -> Self {
        Self(std::time::Duration::from_secs(n))
    }

    /// As std's.
    pub fn get(self) -> std::time::Duration {
        self.0
    }
}

impl Size {
    /// In bytes.
    pub fn bytes(self) -> u64 {
        self.0
    }

    /// For people: `812 B`, `3.4 MiB`, `1.20 GiB` (three significant digits at most).
    pub fn human(self) -> String {
        const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
        let mut value = self.0 as f64;
        let mut unit = 0;
        while value >= 1024.0 && unit < UNITS.len() - 1 {
            value /= 1024.0;
            unit += 1;
        }
        match unit {
            0 => format!("{} B", self.0),
            _ if value < 10.0 => format!("{value:.2} {}", UNITS[unit]),
            _ if value < 100.0 => format!("{value:.1} {}", UNITS[unit]),
            _ => format!("{value:.0} {}", UNITS[unit]),
        }
    }
}

/// A TOML value that is a string with a unit, or a bare number.
#[derive(Deserialize)]
#[serde(untagged)]
enum Written {
    Text(String),
    Whole(u64),
    Decimal(f64),
}

impl Written {
    fn text(self) -> String {
        match self {
            Written::Text(t) => t,
            Written::Whole(n) => n.to_string(),
            Written::Decimal(x) => x.to_string(),
        }
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Written::deserialize(d)?.text();
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Written::deserialize(d)?.text();
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if !ms.is_multiple_of(1000) {
            write!(f, "{ms}ms")
        } else {
            write!(f, "{}s", ms / 1000)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sizes_for_people() {
        assert_eq!(Size(812).human(), "812 B");
        assert_eq!(Size(3 * 1024 * 1024 + 400 * 1024).human(), "3.39 MiB");
        assert_eq!(Size(150 << 30).human(), "150 GiB");
    }

    proptest! {
        /// No text a user can write panics the parser, and what it accepts is in bounds.
        #[test]
        fn any_text_parses_or_is_refused_without_panic(text in "\\PC{0,40}") {
            if let Ok(d) = text.parse::<Duration>() {
                prop_assert!(d.get() <= MAX_DURATION);
            }
            if let Ok(s) = text.parse::<Size>() {
                prop_assert!(s.bytes() <= MAX_SIZE);
            }
        }

        /// Numbers of every magnitude with every unit, decimals and spaces included.
        #[test]
        fn numbers_with_units_are_bounded(
            digits in "[0-9]{1,30}(\\.[0-9]{0,10})?",
            space in " {0,2}",
            unit in "(ms|s|m|h|d|B|KB|MB|GB|TB|K|kb|x|)",
        ) {
            let text = format!("{digits}{space}{unit}");
            if let Ok(d) = text.parse::<Duration>() {
                prop_assert!(d.get() <= MAX_DURATION);
                // Every use windlass makes of a duration stays in range.
                let _ = d.get().saturating_mul(4).checked_add(d.get());
            }
            if let Ok(s) = text.parse::<Size>() {
                prop_assert!(s.bytes() <= MAX_SIZE);
            }
        }
    }

    fn d(text: &str) -> Option<std::time::Duration> {
        text.parse::<Duration>().ok().map(Duration::get)
    }

    #[test]
    fn durations_have_one_grammar() {
        assert_eq!(d("500ms"), Some(std::time::Duration::from_millis(500)));
        assert_eq!(d("1.5s"), Some(std::time::Duration::from_millis(1500)));
        assert_eq!(d("2m"), Some(std::time::Duration::from_secs(120)));
        assert_eq!(d("24h"), Some(std::time::Duration::from_secs(86_400)));
        assert_eq!(d("7d"), Some(std::time::Duration::from_secs(7 * 86_400)));
        assert_eq!(d("60"), Some(std::time::Duration::from_secs(60)));
        assert_eq!(d("soon"), None);
        assert_eq!(d("-1s"), None);
        assert_eq!(d("1e400s"), None);
        assert_eq!(d("366d"), Some(MAX_DURATION));
    }

    #[test]
    fn values_past_their_bound_are_refused_saying_so() {
        for text in [
            "10000000000000000000s",
            "367d",
            "9000h",
            "99999999999999999999999ms",
        ] {
            let err = text.parse::<Duration>().unwrap_err().to_string();
            assert!(err.contains("more than 366d"), "{text}: {err}");
        }
        for text in ["99999999999999999999", "1025GB", "18446744073709551615KB"] {
            let err = text.parse::<Size>().unwrap_err().to_string();
            assert!(err.contains("more than 1TB"), "{text}: {err}");
        }
    }

    #[test]
    fn sizes_are_binary() {
        let s = |t: &str| t.parse::<Size>().ok().map(Size::bytes);
        assert_eq!(s("1000KB"), Some(1_024_000));
        assert_eq!(s("2MB"), Some(2 * 1024 * 1024));
        assert_eq!(s("12"), Some(12));
        assert_eq!(s("1GB"), Some(1 << 30));
        assert_eq!(s("1TB"), Some(1 << 40));
        assert_eq!(s("2TB"), None);
        assert_eq!(s("1.5MB"), None);
    }

    #[test]
    fn config_values_fail_at_load_with_the_grammar() {
        #[derive(Debug, Deserialize)]
        struct C {
            deadline: Duration,
            max: Size,
        }
        let c: C = toml::from_str("deadline = \"1m\"\nmax = 1024\n").unwrap();
        assert_eq!(c.deadline, Duration::secs(60));
        assert_eq!(c.max, Size(1024));
        let err = toml::from_str::<C>("deadline = \"soon\"\nmax = 1\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("invalid value `soon`: write e.g. 500ms"),
            "{err}"
        );
    }
}
