//! Compiles the IR once into the runtime tables of `lbc serve`: per listen address the virtual
//! hosts by exact `server_name` (and the default server), per host the locations in nginx's
//! matching order, and the pools with their balancers. Everything outside the supported subset
//! is reported by [`super::support`].

use std::collections::BTreeMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use super::pcre::Pcre;

use super::balance::{Balancer, Flavor, HashFn, KeySpec};
use super::content::{self, Scope, Shared};
use super::head::HeadLimits;
use super::headers::Template;
use super::peers::{Peer, Peers};
use super::retry::Policy;
use super::support::Findings;
use super::tls;
use crate::diagnostic::Diagnostic;
use crate::ir::{
    Action, Algorithm, Ir, MatchKind, NameKind, Pool, Protocol, Route, Service, Settings,
};

/// The whole runtime configuration.
pub struct Plan {
    pub listeners: Vec<ListenPlan>,
    /// TCP/UDP services (nginx `stream`, HAProxy `mode tcp`, keepalived, LVS).
    pub l4: super::l4::L4Plan,
    /// The pools (HTTP and L4) with active health checks.
    pub health: Vec<Arc<UpstreamPool>>,
}

/// One listening socket and the virtual hosts on it.
pub struct ListenPlan {
    pub addr: SocketAddr,
    pub hosts: Vec<Arc<Host>>,
    /// The index in `hosts` of the default server.
    pub default: usize,
    /// HAProxy's statistics page, answered before any host or location is chosen.
    pub stats: Option<Arc<super::stats::StatsPage>>,
    /// A TLS address's configuration (`listen … ssl`, `bind … ssl crt`).
    pub tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    /// Written for nginx, which answers a plain HTTP request on a TLS address with a 400 page
    /// (HAProxy closes the connection).
    pub nginx: bool,
    /// HAProxy's `maxconn` of the frontend (or the defaults): connections beyond it wait in
    /// the kernel's backlog until one ends.
    pub max_conns: Option<usize>,
    /// Whether the address speaks HTTP/2.
    pub http2: Http2,
    /// Which server a name selects.
    pub names: Arc<super::names::NameIndex>,
    /// Streams at once on one HTTP/2 connection: the default server's
    /// `http2_max_concurrent_streams` (nginx reads the connection's settings there), 128 by
    /// default; HAProxy's 100.
    pub h2_streams: u32,
}

/// Whether an address speaks HTTP/2, which a TLS address offers by ALPN and a plain one
/// recognises by the connection's first bytes (the HTTP/2 preface).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Http2 {
    /// HTTP/1.x only.
    #[default]
    No,
    /// Both: nginx `listen … ssl http2` and `http2 on;`, HAProxy `alpn h2,…` and any
    /// clear-text HTTP address (unless `option disable-h2-upgrade`).
    Also,
    /// HTTP/2 only: nginx 1.22's plain `listen … http2` (it closes an HTTP/1.x connection),
    /// HAProxy `bind … proto h2`.
    Only,
}

/// The TLS versions an address offers.
type Versions = Vec<&'static tokio_rustls::rustls::SupportedProtocolVersion>;

/// A server on a TLS address: its certificate and versions.
type Secured = (tls::Cert, Versions);

impl ListenPlan {
    /// The time a client has to send a request's head on this socket: the default server's,
    /// as in nginx (the head is read before the server is known).
    pub fn header_timeout(&self) -> Option<Duration> {
        self.hosts.get(self.default).and_then(|h| h.header_timeout)
    }

    /// What a client gets when its request head is late: the default server's answer.
    pub fn late(&self) -> super::conn::Late {
        self.hosts
            .get(self.default)
            .map_or_else(Default::default, |h| h.late)
    }
}

/// How long a client has to send a request head, from `scopes` (outermost first): nginx's
/// `client_header_timeout` (60 s by default; 0 means none), after which nginx closes the
/// connection without a response (its log says 408); HAProxy's `timeout http-request`, else
/// its `timeout client` (none without either), after which HAProxy answers 408
/// ([`super::conn::Late`]).
fn header_timeout(scopes: &[&Settings], nginx: bool) -> Option<Duration> {
    if !nginx {
        let last =
            |pick: fn(&crate::ir::Timeouts) -> Option<&crate::ir::Setting<crate::ir::Duration>>| {
                scopes
                    .iter()
                    .rev()
                    .find_map(|s| pick(s.timeouts.as_deref()?))
                    .map(|v| v.value.0)
            };
        return last(|t| t.http_request.as_ref())
            .or_else(|| last(|t| t.client.as_ref()))
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis);
    }
    let mut t = Some(Duration::from_secs(60));
    for v in scopes
        .iter()
        .filter_map(|s| s.timeouts.as_ref()?.client_header.as_ref())
    {
        t = (v.value.0 > 0).then(|| Duration::from_millis(v.value.0));
    }
    t
}

/// One `server {}`: its names and locations.
pub struct Host {
    pub names: Vec<String>,
    /// A server-level `return` answers every request before any location is matched.
    pub server_return: Option<Handler>,
    pub locations: Locations,
    /// The server level's content settings: for `return` at that level and for requests no
    /// location takes (static files from the server's `root`, else 404).
    pub scope: Arc<Scope>,
    /// The request headers some scope reads after the request went to a proxy.
    pub keeps_headers: Vec<hyper::header::HeaderName>,
    /// `set_real_ip_from` and its companions, at the http and server levels.
    pub realip: Option<super::realip::RealIp>,
    /// How long a client may take to send a request's head ([`header_timeout`]).
    pub header_timeout: Option<Duration>,
    /// What a client whose head is late gets.
    pub late: super::conn::Late,
    /// Some scope of this server writes an access log (the request's start time is read only
    /// then).
    pub logs: bool,
    /// How large a request head may be.
    pub head: HeadLimits,
    /// HAProxy's `use_backend` rules, tried before the default backend.
    pub switch: Option<super::acl::Switch<Handler>>,
    /// HAProxy's `http-request` and `redirect` rules, run before the backend is picked.
    pub http_request: Option<super::http_request::Rules>,
    /// HAProxy's `http-response` header changes on the servers' responses.
    pub http_response: Option<super::http_request::ResponseRules>,
}

/// The locations of one level (a server, or the nested locations of a location).
#[derive(Default)]
struct Level {
    exact: Vec<(String, usize)>,
    /// Prefixes, longest first: (prefix, `^~`, handler).
    prefixes: Vec<(String, bool, usize)>,
    regexes: Vec<(Pcre, usize)>,
}

/// Locations in nginx's matching order, nested ones included.
#[derive(Default)]
pub struct Locations {
    top: Level,
    /// The nested level of a location, by its handler index.
    nested: std::collections::HashMap<usize, Level>,
    /// Named locations (`location @name`), reached by `try_files` and `error_page` only.
    named: Vec<(String, usize)>,
    /// The regexes with groups of regex locations, by handler index, with the slots their
    /// named groups write.
    groups: std::collections::HashMap<usize, (Pcre, Vec<(usize, u32)>)>,
    pub handlers: Vec<Handler>,
    /// The content settings of each handler's location.
    pub scopes: Vec<Arc<Scope>>,
}

/// What answers a request.
pub enum Handler {
    /// `return CODE [TEXT | URL]` (variables expanded per request).
    Return {
        status: u16,
        text: Option<Template>,
    },
    Proxy(Arc<ProxyTarget>),
    /// `proxy_pass` with variables: the target is found per request.
    ProxyDynamic(Arc<DynamicProxy>),
    /// Static files (a location without `proxy_pass`, `return` or `stub_status`).
    Static,
    /// `stub_status`.
    Status,
}

