//! The L4 settings of a scope (nginx `stream`/`server`, HAProxy `defaults`/`frontend`/
//! `backend`): connect and idle timeouts, retry policy, UDP session limits; everything else in
//! an L4 scope is refused, or warned about when it changes nothing in what goes where.

use std::time::Duration;

use crate::ir::{Origin, Settings};
use crate::serve::support::Findings;

/// The L4 knobs a settings scope sets.
#[derive(Debug, Clone, Copy, Default)]
pub struct Knobs {
    pub connect: Option<Duration>,
    pub idle: Option<Duration>,
    pub client: Option<Duration>,
    pub server: Option<Duration>,
    pub check: Option<Duration>,
    pub next_upstream: Option<bool>,
    pub tries: Option<u32>,
    pub tries_timeout: Option<Duration>,
    pub retries: Option<u32>,
    pub redispatch: Option<bool>,
    pub responses: Option<u64>,
    pub requests: Option<u64>,
    pub allbackups: bool,
    /// nginx `proxy_protocol on`: a PROXY protocol v1 header goes first to the upstream.
    pub proxy_protocol: Option<bool>,
    /// nginx `ssl_preread`, `preread_buffer_size`, `preread_timeout`.
    pub preread: Option<bool>,
    pub preread_buffer: Option<usize>,
    pub preread_timeout: Option<Duration>,
    /// nginx `proxy_half_close`.
    pub half_close: Option<bool>,
}

impl Knobs {
    /// `self` where set, else `outer` (nginx's inheritance from the `stream {}` level).
    pub fn or(self, outer: Knobs) -> Knobs {
        Knobs {
            connect: self.connect.or(outer.connect),
            idle: self.idle.or(outer.idle),
            client: self.client.or(outer.client),
            server: self.server.or(outer.server),
            check: self.check.or(outer.check),
            next_upstream: self.next_upstream.or(outer.next_upstream),
            tries: self.tries.or(outer.tries),
            tries_timeout: self.tries_timeout.or(outer.tries_timeout),
            retries: self.retries.or(outer.retries),
            redispatch: self.redispatch.or(outer.redispatch),
            responses: self.responses.or(outer.responses),
            requests: self.requests.or(outer.requests),
            allbackups: self.allbackups || outer.allbackups,
            proxy_protocol: self.proxy_protocol.or(outer.proxy_protocol),
            preread: self.preread.or(outer.preread),
            preread_buffer: self.preread_buffer.or(outer.preread_buffer),
            preread_timeout: self.preread_timeout.or(outer.preread_timeout),
            half_close: self.half_close.or(outer.half_close),
        }
    }
}

pub fn dur(d: &crate::ir::Duration) -> Duration {
    Duration::from_millis(d.0)
}

/// Opaque directives of L4 scopes that change nothing in what is forwarded where.
const COSMETIC: &[&str] = &[
    "log",
    "access_log",
    "error_log",
    "tcp_nodelay",
    "proxy_buffer_size",
    "proxy_socket_keepalive",
];
/// HAProxy options that only concern logs, TCP keep-alive probes or kernel splicing.
/// HAProxy keywords that need HTTP mode: in a TCP proxy HAProxy ignores them (with a warning:
/// "'http-request' rules ignored for proxy 'x' as they require HTTP mode").
const HAPROXY_HTTP_ONLY: &[&str] = &[
    "http-request",
    "http-response",
    "http-after-response",
    "cookie",
];

/// HAProxy `option`s that need HTTP mode, ignored in a TCP proxy as HAProxy does (`httplog`
/// falls back to `tcplog`).
const HAPROXY_HTTP_OPTIONS: &[&str] = &[
    "forwardfor",
    "originalto",
    "httpclose",
    "http-server-close",
    "http-keep-alive",
    "http-buffer-request",
    "http-pretend-keepalive",
    "httplog",
];

const COSMETIC_OPTIONS: &[&str] = &[
    "tcplog",
    "dontlognull",
    "logasap",
    "log-separate-errors",
    "tcpka",
    "clitcpka",
    "srvtcpka",
    "splice-auto",
    "splice-request",
    "splice-response",
];

