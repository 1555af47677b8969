//! Settings in HAProxy terms: `defaults` sections, timeouts and proxy parameters, the
//! `http-request`/`http-response` rules that carry headers and access rules, and a diagnostic
//! for every setting HAProxy cannot express (static content, caches, limits, error pages …).

use super::{opaque_line, quote, Ctx};
use crate::emit::Emitter;
use crate::ir::{Defaults, Duration, Origin, Protocol, Setting, Settings, Timeouts};

/// nginx's defaults for the timeouts HAProxy requires (`proxy_connect_timeout`,
/// `send_timeout`, `proxy_read_timeout`; in `stream`, `proxy_timeout` is 10 minutes).
const NGINX_HTTP_TIMEOUT: Duration = Duration(60_000);
const NGINX_STREAM_TIMEOUT: Duration = Duration(600_000);

/// A `defaults` section of HAProxy input, written back.
pub fn defaults_section(cx: &Ctx, d: &Defaults, e: &mut Emitter) {
    let mut head = String::from("defaults");
    if let Some(n) = &d.name {
        head.push(' ');
        head.push_str(n);
    }
    if let Some(f) = &d.from {
        head.push_str(" from ");
        head.push_str(f);
    }
    e.line(head);
    e.indent();
    e.line(format!("mode {}", mode(d.protocol)));
    let _ = cx;
    for a in &d.acls {
        e.carried();
        e.line(super::native::acl_line(a));
    }
    for l in proxy_params(None, &d.settings, e) {
        e.line(l);
    }
    for o in &d.settings.opaque {
        e.carried();
        e.line(opaque_line(o));
    }
    e.dedent();
}

pub fn mode(p: Protocol) -> &'static str {
    match p {
        Protocol::Http => "http",
        _ => "tcp",
    }
}

/// The parameters of a proxy section every kind accepts or ignores harmlessly: timeouts,
/// `maxconn`, `retries`, `option redispatch`, `stats`. With a context, settings inherited from a
/// `defaults` section are left to it.
pub fn proxy_params(cx: Option<&Ctx>, s: &Settings, e: &mut Emitter) -> Vec<String> {
    let own = |o: Origin| cx.is_none_or(|cx| !cx.is_inherited(o));
    let mut out = Vec::new();
    if let Some(c) = s.client.as_ref().and_then(|c| c.max_connections.as_ref()) {
        if own(c.origin) {
            e.carried();
            out.push(format!("maxconn {}", c.value));
        }
    }
    if let Some(t) = &s.timeouts {
        for (name, v) in timeout_slots(t) {
            if let Some(v) = v {
                if own(v.origin) {
                    e.carried();
                    out.push(format!("timeout {name} {}", hap_time(v.value)));
                }
            }
        }
    }
    if let Some(p) = &s.proxy {
        if let Some(r) = &p.retries {
            if own(r.origin) {
                e.carried();
                out.push(format!("retries {}", r.value));
            }
        }
        if let Some(r) = &p.redispatch {
            if own(r.origin) {
                e.carried();
                out.push(format!(
                    "{}option redispatch",
                    if r.value { "" } else { "no " }
                ));
            }
        }
    }
    if let Some(st) = &s.stats {
        let mut put = |o: Origin, l: String| {
            if own(o) {
                e.carried();
                out.push(l);
            }
        };
        if let Some(x) = &st.enabled {
            if x.value {
                put(x.origin, "stats enable".into());
            }
        }
        if let Some(x) = &st.uri {
            put(x.origin, format!("stats uri {}", quote(&x.value)));
        }
        if let Some(x) = &st.realm {
            put(x.origin, format!("stats realm {}", quote(&x.value)));
        }
        for a in &st.auth {
            put(a.origin, format!("stats auth {}", quote(&a.value)));
        }
        if let Some(x) = &st.refresh {
            put(x.origin, format!("stats refresh {}", hap_time(x.value)));
        }
        if let Some(x) = &st.admin {
            put(x.origin, format!("stats admin {}", x.value));
        }
    }
    out
}

