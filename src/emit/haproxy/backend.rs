//! Pools as HAProxy backends: `balance`, health checks, connection reuse and `server` lines;
//! and the backends generated for `proxy_pass http://host:port` without a pool.

use super::settings::{mode, proxy_params};
use super::{ident, opaque_line, quote, Ctx};
use crate::emit::Emitter;
use crate::ir::{Algorithm, CheckKind, HealthCheck, Origin, Pool, Protocol, Server};

/// A backend lbc adds for a URL target.
#[derive(Debug, Clone)]
pub struct Generated {
    pub name: String,
    pub protocol: Protocol,
    pub address: String,
    pub port: u16,
    pub tls: bool,
}

/// `backend NAME` (or the pool half of a `listen`, when `kind` is empty: the caller wrote
/// the header).
pub fn backend(cx: &Ctx, p: &Pool, kind: &str, e: &mut Emitter) {
    if !kind.is_empty() {
        let from = if cx.native {
            super::native::from_clause(p.defaults.as_deref())
        } else {
            String::new()
        };
        let name = if cx.native {
            p.name.clone()
        } else {
            ident(&p.name)
        };
        e.line(format!("{kind} {name}{from}"));
        e.indent();
        e.line(format!("mode {}", mode(p.protocol)));
    }
    // ACLs first: the backend's rules use them.
    for a in &p.acls {
        e.carried();
        e.line(super::native::acl_line(a));
    }
    e.carried();
    balance(cx, p, e);
    for l in proxy_params(Some(cx), &p.settings, e) {
        e.line(l);
    }
    if !cx.native {
        super::settings::unsupported_rest(&p.settings, false, e);
    }
    let pool_check = p.health_checks.first();
    if let Some(h) = pool_check {
        health(cx, h, e);
    }
    if let Some(k) = p.keepalive {
        if p.protocol == Protocol::Http {
            e.approximated(
                p.origin,
                format!("`keepalive {k}` written as `http-reuse safe`"),
                "HAProxy keeps idle server connections for reuse by itself; it has no per-pool count",
            );
            e.line("http-reuse safe");
        } else {
            e.carried();
        }
    }
    if p.zone.is_some() {
        // Every HAProxy thread sees the same server state: no zone is needed.
        e.carried();
    }
    if cx.native {
        for o in &p.opaque {
            e.carried();
            e.line(opaque_line(o));
        }
    } else {
        for o in &p.opaque {
            e.unsupported(
                o.origin,
                format!("`{}` in an upstream has no HAProxy equivalent", o.name),
                "lbc does not translate it",
            );
        }
    }
    for (i, s) in p.servers.iter().enumerate() {
        server(cx, p, pool_check, s, i, e);
    }
    if !kind.is_empty() {
        e.dedent();
    }
}

fn balance(cx: &Ctx, p: &Pool, e: &mut Emitter) {
    let at = p.algorithm_origin.unwrap_or(p.origin);
    let line = match &p.algorithm {
        Algorithm::RoundRobin if p.algorithm_origin.is_none() => None,
        Algorithm::RoundRobin => Some("roundrobin".to_string()),
        Algorithm::UnweightedRoundRobin => {
            if p.servers.iter().any(|s| s.weight.is_some_and(|w| w != 1)) {
                e.approximated(
                    at,
                    "unweighted round-robin written as `balance roundrobin`",
                    "HAProxy honours the server weights; remove them for plain rotation",
                );
            }
            Some("roundrobin".into())
        }
        Algorithm::StaticRoundRobin => Some("static-rr".into()),
        Algorithm::LeastConn => Some("leastconn".into()),
        Algorithm::First => Some("first".into()),
        Algorithm::SourceHash => Some("source".into()),
        Algorithm::IpHash => {
            e.approximated(
                at,
                "`ip_hash` written as `balance source`",
                "nginx hashes the first three octets of an IPv4 client, HAProxy the whole address",
            );
            Some("source".into())
        }
        Algorithm::Random { two, method } => {
            if method.is_some() {
                e.approximated(
                    at,
                    "`random two METHOD` written as `balance random(2)`",
                    "HAProxy picks the less loaded of two draws by its own measure",
                );
            }
            Some(if *two { "random(2)" } else { "random(1)" }.into())
        }
        Algorithm::Hash { key, consistent } => {
            let b = if cx.native {
                Some(native_hash(key))
            } else {
                nginx_hash(key)
            };
            match b {
                Some(b) => {
                    if *consistent && !cx.native {
                        e.line(format!("balance {b}"));
                        e.line("hash-type consistent");
                        e.carried();
                        return;
                    }
                    Some(b)
                }
                None => {
                    e.unsupported(
                        at,
                        format!("`hash {key}`: no HAProxy hash input matches this key"),
                        "HAProxy hashes `uri`, `url_param(NAME)`, `hdr(NAME)` or a sample (`balance hash EXPR`)",
                    );
                    None
                }
            }
        }
        Algorithm::Scheduler { name } => {
            e.unsupported(
                at,
                format!("the IPVS scheduler `{name}` has no HAProxy equivalent"),
                "HAProxy balances with roundrobin, static-rr, leastconn, first, source, uri, hash …",
            );
            None
        }
    };
    if let Some(l) = line {
        e.carried();
        e.line(format!("balance {l}"));
    }
}

