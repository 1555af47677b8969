//! The servers of one runtime pool and the state the balancers, the passive health accounting
//! (`max_fails`/`fail_timeout`) and the active health checks share: every pool, HTTP or L4, is a
//! [`Peers`] list behind one [`super::balance::Balancer`].
//!
//! Passive health follows `ngx_http_upstream_round_robin.c`: a failure increments `fails` and
//! stamps `accessed` and `checked`; a peer with `fails >= max_fails` is skipped while
//! `now - checked <= fail_timeout`; the first pick after that window moves `checked` forward,
//! and when that request (the probe) succeeds, `accessed < checked` resets `fails`. A pool with
//! a single server and no backup never marks it down.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One upstream server as configured, with its live counters.
#[derive(Debug)]
pub struct Peer {
    pub addr: SocketAddr,
    /// The server as written in the configuration (`host:port` or its HAProxy name); nginx's
    /// consistent hash places its points by this text.
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
    /// nginx's `fails`/`accessed`/`checked`.
    passive: Mutex<Passive>,
    /// `fails > 0`, readable without the lock: while a peer has not failed, neither the pick
    /// nor a success has anything to record (its `checked` only matters once it fails, and a
    /// failure sets it), so the requests to a healthy pool take no lock for it.
    failing: AtomicBool,
    /// When the in-flight count last changed (a global sequence number): HAProxy's
    /// `leastconn` re-queues a server behind its equals each time, so ties rotate.
    requeued: AtomicU64,
}

/// The sequence behind [`Peer::requeued`].
static REQUEUES: AtomicU64 = AtomicU64::new(1);

/// The passive health state of one peer, as nginx keeps it.
#[derive(Debug, Default, Clone, Copy)]
struct Passive {
    fails: u32,
    accessed: Option<Instant>,
    checked: Option<Instant>,
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
            passive: Mutex::new(Passive::default()),
            failing: AtomicBool::new(false),
            requeued: AtomicU64::new(0),
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

    /// Requests or connections in flight.
    pub fn active(&self) -> u32 {
        self.active.load(Ordering::Relaxed)
    }

    /// Whether `max_conns` leaves room for one more.
    pub fn has_room(&self) -> bool {
        self.max_conns.is_none_or(|m| self.active() < m)
    }

    /// Whether passive health currently keeps this peer out (`max_fails` reached within
    /// `fail_timeout` of the last check).
    pub fn is_failed(&self, now: Instant) -> bool {
        if self.max_fails == 0 || !self.failing.load(Ordering::Relaxed) {
            return false;
        }
        let Ok(p) = self.passive.lock() else {
            return false;
        };
        p.fails >= self.max_fails
            && p.checked
                .is_some_and(|c| now.saturating_duration_since(c) <= self.fail_timeout)
    }

    /// Whether the peer may be picked: not `down`, up for the active check, not failed, with
    /// room under `max_conns`. `single` is nginx's one-server pool, never marked failed.
    /// `now` is read only when the peer has failed.
    pub fn is_available(&self, now: impl Fn() -> Instant, single: bool) -> bool {
        !self.down
            && self.is_check_up()
            && (single || !self.failing.load(Ordering::Relaxed) || !self.is_failed(now()))
            && self.has_room()
    }

    /// A pick: the first one after `fail_timeout` moves `checked`, which makes it the probe.
    /// `now` is read only when the peer has failed.
    pub fn picked(&self, now: impl Fn() -> Instant) {
        if !self.failing.load(Ordering::Relaxed) {
            return;
        }
        let now = now();
        if let Ok(mut p) = self.passive.lock() {
            if p.checked
                .is_none_or(|c| now.saturating_duration_since(c) > self.fail_timeout)
            {
                p.checked = Some(now);
            }
        }
    }

