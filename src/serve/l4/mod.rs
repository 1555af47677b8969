//! L4 balancing: nginx `stream` servers, HAProxy `mode tcp` proxies, keepalived
//! `virtual_server`s and LVS virtual services run as a user-space TCP and UDP balancer.
//! [`plan`] compiles them into [`L4Plan`] (one [`L4Service`] per listening socket), with
//! [`knobs`] reading the settings of stream and HAProxy scopes and [`ipvs`] the virtual services;
//! [`select`] picks the real server (through the shared [`super::balance::Balancer`], with
//! backups, the sorry server, persistence and quorum around it, the hash key and nginx's
//! [`passive`] health); [`script`] renders stream variables (`map`, `geo`, `split_clients`,
//! `set`, `return`, `proxy_pass $var`) with what [`preread`] read of a TLS ClientHello;
//! [`tcp`] splices connections and [`udp`] keeps a session table of datagram flows.

mod ipvs;
mod knobs;
mod log;
mod passive;
mod plan;
mod preread;
mod script;
pub mod select;
mod tcp;
mod udp;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use plan::{plan, top_level, Options};
pub use script::{Conn, Session};
pub use select::Target;

use crate::serve::plan::UpstreamPool;

/// The L4 part of the runtime.
#[derive(Default)]
pub struct L4Plan {
    pub services: Vec<Arc<L4Service>>,
}

/// One listening socket and where its connections (or datagram flows) go.
pub struct L4Service {
    pub addr: SocketAddr,
    pub udp: bool,
    /// The listener (or virtual server) in the configuration.
    pub origin: crate::ir::Origin,
    /// What the configuration calls it (`stream server`, the frontend, the VIP), for logs.
    pub label: String,
    pub route: Route,
    /// The server's `set`s, run when a session starts.
    pub sets: Arc<script::Sets>,
    /// Whether a TCP session lasts until both sides closed (HAProxy, IPVS, nginx's
    /// `proxy_half_close on`) or ends when one side closed (nginx's default).
    pub half_close: bool,
    /// nginx's stream `access_log`: a line when a session ends.
    pub log: Option<Arc<log::AccessLog>>,
    /// nginx `ssl_preread on` (TCP only): the buffer limit and the timeout of the preread.
    pub preread: Option<(usize, Duration)>,
    pub connect_timeout: Duration,
    /// Closes a connection (or session) after this long without a byte in either direction.
    pub idle_timeout: Option<Duration>,
    pub retry: Retry,
    /// nginx `proxy_protocol on`: every upstream connection starts with a PROXY v1 header.
    pub send_proxy: bool,
    /// nginx `proxy_responses`: a UDP session ends after this many answers.
    pub udp_responses: Option<u64>,
    /// nginx `proxy_requests`: a UDP session takes at most this many datagrams.
    pub udp_requests: Option<u64>,
}

impl L4Service {
    /// Every pool the service may send to.
    pub fn pools(&self) -> Vec<&Arc<UpstreamPool>> {
        match &self.route {
            Route::Pool(t) => vec![&t.pool],
            Route::Dynamic(d) => d.upstreams.values().map(|t| &t.pool).collect(),
            Route::Return(_) => Vec::new(),
        }
    }
}

/// Where a service's connections go.
#[derive(Clone)]
pub enum Route {
    Pool(Arc<Target>),
    /// nginx `proxy_pass $var`: an upstream named by the value, or an address.
    Dynamic(Dynamic),
    /// nginx's stream `return`: the value is sent and the connection closed.
    Return(Arc<script::Value>),
}

#[cfg(test)]
impl Route {
    /// The target of a service that proxies to one pool.
    pub fn target(&self) -> &Arc<Target> {
        match self {
            Route::Pool(t) => t,
            _ => panic!("not a pool"),
        }
    }

    pub fn pool(&self) -> &Arc<UpstreamPool> {
        &self.target().pool
    }
}

/// `proxy_pass` with variables in a stream server.
#[derive(Clone)]
pub struct Dynamic {
    pub value: Arc<script::Value>,
    /// The stream upstreams by name (lowercase), as this service uses them.
    pub upstreams: HashMap<String, Arc<Target>>,
}

impl Dynamic {
    /// The target the value names for session `s`: an upstream (by name, without a port)
    /// or an `address:port`; `Err` says why there is none (nginx closes the connection).
    pub fn choose(&self, s: &mut Session) -> Result<Arc<Target>, String> {
        let text = String::from_utf8_lossy(&self.value.render(s)).into_owned();
        if let Some(t) = self.upstreams.get(&text.to_ascii_lowercase()) {
            return Ok(t.clone());
        }
        if let Ok(addr) = text.parse::<SocketAddr>() {
            return Ok(Arc::new(Target::new(plan::single(addr, &text))));
        }
        if text.is_empty() {
            return Err("empty upstream".into());
        }
        Err(format!("no resolver defined to resolve {text}"))
    }
}

/// What happens when connecting to the chosen server fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// nginx `proxy_next_upstream on`: the next server, up to `tries` attempts (0: no limit)
    /// while less than `timeout` has passed since the first (`proxy_next_upstream_timeout`).
    Next {
        tries: u32,
        timeout: Option<Duration>,
    },
    /// HAProxy `retries N`: the same server again, at most every second; with
    /// `option redispatch` the last attempt goes to another server.
    SameServer { retries: u32, redispatch: bool },
    /// IPVS and `proxy_next_upstream off`: the client connection is closed.
    Close,
}

/// The service a socket currently serves, swapped whole by a reload: each connection (or new
/// UDP session) reads it once and keeps that generation.
pub type Slot = Arc<RwLock<Arc<L4Service>>>;

