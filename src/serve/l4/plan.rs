//! Compiles the L4 parts of the IR into [`L4Plan`]: nginx `stream {}` (its defaults, servers
//! and upstreams), HAProxy `mode tcp` frontends, listens and backends, keepalived
//! `virtual_server`s and LVS virtual services (the VIP must be an address of this host: the
//! balancer listens on it in user space and proxies, NAT-like, whatever `lb_kind` says). VRRP is
//! refused (lbc serve is not a VRRP speaker) unless [`Options::ignore_vrrp`] is set. Every
//! directive outside what the runtime honours is refused or, when cosmetic, warned about.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use super::key::Key;
use super::select::{Persistence, Target};
use super::{L4Plan, L4Service, Retry};
use crate::ir::{
    Action, Algorithm, Format, Ir, Opaque, Origin, Pool, Protocol, RealServer, Service, Settings,
    VirtualService,
};
use crate::serve::balance::Balancer;
use crate::serve::health::{self, KeepalivedTiming, PeerChecks};
use crate::serve::peers::{Peer, Peers};
use crate::serve::plan::UpstreamPool;
use crate::serve::support::Findings;

/// Choices of the operator that change what the L4 planner accepts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Serve the virtual servers of a keepalived file and only warn about its VRRP instances
    /// (`lbc serve --ignore-vrrp`): the VIPs must already be addresses of this host.
    pub ignore_vrrp: bool,
}

/// nginx's `proxy_connect_timeout` and `proxy_timeout` defaults.
const NGINX_CONNECT: Duration = Duration::from_secs(60);
const NGINX_IDLE: Duration = Duration::from_secs(600);
/// Without `timeout connect` HAProxy waits as long as the system does.
const HAPROXY_CONNECT: Duration = Duration::from_secs(60);
const HAPROXY_RETRIES: u32 = 3;
/// IPVS's default timeouts: established TCP 900s, UDP 300s.
const IPVS_TCP_IDLE: Duration = Duration::from_secs(900);
const IPVS_UDP_IDLE: Duration = Duration::from_secs(300);
const IPVS_CONNECT: Duration = Duration::from_secs(60);

/// The L4 knobs a settings scope sets.
#[derive(Debug, Clone, Copy, Default)]
struct Knobs {
    connect: Option<Duration>,
    idle: Option<Duration>,
    client: Option<Duration>,
    server: Option<Duration>,
    check: Option<Duration>,
    next_upstream: Option<bool>,
    tries: Option<u32>,
    tries_timeout: Option<Duration>,
    retries: Option<u32>,
    redispatch: Option<bool>,
    responses: Option<u64>,
    requests: Option<u64>,
    allbackups: bool,
}

impl Knobs {
    /// `self` where set, else `outer` (nginx's inheritance from the `stream {}` level).
    fn or(self, outer: Knobs) -> Knobs {
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
        }
    }
}

fn dur(d: &crate::ir::Duration) -> Duration {
    Duration::from_millis(d.0)
}

/// Opaque directives of L4 scopes that change nothing in what is forwarded where.
const COSMETIC: &[&str] = &[
    "log",
    "log_format",
    "access_log",
    "error_log",
    "tcp_nodelay",
    "proxy_buffer_size",
    "proxy_socket_keepalive",
];
/// HAProxy options that only concern logs, TCP keep-alive probes or kernel splicing.
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

/// Reads what the L4 runtime honours in `s`; refuses or warns about the rest.
fn knobs(s: &Settings, f: &mut Findings) -> Knobs {
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
        if let Some(v) = &c.access_log {
            f.ignore(v.origin, "`access_log`");
        }
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
        ("static files", s.content.is_some()),
        ("compression", s.compression.is_some()),
        ("caching", s.cache.is_some()),
        ("statistics pages", s.stats.is_some()),
    ];
    for (what, set) in refused {
        if set {
            f.refuse(Origin::default(), format!("{what} on a TCP/UDP service"));
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
            "option" if word == "allbackups" => k.allbackups = true,
            "option" if COSMETIC_OPTIONS.contains(&word) => {
                f.ignore(o.origin, format!("`option {word}`"));
            }
            "option" => f.refuse(o.origin, format!("`option {word}`")),
            name if COSMETIC.contains(&name) => f.ignore(o.origin, format!("`{name}`")),
            name => f.refuse(o.origin, format!("`{name}` on a TCP/UDP service")),
        }
    }
    k
}