    /// An attempt failed in a way nginx counts (`NGX_PEER_FAILED`).
    pub fn failed(&self, now: Instant) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut p) = self.passive.lock() {
            p.fails = p.fails.saturating_add(1);
            p.accessed = Some(now);
            p.checked = Some(now);
            self.failing.store(true, Ordering::Relaxed);
        }
    }

    /// An attempt succeeded: a success after the last check (the probe) resets `fails`.
    pub fn succeeded(&self) {
        if !self.failing.load(Ordering::Relaxed) {
            return;
        }
        if let Ok(mut p) = self.passive.lock() {
            let probe = match (p.accessed, p.checked) {
                (Some(a), Some(c)) => a < c,
                (None, _) => true,
                _ => false,
            };
            if probe {
                p.fails = 0;
                self.failing.store(false, Ordering::Relaxed);
            }
        }
    }

    /// Failures counted by the passive health accounting.
    pub fn fails(&self) -> u32 {
        self.passive.lock().map(|p| p.fails).unwrap_or(0)
    }

    /// Counts one request or connection in flight until the guard is dropped.
    pub fn begin(&self) -> ActiveGuard<'_> {
        self.enter();
        ActiveGuard(self)
    }

    /// One more attempt in flight (pair it with [`Peer::leave`]).
    pub fn enter(&self) {
        self.enter_with(true);
    }

    /// [`Peer::enter`], recording the change for HAProxy's `leastconn` only when `requeue`
    /// (a global counter's increment saved per request otherwise).
    pub fn enter_with(&self, requeue: bool) {
        self.active.fetch_add(1, Ordering::Relaxed);
        self.attempts.fetch_add(1, Ordering::Relaxed);
        if requeue {
            self.requeue();
        }
    }

    fn requeue(&self) {
        self.requeued
            .store(REQUEUES.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
    }

    /// When the in-flight count last changed (0: never).
    pub fn requeued(&self) -> u64 {
        self.requeued.load(Ordering::Relaxed)
    }

    /// An attempt counted by [`Peer::enter`] is over.
    pub fn leave(&self) {
        self.leave_with(true);
    }

    /// [`Peer::leave`], recording the change only when `requeue`.
    pub fn leave_with(&self, requeue: bool) {
        let _ = self
            .active
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |a| a.checked_sub(1));
        if requeue {
            self.requeue();
        }
    }
}

/// One request or connection in flight to a peer (see [`Peer::begin`]).
pub struct ActiveGuard<'a>(&'a Peer);

impl Drop for ActiveGuard<'_> {
    fn drop(&mut self) {
        self.0.leave();
    }
}

/// A pool's servers in configuration order (primaries and backups).
#[derive(Debug, Default)]
pub struct Peers {
    pub name: String,
    pub peers: Vec<Peer>,
}

impl Peers {
    /// nginx's `peers->single`: one primary and no backup, never marked failed.
    pub fn single(&self) -> bool {
        self.peers.len() == 1
    }

    /// Indices of the primaries and of the backups, each in configuration order.
    pub fn tiers(&self) -> (Vec<usize>, Vec<usize>) {
        let (mut primary, mut backup) = (Vec::new(), Vec::new());
        for (i, p) in self.peers.iter().enumerate() {
            if p.backup {
                backup.push(i);
            } else {
                primary.push(i);
            }
        }
        (primary, backup)
    }

    /// nginx's number of tries for one request: every server not marked `down`.
    pub fn tries(&self) -> usize {
        self.peers.iter().filter(|p| !p.down).count()
    }
}

#[cfg(test)]
impl Peers {
    /// A pool named `p` of servers on 127.0.0.1:1000… with these weights (unit tests).
    pub fn for_tests(weights: &[u32]) -> Peers {
        Peers {
            name: "p".into(),
            peers: weights
                .iter()
                .enumerate()
                .map(|(i, &w)| {
                    Peer::new(([127, 0, 0, 1], 1000 + i as u16).into(), i.to_string(), w)
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(max_fails: u32) -> Peer {
        let mut p = Peer::new(([127, 0, 0, 1], 1).into(), "a".into(), 1);
        p.max_fails = max_fails;
        p.fail_timeout = Duration::from_secs(10);
        p
    }

    #[test]
    fn max_fails_then_fail_timeout_then_probe() {
        let p = peer(2);
        let t0 = Instant::now();
        p.picked(|| t0);
        p.failed(t0);
        assert!(p.is_available(|| t0, false), "one failure of two");
        p.picked(|| t0);
        p.failed(t0);
        assert!(!p.is_available(|| t0 + Duration::from_secs(5), false));
        assert!(
            p.is_available(|| t0 + Duration::from_secs(5), true),
            "single"
        );
        let later = t0 + Duration::from_secs(11);
        assert!(p.is_available(|| later, false), "the window is over");
        p.picked(|| later);
        // The probe fails: out for another window.
        p.failed(later);
        assert!(!p.is_available(|| later + Duration::from_secs(1), false));
        let again = later + Duration::from_secs(12);
        p.picked(|| again);
        p.succeeded();
        assert_eq!(p.fails(), 0, "a successful probe resets the count");
    }

    #[test]
    fn success_inside_the_window_does_not_reset() {
        let p = peer(3);
        let t0 = Instant::now();
        p.picked(|| t0);
        p.failed(t0);
        p.picked(|| t0 + Duration::from_secs(1));
        p.succeeded();
        assert_eq!(p.fails(), 1);
    }

    #[test]
    fn max_fails_zero_disables_and_max_conns_limits() {
        let mut p = peer(0);
        let t0 = Instant::now();
        for _ in 0..5 {
            p.failed(t0);
        }
        assert!(p.is_available(|| t0, false));
        p.max_conns = Some(1);
        let g = p.begin();
        assert!(!p.is_available(|| t0, false));
        drop(g);
        assert!(p.is_available(|| t0, false));
    }
}
