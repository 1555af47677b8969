//! What happens around one upstream attempt: the timeouts (`proxy_connect_timeout`,
//! `proxy_read_timeout`, `proxy_send_timeout`; HAProxy `timeout connect`, `timeout server`) and
//! when to try another server — nginx's `proxy_next_upstream` conditions (default
//! `error timeout`), `proxy_next_upstream_tries`, and HAProxy's `retries` (default 3, on the
//! same server) with `option redispatch` (the last retry on another server). Compiled once per
//! proxied location from its scopes, outermost first.

use std::time::Duration;

use super::balance::Flavor;
use super::support::Findings;
use crate::ir::Settings;

/// A condition of `proxy_next_upstream` (nginx's `NGX_HTTP_UPSTREAM_FT_*`).
pub mod ft {
    pub const ERROR: u32 = 1 << 1;
    pub const TIMEOUT: u32 = 1 << 2;
    pub const INVALID_HEADER: u32 = 1 << 3;
    pub const HTTP_500: u32 = 1 << 4;
    pub const HTTP_502: u32 = 1 << 5;
    pub const HTTP_503: u32 = 1 << 6;
    pub const HTTP_504: u32 = 1 << 7;
    pub const HTTP_403: u32 = 1 << 8;
    pub const HTTP_404: u32 = 1 << 9;
    pub const HTTP_429: u32 = 1 << 10;
    pub const NON_IDEMPOTENT: u32 = 1 << 14;
}

/// The condition a response status triggers, if `proxy_next_upstream` can name it.
pub fn status_condition(status: u16) -> Option<u32> {
    Some(match status {
        500 => ft::HTTP_500,
        502 => ft::HTTP_502,
        503 => ft::HTTP_503,
        504 => ft::HTTP_504,
        403 => ft::HTTP_403,
        404 => ft::HTTP_404,
        429 => ft::HTTP_429,
        _ => return None,
    })
}

/// HAProxy's connection retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retries {
    /// `retries N`: further connection attempts after the first.
    pub retries: u32,
    /// `option redispatch`: the last retry goes to another server.
    pub redispatch: bool,
}

/// The retry and timeout policy of one proxied location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// `proxy_next_upstream` as a mask of [`ft`] conditions (0 for `off`).
    pub next: u32,
    /// `proxy_next_upstream_tries` (0: as many as there are servers).
    pub tries: u32,
    /// `proxy_next_upstream_timeout`: no further try once this long has passed since the
    /// first one (`None`: no limit).
    pub next_timeout: Option<Duration>,
    pub connect: Duration,
    /// Waiting for the response, and between two reads of its body.
    pub read: Duration,
    /// Sending the request (bounded together with `read` while the response is awaited).
    pub send: Duration,
    /// HAProxy semantics instead of nginx's.
    pub haproxy: Option<Retries>,
}

/// nginx's default for the three proxy timeouts.
const NGINX_TIMEOUT: Duration = Duration::from_secs(60);
/// HAProxy without a timeout waits forever; a day stands for that.
const HAPROXY_NO_TIMEOUT: Duration = Duration::from_secs(86_400);

