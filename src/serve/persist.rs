//! HAProxy's cookie persistence: a backend's `cookie NAME [insert|rewrite|prefix] [indirect]
//! [nocache] [postonly] [preserve] [httponly] [secure] [domain D]… [attr A]…` and its servers'
//! `cookie VALUE`, as HAProxy 2.6 runs them (`http_manage_client_side_cookies`,
//! `http_manage_server_side_cookies` and the insertion of `http_process_res_common`).
//!
//! Request side: the first occurrence of the cookie, over the `Cookie` headers in order, that
//! names a usable server (not down, not in maintenance; any with `option persist`) sends the
//! request there without balancing; with `insert indirect` every occurrence is removed from the
//! request, with `prefix` the `SERVER~` part is. Response side: a server's own cookie of the
//! name is removed (`insert`, or `indirect` on a request sent by cookie), given the server's
//! value (`rewrite`) or prefixed with it (`prefix`); `insert` appends HAProxy's cookie when the
//! request did not come by cookie (`NAME=VALUE; path=/[; domain=D][; HttpOnly][; Secure][; A]`,
//! a removal cookie for a server without a value), and `nocache` then `Cache-Control: private`
//! when the response is cacheable.

use hyper::header::{HeaderName, HeaderValue, CACHE_CONTROL, COOKIE, SET_COOKIE};
use hyper::{HeaderMap, Method};

use crate::ir::Opaque;

use super::peers::Peers;
use super::support::Findings;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// No mode: the server sets the cookie; HAProxy only reads it.
    Passive,
    Insert,
    Rewrite,
    Prefix,
}

/// A backend's cookie persistence, compiled.
#[derive(Debug)]
pub struct Persist {
    name: String,
    mode: Mode,
    indirect: bool,
    nocache: bool,
    postonly: bool,
    preserve: bool,
    /// `option persist`: a cookie naming a server that is down still sends the request there.
    persist: bool,
    /// What follows the value in an inserted cookie: `; path=/` and the attributes.
    suffix: String,
    /// Each peer's `cookie` value, by peer index.
    values: Vec<Option<String>>,
}

/// The peer a request's cookie chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Direct(pub usize);

impl Persist {
    /// The `cookie` line among a backend's `opaque` ones (`None` without one, or when it is
    /// refused), with its servers' values (`values`, by peer) and `option persist`.
    pub fn compile(
        opaque: &[Opaque],
        values: Vec<Option<String>>,
        f: &mut Findings,
    ) -> Option<Persist> {
        let line = opaque.iter().rev().find(|o| o.name == "cookie")?;
        let persist = opaque
            .iter()
            .any(|o| o.name == "option" && o.args == ["persist"]);
        let mut p = Persist {
            name: line.args.first()?.clone(),
            mode: Mode::Passive,
            indirect: false,
            nocache: false,
            postonly: false,
            preserve: false,
            persist,
            suffix: String::from("; path=/"),
            values,
        };
        let (mut domains, mut attrs) = (Vec::new(), Vec::new());
        let (mut httponly, mut secure) = (false, false);
        let mut args = line.args[1..].iter();
        while let Some(a) = args.next() {
            match a.as_str() {
                "insert" => p.mode = Mode::Insert,
                "rewrite" => p.mode = Mode::Rewrite,
                "prefix" => p.mode = Mode::Prefix,
                "indirect" => p.indirect = true,
                "nocache" => p.nocache = true,
                "postonly" => p.postonly = true,
                "preserve" => p.preserve = true,
                "httponly" => httponly = true,
                "secure" => secure = true,
                "domain" | "attr" => {
                    let Some(v) = args.next() else {
                        f.refuse(line.origin, format!("`cookie … {a}` without its value"));
                        return None;
                    };
                    if a == "domain" {
                        domains.push(v.clone());
                    } else {
                        attrs.push(v.clone());
                    }
                }
                other => {
                    // `maxidle`, `maxlife` (dated cookies) and `dynamic` (hashed values).
                    f.refuse(line.origin, format!("`cookie … {other}`"));
                    return None;
                }
            }
        }
        for d in &domains {
            p.suffix.push_str("; domain=");
            p.suffix.push_str(d);
        }
        if httponly {
            p.suffix.push_str("; HttpOnly");
        }
        if secure {
            p.suffix.push_str("; Secure");
        }
        for a in &attrs {
            p.suffix.push_str("; ");
            p.suffix.push_str(a);
        }
        Some(p)
    }

