//! `valid_referers` and `$invalid_referer`, as nginx's referer module decides: no `Referer`
//! is valid with `none`; one without `http://`/`https://` with `blocked`; otherwise the host
//! (lowercased, up to `/` or `:`) must match a name (`example.com`, `*.example.com`,
//! `.example.com`, `www.example.*`, the server's names with `server_names`), then the name's
//! URI part (`example.com/galleries/`) must begin the path; or a `~regex` (caseless) must match
//! what follows the scheme.

use super::support::Findings;
use crate::ir::Origin;

#[derive(Debug, Clone)]
enum Name {
    Exact(String),
    /// `*.example.com` (`.example.com` is this plus the exact name).
    Head(String),
    /// `www.example.*`: the part before `*`, dot included.
    Tail(String),
}

impl Name {
    fn matches(&self, host: &str) -> bool {
        match self {
            Name::Exact(n) => host == n,
            Name::Head(suffix) => host.len() > suffix.len() && host.ends_with(suffix.as_str()),
            Name::Tail(prefix) => host.len() > prefix.len() && host.starts_with(prefix.as_str()),
        }
    }
}

/// A compiled `valid_referers`.
#[derive(Debug, Clone, Default)]
pub struct Referers {
    none: bool,
    blocked: bool,
    server_names: bool,
    names: Vec<(Name, Option<String>)>,
    regexes: Vec<super::pcre::Pcre>,
}

impl Referers {
    pub fn compile(args: &[String], origin: Origin, f: &mut Findings) -> Option<Referers> {
        let mut r = Referers::default();
        for a in args {
            match a.as_str() {
                "none" => r.none = true,
                "blocked" => r.blocked = true,
                "server_names" => r.server_names = true,
                _ if a.contains('$') => {
                    f.refuse(origin, "variables in `valid_referers`");
                    return None;
                }
                _ if a.starts_with('~') => match super::pcre::Pcre::new(&a[1..], true) {
                    Ok(re) => r.regexes.push(re),
                    Err(e) => {
                        f.refuse(origin, format!("the `valid_referers` regex `{a}` ({e})"));
                        return None;
                    }
                },
                _ => {
                    let lower = a.to_ascii_lowercase();
                    let (host, uri) = match lower.find('/') {
                        Some(i) => (lower[..i].to_string(), Some(a[i..].to_string())),
                        None => (lower, None),
                    };
                    if let Some(rest) = host.strip_prefix("*.") {
                        r.names.push((Name::Head(format!(".{rest}")), uri));
                    } else if let Some(rest) = host.strip_prefix('.') {
                        r.names.push((Name::Exact(rest.to_string()), uri.clone()));
                        r.names.push((Name::Head(format!(".{rest}")), uri));
                    } else if let Some(rest) = host.strip_suffix(".*") {
                        r.names.push((Name::Tail(format!("{rest}.")), uri));
                    } else if host.contains('*') {
                        f.refuse(origin, format!("the `valid_referers` name `{a}`"));
                        return None;
                    } else {
                        r.names.push((Name::Exact(host), uri));
                    }
                }
            }
        }
        Some(r)
    }

    /// Whether `referer` (the header, if any) is invalid; `server_names`: the server's names.
    pub fn invalid(&self, referer: Option<&[u8]>, server_names: &[String]) -> bool {
        let Some(referer) = referer else {
            return !self.none;
        };
        let lower = referer.to_ascii_lowercase();
        let rest = if referer.len() >= "http://i.ru".len() && lower.starts_with(b"http://") {
            &referer[7..]
        } else if referer.len() >= "https://i.ru".len() && lower.starts_with(b"https://") {
            &referer[8..]
        } else {
            return !self.blocked;
        };
        let end = rest
            .iter()
            .position(|&b| b == b'/' || b == b':')
            .unwrap_or(rest.len());
        if end > 255 {
            return true;
        }
        let host = String::from_utf8_lossy(&rest[..end]).to_ascii_lowercase();
        let found = self
            .names
            .iter()
            .find(|(n, _)| n.matches(&host))
            .map(|(_, uri)| uri.clone())
            .or_else(|| (self.server_names && server_names.contains(&host)).then_some(None));
        if let Some(uri) = found {
            let after = &rest[end..];
            let path_at = after.iter().position(|&b| b == b'/').unwrap_or(after.len());
            let path = &after[path_at..];
            return match uri {
                None => false,
                Some(u) => !path.starts_with(u.as_bytes()),
            };
        }
        let text = String::from_utf8_lossy(rest);
        !self.regexes.iter().any(|re| re.is_match(&text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nginx_s_rules() {
        let args: Vec<String> = [
            "none",
            "*.example.com",
            ".example.org",
            "www.example.*",
            "site.com/galleries/",
            "~\\.google\\.",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let r = Referers::compile(&args, Origin::default(), &mut Findings::default()).unwrap();
        let bad = |s: &str| r.invalid(Some(s.as_bytes()), &["me.net".into()]);
        assert!(!r.invalid(None, &[]));
        assert!(bad("ftp://a.example.com/"));
        assert!(!bad("http://a.example.com/x"));
        assert!(bad("http://example.com/x"));
        assert!(!bad("https://example.org"));
        assert!(!bad("http://A.Example.ORG:8080/"));
        assert!(!bad("http://www.example.net/"));
        assert!(!bad("http://site.com/galleries/1"));
        assert!(bad("http://site.com/other"));
        assert!(!bad("http://www.google.de/search"));
        assert!(bad("http://me.net/"));
    }
}