/// `proxy_pass` to a pool, with the request headers of its scope.
pub struct ProxyTarget {
    pub pool: Arc<UpstreamPool>,
    /// `$proxy_host`: the pool name or `host:port` of the URL.
    pub proxy_host: String,
    /// The URI part of `proxy_pass` and the location prefix it replaces.
    pub rewrite: Option<(String, String)>,
    /// `proxy_set_header` of the effective scope, nginx's defaults included.
    pub headers: Vec<(hyper::header::HeaderName, super::headers::SetHeader)>,
    /// Requests go upstream as HTTP/1.0: nginx's `proxy_http_version` (1.0 unless set to
    /// 1.1); HAProxy speaks HTTP/1.1 to its servers.
    pub http10: bool,
    /// HAProxy's `option forwardfor` and `option http-server-close` in force.
    pub options: ServerOptions,
    /// Timeouts and when to try another server.
    pub policy: Policy,
}

/// `proxy_pass` with variables: the URL is rendered per request. A host without a port that
/// names an `upstream` block goes to that pool; an address goes to that server alone; any
/// other name needs a `resolver` nginx would use (502, as nginx without one). A URI part in
/// the URL replaces the request's URI whole.
pub struct DynamicProxy {
    pub url: super::headers::Template,
    /// A ready target per `upstream` block, by lower-cased name.
    pub upstreams: BTreeMap<String, Arc<ProxyTarget>>,
    /// For an address (or an upstream name spelt another way): the headers (`$proxy_host`
    /// rendered per request), HTTP version and policy of the location.
    pub direct_headers: Vec<(hyper::header::HeaderName, super::headers::SetHeader)>,
    pub direct_http10: bool,
    pub direct_policy: Policy,
    /// `resolver`: other names are resolved (else 502, as nginx without one).
    pub resolver: Option<Arc<super::resolver::Resolver>>,
    pub resolved: super::resolver::Resolved<ProxyTarget>,
}

/// Why [`DynamicProxy::target`] found no target at once.
pub enum Miss {
    /// nginx's status.
    Status(u16),
    /// The name is to be resolved ([`DynamicProxy::resolve`]).
    Resolve,
}

impl DynamicProxy {
    /// The target for the host and port of a rendered URL.
    pub fn target(&self, authority: &str) -> Result<Arc<ProxyTarget>, Miss> {
        if let Some(addr) = address(authority) {
            return Ok(self.direct(&[addr], authority));
        }
        match self.upstreams.get(&authority.to_ascii_lowercase()) {
            Some(t) if t.proxy_host == authority => Ok(t.clone()),
            // `$proxy_host` is the name as the URL spells it.
            Some(t) => Ok(Arc::new(ProxyTarget {
                pool: t.pool.clone(),
                proxy_host: authority.to_string(),
                rewrite: None,
                headers: self.direct_headers.clone(),
                http10: self.direct_http10,
                options: ServerOptions::default(),
                policy: t.policy.clone(),
            })),
            None if self.resolver.is_some() => Err(Miss::Resolve),
            None => {
                eprintln!("lbc serve: no resolver defined to resolve {authority}");
                Err(Miss::Status(502))
            }
        }
    }

    /// The target for a name `target` sent to be resolved: its addresses, used in turn and
    /// kept for the resolver's `valid` time.
    pub async fn resolve(&self, authority: &str) -> Result<Arc<ProxyTarget>, u16> {
        let Some(resolver) = &self.resolver else {
            return Err(502);
        };
        let key = authority.to_ascii_lowercase();
        if let Some(t) = self.resolved.get(&key) {
            return Ok(t);
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().map_err(|_| 502u16)?),
            None => (authority, 80),
        };
        let addrs = resolver.lookup(host, port).await?;
        let t = self.direct(&addrs, authority);
        self.resolved.put(key, t.clone(), resolver.valid);
        Ok(t)
    }

    /// A target of the servers `addrs` a URL names as `authority`.
    fn direct(&self, addrs: &[std::net::SocketAddr], authority: &str) -> Arc<ProxyTarget> {
        let proxy_host = authority
            .strip_suffix(":80")
            .unwrap_or(authority)
            .to_string();
        Arc::new(ProxyTarget {
            pool: Arc::new(servers(addrs, &proxy_host)),
            proxy_host,
            rewrite: None,
            headers: self.direct_headers.clone(),
            http10: self.direct_http10,
            options: ServerOptions::default(),
            policy: self.direct_policy.clone(),
        })
    }
}

/// An IP address with an optional port (80 when absent), as a URL's authority writes it.
fn address(authority: &str) -> Option<std::net::SocketAddr> {
    if let Ok(a) = authority.parse() {
        return Some(a);
    }
    let ip = authority.trim_start_matches('[').trim_end_matches(']');
    ip.parse::<std::net::IpAddr>()
        .ok()
        .map(|ip| std::net::SocketAddr::new(ip, 80))
}

/// A pool of the one server a `proxy_pass` URL names (nginx keeps no connection to it).
fn single_server(addr: std::net::SocketAddr, name: &str) -> UpstreamPool {
    servers(&[addr], name)
}

/// A round-robin pool of the servers a `proxy_pass` URL names (a name's addresses).
pub fn servers(addrs: &[std::net::SocketAddr], name: &str) -> UpstreamPool {
    let peers = Peers {
        name: name.to_string(),
        peers: addrs
            .iter()
            .map(|a| Peer::new(*a, name.to_string(), 1))
            .collect(),
    };
    let balancer = Balancer::new(&Algorithm::RoundRobin, &peers)
        .unwrap_or_else(|_| unreachable!("round-robin takes any pool"));
    UpstreamPool::bare(peers, balancer)
}

impl UpstreamPool {
    /// `peers` balanced by `balancer`, without checks, hash key, settings or keep-alive.
    pub fn bare(peers: Peers, balancer: Balancer) -> UpstreamPool {
        UpstreamPool {
            peers,
            balancer,
            key: None,
            settings: Settings::default(),
            checks: Vec::new(),
            keepalive: Default::default(),
            options: Default::default(),
            rules: Default::default(),
        }
    }
}

/// The rules of a HAProxy backend section, run once it is picked.
const BACKEND_RULES: &[&str] = &["http-request", "http-response", "redirect"];

/// The pools by name; `None` for one that was refused.
type Pools = BTreeMap<String, Option<Arc<UpstreamPool>>>;

/// A pool of upstream servers and its balancer.
pub struct UpstreamPool {
    pub peers: Peers,
    pub balancer: Balancer,
    /// The hash key the balancer needs rendered per request.
    pub key: Option<KeySpec>,
    /// The pool's own settings (HAProxy backend timeouts, `retries`, `option redispatch`).
    pub settings: Settings,
    /// Active health checks of its peers.
    pub checks: Vec<super::health::PeerChecks>,
    /// Its idle upstream connections (nginx `keepalive N`).
    pub keepalive: super::keepalive::Cache,
    /// A HAProxy backend's `option forwardfor` and `option http-server-close`.
    pub options: ServerOptions,
    /// A HAProxy backend's `http-request`/`redirect` rules (run once the frontend picked it)
    /// and its `http-response` rules (run before the frontend's).
    pub rules: super::http_request::BackendRules,
}

