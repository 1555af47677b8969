//! Compiles the IR once into the runtime tables of `lbc serve`: per listen address the virtual
//! hosts by exact `server_name` (and the default server), per host the locations in nginx's
//! matching order, and the pools with their balancers. Everything outside the supported subset
//! is reported by [`super::support`].

use std::collections::BTreeMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;

use regex::{Regex, RegexBuilder};

use super::balance::Balancer;
use super::headers::Template;
use super::peers::{Peer, Peers};
use super::support::Findings;
use crate::diagnostic::Diagnostic;
use crate::ir::{Action, Algorithm, Ir, MatchKind, NameKind, Pool, Protocol, Route, Service};

/// The whole runtime configuration.
pub struct Plan {
    pub listeners: Vec<ListenPlan>,
}

/// One listening socket and the virtual hosts on it.
pub struct ListenPlan {
    pub addr: SocketAddr,
    pub hosts: Vec<Arc<Host>>,
    /// The index in `hosts` of the default server.
    pub default: usize,
    /// HAProxy's statistics page, answered before any host or location is chosen.
    pub stats: Option<Arc<super::stats::StatsPage>>,
}

/// One `server {}`: its names and locations.
pub struct Host {
    pub names: Vec<String>,
    /// A server-level `return` answers every request before any location is matched.
    pub server_return: Option<Handler>,
    pub locations: Locations,
}

/// Locations in nginx's matching order.
#[derive(Default)]
pub struct Locations {
    exact: Vec<(String, usize)>,
    /// Prefixes, longest first: (prefix, `^~`, handler).
    prefixes: Vec<(String, bool, usize)>,
    regexes: Vec<(Regex, usize)>,
    pub handlers: Vec<Handler>,
}

/// What answers a request.
pub enum Handler {
    Return { status: u16, text: Option<String> },
    Proxy(Arc<ProxyTarget>),
}

/// `proxy_pass` to a pool, with the request headers of its scope.
pub struct ProxyTarget {
    pub pool: Arc<UpstreamPool>,
    /// `$proxy_host`: the pool name or `host:port` of the URL.
    pub proxy_host: String,
    /// The URI part of `proxy_pass` and the location prefix it replaces.
    pub rewrite: Option<(String, String)>,
    /// `proxy_set_header` of the effective scope, nginx's defaults included.
    pub headers: Vec<(hyper::header::HeaderName, Template)>,
}

/// A pool of upstream servers and its balancer.
pub struct UpstreamPool {
    pub peers: Peers,
    pub balancer: Balancer,
}

impl Locations {
    /// The handler for `path`, nginx's order: exact match, longest prefix (`^~` stops there),
    /// regexes in file order, the remembered prefix.
    pub fn find(&self, path: &str) -> Option<usize> {
        if let Some((_, h)) = self.exact.iter().find(|(p, _)| p == path) {
            return Some(*h);
        }
        let prefix = self
            .prefixes
            .iter()
            .find(|(p, _, _)| path.starts_with(p.as_str()));
        if let Some((_, true, h)) = prefix {
            return Some(*h);
        }
        if let Some((_, h)) = self.regexes.iter().find(|(re, _)| re.is_match(path)) {
            return Some(*h);
        }
        prefix.map(|(_, _, h)| *h)
    }
}

