//! The HAProxy-style statistics page of `lbc serve`: where a frontend (or `listen`) section has
//! `stats enable` / `stats uri`, requests whose URI starts with the stats URI (default
//! `/haproxy?stats`, as in HAProxy) get an HTML table of the listeners, pools and servers with
//! their status and counters, behind `stats auth` basic authentication when configured.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use hyper::header::{HeaderValue, AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, WWW_AUTHENTICATE};
use hyper::{HeaderMap, Response, StatusCode, Uri};

use super::metrics::Metrics;
use super::respond::{self, Body};
use super::support::Findings;
use crate::ir::{Action, Ir, Protocol, Service, Stats};

/// HAProxy's default `stats uri` and `stats realm`.
const DEFAULT_URI: &str = "/haproxy?stats";
const DEFAULT_REALM: &str = "HAProxy Statistics";

/// One configured statistics page.
#[derive(Debug)]
pub struct StatsPage {
    /// The URI prefix that selects the page.
    pub uri: String,
    pub realm: String,
    /// The accepted `Authorization` values (`Basic base64(user:password)`); empty: no auth.
    pub credentials: Vec<String>,
    /// `stats refresh`, in seconds.
    pub refresh: Option<u64>,
    /// The name of the section that enabled the page.
    pub section: String,
}

/// Whether a `stats` block turns the page on: `stats enable`, or any of `uri`, `realm`, `auth`,
/// `refresh` (HAProxy enables the page implicitly for those; `admin` alone does not).
pub fn enabled(s: &Stats) -> bool {
    match &s.enabled {
        Some(e) => e.value,
        None => s.uri.is_some() || s.realm.is_some() || !s.auth.is_empty() || s.refresh.is_some(),
    }
}

/// The service without the route the HAProxy front-end adds for its stats page, and the page.
pub fn split<'a>(s: &'a Service, f: &mut Findings) -> (Cow<'a, Service>, Option<Arc<StatsPage>>) {
    let Some(st) = s.settings.stats.as_deref().filter(|st| enabled(st)) else {
        return (Cow::Borrowed(s), None);
    };
    if let Some(a) = &st.admin {
        f.refuse(a.origin, "`stats admin` (changing servers from the page)");
    }
    let uri = st
        .uri
        .as_ref()
        .map_or(DEFAULT_URI.to_string(), |u| u.value.clone());
    let realm = st
        .realm
        .as_ref()
        .map_or(DEFAULT_REALM.to_string(), |r| r.value.replace("\\ ", " "));
    let page = StatsPage {
        credentials: st
            .auth
            .iter()
            .map(|a| format!("Basic {}", base64(a.value.as_bytes())))
            .collect(),
        refresh: st.refresh.as_ref().map(|r| r.value.0.div_ceil(1000)),
        section: s.name.clone().unwrap_or_default(),
        uri,
        realm,
    };
    let mut without = s.clone();
    let at = without.routes.iter().position(|r| {
        matches!(r.action, Some(Action::Status { .. })) && r.matcher.pattern == page.uri
    });
    if let Some(i) = at {
        without.routes.remove(i);
    }
    (Cow::Owned(without), Some(Arc::new(page)))
}

/// A `stats` block in a backend section: HAProxy serves it to requests routed there, which the
/// runtime does not do. (TCP pools are refused that by [`super::l4`].)
pub fn refuse_in_pools(ir: &Ir, f: &mut Findings) {
    for p in ir.pools.iter().filter(|p| p.protocol == Protocol::Http) {
        let Some(st) = p.settings.stats.as_deref().filter(|st| enabled(st)) else {
            continue;
        };
        let origin = [
            st.enabled.as_ref().map(|x| x.origin),
            st.uri.as_ref().map(|x| x.origin),
            st.auth.first().map(|x| x.origin),
            st.realm.as_ref().map(|x| x.origin),
            st.refresh.as_ref().map(|x| x.origin),
        ]
        .into_iter()
        .flatten()
        .next()
        .unwrap_or(p.origin);
        f.refuse(origin, "a statistics page in a backend section");
    }
}

impl StatsPage {
    /// Whether a request for `uri` asks for this page (HAProxy compares the URI's beginning).
    pub fn matches(&self, uri: &Uri) -> bool {
        uri.path_and_query()
            .is_some_and(|pq| pq.as_str().starts_with(self.uri.as_str()))
    }

