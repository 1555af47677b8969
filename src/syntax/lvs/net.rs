//! Addresses and the network commands of LVS scripts: `HOST[:PORT]` endpoints as ipvsadm reads
//! them, and what `ifconfig`, `ip addr`, `ip route`, `route`, `sysctl` and writes to
//! `/proc/sys` do to a host's addresses, routes and kernel settings.

use crate::ir::{InterfaceAddress, Origin, StaticRoute, Sysctl};

/// `HOST[:PORT]`: an IPv4 address, an IPv6 address (bracketed when a port follows) or a host
/// name, and a port number or service name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: Option<u16>,
}

/// Service names ipvsadm resolves through `/etc/services` (the common ones).
const SERVICES: &[(&str, u16)] = &[
    ("ftp-data", 20),
    ("ftp", 21),
    ("ssh", 22),
    ("telnet", 23),
    ("smtp", 25),
    ("domain", 53),
    ("http", 80),
    ("www", 80),
    ("kerberos", 88),
    ("pop3", 110),
    ("ntp", 123),
    ("imap", 143),
    ("imap2", 143),
    ("snmp", 161),
    ("ldap", 389),
    ("https", 443),
    ("microsoft-ds", 445),
    ("submissions", 465),
    ("syslog", 514),
    ("submission", 587),
    ("ldaps", 636),
    ("rsync", 873),
    ("imaps", 993),
    ("pop3s", 995),
    ("ms-sql-s", 1433),
    ("radius", 1812),
    ("nfs", 2049),
    ("squid", 3128),
    ("mysql", 3306),
    ("ms-wbt-server", 3389),
    ("sip", 5060),
    ("postgresql", 5432),
    ("x11", 6000),
    ("redis", 6379),
    ("http-alt", 8080),
    ("webcache", 8080),
];

/// A port number or a service name.
pub fn parse_port(s: &str) -> Result<u16, String> {
    if s.chars().all(|c| c.is_ascii_digit()) && !s.is_empty() {
        return s
            .parse::<u16>()
            .map_err(|_| format!("port `{s}` is out of range (0-65535)"));
    }
    SERVICES
        .iter()
        .find(|(n, _)| *n == s)
        .map(|(_, p)| *p)
        .ok_or_else(|| format!("unknown port name `{s}`"))
}

/// Checks a host: a valid IPv4 address if it looks like one, a host name otherwise.
fn check_host(h: &str) -> Result<(), String> {
    if h.is_empty() {
        return Err("the address is empty".into());
    }
    if h.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return h
            .parse::<std::net::Ipv4Addr>()
            .map(|_| ())
            .map_err(|_| format!("`{h}` is not an IPv4 address"));
    }
    if h.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    {
        Ok(())
    } else {
        Err(format!("`{h}` is neither an address nor a host name"))
    }
}

/// Parses `HOST[:PORT]` as ipvsadm's `parse_service` does.
pub fn parse_endpoint(s: &str) -> Result<Endpoint, String> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| "`[` without its `]`".to_string())?;
        host.parse::<std::net::Ipv6Addr>()
            .map_err(|_| format!("`{host}` is not an IPv6 address"))?;
        let port = match after {
            "" => None,
            p => Some(parse_port(
                p.strip_prefix(':')
                    .ok_or_else(|| format!("unexpected `{p}` after `]`"))?,
            )?),
        };
        return Ok(Endpoint {
            host: host.to_string(),
            port,
        });
    }
    if s.matches(':').count() >= 2 {
        s.parse::<std::net::Ipv6Addr>()
            .map_err(|_| format!("`{s}` is not an IPv6 address"))?;
        return Ok(Endpoint {
            host: s.to_string(),
            port: None,
        });
    }
    let (host, port) = match s.split_once(':') {
        Some((h, p)) => (h, Some(parse_port(p)?)),
        None => (s, None),
    };
    check_host(host)?;
    Ok(Endpoint {
        host: host.to_string(),
        port,
    })
}

/// What a network command does to the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    AddAddress(InterfaceAddress),
    /// Removes the addresses of a device (or label), or one address.
    DelAddress {
        device: String,
        address: Option<String>,
    },
    AddRoute(StaticRoute),
    DelRoute(String),
    Sysctl(Sysctl),
}

fn mask_len(mask: &str) -> Option<u8> {
    let m: std::net::Ipv4Addr = mask.parse().ok()?;
    let bits = u32::from(m);
    (bits.leading_ones() + bits.trailing_zeros() == 32).then_some(bits.leading_ones() as u8)
}

