//! The lookup tables behind nginx's `map`, `geo` and `split_clients` variables, shared by the
//! http and the stream value compilers: each compiles its own values (`V`) and renders the
//! table's source itself; the tables say which entry a key selects.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use super::pcre::Pcre;
use super::support::Findings;
use crate::ir::{Opaque, Origin};

/// Why a block (or a value in it) could not be compiled.
#[derive(Debug)]
pub enum Why {
    /// A variable not (yet) known: the block may read one defined after it.
    Unknown(String),
    /// Refused, and where.
    Refused(Origin, String),
}

/// The source and the variable name of a `map SOURCE $NAME`, `geo [SOURCE] $NAME` or
/// `split_clients SOURCE $NAME` block (the name without `$`).
pub fn header(o: &Opaque) -> Result<(Option<&str>, &str), Why> {
    let (source, name) = match (o.name.as_str(), o.args.as_slice()) {
        ("map" | "split_clients", [source, name]) => (Some(source.as_str()), name),
        ("geo", [name]) => (None, name),
        ("geo", [source, name]) => (Some(source.as_str()), name),
        _ => return Err(Why::Refused(o.origin, format!("this `{}` block", o.name))),
    };
    match name.strip_prefix('$') {
        Some(n) => Ok((source, n)),
        None => Err(Why::Refused(
            o.origin,
            format!("the variable name `{name}`"),
        )),
    }
}

/// Whether `o` is a block that defines a variable from a table.
pub fn is_table(o: &Opaque) -> bool {
    o.block && matches!(o.name.as_str(), "map" | "geo" | "split_clients")
}

/// Compiles `blocks` with `compile` in an order where each reads only variables already
/// known (a map may read maps written after it), until no more can be; the rest are refused
/// naming the variable they miss.
pub fn in_order<'a>(
    blocks: Vec<&'a Opaque>,
    mut compile: impl FnMut(&'a Opaque) -> Result<(), Why>,
    f: &mut Findings,
) {
    let mut pending = blocks;
    loop {
        let mut left = Vec::new();
        let mut unknown = Vec::new();
        for o in &pending {
            match compile(o) {
                Ok(()) => {}
                Err(Why::Unknown(var)) => {
                    left.push(*o);
                    unknown.push(var);
                }
                Err(Why::Refused(at, what)) => f.refuse(at, what),
            }
        }
        if left.is_empty() {
            return;
        }
        if left.len() == pending.len() {
            for (o, var) in left.iter().zip(unknown) {
                f.refuse(o.origin, format!("the variable `${var}` in `{}`", o.name));
            }
            return;
        }
        pending = left;
    }
}

/// The entries of a `map`: exact keys (case-insensitive), with `hostnames` also
/// `*.suffix`/`.suffix` and `prefix.*` wildcards, then `~`/`~*` regexes in order (their
/// captures usable in the value), else `default`.
#[derive(Debug)]
pub struct MapTable<V> {
    hostnames: bool,
    exact: HashMap<String, V>,
    /// `*.example.com` and `.example.com` as `.example.com`, longest first; whether the
    /// name itself matches too (`.example.com`: yes).
    head: Vec<(String, bool, V)>,
    /// `www.example.*` as `www.example.`, longest first.
    tail: Vec<(String, V)>,
    regexes: Vec<(Pcre, V)>,
    default: V,
}

impl<V> MapTable<V> {
    /// The value `key` selects, with the captures of the regex that selected it.
    pub fn find(&self, key: &str) -> (&V, Option<Vec<String>>) {
        let mut key = key;
        if self.hostnames {
            key = key.strip_suffix('.').unwrap_or(key);
        }
        let lower = key.to_ascii_lowercase();
        if let Some(v) = self.exact.get(&lower) {
            return (v, None);
        }
        if self.hostnames && !key.is_empty() {
            let head = self.head.iter().find(|(suffix, bare, _)| {
                lower.ends_with(suffix.as_str()) || (*bare && lower == suffix[1..])
            });
            let found = head.map(|(_, _, v)| v).or_else(|| {
                self.tail
                    .iter()
                    .find(|(prefix, _)| lower.starts_with(prefix.as_str()))
                    .map(|(_, v)| v)
            });
            if let Some(v) = found {
                return (v, None);
            }
        }
        if !key.is_empty() {
            for (re, v) in &self.regexes {
                if let Some(groups) = re.captures(key) {
                    return (v, Some(groups));
                }
            }
        }
        (&self.default, None)
    }

    /// Every value of the table, its default included.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        std::iter::once(&self.default)
            .chain(self.exact.values())
            .chain(self.head.iter().map(|(_, _, v)| v))
            .chain(self.tail.iter().map(|(_, v)| v))
            .chain(self.regexes.iter().map(|(_, v)| v))
    }
}