/// The timeouts HAProxy has, by HAProxy name.
fn timeout_slots(t: &Timeouts) -> [(&'static str, &Option<Setting<Duration>>); 8] {
    [
        ("connect", &t.connect),
        ("client", &t.client),
        ("server", &t.upstream_read),
        ("http-request", &t.http_request),
        ("http-keep-alive", &t.keepalive),
        ("queue", &t.queue),
        ("check", &t.check),
        ("tunnel", &t.idle),
    ]
}

/// A duration in HAProxy's syntax (the IR's `1d`/`1h`/`1m`/`1s`/`1ms` are HAProxy units too).
pub fn hap_time(d: Duration) -> String {
    if d.0 == 0 {
        "0".into()
    } else {
        d.to_string()
    }
}

/// The `defaults` section of one protocol family of nginx input: the mode, the timeouts
/// HAProxy requires (nginx's defaults where the input sets none), and what else the
/// `http {}`/`stream {}` level sets that a `defaults` section can hold.
pub fn translated_defaults(proto: Protocol, defaults: &[&Defaults], at: Origin, e: &mut Emitter) {
    e.line("defaults");
    e.indent();
    e.line(format!("mode {}", mode(proto)));
    let t = merged_timeouts(defaults);
    let fallback = if proto == Protocol::Http {
        NGINX_HTTP_TIMEOUT
    } else {
        NGINX_STREAM_TIMEOUT
    };
    let idle = t.idle.as_ref().map(|s| s.value);
    let mut missing = Vec::new();
    let mut required = |name: &'static str, v: Option<Duration>, e: &mut Emitter| {
        let fallback = if name == "connect" {
            NGINX_HTTP_TIMEOUT
        } else {
            fallback
        };
        match v {
            Some(v) => {
                e.carried();
                e.line(format!("timeout {name} {}", hap_time(v)));
            }
            None => {
                missing.push(format!("`timeout {name}` ({})", hap_time(fallback)));
                e.line(format!("timeout {name} {}", hap_time(fallback)));
            }
        }
    };
    required("connect", t.connect.as_ref().map(|s| s.value), e);
    if proto == Protocol::Http {
        required("client", t.client.as_ref().map(|s| s.value), e);
        required("server", t.upstream_read.as_ref().map(|s| s.value), e);
    } else {
        required("client", idle, e);
        required("server", idle, e);
    }
    if !missing.is_empty() {
        let which = missing.join(", ");
        e.approximated(
            at,
            format!("HAProxy requires {which}; the input sets none"),
            "lbc wrote nginx's defaults; set the timeouts you mean",
        );
    }
    if proto == Protocol::Http {
        if let Some(k) = &t.keepalive {
            e.carried();
            e.line(format!("timeout http-keep-alive {}", hap_time(k.value)));
        }
        match (&t.http_request, &t.client_header) {
            (Some(r), _) => {
                e.carried();
                e.line(format!("timeout http-request {}", hap_time(r.value)));
            }
            (None, Some(h)) => {
                e.approximated(
                    h.origin,
                    "`client_header_timeout` written as `timeout http-request`",
                    "HAProxy's timer covers the whole request head, nginx's the time between reads",
                );
                e.line(format!("timeout http-request {}", hap_time(h.value)));
            }
            _ => {}
        }
    }
    if let Some(s) = t.upstream_send.as_ref() {
        e.approximated(
            s.origin,
            "`proxy_send_timeout`: HAProxy's `timeout server` covers both directions",
            "lbc kept the read timeout (or the default) as `timeout server`",
        );
    }
    if let Some(s) = t.client_body.as_ref() {
        e.unsupported(
            s.origin,
            "`client_body_timeout` has no HAProxy equivalent",
            "`timeout client` bounds client inactivity",
        );
    }
    for d in defaults {
        let s = &d.settings;
        for l in compression(s, e) {
            e.line(l);
        }
        if let Some(p) = &s.proxy {
            if let Some(r) = &p.next_upstream_tries {
                e.approximated(
                    r.origin,
                    "`proxy_next_upstream_tries` written as `retries` with `option redispatch`",
                    "HAProxy retries connection failures; `retry-on` widens that",
                );
                e.line(format!("retries {}", r.value.saturating_sub(1)));
                e.line("option redispatch");
            }
        }
        unsupported_rest(s, true, e);
    }
    e.dedent();
}