/// HAProxy `option`s that shape the requests to a backend's servers.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// `option forwardfor`: the client's address in a header of its own.
    pub forward_for: Option<ForwardFor>,
    /// `option http-server-close`: `Connection: close` to the server, whose connection is
    /// then not reused.
    pub server_close: bool,
    /// `option httpclose`: the same, and `Connection: close` to the client, whose connection
    /// is closed after the response.
    pub http_close: bool,
    /// `http-reuse` (HAProxy's default is `safe`).
    pub reuse: Option<Reuse>,
    /// The requests an idle server connection must have carried for the first request of a
    /// client connection to take it (0: any, as nginx; `u32::MAX`: none).
    pub first_takes: u32,
    /// `cookie NAME …` with the servers' `cookie VALUE`s: persistence by cookie.
    pub persist: Option<Arc<super::persist::Persist>>,
}

/// HAProxy's `http-reuse` modes that lbc honours (`never` is refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reuse {
    /// A client connection's first request opens a server connection of its own; the next
    /// ones take any idle one.
    Safe,
    /// The first request takes only an idle connection that already carried two requests
    /// (the server has shown it keeps connections); the next ones any.
    Aggressive,
    /// Every request takes any idle connection.
    Always,
}

impl Reuse {
    /// [`ServerOptions::first_takes`] for this mode.
    pub fn first_takes(self) -> u32 {
        match self {
            Reuse::Safe => u32::MAX,
            Reuse::Aggressive => 2,
            Reuse::Always => 0,
        }
    }
}

/// `option forwardfor [except NET] [header NAME] [if-none]`.
#[derive(Debug, Clone)]
pub struct ForwardFor {
    pub header: hyper::header::HeaderName,
    /// Clients from this network get no header.
    pub except: Option<(std::net::IpAddr, u8)>,
    /// Only when the request has no such header yet (else one more line is added).
    pub if_none: bool,
}

impl ServerOptions {
    /// Takes `o`, written in a frontend or the defaults (`frontend`) or in a backend, when it
    /// is one of these options (`false`: something else); a malformed one is refused.
    fn take(&mut self, o: &crate::ir::Opaque, frontend: bool, f: &mut Findings) -> bool {
        if o.name != "option" && o.name != "http-reuse" {
            return false;
        }
        if o.name == "http-reuse" {
            let mode = match o.args[..] {
                [ref m] if m == "safe" => Some(Reuse::Safe),
                [ref m] if m == "aggressive" => Some(Reuse::Aggressive),
                [ref m] if m == "always" => Some(Reuse::Always),
                _ => None,
            };
            match mode {
                Some(m) => self.reuse = Some(m),
                None => f.refuse(
                    o.origin,
                    format!(
                        "`http-reuse {}` (only safe, aggressive and always)",
                        o.args.join(" ")
                    ),
                ),
            }
            return true;
        }
        match o.args.first().map(String::as_str) {
            Some("http-server-close") if o.args.len() == 1 => self.server_close = true,
            // HAProxy closes the client's side only for a frontend's (or the defaults')
            // `httpclose`; a backend's closes the server's.
            Some("httpclose") if o.args.len() == 1 && frontend => self.http_close = true,
            Some("httpclose") if o.args.len() == 1 => self.server_close = true,
            Some("forwardfor") => self.forward_for = ForwardFor::parse(o, f),
            _ => return false,
        }
        true
    }

    /// These options with `outer`'s (a frontend's or the defaults') where these have none:
    /// HAProxy adds the header when either side asks, the backend's parameters first.
    fn or(&self, outer: &ServerOptions) -> ServerOptions {
        ServerOptions {
            forward_for: self
                .forward_for
                .clone()
                .or_else(|| outer.forward_for.clone()),
            server_close: self.server_close || outer.server_close,
            http_close: self.http_close || outer.http_close,
            reuse: self.reuse.or(outer.reuse),
            // Decided by the target that reads the merged options (`backend`).
            first_takes: 0,
            // A backend's own.
            persist: self.persist.clone(),
        }
    }
}

impl ForwardFor {
    fn parse(o: &crate::ir::Opaque, f: &mut Findings) -> Option<ForwardFor> {
        let mut ff = ForwardFor {
            header: hyper::header::HeaderName::from_static("x-forwarded-for"),
            except: None,
            if_none: false,
        };
        let mut args = o.args[1..].iter().map(String::as_str);
        while let Some(a) = args.next() {
            match (a, a.eq_ignore_ascii_case("if-none")) {
                (_, true) => ff.if_none = true,
                ("except", _) => match args.next().and_then(super::access::net) {
                    Some(n) => ff.except = Some(n),
                    None => {
                        f.refuse(o.origin, "`option forwardfor except` without a network");
                        return None;
                    }
                },
                ("header", _) => {
                    match args
                        .next()
                        .and_then(|h| hyper::header::HeaderName::from_bytes(h.as_bytes()).ok())
                    {
                        Some(h) => ff.header = h,
                        None => {
                            f.refuse(o.origin, "`option forwardfor header` without a name");
                            return None;
                        }
                    }
                }
                (other, _) => {
                    f.refuse(o.origin, format!("`option forwardfor {other}`"));
                    return None;
                }
            }
        }
        Some(ff)
    }
}

impl Locations {
    /// The handler for `path`, nginx's order (`ngx_http_core_find_location`): exact match,
    /// longest prefix and, recursively, its nested locations (`^~` stops there), regexes in file
    /// order (and theirs), the remembered prefix.
    pub fn find(&self, path: &str) -> Option<usize> {
        self.find_in(&self.top, path).1
    }

    /// (whether the search is over, the handler found).
    fn find_in(&self, level: &Level, path: &str) -> (bool, Option<usize>) {
        if let Some((_, h)) = level.exact.iter().find(|(p, _)| p == path) {
            return (true, Some(*h));
        }
        let mut found = None;
        let mut noregex = false;
        let prefix = level
            .prefixes
            .iter()
            .find(|(p, _, _)| path.starts_with(p.as_str()));
        if let Some((_, nr, h)) = prefix {
            found = Some(*h);
            noregex = *nr;
            if let Some(sub) = self.nested.get(h) {
                let (done, inner) = self.find_in(sub, path);
                if done {
                    return (true, inner);
                }
                found = inner.or(found);
            }
        }
        if !noregex {
            if let Some((_, h)) = level.regexes.iter().find(|(re, _)| re.is_match(path)) {
                let inner = self.nested.get(h).and_then(|sub| self.find_in(sub, path).1);
                return (true, inner.or(Some(*h)));
            }
        }
        (false, found)
    }

    /// The groups of handler `i`'s location regex matched against `path`, if it is a regex
    /// location with groups; its named groups written to their `set` slots.
    pub fn captures(&self, i: usize, path: &str, set: &mut Vec<String>) -> Option<Vec<String>> {
        let (re, named) = self.groups.get(&i)?;
        let groups = re.captures(path)?;
        super::uservars::assign_named(set, named, &groups);
        Some(groups)
    }

    /// The handler of the named location `@name`.
    pub fn named(&self, name: &str) -> Option<usize> {
        self.named.iter().find(|(n, _)| n == name).map(|(_, h)| *h)
    }
}

/// Plans `ir`; the plan is `None` when any finding is an error.
pub fn plan(ir: &Ir) -> (Option<Plan>, Vec<Diagnostic>) {
    plan_with(ir, &super::l4::Options::default())
}

