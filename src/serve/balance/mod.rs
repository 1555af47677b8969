//! Server selection for `lbc serve`: one algorithm per file, all behind [`Balancer`], which
//! HTTP pools and L4 services share. A request (or connection) asks for a peer with what the
//! algorithms may key on ([`PickRequest`]) and the peers it already tried. The balancer applies
//! its algorithm to the primaries and, when none of them can take the request, to the backups;
//! a peer is a candidate when it is not tried, not `down`, up for the active check, not kept
//! out by passive health and under its `max_conns` ([`crate::serve::peers::Peer::is_available`]).

mod chash;
mod consistent;
pub mod crc32;
mod first;
mod fwlc;
mod fwrr;
mod hash;
mod ip_hash;
mod ipvs;
pub mod key;
mod least_conn;
mod map;
mod random;
mod round_robin;

use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

pub use key::{KeyInput, KeySpec};
pub use map::HashFn;
pub use round_robin::RoundRobin;

use super::peers::Peers;
use crate::ir::Algorithm;

/// What a request offers the algorithms to key on.
#[derive(Debug, Clone, Copy)]
pub struct PickRequest<'a> {
    pub client: IpAddr,
    /// The rendered hash key (nginx `hash KEY`, HAProxy `uri`/`url_param`/`hdr()`), if any;
    /// for IPVS `dh`, the octets of the destination address.
    pub key: Option<&'a [u8]>,
}

impl PickRequest<'_> {
    /// The destination address IPVS `dh` hashes, which an L4 caller passes as the key (the
    /// address's 4 or 16 octets).
    pub fn destination(&self) -> Option<IpAddr> {
        match self.key? {
            k if k.len() == 4 => Some(IpAddr::from([k[0], k[1], k[2], k[3]])),
            k if k.len() == 16 => <[u8; 16]>::try_from(k).ok().map(IpAddr::from),
            _ => None,
        }
    }
}

/// Whose semantics an algorithm name carries: the IR shares names (`least-conn` is nginx
/// `least_conn`, HAProxy `leastconn` and IPVS `wlc`) where the origins differ in details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flavor {
    #[default]
    Nginx,
    Haproxy,
    Ipvs,
}

impl Flavor {
    /// The semantics of pools written in `format` (nginx for the formats without their own).
    pub fn of(format: crate::ir::Format) -> Flavor {
        match format {
            crate::ir::Format::Haproxy => Flavor::Haproxy,
            crate::ir::Format::Keepalived | crate::ir::Format::Ipvsadm => Flavor::Ipvs,
            _ => Flavor::Nginx,
        }
    }
}

/// The algorithm of one pool and its state.
#[derive(Debug)]
enum Algo {
    RoundRobin,
    LeastConn,
    /// HAProxy `roundrobin`.
    Fwrr(Box<fwrr::Fwrr>),
    /// HAProxy `leastconn`.
    Fwlc,
    IpHash,
    Hash,
    Consistent(consistent::Ring),
    Random {
        two: bool,
    },
    /// HAProxy `static-rr`.
    StaticRr,
    /// HAProxy `source`/`uri`/`url_param`/`hdr()` (map-based).
    HaproxyHash {
        source: bool,
    },
    /// The same with `hash-type consistent`.
    HaproxyChash {
        source: bool,
        ring: Box<chash::Chash>,
    },
    First,
    Ipvs(ipvs::Ipvs),
}

/// The mutable part of a balancer.
#[derive(Debug)]
struct State {
    algo: Algo,
    rr: RoundRobin,
    map: map::Map,
}

/// The balancing state of one pool.
#[derive(Debug)]
pub struct Balancer {
    state: Mutex<State>,
    rng: random::Rng,
    flavor: Flavor,
    primary: Vec<usize>,
    backup: Vec<usize>,
    single: bool,
    /// HAProxy `hash-type map-based FUNCTION`.
    hash_fn: HashFn,
    /// HAProxy's `avalanche` hash modifier.
    avalanche: bool,
    /// HAProxy `option allbackups`.
    all_backups: bool,
    /// HAProxy `leastconn`, which orders equal servers by when their load last changed.
    requeues: bool,
}

impl Balancer {
    /// The balancer for `algorithm` over `peers`, with the flavour the algorithm implies
    /// (HAProxy for `static-rr`, `first`, `source` and non-variable hash keys, IPVS for the
    /// schedulers only IPVS has, nginx otherwise); `Err` names what the runtime cannot do.
    pub fn new(algorithm: &Algorithm, peers: &Peers) -> Result<Balancer, String> {
        let flavor = match algorithm {
            Algorithm::StaticRoundRobin | Algorithm::First | Algorithm::SourceHash => {
                Flavor::Haproxy
            }
            Algorithm::Hash { key, .. } if !key.contains('$') => Flavor::Haproxy,
            Algorithm::Scheduler { .. } | Algorithm::UnweightedRoundRobin => Flavor::Ipvs,
            _ => Flavor::Nginx,
        };
        Balancer::with_flavor(algorithm, peers, flavor)
    }

