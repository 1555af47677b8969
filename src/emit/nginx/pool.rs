//! Pools as `upstream {}` blocks (algorithm, servers and their parameters, keepalive, zone),
//! shared-memory zones, and IPVS virtual services as `stream` proxies (approximated: nginx
//! proxies connections where IPVS forwards packets).

use super::settings::dur;
use super::{dir, key, Cx, Key, Part};
use crate::ir::{Algorithm, Origin, Pool, Protocol, Server, Zone, ZoneKind};

/// `limit_req_zone`, `limit_conn_zone` or `proxy_cache_path`.
pub(super) fn zone_line(z: &Zone) -> Option<String> {
    let zone = match z.size {
        Some(s) => format!("{}:{s}", z.name),
        None => z.name.clone(),
    };
    Some(match &z.kind {
        ZoneKind::RequestRate {
            key,
            rate_per_second,
        } => {
            let per_min = rate_per_second * 60.0;
            let rate = if rate_per_second.fract() == 0.0 {
                format!("rate={rate_per_second}r/s")
            } else {
                format!("rate={}r/m", per_min.round())
            };
            dir(
                "limit_req_zone",
                &[key.clone(), format!("zone={zone}"), rate],
            )
        }
        ZoneKind::Connections { key } => {
            dir("limit_conn_zone", &[key.clone(), format!("zone={zone}")])
        }
        ZoneKind::Cache {
            path,
            levels,
            inactive,
            max_size,
        } => {
            let mut args = vec![path.clone()];
            args.extend(levels.iter().map(|l| format!("levels={l}")));
            args.push(format!("keys_zone={zone}"));
            args.extend(inactive.iter().map(|d| format!("inactive={}", dur(*d))));
            args.extend(max_size.iter().map(|s| format!("max_size={s}")));
            dir("proxy_cache_path", &args)
        }
    })
}