/// Plans `ir`; the plan is `None` when any finding is an error.
pub fn plan(ir: &Ir) -> (Option<Plan>, Vec<Diagnostic>) {
    let mut f = Findings::default();
    for o in [
        ir.vrrp_instances.first().map(|x| x.origin),
        ir.vrrp_scripts.first().map(|x| x.origin),
        ir.vrrp_sync_groups.first().map(|x| x.origin),
    ]
    .into_iter()
    .flatten()
    {
        f.refuse(o, "VRRP (keepalived)");
    }
    for v in &ir.virtual_services {
        f.refuse(v.origin, "L4 virtual services (LVS)");
    }
    for z in &ir.zones {
        f.refuse(z.origin, format!("the zone `{}` (limits, caches)", z.name));
    }
    // `worker_processes` sets the runtime's worker threads (cli/serve.rs reads it).
    super::stats::refuse_in_pools(ir, &mut f);
    f.opaque(&ir.opaque);
    let mut http_defaults = None;
    for d in &ir.defaults {
        if d.protocol != Protocol::Http {
            f.refuse(d.origin, "stream (TCP/UDP) services");
        } else if d.name.is_some() || d.from.is_some() {
            f.refuse(d.origin, "named defaults sections");
        } else {
            f.settings(&d.settings);
            http_defaults = Some(&d.settings);
        }
    }
    let base_headers = http_defaults
        .map(|s| proxy_headers(s, &[]))
        .unwrap_or_default();
    let mut pools = BTreeMap::new();
    for p in &ir.pools {
        if let Some(rt) = pool(p, &mut f) {
            pools.insert(p.name.clone(), Arc::new(rt));
        }
    }
    let mut by_addr: BTreeMap<SocketAddr, ListenPlan> = BTreeMap::new();
    for s in &ir.services {
        let (s, stats) = super::stats::split(s, &mut f);
        let s = s.as_ref();
        let Some(host) = host(s, &pools, &base_headers, &mut f) else {
            continue;
        };
        let mut addrs = Vec::new();
        for l in &s.listeners {
            if l.tls || l.http2 || l.proxy_protocol || l.unix.is_some() || !l.options.is_empty() {
                f.refuse(
                    l.origin,
                    "TLS, HTTP/2, PROXY protocol, unix sockets and listen options",
                );
                continue;
            }
            let text = format!(
                "{}:{}",
                l.address.as_deref().unwrap_or("0.0.0.0"),
                l.port.unwrap_or(80)
            );
            match text.to_socket_addrs().ok().and_then(|mut a| a.next()) {
                Some(a) => addrs.push((a, l.default_server)),
                None => f.refuse(
                    l.origin,
                    format!("the unresolvable listen address `{text}`"),
                ),
            }
        }
        if s.listeners.is_empty() {
            addrs.push((SocketAddr::from(([0, 0, 0, 0], 80)), false));
        }
        let host = Arc::new(host);
        for (addr, default) in addrs {
            let lp = by_addr.entry(addr).or_insert_with(|| ListenPlan {
                addr,
                hosts: Vec::new(),
                default: 0,
                stats: None,
            });
            if stats.is_some() {
                lp.stats.clone_from(&stats);
            }
            if default {
                lp.default = lp.hosts.len();
            }
            lp.hosts.push(host.clone());
        }
    }
    let ok = !f.has_errors();
    let plan = Plan {
        listeners: by_addr.into_values().collect(),
    };
    (ok.then_some(plan), f.diags)
}

fn pool(p: &Pool, f: &mut Findings) -> Option<UpstreamPool> {
    if p.protocol != Protocol::Http {
        f.refuse(p.origin, "stream (TCP/UDP) pools");
        return None;
    }
    for h in &p.health_checks {
        f.refuse(h.origin, "active health checks");
    }
    f.settings(&p.settings);
    f.opaque(&p.opaque);
    let mut peers = Peers {
        name: p.name.clone(),
        peers: Vec::new(),
    };
    for s in &p.servers {
        if s.backup || s.down {
            let what = if s.backup {
                "`backup` servers"
            } else {
                "`down` servers"
            };
            f.refuse(s.backup_origin.unwrap_or(s.origin), what);
            continue;
        }
        if s.max_conns.is_some()
            || s.slow_start.is_some()
            || s.check.is_some()
            || s.cookie.is_some()
            || s.resolve
            || !s.other.is_empty()
        {
            f.refuse(
                s.origin,
                "server options other than `weight`, `max_fails` and `fail_timeout`",
            );
            continue;
        }
        if s.max_fails.is_some() || s.fail_timeout.is_some() {
            f.ignore(
                s.origin,
                "`max_fails`/`fail_timeout` (no passive health state yet)",
            );
        }
        let text = format!("{}:{}", s.address, s.port.unwrap_or(80));
        match text.to_socket_addrs() {
            Ok(addrs) => {
                for a in addrs {
                    peers
                        .peers
                        .push(Peer::new(a, text.clone(), s.weight.unwrap_or(1)));
                }
            }
            Err(e) => f.refuse(s.origin, format!("the unresolvable server `{text}` ({e})")),
        }
    }
    match Balancer::new(&p.algorithm, &peers) {
        Ok(balancer) => Some(UpstreamPool { peers, balancer }),
        Err(what) => {
            f.refuse(p.algorithm_origin.unwrap_or(p.origin), what);
            None
        }
    }
}

/// The `proxy_set_header` list of a scope: its own when it has any, else the inherited one.
fn proxy_headers(
    s: &crate::ir::Settings,
    inherited: &[crate::ir::Header],
) -> Vec<crate::ir::Header> {
    match s.proxy.as_ref().filter(|p| !p.headers.is_empty()) {
        Some(p) => p.headers.clone(),
        None => inherited.to_vec(),
    }
}

fn host(
    s: &Service,
    pools: &BTreeMap<String, Arc<UpstreamPool>>,
    base_headers: &[crate::ir::Header],
    f: &mut Findings,
) -> Option<Host> {
    if s.protocol != Protocol::Http {
        f.refuse(s.origin, "stream (TCP/UDP) services");
        return None;
    }
    for a in &s.acls {
        f.refuse(a.origin, "ACLs");
    }
    if s.defaults.is_some() {
        f.refuse(s.origin, "named defaults sections");
    }
    let mut names = Vec::new();
    for n in &s.server_names {
        match n.kind {
            NameKind::Exact => names.push(n.name.to_ascii_lowercase()),
            _ => f.refuse(n.origin, "wildcard and regex server names"),
        }
    }
    f.settings(&s.settings);
    let headers = proxy_headers(&s.settings, base_headers);
    let server_return = match &s.action {
        None => None,
        Some(a) => handler(a, None, pools, &headers, f),
    };
    let mut locations = Locations::default();
    for r in &s.routes {
        route(r, pools, &headers, &mut locations, f);
    }
    locations
        .prefixes
        .sort_by_key(|(p, _, _)| std::cmp::Reverse(p.len()));
    Some(Host {
        names,
        server_return,
        locations,
    })
}

