//! Choosing the real server of a new L4 connection or datagram flow. The pool's shared
//! [`Balancer`](crate::serve::balance::Balancer) picks among the peers that can take it (not
//! `down`, up for their health check, weight above 0, under `max_conns`): primaries first, then
//! `backup` servers (only the first available one for HAProxy without `option allbackups`),
//! then keepalived's `sorry_server`. Around it: IPVS persistence (a client keeps its real
//! server while it comes back within the timeout, until its checker takes that server out)
//! and keepalived's quorum (below it the sorry
//! server replaces the remaining real servers).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::passive::Passive;
use super::script::{Session, Value};
use crate::serve::balance::PickRequest;
use crate::serve::peers::Peer;
use crate::serve::plan::UpstreamPool;

/// A pool as an L4 service uses it.
pub struct Target {
    pub pool: Arc<UpstreamPool>,
    /// keepalived `sorry_server`.
    pub sorry: Option<SocketAddr>,
    /// IPVS persistence (`persistence_timeout`, `-p`).
    pub persistence: Option<Persistence>,
    /// keepalived `quorum` and `hysteresis` (only with a sorry server do they change anything).
    pub quorum: Option<(u64, u64)>,
    /// HAProxy without `option allbackups`: only the first available backup takes traffic.
    pub first_backup_only: bool,
    /// The pool's hash key (nginx `hash KEY`), rendered per connection for the balancer.
    pub key: Option<Arc<Value>>,
    /// nginx's passive health (`max_fails`/`fail_timeout`), for nginx pools.
    pub passive: Option<Arc<Passive>>,
    /// HAProxy `send-proxy`, indexed like the peers.
    pub send_proxy: Vec<bool>,
    /// IPVS connection thresholds per peer (`uthreshold`/`-x`, `lthreshold`/`-y`) and whether
    /// each peer is overloaded.
    pub(super) thresholds: Vec<Option<(u32, u32)>>,
    overloaded: Vec<AtomicBool>,
    state: Mutex<State>,
}

/// Client stickiness: the client address masked by `prefix` bits keeps its server.
#[derive(Debug, Clone, Copy)]
pub struct Persistence {
    pub timeout: Duration,
    /// IPv4 prefix length of `persistence_granularity` (32 by default).
    pub prefix: u8,
}

#[derive(Default)]
struct State {
    sticky: HashMap<IpAddr, (usize, Instant)>,
    /// When expired persistence entries were last dropped.
    purged: Option<Instant>,
    quorum_up: bool,
}

const PURGE_EVERY: Duration = Duration::from_secs(1);

/// Where a connection goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Peer(usize),
    Sorry(SocketAddr),
}

/// Whether `p` may take a new connection.
pub fn available(p: &Peer) -> bool {
    !p.down
        && p.weight > 0
        && p.is_check_up()
        && p.max_conns
            .is_none_or(|m| p.active.load(Ordering::Relaxed) < m)
}

impl Target {
    pub fn new(pool: Arc<UpstreamPool>) -> Target {
        Target {
            pool,
            sorry: None,
            persistence: None,
            quorum: None,
            first_backup_only: false,
            key: None,
            send_proxy: Vec::new(),
            passive: None,
            thresholds: Vec::new(),
            overloaded: Vec::new(),
            state: Mutex::new(State {
                quorum_up: true,
                ..State::default()
            }),
        }
    }

    /// The server for a new connection (session `s`), skipping the peers in `tried`.
    pub fn pick(&self, s: &mut Session, tried: &[bool]) -> Option<Choice> {
        let client = s.conn.client.ip();
        let peers = &self.pool.peers.peers;
        let now = Instant::now();
        let Ok(mut state) = self.state.lock() else {
            return None;
        };
        if let (Some(sorry), Some(q)) = (self.sorry, self.quorum) {
            if !self.quorum_up(&mut state, q) {
                return Some(Choice::Sorry(sorry));
            }
        }
        let sticky = self
            .persistence
            .map(|p| (mask(client, p.prefix), p.timeout));
        if let Some((k, timeout)) = sticky {
            // Expired entries go at most once a second, not on every connection.
            if state
                .purged
                .is_none_or(|t| now.saturating_duration_since(t) > PURGE_EVERY)
            {
                state
                    .sticky
                    .retain(|_, (_, seen)| now.saturating_duration_since(*seen) <= timeout);
                state.purged = Some(now);
            }
            if let Some((i, seen)) = state.sticky.get_mut(&k) {
                let i = *i;
                let live = now.saturating_duration_since(*seen) <= timeout;
                if live
                    && peers.get(i).is_some_and(available)
                    && !tried.get(i).copied().unwrap_or(false)
                {
                    *seen = now;
                    return Some(Choice::Peer(i));
                }
            }
        }
        let key = self.key.as_ref().map(|k| k.render(s));
        let chosen = self.pick_tiers(client, key.as_deref(), tried);
        if let (Some(i), Some(ps)) = (chosen, &self.passive) {
            if let Some(p) = peers.get(i) {
                ps.picked(i, p, now);
            }
        }
        if let (Some(i), Some((k, _))) = (chosen, sticky) {
            state.sticky.insert(k, (i, now));
        }
        match chosen {
            Some(i) => Some(Choice::Peer(i)),
            None => self.sorry.map(Choice::Sorry),
        }
    }

