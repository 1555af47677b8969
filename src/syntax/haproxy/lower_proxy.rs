//! Lowering one proxy section (`defaults`, `frontend`, `backend`, `listen`): the state a proxy
//! builds line by line, what it inherits from its defaults, and how it becomes a service and/or
//! a pool.

use super::cst::{Line, Section};
use super::keywords::{self, B, D, F, L};
use super::lower_items as items;
use crate::ir::{
    Acl, Action, Algorithm, HealthCheck, Ir, Listener, Opaque, Origin, Pool, Protocol, Route,
    Server, Service, Setting, Settings, Stats, Timeouts,
};
use crate::source::FileId;

/// The file being lowered.
pub struct Walk<'a> {
    pub src: &'a str,
    pub file: FileId,
    /// The words of every line HAProxy reads, as it reads them (environment variables
    /// expanded), by line start.
    pub words: std::collections::HashMap<u32, Vec<String>>,
    /// The lines HAProxy's reader skips (`.if` directives and branches not taken).
    pub skipped: std::collections::HashSet<u32>,
}

/// A proxy as its lines build it, starting from what it inherits.
#[derive(Debug, Clone, Default)]
pub struct ProxyState {
    pub name: Option<String>,
    /// The defaults section its `from` names (without it, the last one before it).
    pub defaults_name: Option<String>,
    pub mode: Option<Setting<Protocol>>,
    /// Every modelled setting of the proxy, split between service and pool at the end.
    pub settings: Settings,
    pub algorithm: Option<(Algorithm, Origin)>,
    pub consistent: bool,
    /// The pool-level check (`option httpchk`, `http-check`).
    pub health: Option<HealthCheck>,
    /// `default-server` parameters, in order.
    pub default_server: Vec<String>,
    pub default_backend: Option<Action>,
    pub listeners: Vec<Listener>,
    pub acls: Vec<Acl>,
    /// Indexes into `acls` by name (several lines may share one name).
    pub acl_index: std::collections::HashMap<String, Vec<usize>>,
    pub routes: Vec<Route>,
    pub servers: Vec<Server>,
    /// Lines not modelled, with the capabilities of their keyword (where they belong).
    pub opaque: Vec<(Opaque, u8)>,
}

impl ProxyState {
    /// What a proxy inherits from this defaults section.
    pub fn inherit(&self) -> ProxyState {
        let mut settings = self.settings.clone();
        settings.opaque.clear();
        ProxyState {
            mode: self.mode.clone(),
            settings,
            algorithm: self.algorithm.clone(),
            consistent: self.consistent,
            health: self.health.clone(),
            default_server: self.default_server.clone(),
            default_backend: self.default_backend.clone(),
            ..Default::default()
        }
    }

    /// The effective mode: HAProxy's default is `tcp`.
    pub fn protocol(&self) -> Protocol {
        self.mode.as_ref().map_or(Protocol::Tcp, |m| m.value)
    }

    /// The settings of a `defaults` section, unmodelled lines included.
    pub fn defaults_settings(&self) -> Settings {
        let mut s = self.settings.clone();
        s.opaque = self.opaque.iter().map(|(o, _)| o.clone()).collect();
        s
    }