/// [`plan`] with the operator's L4 choices (`--ignore-vrrp`).
pub fn plan_with(ir: &Ir, l4_options: &super::l4::Options) -> (Option<Plan>, Vec<Diagnostic>) {
    plan_in(ir, l4_options, None)
}

/// [`plan_with`] with relative paths resolved against `prefix` (`--prefix`); `None`: the
/// directory of the main (first) file.
pub fn plan_in(
    ir: &Ir,
    l4_options: &super::l4::Options,
    prefix: Option<&std::path::Path>,
) -> (Option<Plan>, Vec<Diagnostic>) {
    let mut f = Findings::default();
    // The user variables are known to every value compiled while the plan is built.
    let _names = super::uservars::collect(ir, &mut f);
    let mut shared = Shared::new(ir, &mut f);
    shared.prefix = match prefix {
        Some(p) => p.to_path_buf(),
        None => ir
            .sources
            .first()
            .and_then(|s| std::path::Path::new(&s.path).parent())
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default(),
    };
    let (l4, mut health) = super::l4::plan(ir, l4_options, &mut shared, &mut f);
    // `worker_processes` sets the runtime's worker threads (cli/serve.rs reads it).
    super::stats::refuse_in_pools(ir, &mut f);
    let top = super::l4::top_level(ir, &mut f);
    f.opaque(&top);
    shared.haproxy_head = Some(HeadLimits::haproxy(&top, &mut f));
    // nginx's `http {}` level; each HAProxy proxy has its own chain of `defaults` sections.
    let mut http_defaults = None;
    for d in ir.defaults.iter().filter(|d| d.protocol == Protocol::Http) {
        f.scope_settings(&d.settings);
        if flavor(ir, d.origin) == Flavor::Nginx {
            http_defaults = Some(&d.settings);
        }
    }
    let base_headers = http_defaults
        .map(|s| proxy_headers(s, &[]))
        .unwrap_or_default();
    let mut pools = BTreeMap::new();
    for p in ir.pools.iter().filter(|p| p.protocol == Protocol::Http) {
        // A backend runs the rules of a named defaults section it inherits before its own.
        let inherited = match flavor(ir, p.origin) {
            Flavor::Haproxy => haproxy_defaults(ir, p.origin, p.defaults.as_deref())
                .last()
                .copied(),
            _ => None,
        };
        // A refused pool stays known, so that its users are not refused a second time.
        let rt = pool(p, flavor(ir, p.origin), inherited, &mut f).map(Arc::new);
        if let Some(rt) = rt.as_ref().filter(|rt| !rt.checks.is_empty()) {
            health.push(rt.clone());
        }
        pools.insert(p.name.clone(), rt);
    }
    let scopes: Vec<&Settings> = http_defaults.into_iter().collect();
    let mut by_addr: BTreeMap<SocketAddr, ListenPlan> = BTreeMap::new();
    let mut indexes: BTreeMap<SocketAddr, super::names::NameIndex> = BTreeMap::new();
    // Per address, each server's (names, certificate, versions) when the address is TLS.
    let mut secured: BTreeMap<SocketAddr, Vec<Option<Secured>>> = BTreeMap::new();
    for s in ir.services.iter().filter(|s| s.protocol == Protocol::Http) {
        let (s, stats) = super::stats::split(s, &mut f);
        let s = s.as_ref();
        shared.nginx = matches!(flavor(ir, s.origin), Flavor::Nginx);
        let chain = match shared.nginx {
            true => Vec::new(),
            false => haproxy_defaults(ir, s.origin, s.defaults.as_deref()),
        };
        let (scopes, base_headers) = match chain.last() {
            None if shared.nginx => (scopes.clone(), base_headers.clone()),
            None => (Vec::new(), Vec::new()),
            Some(d) => (
                chain.iter().map(|d| &d.settings).collect(),
                proxy_headers(&d.settings, &[]),
            ),
        };
        let inherited = chain.last().copied();
        let Some(host) = host(
            s,
            &pools,
            &base_headers,
            &scopes,
            inherited,
            &mut shared,
            &mut f,
        ) else {
            continue;
        };
        let mut addrs = Vec::new();
        // The server's certificate, read once for all its TLS listeners (nginx).
        let mut nginx_tls: Option<Option<(tls::Cert, Versions)>> = None;
        // nginx 1.25's `http2 on;` (server level) stands for `listen … http2`.
        let http2_on = s
            .settings
            .opaque
            .iter()
            .find(|o| o.name == "http2")
            .filter(|o| o.args.first().is_some_and(|a| a == "on"));
        let h2_upgrade = !shared.nginx && h2_upgrade(&[&scopes[..], &[&s.settings]].concat());
        let h2_streams = h2_streams(
            &[&scopes[..], &[&s.settings]].concat(),
            shared.nginx,
            &mut f,
        );
        for l in &s.listeners {
            if l.proxy_protocol || l.unix.is_some() {
                f.refuse(l.origin, "PROXY protocol and unix sockets");
                continue;
            }
            let (proto, mut options) = haproxy_proto(&l.options, shared.nginx);
            if !shared.nginx {
                options = haproxy_bind_tuning(&options, l.origin, &mut f);
            }
            let http2 = match proto {
                Some("h2") => Http2::Only,
                Some("h1") => Http2::No,
                Some(p) => {
                    f.refuse(l.origin, format!("`proto {p}`"));
                    continue;
                }
                None if http2_on.is_some() || (l.http2 && l.tls) || h2_upgrade && !l.tls => {
                    Http2::Also
                }
                None if l.http2 => Http2::Only,
                None => Http2::No,
            };
            if (!l.tls || shared.nginx) && !listen_options(&options, l.origin, &mut f) {
                continue;
            }
            let secure = if !l.tls {
                None
            } else if shared.nginx {
                let server = [&scopes[..], &[&s.settings]].concat();
                let got = nginx_tls.get_or_insert_with(|| {
                    let cert = tls::nginx_cert(&server, |p| shared.resolve(p), l.origin, &mut f)?;
                    Some((cert, tls::nginx_versions(&server, &mut f)))
                });
                match got {
                    Some(t) => Some(t.clone()),
                    None => continue,
                }
            } else {
                match tls::haproxy_bind(&options, |p| shared.resolve(p), l.origin, &mut f) {
                    Some(t) => Some(t),
                    None => continue,
                }
            };
            let text = format!(
                "{}:{}",
                l.address.as_deref().unwrap_or("0.0.0.0"),
                l.port.unwrap_or(80)
            );
            match text.to_socket_addrs().ok().and_then(|mut a| a.next()) {
                Some(a) => addrs.push((a, l.default_server, secure, http2, l.origin)),
                None => f.refuse(
                    l.origin,
                    format!("the unresolvable listen address `{text}`"),
                ),
            }
        }
        if s.listeners.is_empty() {
            let http2 = if h2_upgrade { Http2::Also } else { Http2::No };
            addrs.push((
                SocketAddr::from(([0, 0, 0, 0], 80)),
                false,
                None,
                http2,
                s.origin,
            ));
        }
        let host = Arc::new(host);
        let max_conns = [&scopes[..], &[&s.settings]]
            .concat()
            .iter()
            .rev()
            .find_map(|st| st.client.as_ref()?.max_connections.as_ref())
            .and_then(|v| usize::try_from(v.value).ok());
        for (addr, default, secure, http2, origin) in addrs {
            let lp = by_addr.entry(addr).or_insert_with(|| ListenPlan {
                addr,
                hosts: Vec::new(),
                default: 0,
                stats: None,
                tls: None,
                nginx: shared.nginx,
                max_conns: None,
                http2: Http2::No,
                h2_streams,
                names: Arc::default(),
            });
            // nginx: one `listen … http2` makes the whole address speak HTTP/2.
            lp.http2 = lp.http2.max(http2);
            if let Some(n) = max_conns {
                lp.max_conns = Some(lp.max_conns.map_or(n, |m| m.min(n)));
            }
            let certs = secured.entry(addr).or_default();
            if !lp.hosts.is_empty() && certs.iter().all(Option::is_some) != secure.is_some() {
                f.refuse(
                    origin,
                    format!("`{addr}` with TLS for one server and without for another"),
                );
                continue;
            }
            certs.push(secure);
            if stats.is_some() {
                lp.stats.clone_from(&stats);
            }
            if default {
                lp.default = lp.hosts.len();
                lp.h2_streams = h2_streams;
            }
            indexes
                .entry(addr)
                .or_default()
                .add(&s.server_names, lp.hosts.len());
            lp.hosts.push(host.clone());
        }
    }
    for (addr, mut index) in indexes {
        index.seal();
        if let Some(lp) = by_addr.get_mut(&addr) {
            lp.names = Arc::new(index);
        }
    }
    // Each TLS address serves its servers' certificates by name, the default server's to the
    // other names, with the default server's versions.
    for (addr, certs) in secured {
        let Some(lp) = by_addr.get_mut(&addr) else {
            continue;
        };
        let Some(Some((default, versions))) = certs.get(lp.default) else {
            continue;
        };
        let by_server = certs.iter().map(|c| Some(c.as_ref()?.0.clone())).collect();
        let names = (lp.names.clone(), by_server);
        lp.tls = tls::server_config(names, default.clone(), versions, lp.http2 != Http2::No);
    }
    let ok = !f.has_errors();
    let plan = Plan {
        listeners: by_addr.into_values().collect(),
        l4,
        health,
    };
    (ok.then_some(plan), f.diags)
}