/// An HAProxy `balance` key, read back.
fn native_hash(key: &str) -> String {
    if key == "uri" || key.starts_with("hdr(") || key.starts_with("rdp-cookie") {
        return key.to_string();
    }
    if let Some(p) = key
        .strip_prefix("url_param(")
        .and_then(|r| r.strip_suffix(')'))
    {
        return format!("url_param {p}");
    }
    format!("hash {key}")
}

/// An nginx `hash` key as an HAProxy `balance` algorithm.
fn nginx_hash(key: &str) -> Option<String> {
    match key {
        "$request_uri" => Some("uri".into()),
        "$remote_addr" | "$binary_remote_addr" => Some("source".into()),
        k => {
            if let Some(a) = k.strip_prefix("$arg_") {
                return Some(format!("url_param {a}"));
            }
            if let Some(h) = k.strip_prefix("$http_") {
                return Some(format!("hdr({})", h.replace('_', "-")));
            }
            None
        }
    }
}

/// `option httpchk` and `http-check expect`.
fn health(cx: &Ctx, h: &HealthCheck, e: &mut Emitter) {
    match &h.kind {
        CheckKind::Http {
            method,
            path,
            expect_status,
            tls,
            version,
            headers,
        } => {
            e.carried();
            match method {
                Some(m) => e.line(format!("option httpchk {m} {}", quote(path))),
                None => e.line(format!("option httpchk {}", quote(path))),
            }
            if version.is_some() || !headers.is_empty() {
                let mut send = String::from("http-check send");
                if let Some(v) = version {
                    send.push_str(&format!(" ver {}", quote(v)));
                }
                for (n, v) in headers {
                    send.push_str(&format!(" hdr {} {}", quote(n), quote(v)));
                }
                e.line(send);
            }
            if !expect_status.is_empty() {
                e.line(format!(
                    "http-check expect status {}",
                    expect_status.join(",")
                ));
            }
            if *tls && !cx.native {
                e.approximated(
                    h.origin,
                    "the check uses TLS",
                    "add `check-ssl` to the servers",
                );
            }
        }
        CheckKind::Tcp => e.carried(),
        CheckKind::Script { command } => e.unsupported(
            h.origin,
            format!("the check script `{command}`"),
            "HAProxy runs scripts with `option external-check` and `external-check command`",
        ),
        CheckKind::Dns { name } => e.unsupported(
            h.origin,
            format!("the DNS check of `{name}`"),
            "HAProxy has no DNS health check",
        ),
    }
}

fn is_ip(a: &str) -> bool {
    a.parse::<std::net::IpAddr>().is_ok()
}