    /// Turns a frontend/backend/listen into a service and/or a pool.
    pub fn finish(mut self, w: &Walk, kind: &str, origin: Origin, ir: &mut Ir) {
        let protocol = self.protocol();
        let name = self.name.clone().unwrap_or_default();
        let is_fe = kind != "backend";
        let is_be = kind != "frontend";
        if let (Some((Algorithm::Hash { consistent, .. }, _)), true) =
            (&mut self.algorithm, self.consistent)
        {
            *consistent = true;
        }
        let (fe, be) = split(&self.settings, kind);
        if is_be {
            let check = self.health.clone();
            let servers = self
                .servers
                .iter()
                .cloned()
                .map(|mut s| {
                    if let (Some(c), Some(h)) = (&mut s.check, &check) {
                        c.kind = h.kind.clone();
                    }
                    if let (Some(c), Some(t)) = (&mut s.check, be.timeouts.as_ref()) {
                        c.timeout = t.check.as_ref().map(|t| t.value);
                    }
                    s
                })
                .collect();
            let (algorithm, algorithm_origin) = match &self.algorithm {
                Some((a, o)) => (a.clone(), Some(*o)),
                None => (Algorithm::RoundRobin, None),
            };
            ir.pools.push(Pool {
                name: name.clone(),
                protocol,
                protocol_origin: self.mode.as_ref().map(|m| m.origin),
                algorithm,
                algorithm_origin,
                servers,
                health_checks: self.health.iter().cloned().collect(),
                settings: be,
                defaults: self.defaults_name.clone(),
                acls: if is_fe { Vec::new() } else { self.acls.clone() },
                opaque: self
                    .opaque
                    .iter()
                    .filter(|(_, caps)| !is_fe || caps & F == 0)
                    .map(|(o, _)| o.clone())
                    .collect(),
                origin,
                ..Default::default()
            });
        }
        if is_fe {
            let mut settings = fe;
            settings.opaque = self
                .opaque
                .iter()
                .filter(|(_, caps)| !is_be || caps & F != 0)
                .map(|(o, _)| o.clone())
                .collect();
            let mut routes = std::mem::take(&mut self.routes);
            if let Some(st) = &settings.stats {
                if stats_enabled(st) && protocol == Protocol::Http {
                    let uri = st.uri.clone().map_or("/haproxy?stats".into(), |u| u.value);
                    let at = st.uri.as_ref().map_or(origin, |u| u.origin);
                    routes.insert(
                        0,
                        Route {
                            matcher: crate::ir::Matcher {
                                kind: crate::ir::MatchKind::Prefix,
                                pattern: uri,
                                origin: at,
                            },
                            action: Some(Action::Status { origin: at }),
                            origin: at,
                            ..Default::default()
                        },
                    );
                }
            }
            let action = self.default_backend.clone().or_else(|| {
                (is_be && !self.servers.is_empty()).then(|| Action::Proxy {
                    target: name.clone(),
                    pool: Some(name.clone()),
                    origin,
                })
            });
            let listeners = self
                .listeners
                .iter()
                .cloned()
                .map(|mut l| {
                    l.protocol = protocol;
                    l
                })
                .collect();
            ir.services.push(Service {
                name: Some(name),
                protocol,
                listeners,
                settings,
                action,
                routes,
                acls: std::mem::take(&mut self.acls),
                defaults: self.defaults_name.clone(),
                origin,
                ..Default::default()
            });
        }
        let _ = w;
    }
}

/// Whether a `stats` block turns the page on: any of its keywords but `admin` does.
pub fn stats_enabled(s: &Stats) -> bool {
    match &s.enabled {
        Some(e) => e.value,
        None => s.uri.is_some() || s.realm.is_some() || !s.auth.is_empty() || s.refresh.is_some(),
    }
}

/// Splits a proxy's settings into the service side and the pool side. Client-facing timeouts
/// and limits go to the service; server-facing ones, retries and redispatch to the pool.
fn split(all: &Settings, kind: &str) -> (Settings, Settings) {
    let mut fe = Settings::default();
    let mut be = Settings::default();
    if let Some(t) = &all.timeouts {
        let mut f = Timeouts {
            client: t.client.clone(),
            ..Default::default()
        };
        let mut b = Timeouts {
            connect: t.connect.clone(),
            upstream_read: t.upstream_read.clone(),
            queue: t.queue.clone(),
            check: t.check.clone(),
            idle: t.idle.clone(),
            ..Default::default()
        };
        let shared = if kind == "backend" { &mut b } else { &mut f };
        shared.http_request.clone_from(&t.http_request);
        shared.keepalive.clone_from(&t.keepalive);
        if f != Timeouts::default() {
            fe.timeouts = Some(Box::new(f));
        }
        if b != Timeouts::default() {
            be.timeouts = Some(Box::new(b));
        }
    }
    fe.client.clone_from(&all.client);
    be.proxy.clone_from(&all.proxy);
    if kind == "backend" {
        be.stats.clone_from(&all.stats);
    } else {
        fe.stats.clone_from(&all.stats);
    }
    (fe, be)
}