impl Policy {
    /// The policy of `scopes` (outermost first; later scopes override) for a pool of `flavor`;
    /// `None` (with a refusal) when a value cannot be honoured.
    pub fn resolve(scopes: &[&Settings], flavor: Flavor, f: &mut Findings) -> Option<Policy> {
        let haproxy = flavor == Flavor::Haproxy;
        let default_timeout = if haproxy {
            HAPROXY_NO_TIMEOUT
        } else {
            NGINX_TIMEOUT
        };
        let mut p = Policy {
            next: ft::ERROR | ft::TIMEOUT,
            tries: 0,
            next_timeout: None,
            connect: default_timeout,
            read: default_timeout,
            send: default_timeout,
            haproxy: haproxy.then_some(Retries {
                retries: 3,
                redispatch: false,
            }),
        };
        let mut ok = true;
        for s in scopes {
            if let Some(t) = &s.timeouts {
                let ms = |d: &crate::ir::Setting<crate::ir::Duration>| {
                    // nginx and HAProxy take 0 as "no timeout" only for some directives;
                    // a zero here would fail every attempt, so it means "none" as well.
                    match d.value.0 {
                        0 => HAPROXY_NO_TIMEOUT,
                        v => Duration::from_millis(v),
                    }
                };
                if let Some(v) = &t.connect {
                    p.connect = ms(v);
                }
                if let Some(v) = &t.upstream_read {
                    p.read = ms(v);
                }
                if let Some(v) = &t.upstream_send {
                    p.send = ms(v);
                }
            }
            for o in s
                .opaque
                .iter()
                .filter(|o| o.name == "proxy_next_upstream_timeout")
            {
                let parsed = o
                    .args
                    .first()
                    .and_then(|a| crate::ir::Duration::parse_nginx(a, 1000));
                match parsed {
                    Some(d) if o.args.len() == 1 => {
                        p.next_timeout = (d.0 > 0).then(|| Duration::from_millis(d.0));
                    }
                    _ => {
                        f.refuse(o.origin, "this `proxy_next_upstream_timeout`");
                        ok = false;
                    }
                }
            }
            let Some(proxy) = &s.proxy else { continue };
            if let Some(n) = &proxy.next_upstream {
                if haproxy {
                    f.refuse(n.origin, "`retry-on`");
                    ok = false;
                    continue;
                }
                let mut mask = 0;
                for word in &n.value {
                    mask |= match word.as_str() {
                        "error" => ft::ERROR,
                        "timeout" => ft::TIMEOUT,
                        "invalid_header" => ft::INVALID_HEADER,
                        "http_500" => ft::HTTP_500,
                        "http_502" => ft::HTTP_502,
                        "http_503" => ft::HTTP_503,
                        "http_504" => ft::HTTP_504,
                        "http_403" => ft::HTTP_403,
                        "http_404" => ft::HTTP_404,
                        "http_429" => ft::HTTP_429,
                        "non_idempotent" => ft::NON_IDEMPOTENT,
                        "off" => 0,
                        other => {
                            f.refuse(n.origin, format!("`proxy_next_upstream {other}`"));
                            ok = false;
                            0
                        }
                    };
                }
                p.next = mask;
            }
            if let Some(t) = &proxy.next_upstream_tries {
                p.tries = t.value;
            }
            if let Some(r) = &proxy.retries {
                match &mut p.haproxy {
                    Some(h) => h.retries = r.value,
                    None => {
                        f.refuse(r.origin, "`retries` outside a HAProxy backend");
                        ok = false;
                    }
                }
            }
            if let Some(r) = &proxy.redispatch {
                match &mut p.haproxy {
                    Some(h) => h.redispatch = r.value,
                    None => {
                        f.refuse(r.origin, "`option redispatch` outside a HAProxy backend");
                        ok = false;
                    }
                }
            }
        }
        ok.then_some(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Origin, Proxy, Setting, Timeouts};

    fn scope(next: &[&str], tries: Option<u32>, read_ms: Option<u64>) -> Settings {
        Settings {
            proxy: Some(Box::new(Proxy {
                next_upstream: (!next.is_empty()).then(|| {
                    Setting::new(
                        next.iter().map(|s| s.to_string()).collect(),
                        Origin::default(),
                    )
                }),
                next_upstream_tries: tries.map(|t| Setting::new(t, Origin::default())),
                ..Default::default()
            })),
            timeouts: read_ms.map(|ms| {
                Box::new(Timeouts {
                    upstream_read: Some(Setting::new(crate::ir::Duration(ms), Origin::default())),
                    ..Default::default()
                })
            }),
            ..Default::default()
        }
    }

    #[test]
    fn nginx_defaults_and_inheritance() {
        let mut f = Findings::default();
        let p = Policy::resolve(&[], Flavor::Nginx, &mut f).unwrap();
        assert_eq!(p.next, ft::ERROR | ft::TIMEOUT);
        assert_eq!(p.read, Duration::from_secs(60));
        let outer = scope(&["http_404", "non_idempotent"], Some(2), Some(1500));
        let inner = scope(&["off"], None, None);
        let p = Policy::resolve(&[&outer], Flavor::Nginx, &mut f).unwrap();
        assert_eq!(p.next, ft::HTTP_404 | ft::NON_IDEMPOTENT);
        assert_eq!((p.tries, p.read), (2, Duration::from_millis(1500)));
        let p = Policy::resolve(&[&outer, &inner], Flavor::Nginx, &mut f).unwrap();
        assert_eq!((p.next, p.tries), (0, 2));
        assert!(!f.has_errors());
    }

    #[test]
    fn unknown_conditions_and_retry_on_are_refused() {
        let mut f = Findings::default();
        assert!(
            Policy::resolve(&[&scope(&["updating"], None, None)], Flavor::Nginx, &mut f).is_none()
        );
        assert!(Policy::resolve(
            &[&scope(&["http_503"], None, None)],
            Flavor::Haproxy,
            &mut f
        )
        .is_none());
        assert_eq!(f.diags.len(), 2);
    }
}
