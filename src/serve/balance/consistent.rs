//! nginx `hash KEY consistent` (ketama, `ngx_http_upstream_init_chash`): each server as written
//! (`host:port`) puts `160 * weight` points on a ring, point `j` being
//! `crc32(HOST "\0" PORT PREV)` where PREV is the previous point's hash as four little-endian
//! bytes (zero for the first); duplicates are dropped. A request hashes `crc32(KEY)`, starts at
//! the first point at or after it and walks the ring until a point's server has an available
//! peer (smooth round-robin among a server's addresses). Removing a server only moves the keys
//! that were on its points.

use super::crc32;
use super::round_robin::RoundRobin;
use crate::serve::peers::Peers;

/// The sorted ring of points: (hash, server name).
#[derive(Debug, Clone)]
pub struct Ring {
    points: Vec<(u32, String)>,
}

/// nginx's split of `host:port` (a trailing run of digits after the last colon is the port;
/// `unix:` paths have none).
fn host_port(server: &str) -> (&[u8], &[u8]) {
    if server.len() >= 5 && server[..5].eq_ignore_ascii_case("unix:") {
        return (&server.as_bytes()[5..], b"");
    }
    let b = server.as_bytes();
    for j in 0..b.len() {
        let c = b[b.len() - j - 1];
        if c == b':' {
            return (&b[..b.len() - j - 1], &b[b.len() - j..]);
        }
        if !c.is_ascii_digit() {
            break;
        }
    }
    (b, b"")
}

impl Ring {
    /// The ring of the primaries in `tier`.
    pub fn new(peers: &Peers, tier: &[usize]) -> Ring {
        let mut points = Vec::new();
        for &i in tier {
            let peer = &peers.peers[i];
            let (host, port) = host_port(&peer.name);
            let mut base = crc32::update(crc32::INIT, host);
            base = crc32::update(base, b"\0");
            base = crc32::update(base, port);
            let mut prev: u32 = 0;
            for _ in 0..peer.weight.max(1) * 160 {
                let hash = crc32::finish(crc32::update(base, &prev.to_le_bytes()));
                points.push((hash, peer.name.clone()));
                prev = hash;
            }
        }
        // nginx sorts with qsort (not stable); equal hashes are then collapsed to one.
        points.sort_by_key(|p| p.0);
        points.dedup_by_key(|p| p.0);
        Ring { points }
    }

    /// The first point at or after `hash` (may be one past the end: the walk wraps).
    fn find(&self, hash: u32) -> usize {
        self.points.partition_point(|p| p.0 < hash)
    }

    /// The peer for `key`; `None` when no point leads to an available peer.
    pub fn pick(
        &self,
        rr: &mut RoundRobin,
        peers: &Peers,
        tier: &[usize],
        key: &[u8],
        ok: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        let n = self.points.len();
        if n == 0 {
            return None;
        }
        let mut at = self.find(crc32::crc32(key));
        for _ in 0..n {
            let server = &self.points[at % n].1;
            let mut best: Option<usize> = None;
            let mut total = 0;
            for &i in tier {
                if peers.peers[i].name != *server || !ok(i) {
                    continue;
                }
                total += rr.step(i);
                if best.is_none_or(|b| rr.current(i) > rr.current(b)) {
                    best = Some(i);
                }
            }
            if let Some(b) = best {
                rr.chosen(b, total);
                return Some(b);
            }
            at += 1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::peers::Peer;

    fn peers(names: &[&str]) -> Peers {
        Peers {
            name: "p".into(),
            peers: names
                .iter()
                .enumerate()
                .map(|(i, n)| Peer::new(([127, 0, 0, 1], 1000 + i as u16).into(), n.to_string(), 1))
                .collect(),
        }
    }

    #[test]
    fn host_and_port_as_nginx_splits_them() {
        assert_eq!(host_port("10.0.0.1:80"), (&b"10.0.0.1"[..], &b"80"[..]));
        assert_eq!(host_port("backend"), (&b"backend"[..], &b""[..]));
        assert_eq!(host_port("unix:/tmp/s"), (&b"/tmp/s"[..], &b""[..]));
    }

    #[test]
    fn first_point_is_crc_of_host_nul_port_zero() {
        let p = peers(&["10.0.0.1:80"]);
        let ring = Ring::new(&p, &[0]);
        let first = crc32::crc32(b"10.0.0.1\x0080\0\0\0\0");
        assert!(ring.points.iter().any(|x| x.0 == first));
        assert_eq!(ring.points.len(), 160);
    }

    #[test]
    fn removing_a_server_only_moves_its_keys() {
        let names = ["10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80", "10.0.0.4:80"];
        let all = peers(&names);
        let tier: Vec<usize> = (0..4).collect();
        let ring = Ring::new(&all, &tier);
        let three = Ring::new(&all, &[0, 1, 2]);
        let mut rr = RoundRobin::new(&[1, 1, 1, 1]);
        let mut moved = 0;
        let mut counts = [0; 4];
        for n in 0..2000 {
            let key = format!("/key/{n}");
            let before = ring
                .pick(&mut rr, &all, &tier, key.as_bytes(), |_| true)
                .unwrap();
            let after = three
                .pick(&mut rr, &all, &[0, 1, 2], key.as_bytes(), |_| true)
                .unwrap();
            counts[before] += 1;
            if before != 3 {
                assert_eq!(before, after, "{key} moved off a server that stayed");
            } else {
                moved += 1;
            }
        }
        assert_eq!(moved, counts[3]);
        assert!(counts.iter().all(|&c| c > 300), "{counts:?}");
        // An unavailable server sends its keys to the next point's server, not everywhere.
        let k = b"/key/7";
        let owner = ring.pick(&mut rr, &all, &tier, k, |_| true).unwrap();
        let next = ring.pick(&mut rr, &all, &tier, k, |i| i != owner).unwrap();
        assert_ne!(owner, next);
    }
}