impl Walk<'_> {
    /// Applies the lines of a proxy section to `state`.
    pub fn proxy_lines(&self, kind: &str, section: &Section, state: &mut ProxyState) {
        for line in section.lines.iter().filter(|l| !self.skips(l)) {
            self.proxy_line(kind, line, state);
        }
    }

    fn proxy_line(&self, kind: &str, line: &Line, st: &mut ProxyState) {
        let src = self.src;
        let ki = line.keyword_index(src);
        let no = ki == 1 && line.words[0].raw(src) == "no";
        let words = self.values(line, ki);
        if words.is_empty() {
            return;
        }
        let origin = self.origin(line.range);
        let kw = words[0].as_str();
        let arg = |i: usize| words.get(i).map(String::as_str);
        let handled = match kw {
            "mode" => match arg(1) {
                Some("http") => set_mode(st, Protocol::Http, origin),
                Some("tcp") => set_mode(st, Protocol::Tcp, origin),
                _ => false,
            },
            "timeout" => match (arg(1), arg(2).and_then(items::parse_time)) {
                (Some(name), Some(d)) => items::timeout(&mut st.settings, name, d, origin),
                _ => false,
            },
            "contimeout" | "clitimeout" | "srvtimeout" => {
                // Removed in 2.1 (haproxy/removed-keyword says so); their meaning is clear, so
                // the IR keeps it rather than also reporting missing timeouts.
                let name = match kw {
                    "contimeout" => "connect",
                    "clitimeout" => "client",
                    _ => "server",
                };
                match arg(1).and_then(items::parse_time) {
                    Some(d) => items::timeout(&mut st.settings, name, d, origin),
                    None => false,
                }
            }
            "retries" => match arg(1).and_then(|a| a.parse().ok()) {
                Some(n) => {
                    let p = st.settings.proxy.get_or_insert_with(Default::default);
                    p.retries = Some(Setting::new(n, origin));
                    true
                }
                None => false,
            },
            "maxconn" if kind != "backend" => match arg(1).and_then(|a| a.parse().ok()) {
                Some(n) => {
                    let c = st.settings.client.get_or_insert_with(Default::default);
                    c.max_connections = Some(Setting::new(n, origin));
                    true
                }
                None => false,
            },
            "option" => items::option(st, &words, no, origin),
            "http-check" => items::http_check(st, &words, origin),
            "balance" => match items::balance(&words[1..]) {
                Some(a) => {
                    st.algorithm = Some((a, origin));
                    true
                }
                None => false,
            },
            "hash-type" => {
                st.consistent = arg(1) == Some("consistent");
                false
            }
            "stats" => items::stats(st, &words, origin),
            "bind" => {
                items::bind(st, &words, origin);
                true
            }
            "acl" if words.len() >= 3 => {
                st.acl_index
                    .entry(words[1].clone())
                    .or_default()
                    .push(st.acls.len());
                st.acls.push(items::acl(&words, origin));
                true
            }
            "use_backend" if words.len() >= 2 => {
                let route = items::use_backend(self, line, ki, st, origin);
                st.routes.push(route);
                true
            }
            "default_backend" if words.len() == 2 => {
                st.default_backend = Some(Action::Proxy {
                    target: words[1].clone(),
                    pool: None,
                    origin,
                });
                true
            }
            "default-server" => {
                st.default_server.extend(words[1..].iter().cloned());
                true
            }
            "server" if words.len() >= 3 && keywords::is_proxy(kind) => {
                let s = items::server(&st.default_server, &words, origin);
                st.servers.push(s);
                true
            }
            _ => false,
        };
        if !handled || matches!(kw, "hash-type") {
            let caps = match (kw, arg(1)) {
                ("option", Some(name)) => keywords::option_caps(name),
                _ => keywords::proxy_keyword(kw).unwrap_or(D | F | L | B),
            };
            st.opaque.push((self.opaque_line(line), caps));
        }
    }
}

fn set_mode(st: &mut ProxyState, p: Protocol, origin: Origin) -> bool {
    st.mode = Some(Setting::new(p, origin));
    true
}
