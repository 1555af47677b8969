//! HAProxy `hash-type consistent` (`lb_chash.c`): each usable server puts `weight × 16` nodes
//! on a 32-bit ring, node *n* of the server with id *puid* (its 1-based position in the backend)
//! at `full_hash(puid × 4096 + n)`. A request's hash (which `avalanche`, implied when no
//! function is named, spreads with `full_hash` too) takes the closer of the nodes just before
//! and at or after it; a server to avoid (already tried) passes the request to the next node's server.
//! Requests without a key walk the ring node by node. Without usable primaries, the first usable
//! backup (or the backup ring with `option allbackups`). The ring is rebuilt on state changes.

use crate::serve::peers::Peers;

/// Bob Jenkins' 32-bit integer hash followed by HAProxy's spreading multiply (`full_hash`).
pub fn full_hash(mut a: u32) -> u32 {
    a = a.wrapping_add(0x7ed5_5d16).wrapping_add(a << 12);
    a = (a ^ 0xc761_c23c) ^ (a >> 19);
    a = a.wrapping_add(0x1656_67b1).wrapping_add(a << 5);
    a = a.wrapping_add(0xd3a2_646c) ^ (a << 9);
    a = a.wrapping_add(0xfd70_46c5).wrapping_add(a << 3);
    a = (a ^ 0xb55a_4f09) ^ (a >> 16);
    a.wrapping_mul(3_221_225_473)
}

/// The ring of one pool.
#[derive(Debug, Default)]
pub struct Chash {
    usable: Vec<bool>,
    /// Nodes sorted by key: (key, server).
    ring: Vec<(u32, usize)>,
    /// The first usable backup, when it alone serves.
    only: Option<usize>,
    /// Where the keyless walk stopped.
    last: Option<usize>,
}

impl Chash {
    fn refresh(&mut self, peers: &Peers, usable: Vec<bool>, all_backups: bool) {
        if usable == self.usable && (!self.ring.is_empty() || self.only.is_some()) {
            return;
        }
        let n = peers.peers.len();
        let active = (0..n).any(|i| usable[i] && !peers.peers[i].backup);
        self.only = None;
        self.ring.clear();
        self.last = None;
        if !active && !all_backups {
            self.only = (0..n).find(|&i| usable[i] && peers.peers[i].backup);
        } else {
            for i in (0..n).filter(|&i| usable[i] && peers.peers[i].backup != active) {
                let puid = i as u32 + 1;
                for node in 0..peers.peers[i].weight * 16 {
                    self.ring.push((full_hash(puid * 4096 + node), i));
                }
            }
            self.ring.sort_by_key(|&(k, _)| k);
        }
        self.usable = usable;
    }

    /// `chash_get_server_hash`.
    pub fn hash(
        &mut self,
        peers: &Peers,
        usable: Vec<bool>,
        all_backups: bool,
        hash: u32,
        avoid: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        self.refresh(peers, usable, all_backups);
        if let Some(only) = self.only {
            return Some(only);
        }
        let len = self.ring.len();
        if len == 0 {
            return None;
        }
        let next = self.ring.partition_point(|&(k, _)| k < hash) % len;
        let prev = (next + len - 1) % len;
        let dp = hash.wrapping_sub(self.ring[prev].0);
        let dn = self.ring[next].0.wrapping_sub(hash);
        let mut at = if dp <= dn { prev } else { next };
        for _ in 0..len {
            let s = self.ring[at].1;
            if !avoid(s) {
                return Some(s);
            }
            at = (at + 1) % len;
        }
        Some(self.ring[at].1)
    }

    /// `chash_get_next_server`: the next node's server that `ok` accepts.
    pub fn next(
        &mut self,
        peers: &Peers,
        usable: Vec<bool>,
        all_backups: bool,
        ok: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        self.refresh(peers, usable, all_backups);
        if let Some(only) = self.only {
            return Some(only);
        }
        let len = self.ring.len();
        for _ in 0..len {
            let at = self.last.map_or(0, |l| (l + 1) % len);
            self.last = Some(at);
            let s = self.ring[at].1;
            if ok(s) {
                return Some(s);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peers(weights: &[u32]) -> Peers {
        Peers::for_tests(weights)
    }

    #[test]
    fn removing_a_server_moves_only_its_keys() {
        let p = peers(&[1, 1, 1, 1]);
        let mut all = Chash::default();
        let mut three = Chash::default();
        let mut counts = [0; 4];
        for k in 0..4000u32 {
            let h = super::super::map::sdbm(format!("/k{k}").as_bytes());
            let a = all.hash(&p, vec![true; 4], false, h, |_| false).unwrap();
            let b = three
                .hash(&p, vec![true, true, true, false], false, h, |_| false)
                .unwrap();
            counts[a] += 1;
            if a != 3 {
                assert_eq!(a, b);
            }
        }
        assert!(counts.iter().all(|&c| c > 500), "{counts:?}");
    }

    #[test]
    fn avoided_servers_pass_to_the_next_node() {
        let p = peers(&[1, 1]);
        let mut c = Chash::default();
        let first = c.hash(&p, vec![true; 2], false, 12345, |_| false).unwrap();
        let other = c
            .hash(&p, vec![true; 2], false, 12345, |i| i == first)
            .unwrap();
        assert_ne!(first, other);
        let walk: Vec<usize> = (0..64)
            .map(|_| c.next(&p, vec![true; 2], false, |_| true).unwrap())
            .collect();
        assert!(walk.contains(&0) && walk.contains(&1));
    }
}
