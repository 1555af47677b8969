//! Origins: where an IR node came from (file index into `Ir::sources`, byte range), and the
//! generic [`Setting`] wrapper that pairs a value with its origin.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::source::{FileId, Span};

/// The source of an IR node: serialized as `"FILE:START-END"` (file index into `sources`, byte
/// offsets), which is exact, short and stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Origin {
    pub file: u32,
    pub start: u32,
    pub end: u32,
}

impl Origin {
    pub fn span(self) -> Span {
        Span::new(FileId(self.file), self.start, self.end)
    }
}

impl From<Span> for Origin {
    fn from(s: Span) -> Self {
        Origin {
            file: s.file.0,
            start: s.start,
            end: s.end,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}-{}", self.file, self.start, self.end)
    }
}

impl Serialize for Origin {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Origin {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let bad = || serde::de::Error::custom(format!("bad origin `{s}`, expected FILE:START-END"));
        let (file, range) = s.split_once(':').ok_or_else(bad)?;
        let (start, end) = range.split_once('-').ok_or_else(bad)?;
        Ok(Origin {
            file: file.parse().map_err(|_| bad())?,
            start: start.parse().map_err(|_| bad())?,
            end: end.parse().map_err(|_| bad())?,
        })
    }
}

/// A value and the directive that set it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setting<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Setting<T> {
    pub fn new(value: T, origin: Origin) -> Self {
        Setting { value, origin }
    }
}