/// Where a settings group was written: the earliest origin inside it.
fn first_origin<T: serde::Serialize>(group: &T) -> Origin {
    fn collect(v: &serde_json::Value, out: &mut Vec<Origin>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    if k == "origin" || k.ends_with("_origin") {
                        out.extend(serde_json::from_value::<Origin>(v.clone()).ok());
                    } else {
                        collect(v, out);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| collect(i, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    if let Ok(v) = serde_json::to_value(group) {
        collect(&v, &mut all);
    }
    all.into_iter().min().unwrap_or_default()
}

/// Reads what the L4 runtime honours in `s`; refuses or warns about the rest.
pub fn knobs(s: &Settings, f: &mut Findings) -> Knobs {
    let mut k = Knobs::default();
    if let Some(t) = &s.timeouts {
        k.connect = t.connect.as_ref().map(|x| dur(&x.value));
        k.idle = t.idle.as_ref().map(|x| dur(&x.value));
        k.client = t.client.as_ref().map(|x| dur(&x.value));
        k.server = t.upstream_read.as_ref().map(|x| dur(&x.value));
        k.check = t.check.as_ref().map(|x| dur(&x.value));
        for o in [
            &t.upstream_send,
            &t.client_header,
            &t.client_body,
            &t.keepalive,
            &t.http_request,
            &t.queue,
        ]
        .into_iter()
        .flatten()
        {
            f.ignore(
                o.origin,
                "this timeout on a TCP/UDP service (it concerns HTTP or queues)",
            );
        }
    }
    if let Some(p) = &s.proxy {
        if let Some(v) = &p.next_upstream {
            match v.value.first().map(String::as_str) {
                Some("on") => k.next_upstream = Some(true),
                Some("off") => k.next_upstream = Some(false),
                _ => f.refuse(v.origin, "this `proxy_next_upstream` on a stream service"),
            }
        }
        k.tries = p.next_upstream_tries.as_ref().map(|x| x.value);
        k.retries = p.retries.as_ref().map(|x| x.value);
        k.redispatch = p.redispatch.as_ref().map(|x| x.value);
        for (name, o) in [
            (
                "proxy_http_version",
                p.http_version.as_ref().map(|x| x.origin),
            ),
            ("proxy_buffering", p.buffering.as_ref().map(|x| x.origin)),
        ] {
            if let Some(o) = o {
                f.refuse(o, format!("`{name}` on a TCP/UDP service"));
            }
        }
        for h in &p.headers {
            f.refuse(h.origin, "request headers on a TCP/UDP service");
        }
        for h in &p.hide_headers {
            f.refuse(h.origin, "`proxy_hide_header` on a TCP/UDP service");
        }
    }
    if let Some(c) = &s.client {
        if let Some(v) = &c.keepalive_requests {
            f.ignore(v.origin, "`keepalive_requests` on a TCP/UDP service");
        }
        if let Some(v) = &c.max_body_size {
            f.refuse(v.origin, "`client_max_body_size` on a TCP/UDP service");
        }
        if let Some(v) = &c.max_connections {
            f.ignore(v.origin, "`maxconn` (connections are not capped)");
        }
    }
    let refused = [
        ("static files", s.content.as_ref().map(first_origin)),
        ("compression", s.compression.as_ref().map(first_origin)),
        ("caching", s.cache.as_ref().map(first_origin)),
    ];
    if let Some(o) = s.stats.as_ref().map(first_origin) {
        // Only HAProxy has them; it ignores them in TCP mode.
        f.ignore(o, "`stats` (HAProxy ignores it in TCP mode)");
    }
    for (what, origin) in refused {
        if let Some(o) = origin {
            f.refuse(o, format!("{what} on a TCP/UDP service"));
        }
    }
    if let Some(a) = &s.access {
        for r in &a.rules {
            f.refuse(r.origin, if r.allow { "`allow`" } else { "`deny`" });
        }
    }
    for h in &s.response_headers {
        f.refuse(h.origin, "`add_header`");
    }
    for e in &s.error_pages {
        f.refuse(e.origin, "`error_page`");
    }
    for l in &s.limit_req {
        f.refuse(l.origin, "`limit_req`");
    }
    for l in &s.limit_conn {
        f.refuse(l.origin, "`limit_conn`");
    }
    for o in &s.opaque {
        let word = o.args.first().map(String::as_str).unwrap_or_default();
        match o.name.as_str() {
            "proxy_responses" | "proxy_requests" => match word.parse::<u64>() {
                Ok(n) if o.name == "proxy_responses" => k.responses = Some(n),
                Ok(n) => k.requests = Some(n.max(1)),
                Err(_) => f.refuse(o.origin, format!("`{} {word}`", o.name)),
            },
            "proxy_next_upstream_timeout" => match crate::ir::Duration::parse_nginx(word, 1000) {
                Some(d) => k.tries_timeout = Some(dur(&d)),
                None => f.refuse(o.origin, format!("`proxy_next_upstream_timeout {word}`")),
            },
            "proxy_protocol" if word == "on" || word == "off" => {
                k.proxy_protocol = Some(word == "on");
            }
            "ssl_preread" if word == "on" || word == "off" => k.preread = Some(word == "on"),
            "proxy_half_close" if word == "on" || word == "off" => {
                k.half_close = Some(word == "on");
            }
            "preread_buffer_size" => match crate::ir::Size::parse_nginx(word) {
                Some(n) => k.preread_buffer = Some(usize::try_from(n.0).unwrap_or(usize::MAX)),
                None => f.refuse(o.origin, format!("`preread_buffer_size {word}`")),
            },
            "preread_timeout" => match crate::ir::Duration::parse_nginx(word, 1000) {
                Some(d) => k.preread_timeout = Some(dur(&d)),
                None => f.refuse(o.origin, format!("`preread_timeout {word}`")),
            },
            // Compiled with the stream variables (`set` per server, the tables at the top).
            "set" | "map" | "geo" | "split_clients" | "log_format" => {}
            "option" if word == "allbackups" => k.allbackups = true,
            "option" if COSMETIC_OPTIONS.contains(&word) => {
                f.ignore(o.origin, format!("`option {word}`"));
            }
            "option" if HAPROXY_HTTP_OPTIONS.contains(&word) => {
                f.ignore(
                    o.origin,
                    format!("`option {word}` (HAProxy ignores it in TCP mode)"),
                );
            }
            name if HAPROXY_HTTP_ONLY.contains(&name) => {
                f.ignore(
                    o.origin,
                    format!("`{name}` (HAProxy ignores it in TCP mode)"),
                );
            }
            "option" => f.refuse(o.origin, format!("`option {word}`")),
            name if COSMETIC.contains(&name) => f.ignore(o.origin, format!("`{name}`")),
            name => f.refuse(o.origin, format!("`{name}` on a TCP/UDP service")),
        }
    }
    k
}