/// A HAProxy `bind` line's `proto NAME` (the protocol its connections speak) and its other
/// options; nginx's listen options are all kept.
fn haproxy_proto(options: &[String], nginx: bool) -> (Option<&str>, Vec<String>) {
    let at = options.iter().position(|o| o == "proto").filter(|_| !nginx);
    match at {
        None => (None, options.to_vec()),
        Some(i) => {
            let name = options.get(i + 1).map_or("", String::as_str);
            let rest = [&options[..i], options.get(i + 2..).unwrap_or(&[])].concat();
            (Some(name), rest)
        }
    }
}

/// HAProxy `bind` options that change nothing a client sees (`name`, `id`, `backlog`,
/// `tfo`, `process`, …): ignored with a warning, with their argument; the others are returned.
fn haproxy_bind_tuning(
    options: &[String],
    origin: crate::ir::Origin,
    f: &mut Findings,
) -> Vec<String> {
    const WITH_ARG: &[&str] = &[
        "name", "id", "backlog", "mss", "nice", "process", "thread", "tcp-ut",
    ];
    const FLAGS: &[&str] = &["tfo", "defer-accept", "v4v6"];
    let mut rest = Vec::new();
    let mut it = options.iter();
    while let Some(o) = it.next() {
        if WITH_ARG.contains(&o.as_str()) {
            let arg = it.next().map_or("", String::as_str);
            f.ignore(
                origin,
                format!("the bind option `{o} {arg}` (naming or socket tuning)"),
            );
        } else if FLAGS.contains(&o.as_str()) {
            f.ignore(origin, format!("the bind option `{o}` (socket tuning)"));
        } else {
            rest.push(o.clone());
        }
    }
    rest
}

/// `http2_max_concurrent_streams` in `scopes` (outermost first; nginx's default 128), or
/// HAProxy's 100.
fn h2_streams(scopes: &[&Settings], nginx: bool, f: &mut Findings) -> u32 {
    if !nginx {
        return 100;
    }
    let mut streams = 128;
    for o in scopes.iter().flat_map(|s| &s.opaque) {
        if o.name == "http2_max_concurrent_streams" {
            match o.args.first().and_then(|a| a.parse().ok()) {
                Some(n) => streams = n,
                None => f.refuse(o.origin, format!("`{} {}`", o.name, o.args.join(" "))),
            }
        }
    }
    streams
}

/// Whether HAProxy takes HTTP/2 on a clear-text connection that opens with its preface: yes
/// unless `option disable-h2-upgrade` is in force.
fn h2_upgrade(scopes: &[&Settings]) -> bool {
    !haproxy_option(scopes, "disable-h2-upgrade")
}

/// Whether HAProxy's `option NAME` is in force in `scopes` (outermost first): the last of
/// `option NAME` and `no option NAME` says.
fn haproxy_option(scopes: &[&Settings], name: &str) -> bool {
    let mut on = false;
    for o in scopes.iter().flat_map(|s| &s.opaque) {
        match (o.name.as_str(), &o.args[..]) {
            ("option", [a]) if a == name => on = true,
            ("no", [opt, a]) if opt == "option" && a == name => on = false,
            _ => {}
        }
    }
    on
}

/// nginx `listen` parameters that tune the socket (a warning each; `lbc serve` binds one
/// socket per address with its own settings) and what it cannot honour (`quic`, …):
/// false when one is refused.
fn listen_options(options: &[String], origin: crate::ir::Origin, f: &mut Findings) -> bool {
    const TUNING: &[&str] = &[
        "deferred",
        "backlog",
        "rcvbuf",
        "sndbuf",
        "fastopen",
        "so_keepalive",
        "reuseport",
        "bind",
        "ipv6only",
        "accept_filter",
        "setfib",
    ];
    let mut ok = true;
    for o in options {
        let name = o.split_once('=').map_or(o.as_str(), |(n, _)| n);
        if TUNING.contains(&name) {
            f.ignore(origin, format!("the listen option `{o}` (socket tuning)"));
        } else {
            f.refuse(origin, format!("the listen option `{o}`"));
            ok = false;
        }
    }
    ok
}

/// The HAProxy `defaults` sections a proxy at `at` inherits from, outermost first: the one
/// its `from` names (else the last before it, in its file or an earlier one: HAProxy reads
/// its files in order, and so are their ids), preceded by the one that names with its own
/// `from`, and so on. A name given to no earlier section, or to two, gives nothing
/// (`haproxy/defaults-inheritance` reports it).
pub(crate) fn haproxy_defaults<'a>(
    ir: &'a Ir,
    at: crate::ir::Origin,
    from: Option<&str>,
) -> Vec<&'a crate::ir::Defaults> {
    let before = |at: crate::ir::Origin| {
        ir.defaults
            .iter()
            .filter(move |d| (d.origin.file, d.origin.start) < (at.file, at.start))
            .filter(|d| flavor(ir, d.origin) == Flavor::Haproxy)
    };
    let named = |at: crate::ir::Origin, name: &str| {
        let mut found = before(at).filter(|d| d.name.as_deref() == Some(name));
        match (found.next(), found.next()) {
            (Some(d), None) => Some(d),
            _ => None,
        }
    };
    let mut chain = Vec::new();
    let mut next = match from {
        Some(name) => named(at, name),
        None => before(at).next_back(),
    };
    while let Some(d) = next {
        chain.push(d);
        next = d.from.as_deref().and_then(|name| named(d.origin, name));
    }
    chain.reverse();
    chain
}

