//! Lengths of time as an operator writes them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A length of time in the configuration, written as seconds (`300`) or with a unit:
/// `90s`, `5m`, `12h`, `14d`, `2w`.
///
/// ```
/// use rocket_passkeys::Interval;
///
/// let remind_after: Interval = "14d".parse().unwrap();
/// assert_eq!(remind_after, Interval::from_secs(14 * 86_400));
/// assert!("5 fortnights".parse::<Interval>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Interval(u64);

impl Interval {
    /// A duration of this many seconds.
    pub const fn from_secs(seconds: u64) -> Self {
        Interval(seconds)
    }

    /// The duration in seconds.
    pub const fn as_secs(self) -> u64 {
        self.0
    }

    /// In the largest unit that divides it: `90s`, `5m`, `400d`.
    pub(crate) fn describe(self) -> String {
        for (unit, seconds) in [("d", 86_400), ("h", 3600), ("m", 60)] {
            if self.0.is_multiple_of(seconds) {
                return format!("{}{unit}", self.0 / seconds);
            }
        }
        format!("{}s", self.0)
    }
}

impl FromStr for Interval {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (number, unit) = s.split_at(split);
        let number: u64 = number
            .parse()
            .map_err(|_| format!("`{s}` is not a duration such as `90s`, `5m`, `12h` or `14d`"))?;
        let scale = match unit.trim() {
            "" | "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            "w" => 7 * 86_400,
            _ => return Err(format!("`{s}` has an unknown unit; use s, m, h, d or w")),
        };
        number
            .checked_mul(scale)
            .map(Interval)
            .ok_or_else(|| format!("`{s}` is too long"))
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}s", self.0)
    }
}

impl Serialize for Interval {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.0)
    }
}

impl<'de> Deserialize<'de> for Interval {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Seconds(u64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Seconds(n) => Ok(Interval(n)),
            Raw::Text(s) => s.parse().map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!("300".parse::<Interval>().unwrap().as_secs(), 300);
        assert_eq!("5m".parse::<Interval>().unwrap().as_secs(), 300);
        assert_eq!("14d".parse::<Interval>().unwrap().as_secs(), 14 * 86_400);
        assert!("5 fortnights".parse::<Interval>().is_err());
        assert!("m".parse::<Interval>().is_err());
    }
}
