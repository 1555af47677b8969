//! nginx's smooth weighted round-robin (`ngx_http_upstream_get_peer`): every pick adds each
//! peer's effective weight to its current weight, takes the peer with the largest current
//! weight (the first on a tie) and subtracts the total of the weights from it. Over a cycle of
//! `sum(weights)` picks each peer is chosen `weight` times, spread out rather than in bursts.

/// The round-robin state of one pool.
#[derive(Debug, Clone)]
pub struct RoundRobin {
    peers: Vec<Peer>,
}

#[derive(Debug, Clone)]
struct Peer {
    current_weight: i64,
    effective_weight: i64,
}

impl RoundRobin {
    /// A balancer over peers with these weights (in configuration order).
    pub fn new(weights: &[u32]) -> RoundRobin {
        RoundRobin {
            peers: weights
                .iter()
                .map(|&w| Peer {
                    current_weight: 0,
                    effective_weight: i64::from(w.max(1)),
                })
                .collect(),
        }
    }

    /// The index of the next peer, `None` for an empty pool.
    pub fn pick(&mut self) -> Option<usize> {
        self.pick_untried(&[])
    }

    /// The next peer among those not yet tried for this request (`tried[i]`), which take no
    /// part in the round, as in nginx; `None` when every peer was tried.
    pub fn pick_untried(&mut self, tried: &[bool]) -> Option<usize> {
        let mut total = 0;
        let mut best: Option<(usize, i64)> = None;
        for (i, peer) in self.peers.iter_mut().enumerate() {
            if tried.get(i).copied().unwrap_or(false) {
                continue;
            }
            peer.current_weight += peer.effective_weight;
            total += peer.effective_weight;
            if best.is_none_or(|(_, w)| peer.current_weight > w) {
                best = Some((i, peer.current_weight));
            }
        }
        let (b, _) = best?;
        self.peers[b].current_weight -= total;
        Some(b)
    }
}

#[cfg(test)]
mod tests {
    use super::RoundRobin;

    fn sequence(weights: &[u32], n: usize) -> String {
        let mut rr = RoundRobin::new(weights);
        (0..n)
            .map(|_| (b'a' + rr.pick().unwrap() as u8) as char)
            .collect()
    }

    #[test]
    fn nginx_documented_sequence_5_1_1() {
        // The example of nginx's commit 52327e0627f4 ("smooth weighted round-robin").
        assert_eq!(sequence(&[5, 1, 1], 7), "aabacaa");
        assert_eq!(sequence(&[5, 1, 1], 14), "aabacaaaabacaa");
    }

    #[test]
    fn weights_3_1_1_and_equal_weights() {
        assert_eq!(sequence(&[3, 1, 1], 5), "abaca");
        assert_eq!(sequence(&[1, 1, 1], 6), "abcabc");
    }

    #[test]
    fn tried_peers_are_skipped() {
        let mut rr = RoundRobin::new(&[3, 1]);
        assert_eq!(rr.pick_untried(&[true, false]), Some(1));
        assert_eq!(rr.pick_untried(&[true, true]), None);
    }

    #[test]
    fn empty_pool_has_no_peer() {
        assert_eq!(RoundRobin::new(&[]).pick(), None);
    }
}