    /// Reads the request's cookies: the usable peer the first occurrence of the cookie names,
    /// if any; the `Cookie` headers are changed as HAProxy forwards them (`insert indirect`
    /// removes every occurrence, `prefix` the `SERVER~` part).
    pub fn request(&self, headers: &mut HeaderMap, peers: &Peers) -> Option<Direct> {
        if !headers.contains_key(COOKIE) {
            return None;
        }
        let strip = self.mode == Mode::Insert && self.indirect;
        let mut direct = None;
        let mut changed = false;
        let mut out: Vec<Option<HeaderValue>> = Vec::new();
        for value in headers.get_all(COOKIE) {
            let Ok(text) = value.to_str() else {
                out.push(Some(value.clone()));
                continue;
            };
            let mut kept: Vec<(u8, String)> = Vec::new();
            let mut touched = false;
            let mut dropping = false;
            for (sep, item) in split_cookies(text) {
                let (name, val) = match item.split_once('=') {
                    Some((n, v)) => (n.trim_end(), Some(v.trim())),
                    None => (item.trim_end(), None),
                };
                if name.starts_with('$') && dropping {
                    touched = true;
                    continue;
                }
                dropping = false;
                let Some(val) = val.filter(|_| name == self.name) else {
                    kept.push((sep, item.to_string()));
                    continue;
                };
                let (id, rest) = match self.mode {
                    Mode::Prefix => match val.split_once('~') {
                        Some((id, rest)) => (id, Some(rest)),
                        None => (val, None),
                    },
                    _ => (val.split('|').next().unwrap_or(""), None),
                };
                if direct.is_none() && !id.is_empty() {
                    direct = self.find(id, peers);
                }
                if strip {
                    touched = true;
                    dropping = true;
                } else if let Some(rest) = rest {
                    touched = true;
                    kept.push((sep, format!("{name}={rest}")));
                } else {
                    kept.push((sep, item.to_string()));
                }
            }
            if !touched {
                out.push(Some(value.clone()));
                continue;
            }
            changed = true;
            let mut joined = String::new();
            for (k, (sep, item)) in kept.iter().enumerate() {
                if k > 0 {
                    joined.push(*sep as char);
                    joined.push(' ');
                }
                joined.push_str(item);
            }
            out.push(if joined.is_empty() {
                None
            } else {
                HeaderValue::from_str(&joined).ok()
            });
        }
        if changed {
            headers.remove(COOKIE);
            for v in out.into_iter().flatten() {
                headers.append(COOKIE, v);
            }
        }
        direct
    }

    /// The first peer whose value is `id` and that can take the request.
    fn find(&self, id: &str, peers: &Peers) -> Option<Direct> {
        self.values
            .iter()
            .enumerate()
            .filter(|(_, v)| v.as_deref() == Some(id))
            .map(|(i, _)| i)
            .find(|&i| {
                let p = &peers.peers[i];
                self.persist || (!p.down && p.is_check_up())
            })
            .map(Direct)
    }

    /// Changes the response of peer `peer` to a request (`method`) that came by cookie
    /// (`direct`) or not: the server's own cookie of the name, then HAProxy's cookie and
    /// `Cache-Control: private` (`nocache`) appended.
    pub fn response(
        &self,
        headers: &mut HeaderMap,
        status: u16,
        method: &Method,
        peer: usize,
        direct: bool,
    ) {
        let value = self.values.get(peer).and_then(Option::as_deref);
        let mut found = false;
        if headers.contains_key(SET_COOKIE) {
            let mut out = Vec::new();
            let mut changed = false;
            for v in headers.get_all(SET_COOKIE) {
                let text = v.to_str().unwrap_or("");
                let Some((name, val, rest)) = first_cookie(text) else {
                    out.push(Some(v.clone()));
                    continue;
                };
                if name != self.name {
                    out.push(Some(v.clone()));
                    continue;
                }
                found = true;
                let new = if self.preserve {
                    Some(v.clone())
                } else if self.mode == Mode::Insert || (direct && self.indirect) {
                    None
                } else if let (Some(srv), Mode::Rewrite) = (value, self.mode) {
                    HeaderValue::from_str(&format!("{name}={srv}{rest}")).ok()
                } else if let (Some(srv), Mode::Prefix) = (value, self.mode) {
                    HeaderValue::from_str(&format!("{name}={srv}~{val}{rest}")).ok()
                } else {
                    Some(v.clone())
                };
                changed |= new.as_ref() != Some(v);
                out.push(new);
            }
            if changed {
                headers.remove(SET_COOKIE);
                for v in out.into_iter().flatten() {
                    headers.append(SET_COOKIE, v);
                }
            }
        }
        let insert = self.mode == Mode::Insert
            && !(found && self.preserve)
            && !direct
            && (!self.postonly || method == Method::POST);
        if !insert {
            return;
        }
        let cookie = match value {
            Some(v) => format!("{}={v}{}", self.name, self.suffix),
            None => format!(
                "{}=; Expires=Thu, 01-Jan-1970 00:00:01 GMT{}",
                self.name, self.suffix
            ),
        };
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            headers.append(SET_COOKIE, v);
        }
        if self.nocache && cacheable(headers, status, method) {
            headers.append(CACHE_CONTROL, HeaderValue::from_static("private"));
        }
    }
}

/// The cookies of one `Cookie` header, each with the separator before it (`;` or `,`): the
/// text between unquoted separators, leading blanks removed.
fn split_cookies(text: &str) -> Vec<(u8, &str)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut sep) = (0, b';');
    let (mut quoted, mut escaped) = (false, false);
    for (i, &c) in b.iter().enumerate() {
        if escaped {
            escaped = false;
        } else if quoted && c == b'\\' {
            escaped = true;
        } else if c == b'"' {
            quoted = !quoted;
        } else if !quoted && (c == b';' || c == b',') {
            push_cookie(&mut out, sep, &text[start..i]);
            start = i + 1;
            sep = c;
        }
    }
    push_cookie(&mut out, sep, &text[start..]);
    out
}

