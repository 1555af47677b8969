//! The IPVS schedulers of keepalived `lb_algo` and `ipvsadm -s`, as the kernel's
//! `ip_vs_{rr,wrr,lc,wlc,sed,nq,sh,dh}.c` choose: `rr` cycles through the servers, `wrr`
//! interleaves them by weight (the current weight steps down by the weights' GCD), `lc` takes
//! the fewest active connections, `wlc` the fewest per weight, `sed` the smallest
//! `(active + 1) / weight`, `nq` an idle server first and else `sed`; `sh` and `dh` hash the
//! source or destination address into a 256-bucket table filled by weight (the destination
//! comes from the caller, see `PickRequest::destination`; without it `dh` hashes the source).
//! A weight of 0 quiesces a server. Ties go to the first server in order, as in the kernel.

use std::net::IpAddr;

use crate::serve::peers::Peers;

/// The scheduler and its state.
#[derive(Debug)]
pub enum Ipvs {
    Rr { last: Option<usize> },
    Wrr { at: Option<usize>, cw: i64 },
    Lc,
    Wlc,
    Sed,
    Nq,
    Sh(Table),
    Dh(Table),
}

/// A hash table of 256 buckets over the usable servers.
#[derive(Debug, Default)]
pub struct Table {
    usable: Vec<bool>,
    buckets: Vec<usize>,
}

const BUCKETS: usize = 256;

fn gcd(mut a: i64, mut b: i64) -> i64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Ipvs {
    /// The scheduler named by `ipvsadm -s`; `None` for one the runtime does not have.
    pub fn new(name: &str) -> Option<Ipvs> {
        Some(match name {
            "rr" => Ipvs::Rr { last: None },
            "wrr" => Ipvs::Wrr { at: None, cw: 0 },
            "lc" => Ipvs::Lc,
            "wlc" => Ipvs::Wlc,
            "sed" => Ipvs::Sed,
            "nq" => Ipvs::Nq,
            "sh" => Ipvs::Sh(Table::default()),
            "dh" => Ipvs::Dh(Table::default()),
            _ => return None,
        })
    }

    /// The next server among `tier` for a connection from `client` to `local`.
    pub fn pick(
        &mut self,
        peers: &Peers,
        tier: &[usize],
        client: IpAddr,
        local: Option<IpAddr>,
        ok: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        let weight = |i: usize| i64::from(peers.peers[i].weight);
        let active = |i: usize| i64::from(peers.peers[i].active());
        let ok = |i: usize| ok(i) && weight(i) > 0;
        match self {
            Ipvs::Rr { last } => {
                let n = tier.len();
                let start = last
                    .and_then(|l| tier.iter().position(|&i| i == l))
                    .map_or(0, |p| p + 1);
                let found = (0..n).map(|k| tier[(start + k) % n]).find(|&i| ok(i));
                if found.is_some() {
                    *last = found;
                }
                found
            }
            Ipvs::Wrr { at, cw } => {
                let mw = tier.iter().map(|&i| weight(i)).max().unwrap_or(0);
                let di = tier.iter().map(|&i| weight(i)).fold(0, gcd);
                if mw <= 0 || di <= 0 || tier.is_empty() {
                    return None;
                }
                let n = tier.len();
                let mut pos = at.and_then(|a| tier.iter().position(|&i| i == a));
                for _ in 0..n * ((mw / di) as usize + 1) + 1 {
                    let next = pos.map_or(0, |p| (p + 1) % n);
                    if next == 0 {
                        *cw -= di;
                        if *cw <= 0 {
                            *cw = mw;
                        }
                    }
                    pos = Some(next);
                    let i = tier[next];
                    if weight(i) >= *cw && ok(i) {
                        *at = Some(i);
                        return Some(i);
                    }
                }
                None
            }
            Ipvs::Lc => tier
                .iter()
                .copied()
                .filter(|&i| ok(i))
                .min_by_key(|&i| active(i)),
            Ipvs::Wlc | Ipvs::Sed | Ipvs::Nq => {
                if matches!(self, Ipvs::Nq) {
                    if let Some(i) = tier.iter().copied().find(|&i| ok(i) && active(i) == 0) {
                        return Some(i);
                    }
                }
                let extra = i64::from(!matches!(self, Ipvs::Wlc));
                let mut least: Option<usize> = None;
                for &i in tier {
                    if !ok(i) {
                        continue;
                    }
                    let better = least.is_none_or(|l| {
                        (active(l) + extra) * weight(i) > (active(i) + extra) * weight(l)
                    });
                    if better {
                        least = Some(i);
                    }
                }
                least
            }
            Ipvs::Sh(t) => t.pick(peers, tier, client, ok),
            Ipvs::Dh(t) => t.pick(peers, tier, local.unwrap_or(client), ok),
        }
    }
}