/// Whose semantics a pool or service follows: the format of the file it was written in.
fn flavor(ir: &Ir, origin: crate::ir::Origin) -> Flavor {
    ir.sources
        .get(origin.file as usize)
        .map_or(Flavor::Nginx, |s| Flavor::of(s.format))
}

/// How many idle connections a pool keeps: nginx's `keepalive N` (none without it), HAProxy's
/// connection reuse (`http-reuse safe`, its default) up to 64 per server.
fn keepalive(p: &Pool, flavor: Flavor) -> usize {
    match flavor {
        Flavor::Haproxy => 64 * p.servers.len().max(1),
        _ => p.keepalive.unwrap_or(0) as usize,
    }
}

fn pool(
    p: &Pool,
    flavor: Flavor,
    inherited: Option<&crate::ir::Defaults>,
    f: &mut Findings,
) -> Option<UpstreamPool> {
    if p.protocol != Protocol::Http {
        f.refuse(p.origin, "stream (TCP/UDP) pools");
        return None;
    }
    if p.zone.is_some() {
        f.ignore(p.origin, "`zone` (one process: the state is shared anyway)");
    }
    // Active checks: each server's own (HAProxy `check`, with `option httpchk` merged in; a
    // pool-level check alone checks nothing, as in HAProxy).
    let mut checks = Vec::new();
    let timeout_check = p
        .settings
        .timeouts
        .as_ref()
        .and_then(|t| t.check.as_ref())
        .map(|t| std::time::Duration::from_millis(t.value.0));
    f.settings(&p.settings);
    let mut hash_fn = HashFn::default();
    let mut all_backups = false;
    let mut consistent = false;
    let mut avalanche = false;
    let mut opaque = Vec::new();
    let mut options = ServerOptions::default();
    let mut rule_lines = Vec::new();
    for o in &p.opaque {
        if flavor == Flavor::Haproxy && BACKEND_RULES.contains(&o.name.as_str()) {
            rule_lines.push(o.clone());
            continue;
        }
        if flavor == Flavor::Haproxy && o.name == "option" && o.args == ["allbackups"] {
            all_backups = true;
            continue;
        }
        // Read with the servers' values below.
        let persistence = o.name == "cookie" || (o.name == "option" && o.args == ["persist"]);
        if flavor == Flavor::Haproxy && persistence {
            continue;
        }
        if flavor == Flavor::Haproxy && options.take(o, false, f) {
            continue;
        }
        if o.name != "hash-type" || flavor != Flavor::Haproxy {
            opaque.push(o.clone());
            continue;
        }
        let args: Vec<&str> = o.args.iter().map(String::as_str).collect();
        let (method, function, modifier) = match args[..] {
            [m] => (m, None, None),
            [m, f] => (m, Some(f), None),
            [m, f, md] => (m, Some(f), Some(md)),
            _ => ("", None, None),
        };
        let known = matches!(method, "map-based" | "consistent")
            && function.is_none_or(|f| HashFn::named(f).is_some())
            && modifier.is_none_or(|m| m == "avalanche");
        if !known {
            f.refuse(o.origin, format!("`hash-type {}`", o.args.join(" ")));
            continue;
        }
        consistent = method == "consistent";
        hash_fn = function.and_then(HashFn::named).unwrap_or_default();
        // HAProxy: consistent hashing without a function is sdbm with the avalanche modifier.
        avalanche = modifier.is_some() || (consistent && function.is_none());
    }
    f.opaque(&opaque);
    let mut peers = Peers {
        name: p.name.clone(),
        peers: Vec::new(),
    };
    // Each peer's `cookie` value (HAProxy persistence).
    let mut cookies = Vec::new();
    // nginx has no `backup` with the hashing methods and `random` (it rejects the parameter).
    let no_backup = flavor == Flavor::Nginx
        && matches!(
            p.algorithm,
            Algorithm::IpHash | Algorithm::Hash { .. } | Algorithm::Random { .. }
        );
    for s in &p.servers {
        if s.backup && no_backup {
            f.refuse(
                s.backup_origin.unwrap_or(s.origin),
                format!(
                    "`backup` with `{}` (nginx rejects it too)",
                    p.algorithm.name()
                ),
            );
            continue;
        }
        let cookie_alone = s.cookie.is_some() && flavor != Flavor::Haproxy;
        if s.slow_start.is_some() || cookie_alone || s.resolve || !s.other.is_empty() {
            f.refuse(
                s.origin,
                "server options other than `weight`, `max_fails`, `fail_timeout`, `max_conns`, \
                 `backup` and `down`",
            );
            continue;
        }
        if flavor == Flavor::Haproxy && s.max_conns.is_some() {
            f.ignore(
                s.origin,
                "request queueing behind `maxconn` (a full server is skipped instead)",
            );
        }
        let port = s.port.unwrap_or(80);
        let text = format!("{}:{port}", s.address);
        // nginx's consistent hash places a server by its text as written.
        let written = match (flavor, &s.name, s.port) {
            (Flavor::Haproxy, Some(name), _) => name.clone(),
            (_, _, Some(port)) => format!("{}:{port}", s.address),
            _ => s.address.clone(),
        };
        match text.to_socket_addrs() {
            Ok(addrs) => {
                for a in addrs {
                    let own: Vec<_> = s
                        .check
                        .iter()
                        .filter_map(|c| super::health::haproxy(c, a, timeout_check, f))
                        .collect();
                    if !own.is_empty() {
                        checks.push(super::health::PeerChecks {
                            peer: peers.peers.len(),
                            checks: own,
                        });
                    }
                    let mut peer = Peer::new(a, written.clone(), s.weight.unwrap_or(1));
                    peer.backup = s.backup;
                    peer.down = s.down;
                    peer.max_conns = s.max_conns.filter(|&m| m > 0);
                    // HAProxy has no passive health by default; nginx counts failures.
                    peer.max_fails = match flavor {
                        Flavor::Haproxy => 0,
                        _ => s.max_fails.unwrap_or(1),
                    };
                    if let Some(t) = s.fail_timeout {
                        peer.fail_timeout = std::time::Duration::from_millis(t.0);
                    }
                    peers.peers.push(peer);
                    cookies.push(s.cookie.clone());
                }
            }
            Err(e) => f.refuse(s.origin, format!("the unresolvable server `{text}` ({e})")),
        }
    }
    if flavor == Flavor::Haproxy {
        options.persist = super::persist::Persist::compile(&p.opaque, cookies, f).map(Arc::new);
    }
    let key = match &p.algorithm {
        Algorithm::Hash { key, .. } => match KeySpec::compile(key) {
            Ok(k) => Some(k),
            Err(what) => {
                f.refuse(p.algorithm_origin.unwrap_or(p.origin), what);
                return None;
            }
        },
        _ => None,
    };
    match Balancer::with_flavor(&p.algorithm, &peers, flavor) {
        Ok(balancer) => Some(UpstreamPool {
            balancer: balancer
                .with_hash_function(hash_fn, avalanche)
                .with_all_backups(all_backups)
                .with_consistent_source(consistent),
            peers,
            key,
            settings: p.settings.clone(),
            checks,
            keepalive: super::keepalive::Cache::new(keepalive(p, flavor)),
            options,
            rules: super::http_request::BackendRules::compile(inherited, &p.acls, &rule_lines, f),
        }),
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
    pools: &Pools,
    base_headers: &[crate::ir::Header],
    scopes: &[&Settings],
    defaults: Option<&crate::ir::Defaults>,
    shared: &mut Shared,
    f: &mut Findings,
) -> Option<Host> {
    if s.protocol != Protocol::Http {
        f.refuse(s.origin, "stream (TCP/UDP) services");
        return None;
    }
    let mut names = Vec::new();
    for n in &s.server_names {
        match n.kind {
            NameKind::Regex => {
                if let Err(e) = super::pcre::Pcre::new(&n.name[1..], true) {
                    f.refuse(n.origin, format!("the `server_name` regex ({e})"));
                }
                names.push(n.name.clone());
            }
            // nginx names `.example.org`'s server `example.org` (`$server_name`).
            _ => names.push(n.name.trim_start_matches('.').to_ascii_lowercase()),
        }
    }
    f.scope_settings(&s.settings);
    let headers = proxy_headers(&s.settings, base_headers);
    let scopes = [scopes, &[&s.settings]].concat();
    let mut scope = content::scope(&scopes, None, false, shared, f);
    let realip = super::realip::RealIp::compile(&scopes, None, f);
    let server_return = match &s.action {
        None => None,
        Some(a) => handler(a, None, pools, &headers, &scopes, f),
    };
    place_return(&mut scope, s.action.as_ref(), server_return.as_ref());
    let scope = Arc::new(scope);
    let mut locations = Locations::default();
    let mut top = Level::default();
    // HAProxy's `use_backend … if COND`, in order, before the default backend.
    let rule_conditions = super::http_request::Rules::conditions(&s.settings.opaque);
    let conditions: Vec<&str> = s
        .routes
        .iter()
        .filter_map(|r| r.condition.as_deref())
        .chain(rule_conditions.iter().map(String::as_str))
        .collect();
    let acls = super::acl::Acls::compile(&s.acls, &conditions, f);
    // HAProxy runs the rules of a named defaults section first, with its own ACLs.
    let inherited = defaults.map_or_else(Default::default, |d| {
        super::http_request::BackendRules::compile(None, &d.acls, &d.settings.opaque, f)
    });
    let http_request = super::http_request::Rules::then(
        inherited.request,
        super::http_request::Rules::compile(&s.settings.opaque, &acls, f),
    );
    let mut rules = Vec::new();
    for r in &s.routes {
        if let (Some(text), Some(action)) = (&r.condition, &r.action) {
            let condition = super::acl::Condition::compile(text, &acls, r.origin, f);
            let h = handler(action, None, pools, &headers, &scopes, f);
            if let (Some(c), Some(h)) = (condition, h) {
                rules.push((c, h));
            }
            continue;
        }
        route(
            r,
            pools,
            &headers,
            &scopes,
            shared,
            &mut top,
            &mut locations,
            f,
        );
    }
    top.prefixes
        .sort_by_key(|(p, _, _)| std::cmp::Reverse(p.len()));
    locations.top = top;
    // An `auth_request` goes to a location that proxies (or returns a status).
    let mut checked = Vec::new();
    for ar in std::iter::once(&scope)
        .chain(&locations.scopes)
        .filter_map(|s| s.auth_request.as_ref())
    {
        if checked.contains(&ar.origin) {
            continue;
        }
        checked.push(ar.origin);
        let path = ar.uri.split('?').next().unwrap_or("");
        let handler = locations.find(path).map(|i| &locations.handlers[i]);
        if !matches!(handler, Some(Handler::Proxy(_) | Handler::Return { .. })) {
            f.refuse(
                ar.origin,
                format!("`auth_request {}` to a location that does not `proxy_pass` to a fixed URL or `return`", ar.uri),
            );
        }
    }
    let mut keeps_headers = Vec::new();
    scope.needed_headers(&mut keeps_headers);
    for s in &locations.scopes {
        s.needed_headers(&mut keeps_headers);
    }
    keeps_headers.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    keeps_headers.dedup();
    let logs = scope.log.is_some() || locations.scopes.iter().any(|s| s.log.is_some());
    Some(Host {
        names,
        server_return,
        locations,
        scope,
        keeps_headers,
        realip,
        header_timeout: header_timeout(&scopes, shared.nginx),
        late: match shared.nginx {
            true => super::conn::Late::Close,
            false => super::conn::Late::Answer408 {
                probes: !haproxy_option(&scopes, "http-ignore-probes"),
            },
        },
        switch: (!rules.is_empty()).then(|| super::acl::Switch { rules }),
        http_request,
        http_response: super::http_request::ResponseRules::then(
            inherited.response,
            super::http_request::ResponseRules::compile(&s.settings.opaque, f),
        ),
        head: match shared.haproxy_head {
            Some(h) if !shared.nginx => h,
            _ => HeadLimits::nginx(&scopes, f),
        },
        logs,
    })
}

// The planning state is threaded through explicitly: pools and zones are shared, the level
// and the tables are where this location lands.
#[allow(clippy::too_many_arguments)]
fn route(
    r: &Route,
    pools: &Pools,
    inherited: &[crate::ir::Header],
    scopes: &[&Settings],
    shared: &mut Shared,
    level: &mut Level,
    locs: &mut Locations,
    f: &mut Findings,
) {
    if r.condition.is_some() {
        f.refuse(r.origin, "conditional routes");
        return;
    }
    f.scope_settings(&r.settings);
    for o in r.settings.opaque.iter().filter(|o| {
        matches!(
            o.name.as_str(),
            "client_header_buffer_size" | "large_client_header_buffers"
        )
    }) {
        f.refuse(
            o.origin,
            format!("`{}` in a location (nginx: http and server only)", o.name),
        );
    }
    let m = &r.matcher;
    let headers = proxy_headers(&r.settings, inherited);
    let prefix = matches!(
        m.kind,
        MatchKind::Prefix | MatchKind::PrefixNoRegex | MatchKind::Exact
    )
    .then_some(m.pattern.as_str());
    let scopes = [scopes, &[&r.settings]].concat();
    let mut scope = content::scope(&scopes, prefix, true, shared, f);
    super::realip::RealIp::compile(&[], Some(&r.settings), f);
    let h = match &r.action {
        Some(action) => handler(action, prefix, pools, &headers, &scopes, f),
        None if scope.files.is_none() && scope.rewrite.is_none() => {
            f.refuse(
                r.origin,
                "a location serving static files without `root` or `alias`",
            );
            None
        }
        None => Some(Handler::Static),
    };
    let Some(h) = h else {
        return;
    };
    place_return(&mut scope, r.action.as_ref(), Some(&h));
    if shared.nginx {
        let url = match &r.action {
            Some(Action::Proxy { target, .. }) => Some(target.as_str()),
            _ => None,
        };
        scope.proxy_redirect = super::redirect::compile(&scopes, url, &m.pattern, f);
    }
    let i = locs.handlers.len();
    locs.handlers.push(h);
    locs.scopes.push(Arc::new(scope));
    if !r.routes.is_empty() {
        let mut sub = Level::default();
        for n in &r.routes {
            route(n, pools, &headers, &scopes, shared, &mut sub, locs, f);
        }
        sub.prefixes
            .sort_by_key(|(p, _, _)| std::cmp::Reverse(p.len()));
        locs.nested.insert(i, sub);
    }
    match m.kind {
        MatchKind::Exact => level.exact.push((m.pattern.clone(), i)),
        MatchKind::Prefix => level.prefixes.push((m.pattern.clone(), false, i)),
        MatchKind::PrefixNoRegex => level.prefixes.push((m.pattern.clone(), true, i)),
        MatchKind::Regex | MatchKind::RegexCaseless => {
            let re = Pcre::new(&m.pattern, m.kind == MatchKind::RegexCaseless);
            match re {
                Ok(re) => {
                    if re.captures_len() > 1 {
                        let named = super::uservars::named_slots(&re);
                        locs.groups.insert(i, (re.clone(), named));
                    }
                    level.regexes.push((re, i));
                }
                Err(e) => f.refuse(m.origin, format!("this regex ({e})")),
            }
        }
        MatchKind::Named => locs.named.push((m.pattern.clone(), i)),
    }
}

/// A level's `return` (its action) joins its rewrite directives where it was written.
fn place_return(scope: &mut Scope, action: Option<&Action>, handler: Option<&Handler>) {
    if let (Some(p), Some(a), Some(Handler::Return { status, text })) =
        (scope.rewrite.as_mut(), action, handler)
    {
        p.place_return(a.origin().start, *status, text.clone());
    }
}

fn handler(
    a: &Action,
    prefix: Option<&str>,
    pools: &Pools,
    headers: &[crate::ir::Header],
    scopes: &[&Settings],
    f: &mut Findings,
) -> Option<Handler> {
    match a {
        Action::Return {
            status,
            body_or_url,
            origin,
        } => {
            if *status != 444 && !(100..=599).contains(status) {
                f.refuse(*origin, format!("`return {status}`"));
                return None;
            }
            let text = match body_or_url.as_deref().map(super::headers::template) {
                None => None,
                Some(Ok(t)) => Some(t),
                Some(Err(var)) => {
                    f.refuse(*origin, format!("the variable `${var}` in `return`"));
                    return None;
                }
            };
            Some(Handler::Return {
                status: *status,
                text,
            })
        }
        Action::Proxy {
            target,
            pool: named,
            origin,
        } if target.contains('$') => dynamic(target, *origin, pools, headers, scopes, f),
        Action::Proxy {
            target,
            pool: named,
            origin,
        } => {
            let Some(rest) = target.strip_prefix("http://") else {
                return backend(target, named.as_deref(), *origin, pools, scopes, f);
            };
            let (authority, uri) = match rest.find('/') {
                Some(i) => (&rest[..i], Some(&rest[i..])),
                None => (rest, None),
            };
            let rewrite = match (uri, prefix) {
                (None, _) => None,
                (Some(u), Some(p)) => Some((p.to_string(), u.to_string())),
                (Some(_), None) => {
                    f.refuse(*origin, "a URI part in `proxy_pass` of a regex location");
                    return None;
                }
            };
            let pool = match pools.get(authority) {
                Some(Some(p)) => p.clone(),
                Some(None) => return None,
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
                    Arc::new(single_server(addr, authority))
                }
            };
            let headers = super::headers::compile(headers, authority, f)?;
            let http10 = http10(scopes, f)?;
            let scopes = [scopes, &[&pool.settings]].concat();
            let policy = Policy::resolve(&scopes, pool.balancer.flavor(), f)?;
            Some(Handler::Proxy(Arc::new(ProxyTarget {
                pool,
                proxy_host: authority.to_string(),
                rewrite,
                headers,
                http10,
                options: ServerOptions::default(),
                policy,
            })))
        }
        Action::Status { .. } => Some(Handler::Status),
        Action::Other {
            directive, origin, ..
        } => {
            f.refuse(*origin, format!("`{directive}`"));
            None
        }
    }
}

