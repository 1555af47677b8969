//! HAProxy's map-based balancing (`lb_map.c`), behind `static-rr` and the default
//! (`map-based`) `hash-type` of `source`, `uri`, `url_param` and `hdr()`: weights are divided by
//! their greatest common divisor, a table of `sum(weights)` slots is filled by
//! `recalc_server_map` (each usable server adds its weight to a score, the first with the
//! highest `(score + total) / total` takes the slot and loses `total`), `static-rr` walks the
//! table in order and a hash takes slot `hash % total`. Without usable primaries the table holds
//! the first usable backup only (HAProxy without `option allbackups`). The table is rebuilt when
//! a server changes state.

use crate::serve::peers::Peers;

/// The map of one pool.
#[derive(Debug, Default)]
pub struct Map {
    /// The usable servers the table was built for.
    usable: Vec<bool>,
    table: Vec<usize>,
    rr_idx: usize,
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Map {
    /// Rebuilds the table when the set of usable servers changed; without usable primaries
    /// the table holds the first usable backup, or all of them with `option allbackups`.
    pub fn refresh(&mut self, peers: &Peers, usable: Vec<bool>, all_backups: bool) {
        if usable == self.usable && !self.table.is_empty() {
            return;
        }
        let pgcd = peers
            .peers
            .iter()
            .map(|p| p.weight)
            .filter(|&w| w > 0)
            .fold(0, gcd)
            .max(1);
        let eweight = |i: usize| peers.peers[i].weight.div_ceil(pgcd);
        let primaries: Vec<usize> = (0..peers.peers.len())
            .filter(|&i| usable[i] && !peers.peers[i].backup && eweight(i) > 0)
            .collect();
        let set = if primaries.is_empty() {
            let mut backups = (0..peers.peers.len())
                .filter(|&i| usable[i] && peers.peers[i].backup && eweight(i) > 0);
            if all_backups {
                backups.collect()
            } else {
                backups.next().into_iter().collect()
            }
        } else {
            primaries
        };
        let tot: i64 = set.iter().map(|&i| i64::from(eweight(i))).sum();
        let mut score = vec![0i64; peers.peers.len()];
        let mut table = Vec::with_capacity(tot as usize);
        for _ in 0..tot {
            let mut best: Option<(usize, i64)> = None;
            for &i in &set {
                if tot == 1 {
                    best = Some((i, 0));
                    break;
                }
                score[i] += i64::from(eweight(i));
                let v = (score[i] + tot) / tot;
                if best.is_none_or(|(_, max)| v > max) {
                    best = Some((i, v));
                }
            }
            if let Some((b, _)) = best {
                score[b] -= tot;
                table.push(b);
            }
        }
        self.table = table;
        self.usable = usable;
    }

    #[cfg(test)]
    /// Number of slots (HAProxy's `tot_weight`).
    pub fn total(&self) -> usize {
        self.table.len()
    }

    /// Distinct servers in the table (HAProxy's `tot_used`, 1 means no hashing).
    fn used(&self) -> usize {
        let mut s: Vec<usize> = self.table.clone();
        s.sort_unstable();
        s.dedup();
        s.len()
    }

    /// `map_get_server_rr`: the next slot whose server `ok` accepts.
    pub fn rr(&mut self, ok: impl Fn(usize) -> bool) -> Option<usize> {
        let n = self.table.len();
        if n == 0 {
            return None;
        }
        if self.rr_idx >= n {
            self.rr_idx = 0;
        }
        let start = self.rr_idx;
        let mut idx = start;
        loop {
            let s = self.table[idx];
            idx = (idx + 1) % n;
            if ok(s) {
                self.rr_idx = idx;
                return Some(s);
            }
            if idx == start {
                return None;
            }
        }
    }

    /// `map_get_server_hash`: the server of slot `hash % total` (`0` when one server is used).
    pub fn hash(&self, hash: u32) -> Option<usize> {
        let n = self.table.len();
        if n == 0 {
            return None;
        }
        let h = if self.used() == 1 { 0 } else { hash as usize };
        Some(self.table[h % n])
    }
}

/// The hash function of `hash-type map-based [FUNCTION]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HashFn {
    #[default]
    Sdbm,
    Djb2,
    Crc32,
}

