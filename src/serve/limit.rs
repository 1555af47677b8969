//! `limit_req` and `limit_conn` with nginx's semantics: request-rate zones are leaky buckets
//! kept in milli-requests (`excess`), with `burst`, `nodelay` and `delay=`; connection zones count
//! the requests in flight per key. A rejected request changes no state. Both answer 503 unless
//! `limit_req_status`/`limit_conn_status` say otherwise.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::support::Findings;
use crate::ir::Origin;

/// What a zone key is made of.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    /// `$binary_remote_addr`: the address bytes.
    BinaryRemoteAddr,
    /// `$remote_addr`: the address text.
    RemoteAddr,
    /// `$server_name`: the first name of the server.
    ServerName,
    /// `$host`.
    Host,
    /// `$uri`.
    Uri,
    /// `$request_uri`.
    RequestUri,
}

/// What keys are computed from.
pub struct KeyInput<'a> {
    pub client: IpAddr,
    pub server_name: &'a str,
    pub host: &'a str,
    pub uri: &'a str,
    pub request_uri: &'a str,
}

impl Key {
    /// The key of a `limit_*_zone`; `None` names an unsupported variable.
    pub fn parse(text: &str) -> Option<Key> {
        Some(match text {
            "$binary_remote_addr" => Key::BinaryRemoteAddr,
            "$remote_addr" => Key::RemoteAddr,
            "$server_name" => Key::ServerName,
            "$host" => Key::Host,
            "$uri" => Key::Uri,
            "$request_uri" => Key::RequestUri,
            _ => return None,
        })
    }

    fn render(&self, k: &KeyInput) -> Vec<u8> {
        match self {
            Key::BinaryRemoteAddr => match k.client {
                IpAddr::V4(a) => a.octets().to_vec(),
                IpAddr::V6(a) => a.octets().to_vec(),
            },
            Key::RemoteAddr => k.client.to_string().into_bytes(),
            Key::ServerName => k.server_name.as_bytes().to_vec(),
            Key::Host => k.host.as_bytes().to_vec(),
            Key::Uri => k.uri.as_bytes().to_vec(),
            Key::RequestUri => k.request_uri.as_bytes().to_vec(),
        }
    }
}

/// A `limit_req_zone`.
pub struct RateZone {
    pub name: String,
    key: Key,
    /// Requests per 1000 seconds, as nginx keeps `rate`.
    rate: u64,
    nodes: Mutex<HashMap<Vec<u8>, Bucket>>,
    epoch: Instant,
}

#[derive(Clone, Copy)]
struct Bucket {
    /// Milli-requests above the rate.
    excess: u64,
    /// Milliseconds since the zone's epoch.
    last: u64,
}

impl RateZone {
    pub fn new(name: &str, key: Key, rate_per_second: f64) -> RateZone {
        RateZone {
            name: name.to_string(),
            key,
            rate: (rate_per_second * 1000.0).round().max(1.0) as u64,
            nodes: Mutex::new(HashMap::new()),
            epoch: Instant::now(),
        }
    }
}

/// A `limit_conn_zone`.
pub struct ConnZone {
    pub name: String,
    key: Key,
    counts: Mutex<HashMap<Vec<u8>, u32>>,
}

impl ConnZone {
    pub fn new(name: &str, key: Key) -> ConnZone {
        ConnZone {
            name: name.to_string(),
            key,
            counts: Mutex::new(HashMap::new()),
        }
    }
}

/// `limit_req zone=… [burst=N] [nodelay | delay=N]`.
#[derive(Clone)]
pub struct RateLimit {
    pub zone: Arc<RateZone>,
    /// In milli-requests.
    burst: u64,
    /// Excess (milli-requests) served without delay.
    delay: u64,
}

impl RateLimit {
    pub fn new(zone: Arc<RateZone>, burst: u32, nodelay: bool, delay: Option<u32>) -> RateLimit {
        let delay = if nodelay {
            u64::MAX
        } else {
            u64::from(delay.unwrap_or(0)) * 1000
        };
        RateLimit {
            zone,
            burst: u64::from(burst) * 1000,
            delay,
        }
    }
}

/// `limit_conn ZONE N`.
#[derive(Clone)]
pub struct ConnLimit {
    pub zone: Arc<ConnZone>,
    pub limit: u32,
}

/// The verdict of the rate limits of one request.
pub enum RateVerdict {
    Pass,
    /// Pass after this delay (the excess above `delay=`).
    Delay(Duration),
    Reject,
}

