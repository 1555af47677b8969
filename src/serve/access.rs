//! `allow`/`deny`: the first rule whose address or CIDR holds the client decides; 403 when it
//! denies; no rule matching allows, as in nginx's access module.

use std::net::IpAddr;

use super::support::Findings;
use crate::ir::AccessRule;

/// One compiled rule.
#[derive(Debug, Clone)]
struct Rule {
    allow: bool,
    /// `None` for `all`.
    net: Option<(IpAddr, u8)>,
}

/// The rules of one scope, in order.
#[derive(Debug, Clone, Default)]
pub struct Rules(Vec<Rule>);

impl Rules {
    pub fn compile(rules: &[AccessRule], f: &mut Findings) -> Rules {
        let mut out = Vec::new();
        for r in rules {
            match parse(&r.source) {
                Some(net) => out.push(Rule {
                    allow: r.allow,
                    net,
                }),
                None => f.refuse(
                    r.origin,
                    format!("the `allow`/`deny` source `{}`", r.source),
                ),
            }
        }
        Rules(out)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `client` may pass.
    pub fn allows(&self, client: IpAddr) -> bool {
        let client = match client {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(client),
            v4 => v4,
        };
        for r in &self.0 {
            let hit = match r.net {
                None => true,
                Some((net, bits)) => contains(net, bits, client),
            };
            if hit {
                return r.allow;
            }
        }
        true
    }
}

/// `all`, an address, or `address/bits`.
fn parse(source: &str) -> Option<Option<(IpAddr, u8)>> {
    if source == "all" {
        return Some(None);
    }
    net(source).map(Some)
}

/// An address or `address/bits` (nginx's `allow`, `deny`, `set_real_ip_from`).
pub(super) fn net(text: &str) -> Option<(IpAddr, u8)> {
    let (addr, bits) = match text.split_once('/') {
        Some((a, b)) => (a, Some(b.parse::<u8>().ok()?)),
        None => (text, None),
    };
    let ip: IpAddr = addr.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let bits = bits.unwrap_or(max);
    (bits <= max).then_some((ip, bits))
}

/// Whether `ip` is in the network `net/bits` (never across address families).
pub(super) fn contains(net: IpAddr, bits: u8, ip: IpAddr) -> bool {
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(list: &[(bool, &str)]) -> Rules {
        let mut f = Findings::default();
        let ir: Vec<AccessRule> = list
            .iter()
            .map(|(allow, s)| AccessRule {
                allow: *allow,
                source: s.to_string(),
                origin: Default::default(),
            })
            .collect();
        let r = Rules::compile(&ir, &mut f);
        assert!(!f.has_errors());
        r
    }

    #[test]
    fn first_match_decides() {
        let r = rules(&[
            (false, "192.168.1.1"),
            (true, "192.168.1.0/24"),
            (false, "all"),
        ]);
        assert!(!r.allows("192.168.1.1".parse().unwrap()));
        assert!(r.allows("192.168.1.7".parse().unwrap()));
        assert!(!r.allows("10.0.0.1".parse().unwrap()));
        assert!(!r.allows("::1".parse().unwrap()));
        assert!(rules(&[]).allows("10.0.0.1".parse().unwrap()));
        let r = rules(&[(true, "0.0.0.0/0"), (false, "all")]);
        assert!(r.allows("127.0.0.1".parse().unwrap()));
    }
}
