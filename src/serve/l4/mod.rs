//! L4 balancing: nginx `stream` servers, HAProxy `mode tcp` proxies, keepalived
//! `virtual_server`s and LVS virtual services run as a user-space TCP and UDP balancer.
//! [`plan`] compiles them into [`L4Plan`] (one [`L4Service`] per listening socket), with
//! [`knobs`] reading the settings of stream and HAProxy scopes and [`ipvs`] the virtual services;
//! [`select`] picks the real server (through the shared [`super::balance::Balancer`], with
//! backups, the sorry server, persistence and quorum around it, and the hash key of [`key`]);
//! [`tcp`] splices connections and [`udp`] keeps a session table of datagram flows.

mod ipvs;
mod key;
mod knobs;
mod plan;
pub mod select;
mod tcp;
mod udp;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use plan::{plan, top_level, Options};
pub use select::Target;

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
    pub target: Arc<Target>,
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

/// Binds every L4 socket, then serves each on its own task until `stop`.
pub async fn spawn(
    plan: &L4Plan,
    stop: &watch::Receiver<bool>,
) -> std::io::Result<Vec<JoinHandle<()>>> {
    let mut tasks = Vec::new();
    for s in &plan.services {
        let what = if s.udp { "udp" } else { "tcp" };
        let task = if s.udp {
            let socket = tokio::net::UdpSocket::bind(s.addr).await.map_err(|e| {
                std::io::Error::new(e.kind(), format!("cannot listen on {} (udp): {e}", s.addr))
            })?;
            tokio::spawn(udp::serve(socket, s.clone(), stop.clone()))
        } else {
            let listener = tokio::net::TcpListener::bind(s.addr).await.map_err(|e| {
                std::io::Error::new(e.kind(), format!("cannot listen on {}: {e}", s.addr))
            })?;
            tokio::spawn(tcp::serve(listener, s.clone(), stop.clone()))
        };
        eprintln!("lbc serve: listening on {} ({what}, {})", s.addr, s.label);
        tasks.push(task);
    }
    Ok(tasks)
}