impl Table {
    fn pick(
        &mut self,
        peers: &Peers,
        tier: &[usize],
        addr: IpAddr,
        ok: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        let usable: Vec<bool> = peers
            .peers
            .iter()
            .map(|p| !p.down && p.is_check_up() && p.weight > 0)
            .collect();
        if usable != self.usable || self.buckets.is_empty() {
            let dests: Vec<usize> = tier.iter().copied().filter(|&i| usable[i]).collect();
            self.buckets.clear();
            if !dests.is_empty() {
                let mut k = 0;
                'fill: loop {
                    for &d in &dests {
                        for _ in 0..peers.peers[d].weight.max(1) {
                            if self.buckets.len() == BUCKETS {
                                break 'fill;
                            }
                            self.buckets.push(d);
                            k += 1;
                        }
                    }
                    if k == 0 {
                        break;
                    }
                }
            }
            self.usable = usable;
        }
        let fold = match addr {
            IpAddr::V4(a) => u32::from(a),
            IpAddr::V6(a) => a
                .octets()
                .chunks_exact(4)
                .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                .fold(0, |h, w| h ^ w),
        };
        // The kernel's hash_32(addr, 8): the golden-ratio multiply, top eight bits.
        let bucket = (fold.wrapping_mul(0x61C8_8647) >> 24) as usize;
        let i = *self.buckets.get(bucket % self.buckets.len().max(1))?;
        ok(i).then_some(i)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;

    fn peers(weights: &[u32]) -> Peers {
        Peers::for_tests(weights)
    }

    fn run(name: &str, weights: &[u32], n: usize) -> Vec<usize> {
        let p = peers(weights);
        let tier: Vec<usize> = (0..weights.len()).collect();
        let mut s = Ipvs::new(name).unwrap();
        let c = IpAddr::from([10, 0, 0, 1]);
        (0..n)
            .map(|_| s.pick(&p, &tier, c, None, |_| true).unwrap())
            .collect()
    }

    #[test]
    fn rr_ignores_weights_and_wrr_interleaves() {
        assert_eq!(run("rr", &[3, 1, 1], 6), [0, 1, 2, 0, 1, 2]);
        // ip_vs_wrr: cw = 3: a; cw = 2: a; cw = 1: a b c.
        assert_eq!(run("wrr", &[3, 1, 1], 10), [0, 0, 0, 1, 2, 0, 0, 0, 1, 2]);
        assert_eq!(run("wrr", &[4, 2], 6), [0, 0, 1, 0, 0, 1]);
    }

    #[test]
    fn connection_based_schedulers() {
        let p = peers(&[1, 2, 1]);
        p.peers[0].active.store(2, Ordering::Relaxed);
        p.peers[1].active.store(3, Ordering::Relaxed);
        p.peers[2].active.store(2, Ordering::Relaxed);
        let tier = [0, 1, 2];
        let c = IpAddr::from([10, 0, 0, 1]);
        let pick = |name: &str| {
            Ipvs::new(name)
                .unwrap()
                .pick(&p, &tier, c, None, |_| true)
                .unwrap()
        };
        assert_eq!(pick("lc"), 0);
        assert_eq!(pick("wlc"), 1, "3/2 < 2/1");
        assert_eq!(pick("sed"), 1, "(3+1)/2 < (2+1)/1");
        p.peers[2].active.store(0, Ordering::Relaxed);
        assert_eq!(pick("nq"), 2, "an idle server first");
    }

    #[test]
    fn source_hashing_is_sticky_and_spread() {
        let p = peers(&[1, 1, 1]);
        let mut s = Ipvs::new("sh").unwrap();
        let mut counts = [0; 3];
        for a in 0..=255u8 {
            let c = IpAddr::from([10, 0, a, 7]);
            let x = s.pick(&p, &[0, 1, 2], c, None, |_| true).unwrap();
            assert_eq!(s.pick(&p, &[0, 1, 2], c, None, |_| true), Some(x));
            counts[x] += 1;
        }
        assert!(counts.iter().all(|&c| c > 40), "{counts:?}");
    }
}