fn format_of(ir: &Ir, o: Origin) -> Format {
    ir.sources
        .get(o.file as usize)
        .map_or(Format::Nginx, |s| s.format)
}

fn resolve(text: &str) -> Option<SocketAddr> {
    text.to_socket_addrs().ok().and_then(|mut a| a.next())
}

/// A balancer for `algorithm`; until the IPVS `rr` scheduler has its own balancer, weighted
/// round-robin over equal weights is exactly it.
fn balancer(algorithm: &Algorithm, peers: &Peers) -> Result<Balancer, String> {
    match Balancer::new(algorithm, peers) {
        Err(_) if *algorithm == Algorithm::UnweightedRoundRobin => {
            let equal = Peers {
                name: peers.name.clone(),
                peers: peers
                    .peers
                    .iter()
                    .map(|p| Peer::new(p.addr, p.name.clone(), 1))
                    .collect(),
            };
            Balancer::new(&Algorithm::RoundRobin, &equal)
        }
        other => other,
    }
}

/// Plans the L4 services of `ir`; the HTTP planner skips every non-HTTP element.
pub fn plan(ir: &Ir, opts: &Options, f: &mut Findings) -> (L4Plan, Vec<Arc<UpstreamPool>>) {
    vrrp(ir, opts, f);
    let mut checked = Vec::new();
    // nginx `stream {}`-level settings by file; HAProxy already copied its defaults into the
    // sections that inherit them.
    let mut stream_defaults: BTreeMap<u32, Knobs> = BTreeMap::new();
    for d in ir.defaults.iter().filter(|d| d.protocol != Protocol::Http) {
        if d.name.is_some() || d.from.is_some() {
            f.refuse(d.origin, "named defaults sections");
            continue;
        }
        let k = knobs(&d.settings, f);
        if format_of(ir, d.origin) == Format::Nginx {
            stream_defaults.insert(d.origin.file, k);
        }
    }
    let mut pools: BTreeMap<&str, PlannedPool> = BTreeMap::new();
    for p in ir.pools.iter().filter(|p| p.protocol != Protocol::Http) {
        let outer = stream_defaults
            .get(&p.origin.file)
            .copied()
            .unwrap_or_default();
        let key = match &p.algorithm {
            Algorithm::Hash { key, .. } => match Key::parse(key) {
                Ok(k) => Some(k),
                Err(what) => {
                    f.refuse(p.algorithm_origin.unwrap_or(p.origin), what);
                    continue;
                }
            },
            _ => None,
        };
        if let Some((pool, k)) = pool(ir, p, outer, f) {
            let pool = Arc::new(pool);
            if !pool.checks.is_empty() {
                checked.push(pool.clone());
            }
            pools.insert(p.name.as_str(), (pool, k, key));
        }
    }
    let mut services = Vec::new();
    for s in ir.services.iter().filter(|s| s.protocol != Protocol::Http) {
        let outer = stream_defaults
            .get(&s.origin.file)
            .copied()
            .unwrap_or_default();
        services.extend(service(ir, s, outer, &pools, f));
    }
    for v in &ir.virtual_services {
        if let Some((svc, pool)) = virtual_service(v, f) {
            if !pool.checks.is_empty() {
                checked.push(pool);
            }
            services.push(Arc::new(svc));
        }
    }
    for g in &ir.virtual_service_groups {
        f.refuse(g.origin, "`virtual_server_group`");
    }
    host_config(ir, f);
    // Two services on one socket: nginx says "duplicate listen", the kernel would say so too.
    let mut seen = std::collections::HashSet::new();
    services.retain(|s| {
        let first = seen.insert((s.addr, s.udp));
        if !first {
            f.refuse(s.origin, format!("a second service on {}", s.addr));
        }
        first
    });
    (L4Plan { services }, checked)
}

