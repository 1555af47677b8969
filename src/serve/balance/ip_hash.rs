//! nginx `ip_hash` (`ngx_http_upstream_get_ip_hash_peer`): the first three octets of an IPv4
//! client (the whole address for IPv6) hashed with `hash = (hash * 113 + octet) % 6271` from
//! 89, mapped over the weights of every primary (`down` ones included, so the mapping stays
//! stable). An unavailable peer makes the hash go round again from where it stopped; after 20
//! tries, or in a one-server pool, nginx falls back to round-robin (`None` here).

use std::net::IpAddr;

use crate::serve::peers::Peers;

/// The key bytes of a client: three octets of IPv4, sixteen of IPv6.
fn key(client: IpAddr) -> Vec<u8> {
    match client {
        IpAddr::V4(a) => a.octets()[..3].to_vec(),
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => v4.octets()[..3].to_vec(),
            None => a.octets().to_vec(),
        },
    }
}

/// The peer of `tier` at weight position `w` (nginx's walk over `peer->weight`).
pub fn by_weight(peers: &Peers, tier: &[usize], mut w: u64) -> Option<usize> {
    for &i in tier {
        let weight = u64::from(peers.peers[i].weight.max(1));
        if w < weight {
            return Some(i);
        }
        w -= weight;
    }
    None
}

/// The hashed peer, or `None` when nginx would fall back to round-robin.
pub fn pick(
    peers: &Peers,
    tier: &[usize],
    client: IpAddr,
    ok: impl Fn(usize) -> bool,
) -> Option<usize> {
    let total: u64 = tier
        .iter()
        .map(|&i| u64::from(peers.peers[i].weight.max(1)))
        .sum();
    if total == 0 || tier.len() < 2 {
        return None;
    }
    let key = key(client);
    let mut hash: u64 = 89;
    for _ in 0..=20 {
        for &b in &key {
            hash = (hash * 113 + u64::from(b)) % 6271;
        }
        let p = by_weight(peers, tier, hash % total)?;
        if ok(p) {
            return Some(p);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::peers::Peer;

    fn peers(n: usize) -> Peers {
        Peers {
            name: "p".into(),
            peers: (0..n)
                .map(|i| Peer::new(([127, 0, 0, 1], 1000 + i as u16).into(), i.to_string(), 1))
                .collect(),
        }
    }

    #[test]
    fn nginx_formula_and_stickiness() {
        let p = peers(3);
        // 10.1.2.x: hash = ((89*113+10)%6271*113+1)%6271 ... computed by hand below.
        let mut h: u64 = 89;
        for b in [10u64, 1, 2] {
            h = (h * 113 + b) % 6271;
        }
        let expected = (h % 3) as usize;
        for last in [1, 77, 254] {
            let ip = IpAddr::from([10, 1, 2, last]);
            assert_eq!(pick(&p, &[0, 1, 2], ip, |_| true), Some(expected));
        }
    }

    #[test]
    fn an_unavailable_peer_rehashes_to_another() {
        let p = peers(3);
        let ip = IpAddr::from([192, 168, 7, 1]);
        let first = pick(&p, &[0, 1, 2], ip, |_| true).unwrap();
        let second = pick(&p, &[0, 1, 2], ip, |i| i != first).unwrap();
        assert_ne!(first, second);
        assert_eq!(pick(&p, &[0, 1, 2], ip, |_| false), None);
    }

    #[test]
    fn clients_spread_over_the_peers() {
        let p = peers(3);
        let mut counts = [0; 3];
        for a in 0..=255u8 {
            counts[pick(&p, &[0, 1, 2], IpAddr::from([10, 0, a, 1]), |_| true).unwrap()] += 1;
        }
        assert!(counts.iter().all(|&c| c > 40), "{counts:?}");
    }
}
