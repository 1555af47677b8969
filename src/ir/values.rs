//! Value types shared by the IR: durations and sizes in the units configs use.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A duration in milliseconds, written as nginx does (`500ms`, `30s`, `1m`, `1h`, `1d`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(pub u64);

impl Duration {
    /// Parses nginx time syntax: `10`, `10s`, `1m30s`, `500ms`, `1h`, `2d`, `1w`, `1M`, `1y`.
    /// `default_unit_ms` is the unit of a bare number (seconds for most directives).
    pub fn parse_nginx(s: &str, default_unit_ms: u64) -> Option<Duration> {
        if s.is_empty() {
            return None;
        }
        if let Ok(n) = s.parse::<u64>() {
            return n.checked_mul(default_unit_ms).map(Duration);
        }
        let b = s.as_bytes();
        let (mut total, mut i) = (0u64, 0usize);
        while i < b.len() {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if start == i {
                return None;
            }
            let n: u64 = s[start..i].parse().ok()?;
            let unit_start = i;
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
            let ms = match &s[unit_start..i] {
                "ms" => 1,
                "s" | "" => 1000,
                "m" => 60_000,
                "h" => 3_600_000,
                "d" => 86_400_000,
                "w" => 604_800_000,
                "M" => 2_592_000_000,
                "y" => 31_536_000_000,
                _ => return None,
            };
            total = total.checked_add(n.checked_mul(ms)?)?;
        }
        Some(Duration(total))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0;
        for (unit, size) in [
            ("d", 86_400_000),
            ("h", 3_600_000),
            ("m", 60_000),
            ("s", 1000),
        ] {
            if ms != 0 && ms.is_multiple_of(size) {
                return write!(f, "{}{unit}", ms / size);
            }
        }
        write!(f, "{ms}ms")
    }
}

impl FromStr for Duration {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Duration::parse_nginx(s, 1000).ok_or_else(|| format!("bad duration `{s}`"))
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// A size in bytes, written as nginx does (`512`, `10k`, `8m`, `1g`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Size(pub u64);

impl Size {
    pub fn parse_nginx(s: &str) -> Option<Size> {
        let (num, mult) = match s.as_bytes().last()? {
            b'k' | b'K' => (&s[..s.len() - 1], 1024),
            b'm' | b'M' => (&s[..s.len() - 1], 1024 * 1024),
            b'g' | b'G' => (&s[..s.len() - 1], 1024 * 1024 * 1024),
            _ => (s, 1),
        };
        num.parse::<u64>().ok()?.checked_mul(mult).map(Size)
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        for (unit, size) in [("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10)] {
            if b != 0 && b.is_multiple_of(size) {
                return write!(f, "{}{unit}", b / size);
            }
        }
        write!(f, "{b}")
    }
}

impl FromStr for Size {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Size::parse_nginx(s).ok_or_else(|| format!("bad size `{s}`"))
    }
}

impl Serialize for Size {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Size {
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
    fn durations() {
        assert_eq!(Duration::parse_nginx("30s", 1000), Some(Duration(30_000)));
        assert_eq!(Duration::parse_nginx("5", 1000), Some(Duration(5000)));
        assert_eq!(Duration::parse_nginx("1m30s", 1000), Some(Duration(90_000)));
        assert_eq!(Duration::parse_nginx("500ms", 1000), Some(Duration(500)));
        assert_eq!(Duration::parse_nginx("1x", 1000), None);
        assert_eq!(Duration(90_000).to_string(), "90s");
        assert_eq!(Duration(86_400_000).to_string(), "1d");
        assert_eq!(Duration(1500).to_string(), "1500ms");
    }

    #[test]
    fn sizes() {
        assert_eq!(Size::parse_nginx("10m"), Some(Size(10 << 20)));
        assert_eq!(Size::parse_nginx("1k"), Some(Size(1024)));
        assert_eq!(Size::parse_nginx("x"), None);
        assert_eq!(Size(10 << 20).to_string(), "10m");
    }
}