/// Reads the entries of a `map` block; `value` compiles each value, given the regex of its
/// key when it has one (whose named groups the value may read).
pub fn map_table<V: Default>(
    entries: &[Opaque],
    mut value: impl FnMut(&str, Option<&Pcre>) -> Result<V, Why>,
) -> Result<MapTable<V>, Why> {
    let mut m = MapTable {
        hostnames: entries
            .iter()
            .any(|e| e.name == "hostnames" && e.args.is_empty()),
        exact: HashMap::new(),
        head: Vec::new(),
        tail: Vec::new(),
        regexes: Vec::new(),
        default: V::default(),
    };
    for e in entries {
        let key = e.name.as_str();
        let text = match (key, e.args.as_slice()) {
            ("hostnames" | "volatile", []) => continue,
            ("include", _) => return Err(Why::Refused(e.origin, "`include` in `map`".into())),
            (_, [text]) => text,
            _ => return Err(Why::Refused(e.origin, format!("the `map` entry `{key}`"))),
        };
        if key == "default" {
            m.default = value(text, None)?;
        } else if let Some(pattern) = key.strip_prefix('~') {
            let (pattern, caseless) = match pattern.strip_prefix('*') {
                Some(p) => (p, true),
                None => (pattern, false),
            };
            let re = Pcre::new(pattern, caseless).map_err(|err| {
                Why::Refused(e.origin, format!("the `map` regex `{pattern}` ({err})"))
            })?;
            let v = value(text, Some(&re))?;
            m.regexes.push((re, v));
        } else {
            let v = value(text, None)?;
            let key = key.strip_prefix('\\').unwrap_or(key).to_ascii_lowercase();
            if m.hostnames && (key.starts_with("*.") || key.starts_with('.')) {
                let bare = key.starts_with('.');
                m.head
                    .push((key.trim_start_matches('*').to_string(), bare, v));
            } else if m.hostnames && key.ends_with(".*") {
                m.tail.push((key[..key.len() - 1].to_string(), v));
            } else {
                // nginx keeps the first of two equal keys ("conflicting parameter" is an error).
                m.exact.entry(key).or_insert(v);
            }
        }
    }
    m.head.sort_by_key(|(s, _, _)| std::cmp::Reverse(s.len()));
    m.tail.sort_by_key(|(s, _)| std::cmp::Reverse(s.len()));
    Ok(m)
}

/// The entries of a `geo`: the value of the most specific network holding an address, or
/// with `ranges` of the range holding it (ranges never overlap); else `default` (empty when
/// absent).
#[derive(Debug)]
pub struct GeoTable {
    /// Networks, most specific first.
    nets: Vec<(IpAddr, u8, String)>,
    ranges: Vec<(u32, u32, String)>,
    default: String,
}

impl GeoTable {
    /// The value for `addr` (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn find(&self, addr: IpAddr) -> &str {
        let addr = match addr {
            IpAddr::V6(a) => a.to_ipv4_mapped().map_or(addr, IpAddr::V4),
            a => a,
        };
        let value = if self.ranges.is_empty() {
            self.nets
                .iter()
                .find(|(net, len, _)| super::access::contains(*net, *len, addr))
                .map(|(_, _, v)| v)
        } else {
            let IpAddr::V4(a) = addr else {
                return &self.default;
            };
            let a = u32::from(a);
            self.ranges
                .iter()
                .find(|(lo, hi, _)| (*lo..=*hi).contains(&a))
                .map(|(_, _, v)| v)
        };
        value.unwrap_or(&self.default)
    }

    /// The value for a source rendered as text: 255.255.255.255 when it is not an address,
    /// as nginx reads it.
    pub fn find_text(&self, text: &str) -> &str {
        self.find(
            text.trim()
                .parse()
                .unwrap_or(IpAddr::V4(Ipv4Addr::BROADCAST)),
        )
    }
}

/// Reads the entries of a `geo` block.
pub fn geo_table(entries: &[Opaque]) -> Result<GeoTable, Why> {
    let mut g = GeoTable {
        nets: Vec::new(),
        ranges: Vec::new(),
        default: String::new(),
    };
    let ranges = entries
        .iter()
        .any(|e| e.name == "ranges" && e.args.is_empty());
    for e in entries {
        let key = e.name.as_str();
        let value = match (key, e.args.as_slice()) {
            ("ranges", []) => continue,
            ("default", [v]) => {
                g.default = v.clone();
                continue;
            }
            ("include" | "proxy" | "proxy_recursive" | "delete", _) => {
                return Err(Why::Refused(e.origin, format!("`{key}` in `geo`")))
            }
            (_, [value]) => value.clone(),
            _ => return Err(Why::Refused(e.origin, format!("the `geo` entry `{key}`"))),
        };
        let bad = || Why::Refused(e.origin, format!("the `geo` entry `{key}`"));
        if ranges {
            let (lo, hi) = key.split_once('-').ok_or_else(bad)?;
            let lo: Ipv4Addr = lo.parse().map_err(|_| bad())?;
            let hi: Ipv4Addr = hi.parse().map_err(|_| bad())?;
            let (lo, hi) = (u32::from(lo), u32::from(hi));
            // nginx refuses overlapping ranges.
            if lo > hi || g.ranges.iter().any(|(l, h, _)| lo <= *h && *l <= hi) {
                return Err(Why::Refused(
                    e.origin,
                    format!("the overlapping `geo` range `{key}`"),
                ));
            }
            g.ranges.push((lo, hi, value));
        } else {
            let (addr, len) = super::access::net(key).ok_or_else(bad)?;
            g.nets.push((addr, len, value));
        }
    }
    // The most specific network first; of two equal ones the last written (nginx warns
    // about the duplicate and keeps the new value).
    g.nets.reverse();
    g.nets.sort_by_key(|(_, len, _)| std::cmp::Reverse(*len));
    Ok(g)
}

