//! Compiles the L4 parts of the IR into [`L4Plan`]: nginx `stream {}` (its defaults, servers
//! and upstreams), HAProxy `mode tcp` frontends, listens and backends, keepalived
//! `virtual_server`s and LVS virtual services (the VIP must be an address of this host: the
//! balancer listens on it in user space and proxies, NAT-like, whatever `lb_kind` says). VRRP is
//! refused (lbc serve is not a VRRP speaker) unless [`Options::ignore_vrrp`] is set. Every
//! directive outside what the runtime honours is refused or, when cosmetic, warned about.

use std::collections::{BTreeMap, HashMap};
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use super::ipvs::virtual_service;
use super::knobs::{dur, knobs, Knobs};
use super::log;
use super::passive::Passive;
use super::preread;
use super::script::{self, Names, Sets, Value};
use super::select::Target;
use super::{Dynamic, L4Plan, L4Service, Retry, Route};
use crate::ir::{
    Action, Algorithm, Format, Ir, Opaque, Origin, Pool, Protocol, Service, Setting, Settings,
};
use crate::serve::balance::Balancer;
use crate::serve::content::Shared;
use crate::serve::health::{self, PeerChecks};
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
fn format_of(ir: &Ir, o: Origin) -> Format {
    ir.sources
        .get(o.file as usize)
        .map_or(Format::Nginx, |s| s.format)
}

pub fn resolve(text: &str) -> Option<SocketAddr> {
    text.to_socket_addrs().ok().and_then(|mut a| a.next())
}

/// The balancer for `algorithm` with the semantics of the format the pool was written in.
pub fn balancer(algorithm: &Algorithm, peers: &Peers, format: Format) -> Result<Balancer, String> {
    Balancer::with_flavor(algorithm, peers, crate::serve::balance::Flavor::of(format))
}

