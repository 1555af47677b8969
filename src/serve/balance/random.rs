//! nginx `random [two [least_conn]]` (`ngx_http_upstream_random_module.c`), also HAProxy
//! `random`: a peer drawn with probability proportional to its weight; with `two`, two distinct
//! available peers are drawn and the one with fewer active requests relative to its weight
//! wins (the first drawn on a tie). Unavailable draws are retried; after 20, nginx falls back
//! to round-robin (`None` here).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::serve::peers::Peers;

/// A lock-free splitmix64 generator shared by the pool's requests.
#[derive(Debug)]
pub struct Rng(AtomicU64);

impl Default for Rng {
    fn default() -> Self {
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0x5EED, |d| d.as_nanos() as u64);
        Rng(AtomicU64::new(seed))
    }
}

impl Rng {
    #[cfg(test)]
    pub fn seeded(seed: u64) -> Rng {
        Rng(AtomicU64::new(seed))
    }

    pub fn next(&self) -> u64 {
        let mut z = self
            .0
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// One weighted draw over `tier` (`ngx_http_upstream_peek_random_peer`).
fn draw(rng: &Rng, peers: &Peers, tier: &[usize]) -> Option<usize> {
    let total: u64 = tier
        .iter()
        .map(|&i| u64::from(peers.peers[i].weight.max(1)))
        .sum();
    if total == 0 {
        return None;
    }
    super::ip_hash::by_weight(peers, tier, rng.next() % total)
}

/// The drawn peer, or `None` when nginx would fall back to round-robin.
pub fn pick(
    rng: &Rng,
    two: bool,
    peers: &Peers,
    tier: &[usize],
    ok: impl Fn(usize) -> bool,
) -> Option<usize> {
    if tier.len() < 2 {
        return None;
    }
    let mut first: Option<usize> = None;
    for _ in 0..=20 {
        let i = draw(rng, peers, tier)?;
        if !ok(i) || first == Some(i) {
            continue;
        }
        if !two {
            return Some(i);
        }
        match first {
            None => first = Some(i),
            Some(f) => {
                let (a, b) = (&peers.peers[f], &peers.peers[i]);
                let (ca, wa) = (u64::from(a.active()), u64::from(a.weight.max(1)));
                let (cb, wb) = (u64::from(b.active()), u64::from(b.weight.max(1)));
                return Some(if cb * wa < ca * wb { i } else { f });
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;

    fn peers(weights: &[u32]) -> Peers {
        Peers::for_tests(weights)
    }

    #[test]
    fn draws_follow_the_weights() {
        let p = peers(&[3, 1]);
        let rng = Rng::seeded(7);
        let mut counts = [0; 2];
        for _ in 0..8000 {
            counts[pick(&rng, false, &p, &[0, 1], |_| true).unwrap()] += 1;
        }
        assert!(counts[0] > 5600 && counts[0] < 6400, "{counts:?}");
        assert_eq!(pick(&rng, false, &p, &[0, 1], |i| i == 1), Some(1));
    }

    #[test]
    fn two_choices_prefer_the_less_loaded() {
        let p = peers(&[1, 1]);
        p.peers[0].active.store(5, Ordering::Relaxed);
        let rng = Rng::seeded(1);
        for _ in 0..50 {
            assert_eq!(pick(&rng, true, &p, &[0, 1], |_| true), Some(1));
        }
    }
}