fn vrrp(ir: &Ir, opts: &Options, f: &mut Findings) {
    let origins = ir
        .vrrp_instances
        .iter()
        .map(|x| x.origin)
        .chain(ir.vrrp_scripts.iter().map(|x| x.origin))
        .chain(ir.vrrp_sync_groups.iter().map(|x| x.origin));
    for o in origins {
        if opts.ignore_vrrp {
            f.ignore(
                o,
                "VRRP (`--ignore-vrrp`: lbc serve is not a VRRP speaker; the VIPs must already be local)",
            );
        } else {
            f.refuse(
                o,
                "VRRP: it is not a VRRP speaker (with `--ignore-vrrp` it serves the virtual servers on VIPs that are already local)",
            );
        }
    }
}

/// The top-level entries the HTTP planner should judge: keepalived's `global_defs` (mail and
/// router settings) and the shell around `ipvsadm` in an LVS script are handled here.
pub fn top_level(ir: &Ir, f: &mut Findings) -> Vec<Opaque> {
    let mut rest = Vec::new();
    for o in &ir.opaque {
        match (format_of(ir, o.origin), o.name.as_str()) {
            (Format::Keepalived, "global_defs") => {
                f.ignore(
                    o.origin,
                    "`global_defs` (notifications and router settings)",
                );
            }
            (Format::Ipvsadm, _) if o.context.is_some() => {} // a branch the script does not take
            (Format::Ipvsadm, "echo" | "exit" | "true" | ":") => {
                f.ignore(o.origin, format!("the shell command `{}`", o.name));
            }
            (Format::Nginx, "load_module")
                if o.args.iter().any(|a| a.ends_with("ngx_stream_module.so")) =>
            {
                f.ignore(o.origin, "`load_module` of the stream module (built in)");
            }
            (Format::Keepalived | Format::Ipvsadm, _) => {
                f.refuse(o.origin, format!("`{}`", o.name));
            }
            _ => rest.push(o.clone()),
        }
    }
    rest
}

/// Addresses, routes and kernel settings of an LVS script or keepalived file are host
/// configuration: the runtime neither applies nor needs them.
fn host_config(ir: &Ir, f: &mut Findings) {
    let origins = ir
        .interface_addresses
        .iter()
        .map(|x| x.origin)
        .chain(ir.static_routes.iter().map(|x| x.origin))
        .chain(ir.sysctls.iter().map(|x| x.origin));
    for o in origins {
        f.ignore(o, "host network configuration (addresses, routes, sysctls)");
    }
}