/// Plans the L4 services of `ir`; the HTTP planner skips every non-HTTP element.
pub fn plan(
    ir: &Ir,
    opts: &Options,
    shared: &mut Shared,
    f: &mut Findings,
) -> (L4Plan, Vec<Arc<UpstreamPool>>) {
    vrrp(ir, opts, f);
    let mut checked = Vec::new();
    // nginx `stream {}`-level settings by file; HAProxy already copied its defaults into the
    // sections that inherit them.
    let mut stream_defaults: BTreeMap<u32, Knobs> = BTreeMap::new();
    for d in ir.defaults.iter().filter(|d| d.protocol != Protocol::Http) {
        let k = knobs(&d.settings, f);
        if format_of(ir, d.origin) == Format::Nginx {
            stream_defaults.insert(d.origin.file, k);
        }
    }
    let names = script::names(ir, f);
    let stream_levels: Vec<&crate::ir::Defaults> = ir
        .defaults
        .iter()
        .filter(|d| d.protocol != Protocol::Http && format_of(ir, d.origin) == Format::Nginx)
        .collect();
    let opaque: Vec<&Opaque> = stream_levels
        .iter()
        .flat_map(|d| &d.settings.opaque)
        .collect();
    let formats = log::formats(&opaque, &names, f);
    let mut logs = Logs {
        formats: &formats,
        names: &names,
        shared,
        outer: stream_levels
            .iter()
            .map(|d| (d.origin.file, access_log_of(&d.settings)))
            .collect(),
    };
    let mut pools: BTreeMap<&str, PlannedPool> = BTreeMap::new();
    for p in ir.pools.iter().filter(|p| p.protocol != Protocol::Http) {
        let outer = stream_defaults
            .get(&p.origin.file)
            .copied()
            .unwrap_or_default();
        let key = match &p.algorithm {
            Algorithm::Hash { key, .. } => match Value::compile(key, &names, None) {
                Ok(k) => Some(Arc::new(k)),
                Err(var) => {
                    f.refuse(
                        p.algorithm_origin.unwrap_or(p.origin),
                        format!("the variable `${var}` in a stream hash key"),
                    );
                    continue;
                }
            },
            _ => None,
        };
        if let Some((pool, k, send_proxy)) = pool(ir, p, outer, f) {
            let pool = Arc::new(pool);
            if !pool.checks.is_empty() {
                checked.push(pool.clone());
            }
            // nginx keeps passive health per upstream, shared by the servers that use it.
            let passive = (format_of(ir, p.origin) == Format::Nginx)
                .then(|| Arc::new(Passive::new(&pool.peers.peers)));
            pools.insert(p.name.as_str(), (pool, k, key, send_proxy, passive));
        }
    }
    let mut services = Vec::new();
    for s in ir.services.iter().filter(|s| s.protocol != Protocol::Http) {
        let outer = stream_defaults
            .get(&s.origin.file)
            .copied()
            .unwrap_or_default();
        services.extend(service(ir, s, outer, &pools, &mut logs, f));
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

/// A pool, its settings, and which of its servers get a PROXY protocol header.
fn pool(
    ir: &Ir,
    p: &Pool,
    outer: Knobs,
    f: &mut Findings,
) -> Option<(UpstreamPool, Knobs, Vec<bool>)> {
    let k = knobs(&p.settings, f).or(outer);
    let haproxy = format_of(ir, p.origin) == Format::Haproxy;
    // HAProxy ignores a backend's `cookie` in TCP mode ("cookie will be ignored for proxy …
    // (needs 'mode http')").
    let (cookie, rest): (Vec<Opaque>, Vec<Opaque>) =
        p.opaque.iter().cloned().partition(|o| o.name == "cookie");
    for o in &cookie {
        f.ignore(o.origin, "`cookie` (HAProxy ignores it in TCP mode)");
    }
    f.opaque(&rest);
    if let Some(z) = &p.zone {
        f.ignore(p.origin, format!("the shared memory zone `{z}`"));
    }
    let mut peers = Peers {
        name: p.name.clone(),
        peers: Vec::new(),
    };
    let mut checks = Vec::new();
    let mut send_proxy = Vec::new();
    for s in &p.servers {
        // HAProxy `send-proxy`: the PROXY protocol v1 header before the client's bytes.
        let proxy_v1 = s.other.iter().any(|o| o == "send-proxy");
        let other: Vec<&String> = s.other.iter().filter(|o| *o != "send-proxy").collect();
        if s.cookie.is_some() {
            f.ignore(
                s.origin,
                "a server's `cookie` (HAProxy ignores it in TCP mode)",
            );
        }
        if s.slow_start.is_some() || s.resolve || !other.is_empty() {
            let what = if other.is_empty() {
                "`slowstart` and `resolve`".to_string()
            } else {
                let words: Vec<&str> = other.iter().map(|o| o.as_str()).collect();
                format!("the server options `{}`", words.join(" "))
            };
            f.refuse(s.origin, what);
            continue;
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
        if let Some(n) = s.max_fails {
            peer.max_fails = n;
        }
        if let Some(t) = &s.fail_timeout {
            peer.fail_timeout = dur(t);
        }
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
        send_proxy.push(proxy_v1);
        peers.peers.push(peer);
    }
    match balancer(&p.algorithm, &peers, format_of(ir, p.origin)) {
        Ok(balancer) => Some((
            UpstreamPool {
                checks,
                ..UpstreamPool::bare(peers, balancer)
            },
            k,
            send_proxy,
        )),
        Err(what) => {
            f.refuse(p.algorithm_origin.unwrap_or(p.origin), what);
            None
        }
    }
}

/// A planned L4 pool, its settings, its hash key and its `send-proxy` servers.
type PlannedPool = (
    Arc<UpstreamPool>,
    Knobs,
    Option<Arc<Value>>,
    Vec<bool>,
    Option<Arc<Passive>>,
);

/// A one-server pool for `addr` (`proxy_pass 127.0.0.1:53;`, a `proxy_pass $var` naming an
/// address).
pub fn single(addr: SocketAddr, name: &str) -> Arc<UpstreamPool> {
    Arc::new(crate::serve::plan::servers(&[addr], name))
}

/// A planned pool as one service uses it.
fn target_of(p: &PlannedPool, first_backup_only: bool) -> Arc<Target> {
    let (pool, _, key, send_proxy, passive) = p;
    let mut target = Target::new(pool.clone());
    target.first_backup_only = first_backup_only;
    target.key = key.clone();
    target.send_proxy = send_proxy.clone();
    target.passive = passive.clone();
    Arc::new(target)
}

/// What the services of a plan need to set up their access logs.
struct Logs<'a> {
    formats: &'a HashMap<String, Arc<log::Format>>,
    names: &'a Names,
    shared: &'a mut Shared,
    /// The `stream`-level `access_log` of each file.
    outer: HashMap<u32, Option<&'a Setting<Vec<String>>>>,
}

fn access_log_of(s: &Settings) -> Option<&Setting<Vec<String>>> {
    s.client.as_ref()?.access_log.as_ref()
}

fn service(
    ir: &Ir,
    s: &Service,
    outer: Knobs,
    pools: &BTreeMap<&str, PlannedPool>,
    logs: &mut Logs,
    f: &mut Findings,
) -> Vec<Arc<L4Service>> {
    let names = logs.names;
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
    let sets = Sets::compile(&s.settings.opaque, names, f);
    let planned = match &s.action {
        Some(Action::Proxy { pool: Some(p), .. }) => pools.get(p.as_str()),
        _ => None,
    };
    // The backend's settings, then the frontend's (HAProxy: `timeout connect`, `retries` and
    // `option redispatch` belong to the backend).
    let k = match planned {
        Some(p) if haproxy => p.1.or(k),
        _ => k,
    };
    let first_backup_only = haproxy && !k.allbackups;
    let route = match (&s.action, planned) {
        (_, Some(p)) => Route::Pool(target_of(p, first_backup_only)),
        (Some(Action::Proxy { target, .. }), None) if target.contains('$') && !haproxy => {
            match Value::compile(target, names, None) {
                Ok(value) => Route::Dynamic(Dynamic {
                    value: Arc::new(value),
                    upstreams: pools
                        .iter()
                        .map(|(name, p)| (name.to_ascii_lowercase(), target_of(p, false)))
                        .collect(),
                }),
                Err(var) => {
                    f.refuse(
                        s.action.as_ref().map_or(s.origin, Action::origin),
                        format!("the variable `${var}` in `proxy_pass`"),
                    );
                    return Vec::new();
                }
            }
        }
        (Some(Action::Proxy { pool: Some(_), .. }), None) => {
            // The pool exists but was refused: that finding is already reported.
            return Vec::new();
        }
        (Some(Action::Proxy { target, origin, .. }), None) => match resolve(target) {
            Some(addr) => Route::Pool(Arc::new(Target::new(single(addr, target)))),
            None => {
                f.refuse(*origin, format!("the unresolvable upstream `{target}`"));
                return Vec::new();
            }
        },
        (
            Some(Action::Return {
                status,
                body_or_url,
                origin,
            }),
            None,
        ) if !haproxy => {
            // The stream `return` sends one value (a number reads as a status to the IR).
            let text = body_or_url.clone().unwrap_or_else(|| status.to_string());
            match Value::compile(&text, names, None) {
                Ok(v) => Route::Return(Arc::new(v)),
                Err(var) => {
                    f.refuse(*origin, format!("the variable `${var}` in `return`"));
                    return Vec::new();
                }
            }
        }
        (Some(other), None) => {
            f.refuse(other.origin(), "this action in a TCP/UDP service");
            return Vec::new();
        }
        (None, None) => {
            f.refuse(
                s.origin,
                "a TCP/UDP service without `proxy_pass` or `default_backend`",
            );
            return Vec::new();
        }
    };
    let sets = Arc::new(sets);
    let log = if haproxy {
        None
    } else {
        let outer = logs.outer.get(&s.origin.file).copied().flatten();
        let chain = [outer, access_log_of(&s.settings)];
        log::access_log(&chain, logs.formats, names, logs.shared, f)
    };
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
        if udp && k.proxy_protocol == Some(true) {
            f.refuse(l.origin, "`proxy_protocol on` for UDP");
            continue;
        }
        out.push(Arc::new(L4Service {
            addr,
            udp,
            origin: l.origin,
            label: label.clone(),
            route: route.clone(),
            sets: sets.clone(),
            log: log.clone(),
            half_close: haproxy || k.half_close == Some(true),
            preread: (k.preread == Some(true) && !udp).then(|| {
                (
                    k.preread_buffer.unwrap_or(preread::BUFFER),
                    k.preread_timeout.unwrap_or(preread::TIMEOUT),
                )
            }),
            connect_timeout,
            idle_timeout,
            retry,
            send_proxy: k.proxy_protocol == Some(true),
            udp_responses: k.responses,
            udp_requests: k.requests,
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::ipvs::IPVS_UDP_IDLE;
    use super::*;
    use crate::load::{load, LoadOptions};

    /// Plans `text` (written to a file called `name`, whose content tells its format).
    pub(super) fn plan_text(name: &str, text: &str) -> (L4Plan, Findings) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let loaded = load(&[path], &LoadOptions::default()).unwrap();
        let mut f = Findings::default();
        let (l4, _) = plan(
            &loaded.ir,
            &Options::default(),
            &mut Shared::default(),
            &mut f,
        );
        (l4, f)
    }

    #[test]
    fn nginx_stream_timeouts_and_next_upstream() {
        let (l4, f) = plan_text(
            "nginx.conf",
            "events {}\nstream {\n    proxy_connect_timeout 2s;\n    upstream u { server 127.0.0.1:9001; server 127.0.0.1:9002; }\n    server { listen 127.0.0.1:7001; proxy_pass u; proxy_timeout 5s; proxy_next_upstream_tries 2; }\n    server { listen 127.0.0.1:7002 udp; proxy_pass 127.0.0.1:53; proxy_responses 1; proxy_next_upstream off; }\n}\n",
        );
        assert!(!f.has_errors(), "{:?}", f.diags);
        let [a, b] = &l4.services[..] else {
            panic!("two services");
        };
        assert_eq!(a.connect_timeout, Duration::from_secs(2));
        assert_eq!(a.idle_timeout, Some(Duration::from_secs(5)));
        assert_eq!(
            a.retry,
            Retry::Next {
                tries: 2,
                timeout: None
            }
        );
        assert!(b.udp && b.udp_responses == Some(1) && b.retry == Retry::Close);
        assert_eq!(b.idle_timeout, Some(NGINX_IDLE));
        assert_eq!(b.route.pool().peers.peers.len(), 1);
    }

    #[test]
    fn haproxy_tcp_timeouts_and_retries() {
        let (l4, f) = plan_text(
            "haproxy.cfg",
            "defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 30s\n    timeout server 20s\n    retries 2\n    option redispatch\nlisten db\n    bind 127.0.0.1:7010\n    server a 127.0.0.1:9001 backup\n    server b 127.0.0.1:9002\n",
        );
        assert!(!f.has_errors(), "{:?}", f.diags);
        let s = &l4.services[0];
        assert_eq!(s.connect_timeout, Duration::from_secs(1));
        assert_eq!(s.idle_timeout, Some(Duration::from_secs(20)));
        assert_eq!(
            s.retry,
            Retry::SameServer {
                retries: 2,
                redispatch: true
            }
        );
        assert!(s.route.target().first_backup_only && s.route.target().pool.peers.peers[0].backup);
    }

    #[test]
    fn keepalived_virtual_server() {
        let (l4, f) = plan_text(
            "keepalived.conf",
            "virtual_server 127.0.0.1 7020 {\n    lb_algo wrr\n    protocol UDP\n    persistence_timeout 30\n    persistence_granularity 255.255.255.0\n    quorum 3\n    hysteresis 1\n    sorry_server 127.0.0.1 9009\n    real_server 127.0.0.1 9001 {\n        weight 0\n        uthreshold 10\n    }\n}\n",
        );
        assert!(!f.has_errors(), "{:?}", f.diags);
        let s = &l4.services[0];
        let t = s.route.target();
        assert!(s.udp && s.retry == Retry::Close);
        assert_eq!(s.idle_timeout, Some(IPVS_UDP_IDLE));
        assert_eq!(t.sorry, Some(SocketAddr::from(([127, 0, 0, 1], 9009))));
        assert_eq!(t.quorum, Some((3, 1)));
        let p = t.persistence.unwrap();
        assert_eq!((p.timeout, p.prefix), (Duration::from_secs(30), 24));
        assert_eq!(t.pool.peers.peers[0].weight, 0);
        assert_eq!(t.thresholds, [Some((10, 0))]);
    }

    #[test]
    fn refusals_name_the_directive() {
        let (_, f) = plan_text(
            "keepalived.conf",
            "virtual_server 192.0.2.1 80 {\n    real_server 127.0.0.1 9001 {\n    }\n}\nvirtual_server fwmark 1 {\n}\n",
        );
        let text: Vec<&str> = f.diags.iter().map(|d| d.message.as_str()).collect();
        assert!(
            text.iter()
                .any(|m| m.contains("`192.0.2.1`, which is not an address")),
            "{text:?}"
        );
        assert!(text.iter().any(|m| m.contains("firewall-mark")), "{text:?}");
    }
}

#[cfg(test)]
mod reload_tests {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};

    use super::super::L4Runtime;
    use super::tests::plan_text;

    fn backend(name: &'static str) -> u16 {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for mut c in l.incoming().flatten() {
                let _ = c.write_all(name.as_bytes());
            }
        });
        port
    }

    fn free_port() -> u16 {
        TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    async fn ask(port: u16) -> Option<String> {
        tokio::task::spawn_blocking(move || {
            let mut c = TcpStream::connect(("127.0.0.1", port)).ok()?;
            c.set_read_timeout(Some(std::time::Duration::from_secs(5)))
                .ok()?;
            let mut out = String::new();
            c.read_to_string(&mut out).ok()?;
            Some(out)
        })
        .await
        .ok()
        .flatten()
    }

    fn config(listen: u16, backend: u16) -> String {
        format!("events {{}}\nstream {{ server {{ listen 127.0.0.1:{listen}; proxy_pass 127.0.0.1:{backend}; }} }}\n")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_reload_swaps_services_and_sockets() {
        let (a, b) = (backend("a"), backend("b"));
        let (p, q) = (free_port(), free_port());
        let (plan1, _) = plan_text("nginx.conf", &config(p, a));
        let mut rt = L4Runtime::start(&plan1, &[]).await.unwrap();
        assert_eq!(ask(p).await.as_deref(), Some("a"));
        // The same socket, another server: new connections go there.
        let (plan2, _) = plan_text("nginx.conf", &config(p, b));
        rt.reload(&plan2, &[]).await.unwrap();
        assert_eq!(ask(p).await.as_deref(), Some("b"));
        // Another socket: the new one serves, the old one closes.
        let (plan3, _) = plan_text("nginx.conf", &config(q, a));
        rt.reload(&plan3, &[]).await.unwrap();
        assert_eq!(ask(q).await.as_deref(), Some("a"));
        let mut closed = false;
        for _ in 0..50 {
            if TcpStream::connect(("127.0.0.1", p)).is_err() {
                closed = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(closed, "the removed socket still accepts");
        rt.stop().await;
    }
}