/// The parts of a `split_clients`: cumulative thresholds on MurmurHash2 of the source, the
/// `*` part (threshold 0) taking the rest; past the last part the value is empty.
#[derive(Debug)]
pub struct SplitTable {
    parts: Vec<(u32, String)>,
}

impl SplitTable {
    pub fn find(&self, key: &[u8]) -> &str {
        let hash = murmur2(key);
        self.parts
            .iter()
            .find(|(limit, _)| hash < *limit || *limit == 0)
            .map_or("", |(_, v)| v)
    }
}

/// Reads the parts of a `split_clients` block (`12.5% value;`, `* value;`) as nginx does:
/// percentages with at most two decimals, summing to at most 100%.
pub fn split_table(entries: &[Opaque]) -> Result<SplitTable, Why> {
    let mut parts = Vec::new();
    let (mut sum, mut last) = (0u32, 0u32);
    for e in entries {
        let [value] = e.args.as_slice() else {
            return Err(Why::Refused(
                e.origin,
                format!("the `split_clients` entry `{}`", e.name),
            ));
        };
        let percent = if e.name == "*" {
            0
        } else {
            e.name
                .strip_suffix('%')
                .and_then(hundredths)
                .filter(|n| *n > 0)
                .ok_or_else(|| Why::Refused(e.origin, format!("the percentage `{}`", e.name)))?
        };
        sum = if percent > 0 { sum + percent } else { 10_000 };
        if sum > 10_000 {
            return Err(Why::Refused(
                e.origin,
                "a `split_clients` whose percentages sum over 100%".into(),
            ));
        }
        let limit = if percent > 0 {
            let share = u64::from(percent) * u64::from(u32::MAX) / 10_000;
            last = last.wrapping_add(share as u32);
            last
        } else {
            0
        };
        parts.push((limit, value.clone()));
    }
    Ok(SplitTable { parts })
}

/// `12.5` as 1250: nginx's `ngx_atofp(…, 2)`.
fn hundredths(text: &str) -> Option<u32> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if int.is_empty() && frac.is_empty()
        || frac.len() > 2
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let int: u32 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let frac: u32 = format!("{frac:0<2}").parse().ok()?;
    int.checked_mul(100)?.checked_add(frac)
}

/// nginx's `ngx_murmur_hash2`.
pub fn murmur2(data: &[u8]) -> u32 {
    const M: u32 = 0x5bd1_e995;
    let mut h = data.len() as u32;
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> 24;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let rest = chunks.remainder();
    if rest.len() >= 3 {
        h ^= u32::from(rest[2]) << 16;
    }
    if rest.len() >= 2 {
        h ^= u32::from(rest[1]) << 8;
    }
    if !rest.is_empty() {
        h ^= u32::from(rest[0]);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, value: &str) -> Opaque {
        Opaque {
            name: name.into(),
            args: vec![value.into()],
            ..Opaque::default()
        }
    }

    #[test]
    fn percentages_as_nginx_reads_them() {
        assert_eq!(hundredths("12.5"), Some(1250));
        assert_eq!(hundredths("0.01"), Some(1));
        assert_eq!(hundredths("100"), Some(10_000));
        assert_eq!(hundredths("1.234"), None);
        assert_eq!(hundredths("x"), None);
    }

    #[test]
    fn split_parts_cover_the_hash_space() {
        let t = split_table(&[entry("50%", "a"), entry("*", "b")]).unwrap();
        assert_eq!(t.parts[0].0, u32::MAX / 2);
        let (mut a, mut b) = (0, 0);
        for i in 0..2000 {
            match t.find(format!("10.0.{}.{}", i / 256, i % 256).as_bytes()) {
                "a" => a += 1,
                "b" => b += 1,
                other => panic!("{other}"),
            }
        }
        assert!((800..1200).contains(&a) && a + b == 2000, "{a} {b}");
        let over = split_table(&[entry("60%", "a"), entry("50%", "b")]);
        assert!(matches!(over, Err(Why::Refused(..))));
        // Past the last part nothing is chosen.
        let partial = split_table(&[entry("0.01%", "a")]).unwrap();
        assert_eq!(partial.find(b"anything"), "");
    }

    #[test]
    fn murmur2_known_values() {
        // ngx_murmur_hash2 of the empty string is 0; of "a" (one tail byte).
        assert_eq!(murmur2(b""), 0);
        assert_eq!(murmur2(b"a"), 0x92685f5e);
    }
}