    /// A connection to peer `i` failed (counted, and in nginx's passive health).
    pub fn failed(&self, i: usize) {
        if let Some(p) = self.pool.peers.peers.get(i) {
            p.failures.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(ps) = &self.passive {
            ps.failed(i, Instant::now());
        }
    }

    /// A connection to peer `i` succeeded.
    pub fn succeeded(&self, i: usize) {
        if let Some(ps) = &self.passive {
            ps.succeeded(i);
        }
    }

    /// IPVS thresholds, indexed like the peers: `(upper, lower)` connection counts.
    pub fn set_thresholds(&mut self, thresholds: Vec<Option<(u32, u32)>>) {
        self.overloaded = thresholds.iter().map(|_| AtomicBool::new(false)).collect();
        self.thresholds = thresholds;
    }

    /// IPVS's `IP_VS_DEST_F_OVERLOAD`: set when a real server reaches its upper threshold,
    /// cleared under the lower one (or, without one, under three quarters of the upper).
    fn overloaded(&self, i: usize, p: &Peer) -> bool {
        let (Some(Some((upper, lower))), Some(flag)) =
            (self.thresholds.get(i), self.overloaded.get(i))
        else {
            return false;
        };
        let active = p.active.load(Ordering::Relaxed);
        if flag.load(Ordering::Relaxed) {
            let clear = if *lower > 0 {
                active < *lower
            } else {
                u64::from(active) * 4 < u64::from(*upper) * 3
            };
            if clear {
                flag.store(false, Ordering::Relaxed);
            }
            !clear
        } else if active >= *upper {
            flag.store(true, Ordering::Relaxed);
            true
        } else {
            false
        }
    }

    /// The balancer's pick among available primaries, else among available backups.
    fn pick_tiers(&self, client: IpAddr, key: Option<&[u8]>, tried: &[bool]) -> Option<usize> {
        let peers = &self.pool.peers.peers;
        let req = PickRequest { client, key };
        let now = Instant::now();
        let failed = |i: usize, p: &Peer| {
            self.passive
                .as_ref()
                .is_some_and(|ps| ps.is_failed(i, p, now))
        };
        let skip = |i: usize, p: &Peer| {
            tried.get(i).copied().unwrap_or(false)
                || !available(p)
                || self.overloaded(i, p)
                || failed(i, p)
        };
        let primaries: Vec<bool> = peers
            .iter()
            .enumerate()
            .map(|(i, p)| p.backup || skip(i, p))
            .collect();
        if let Some(i) = self.pool.balancer.pick(&self.pool.peers, &req, &primaries) {
            return Some(i);
        }
        let backups: Vec<bool> = peers
            .iter()
            .enumerate()
            .map(|(i, p)| !p.backup || skip(i, p))
            .collect();
        if self.first_backup_only {
            let first = backups.iter().position(|masked| !masked)?;
            return Some(first);
        }
        self.pool.balancer.pick(&self.pool.peers, &req, &backups)
    }

    /// keepalived's `update_quorum_state`: the quorum is lost when the weights of the live real
    /// servers add up to less than `quorum - hysteresis`, and regained from `quorum +
    /// hysteresis`.
    fn quorum_up(&self, state: &mut State, (quorum, hysteresis): (u64, u64)) -> bool {
        let live: u64 = self
            .pool
            .peers
            .peers
            .iter()
            .filter(|p| !p.down && p.is_check_up())
            .map(|p| u64::from(p.weight))
            .sum();
        if state.quorum_up {
            if live == 0 || live < quorum.saturating_sub(hysteresis) {
                state.quorum_up = false;
            }
        } else if live >= quorum + hysteresis && live > 0 {
            state.quorum_up = true;
        }
        state.quorum_up
    }
}

fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) if prefix < 32 => {
            let bits = u32::from(v4) & (u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0));
            IpAddr::V4(bits.into())
        }
        other => other,
    }
}

/// Counts a connection on a peer while it lasts (the `active` count of `lc`/`wlc`).
pub struct Active<'a>(&'a Peer);

impl<'a> Active<'a> {
    pub fn new(p: &'a Peer) -> Active<'a> {
        p.active.fetch_add(1, Ordering::Relaxed);
        p.attempts.fetch_add(1, Ordering::Relaxed);
        Active(p)
    }
}

impl Drop for Active<'_> {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::super::script::Conn;
    use super::*;
    use crate::ir::Algorithm;
    use crate::serve::balance::Balancer;
    use crate::serve::peers::Peers;

