//! HAProxy ACLs and the conditions that use them (`use_backend B if COND`), as HAProxy 2.6
//! evaluates them: an ACL is a sample fetch, match flags and patterns (several `acl` lines of
//! one name are ORed); a condition is `if` or `unless` over ACL names, `!` negations and
//! anonymous `{ … }` ACLs, ANDed by juxtaposition and ORed by `||` (AND binds tighter).
//!
//! Fetches: `path`, `url`, `query`, `base`, `method`, `src`, `hdr(NAME)` (comma-separated
//! values apart), `fhdr(NAME)`, `req.hdr(…)`/`req.fhdr(…)`, `url_param(NAME)`/`urlp(NAME)`,
//! `ssl_fc`, with the `_beg`, `_end`, `_sub`, `_reg`, `_dom`, `_dir`, `_len` suffixes or `-m`;
//! `-i` folds case. HAProxy's predefined ACLs `TRUE`, `FALSE`, `LOCALHOST`, `METH_*` and
//! `HTTP_1.0`/`HTTP_1.1` are known. Anything else is refused where it is written.

use std::collections::HashMap;
use std::net::IpAddr;

use hyper::{HeaderMap, Method, Request, Version};
use regex::{Regex, RegexBuilder};

use crate::ir::{Acl, Origin};

use super::support::Findings;

/// What a request offers to the fetches.
pub struct Sample<'a> {
    pub method: &'a Method,
    /// The request target as received (origin form: path and query).
    pub target: &'a str,
    pub headers: &'a HeaderMap,
    pub version: Version,
    pub src: IpAddr,
    pub tls: bool,
}