    /// The balancer for `algorithm` with the semantics of `flavor` (the origin of the pool).
    pub fn with_flavor(
        algorithm: &Algorithm,
        peers: &Peers,
        flavor: Flavor,
    ) -> Result<Balancer, String> {
        let (primary, backup) = peers.tiers();
        let algo = match (flavor, algorithm) {
            (Flavor::Ipvs, a) => {
                let name = match a {
                    Algorithm::UnweightedRoundRobin => "rr".to_string(),
                    other => other.ipvs_name().unwrap_or_else(|| other.name()),
                };
                Algo::Ipvs(
                    ipvs::Ipvs::new(&name).ok_or_else(|| format!("the IPVS scheduler `{name}`"))?,
                )
            }
            (Flavor::Haproxy, Algorithm::RoundRobin) => Algo::Fwrr(Box::default()),
            (Flavor::Haproxy, Algorithm::LeastConn) => Algo::Fwlc,
            (_, Algorithm::RoundRobin) => Algo::RoundRobin,
            (_, Algorithm::UnweightedRoundRobin) => Algo::Ipvs(ipvs::Ipvs::Rr { last: None }),
            (_, Algorithm::LeastConn) => Algo::LeastConn,
            (Flavor::Nginx, Algorithm::IpHash) => Algo::IpHash,
            (_, Algorithm::StaticRoundRobin) => Algo::StaticRr,
            (_, Algorithm::First) => Algo::First,
            (_, Algorithm::SourceHash) => Algo::HaproxyHash { source: true },
            (Flavor::Nginx, Algorithm::Hash { consistent, key }) => {
                KeySpec::compile(key)?;
                if *consistent {
                    Algo::Consistent(consistent::Ring::new(peers, &primary))
                } else {
                    Algo::Hash
                }
            }
            (Flavor::Haproxy, Algorithm::Hash { consistent, key }) => {
                KeySpec::compile(key)?;
                if *consistent {
                    Algo::HaproxyChash {
                        source: false,
                        ring: Box::default(),
                    }
                } else {
                    Algo::HaproxyHash { source: false }
                }
            }
            (_, Algorithm::Random { two, method }) => {
                if let Some(m) = method.as_deref().filter(|m| *m != "least_conn") {
                    return Err(format!("`random two {m}`"));
                }
                Algo::Random { two: *two }
            }
            (_, other) => return Err(format!("the balancing algorithm `{}`", other.name())),
        };
        let weights: Vec<u32> = peers.peers.iter().map(|p| p.weight).collect();
        let requeues = matches!(algo, Algo::Fwlc);
        Ok(Balancer {
            requeues,
            state: Mutex::new(State {
                algo,
                rr: RoundRobin::new(&weights),
                map: map::Map::default(),
            }),
            rng: random::Rng::default(),
            flavor,
            primary,
            backup,
            single: peers.single(),
            hash_fn: HashFn::default(),
            avalanche: false,
            all_backups: false,
        })
    }

    /// HAProxy `hash-type consistent` for `balance source` (the IR marks the other hashing
    /// algorithms itself).
    pub fn with_consistent_source(self, consistent: bool) -> Balancer {
        if consistent {
            if let Ok(mut st) = self.state.lock() {
                if matches!(st.algo, Algo::HaproxyHash { source: true }) {
                    st.algo = Algo::HaproxyChash {
                        source: true,
                        ring: Box::default(),
                    };
                }
            }
        }
        self
    }

    /// HAProxy `option allbackups`: without usable primaries, balance over every usable
    /// backup (rather than only the first).
    pub fn with_all_backups(mut self, all: bool) -> Balancer {
        self.all_backups = all;
        self
    }

    /// HAProxy `hash-type METHOD FUNCTION [avalanche]` (`sdbm` by default).
    pub fn with_hash_function(mut self, f: HashFn, avalanche: bool) -> Balancer {
        self.hash_fn = f;
        self.avalanche = avalanche;
        self
    }

    /// The HAProxy hash of a key (`gen_hash`), or of the client address for `source`.
    fn haproxy_hash(&self, source: bool, req: &PickRequest) -> Option<u32> {
        let h = if source {
            map::source_hash(req.client)
        } else {
            self.hash_fn.hash(req.key?)
        };
        Some(if self.avalanche {
            chash::full_hash(h)
        } else {
            h
        })
    }

    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// The next peer for `req` among those not in `tried`; `None` when none can take it.
    /// Whether the algorithm reads when a server's load last changed ([`Peer::requeued`]):
    /// only then is it recorded per request.
    ///
    /// [`Peer::requeued`]: crate::serve::peers::Peer::requeued
    pub fn requeues(&self) -> bool {
        self.requeues
    }

