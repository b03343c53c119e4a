//! A check's success condition, `success = "< 0.01"`: an operator and a number, parsed when
//! the config loads (a typo is a config error at its line, not a failed deploy).

use serde::{Deserialize, Deserializer};

/// `< 0.01`, `>= 0.99`, `== 0`, ...
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Condition {
    op: Op,
    bound: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Condition {
    /// `value < bound`.
    pub fn less_than(bound: f64) -> Self {
        Self { op: Op::Lt, bound }
    }

    /// Whether `value` meets it. NaN (a ratio over no traffic) meets none.
    pub fn holds(&self, value: f64) -> bool {
        if value.is_nan() {
            return false;
        }
        match self.op {
            Op::Lt => value < self.bound,
            Op::Le => value <= self.bound,
            Op::Gt => value > self.bound,
            Op::Ge => value >= self.bound,
            Op::Eq => (value - self.bound).abs() <= f64::EPSILON * self.bound.abs().max(1.0),
            Op::Ne => (value - self.bound).abs() > f64::EPSILON * self.bound.abs().max(1.0),
        }
    }
}

impl std::fmt::Display for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let op = match self.op {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
        };
        write!(f, "{op} {}", self.bound)
    }
}

impl std::str::FromStr for Condition {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let (op, rest) = [
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<", Op::Lt),
            (">", Op::Gt),
        ]
        .into_iter()
        .find_map(|(sym, op)| text.strip_prefix(sym).map(|rest| (op, rest)))
        .ok_or_else(|| {
            format!("`{text}` is not a condition: write an operator and a number, e.g. \"< 0.01\"")
        })?;
        let bound: f64 = rest
            .trim()
            .parse()
            .map_err(|_| format!("`{text}`: `{}` is not a number", rest.trim()))?;
        if !bound.is_finite() {
            return Err(format!("`{text}`: the bound must be a finite number"));
        }
        Ok(Self { op, bound })
    }
}

impl<'de> Deserialize<'de> for Condition {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_parse_and_hold() {
        let c: Condition = "< 0.01".parse().unwrap();
        assert!(c.holds(0.0) && !c.holds(0.01) && !c.holds(f64::NAN));
        assert!(">= 0.99".parse::<Condition>().unwrap().holds(0.99));
        assert!("== 0".parse::<Condition>().unwrap().holds(0.0));
        assert!("!=0".parse::<Condition>().unwrap().holds(1.0));
        assert_eq!("<=1.5".parse::<Condition>().unwrap().to_string(), "<= 1.5");
        for bad in ["", "0.01", "< x", "=< 1", "< inf", "< NaN"] {
            assert!(bad.parse::<Condition>().is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_parses_or_is_refused(text in "\\PC{0,20}") {
            let _ = text.parse::<Condition>();
        }
    }
}
