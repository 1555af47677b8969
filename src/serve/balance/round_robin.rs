//! nginx's smooth weighted round-robin (`ngx_http_upstream_get_peer`): every pick adds each
//! candidate's effective weight to its current weight, takes the peer with the largest current
//! weight (the first on a tie) and subtracts the total of the weights from it. Over a cycle of
//! `sum(weights)` picks each peer is chosen `weight` times, spread out rather than in bursts.
//! A failure lowers the effective weight by `weight / max_fails`; every pick raises it by one
//! until it is back to `weight`, as in nginx. HAProxy's `roundrobin` uses it too: its sequence
//! differs, its proportions over a cycle do not.

/// The round-robin state of one pool, indexed like its peers.
#[derive(Debug, Clone)]
pub struct RoundRobin {
    peers: Vec<State>,
}

#[derive(Debug, Clone)]
struct State {
    current: i64,
    effective: i64,
    weight: i64,
}

impl RoundRobin {
    /// A balancer over peers with these weights (in configuration order).
    pub fn new(weights: &[u32]) -> RoundRobin {
        RoundRobin {
            peers: weights
                .iter()
                .map(|&w| State {
                    current: 0,
                    effective: i64::from(w.max(1)),
                    weight: i64::from(w.max(1)),
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
        let all: Vec<usize> = (0..self.peers.len()).collect();
        self.pick_among(&all, |i| !tried.get(i).copied().unwrap_or(false))
    }

    /// The next peer among the indices of `tier` that `ok` accepts.
    pub fn pick_among(&mut self, tier: &[usize], ok: impl Fn(usize) -> bool) -> Option<usize> {
        let mut total = 0;
        let mut best: Option<usize> = None;
        for &i in tier {
            if !ok(i) {
                continue;
            }
            let Some(s) = self.peers.get_mut(i) else {
                continue;
            };
            s.current += s.effective;
            total += s.effective;
            if s.effective < s.weight {
                s.effective += 1;
            }
            let current = s.current;
            if best.is_none_or(|b| current > self.peers[b].current) {
                best = Some(i);
            }
        }
        let b = best?;
        self.peers[b].current -= total;
        Some(b)
    }

    /// The current weight of peer `i`.
    pub fn current(&self, i: usize) -> i64 {
        self.peers.get(i).map_or(0, |s| s.current)
    }

    /// One step of the round for peer `i` (its current weight grows by its effective weight,
    /// which recovers by one); returns the effective weight added.
    pub fn step(&mut self, i: usize) -> i64 {
        let Some(s) = self.peers.get_mut(i) else {
            return 0;
        };
        s.current += s.effective;
        let added = s.effective;
        if s.effective < s.weight {
            s.effective += 1;
        }
        added
    }

    /// Ends a round won by `i` over candidates whose effective weights add up to `total`.
    pub fn chosen(&mut self, i: usize, total: i64) {
        if let Some(s) = self.peers.get_mut(i) {
            s.current -= total;
        }
    }

    /// A failed attempt: nginx lowers the effective weight by `weight / max_fails`.
    pub fn failed(&mut self, i: usize, max_fails: u32) {
        if let Some(s) = self.peers.get_mut(i) {
            if max_fails > 0 {
                s.effective -= s.weight / i64::from(max_fails);
            }
            s.effective = s.effective.max(0);
        }
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

    #[test]
    fn a_failure_lowers_the_effective_weight_which_recovers() {
        let mut rr = RoundRobin::new(&[4, 1]);
        rr.failed(0, 1);
        // Effective weight 0 then 1, 2, 3, 4: b wins the first rounds.
        let picks: Vec<usize> = (0..3).map(|_| rr.pick().unwrap()).collect();
        assert_eq!(picks[0], 1);
        let mut counts = [0, 0];
        for _ in 0..50 {
            counts[rr.pick().unwrap()] += 1;
        }
        assert_eq!(counts, [40, 10], "back to the configured 4:1");
    }
}