/// Checks every limit; accounts in all of them only when none rejects.
pub fn check_rate(limits: &[RateLimit], k: &KeyInput) -> RateVerdict {
    let mut pending = Vec::new();
    for l in limits {
        let key = l.zone.key.render(k);
        if key.is_empty() || key.len() > 65535 {
            continue;
        }
        let now = l.zone.epoch.elapsed().as_millis() as u64;
        let nodes = match l.zone.nodes.lock() {
            Ok(n) => n,
            Err(p) => p.into_inner(),
        };
        let next = match nodes.get(&key) {
            None => Bucket {
                excess: 0,
                last: now,
            },
            Some(b) => {
                let ms = now.saturating_sub(b.last);
                let leaked = l.zone.rate.saturating_mul(ms) / 1000;
                let excess = (b.excess + 1000).saturating_sub(leaked);
                if excess > l.burst {
                    return RateVerdict::Reject;
                }
                Bucket {
                    excess,
                    last: if ms > 0 { now } else { b.last },
                }
            }
        };
        pending.push((l, key, next));
    }
    let mut delay = 0u64;
    for (l, key, next) in pending {
        let mut nodes = match l.zone.nodes.lock() {
            Ok(n) => n,
            Err(p) => p.into_inner(),
        };
        nodes.insert(key, next);
        // Buckets that have leaked empty are the same as absent ones: drop them now and then
        // so the table stays small (nginx expires them from its LRU queue).
        if nodes.len() > 1024 && nodes.len() % 256 == 0 {
            let rate = l.zone.rate;
            let now = l.zone.epoch.elapsed().as_millis() as u64;
            nodes.retain(|_, b| b.excess > rate.saturating_mul(now.saturating_sub(b.last)) / 1000);
        }
        if next.excess > l.delay {
            delay = delay.max((next.excess - l.delay).saturating_mul(1000) / l.zone.rate);
        }
    }
    if delay > 0 {
        RateVerdict::Delay(Duration::from_millis(delay))
    } else {
        RateVerdict::Pass
    }
}

/// Holds one slot of each `limit_conn` until dropped (when the response body is done).
pub struct ConnSlots(Vec<(Arc<ConnZone>, Vec<u8>)>);

impl Drop for ConnSlots {
    fn drop(&mut self) {
        for (zone, key) in &self.0 {
            let mut counts = match zone.counts.lock() {
                Ok(c) => c,
                Err(p) => p.into_inner(),
            };
            if let Some(n) = counts.get_mut(key) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    counts.remove(key);
                }
            }
        }
    }
}

/// Takes a slot in every limit, or `None` (nothing taken) when one is full.
pub fn acquire_conn(limits: &[ConnLimit], k: &KeyInput) -> Option<ConnSlots> {
    let mut slots = ConnSlots(Vec::new());
    for l in limits {
        let key = l.zone.key.render(k);
        if key.is_empty() || key.len() > 255 {
            continue;
        }
        let mut counts = match l.zone.counts.lock() {
            Ok(c) => c,
            Err(p) => p.into_inner(),
        };
        let n = counts.entry(key.clone()).or_insert(0);
        if *n >= l.limit {
            if *n == 0 {
                counts.remove(&key);
            }
            // Dropping `slots` releases what was taken so far.
            return None;
        }
        *n += 1;
        drop(counts);
        slots.0.push((l.zone.clone(), key));
    }
    Some(slots)
}

/// The zones of a plan, by name.
#[derive(Default)]
pub struct Zones {
    pub rate: HashMap<String, Arc<RateZone>>,
    pub conn: HashMap<String, Arc<ConnZone>>,
}

impl Zones {
    /// Adds a zone; a key made of other variables is refused.
    pub fn add_rate(&mut self, name: &str, key: &str, rate: f64, origin: Origin, f: &mut Findings) {
        match Key::parse(key) {
            Some(k) => {
                self.rate
                    .insert(name.to_string(), Arc::new(RateZone::new(name, k, rate)));
            }
            None => f.refuse(origin, format!("the zone key `{key}`")),
        }
    }

    pub fn add_conn(&mut self, name: &str, key: &str, origin: Origin, f: &mut Findings) {
        match Key::parse(key) {
            Some(k) => {
                self.conn
                    .insert(name.to_string(), Arc::new(ConnZone::new(name, k)));
            }
            None => f.refuse(origin, format!("the zone key `{key}`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> KeyInput<'static> {
        KeyInput {
            client: "127.0.0.1".parse().unwrap(),
            server_name: "",
            host: "",
            uri: "/",
            request_uri: "/",
        }
    }

    #[test]
    fn a_quick_burst_passes_burst_plus_one() {
        let zone = Arc::new(RateZone::new("one", Key::BinaryRemoteAddr, 1.0));
        let limits = [RateLimit::new(zone, 3, true, None)];
        let passed = (0..10)
            .filter(|_| !matches!(check_rate(&limits, &input()), RateVerdict::Reject))
            .count();
        assert_eq!(passed, 4);
    }

    #[test]
    fn connection_slots_are_released() {
        let zone = Arc::new(ConnZone::new("c", Key::BinaryRemoteAddr));
        let limits = [ConnLimit { zone, limit: 1 }];
        let first = acquire_conn(&limits, &input());
        assert!(first.is_some());
        assert!(acquire_conn(&limits, &input()).is_none());
        drop(first);
        assert!(acquire_conn(&limits, &input()).is_some());
    }
}
