//! Lowering the LVS side of keepalived: `virtual_server` with its real servers and checkers,
//! `virtual_server_group`, `static_ipaddress` and `static_routes`.

use super::keywords::{Ctx, Kind};
use super::lower::{At, Walker};
use super::lower_vrrp::{check_block, each, number, seconds};
use crate::ir::{
    Algorithm, CheckKind, Forwarding, HealthCheck, InterfaceAddress, Opaque, Protocol, RealServer,
    StaticRoute, VirtualService, VirtualServiceGroup,
};

fn forwarding(w: &mut Walker, at: &At) -> Option<Forwarding> {
    match at.arg(0) {
        Some("DR") => Some(Forwarding::Dr),
        Some("NAT") => Some(Forwarding::Nat),
        Some("TUN") => Some(Forwarding::Tun),
        _ => {
            w.bad_value(at, 0, "forwarding method (DR, NAT or TUN)");
            None
        }
    }
}

pub(super) fn virtual_server(w: &mut Walker, at: At) {
    // keepalived's default scheduler is wlc.
    let mut vs = VirtualService {
        protocol: Protocol::Tcp,
        scheduler: Algorithm::LeastConn,
        origin: at.full_origin(),
        ..Default::default()
    };
    match (at.arg(0), at.arg(1)) {
        (Some("fwmark"), _) => vs.fwmark = number(w, &at, 1, "firewall mark"),
        (Some("group"), Some(g)) => vs.group = Some(g.to_string()),
        (Some(addr), Some(_)) => {
            vs.address = Some(addr.to_string());
            vs.port = number(w, &at, 1, "port");
        }
        (Some(addr), None) => vs.address = Some(addr.to_string()),
        (None, _) => w.bad_value(&at, 0, "address"),
    }
    let mut opaque = Vec::new();
    each(w, &at, Ctx::VirtualServer, &mut opaque, &mut |w, c, _| {
        match c.name() {
            "lb_algo" | "lvs_sched" => {
                vs.scheduler = Algorithm::from_ipvs(c.arg(0).unwrap_or_default())
            }
            "lb_kind" | "lvs_method" => vs.forwarding = forwarding(w, &c),
            "protocol" => match c.arg(0) {
                Some("TCP") => vs.protocol = Protocol::Tcp,
                Some("UDP") => vs.protocol = Protocol::Udp,
                _ => return false,
            },
            "persistence_timeout" => vs.persistence = seconds(w, &c, 0),
            "persistence_granularity" => vs.persistence_netmask = c.arg(0).map(str::to_string),
            "delay_loop" => vs.delay_loop = seconds(w, &c, 0),
            "sorry_server" => {
                let mut rs = real_server_head(w, &c);
                rs.origin = c.origin();
                vs.sorry_server = Some(Box::new(rs));
            }
            "real_server" => {
                let rs = real_server(w, c);
                vs.real_servers.push(rs);
            }
            _ => return false,
        }
        true
    });
    vs.opaque = opaque;
    w.ir.virtual_services.push(vs);
}

fn real_server_head(w: &mut Walker, at: &At) -> RealServer {
    RealServer {
        address: at.arg(0).unwrap_or_default().to_string(),
        port: at.arg(1).and_then(|_| number(w, at, 1, "port")),
        origin: at.full_origin(),
        ..Default::default()
    }
}

fn real_server(w: &mut Walker, at: At) -> RealServer {
    let mut rs = real_server_head(w, &at);
    let mut opaque = Vec::new();
    each(w, &at, Ctx::RealServer, &mut opaque, &mut |w, c, kind| {
        match (c.name(), kind) {
            ("weight", _) => rs.weight = number(w, &c, 0, "weight"),
            ("uthreshold", _) => rs.upper_threshold = number(w, &c, 0, "connection count"),
            ("lthreshold", _) => rs.lower_threshold = number(w, &c, 0, "connection count"),
            ("lb_kind" | "lvs_method", _) => rs.forwarding = forwarding(w, &c),
            (name, Kind::Block(ctx)) if name.ends_with("_CHECK") || name.ends_with("_GET") => {
                let (checks, rest) = check(w, &c, ctx);
                rs.checks.extend(checks);
                if let Some(o) = rest {
                    rs.opaque.push(o);
                }
            }
            _ => return false,
        }
        true
    });
    rs.opaque.extend(opaque);
    rs
}