/// `server NAME ADDR:PORT …`.
fn server(
    cx: &Ctx,
    p: &Pool,
    pool_check: Option<&HealthCheck>,
    s: &Server,
    i: usize,
    e: &mut Emitter,
) {
    let name = s.name.clone().unwrap_or_else(|| format!("s{}", i + 1));
    let addr = if let Some(u) = s.address.strip_prefix("unix:") {
        if u.starts_with('/') {
            u.to_string()
        } else {
            format!("unix@{u}")
        }
    } else {
        let host = if s.address == "*" { "" } else { &s.address };
        let port = match (s.port, cx.native, p.protocol) {
            (Some(port), _, _) => Some(port),
            (None, false, Protocol::Http) => Some(80),
            _ => None,
        };
        match port {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        }
    };
    let name = if cx.native {
        quote(&name)
    } else {
        ident(&name)
    };
    let mut w = vec![format!("server {name} {}", quote(&addr))];
    e.carried();
    if let Some(x) = s.weight {
        w.push(format!("weight {x}"));
    }
    if let Some(x) = s.max_conns {
        w.push(format!("maxconn {x}"));
    }
    if let Some(x) = &s.cookie {
        w.push(format!("cookie {}", quote(x)));
    }
    if let Some(x) = s.slow_start {
        w.push(format!("slowstart {x}"));
    }
    if s.backup {
        w.push("backup".into());
    }
    if s.down {
        w.push("disabled".into());
    }
    let check = s
        .check
        .clone()
        .or_else(|| (!cx.native).then(|| pool_check.cloned()).flatten());
    if let Some(c) = &check {
        w.push("check".into());
        if let Some(x) = c.interval {
            w.push(format!("inter {x}"));
        }
        if let Some(x) = c.rise {
            w.push(format!("rise {x}"));
        }
        if let Some(x) = c.fall {
            w.push(format!("fall {x}"));
        }
        if let Some(x) = c.port {
            w.push(format!("port {x}"));
        }
    } else if !cx.native && (s.max_fails.is_some() || s.fail_timeout.is_some()) {
        passive(s, &mut w, e);
    }
    if s.resolve && !cx.native {
        e.unsupported(
            s.origin,
            "`resolve`: run-time re-resolution needs a `resolvers` section",
            "add a `resolvers` section and `resolvers NAME` to the server",
        );
    }
    if cx.native {
        w.extend(s.other.iter().map(|o| quote(o)));
    } else {
        for o in &s.other {
            e.unsupported(
                s.origin,
                format!("server parameter `{o}` has no HAProxy equivalent"),
                "lbc does not translate it",
            );
        }
    }
    let host = addr.rsplit_once(':').map_or(addr.as_str(), |(h, _)| h);
    let named = !host.is_empty() && !host.starts_with('/') && !host.contains('@') && !is_ip(host);
    if named && !host.contains(':') && !s.other.iter().any(|o| o == "init-addr") {
        w.push("init-addr last,libc,none".into());
    }
    e.line(w.join(" "));
}

/// nginx's passive `max_fails`/`fail_timeout` as an active check.
fn passive(s: &Server, w: &mut Vec<String>, e: &mut Emitter) {
    let fails = s.max_fails.unwrap_or(1);
    if fails == 0 {
        e.carried();
        return;
    }
    let t = s.fail_timeout.unwrap_or(crate::ir::Duration(10_000));
    w.push(format!("check fall {fails} inter {t}"));
    e.approximated(
        s.origin,
        "`max_fails`/`fail_timeout` written as an active check",
        "nginx counts failed requests (passive); HAProxy probes the server (active). \
         `observe layer7` with `error-limit` is HAProxy's passive counterpart",
    );
}

/// A backend for a URL target without a pool.
pub fn generated(g: &Generated, e: &mut Emitter) {
    e.line(format!("backend {}", g.name));
    e.indent();
    e.line(format!("mode {}", mode(g.protocol)));
    let mut l = format!("server s1 {}:{}", g.address, g.port);
    if g.tls {
        l.push_str(" ssl verify none");
    }
    if !is_ip(g.address.trim_matches(|c| c == '[' || c == ']')) {
        l.push_str(" init-addr last,libc,none");
    }
    e.line(l);
    e.dedent();
}

/// The backend name for a URL (`http://host:port/path`): `be_host_port`, and the parts.
pub fn url_backend(target: &str, proto: Protocol, origin: Origin) -> Option<(Generated, bool)> {
    let _ = origin;
    let (tls, rest) = if let Some(r) = target.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = target.strip_prefix("http://") {
        (false, r)
    } else {
        (false, target)
    };
    if rest.contains('$') || rest.starts_with("unix:") {
        return None;
    }
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (host, port) = crate::syntax::nginx::split_host_port_pub(hostport);
    let port = port.unwrap_or(if tls { 443 } else { 80 });
    if proto != Protocol::Http && port == 80 && !hostport.contains(':') {
        return None;
    }
    let name = format!("be_{}_{port}", ident(&host).replace([':', '.'], "_"));
    Some((
        Generated {
            name,
            protocol: proto,
            address: host,
            port,
            tls,
        },
        !path.is_empty(),
    ))
}