impl Cx<'_> {
    /// Whether a pool of that name and family exists (`None` if not) and can be written (a
    /// HAProxy backend needs a server nginx can reach).
    pub(super) fn usable_pool(&self, name: &str, protocol: Protocol) -> Option<bool> {
        let p =
            self.ir.pools.iter().find(|p| {
                p.name == name && super::is_http(p.protocol) == super::is_http(protocol)
            })?;
        Some(!self.foreign(p.origin) || p.servers.iter().any(|s| !unresolved(s, p.protocol)))
    }

    pub(super) fn pool(&mut self, p: &Pool) {
        let foreign = self.foreign(p.origin);
        let mut parts: Vec<(Key, Part<'_>)> = Vec::new();
        let alg_origin = p.algorithm_origin.unwrap_or(p.origin);
        let alg = self.algorithm(&p.algorithm, alg_origin, foreign);
        // nginx's hash, ip_hash and random methods refuse `backup` servers.
        let no_backup = alg.as_deref().is_some_and(|l| {
            l.starts_with("hash ") || l.starts_with("ip_hash") || l.starts_with("random")
        });
        if let Some(l) = alg {
            parts.push(((0, 0, 0), Part::Line(l)));
        }
        for s in &p.servers {
            if foreign && unresolved(s, p.protocol) {
                self.e.unsupported(
                    s.origin,
                    format!("the server address `{}`", address(&s.address, s.port)),
                    "nginx needs a host and (in a stream) a port; lbc does not read environment variables, and nginx cannot reuse the client's destination (`*`, no port)",
                );
                continue;
            }
            if foreign && no_backup && s.backup {
                self.e.unsupported(
                    s.origin,
                    "a backup server with a hashing algorithm",
                    "nginx's hash, ip_hash and random methods have no backup servers; it is left out",
                );
                continue;
            }
            let line = self.server(s, foreign);
            parts.push((key(s.origin), Part::Line(line)));
        }
        if foreign {
            if let Some(s) = p.servers.iter().find(|s| s.check.is_some()) {
                self.e.unsupported(
                    s.origin,
                    "active health checks (`check`)",
                    "open-source nginx has passive checks only (`max_fails`, `fail_timeout`); active checks need NGINX Plus or a third-party module",
                );
            }
            if let Some(c) = p.health_checks.first() {
                self.e.unsupported(
                    c.origin,
                    "an HTTP health check",
                    "open-source nginx has no active health checks",
                );
            }
            if let Some(t) = &p.settings.timeouts {
                for st in [&t.queue, &t.check].into_iter().flatten() {
                    self.e.unsupported(
                        st.origin,
                        "a queue or check timeout",
                        "nginx has no server queue and no active checks",
                    );
                }
            }
            // Timeouts and retries are written where requests are passed to this upstream.
            let rest = crate::ir::Settings {
                timeouts: None,
                proxy: None,
                opaque: Vec::new(),
                ..p.settings.clone()
            };
            if !rest.is_empty() {
                self.e.unsupported(
                    p.origin,
                    "backend settings with no place in an nginx upstream",
                    "set them in the locations that proxy to this upstream",
                );
            }
            let mut ignored = Vec::new();
            self.http_scope = false;
            for o in &p.settings.opaque {
                self.opaque_part(o, &mut ignored);
            }
        }
        // Backend lines have no place in an upstream block.
        self.http_scope = false;
        for o in &p.opaque {
            self.opaque_part(o, &mut parts);
        }
        if let Some(z) = &p.zone {
            parts.push(((u32::MAX, 0, 0), Part::Line(dir("zone", &[z, "64k"]))));
        }
        if let Some(k) = p.keepalive {
            let line = dir("keepalive", &[k.to_string()]);
            parts.push(((u32::MAX, 0, 1), Part::Line(line)));
        }
        if foreign {
            self.e.line(format!("# backend {}", p.name));
        }
        self.e
            .line(format!("upstream {} {{", super::quote(&p.name)));
        self.e.indent();
        self.write(parts);
        self.e.dedent();
        self.e.line("}");
    }

    /// The balancing directive; `None` for round-robin (nginx's default).
    fn algorithm(&mut self, a: &Algorithm, origin: Origin, foreign: bool) -> Option<String> {
        let approx = |cx: &mut Self, what: &str, help: &str| {
            cx.e.approximated(origin, what.to_string(), help.to_string());
        };
        match a {
            Algorithm::RoundRobin => None,
            Algorithm::UnweightedRoundRobin => {
                approx(
                    self,
                    "unweighted round-robin becomes nginx's weighted round-robin",
                    "nginx always honours weights; leave them out for plain round-robin",
                );
                None
            }
            Algorithm::StaticRoundRobin => {
                approx(
                    self,
                    "static-rr becomes nginx's round-robin",
                    "nginx's round-robin is weighted like static-rr, and also adapts to slow starts",
                );
                None
            }
            Algorithm::LeastConn => Some(dir::<&str>("least_conn", &[])),
            Algorithm::IpHash => Some(dir::<&str>("ip_hash", &[])),
            Algorithm::SourceHash => {
                approx(
                    self,
                    "source hashing becomes `hash $remote_addr consistent`",
                    "the same client still reaches the same server, by another hash function",
                );
                Some(dir("hash", &["$remote_addr", "consistent"]))
            }
            Algorithm::Hash { key, consistent } => {
                let key = if foreign {
                    let k = haproxy_hash_key(key);
                    match k {
                        Some(k) => {
                            approx(
                                self,
                                &format!("the hash of `{key}` becomes `hash {k}`"),
                                "the same requests still go to the same server, by another hash function",
                            );
                            k
                        }
                        None => {
                            self.e.unsupported(
                                origin,
                                format!("hashing on `{key}`"),
                                "pick an nginx variable to hash on (`hash $var consistent`)",
                            );
                            return None;
                        }
                    }
                } else {
                    key.clone()
                };
                let mut args = vec![key];
                if *consistent {
                    args.push("consistent".into());
                }
                Some(dir("hash", &args))
            }
            Algorithm::Random { two, method } => {
                let mut args: Vec<String> = Vec::new();
                if *two {
                    args.push("two".into());
                    args.extend(method.iter().cloned());
                }
                Some(dir("random", &args))
            }
            Algorithm::First | Algorithm::Scheduler { .. } => {
                self.e.unsupported(
                    origin,
                    format!("the `{}` algorithm", a.name()),
                    "nginx balances with round-robin, least_conn, ip_hash, hash or random; the upstream uses round-robin",
                );
                None
            }
        }
    }

    /// `server ADDRESS params;` in an upstream.
    fn server(&mut self, s: &Server, foreign: bool) -> String {
        let mut args = vec![address(&s.address, s.port)];
        let drained = foreign && s.weight == Some(0);
        if drained {
            self.e.approximated(
                s.origin,
                "a server of weight 0 becomes `down`",
                "nginx weights start at 1; HAProxy's weight 0 only stops new sessions",
            );
        } else {
            args.extend(s.weight.map(|w| format!("weight={w}")));
        }
        args.extend(s.max_fails.map(|v| format!("max_fails={v}")));
        args.extend(s.fail_timeout.map(|v| format!("fail_timeout={}", dur(v))));
        args.extend(s.max_conns.map(|v| format!("max_conns={v}")));
        if s.backup {
            args.push("backup".into());
        }
        if s.down || drained {
            args.push("down".into());
        }
        if !foreign {
            args.extend(s.slow_start.map(|v| format!("slow_start={}", dur(v))));
            if s.resolve {
                args.push("resolve".into());
            }
            args.extend(s.other.iter().cloned());
            return dir("server", &args);
        }
        let mut dropped: Vec<String> = s.other.clone();
        if s.slow_start.is_some() {
            dropped.push("slowstart".into());
        }
        if s.resolve {
            dropped.push("resolvers".into());
        }
        if s.cookie.is_some() {
            dropped.push("cookie".into());
        }
        if !dropped.is_empty() {
            self.e.unsupported(
                s.origin,
                format!("server parameters `{}`", dropped.join(" ")),
                "open-source nginx has no slow start, run-time resolution without a zone, or cookie stickiness",
            );
        }
        dir("server", &args)
    }
}