/// Splits `addr/len`.
fn cidr(s: &str) -> (String, Option<u8>) {
    match s.split_once('/') {
        Some((a, l)) => (a.to_string(), l.parse().ok()),
        None => (s.to_string(), None),
    }
}

/// `eth0:1` → device `eth0`, label `eth0:1`.
fn device_label(dev: &str) -> (String, Option<String>) {
    match dev.split_once(':') {
        Some((d, _)) => (d.to_string(), Some(dev.to_string())),
        None => (dev.to_string(), None),
    }
}

/// `ifconfig DEV[:N] ADDR [netmask M] [broadcast B] [up]`, `ifconfig DEV down`.
pub fn ifconfig(args: &[String], origin: Origin) -> Option<Effect> {
    let dev = args.first()?;
    let rest = &args[1..];
    if rest.iter().any(|a| a == "down") && !rest.iter().any(|a| a.contains('.')) {
        return Some(Effect::DelAddress {
            device: dev.clone(),
            address: None,
        });
    }
    let addr = rest
        .first()
        .filter(|a| a.chars().next().is_some_and(|c| c.is_ascii_hexdigit()))?;
    let (address, mut prefix_len) = cidr(addr);
    if let Some(i) = rest.iter().position(|a| a == "netmask") {
        prefix_len = rest.get(i + 1).and_then(|m| mask_len(m)).or(prefix_len);
    }
    let (device, label) = device_label(dev);
    // `broadcast B` and the like are kept verbatim; `netmask` became the prefix length and
    // `up` is what adding the address means.
    let words: Vec<&str> = rest[1..]
        .iter()
        .map(String::as_str)
        .filter(|w| *w != "up")
        .collect();
    let options = other_params(&words, &["netmask"]);
    Some(Effect::AddAddress(InterfaceAddress {
        address,
        prefix_len,
        device: Some(device),
        label,
        options,
        origin,
    }))
}

/// `ip [-4|-6] addr|address add|del ADDR[/LEN] dev DEV [label L]`, `ip route add|del …`.
pub fn ip(args: &[String], origin: Origin) -> Option<Effect> {
    let args: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !matches!(*a, "-4" | "-6"))
        .collect();
    let object = *args.first()?;
    let verb = *args.get(1)?;
    let rest = &args[2..];
    let after = |k: &str| {
        rest.iter()
            .position(|a| *a == k)
            .and_then(|i| rest.get(i + 1))
            .map(|s| s.to_string())
    };
    if "address".starts_with(object) && object.starts_with('a') {
        let (address, prefix_len) = cidr(rest.first()?);
        let dev = after("dev")?;
        return match verb {
            "add" | "replace" | "change" => {
                let (device, mut label) = device_label(&dev);
                if let Some(l) = after("label") {
                    label = Some(l);
                }
                Some(Effect::AddAddress(InterfaceAddress {
                    address,
                    prefix_len,
                    device: Some(device),
                    label,
                    options: other_params(&rest[1..], &["dev", "label"]),
                    origin,
                }))
            }
            "del" | "delete" => Some(Effect::DelAddress {
                device: dev,
                address: Some(address),
            }),
            _ => None,
        };
    }
    if "route".starts_with(object) && object.starts_with('r') {
        let destination = rest.first()?.to_string();
        return match verb {
            "add" | "replace" | "append" => Some(Effect::AddRoute(StaticRoute {
                destination,
                via: after("via"),
                device: after("dev"),
                // Other parameters (`metric 10`, `table 100`, `src A`) are kept verbatim.
                options: other_params(&rest[1..], &["via", "dev"]),
                origin,
            })),
            "del" | "delete" => Some(Effect::DelRoute(destination)),
            _ => None,
        };
    }
    None
}

/// The words of `args` other than the `KEY VALUE` pairs of `keys`.
fn other_params(args: &[&str], keys: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        if keys.contains(&args[i]) {
            i += 2;
        } else {
            out.push(args[i].to_string());
            i += 1;
        }
    }
    out
}