    pub fn pick(&self, peers: &Peers, req: &PickRequest, tried: &[bool]) -> Option<usize> {
        // The balancer was built for these peers; another list would index out of range.
        if peers.peers.len() != self.primary.len() + self.backup.len() {
            return None;
        }
        // The clock is read only when a peer's passive health needs it.
        let clock = std::cell::OnceCell::new();
        let now = || *clock.get_or_init(Instant::now);
        let single = self.single;
        // HAProxy and IPVS take a weight of 0 as "no new traffic" (nginx rejects it).
        let zero_drains = self.flavor != Flavor::Nginx;
        let ok = |i: usize| {
            let p = &peers.peers[i];
            !tried.get(i).copied().unwrap_or(false)
                && p.is_available(now, single)
                && !(zero_drains && p.weight == 0)
        };
        let mut st = self.state.lock().ok()?;
        let st = &mut *st;
        let picked = if self.flavor == Flavor::Haproxy {
            self.pick_haproxy(st, peers, req, &ok)
        } else {
            let tiers: [&[usize]; 2] = [&self.primary, &self.backup];
            tiers
                .into_iter()
                .find_map(|tier| self.pick_tier(st, peers, tier, req, &ok))
        };
        if let Some(i) = picked {
            peers.peers[i].picked(now);
        }
        picked
    }

    /// nginx and IPVS: the algorithm over one tier, round-robin where nginx falls back to it.
    fn pick_tier(
        &self,
        st: &mut State,
        peers: &Peers,
        tier: &[usize],
        req: &PickRequest,
        ok: &dyn Fn(usize) -> bool,
    ) -> Option<usize> {
        let hashed = match &mut st.algo {
            Algo::RoundRobin => None,
            Algo::LeastConn => return least_conn::pick(&mut st.rr, peers, tier, ok),
            Algo::IpHash if tier == self.primary.as_slice() => {
                ip_hash::pick(peers, tier, req.client, ok)
            }
            Algo::Hash if tier == self.primary.as_slice() => {
                hash::pick(peers, tier, req.key.unwrap_or_default(), ok)
            }
            Algo::Consistent(ring) if tier == self.primary.as_slice() => {
                let key = req.key.unwrap_or_default();
                if key.is_empty() || tier.len() < 2 {
                    None
                } else {
                    return ring.pick(&mut st.rr, peers, tier, key, ok);
                }
            }
            Algo::Random { two } => random::pick(&self.rng, *two, peers, tier, ok),
            Algo::Ipvs(s) => return s.pick(peers, tier, req.client, req.destination(), ok),
            _ => None,
        };
        hashed.or_else(|| st.rr.pick_among(tier, ok))
    }

    /// HAProxy: backups only when no primary is usable (the first usable backup, or all of
    /// them with `option allbackups`); a map or a ring for the hashing algorithms.
    fn pick_haproxy(
        &self,
        st: &mut State,
        peers: &Peers,
        req: &PickRequest,
        ok: &dyn Fn(usize) -> bool,
    ) -> Option<usize> {
        let usable: Vec<bool> = peers
            .peers
            .iter()
            .map(|p| !p.down && p.is_check_up())
            .collect();
        let any_primary = self.primary.iter().any(|&i| usable[i]);
        let tier: Vec<usize> = if any_primary {
            self.primary.clone()
        } else if self.all_backups {
            self.backup.iter().copied().filter(|&i| usable[i]).collect()
        } else {
            self.backup
                .iter()
                .copied()
                .find(|&i| usable[i])
                .into_iter()
                .collect()
        };
        match &mut st.algo {
            Algo::StaticRr => {
                st.map.refresh(peers, usable, self.all_backups);
                st.map.rr(ok)
            }
            Algo::HaproxyHash { source } => {
                st.map.refresh(peers, usable, self.all_backups);
                let hash = self.haproxy_hash(*source, req);
                let hashed = hash.and_then(|h| st.map.hash(h)).filter(|&i| ok(i));
                hashed.or_else(|| st.map.rr(ok))
            }
            Algo::HaproxyChash { source, ring } => {
                let hash = self.haproxy_hash(*source, req);
                let all = self.all_backups;
                let hashed = hash
                    .and_then(|h| ring.hash(peers, usable.clone(), all, h, |i| !ok(i)))
                    .filter(|&i| ok(i));
                hashed.or_else(|| ring.next(peers, usable, all, ok))
            }
            Algo::First => first::pick(peers, &tier, ok),
            Algo::Fwrr(f) => {
                let usable = peers
                    .peers
                    .iter()
                    .enumerate()
                    .map(|(i, p)| usable[i] && p.weight > 0)
                    .collect();
                f.pick(
                    peers,
                    usable,
                    self.all_backups,
                    |i| !peers.peers[i].has_room(),
                    |i| !ok(i),
                )
            }
            Algo::Fwlc => fwlc::pick(peers, &tier, ok),
            Algo::LeastConn => least_conn::pick(&mut st.rr, peers, &tier, ok),
            Algo::Random { two } => random::pick(&self.rng, *two, peers, &tier, ok)
                .or_else(|| st.rr.pick_among(&tier, ok)),
            _ => st.rr.pick_among(&tier, ok),
        }
    }