fn pool(ir: &Ir, p: &Pool, outer: Knobs, f: &mut Findings) -> Option<(UpstreamPool, Knobs)> {
    let k = knobs(&p.settings, f).or(outer);
    let haproxy = format_of(ir, p.origin) == Format::Haproxy;
    f.opaque(&p.opaque);
    if let Some(z) = &p.zone {
        f.ignore(p.origin, format!("the shared memory zone `{z}`"));
    }
    let mut peers = Peers {
        name: p.name.clone(),
        peers: Vec::new(),
    };
    let mut checks = Vec::new();
    for s in &p.servers {
        if s.slow_start.is_some() || s.cookie.is_some() || s.resolve || !s.other.is_empty() {
            let what = if s.other.is_empty() {
                "`slowstart`, `cookie` and `resolve`".to_string()
            } else {
                format!("the server options `{}`", s.other.join(" "))
            };
            f.refuse(s.origin, what);
            continue;
        }
        if s.max_fails.is_some() || s.fail_timeout.is_some() {
            f.ignore(
                s.origin,
                "`max_fails`/`fail_timeout` on a stream server (no passive health state yet)",
            );
        }
        let text = format!("{}:{}", s.address, s.port.unwrap_or(80));
        let Some(addr) = resolve(&text) else {
            f.refuse(s.origin, format!("the unresolvable server `{text}`"));
            continue;
        };
        let mut peer = Peer::new(addr, s.name.clone().unwrap_or(text), s.weight.unwrap_or(1));
        peer.backup = s.backup;
        peer.down = s.down;
        peer.max_conns = s.max_conns.filter(|m| *m > 0);
        let mut own = Vec::new();
        if let Some(c) = &s.check {
            own.extend(health::haproxy(c, addr, k.check, f));
        } else if !haproxy {
            // HAProxy merged `option httpchk` into each `check`ed server; other sources' pool
            // checks apply to every server.
            for c in &p.health_checks {
                own.extend(health::haproxy(c, addr, k.check, f));
            }
        }
        if !own.is_empty() {
            checks.push(PeerChecks {
                peer: peers.peers.len(),
                checks: own,
            });
        }
        peers.peers.push(peer);
    }
    match balancer(&p.algorithm, &peers) {
        Ok(balancer) => Some((
            UpstreamPool {
                peers,
                balancer,
                checks,
            },
            k,
        )),
        Err(what) => {
            f.refuse(p.algorithm_origin.unwrap_or(p.origin), what);
            None
        }
    }
}

/// A planned L4 pool, its settings and its hash key.
type PlannedPool = (Arc<UpstreamPool>, Knobs, Option<Key>);