/// A HAProxy server nginx cannot address: an environment variable (`${SRV_ADDR}`), the
/// client's destination (`*`, `0.0.0.0`, an empty host), or no port in a stream.
fn unresolved(s: &Server, protocol: Protocol) -> bool {
    let a = s.address.as_str();
    a.contains('$')
        || matches!(a, "" | "*" | "0.0.0.0" | "::")
        || a.ends_with(':')
        || a.contains('@')
        || (s.port.is_none() && !super::is_http(protocol))
}

/// `host:port`, with brackets around an IPv6 address.
pub(super) fn address(host: &str, port: Option<u16>) -> String {
    match port {
        Some(p) if host.contains(':') && !host.starts_with("unix:") => format!("[{host}]:{p}"),
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

/// The nginx variable for a HAProxy hash key (`uri`, `url_param(P)`, `hdr(H)`, `src`).
fn haproxy_hash_key(key: &str) -> Option<String> {
    if key == "uri" {
        return Some("$uri".into());
    }
    if key == "src" {
        return Some("$remote_addr".into());
    }
    let inner = |prefix: &str| {
        key.strip_prefix(prefix)
            .and_then(|r| r.strip_suffix(')'))
            .map(|r| r.split(',').next().unwrap_or(r).to_string())
    };
    if let Some(p) = inner("url_param(") {
        return Some(format!("$arg_{p}"));
    }
    if let Some(h) = inner("hdr(") {
        return Some(format!("$http_{}", h.to_lowercase().replace('-', "_")));
    }
    None
}

/// Keeps the `Protocol` import used where the L4 part needs it.
pub(super) fn stream_listen(address: Option<&str>, port: Option<u16>, p: Protocol) -> String {
    let mut args = vec![match address {
        Some(a) => self::address(a, port),
        None => port.map_or("80".into(), |p| p.to_string()),
    }];
    if p == Protocol::Udp {
        args.push("udp".into());
    }
    dir("listen", &args)
}