/// A checker block: its health checks (one per `url` for HTTP_GET/SSL_GET) and, when some of
/// its lines are not modelled, an opaque entry named after the checker holding them.
fn check(w: &mut Walker, at: &At, ctx: Ctx) -> (Vec<HealthCheck>, Option<Opaque>) {
    let name = at.name();
    let mut base = HealthCheck {
        kind: CheckKind::Tcp,
        origin: at.full_origin(),
        ..Default::default()
    };
    let mut urls: Vec<HealthCheck> = Vec::new();
    let mut script = None;
    let mut dns_name = None;
    let modelled = matches!(
        name,
        "TCP_CHECK" | "HTTP_GET" | "SSL_GET" | "MISC_CHECK" | "DNS_CHECK"
    );
    let mut rest = Vec::new();
    each(w, at, ctx, &mut rest, &mut |w, c, _| {
        if !modelled {
            return false;
        }
        match c.name() {
            "connect_timeout" | "misc_timeout" => base.timeout = seconds(w, &c, 0),
            "connect_port" => base.port = number(w, &c, 0, "port"),
            "delay_loop" => base.interval = seconds(w, &c, 0),
            // keepalived marks a server down after the first failure plus `retry` retries.
            "retry" | "nb_get_retry" => {
                base.fall = number::<u32>(w, &c, 0, "count").map(|n| n.saturating_add(1))
            }
            "misc_path" => script = Some(c.args().join(" ")),
            "name" if name == "DNS_CHECK" => dns_name = c.arg(0).map(str::to_string),
            "url" => {
                let mut path = String::new();
                let mut expect = Vec::new();
                let mut url_rest = Vec::new();
                each(w, &c, Ctx::Url, &mut url_rest, &mut |_, u, _| {
                    match u.name() {
                        "path" => path = u.arg(0).unwrap_or_default().to_string(),
                        "status_code" => expect.extend(u.args()),
                        _ => return false,
                    }
                    true
                });
                urls.push(HealthCheck {
                    kind: CheckKind::Http {
                        method: None,
                        path,
                        expect_status: expect,
                        tls: name == "SSL_GET",
                        version: None,
                        headers: Vec::new(),
                    },
                    origin: c.full_origin(),
                    ..Default::default()
                });
                return url_rest.is_empty();
            }
            _ => return false,
        }
        true
    });
    let checks = match name {
        "TCP_CHECK" => vec![base],
        "HTTP_GET" | "SSL_GET" => urls
            .into_iter()
            .map(|u| HealthCheck {
                kind: u.kind,
                origin: u.origin,
                ..base.clone()
            })
            .collect(),
        "MISC_CHECK" => script
            .map(|command| HealthCheck {
                kind: CheckKind::Script { command },
                ..base
            })
            .into_iter()
            .collect(),
        "DNS_CHECK" => vec![HealthCheck {
            kind: CheckKind::Dns {
                name: dns_name.unwrap_or_else(|| ".".into()),
            },
            ..base
        }],
        _ => Vec::new(),
    };
    let opaque = (!modelled || !rest.is_empty()).then(|| Opaque {
        name: name.to_string(),
        args: at.args(),
        children: rest,
        context: Some("checker".into()),
        block: true,
        origin: at.full_origin(),
    });
    (checks, opaque)
}

pub(super) fn group(w: &mut Walker, at: At) {
    let g = VirtualServiceGroup {
        name: at.arg(0).unwrap_or_default().to_string(),
        members: at
            .children()
            .map(|l| {
                std::iter::once(l.name().to_string())
                    .chain(l.args())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect(),
        origin: at.full_origin(),
    };
    w.ir.virtual_service_groups.push(g);
}

/// `static_ipaddress { ADDR[/LEN] [dev IF] [label L] … }`.
pub(super) fn static_addresses(w: &mut Walker, at: At) {
    for l in at.children() {
        let (address, prefix_len) = match l.name().split_once('/') {
            Some((a, p)) => (a.to_string(), p.parse().ok()),
            None => (l.name().to_string(), None),
        };
        let args = l.args();
        let after = |k: &str| {
            args.iter()
                .position(|a| a == k)
                .and_then(|i| args.get(i + 1).cloned())
        };
        w.ir.interface_addresses.push(InterfaceAddress {
            address,
            prefix_len,
            device: after("dev"),
            label: after("label"),
            options: rest(&args, &["dev", "label"]),
            origin: l.origin(),
        });
    }
}

/// The words of `args` other than `KEY VALUE` pairs whose key is in `keys`, in order.
fn rest(args: &[String], keys: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        if keys.contains(&args[i].as_str()) {
            i += 2;
        } else {
            out.push(args[i].clone());
            i += 1;
        }
    }
    out
}

/// `static_routes { DEST [via|gw GW] [dev IF] … }` (also `src ADDR DEST …`).
pub(super) fn static_routes(w: &mut Walker, at: At) {
    for l in at.children() {
        let mut words = vec![l.name().to_string()];
        words.extend(l.args());
        let after = |k: &[&str]| {
            words
                .iter()
                .position(|a| k.contains(&a.as_str()))
                .and_then(|i| words.get(i + 1).cloned())
        };
        let destination = if words[0] == "src" {
            words.get(2).cloned().unwrap_or_default()
        } else {
            words[0].clone()
        };
        // What is not the destination, `via`/`gw` or `dev` is kept verbatim (`src ADDR`,
        // `metric N`, `table T`, …).
        let skip_dest = if words[0] == "src" { 2 } else { 0 };
        let mut others: Vec<String> = words.clone();
        others.remove(skip_dest);
        let options = rest(&others, &["via", "gw", "dev"]);
        w.ir.static_routes.push(StaticRoute {
            destination,
            via: after(&["via", "gw"]),
            device: after(&["dev"]),
            options,
            origin: l.origin(),
        });
    }
    let _ = check_block;
}
