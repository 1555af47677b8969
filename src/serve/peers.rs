//! The servers of one runtime pool and the state the balancers, the passive health accounting
//! (`max_fails`/`fail_timeout`) and the active health checks share: every pool, HTTP or L4, is a
//! [`Peers`] list behind one [`super::balance::Balancer`].

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

/// One upstream server as configured, with its live counters.
#[derive(Debug)]
pub struct Peer {
    pub addr: SocketAddr,
    /// The server as written in the configuration (`host:port` or its HAProxy name).
    pub name: String,
    pub weight: u32,
    pub backup: bool,
    /// Configured `down`: never selected.
    pub down: bool,
    pub max_conns: Option<u32>,
    /// nginx `max_fails` (default 1; 0 disables the accounting).
    pub max_fails: u32,
    /// nginx `fail_timeout` (default 10s).
    pub fail_timeout: Duration,
    /// Requests (or L4 connections) in flight to this peer.
    pub active: AtomicU32,
    /// The verdict of the active health check; `true` when no check is configured.
    pub check_up: AtomicBool,
    /// Attempts sent to this peer (requests or L4 connections), for the metrics.
    pub attempts: AtomicU64,
    /// Attempts that failed (connect error, timeout, or a status `proxy_next_upstream` names).
    pub failures: AtomicU64,
}

impl Peer {
    pub fn new(addr: SocketAddr, name: String, weight: u32) -> Peer {
        Peer {
            addr,
            name,
            weight,
            backup: false,
            down: false,
            max_conns: None,
            max_fails: 1,
            fail_timeout: Duration::from_secs(10),
            active: AtomicU32::new(0),
            check_up: AtomicBool::new(true),
            attempts: AtomicU64::new(0),
            failures: AtomicU64::new(0),
        }
    }

    /// Whether the active health check lets this peer take traffic.
    pub fn is_check_up(&self) -> bool {
        self.check_up.load(Ordering::Relaxed)
    }

    /// Records the verdict of an active health check.
    pub fn set_check_up(&self, up: bool) {
        self.check_up.store(up, Ordering::Relaxed);
    }
}

/// A pool's servers in configuration order (primaries and backups).
#[derive(Debug, Default)]
pub struct Peers {
    pub name: String,
    pub peers: Vec<Peer>,
}