/// Every timeout the defaults of a family set (later sections win).
fn merged_timeouts(defaults: &[&Defaults]) -> Timeouts {
    let mut t = Timeouts::default();
    for d in defaults {
        if let Some(x) = &d.settings.timeouts {
            macro_rules! take {
                ($($f:ident),*) => {$( if x.$f.is_some() { t.$f.clone_from(&x.$f); } )*};
            }
            take!(
                connect,
                upstream_read,
                upstream_send,
                idle,
                client,
                client_header,
                client_body,
                keepalive,
                http_request,
                queue,
                check
            );
        }
    }
    t
}

/// `gzip on` and its types as HAProxy's `compression` lines.
pub fn compression(s: &Settings, e: &mut Emitter) -> Vec<String> {
    let Some(c) = &s.compression else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(en) = &c.enabled {
        if en.value {
            e.carried();
            out.push("compression algo gzip".into());
            let types = c
                .types
                .as_ref()
                .map(|t| t.value.clone())
                .unwrap_or_default();
            let mut all = vec!["text/html".to_string()];
            all.extend(types.into_iter().filter(|t| t != "text/html" && t != "*"));
            out.push(format!("compression type {}", all.join(" ")));
        }
    }
    let mut drop = |o: Option<Origin>, what: &str| {
        if let Some(o) = o {
            e.unsupported(
                o,
                format!("`{what}` has no HAProxy equivalent"),
                "HAProxy compresses with the global `tune.comp.maxlevel`; see `compression`",
            );
        }
    };
    drop(c.level.as_ref().map(|x| x.origin), "gzip_comp_level");
    drop(c.min_length.as_ref().map(|x| x.origin), "gzip_min_length");
    drop(c.proxied.as_ref().map(|x| x.origin), "gzip_proxied");
    drop(
        c.http_version.as_ref().map(|x| x.origin),
        "gzip_http_version",
    );
    drop(c.static_files.as_ref().map(|x| x.origin), "gzip_static");
    drop(c.disable.as_ref().map(|x| x.origin), "gzip_disable");
    if let Some(v) = &c.vary {
        e.carried();
        let _ = v;
    }
    out
}