/// `route add|del [-host|-net] DEST [netmask M] [gw G] [dev] DEV`.
pub fn route(args: &[String], origin: Origin) -> Option<Effect> {
    let verb = args.first()?.as_str();
    let mut dest = None;
    let (mut via, mut device, mut mask) = (None, None, None);
    let mut options = Vec::new();
    let mut host = false;
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "-host" => host = true,
            "-net" => {}
            "netmask" | "gw" | "dev" | "metric" => {
                let v = args.get(i + 1).cloned();
                match args[i].as_str() {
                    "netmask" => mask = v,
                    "gw" => via = v,
                    "dev" => device = v,
                    _ => options.extend([args[i].clone()].into_iter().chain(v)),
                }
                i += 1;
            }
            a if dest.is_none() => dest = Some(a.to_string()),
            a if device.is_none() => device = Some(a.to_string()),
            _ => {}
        }
        i += 1;
    }
    let mut destination = dest?;
    if destination == "default" {
        destination = "0.0.0.0/0".into();
    } else if !destination.contains('/') {
        if let Some(len) = mask.as_deref().and_then(mask_len) {
            destination = format!("{destination}/{len}");
        } else if host {
            destination = format!("{destination}/32");
        }
    }
    match verb {
        "add" => Some(Effect::AddRoute(StaticRoute {
            destination,
            via,
            device,
            options,
            origin,
        })),
        "del" | "delete" => Some(Effect::DelRoute(destination)),
        _ => None,
    }
}

/// `sysctl [-q] -w KEY=VALUE …` (also without `-w`); `sysctl -p` reads a file and is not
/// modelled.
pub fn sysctl(args: &[String], origin: Origin) -> Vec<Effect> {
    args.iter()
        .filter(|a| !a.starts_with('-'))
        .filter_map(|a| a.split_once('='))
        .map(|(k, v)| {
            Effect::Sysctl(Sysctl {
                key: k.trim().replace('/', "."),
                value: v.trim().to_string(),
                origin,
            })
        })
        .collect()
}

/// The sysctl key of a `/proc/sys/…` path (`/proc/sys/net/ipv4/ip_forward` →
/// `net.ipv4.ip_forward`).
pub fn proc_sys_key(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/proc/sys/")?;
    (!rest.is_empty()).then(|| rest.trim_end_matches('/').replace('/', "."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        let ep = |h: &str, p: Option<u16>| {
            Ok(Endpoint {
                host: h.into(),
                port: p,
            })
        };
        assert_eq!(parse_endpoint("10.0.0.1:80"), ep("10.0.0.1", Some(80)));
        assert_eq!(parse_endpoint("10.0.0.1"), ep("10.0.0.1", None));
        assert_eq!(parse_endpoint("[::1]:80"), ep("::1", Some(80)));
        assert_eq!(parse_endpoint("2001::3"), ep("2001::3", None));
        assert_eq!(parse_endpoint("localhost:http"), ep("localhost", Some(80)));
        assert!(parse_endpoint("10.0.0.300:80").is_err());
        assert!(parse_endpoint("10.0.0.1:70000").is_err());
        assert!(parse_endpoint("[::1:80").is_err());
        assert!(parse_endpoint("10.0.0.1:nosuchport").is_err());
    }

    #[test]
    fn network_commands() {
        let o = Origin::default();
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let Some(Effect::AddAddress(a)) = ifconfig(
            &s(&[
                "lo:0",
                "10.0.0.9",
                "broadcast",
                "10.0.0.9",
                "netmask",
                "255.255.255.255",
                "up",
            ]),
            o,
        ) else {
            panic!()
        };
        assert_eq!(
            (
                a.address.as_str(),
                a.prefix_len,
                a.device.as_deref(),
                a.label.as_deref()
            ),
            ("10.0.0.9", Some(32), Some("lo"), Some("lo:0"))
        );
        let Some(Effect::AddRoute(r)) = route(&s(&["add", "-host", "10.0.0.9", "dev", "lo:0"]), o)
        else {
            panic!()
        };
        assert_eq!(
            (r.destination.as_str(), r.device.as_deref()),
            ("10.0.0.9/32", Some("lo:0"))
        );
        let Some(Effect::AddAddress(a)) = ip(&s(&["addr", "add", "10.0.0.9/32", "dev", "lo"]), o)
        else {
            panic!()
        };
        assert_eq!(a.prefix_len, Some(32));
        assert_eq!(
            proc_sys_key("/proc/sys/net/ipv4/conf/lo/arp_ignore").as_deref(),
            Some("net.ipv4.conf.lo.arp_ignore")
        );
        assert_eq!(sysctl(&s(&["-qw", "net.ipv4.ip_forward=1"]), o).len(), 1);
    }
}