    fn target(weights: &[u32], backups: &[bool]) -> Target {
        let mut peers = Peers {
            name: "t".into(),
            peers: Vec::new(),
        };
        for (i, w) in weights.iter().enumerate() {
            let mut p = Peer::new(
                SocketAddr::from(([127, 0, 0, 1], 9000 + i as u16)),
                format!("p{i}"),
                *w,
            );
            p.backup = backups.get(i).copied().unwrap_or(false);
            peers.peers.push(p);
        }
        let balancer = Balancer::new(&Algorithm::RoundRobin, &peers).unwrap();
        Target::new(Arc::new(UpstreamPool::bare(peers, balancer)))
    }

    fn ip(octets: [u8; 4]) -> Session {
        Session::new(Conn::from_ip(IpAddr::from(octets)))
    }

    fn picks(t: &Target, n: usize) -> Vec<Choice> {
        let mut client = ip([127, 0, 0, 1]);
        (0..n).map(|_| t.pick(&mut client, &[]).unwrap()).collect()
    }

    #[test]
    fn check_down_peers_are_skipped_and_come_back() {
        let t = target(&[1, 1, 1], &[]);
        t.pool.peers.peers[1].set_check_up(false);
        let got = picks(&t, 4);
        assert!(!got.contains(&Choice::Peer(1)), "{got:?}");
        t.pool.peers.peers[1].set_check_up(true);
        assert!(picks(&t, 3).contains(&Choice::Peer(1)));
    }

    #[test]
    fn backups_only_when_no_primary_and_sorry_last() {
        let mut t = target(&[1, 1], &[false, true]);
        assert_eq!(picks(&t, 2), [Choice::Peer(0), Choice::Peer(0)]);
        t.pool.peers.peers[0].set_check_up(false);
        assert_eq!(picks(&t, 1), [Choice::Peer(1)]);
        t.pool.peers.peers[1].set_check_up(false);
        assert_eq!(t.pick(&mut ip([127, 0, 0, 1]), &[]), None);
        let sorry = SocketAddr::from(([127, 0, 0, 1], 1));
        t.sorry = Some(sorry);
        assert_eq!(picks(&t, 1), [Choice::Sorry(sorry)]);
    }

    #[test]
    fn quorum_loss_sends_everyone_to_the_sorry_server() {
        let mut t = target(&[2, 1], &[]);
        let sorry = SocketAddr::from(([127, 0, 0, 1], 1));
        t.sorry = Some(sorry);
        t.quorum = Some((2, 0));
        t.pool.peers.peers[0].set_check_up(false);
        // The live weight (1) is under the quorum (2): the sorry server replaces peer 1.
        assert_eq!(picks(&t, 2), [Choice::Sorry(sorry), Choice::Sorry(sorry)]);
        t.pool.peers.peers[0].set_check_up(true);
        assert!(matches!(picks(&t, 1)[0], Choice::Peer(_)));
    }

    #[test]
    fn persistence_keeps_a_client_on_its_server() {
        let mut t = target(&[1, 1, 1], &[]);
        t.persistence = Some(Persistence {
            timeout: Duration::from_secs(60),
            prefix: 24,
        });
        let a = t.pick(&mut ip([10, 0, 0, 1]), &[]);
        assert_eq!(t.pick(&mut ip([10, 0, 0, 1]), &[]), a);
        assert_eq!(t.pick(&mut ip([10, 0, 0, 7]), &[]), a, "same /24");
        assert_ne!(t.pick(&mut ip([10, 0, 1, 1]), &[]), a);
    }

    #[test]
    fn ipvs_thresholds_overload_until_under_the_lower_one() {
        let mut t = target(&[1, 1], &[]);
        t.set_thresholds(vec![Some((2, 1)), None]);
        let p0 = &t.pool.peers.peers[0];
        let (_a, _b) = (Active::new(p0), Active::new(p0));
        // Peer 0 holds 2 connections: overloaded, every pick goes to peer 1.
        assert_eq!(picks(&t, 3), [Choice::Peer(1); 3]);
        drop(_b);
        // One connection: not under the lower threshold (1) yet.
        assert_eq!(picks(&t, 2), [Choice::Peer(1); 2]);
        drop(_a);
        assert!(picks(&t, 2).contains(&Choice::Peer(0)));
    }

    #[test]
    fn zero_weight_and_full_peers_take_nothing() {
        let mut t = target(&[1, 1], &[]);
        Arc::get_mut(&mut t.pool).unwrap().peers.peers[0].weight = 0;
        assert_eq!(picks(&t, 2), [Choice::Peer(1), Choice::Peer(1)]);
        Arc::get_mut(&mut t.pool).unwrap().peers.peers[1].max_conns = Some(1);
        let _busy = Active::new(&t.pool.peers.peers[1]);
        assert_eq!(t.pick(&mut ip([127, 0, 0, 1]), &[]), None);
    }
}