impl HashFn {
    /// The function named in `hash-type`, `None` for one the runtime does not have.
    pub fn named(name: &str) -> Option<HashFn> {
        Some(match name {
            "sdbm" => HashFn::Sdbm,
            "djb2" => HashFn::Djb2,
            "crc32" => HashFn::Crc32,
            _ => return None,
        })
    }

    pub fn hash(self, key: &[u8]) -> u32 {
        match self {
            HashFn::Sdbm => sdbm(key),
            HashFn::Djb2 => key.iter().fold(5381u32, |h, &c| {
                (h << 5).wrapping_add(h).wrapping_add(u32::from(c))
            }),
            HashFn::Crc32 => super::crc32::crc32(key),
        }
    }
}

/// HAProxy's default hash function, `hash_sdbm`.
pub fn sdbm(key: &[u8]) -> u32 {
    key.iter().fold(0u32, |h, &c| {
        u32::from(c)
            .wrapping_add(h << 6)
            .wrapping_add(h << 16)
            .wrapping_sub(h)
    })
}

/// `get_server_sh`: the source address as big-endian 32-bit words XORed together.
pub fn source_hash(ip: std::net::IpAddr) -> u32 {
    let bytes = match ip {
        std::net::IpAddr::V4(a) => a.octets().to_vec(),
        std::net::IpAddr::V6(a) => a.octets().to_vec(),
    };
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .fold(0, |h, w| h ^ w)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peers(weights: &[u32]) -> Peers {
        Peers::for_tests(weights)
    }

    #[test]
    fn recalc_server_map_order() {
        let p = peers(&[3, 1, 1]);
        let mut m = Map::default();
        m.refresh(&p, vec![true; 3], false);
        // Worked by hand from recalc_server_map.
        assert_eq!(m.table, [0, 0, 1, 0, 2]);
        let seq: Vec<usize> = (0..10).map(|_| m.rr(|_| true).unwrap()).collect();
        assert_eq!(seq, [0, 0, 1, 0, 2, 0, 0, 1, 0, 2]);
    }

    #[test]
    fn weights_are_divided_by_their_gcd() {
        let p = peers(&[20, 10]);
        let mut m = Map::default();
        m.refresh(&p, vec![true; 2], false);
        assert_eq!(m.total(), 3);
        assert_eq!(m.hash(4), Some(m.table[1]));
    }

    #[test]
    fn backups_only_when_no_primary_and_the_first_one() {
        let mut p = peers(&[1, 1, 1]);
        p.peers[1].backup = true;
        p.peers[2].backup = true;
        let mut m = Map::default();
        m.refresh(&p, vec![false, true, true], true);
        assert_eq!(m.table, [1, 2], "option allbackups");
        let mut m = Map::default();
        m.refresh(&p, vec![false, true, true], false);
        assert_eq!(m.table, [1]);
        m.refresh(&p, vec![true, true, true], false);
        assert_eq!(m.table, [0]);
    }

    #[test]
    fn sdbm_and_source() {
        assert_eq!(sdbm(b""), 0);
        assert_eq!(sdbm(b"a"), 97);
        assert_eq!(
            sdbm(b"ab"),
            98u32
                .wrapping_add(97 << 6)
                .wrapping_add(97 << 16)
                .wrapping_sub(97)
        );
        assert_eq!(source_hash("127.0.0.2".parse().unwrap()), 0x7f00_0002);
        assert_eq!(HashFn::Djb2.hash(b"a"), 5381 * 33 + 97);
        assert_eq!(HashFn::Crc32.hash(b"123456789"), 0xCBF4_3926);
    }
}