fn push_cookie<'a>(out: &mut Vec<(u8, &'a str)>, sep: u8, item: &'a str) {
    let item = item.trim_start_matches([' ', '\t']);
    if !item.trim().is_empty() {
        out.push((sep, item));
    }
}

/// The first `NAME=VALUE` of a `Set-Cookie` value, blanks around both removed, and the text
/// after the value (its attributes, as written).
fn first_cookie(text: &str) -> Option<(&str, &str, &str)> {
    let text = text.trim_start_matches([' ', '\t']);
    let eq = text.find(['=', ';'])?;
    if text.as_bytes()[eq] != b'=' {
        return None;
    }
    let name = text[..eq].trim_end();
    let after = &text[eq + 1..];
    let start = after.len() - after.trim_start_matches([' ', '\t']).len();
    let end = after.find(';').unwrap_or(after.len());
    let value = after[start.min(end)..end].trim_end();
    let value_end = start.min(end) + value.len();
    Some((name, value, &after[value_end..]))
}

/// Whether HAProxy takes the response as cacheable (`http_check_response_for_cacheability`
/// after the method and status checks): a cacheable method and status, no `Pragma: no-cache`,
/// no `private`/`no-cache`/`no-store`/`s-maxage=0` (nor `max-age=0` without `s-maxage`), and
/// freshness (`max-age`, `s-maxage`, `Expires`) or a validator (`ETag`, `Last-Modified`).
fn cacheable(headers: &HeaderMap, status: u16, method: &Method) -> bool {
    let mut ok = matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS" | "TRACE")
        && matches!(
            status,
            200 | 203 | 204 | 206 | 300 | 301 | 404 | 405 | 410 | 414 | 501
        );
    let values = |name: HeaderName| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|v| v.trim().to_ascii_lowercase())
            .collect()
    };
    if values(hyper::header::PRAGMA)
        .iter()
        .any(|v| v == "no-cache")
    {
        return false;
    }
    let (mut fresh, mut null_max_age) = (false, false);
    for v in values(CACHE_CONTROL) {
        match v.as_str() {
            "public" => ok = true,
            "max-age=0" => null_max_age = true,
            "private" | "no-cache" | "no-store" | "s-maxage=0" => ok = false,
            _ if v.starts_with("s-maxage") => {
                fresh = true;
                null_max_age = false;
            }
            _ if v.starts_with("max-age") => fresh = true,
            _ => {}
        }
    }
    if null_max_age {
        ok = false;
    }
    if !fresh {
        fresh = headers.contains_key(hyper::header::EXPIRES);
    }
    let validator = headers.contains_key(hyper::header::ETAG)
        || headers.contains_key(hyper::header::LAST_MODIFIED);
    ok && (fresh || validator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_split_as_haproxy_splits_them() {
        assert_eq!(
            split_cookies("a=1; SRV=c2,b=\"x;y\" ;  $Path=/"),
            [
                (b';', "a=1"),
                (b';', "SRV=c2"),
                (b',', "b=\"x;y\" "),
                (b';', "$Path=/")
            ]
        );
    }

    #[test]
    fn set_cookie_parts() {
        assert_eq!(
            first_cookie("SRV = app ; Path=/"),
            Some(("SRV", "app", " ; Path=/"))
        );
        assert_eq!(
            first_cookie("SRV=; Max-Age=0"),
            Some(("SRV", "", "; Max-Age=0"))
        );
        assert_eq!(first_cookie("a=b"), Some(("a", "b", "")));
        assert_eq!(first_cookie("flag; x=1"), None);
    }

    #[test]
    fn cacheability() {
        let h = |pairs: &[(&str, &str)]| {
            let mut m = HeaderMap::new();
            for (n, v) in pairs {
                m.append(
                    HeaderName::from_bytes(n.as_bytes()).unwrap(),
                    HeaderValue::from_str(v).unwrap(),
                );
            }
            m
        };
        let get = Method::GET;
        assert!(!cacheable(&h(&[]), 200, &get));
        assert!(cacheable(&h(&[("last-modified", "x")]), 200, &get));
        assert!(cacheable(&h(&[("cache-control", "max-age=60")]), 200, &get));
        assert!(!cacheable(&h(&[("cache-control", "public")]), 200, &get));
        assert!(!cacheable(
            &h(&[("cache-control", "max-age=60")]),
            302,
            &get
        ));
        assert!(!cacheable(&h(&[("etag", "x")]), 200, &Method::POST));
        assert!(!cacheable(
            &h(&[("cache-control", "max-age=0"), ("etag", "x")]),
            200,
            &get
        ));
        assert!(cacheable(
            &h(&[("cache-control", "max-age=0, s-maxage=9")]),
            200,
            &get
        ));
    }
}