fn service(
    ir: &Ir,
    s: &Service,
    outer: Knobs,
    pools: &BTreeMap<&str, PlannedPool>,
    f: &mut Findings,
) -> Vec<Arc<L4Service>> {
    let haproxy = format_of(ir, s.origin) == Format::Haproxy;
    let k = knobs(&s.settings, f).or(outer);
    for a in &s.acls {
        f.refuse(a.origin, "ACLs");
    }
    for r in &s.routes {
        f.refuse(r.origin, "`use_backend` rules in TCP mode");
    }
    for n in &s.server_names {
        f.refuse(n.origin, "`server_name` in a stream server");
    }
    if s.defaults.is_some() {
        f.refuse(s.origin, "named defaults sections");
    }
    let (pool, pk, key) = match &s.action {
        Some(Action::Proxy {
            target,
            pool,
            origin,
        }) => {
            match pool.as_deref().and_then(|p| pools.get(p)) {
                Some((p, pk, key)) => (p.clone(), *pk, key.clone()),
                None if target.contains('$') => {
                    f.refuse(*origin, "variables in `proxy_pass`");
                    return Vec::new();
                }
                None => match resolve(target) {
                    Some(addr) => {
                        let peers = Peers {
                            name: target.clone(),
                            peers: vec![Peer::new(addr, target.clone(), 1)],
                        };
                        let Ok(balancer) = Balancer::new(&Algorithm::RoundRobin, &peers) else {
                            return Vec::new();
                        };
                        let pool = UpstreamPool {
                            peers,
                            balancer,
                            checks: Vec::new(),
                        };
                        (Arc::new(pool), Knobs::default(), None)
                    }
                    None if pool.is_some() => {
                        // The pool exists but was refused: that finding is already reported.
                        return Vec::new();
                    }
                    None => {
                        f.refuse(*origin, format!("the unresolvable upstream `{target}`"));
                        return Vec::new();
                    }
                },
            }
        }
        Some(other) => {
            f.refuse(other.origin(), "this action in a TCP/UDP service");
            return Vec::new();
        }
        None => {
            f.refuse(
                s.origin,
                "a TCP/UDP service without `proxy_pass` or `default_backend`",
            );
            return Vec::new();
        }
    };
    // The backend's settings, then the frontend's (HAProxy: `timeout connect`, `retries` and
    // `option redispatch` belong to the backend).
    let k = if haproxy { pk.or(k) } else { k };
    let mut target = Target::new(pool);
    target.first_backup_only = haproxy && !k.allbackups;
    target.key = key;
    let target = Arc::new(target);
    let (connect_timeout, idle_timeout, retry) = if haproxy {
        let idle = k.idle.or(match (k.client, k.server) {
            (Some(c), Some(s)) => Some(c.min(s)),
            (c, s) => c.or(s),
        });
        let retry = Retry::SameServer {
            retries: k.retries.unwrap_or(HAPROXY_RETRIES),
            redispatch: k.redispatch.unwrap_or(false),
        };
        (k.connect.unwrap_or(HAPROXY_CONNECT), idle, retry)
    } else {
        let retry = match k.next_upstream {
            Some(false) => Retry::Close,
            _ => Retry::Next {
                tries: k.tries.unwrap_or(0),
                timeout: k.tries_timeout.filter(|t| !t.is_zero()),
            },
        };
        (
            k.connect.unwrap_or(NGINX_CONNECT),
            Some(k.idle.unwrap_or(NGINX_IDLE)),
            retry,
        )
    };
    let label = match &s.name {
        Some(n) => format!("`{n}`"),
        None => "stream server".to_string(),
    };
    let mut out = Vec::new();
    for l in &s.listeners {
        if l.tls || l.proxy_protocol || l.unix.is_some() || !l.options.is_empty() {
            f.refuse(
                l.origin,
                "TLS, PROXY protocol, unix sockets and listen options on a TCP/UDP service",
            );
            continue;
        }
        let text = format!(
            "{}:{}",
            l.address.as_deref().unwrap_or("0.0.0.0"),
            l.port.unwrap_or(0)
        );
        let Some(addr) = resolve(&text).filter(|a| a.port() != 0) else {
            f.refuse(l.origin, format!("the listen address `{text}`"));
            continue;
        };
        let udp = l.protocol == Protocol::Udp;
        if udp && haproxy {
            f.refuse(l.origin, "UDP in HAProxy");
            continue;
        }
        out.push(Arc::new(L4Service {
            addr,
            udp,
            origin: l.origin,
            label: label.clone(),
            target: target.clone(),
            connect_timeout,
            idle_timeout,
            retry,
            udp_responses: k.responses,
            udp_requests: k.requests,
        }));
    }
    out
}

/// keepalived / IPVS knobs written as opaque lines.
#[derive(Default)]
struct VsKnobs {
    quorum: Option<u64>,
    hysteresis: u64,
    alpha: bool,
    retry: Option<u32>,
    delay_before_retry: Option<Duration>,
    connect_timeout: Option<Duration>,
    virtualhost: Option<String>,
}

fn number<T: std::str::FromStr>(o: &Opaque, f: &mut Findings) -> Option<T> {
    let v = o.args.first().and_then(|a| a.parse().ok());
    if v.is_none() {
        f.refuse(o.origin, format!("`{}` without a number", o.name));
    }
    v
}

fn vs_knobs(opaque: &[Opaque], mut k: VsKnobs, f: &mut Findings) -> VsKnobs {
    for o in opaque {
        match o.name.as_str() {
            "quorum" => k.quorum = number(o, f),
            "hysteresis" => k.hysteresis = number(o, f).unwrap_or(0),
            "alpha" => k.alpha = true,
            "omega" | "inhibit_on_failure" => {}
            "retry" | "nb_get_retry" => k.retry = number(o, f),
            "delay_before_retry" => {
                k.delay_before_retry = number::<u64>(o, f).map(Duration::from_secs)
            }
            "connect_timeout" => k.connect_timeout = number::<u64>(o, f).map(Duration::from_secs),
            "virtualhost" => k.virtualhost = o.args.first().cloned(),
            "smtp_alert" | "snmp_name" | "ha_suspend" => {
                f.ignore(o.origin, format!("`{}`", o.name))
            }
            other => f.refuse(o.origin, format!("`{other}`")),
        }
    }
    k
}

