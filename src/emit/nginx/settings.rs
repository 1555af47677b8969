//! Settings groups written back as nginx directives (content, client, timeouts, proxy, access,
//! compression, cache, headers, error pages, limits), each at the origin of its directive.

use super::{dir, is_http, key, monotonic, Cx, Key, Part};
use crate::ir::{Duration, Origin, Protocol, Setting, Settings, Timeouts};

fn on(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

/// A duration in nginx syntax (`0` rather than `0ms`).
pub(super) fn dur(d: Duration) -> String {
    if d.0 == 0 {
        "0".into()
    } else {
        d.to_string()
    }
}

impl Cx<'_> {
    /// The directives of a settings group; `owner` is where the scope is (to tell HAProxy
    /// settings from nginx ones).
    pub(super) fn settings_parts<'b>(
        &mut self,
        s: &'b Settings,
        protocol: Protocol,
        owner: Origin,
        parts: &mut Vec<(Key, Part<'b>)>,
    ) {
        let foreign = self.foreign(owner);
        macro_rules! put {
            ($o:expr, $line:expr $(,)?) => {
                parts.push((key($o), Part::Line($line)))
            };
        }
        macro_rules! one {
            ($opt:expr, $name:expr, $f:expr) => {
                if let Some(st) = &$opt {
                    let st: &Setting<_> = st;
                    put!(st.origin, dir($name, &[$f(&st.value)]));
                }
            };
        }
        macro_rules! many {
            ($opt:expr, $name:expr) => {
                if let Some(st) = &$opt {
                    put!(st.origin, dir($name, &st.value));
                }
            };
        }
        let s_ = |v: &String| v.clone();
        let b_ = |v: &bool| on(*v).to_string();
        let n_ = |v: &dyn std::fmt::Display| v.to_string();
        if let Some(c) = &s.content {
            one!(c.root, "root", s_);
            one!(c.alias, "alias", s_);
            many!(c.index, "index");
            one!(c.autoindex, "autoindex", b_);
            many!(c.try_files, "try_files");
            if let Some(st) = &c.expires {
                put!(
                    st.origin,
                    dir("expires", &st.value.split(' ').collect::<Vec<_>>()),
                );
            }
            one!(c.default_type, "default_type", s_);
            one!(c.charset, "charset", s_);
        }
        if let Some(c) = &s.client {
            one!(
                c.max_body_size,
                "client_max_body_size",
                |v: &crate::ir::Size| v.to_string()
            );
            one!(c.keepalive_requests, "keepalive_requests", |v: &u64| n_(v));
            many!(c.access_log, "access_log");
            if let Some(st) = &c.max_connections {
                self.e.unsupported(
                    st.origin,
                    "a connection limit without a zone",
                    "nginx limits connections with `limit_conn_zone` and `limit_conn`; add them by hand",
                );
            }
        }
        if let Some(t) = &s.timeouts {
            for (o, l) in self.timeouts(t, protocol, foreign) {
                put!(o, l);
            }
        }
        if let Some(p) = &s.proxy {
            one!(p.http_version, "proxy_http_version", s_);
            many!(p.next_upstream, "proxy_next_upstream");
            one!(
                p.next_upstream_tries,
                "proxy_next_upstream_tries",
                |v: &u32| n_(v)
            );
            one!(p.buffering, "proxy_buffering", b_);
            let n = parts.len();
            for h in &p.headers {
                put!(h.origin, dir("proxy_set_header", &[&h.name, &h.value]));
            }
            monotonic(parts, n);
            for h in &p.hide_headers {
                put!(h.origin, dir("proxy_hide_header", &[&h.value]));
            }
            if let Some(st) = &p.retries {
                let tries = (st.value + 1).to_string();
                put!(st.origin, dir("proxy_next_upstream_tries", &[tries]));
                self.e.approximated(
                    st.origin,
                    "connection retries become tries of the next upstream server",
                    "HAProxy retries the same server (unless redispatch); nginx passes a failed request to the next server",
                );
            }
            if let Some(st) = &p.redispatch {
                self.e.approximated(
                    st.origin,
                    "redispatch is nginx's default behaviour",
                    "nginx passes a request that failed to connect to the next server (`proxy_next_upstream error timeout`)",
                );
            }
        }
        if let Some(a) = &s.access {
            let n = parts.len();
            for r in &a.rules {
                let name = if r.allow { "allow" } else { "deny" };
                put!(r.origin, dir(name, &[&r.source]));
            }
            monotonic(parts, n);
            many!(a.valid_referers, "valid_referers");
            one!(a.auth_basic, "auth_basic", s_);
        }
        if let Some(c) = &s.compression {
            one!(c.enabled, "gzip", b_);
            one!(c.level, "gzip_comp_level", |v: &u32| n_(v));
            one!(c.min_length, "gzip_min_length", |v: &crate::ir::Size| v
                .to_string());
            many!(c.types, "gzip_types");
            one!(c.vary, "gzip_vary", b_);
            many!(c.proxied, "gzip_proxied");
            one!(c.http_version, "gzip_http_version", s_);
            one!(c.static_files, "gzip_static", s_);
            many!(c.disable, "gzip_disable");
        }
        if let Some(c) = &s.cache {
            one!(c.zone, "proxy_cache", s_);
            one!(c.key, "proxy_cache_key", s_);
            for v in &c.valid {
                let mut args = v.codes.clone();
                args.push(dur(v.time));
                put!(v.origin, dir("proxy_cache_valid", &args));
            }
        }
        let n = parts.len();
        for h in &s.response_headers {
            let mut args = vec![h.name.clone(), h.value.clone()];
            if h.always {
                args.push("always".into());
            }
            put!(h.origin, dir("add_header", &args));
        }
        monotonic(parts, n);
        for p in &s.error_pages {
            let mut args: Vec<String> = p.codes.iter().map(u16::to_string).collect();
            if let Some(r) = &p.response_code {
                args.push(format!("={r}"));
            }
            args.push(p.uri.clone());
            put!(p.origin, dir("error_page", &args));
        }
        for l in &s.limit_req {
            let mut args = vec![format!("zone={}", l.zone)];
            if l.burst > 0 {
                args.push(format!("burst={}", l.burst));
            }
            if let Some(d) = l.delay {
                args.push(format!("delay={d}"));
            }
            if l.nodelay {
                args.push("nodelay".into());
            }
            put!(l.origin, dir("limit_req", &args));
        }
        for l in &s.limit_conn {
            put!(
                l.origin,
                dir("limit_conn", &[&l.zone, &l.limit.to_string()]),
            );
        }
        if let Some(st) = &s.stats {
            // The status route itself becomes `stub_status`; the page's options do not exist.
            let o = st
                .enabled
                .as_ref()
                .map(|s| s.origin)
                .or(st.uri.as_ref().map(|s| s.origin))
                .unwrap_or(owner);
            if !st.auth.is_empty() || st.admin.is_some() || st.refresh.is_some() {
                self.e.unsupported(
                    o,
                    "statistics page options (auth, refresh, admin)",
                    "protect the stub_status location with `auth_basic` or `allow`/`deny` by hand",
                );
            }
        }
        self.http_scope = is_http(protocol);
        let n = parts.len();
        for o in &s.opaque {
            self.opaque_part(o, parts);
        }
        monotonic(parts, n);
    }

    fn timeouts(
        &mut self,
        t: &Timeouts,
        protocol: Protocol,
        foreign: bool,
    ) -> Vec<(Origin, String)> {
        let http = is_http(protocol);
        let mut out = Vec::new();
        let w = |cx: &mut Self, st: &Option<Setting<Duration>>, name: &str, what: &str| {
            let st = st.as_ref()?;
            if name.is_empty() {
                cx.e.unsupported(
                    st.origin,
                    format!("the {what} timeout has no nginx equivalent here"),
                    "nginx has no such timeout in this context",
                );
            } else {
                return Some((st.origin, dir(name, &[dur(st.value)])));
            }
            None
        };
        if !foreign {
            // Written back under the names nginx read them from.
            out.extend(w(self, &t.connect, "proxy_connect_timeout", "connect"));
            out.extend(w(self, &t.upstream_read, "proxy_read_timeout", "read"));
            out.extend(w(self, &t.upstream_send, "proxy_send_timeout", "send"));
            out.extend(w(self, &t.idle, "proxy_timeout", "idle"));
            out.extend(w(self, &t.client, "send_timeout", "client"));
            out.extend(w(self, &t.client_header, "client_header_timeout", "header"));
            out.extend(w(self, &t.client_body, "client_body_timeout", "body"));
            out.extend(w(self, &t.keepalive, "keepalive_timeout", "keep-alive"));
            out.extend(w(self, &t.http_request, "", "request"));
            out.extend(w(self, &t.queue, "", "queue"));
            out.extend(w(self, &t.check, "", "check"));
            return out;
        }
        out.extend(w(self, &t.connect, "proxy_connect_timeout", "connect"));
        if http {
            out.extend(w(self, &t.upstream_read, "proxy_read_timeout", "server"));
            out.extend(w(self, &t.upstream_send, "proxy_send_timeout", "send"));
            out.extend(w(self, &t.idle, "", "tunnel"));
            out.extend(w(self, &t.keepalive, "keepalive_timeout", "keep-alive"));
            if let Some(st) = &t.client {
                self.e.approximated(
                    st.origin,
                    "the client inactivity timeout becomes `send_timeout` and `client_body_timeout`",
                    "nginx times reads and writes to the client separately",
                );
                out.push((st.origin, dir("send_timeout", &[dur(st.value)])));
                if t.client_body.is_none() {
                    out.push((st.origin, dir("client_body_timeout", &[dur(st.value)])));
                }
            }
            out.extend(w(self, &t.client_body, "client_body_timeout", "body"));
            let header = t.client_header.as_ref().or(t.http_request.as_ref());
            if let Some(st) = header {
                out.push((st.origin, dir("client_header_timeout", &[dur(st.value)])));
            }
        } else {
            // In a stream, one idle timeout covers both sides.
            let idle = t
                .idle
                .as_ref()
                .or(t.upstream_read.as_ref())
                .or(t.client.as_ref());
            if let Some(st) = idle {
                if t.idle.is_none() {
                    self.e.approximated(
                        st.origin,
                        "the client/server timeouts become the stream's `proxy_timeout`",
                        "nginx has one inactivity timeout for both sides of a stream connection",
                    );
                }
                out.push((st.origin, dir("proxy_timeout", &[dur(st.value)])));
            }
        }
        out.extend(w(self, &t.queue, "", "queue"));
        out.extend(w(self, &t.check, "", "check"));
        out
    }
}