/// `proxy_pass` with variables: a target ready for each `upstream` block, and what a target
/// named by its address takes.
fn dynamic(
    target: &str,
    origin: crate::ir::Origin,
    pools: &Pools,
    headers: &[crate::ir::Header],
    scopes: &[&Settings],
    f: &mut Findings,
) -> Option<Handler> {
    if target.starts_with("https://") {
        f.refuse(origin, "`proxy_pass https://…` (TLS to upstreams)");
        return None;
    }
    let url = match super::headers::template(target) {
        Ok(t) => t,
        Err(var) => {
            f.refuse(origin, format!("the variable `${var}` in `proxy_pass`"));
            return None;
        }
    };
    let http10 = http10(scopes, f)?;
    // The location's own problems are reported once, here; a pool's below.
    let direct_headers = super::headers::compile_per_request(headers, f)?;
    let direct_policy = Policy::resolve(scopes, Flavor::Nginx, f)?;
    let mut upstreams = BTreeMap::new();
    for (name, pool) in pools {
        let Some(pool) = pool else { continue };
        let mut again = Findings::default();
        let headers = super::headers::compile(headers, name, &mut again);
        let scopes = [scopes, &[&pool.settings]].concat();
        let policy = Policy::resolve(&scopes, pool.balancer.flavor(), &mut again);
        let (Some(headers), Some(policy)) = (headers, policy) else {
            f.diags.extend(again.diags);
            return None;
        };
        upstreams.insert(
            name.to_ascii_lowercase(),
            Arc::new(ProxyTarget {
                pool: pool.clone(),
                proxy_host: name.clone(),
                rewrite: None,
                headers,
                http10,
                options: ServerOptions::default(),
                policy,
            }),
        );
    }
    Some(Handler::ProxyDynamic(Arc::new(DynamicProxy {
        url,
        resolver: super::resolver::compile(scopes, f),
        resolved: Default::default(),
        upstreams,
        direct_headers,
        direct_http10: http10,
        direct_policy,
    })))
}