    /// The page, or 401 when `stats auth` is set and the request's credentials are not listed.
    pub fn answer(&self, headers: &HeaderMap, metrics: &Metrics) -> Response<Body> {
        if !self.credentials.is_empty() {
            let given = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
            if !given.is_some_and(|g| self.credentials.iter().any(|c| c == g)) {
                let mut r = Response::new(respond::full(
                    "<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n",
                ));
                *r.status_mut() = StatusCode::UNAUTHORIZED;
                let challenge = format!("Basic realm=\"{}\"", self.realm.replace('"', ""));
                if let Ok(v) = HeaderValue::from_str(&challenge) {
                    r.headers_mut().insert(WWW_AUTHENTICATE, v);
                }
                r.headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
                return r;
            }
        }
        let mut r = Response::new(respond::full(self.render(metrics)));
        let h = r.headers_mut();
        h.insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        if let Some(s) = self.refresh {
            h.insert("refresh", HeaderValue::from(s));
        }
        r
    }

    fn render(&self, m: &Metrics) -> String {
        let mut o = String::new();
        let _ = write!(
            o,
            "<!DOCTYPE html>\n<html><head><title>Statistics Report for lbc serve</title>\n\
             <style>table{{border-collapse:collapse;margin-bottom:1em}}td,th{{border:1px solid #999;padding:2px 6px}}\
             th{{background:#ddd}}.up{{background:#c0ffc0}}.down{{background:#ffc0c0}}.maint{{background:#c0c0ff}}</style>\n\
             </head><body>\n<h1>Statistics Report for lbc serve</h1>\n<p>Page of section <b>{}</b>.</p>\n",
            html(&self.section)
        );
        o.push_str("<h2>Frontends</h2>\n<table>\n<tr><th>Listener</th><th>Status</th><th>Cur sessions</th><th>Total sessions</th><th>Requests</th><th>1xx</th><th>2xx</th><th>3xx</th><th>4xx</th><th>5xx</th></tr>\n");
        for l in m.listeners() {
            let _ = write!(
                o,
                "<tr class=\"up\"><td>{}</td><td>OPEN</td><td>{}</td><td>{}</td><td>{}</td>",
                l.addr,
                l.active.load(Relaxed),
                l.accepted.load(Relaxed),
                l.total_requests()
            );
            for c in &l.requests {
                let _ = write!(o, "<td>{}</td>", c.load(Relaxed));
            }
            o.push_str("</tr>\n");
        }
        o.push_str("</table>\n<h2>Backends</h2>\n");
        for pool in m.pools() {
            let _ = write!(
                o,
                "<table>\n<tr><th colspan=\"7\">{}</th></tr>\n<tr><th>Server</th><th>Address</th><th>Status</th><th>Weight</th><th>Cur sessions</th><th>Total sessions</th><th>Failures</th></tr>\n",
                html(&pool.peers.name)
            );
            let (mut cur, mut total, mut failed, mut up) = (0u64, 0u64, 0u64, 0usize);
            for p in &pool.peers.peers {
                let (status, class) = if p.down {
                    ("MAINT", "maint")
                } else if p.is_check_up() {
                    up += 1;
                    ("UP", "up")
                } else {
                    ("DOWN", "down")
                };
                let (a, t, f) = (
                    u64::from(p.active.load(Relaxed)),
                    p.attempts.load(Relaxed),
                    p.failures.load(Relaxed),
                );
                cur += a;
                total += t;
                failed += f;
                let backup = if p.backup { " (backup)" } else { "" };
                let _ = writeln!(
                    o,
                    "<tr class=\"{class}\"><td>{}{backup}</td><td>{}</td><td>{status}</td><td>{}</td><td>{a}</td><td>{t}</td><td>{f}</td></tr>",
                    html(&p.name),
                    p.addr,
                    p.weight
                );
            }
            let status = if up > 0 { "UP" } else { "DOWN" };
            let _ = write!(
                o,
                "<tr><th>BACKEND</th><td></td><td>{status}</td><td></td><td>{cur}</td><td>{total}</td><td>{failed}</td></tr>\n</table>\n"
            );
        }
        o.push_str("</body></html>\n");
        o
    }
}

/// Text escaped for HTML.
fn html(s: &str) -> Cow<'_, str> {
    if !s.contains(['<', '>', '&', '"']) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;"),
    )
}

/// Standard base64 with padding (RFC 4648), for comparing basic-auth credentials.
fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("admin:secret", "YWRtaW46c2VjcmV0"),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded);
        }
    }

    #[test]
    fn the_uri_prefix_includes_the_query() {
        let page = StatsPage {
            uri: DEFAULT_URI.into(),
            realm: DEFAULT_REALM.into(),
            credentials: vec![],
            refresh: None,
            section: "fe".into(),
        };
        assert!(page.matches(&"/haproxy?stats".parse().unwrap()));
        assert!(page.matches(&"/haproxy?stats;csv".parse().unwrap()));
        assert!(!page.matches(&"/haproxy".parse().unwrap()));
        assert!(!page.matches(&"/other?stats".parse().unwrap()));
    }
}
