//! nginx's `resolver` for `proxy_pass` URLs with variables: a name that is neither an
//! `upstream` block nor an address is resolved when a request needs it — by the system's
//! resolver (`/etc/resolv.conf`; in a container, usually the very address the configuration
//! names, such as Docker's 127.0.0.11) — within `resolver_timeout`, and its addresses are
//! kept for `valid=` (nginx: the answer's TTL; lbc: 30 s when not given) and used in turn
//! (round-robin, connections kept as for an address).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::support::Findings;
use crate::ir::{Duration as IrDuration, Settings};

/// How long resolved addresses are kept without `valid=`.
const VALID: Duration = Duration::from_secs(30);
/// nginx's default `resolver_timeout`.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The `resolver` of a location.
#[derive(Debug)]
pub struct Resolver {
    /// How long a name's addresses are used before it is asked again.
    pub valid: Duration,
    timeout: Duration,
    ipv6: bool,
}

/// The innermost `resolver` and `resolver_timeout` of `chain`; a warning says which resolver
/// answers.
pub fn compile(chain: &[&Settings], f: &mut Findings) -> Option<Arc<Resolver>> {
    let innermost = |name: &str| {
        chain
            .iter()
            .rev()
            .find_map(|s| s.opaque.iter().rev().find(|o| o.name == name))
    };
    let o = innermost("resolver")?;
    let mut r = Resolver {
        valid: VALID,
        timeout: TIMEOUT,
        ipv6: true,
    };
    for a in &o.args {
        if let Some(v) = a.strip_prefix("valid=") {
            match IrDuration::parse_nginx(v, 1000) {
                Some(d) => r.valid = Duration::from_millis(d.0),
                None => f.refuse(o.origin, format!("`resolver … {a}`")),
            }
        } else if let Some(v) = a.strip_prefix("ipv6=") {
            r.ipv6 = v != "off";
        } else if a.starts_with("ipv4=") || a.starts_with("status_zone=") {
            // ipv4=off (1.23.1+) and the zone change nothing lbc resolves here.
        }
    }
    if let Some(t) = innermost("resolver_timeout") {
        match t
            .args
            .first()
            .and_then(|v| IrDuration::parse_nginx(v, 1000))
        {
            Some(d) => r.timeout = Duration::from_millis(d.0),
            None => f.refuse(t.origin, format!("`resolver_timeout {}`", t.args.join(" "))),
        }
    }
    f.ignore(
        o.origin,
        "the addresses of `resolver` (names are asked of the system's resolver, /etc/resolv.conf)",
    );
    Some(Arc::new(r))
}

impl Resolver {
    /// The addresses of `host` at `port` (`Err` with nginx's 502 when it has none or the
    /// resolver does not answer in time).
    pub async fn lookup(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, u16> {
        let found = tokio::time::timeout(self.timeout, tokio::net::lookup_host((host, port))).await;
        let addrs: Vec<SocketAddr> = match found {
            Ok(Ok(a)) => a.filter(|a| self.ipv6 || a.is_ipv4()).collect(),
            Ok(Err(e)) => {
                eprintln!("lbc serve: {host} could not be resolved ({e})");
                return Err(502);
            }
            Err(_) => {
                eprintln!("lbc serve: {host} could not be resolved (timed out)");
                return Err(502);
            }
        };
        if addrs.is_empty() {
            eprintln!("lbc serve: {host} could not be resolved (no address)");
            return Err(502);
        }
        Ok(addrs)
    }
}

/// What a location has resolved: a target per name and port, until its `valid` time.
pub struct Resolved<T>(Mutex<HashMap<String, (Instant, Arc<T>)>>);

impl<T> Default for Resolved<T> {
    fn default() -> Self {
        Resolved(Mutex::default())
    }
}

impl<T> Resolved<T> {
    pub fn get(&self, key: &str) -> Option<Arc<T>> {
        let now = Instant::now();
        let cache = self.0.lock().ok()?;
        let (until, t) = cache.get(key)?;
        (*until > now).then(|| t.clone())
    }

    pub fn put(&self, key: String, t: Arc<T>, valid: Duration) {
        let now = Instant::now();
        if let Ok(mut cache) = self.0.lock() {
            cache.retain(|_, (until, _)| *until > now);
            cache.insert(key, (now + valid, t));
        }
    }
}