/// A HAProxy `default_backend NAME` (or a `listen` section's own servers): every request goes
/// to the pool as it came, the `Host` header included (HAProxy does not rewrite it).
fn backend(
    target: &str,
    named: Option<&str>,
    origin: crate::ir::Origin,
    pools: &Pools,
    scopes: &[&Settings],
    f: &mut Findings,
) -> Option<Handler> {
    let Some(pool) = pools.get(named.unwrap_or(target)).cloned() else {
        f.refuse(
            origin,
            format!("`proxy_pass {target}` (only http:// targets and known backends)"),
        );
        return None;
    };
    // A refused pool was reported where it is defined.
    let pool = pool?;
    // The frontend's (or the defaults') options; the innermost scope that names one wins.
    let mut outer = ServerOptions::default();
    for s in scopes.iter().rev() {
        for o in &s.opaque {
            let mut own = ServerOptions::default();
            if own.take(o, true, f) {
                outer = outer.or(&own);
            }
        }
    }
    let mut options = pool.options.or(&outer);
    options.first_takes = options.reuse.unwrap_or(Reuse::Safe).first_takes();
    let scopes = [scopes, &[&pool.settings]].concat();
    let policy = Policy::resolve(&scopes, pool.balancer.flavor(), f)?;
    Some(Handler::Proxy(Arc::new(ProxyTarget {
        pool,
        proxy_host: target.to_string(),
        rewrite: None,
        headers: Vec::new(),
        http10: false,
        options,
        policy,
    })))
}

/// nginx's `proxy_http_version` in force: HTTP/1.0 unless it says 1.1 (`None`, refused, for a
/// value nginx rejects too).
fn http10(scopes: &[&Settings], f: &mut Findings) -> Option<bool> {
    let set = scopes
        .iter()
        .rev()
        .find_map(|s| s.proxy.as_ref()?.http_version.as_ref());
    match set.map(|v| (v.value.as_str(), v.origin)) {
        None | Some(("1.0", _)) => Some(true),
        Some(("1.1", _)) => Some(false),
        Some((other, origin)) => {
            f.refuse(origin, format!("`proxy_http_version {other}` (1.0 or 1.1)"));
            None
        }
    }
}
