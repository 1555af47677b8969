//! nginx `least_conn` (`ngx_http_upstream_get_least_conn_peer`), also HAProxy `leastconn`: the
//! peer with the fewest active requests relative to its weight (`conns / weight`, compared by
//! cross products); several peers at the same ratio are decided by smooth weighted round-robin
//! among them, starting from the first of them.

use super::round_robin::RoundRobin;
use crate::serve::peers::Peers;

/// The peer for the next request among `tier` (`ok` filters tried and unavailable peers).
pub fn pick(
    rr: &mut RoundRobin,
    peers: &Peers,
    tier: &[usize],
    ok: impl Fn(usize) -> bool,
) -> Option<usize> {
    let load = |i: usize| {
        let p = &peers.peers[i];
        (u64::from(p.active()), u64::from(p.weight.max(1)))
    };
    let mut best: Option<(usize, usize)> = None;
    let mut many = false;
    for (pos, &i) in tier.iter().enumerate() {
        if !ok(i) {
            continue;
        }
        let (c, w) = load(i);
        match best {
            None => best = Some((pos, i)),
            Some((_, b)) => {
                let (bc, bw) = load(b);
                if c * bw < bc * w {
                    best = Some((pos, i));
                    many = false;
                } else if c * bw == bc * w {
                    many = true;
                }
            }
        }
    }
    let (start, mut b) = best?;
    if many {
        let (bc, bw) = load(b);
        let mut total = 0;
        for &i in &tier[start..] {
            if !ok(i) {
                continue;
            }
            let (c, w) = load(i);
            if c * bw != bc * w {
                continue;
            }
            total += rr.step(i);
            if rr.current(i) > rr.current(b) {
                b = i;
            }
        }
        rr.chosen(b, total);
    }
    Some(b)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;

    fn peers(weights: &[u32]) -> Peers {
        Peers::for_tests(weights)
    }

    #[test]
    fn fewest_active_relative_to_weight() {
        let p = peers(&[1, 2, 1]);
        p.peers[0].active.store(1, Ordering::Relaxed);
        p.peers[1].active.store(3, Ordering::Relaxed);
        p.peers[2].active.store(2, Ordering::Relaxed);
        let mut rr = RoundRobin::new(&[1, 2, 1]);
        // 1/1, 3/2, 2/1: the first.
        assert_eq!(pick(&mut rr, &p, &[0, 1, 2], |_| true), Some(0));
        p.peers[0].active.store(2, Ordering::Relaxed);
        // 2/1, 3/2, 2/1: the second.
        assert_eq!(pick(&mut rr, &p, &[0, 1, 2], |_| true), Some(1));
    }

    #[test]
    fn ties_are_weighted_round_robin() {
        let p = peers(&[2, 1]);
        let mut rr = RoundRobin::new(&[2, 1]);
        let seq: Vec<usize> = (0..6)
            .map(|_| pick(&mut rr, &p, &[0, 1], |_| true).unwrap())
            .collect();
        assert_eq!(seq, [0, 1, 0, 0, 1, 0]);
        assert_eq!(pick(&mut rr, &p, &[0, 1], |i| i != 0), Some(1));
    }
}
