//! nginx `hash KEY` (`ngx_http_upstream_get_hash_peer`), compatible with Cache::Memcached:
//! `hash += (crc32([REHASH] KEY) >> 16) & 0x7fff`, REHASH being the try number written in
//! decimal and omitted on the first try, mapped over the weights of every primary. An
//! unavailable peer rehashes; after 20 tries, for an empty key or in a one-server pool nginx
//! falls back to round-robin (`None` here).

use super::crc32;
use super::ip_hash::by_weight;
use crate::serve::peers::Peers;

/// The hashed peer, or `None` when nginx would fall back to round-robin.
pub fn pick(
    peers: &Peers,
    tier: &[usize],
    key: &[u8],
    ok: impl Fn(usize) -> bool,
) -> Option<usize> {
    let total: u64 = tier
        .iter()
        .map(|&i| u64::from(peers.peers[i].weight.max(1)))
        .sum();
    if total == 0 || tier.len() < 2 || key.is_empty() {
        return None;
    }
    let mut hash: u32 = 0;
    for rehash in 0..=20u32 {
        let mut crc = crc32::INIT;
        if rehash > 0 {
            crc = crc32::update(crc, rehash.to_string().as_bytes());
        }
        crc = crc32::finish(crc32::update(crc, key));
        hash = hash.wrapping_add((crc >> 16) & 0x7fff);
        let p = by_weight(peers, tier, u64::from(hash) % total)?;
        if ok(p) {
            return Some(p);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peers(weights: &[u32]) -> Peers {
        Peers::for_tests(weights)
    }

    #[test]
    fn the_memcached_formula() {
        let p = peers(&[1, 1, 1, 1]);
        let key = b"/some/uri?x=1";
        let expected = ((crc32::crc32(key) >> 16) & 0x7fff) % 4;
        assert_eq!(
            pick(&p, &[0, 1, 2, 3], key, |_| true),
            Some(expected as usize)
        );
    }

    #[test]
    fn weights_and_rehash() {
        let p = peers(&[3, 1]);
        let mut counts = [0; 2];
        for n in 0..4000 {
            let key = format!("/k{n}");
            counts[pick(&p, &[0, 1], key.as_bytes(), |_| true).unwrap()] += 1;
        }
        assert!(counts[0] > 2700 && counts[0] < 3300, "{counts:?}");
        let first = pick(&p, &[0, 1], b"/x", |_| true).unwrap();
        assert_eq!(pick(&p, &[0, 1], b"/x", |i| i != first), Some(1 - first));
        assert_eq!(pick(&p, &[0, 1], b"", |_| true), None, "empty key");
    }
}