fn is_local(ip: IpAddr) -> bool {
    std::net::UdpSocket::bind(SocketAddr::new(ip, 0)).is_ok()
}

fn virtual_service(v: &VirtualService, f: &mut Findings) -> Option<(L4Service, Arc<UpstreamPool>)> {
    if v.fwmark.is_some() || v.group.is_some() {
        f.refuse(v.origin, "firewall-mark and group virtual services");
        return None;
    }
    let (Some(address), Some(port)) = (v.address.as_deref(), v.port) else {
        f.refuse(v.origin, "a virtual service without an address and a port");
        return None;
    };
    let Ok(vip) = address.parse::<IpAddr>() else {
        f.refuse(v.origin, format!("the virtual address `{address}`"));
        return None;
    };
    if !is_local(vip) {
        f.refuse(
            v.origin,
            format!(
                "the virtual IP `{vip}`, which is not an address of this host (the balancer listens on the VIP in user space: add the address first)"
            ),
        );
        return None;
    }
    let forwarding = v
        .forwarding
        .into_iter()
        .chain(v.real_servers.iter().filter_map(|r| r.forwarding))
        .find(|m| *m != crate::ir::Forwarding::Nat);
    if let Some(m) = forwarding {
        f.ignore(
            v.origin,
            format!(
                "`{}` forwarding: connections are proxied (NAT-like), real servers see the balancer's address",
                format!("{m:?}").to_uppercase()
            ),
        );
    }
    let k = vs_knobs(&v.opaque, VsKnobs::default(), f);
    let udp = v.protocol == Protocol::Udp;
    let delay_loop = v
        .delay_loop
        .as_ref()
        .map_or(health::KEEPALIVED_DELAY_LOOP, dur);
    let mut peers = Peers {
        name: format!("{vip}:{port}"),
        peers: Vec::new(),
    };
    let mut checks = Vec::new();
    for rs in &v.real_servers {
        if let Some((peer, own)) = real_server(rs, port, delay_loop, &k, f) {
            if !own.is_empty() {
                checks.push(PeerChecks {
                    peer: peers.peers.len(),
                    checks: own,
                });
            }
            peers.peers.push(peer);
        }
    }
    let sorry = v.sorry_server.as_ref().and_then(|s| {
        let text = format!("{}:{}", s.address, s.port.unwrap_or(port));
        let a = resolve(&text);
        if a.is_none() {
            f.refuse(s.origin, format!("the unresolvable sorry server `{text}`"));
        }
        a
    });
    let balancer = match balancer(&v.scheduler, &peers) {
        Ok(b) => b,
        Err(what) => {
            f.refuse(v.origin, what);
            return None;
        }
    };
    let pool = Arc::new(UpstreamPool {
        peers,
        balancer,
        checks,
    });
    let mut target = Target::new(pool.clone());
    target.sorry = sorry;
    target.quorum = Some((k.quorum.unwrap_or(1), k.hysteresis));
    if let Some(t) = &v.persistence {
        let prefix = match v.persistence_netmask.as_deref() {
            None => 32,
            Some(m) => match m.parse::<std::net::Ipv4Addr>() {
                Ok(mask) => u32::from(mask).leading_ones() as u8,
                Err(_) => {
                    f.refuse(v.origin, format!("the persistence granularity `{m}`"));
                    32
                }
            },
        };
        target.persistence = Some(Persistence {
            timeout: dur(t),
            prefix,
        });
    }
    let svc = L4Service {
        addr: SocketAddr::new(vip, port),
        udp,
        origin: v.origin,
        label: format!("virtual server {vip}:{port}"),
        target: Arc::new(target),
        connect_timeout: IPVS_CONNECT,
        idle_timeout: Some(if udp { IPVS_UDP_IDLE } else { IPVS_TCP_IDLE }),
        retry: Retry::Close,
        udp_responses: None,
        udp_requests: None,
    };
    Some((svc, pool))
}