impl<'a> Sample<'a> {
    pub fn of<B>(req: &'a Request<B>, src: IpAddr, tls: bool) -> Sample<'a> {
        Sample {
            method: req.method(),
            target: req.uri().path_and_query().map_or("/", |p| p.as_str()),
            headers: req.headers(),
            version: req.version(),
            src,
            tls,
        }
    }
}

#[derive(Debug, Clone)]
enum Fetch {
    Path,
    Url,
    Query,
    Base,
    Method,
    Src,
    /// A header's values; `true`: split on commas (`hdr`), `false`: whole lines (`fhdr`).
    Hdr(String, bool),
    UrlParam(String),
    SslFc,
    /// `req.ver`: `1.0` or `1.1`.
    Version,
    /// `always_true`, `always_false`.
    Always(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    Str,
    Beg,
    End,
    Sub,
    Reg,
    Dom,
    Dir,
    Len,
    Found,
    Bool,
    Ip,
}

impl How {
    /// The match a `-m` name or a fetch suffix (`_beg`, …) stands for.
    fn named(name: &str) -> Option<How> {
        Some(match name {
            "str" => How::Str,
            "beg" => How::Beg,
            "end" => How::End,
            "sub" => How::Sub,
            "reg" => How::Reg,
            "dom" => How::Dom,
            "dir" => How::Dir,
            "len" => How::Len,
            "found" => How::Found,
            "bool" => How::Bool,
            "ip" => How::Ip,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
enum Pattern {
    Text(String),
    Regex(Regex),
    Len(usize),
    Net(IpAddr, u8),
}

/// One ACL line (or an anonymous ACL): fetch, match and patterns.
#[derive(Debug, Clone)]
pub struct Test {
    fetch: Fetch,
    how: How,
    fold: bool,
    patterns: Vec<Pattern>,
}

/// A term of a condition: a named ACL (its lines ORed), an anonymous one or a predefined one,
/// maybe negated.
#[derive(Debug, Clone)]
struct Term {
    tests: Vec<Test>,
    negated: bool,
}

/// `if`/`unless` over terms: OR of ANDs.
#[derive(Debug, Clone)]
pub struct Condition {
    any: Vec<Vec<Term>>,
    unless: bool,
}

/// A section's named ACLs, compiled; `None` for one lbc cannot evaluate (reported where
/// it is defined, when a condition uses it).
pub struct Acls(HashMap<String, Option<Vec<Test>>>);

impl Acls {
    /// Compiles `acls` (several lines of one name are ORed); an unsupported one is refused if
    /// one of `conditions` names it.
    pub fn compile(acls: &[Acl], conditions: &[&str], f: &mut Findings) -> Acls {
        let used = |name: &str| {
            conditions.iter().any(|c| {
                c.split_whitespace()
                    .any(|w| w.trim_start_matches('!') == name)
            })
        };
        let mut named: HashMap<String, Option<Vec<Test>>> = HashMap::new();
        for a in acls {
            let mut words: Vec<String> = a.criterion.split_whitespace().map(String::from).collect();
            words.extend(a.values.iter().cloned());
            let entry = named
                .entry(a.name.clone())
                .or_insert_with(|| Some(Vec::new()));
            match Test::compile(&words) {
                Ok(t) => {
                    if let Some(tests) = entry {
                        tests.push(t);
                    }
                }
                Err(e) => {
                    *entry = None;
                    if used(&a.name) {
                        f.refuse(a.origin, format!("this ACL: {e}"));
                    }
                }
            }
        }
        Acls(named)
    }
}

impl Condition {
    /// Compiles `text` (`if …` / `unless …`) over the section's `acls`; `None` (reported) when
    /// something in it is not supported.
    pub fn compile(text: &str, acls: &Acls, origin: Origin, f: &mut Findings) -> Option<Self> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let (unless, rest) = match words.split_first() {
            Some((&"if", rest)) => (false, rest),
            Some((&"unless", rest)) => (true, rest),
            _ => {
                f.refuse(origin, format!("the condition `{text}`"));
                return None;
            }
        };
        let mut any = vec![Vec::new()];
        let mut i = 0;
        while i < rest.len() {
            let mut w = rest[i];
            if w == "||" || w.eq_ignore_ascii_case("or") {
                any.push(Vec::new());
                i += 1;
                continue;
            }
            let mut negated = false;
            if let Some(after) = w.strip_prefix('!') {
                negated = true;
                if after.is_empty() {
                    i += 1;
                    w = rest.get(i).copied().unwrap_or("");
                } else {
                    w = after;
                }
            }
            let tests = if w == "{" {
                let Some(end) = rest[i..].iter().position(|x| *x == "}") else {
                    f.refuse(origin, format!("the condition `{text}` (an unclosed `{{`)"));
                    return None;
                };
                let inner: Vec<String> =
                    rest[i + 1..i + end].iter().map(|s| s.to_string()).collect();
                i += end;
                match Test::compile(&inner) {
                    Ok(t) => vec![t],
                    Err(e) => {
                        f.refuse(origin, format!("`{{ {} }}`: {e}", inner.join(" ")));
                        return None;
                    }
                }
            } else if let Some(tests) = acls.0.get(w) {
                tests.clone()?
            } else if let Some(t) = predefined(w) {
                vec![t]
            } else {
                f.refuse(origin, format!("the unknown ACL `{w}`"));
                return None;
            };
            if let Some(all) = any.last_mut() {
                all.push(Term { tests, negated });
            }
            i += 1;
        }
        if any.iter().any(Vec::is_empty) {
            f.refuse(origin, format!("the condition `{text}`"));
            return None;
        }
        Some(Condition { any, unless })
    }

    /// Whether the condition holds for `s`.
    pub fn holds(&self, s: &Sample<'_>) -> bool {
        let met = self.any.iter().any(|all| {
            all.iter()
                .all(|t| t.tests.iter().any(|test| test.matches(s)) != t.negated)
        });
        met != self.unless
    }
}

/// HAProxy's predefined ACLs that lbc can evaluate.
fn predefined(name: &str) -> Option<Test> {
    let words: &[&str] = match name {
        "TRUE" => &["always_true"],
        "FALSE" => &["always_false"],
        "LOCALHOST" => &["src", "127.0.0.1/8", "::1"],
        "HTTP_1.0" => &["req.ver", "1.0"],
        "HTTP_1.1" => &["req.ver", "1.1"],
        "METH_CONNECT" => &["method", "CONNECT"],
        "METH_DELETE" => &["method", "DELETE"],
        "METH_GET" => &["method", "GET", "HEAD"],
        "METH_HEAD" => &["method", "HEAD"],
        "METH_OPTIONS" => &["method", "OPTIONS"],
        "METH_POST" => &["method", "POST"],
        "METH_PUT" => &["method", "PUT"],
        "METH_TRACE" => &["method", "TRACE"],
        _ => return None,
    };
    let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    Test::compile(&words).ok()
}

impl Test {
    /// `FETCH [FLAGS] [--] PATTERNS…`.
    fn compile(words: &[String]) -> Result<Test, String> {
        let Some((fetch_word, rest)) = words.split_first() else {
            return Err("an empty ACL".into());
        };
        if fetch_word.contains(',') {
            return Err(format!("converters (`{fetch_word}`)"));
        }
        let (base, arg) = match fetch_word.split_once('(') {
            Some((b, a)) => (b, Some(a.strip_suffix(')').ok_or("an unclosed `(`")?)),
            None => (fetch_word.as_str(), None),
        };
        let base = base.strip_prefix("req.").unwrap_or(base);
        let (name, suffix) = match base.rsplit_once('_') {
            Some((n, s)) if matches!(s, "beg" | "end" | "sub" | "reg" | "dom" | "dir" | "len") => {
                (n, Some(s))
            }
            _ => (base, None),
        };
        let header = |full: bool| -> Result<Fetch, String> {
            let a = arg.ok_or("a header fetch without a name")?;
            let name = a.split(',').next().unwrap_or("").trim();
            if a.contains(',') {
                return Err(format!("header occurrences (`{fetch_word}`)"));
            }
            Ok(Fetch::Hdr(name.to_ascii_lowercase(), !full))
        };
        let (fetch, default) = match (name, arg) {
            ("path", None) => (Fetch::Path, How::Str),
            ("url", None) => (Fetch::Url, How::Str),
            ("query", None) => (Fetch::Query, How::Str),
            ("base", None) => (Fetch::Base, How::Str),
            ("method", None) => (Fetch::Method, How::Str),
            ("src", None) => (Fetch::Src, How::Ip),
            ("ssl_fc", None) => (Fetch::SslFc, How::Bool),
            ("ver", None) => (Fetch::Version, How::Str),
            ("always_true", None) => (Fetch::Always(true), How::Bool),
            ("always_false", None) => (Fetch::Always(false), How::Bool),
            ("hdr", _) => (header(false)?, How::Str),
            ("fhdr", _) => (header(true)?, How::Str),
            ("url_param" | "urlp", Some(a)) => (Fetch::UrlParam(a.to_string()), How::Str),
            _ => return Err(format!("the fetch `{fetch_word}`")),
        };
        let mut how = suffix.and_then(How::named).unwrap_or(default);
        let mut fold = false;
        let mut patterns = Vec::new();
        let mut it = rest.iter();
        let mut flags = true;
        while let Some(w) = it.next() {
            if flags && w.starts_with('-') && w.len() > 1 {
                match w.as_str() {
                    "-i" => fold = true,
                    "-n" => {}
                    "--" => flags = false,
                    "-m" => {
                        let m = it.next().map_or("", String::as_str);
                        how = How::named(m).ok_or_else(|| format!("`-m {m}`"))?;
                    }
                    _ => return Err(format!("the flag `{w}`")),
                }
                continue;
            }
            flags = false;
            patterns.push(match how {
                How::Reg => Pattern::Regex(
                    RegexBuilder::new(w)
                        .case_insensitive(fold)
                        .build()
                        .map_err(|_| format!("the regex `{w}`"))?,
                ),
                How::Len => Pattern::Len(w.parse().map_err(|_| format!("the length `{w}`"))?),
                How::Ip => net(w).ok_or_else(|| format!("the address `{w}`"))?,
                How::Found | How::Bool => return Err(format!("a pattern (`{w}`) for a boolean")),
                _ if fold => Pattern::Text(w.to_ascii_lowercase()),
                _ => Pattern::Text(w.clone()),
            });
        }
        Ok(Test {
            fetch,
            how,
            fold,
            patterns,
        })
    }

    fn matches(&self, s: &Sample<'_>) -> bool {
        let values: Vec<std::borrow::Cow<'_, str>> = match &self.fetch {
            Fetch::Always(b) => return *b,
            Fetch::SslFc => return s.tls,
            Fetch::Src => {
                return self.patterns.iter().any(|p| match p {
                    Pattern::Net(net, bits) => in_net(s.src, *net, *bits),
                    _ => false,
                })
            }
            Fetch::Path => vec![s.target.split('?').next().unwrap_or("").into()],
            Fetch::Url => vec![s.target.into()],
            Fetch::Query => match s.target.split_once('?') {
                Some((_, q)) => vec![q.into()],
                None => vec![],
            },
            Fetch::Base => {
                let host = s.headers.get("host").and_then(|h| h.to_str().ok());
                match host {
                    Some(h) => {
                        vec![format!("{h}{}", s.target.split('?').next().unwrap_or("")).into()]
                    }
                    None => vec![s.target.split('?').next().unwrap_or("").to_string().into()],
                }
            }
            Fetch::Method => vec![s.method.as_str().into()],
            Fetch::Version => vec![match s.version {
                Version::HTTP_10 => "1.0",
                Version::HTTP_2 => "2.0",
                _ => "1.1",
            }
            .into()],
            Fetch::Hdr(name, split) => {
                let mut out = Vec::new();
                for v in s.headers.get_all(name.as_str()) {
                    let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
                    if *split {
                        out.extend(v.split(',').map(|p| p.trim().to_string().into()));
                    } else {
                        out.push(v.into());
                    }
                }
                out
            }
            Fetch::UrlParam(name) => s
                .target
                .split_once('?')
                .map(|(_, q)| q)
                .unwrap_or("")
                .split('&')
                .filter_map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                    (k == name).then(|| v.to_string().into())
                })
                .collect(),
        };
        if self.how == How::Found {
            return !values.is_empty();
        }
        values.iter().any(|v| {
            let folded;
            let v: &str = if self.fold && self.how != How::Reg {
                folded = v.to_ascii_lowercase();
                &folded
            } else {
                v
            };
            self.patterns.iter().any(|p| match (self.how, p) {
                (How::Str, Pattern::Text(t)) => v == t,
                (How::Beg, Pattern::Text(t)) => v.starts_with(t.as_str()),
                (How::End, Pattern::Text(t)) => v.ends_with(t.as_str()),
                (How::Sub, Pattern::Text(t)) => v.contains(t.as_str()),
                (How::Dom, Pattern::Text(t)) => {
                    delimited(v, t, |c| matches!(c, '/' | '?' | '.' | ':'))
                }
                (How::Dir, Pattern::Text(t)) => delimited(v, t, |c| matches!(c, '/' | '?')),
                (_, Pattern::Regex(r)) => r.is_match(v),
                (_, Pattern::Len(n)) => v.len() == *n,
                _ => false,
            })
        })
    }
}

/// Whether `pattern` occurs in `v` with a delimiter (or an end) on each side, as HAProxy's
/// `dom` and `dir` matches want it.
fn delimited(v: &str, pattern: &str, delim: impl Fn(char) -> bool) -> bool {
    let pattern = pattern.trim_matches(&delim);
    if pattern.is_empty() {
        return false;
    }
    v.match_indices(pattern).any(|(at, _)| {
        let before = v[..at].chars().next_back();
        let after = v[at + pattern.len()..].chars().next();
        before.is_none_or(&delim) && after.is_none_or(&delim)
    })
}

fn net(w: &str) -> Option<Pattern> {
    let (addr, bits) = match w.split_once('/') {
        Some((a, b)) => (a, Some(b)),
        None => (w, None),
    };
    let ip: IpAddr = addr.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let bits = match bits {
        None => max,
        Some(b) => match b.parse::<u8>() {
            Ok(n) if n <= max => n,
            // A dotted mask.
            _ => {
                let m: std::net::Ipv4Addr = b.parse().ok()?;
                u32::from(m).count_ones() as u8
            }
        },
    };
    Some(Pattern::Net(ip, bits))
}

fn in_net(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V4(_)) => a
            .to_ipv4_mapped()
            .is_some_and(|a| in_net(IpAddr::V4(a), net, bits)),
        _ => false,
    }
}