    /// A failed attempt on peer `i`: nginx lowers its effective weight.
    pub fn failed(&self, peers: &Peers, i: usize) {
        if let Ok(mut st) = self.state.lock() {
            st.rr.failed(i, peers.peers[i].max_fails);
        }
    }

    /// Whether passive health applies to this pool's peers (nginx: not in a one-server pool).
    pub fn single(&self) -> bool {
        self.single
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::peers::Peer;

    fn peers(spec: &[(u32, bool)]) -> Peers {
        Peers {
            name: "p".into(),
            peers: spec
                .iter()
                .enumerate()
                .map(|(i, &(w, backup))| {
                    let mut p =
                        Peer::new(([127, 0, 0, 1], 1000 + i as u16).into(), i.to_string(), w);
                    p.backup = backup;
                    p
                })
                .collect(),
        }
    }

    fn req() -> PickRequest<'static> {
        PickRequest {
            client: IpAddr::from([10, 0, 0, 1]),
            key: None,
        }
    }

    #[test]
    fn backups_only_when_the_primaries_cannot() {
        let p = peers(&[(1, false), (1, false), (1, true)]);
        let b = Balancer::new(&Algorithm::RoundRobin, &p).unwrap();
        let picks: Vec<usize> = (0..4).map(|_| b.pick(&p, &req(), &[]).unwrap()).collect();
        assert_eq!(picks, [0, 1, 0, 1]);
        assert_eq!(b.pick(&p, &req(), &[true, true, false]), Some(2));
        let now = Instant::now();
        p.peers[0].failed(now);
        p.peers[1].failed(now);
        assert_eq!(b.pick(&p, &req(), &[]), Some(2), "both primaries failed");
        assert_eq!(b.pick(&p, &req(), &[false, false, true]), None);
    }

    #[test]
    fn down_servers_are_never_picked() {
        let mut p = peers(&[(1, false), (1, false)]);
        p.peers[0].down = true;
        let b = Balancer::new(&Algorithm::LeastConn, &p).unwrap();
        for _ in 0..4 {
            assert_eq!(b.pick(&p, &req(), &[]), Some(1));
        }
    }

    #[test]
    fn haproxy_backup_is_the_first_usable_one() {
        let p = peers(&[(1, false), (1, true), (1, true)]);
        let b = Balancer::with_flavor(&Algorithm::RoundRobin, &p, Flavor::Haproxy).unwrap();
        assert_eq!(b.pick(&p, &req(), &[]), Some(0));
        p.peers[0].set_check_up(false);
        for _ in 0..3 {
            assert_eq!(b.pick(&p, &req(), &[]), Some(1));
        }
    }

    #[test]
    fn haproxy_weight_zero_takes_no_traffic() {
        let p = peers(&[(0, false), (1, false)]);
        for algo in [
            Algorithm::RoundRobin,
            Algorithm::StaticRoundRobin,
            Algorithm::First,
        ] {
            let b = Balancer::with_flavor(&algo, &p, Flavor::Haproxy).unwrap();
            for _ in 0..3 {
                assert_eq!(b.pick(&p, &req(), &[]), Some(1), "{algo:?}");
            }
        }
    }

    #[test]
    fn refusals_name_what_is_missing() {
        let p = peers(&[(1, false), (1, false)]);
        let hash = |key: &str, consistent| Algorithm::Hash {
            key: key.into(),
            consistent,
        };
        assert!(Balancer::new(&hash("$upstream_addr", false), &p).is_err());
        assert!(Balancer::new(&hash("uri", true), &p).is_ok());
        assert!(Balancer::new(&hash("$request_uri", true), &p).is_ok());
        let sched = Algorithm::Scheduler {
            name: "lblc".into(),
        };
        assert!(Balancer::new(&sched, &p).unwrap_err().contains("lblc"));
    }
}
