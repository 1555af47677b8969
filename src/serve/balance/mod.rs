//! Server selection for `lbc serve`: one algorithm per file, all behind [`Balancer`], which
//! HTTP pools and L4 services share. A request (or connection) asks for a peer with what the
//! algorithms may key on ([`PickRequest`]) and the peers it already tried.

mod round_robin;

use std::net::IpAddr;
use std::sync::Mutex;

pub use round_robin::RoundRobin;

use super::peers::Peers;
use crate::ir::Algorithm;

/// What a request offers the algorithms to key on.
#[derive(Debug, Clone, Copy)]
pub struct PickRequest<'a> {
    pub client: IpAddr,
    /// The rendered hash key (nginx `hash KEY`, HAProxy `uri`/`url_param`/`hdr()`), if any.
    pub key: Option<&'a [u8]>,
}

/// The balancing state of one pool.
#[derive(Debug)]
pub enum Balancer {
    RoundRobin(Mutex<RoundRobin>),
}

impl Balancer {
    /// The balancer for `algorithm` over `peers`; `Err` names what the runtime cannot do.
    pub fn new(algorithm: &Algorithm, peers: &Peers) -> Result<Balancer, String> {
        let weights: Vec<u32> = peers.peers.iter().map(|p| p.weight).collect();
        match algorithm {
            Algorithm::RoundRobin => {
                Ok(Balancer::RoundRobin(Mutex::new(RoundRobin::new(&weights))))
            }
            other => Err(format!("the balancing algorithm `{}`", other.name())),
        }
    }

    /// The next peer for `req` among those not in `tried`; `None` when none can take it.
    pub fn pick(&self, _peers: &Peers, _req: &PickRequest, tried: &[bool]) -> Option<usize> {
        match self {
            Balancer::RoundRobin(rr) => rr.lock().ok()?.pick_untried(tried),
        }
    }
}