fn route(
    r: &Route,
    pools: &BTreeMap<String, Arc<UpstreamPool>>,
    inherited: &[crate::ir::Header],
    locs: &mut Locations,
    f: &mut Findings,
) {
    if r.condition.is_some() {
        f.refuse(r.origin, "conditional routes");
        return;
    }
    if let Some(n) = r.routes.first() {
        f.refuse(n.origin, "nested locations (not yet)");
    }
    f.settings(&r.settings);
    let m = &r.matcher;
    if m.kind == MatchKind::Named {
        f.ignore(m.origin, "named locations (nothing can reach them)");
        return;
    }
    let headers = proxy_headers(&r.settings, inherited);
    let Some(action) = &r.action else {
        f.refuse(
            r.origin,
            "a location without `proxy_pass` or `return` (static files)",
        );
        return;
    };
    let prefix = matches!(
        m.kind,
        MatchKind::Prefix | MatchKind::PrefixNoRegex | MatchKind::Exact
    )
    .then_some(m.pattern.as_str());
    let Some(h) = handler(action, prefix, pools, &headers, f) else {
        return;
    };
    let i = locs.handlers.len();
    locs.handlers.push(h);
    match m.kind {
        MatchKind::Exact => locs.exact.push((m.pattern.clone(), i)),
        MatchKind::Prefix => locs.prefixes.push((m.pattern.clone(), false, i)),
        MatchKind::PrefixNoRegex => locs.prefixes.push((m.pattern.clone(), true, i)),
        MatchKind::Regex | MatchKind::RegexCaseless => {
            let re = RegexBuilder::new(&m.pattern)
                .case_insensitive(m.kind == MatchKind::RegexCaseless)
                .build();
            match re {
                Ok(re) => locs.regexes.push((re, i)),
                Err(e) => f.refuse(m.origin, format!("this regex ({e})")),
            }
        }
        MatchKind::Named => {}
    }
}

fn handler(
    a: &Action,
    prefix: Option<&str>,
    pools: &BTreeMap<String, Arc<UpstreamPool>>,
    headers: &[crate::ir::Header],
    f: &mut Findings,
) -> Option<Handler> {
    match a {
        Action::Return {
            status,
            body_or_url,
            origin,
        } => {
            if *status == 444 || !(100..=599).contains(status) {
                f.refuse(*origin, format!("`return {status}`"));
                return None;
            }
            Some(Handler::Return {
                status: *status,
                text: body_or_url.clone(),
            })
        }
        Action::Proxy { target, origin, .. } => {
            let Some(rest) = target.strip_prefix("http://") else {
                f.refuse(
                    *origin,
                    format!("`proxy_pass {target}` (only http:// targets)"),
                );
                return None;
            };
            let (authority, uri) = match rest.find('/') {
                Some(i) => (&rest[..i], Some(&rest[i..])),
                None => (rest, None),
            };
            if authority.contains('$') || uri.is_some_and(|u| u.contains('$')) {
                f.refuse(*origin, "variables in `proxy_pass`");
                return None;
            }
            let rewrite = match (uri, prefix) {
                (None, _) => None,
                (Some(u), Some(p)) => Some((p.to_string(), u.to_string())),
                (Some(_), None) => {
                    f.refuse(*origin, "a URI part in `proxy_pass` of a regex location");
                    return None;
                }
            };
            let pool = match pools.get(authority) {
                Some(p) => p.clone(),
                None => {
                    let text = if authority.contains(':') {
                        authority.to_string()
                    } else {
                        format!("{authority}:80")
                    };
                    let Some(addr) = text.to_socket_addrs().ok().and_then(|mut a| a.next()) else {
                        f.refuse(*origin, format!("the unresolvable upstream `{authority}`"));
                        return None;
                    };
                    let peers = Peers {
                        name: authority.to_string(),
                        peers: vec![Peer::new(addr, authority.to_string(), 1)],
                    };
                    let balancer = Balancer::new(&Algorithm::RoundRobin, &peers).ok()?;
                    Arc::new(UpstreamPool { peers, balancer })
                }
            };
            let headers = super::headers::compile(headers, f)?;
            Some(Handler::Proxy(Arc::new(ProxyTarget {
                pool,
                proxy_host: authority.to_string(),
                rewrite,
                headers,
            })))
        }
        Action::Status { origin } => {
            f.refuse(*origin, "status pages");
            None
        }
        Action::Other {
            directive, origin, ..
        } => {
            f.refuse(*origin, format!("`{directive}`"));
            None
        }
    }
}