fn current(slot: &Slot) -> Option<Arc<L4Service>> {
    slot.read().ok().map(|s| s.clone())
}

/// A socket bound for an L4 service, not yet served.
enum Bound {
    Tcp(tokio::net::TcpListener),
    Udp(tokio::net::UdpSocket),
}

async fn bind(s: &L4Service) -> std::io::Result<Bound> {
    let what = if s.udp { " (udp)" } else { "" };
    let err = |e: std::io::Error| {
        std::io::Error::new(e.kind(), format!("cannot listen on {}{what}: {e}", s.addr))
    };
    Ok(if s.udp {
        Bound::Udp(tokio::net::UdpSocket::bind(s.addr).await.map_err(err)?)
    } else {
        Bound::Tcp(tokio::net::TcpListener::bind(s.addr).await.map_err(err)?)
    })
}

/// One served socket.
struct Running {
    slot: Slot,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

fn serve(bound: Bound, s: Arc<L4Service>) -> Running {
    let (stop, rx) = watch::channel(false);
    let what = if s.udp { "udp" } else { "tcp" };
    eprintln!("lbc serve: listening on {} ({what}, {})", s.addr, s.label);
    let slot: Slot = Arc::new(RwLock::new(s));
    let task = match bound {
        Bound::Tcp(l) => tokio::spawn(tcp::serve(l, slot.clone(), rx)),
        Bound::Udp(u) => tokio::spawn(udp::serve(u, slot.clone(), rx)),
    };
    Running { slot, stop, task }
}

/// The running L4 side: its sockets by (address, UDP) and the active health checks of every
/// checked pool (HTTP pools included). A reload binds the new sockets first (an error keeps the
/// old generation), swaps the services of sockets that stay, closes the sockets that went, and
/// restarts the checks on the new pools.
pub struct L4Runtime {
    running: BTreeMap<(SocketAddr, bool), Running>,
    checks: (watch::Sender<bool>, Vec<JoinHandle<()>>),
}

impl L4Runtime {
    /// Binds every L4 socket of `plan` and starts the checks of `health`.
    pub async fn start(
        plan: &L4Plan,
        health: &[Arc<super::plan::UpstreamPool>],
    ) -> std::io::Result<L4Runtime> {
        let mut running = BTreeMap::new();
        for s in &plan.services {
            let bound = bind(s).await?;
            running.insert((s.addr, s.udp), serve(bound, s.clone()));
        }
        Ok(L4Runtime {
            running,
            checks: start_checks(health),
        })
    }

    /// Moves to a new generation; on error nothing changed.
    pub async fn reload(
        &mut self,
        plan: &L4Plan,
        health: &[Arc<super::plan::UpstreamPool>],
    ) -> std::io::Result<()> {
        let mut fresh = Vec::new();
        for s in &plan.services {
            if !self.running.contains_key(&(s.addr, s.udp)) {
                fresh.push((bind(s).await?, s.clone()));
            }
        }
        let keep: Vec<(SocketAddr, bool)> = plan.services.iter().map(|s| (s.addr, s.udp)).collect();
        let gone: Vec<_> = self
            .running
            .keys()
            .filter(|k| !keep.contains(k))
            .copied()
            .collect();
        for k in gone {
            if let Some(r) = self.running.remove(&k) {
                let _ = r.stop.send(true);
            }
        }
        for s in &plan.services {
            if let Some(r) = self.running.get(&(s.addr, s.udp)) {
                if let Ok(mut slot) = r.slot.write() {
                    *slot = s.clone();
                }
            }
        }
        for (bound, s) in fresh {
            self.running.insert((s.addr, s.udp), serve(bound, s));
        }
        let old = std::mem::replace(&mut self.checks, start_checks(health));
        let _ = old.0.send(true);
        Ok(())
    }

    /// Closes every socket and stops the checks at once, without waiting for connections in
    /// flight (SIGQUIT).
    pub fn halt(self) {
        let _ = self.checks.0.send(true);
        for t in &self.checks.1 {
            t.abort();
        }
        for r in self.running.values() {
            let _ = r.stop.send(true);
            r.task.abort();
        }
    }

    /// Closes every socket and stops the checks; connections in flight get a few seconds.
    pub async fn stop(self) {
        let _ = self.checks.0.send(true);
        for r in self.running.values() {
            let _ = r.stop.send(true);
        }
        for (_, r) in self.running {
            let _ = r.task.await;
        }
        for t in self.checks.1 {
            let _ = t.await;
        }
    }
}

fn start_checks(
    health: &[Arc<super::plan::UpstreamPool>],
) -> (watch::Sender<bool>, Vec<JoinHandle<()>>) {
    let (tx, rx) = watch::channel(false);
    let tasks = super::health::spawn(health, &rx);
    (tx, tasks)
}

/// Binds every L4 socket, then serves each on its own task until `stop` (the checks are
/// started apart, by [`super::health::spawn`]). [`L4Runtime`] is the same with reloads.
pub async fn spawn(
    plan: &L4Plan,
    stop: &watch::Receiver<bool>,
) -> std::io::Result<Vec<JoinHandle<()>>> {
    let mut bound = Vec::new();
    for s in &plan.services {
        bound.push((bind(s).await?, s.clone()));
    }
    let mut tasks = Vec::new();
    for (b, s) in bound {
        let r = serve(b, s);
        let mut outer = stop.clone();
        tasks.push(tokio::spawn(async move {
            let _ = outer.changed().await;
            let _ = r.stop.send(true);
            let _ = r.task.await;
        }));
    }
    Ok(tasks)
}
