//! `set_real_ip_from` / `real_ip_header` / `real_ip_recursive`: when a request comes from a
//! trusted address, the client address (`$remote_addr`, `allow`/`deny`, limit keys, the access
//! log, `X-Forwarded-For` to upstreams) is taken from a header, as nginx's realip module does.

use std::net::{IpAddr, SocketAddr};

use hyper::header::HeaderMap;

use super::access::{contains, net};
use super::support::Findings;
use crate::ir::Settings;

/// The directives this module reads.
pub const DIRECTIVES: &[&str] = &["set_real_ip_from", "real_ip_header", "real_ip_recursive"];

/// The realip settings of a server.
#[derive(Debug, Clone, Default)]
pub struct RealIp {
    trusted: Vec<(IpAddr, u8)>,
    /// The header, lowercased; `x-real-ip` by default.
    header: String,
    recursive: bool,
}

impl RealIp {
    /// The settings of the http and server levels; `None` when no `set_real_ip_from` is set.
    /// The directives at a location level are refused (the address is decided once, before
    /// the location).
    pub fn compile(
        chain: &[&Settings],
        location: Option<&Settings>,
        f: &mut Findings,
    ) -> Option<RealIp> {
        if let Some(l) = location {
            for o in l
                .opaque
                .iter()
                .filter(|o| DIRECTIVES.contains(&o.name.as_str()))
            {
                f.refuse(o.origin, format!("`{}` in a location", o.name));
            }
        }
        let of = |name: &str| super::content::innermost(chain, name);
        let mut trusted = Vec::new();
        for o in of("set_real_ip_from") {
            match o.args.first().and_then(|a| net(a)) {
                Some(n) => trusted.push(n),
                None => f.refuse(
                    o.origin,
                    "this `set_real_ip_from` (addresses and CIDRs only)",
                ),
            }
        }
        let header = match of("real_ip_header").last() {
            None => "x-real-ip".to_string(),
            Some(o) => match o.args.first() {
                Some(h) if h != "proxy_protocol" => h.to_ascii_lowercase(),
                _ => {
                    f.refuse(o.origin, "this `real_ip_header`");
                    "x-real-ip".to_string()
                }
            },
        };
        let recursive = of("real_ip_recursive")
            .last()
            .is_some_and(|o| o.args.first().map(String::as_str) == Some("on"));
        (!trusted.is_empty()).then_some(RealIp {
            trusted,
            header,
            recursive,
        })
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|&(n, bits)| contains(n, bits, ip))
    }

    /// The client address for a request that came from `peer`.
    pub fn client(&self, peer: SocketAddr, headers: &HeaderMap) -> SocketAddr {
        if !self.is_trusted(peer.ip()) {
            return peer;
        }
        let values: Vec<&str> = headers
            .get_all(self.header.as_str())
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if values.is_empty() {
            return peer;
        }
        let found = if self.header == "x-forwarded-for" {
            // nginx walks the list from the right: without recursion the last address; with
            // it, the first one (from the right) that is not trusted.
            let list: Vec<&str> = values
                .iter()
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .collect();
            let mut chosen = None;
            for a in list.iter().rev() {
                let Ok(ip) = a.parse::<IpAddr>() else {
                    break;
                };
                chosen = Some(ip);
                if !self.recursive || !self.is_trusted(ip) {
                    break;
                }
            }
            chosen
        } else {
            values.last().and_then(|v| v.trim().parse::<IpAddr>().ok())
        };
        match found {
            Some(ip) => SocketAddr::new(ip, 0),
            None => peer,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_from_the_right() {
        let r = RealIp {
            trusted: vec![net("127.0.0.1").unwrap(), net("10.0.0.0/8").unwrap()],
            header: "x-forwarded-for".into(),
            recursive: false,
        };
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "1.2.3.4, 10.0.0.2".parse().unwrap());
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        assert_eq!(r.client(peer, &h).ip().to_string(), "10.0.0.2");
        let r = RealIp {
            recursive: true,
            ..r
        };
        assert_eq!(r.client(peer, &h).ip().to_string(), "1.2.3.4");
        let stranger: SocketAddr = "192.0.2.1:5000".parse().unwrap();
        assert_eq!(r.client(stranger, &h), stranger);
    }
}