/// A frontend's `use_backend` rules, in order: the first whose condition holds picks the
/// handler.
pub struct Switch<H> {
    pub rules: Vec<(Condition, H)>,
}

impl<H> Switch<H> {
    pub fn pick(&self, s: &Sample<'_>) -> Option<&H> {
        self.rules.iter().find(|(c, _)| c.holds(s)).map(|(_, h)| h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acl(name: &str, criterion: &str, values: &[&str]) -> Acl {
        Acl {
            name: name.into(),
            criterion: criterion.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
            origin: Origin::default(),
        }
    }

    fn holds(
        cond: &str,
        acls: &[Acl],
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
    ) -> bool {
        let mut f = Findings::default();
        let acls = Acls::compile(acls, &[cond], &mut f);
        let c = Condition::compile(cond, &acls, Origin::default(), &mut f).expect("compiles");
        let mut b = Request::builder().method(method).uri(target);
        for (n, v) in headers {
            b = b.header(*n, *v);
        }
        let req = b.body(()).unwrap();
        c.holds(&Sample::of(&req, "10.1.2.3".parse().unwrap(), false))
    }

    #[test]
    fn conditions_combine_as_haproxy_reads_them() {
        let acls = [
            acl("api", "path_beg -i", &["/api", "/v2"]),
            acl("b", "hdr(host) -i", &["b.test"]),
            acl("post", "method", &["POST"]),
            acl("api", "path_end", &[".json"]),
        ];
        assert!(holds("if api", &acls, "GET", "/API/x", &[]));
        assert!(holds("if api", &acls, "GET", "/x.json", &[]));
        assert!(!holds("if api", &acls, "GET", "/x", &[]));
        assert!(holds(
            "if b !post",
            &acls,
            "GET",
            "/",
            &[("host", "B.test")]
        ));
        assert!(!holds(
            "if b !post",
            &acls,
            "POST",
            "/",
            &[("host", "b.test")]
        ));
        assert!(holds(
            "if { path_end .php } || post",
            &acls,
            "POST",
            "/",
            &[]
        ));
        assert!(holds(
            "if { path_end .php } || post",
            &acls,
            "GET",
            "/a.php",
            &[]
        ));
        assert!(holds("unless api", &acls, "GET", "/", &[]));
        assert!(holds(
            "if { src 10.0.0.0/8 } METH_GET",
            &acls,
            "HEAD",
            "/",
            &[]
        ));
        assert!(holds(
            "if { hdr_dom(host) example.com }",
            &acls,
            "GET",
            "/",
            &[("host", "www.example.com:80")]
        ));
        assert!(!holds(
            "if { hdr_dom(host) example.com }",
            &acls,
            "GET",
            "/",
            &[("host", "badexample.com")]
        ));
        assert!(holds(
            "if { url_param(id) -m reg ^[0-9]+$ }",
            &acls,
            "GET",
            "/?a=1&id=42",
            &[]
        ));
        assert!(holds(
            "if { hdr(accept) text/html }",
            &acls,
            "GET",
            "/",
            &[("accept", "text/plain, text/html")]
        ));
        assert!(!holds(
            "if { fhdr(accept) text/html }",
            &acls,
            "GET",
            "/",
            &[("accept", "text/plain, text/html")]
        ));
    }
}