/// Settings the IR keeps for nginx that HAProxy cannot honour: one diagnostic each. `all`
/// also reports what `rules` would otherwise write (for the `http {}` level, whose rules go to
/// every frontend).
pub fn unsupported_rest(s: &Settings, all: bool, e: &mut Emitter) {
    if let Some(c) = &s.content {
        let items: [(&str, Option<Origin>); 8] = [
            ("root", c.root.as_ref().map(|x| x.origin)),
            ("alias", c.alias.as_ref().map(|x| x.origin)),
            ("index", c.index.as_ref().map(|x| x.origin)),
            ("autoindex", c.autoindex.as_ref().map(|x| x.origin)),
            ("try_files", c.try_files.as_ref().map(|x| x.origin)),
            ("expires", c.expires.as_ref().map(|x| x.origin)),
            ("default_type", c.default_type.as_ref().map(|x| x.origin)),
            ("charset", c.charset.as_ref().map(|x| x.origin)),
        ];
        for (name, o) in items {
            if let Some(o) = o {
                e.unsupported(
                    o,
                    format!("`{name}`: HAProxy is not a file server"),
                    "serve static files from a web server behind HAProxy",
                );
            }
        }
    }
    if let Some(c) = &s.cache {
        let o = c
            .zone
            .as_ref()
            .map(|z| z.origin)
            .or(c.key.as_ref().map(|k| k.origin))
            .or(c.valid.first().map(|v| v.origin));
        if let Some(o) = o {
            e.unsupported(
                o,
                "nginx proxy cache: HAProxy's small-object cache works differently",
                "see HAProxy's `cache` section with `http-request cache-use`/`http-response cache-store`",
            );
        }
    }
    for p in &s.error_pages {
        e.unsupported(
            p.origin,
            "`error_page` to a URI has no HAProxy equivalent",
            "HAProxy serves its own errors from `errorfile CODE FILE` (a raw HTTP response)",
        );
    }
    for l in &s.limit_req {
        e.unsupported(
            l.origin,
            "`limit_req`: rate limiting is not translated",
            "use a stick-table with `http_req_rate` and `http-request deny if { sc_http_req_rate(0) gt N }`",
        );
    }
    for l in &s.limit_conn {
        e.unsupported(
            l.origin,
            "`limit_conn`: connection limiting is not translated",
            "use a stick-table with `conn_cur` and `tcp-request connection reject`",
        );
    }
    if let Some(a) = &s.access {
        if let Some(r) = &a.valid_referers {
            e.unsupported(
                r.origin,
                "`valid_referers` is not translated",
                "write `http-request deny` rules on `req.hdr(referer)`",
            );
        }
        if let Some(r) = &a.auth_basic {
            e.unsupported(
                r.origin,
                "`auth_basic` is not translated",
                "HAProxy authenticates against a `userlist` with `http-request auth`",
            );
        }
    }
    if let Some(c) = &s.client {
        if let Some(k) = &c.keepalive_requests {
            e.unsupported(
                k.origin,
                "`keepalive_requests` has no HAProxy equivalent",
                "HAProxy does not cap the requests of a client connection",
            );
        }
        if let Some(l) = &c.access_log {
            e.unsupported(
                l.origin,
                "`access_log`: HAProxy logs to syslog",
                "add `log` in `global` and `option httplog` with `log global`",
            );
        }
    }
    if let Some(p) = &s.proxy {
        if let Some(b) = &p.buffering {
            e.unsupported(
                b.origin,
                "`proxy_buffering`: HAProxy streams responses",
                "no counterpart is needed for most uses",
            );
        }
        if let Some(n) = &p.next_upstream {
            e.unsupported(
                n.origin,
                "`proxy_next_upstream` is not translated",
                "HAProxy's `retry-on` and `option redispatch` decide retries",
            );
        }
        if let Some(v) = &p.http_version {
            if v.value == "1.1" {
                e.carried();
            } else {
                e.unsupported(
                    v.origin,
                    format!("`proxy_http_version {}`", v.value),
                    "HAProxy speaks HTTP/1.1 to servers unless `proto h2` is set on them",
                );
            }
        }
    }
    if let Some(t) = &s.timeouts {
        if !all {
            let server_side = [
                ("proxy_connect_timeout", &t.connect),
                ("proxy_read_timeout", &t.upstream_read),
                ("proxy_send_timeout", &t.upstream_send),
                ("client_body_timeout", &t.client_body),
            ];
            for (name, v) in server_side {
                if let Some(v) = v {
                    e.unsupported(
                        v.origin,
                        format!("`{name}` below the `http {{}}` level is not translated"),
                        "HAProxy sets it per backend (`timeout connect`/`timeout server`)",
                    );
                }
            }
        }
    }
    // The certificate goes to the bind line (see `frontend::tls`).
    for o in s
        .opaque
        .iter()
        .filter(|o| !matches!(o.name.as_str(), "ssl_certificate" | "ssl_certificate_key"))
    {
        e.unsupported(
            o.origin,
            format!("`{}` has no HAProxy equivalent", o.name),
            "lbc does not translate it; see the HAProxy configuration manual",
        );
    }
}
