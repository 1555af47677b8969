//! HAProxy `leastconn` (`lb_fwlc.c`): servers sit in a tree keyed by
//! `(inflight + 1) * SRV_EWGHT_MAX / eweight` (0 when idle, eweight being the weight times 16);
//! the first server of the tree wins and a server whose count changes is re-inserted behind
//! the servers with the same key. Idle servers therefore rotate whatever their weights, and
//! loaded ones are compared per weight.

use crate::serve::peers::Peers;

/// HAProxy's `SRV_EWGHT_MAX` (`SRV_UWGHT_MAX * BE_WEIGHT_SCALE`).
const EWGHT_MAX: u64 = 256 * 16;

fn key(active: u64, weight: u32) -> u64 {
    if active == 0 {
        0
    } else {
        (active + 1) * EWGHT_MAX / (u64::from(weight.max(1)) * 16)
    }
}

/// The first server of the tree among `tier` that `ok` accepts.
pub fn pick(peers: &Peers, tier: &[usize], ok: impl Fn(usize) -> bool) -> Option<usize> {
    tier.iter().copied().filter(|&i| ok(i)).min_by_key(|&i| {
        let p = &peers.peers[i];
        (key(u64::from(p.active()), p.weight), p.requeued(), i)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peers(weights: &[u32]) -> Peers {
        Peers::for_tests(weights)
    }

    #[test]
    fn idle_servers_rotate_whatever_their_weights() {
        let p = peers(&[5, 1, 1]);
        let seq: Vec<usize> = (0..6)
            .map(|_| {
                let i = pick(&p, &[0, 1, 2], |_| true).unwrap();
                p.peers[i].enter();
                p.peers[i].leave();
                i
            })
            .collect();
        assert_eq!(seq, [0, 1, 2, 0, 1, 2]);
    }

    #[test]
    fn loaded_servers_compare_per_weight() {
        let p = peers(&[4, 1]);
        for _ in 0..3 {
            p.peers[0].enter();
        }
        p.peers[1].enter();
        // (3+1)*4096/64 = 256 against (1+1)*4096/16 = 512.
        assert_eq!(pick(&p, &[0, 1], |_| true), Some(0));
    }
}