fn real_server(
    rs: &RealServer,
    vport: u16,
    delay_loop: Duration,
    vk: &VsKnobs,
    f: &mut Findings,
) -> Option<(Peer, Vec<health::Check>)> {
    let text = format!("{}:{}", rs.address, rs.port.unwrap_or(vport));
    let Some(addr) = resolve(&text) else {
        f.refuse(rs.origin, format!("the unresolvable real server `{text}`"));
        return None;
    };
    let mut peer = Peer::new(addr, text, rs.weight.unwrap_or(1));
    peer.max_conns = rs.upper_threshold.filter(|u| *u > 0);
    if let Some(l) = rs.lower_threshold {
        if l > 0 {
            f.refuse(rs.origin, "`lthreshold` (`-y`)");
        }
    }
    // Checker blocks keep their unmodelled lines as opaque entries named after the checker.
    let mut rk = VsKnobs {
        quorum: None,
        hysteresis: 0,
        alpha: vk.alpha,
        retry: vk.retry,
        delay_before_retry: vk.delay_before_retry,
        connect_timeout: vk.connect_timeout,
        virtualhost: vk.virtualhost.clone(),
    };
    // `digest` and `virtualhost` of a url, by the origin its check carries.
    let mut urls: Vec<(crate::ir::Origin, Option<String>, Option<String>)> = Vec::new();
    for o in &rs.opaque {
        match o.name.as_str() {
            "inhibit_on_failure" => {}
            _ if o.context.as_deref() == Some("checker") && o.block => {
                for c in &o.children {
                    match c.name.as_str() {
                        "delay_before_retry" => {
                            rk.delay_before_retry = number::<u64>(c, f).map(Duration::from_secs)
                        }
                        "alpha" => rk.alpha = true,
                        "virtualhost" => rk.virtualhost = c.args.first().cloned(),
                        "url" => {
                            let (mut digest, mut vhost) = (None, None);
                            for u in &c.children {
                                match u.name.as_str() {
                                    "path" | "status_code" => {}
                                    "digest" => digest = u.args.first().cloned(),
                                    "virtualhost" => vhost = u.args.first().cloned(),
                                    other => {
                                        f.refuse(u.origin, format!("`{other}` in an HTTP_GET url"))
                                    }
                                }
                            }
                            urls.push((c.origin, digest, vhost));
                        }
                        other => f.refuse(c.origin, format!("`{other}` in `{}`", o.name)),
                    }
                }
                if !matches!(o.name.as_str(), "TCP_CHECK" | "HTTP_GET") {
                    f.refuse(o.origin, format!("the `{}` checker", o.name));
                }
            }
            other => f.refuse(o.origin, format!("`{other}` in a real server")),
        }
    }
    let mut checks = Vec::new();
    for c in &rs.checks {
        let url = urls.iter().find(|(o, _, _)| *o == c.origin);
        let timing = KeepalivedTiming {
            delay_loop,
            delay_before_retry: rk.delay_before_retry,
            alpha: rk.alpha,
            virtualhost: url
                .and_then(|(_, _, v)| v.clone())
                .or(rk.virtualhost.clone()),
            digest: url.and_then(|(_, d, _)| d.clone()),
        };
        let mut c = c.clone();
        if c.fall.is_none() {
            c.fall = rk.retry.map(|r| r.saturating_add(1));
        }
        if c.timeout.is_none() {
            c.timeout = rk
                .connect_timeout
                .map(|d| crate::ir::Duration(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)));
        }
        checks.extend(health::keepalived(&c, addr, &timing, f));
    }
    Some((peer, checks))
}
