//! nginx's passive health for `stream` upstreams, as `ngx_stream_upstream_round_robin.c` keeps
//! it: a failed connection counts in `fails` and stamps `accessed` and `checked`; a server with
//! `fails >= max_fails` is skipped while `now - checked <= fail_timeout`; the first pick after
//! that moves `checked` forward, and when that connection (the probe) succeeds, `accessed <
//! checked` resets `fails`. A pool of one server without backups never marks it. HAProxy and
//! IPVS have no such state: only nginx pools get one.
//!
//! The shared peer state is to carry this for HTTP pools too; when it does, these calls map
//! one to one onto it.

use std::sync::Mutex;
use std::time::Instant;

use crate::serve::peers::Peer;

#[derive(Debug, Default, Clone, Copy)]
struct State {
    fails: u32,
    accessed: Option<Instant>,
    checked: Option<Instant>,
}

/// The passive health of a pool's peers, indexed like them.
#[derive(Debug)]
pub struct Passive {
    peers: Vec<Mutex<State>>,
    /// nginx's `peers->single`: one server and no backup.
    single: bool,
}

impl Passive {
    pub fn new(peers: &[Peer]) -> Passive {
        Passive {
            peers: peers.iter().map(|_| Mutex::default()).collect(),
            single: peers.len() == 1,
        }
    }

    fn with<T>(&self, i: usize, f: impl FnOnce(&mut State) -> T) -> Option<T> {
        let mut s = self.peers.get(i)?.lock().ok()?;
        Some(f(&mut s))
    }

    /// Whether `p` (peer `i`) is out: `max_fails` reached within `fail_timeout` of the last check.
    pub fn is_failed(&self, i: usize, p: &Peer, now: Instant) -> bool {
        if self.single || p.max_fails == 0 {
            return false;
        }
        self.with(i, |s| {
            s.fails >= p.max_fails
                && s.checked
                    .is_some_and(|c| now.saturating_duration_since(c) <= p.fail_timeout)
        })
        .unwrap_or(false)
    }

    /// Peer `i` was picked: the first pick after `fail_timeout` moves `checked`.
    pub fn picked(&self, i: usize, p: &Peer, now: Instant) {
        self.with(i, |s| {
            if s.checked
                .is_none_or(|c| now.saturating_duration_since(c) > p.fail_timeout)
            {
                s.checked = Some(now);
            }
        });
    }

    /// A connection to peer `i` failed.
    pub fn failed(&self, i: usize, now: Instant) {
        self.with(i, |s| {
            s.fails = s.fails.saturating_add(1);
            s.accessed = Some(now);
            s.checked = Some(now);
        });
    }

    /// A connection to peer `i` succeeded.
    pub fn succeeded(&self, i: usize) {
        self.with(i, |s| {
            if let (Some(a), Some(c)) = (s.accessed, s.checked) {
                if a < c {
                    s.fails = 0;
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::Duration;

    use super::*;

    fn peer(max_fails: u32) -> Peer {
        let mut p = Peer::new(SocketAddr::from(([127, 0, 0, 1], 1)), "p".into(), 1);
        p.max_fails = max_fails;
        p.fail_timeout = Duration::from_secs(10);
        p
    }

    #[test]
    fn out_for_fail_timeout_then_probed() {
        let peers = [peer(2), peer(1)];
        let ps = Passive::new(&peers);
        let t0 = Instant::now();
        ps.failed(0, t0);
        assert!(!ps.is_failed(0, &peers[0], t0), "one failure of two");
        ps.failed(0, t0);
        assert!(ps.is_failed(0, &peers[0], t0 + Duration::from_secs(10)));
        let later = t0 + Duration::from_secs(11);
        assert!(
            !ps.is_failed(0, &peers[0], later),
            "probed after fail_timeout"
        );
        ps.picked(0, &peers[0], later);
        ps.succeeded(0);
        ps.failed(0, later);
        assert!(
            !ps.is_failed(0, &peers[0], later),
            "the probe's success reset fails"
        );
    }

    #[test]
    fn a_failed_probe_keeps_it_out_and_one_server_is_never_out() {
        let peers = [peer(1), peer(1)];
        let ps = Passive::new(&peers);
        let t0 = Instant::now();
        ps.failed(0, t0);
        let later = t0 + Duration::from_secs(11);
        ps.picked(0, &peers[0], later);
        ps.failed(0, later);
        assert!(ps.is_failed(0, &peers[0], later + Duration::from_secs(5)));
        let one = [peer(1)];
        let single = Passive::new(&one);
        single.failed(0, t0);
        assert!(!single.is_failed(0, &one[0], t0));
        assert!(!ps.is_failed(1, &peers[1], t0), "max_fails=0 or untouched");
    }
}
