//! keepalived `virtual_server`s and LVS virtual services as L4 services: the VIP (which must
//! be an address of this host) is where the balancer listens; real servers, their checkers,
//! `sorry_server`, `quorum`/`hysteresis` and persistence become the service's [`Target`];
//! every forwarding method is served as a proxy.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use super::knobs::dur;
use super::plan::{balancer, resolve};
use super::select::{Persistence, Target};
use super::{L4Service, Retry, Route};
use crate::ir::{Opaque, Protocol, RealServer, VirtualService};
use crate::serve::health::{self, KeepalivedTiming, PeerChecks};
use crate::serve::peers::{Peer, Peers};
use crate::serve::plan::UpstreamPool;
use crate::serve::support::Findings;

/// IPVS's default timeouts: established TCP 900s, UDP 300s.
const IPVS_TCP_IDLE: Duration = Duration::from_secs(900);
pub const IPVS_UDP_IDLE: Duration = Duration::from_secs(300);
const IPVS_CONNECT: Duration = Duration::from_secs(60);

/// keepalived / IPVS knobs written as opaque lines.
#[derive(Default)]
struct VsKnobs {
    quorum: Option<u64>,
    hysteresis: u64,
    alpha: bool,
    retry: Option<u32>,
    delay_before_retry: Option<Duration>,
    connect_timeout: Option<Duration>,
    virtualhost: Option<String>,
}

fn number<T: std::str::FromStr>(o: &Opaque, f: &mut Findings) -> Option<T> {
    let v = o.args.first().and_then(|a| a.parse().ok());
    if v.is_none() {
        f.refuse(o.origin, format!("`{}` without a number", o.name));
    }
    v
}

fn vs_knobs(opaque: &[Opaque], mut k: VsKnobs, f: &mut Findings) -> VsKnobs {
    for o in opaque {
        match o.name.as_str() {
            "quorum" => k.quorum = number(o, f),
            "hysteresis" => k.hysteresis = number(o, f).unwrap_or(0),
            "alpha" => k.alpha = true,
            "omega" | "inhibit_on_failure" => {}
            "retry" | "nb_get_retry" => k.retry = number(o, f),
            "delay_before_retry" => {
                k.delay_before_retry = number::<u64>(o, f).map(Duration::from_secs)
            }
            "connect_timeout" => k.connect_timeout = number::<u64>(o, f).map(Duration::from_secs),
            "virtualhost" => k.virtualhost = o.args.first().cloned(),
            "smtp_alert" | "snmp_name" | "ha_suspend" => {
                f.ignore(o.origin, format!("`{}`", o.name))
            }
            other => f.refuse(o.origin, format!("`{other}`")),
        }
    }
    k
}

fn is_local(ip: IpAddr) -> bool {
    std::net::UdpSocket::bind(SocketAddr::new(ip, 0)).is_ok()
}

pub fn virtual_service(
    v: &VirtualService,
    f: &mut Findings,
) -> Option<(L4Service, Arc<UpstreamPool>)> {
    if v.fwmark.is_some() || v.group.is_some() {
        f.refuse(v.origin, "firewall-mark and group virtual services");
        return None;
    }
    let (Some(address), Some(port)) = (v.address.as_deref(), v.port) else {
        f.refuse(v.origin, "a virtual service without an address and a port");
        return None;
    };
    // `ipvsadm -L` without `-n` prints names (`localhost:http`); resolve them.
    let vip = match address.parse::<IpAddr>() {
        Ok(ip) => ip,
        Err(_) => match resolve(&format!("{address}:{port}")) {
            Some(a) => a.ip(),
            None => {
                f.refuse(
                    v.origin,
                    format!("the unresolvable virtual address `{address}`"),
                );
                return None;
            }
        },
    };
    if !is_local(vip) {
        f.refuse(
            v.origin,
            format!(
                "the virtual IP `{vip}`, which is not an address of this host (the balancer listens on the VIP in user space: add the address first)"
            ),
        );
        return None;
    }
    let forwarding = v
        .forwarding
        .into_iter()
        .chain(v.real_servers.iter().filter_map(|r| r.forwarding))
        .find(|m| *m != crate::ir::Forwarding::Nat);
    if let Some(m) = forwarding {
        f.ignore(
            v.origin,
            format!(
                "`{}` forwarding: connections are proxied (NAT-like), real servers see the balancer's address",
                format!("{m:?}").to_uppercase()
            ),
        );
    }
    let k = vs_knobs(&v.opaque, VsKnobs::default(), f);
    let udp = v.protocol == Protocol::Udp;
    let delay_loop = v
        .delay_loop
        .as_ref()
        .map_or(health::KEEPALIVED_DELAY_LOOP, dur);
    let mut peers = Peers {
        name: format!("{vip}:{port}"),
        peers: Vec::new(),
    };
    let mut checks = Vec::new();
    let mut thresholds = Vec::new();
    for rs in &v.real_servers {
        if let Some((peer, own)) = real_server(rs, port, delay_loop, &k, f) {
            thresholds.push(
                rs.upper_threshold
                    .filter(|u| *u > 0)
                    .map(|u| (u, rs.lower_threshold.unwrap_or(0))),
            );
            if !own.is_empty() {
                checks.push(PeerChecks {
                    peer: peers.peers.len(),
                    checks: own,
                });
            }
            peers.peers.push(peer);
        }
    }
    let sorry = v.sorry_server.as_ref().and_then(|s| {
        let text = format!("{}:{}", s.address, s.port.unwrap_or(port));
        let a = resolve(&text);
        if a.is_none() {
            f.refuse(s.origin, format!("the unresolvable sorry server `{text}`"));
        }
        a
    });
    let balancer = match balancer(&v.scheduler, &peers, crate::ir::Format::Keepalived) {
        Ok(b) => b,
        Err(what) => {
            f.refuse(v.origin, what);
            return None;
        }
    };
    let pool = Arc::new(UpstreamPool {
        checks,
        ..UpstreamPool::bare(peers, balancer)
    });
    let mut target = Target::new(pool.clone());
    target.sorry = sorry;
    target.quorum = Some((k.quorum.unwrap_or(1), k.hysteresis));
    target.set_thresholds(thresholds);
    if let Some(t) = &v.persistence {
        let prefix = match v.persistence_netmask.as_deref() {
            None => 32,
            Some(m) => match m.parse::<std::net::Ipv4Addr>() {
                Ok(mask) => u32::from(mask).leading_ones() as u8,
                Err(_) => {
                    f.refuse(v.origin, format!("the persistence granularity `{m}`"));
                    32
                }
            },
        };
        target.persistence = Some(Persistence {
            timeout: dur(t),
            prefix,
        });
    }
    let svc = L4Service {
        addr: SocketAddr::new(vip, port),
        udp,
        origin: v.origin,
        label: format!("virtual server {vip}:{port}"),
        route: Route::Pool(Arc::new(target)),
        sets: Default::default(),
        log: None,
        half_close: true,
        preread: None,
        connect_timeout: IPVS_CONNECT,
        idle_timeout: Some(if udp { IPVS_UDP_IDLE } else { IPVS_TCP_IDLE }),
        retry: Retry::Close,
        send_proxy: false,
        udp_responses: None,
        udp_requests: None,
    };
    Some((svc, pool))
}

fn real_server(
    rs: &RealServer,
    vport: u16,
    delay_loop: Duration,
    vk: &VsKnobs,
    f: &mut Findings,
) -> Option<(Peer, Vec<health::Check>)> {
    let text = format!("{}:{}", rs.address, rs.port.unwrap_or(vport));
    let Some(addr) = resolve(&text) else {
        f.refuse(rs.origin, format!("the unresolvable real server `{text}`"));
        return None;
    };
    let peer = Peer::new(addr, text, rs.weight.unwrap_or(1));
    // Checker blocks keep their unmodelled lines as opaque entries named after the checker.
    let mut rk = VsKnobs {
        quorum: None,
        hysteresis: 0,
        alpha: vk.alpha,
        retry: vk.retry,
        delay_before_retry: vk.delay_before_retry,
        connect_timeout: vk.connect_timeout,
        virtualhost: vk.virtualhost.clone(),
    };
    // `digest` and `virtualhost` of a url, by the origin its check carries.
    let mut urls: Vec<(crate::ir::Origin, Option<String>, Option<String>)> = Vec::new();
    for o in &rs.opaque {
        match o.name.as_str() {
            "inhibit_on_failure" => {}
            _ if o.context.as_deref() == Some("checker") && o.block => {
                for c in &o.children {
                    match c.name.as_str() {
                        "delay_before_retry" => {
                            rk.delay_before_retry = number::<u64>(c, f).map(Duration::from_secs)
                        }
                        "alpha" => rk.alpha = true,
                        "virtualhost" => rk.virtualhost = c.args.first().cloned(),
                        "url" => {
                            let (mut digest, mut vhost) = (None, None);
                            for u in &c.children {
                                match u.name.as_str() {
                                    "path" | "status_code" => {}
                                    "digest" => digest = u.args.first().cloned(),
                                    "virtualhost" => vhost = u.args.first().cloned(),
                                    other => {
                                        f.refuse(u.origin, format!("`{other}` in an HTTP_GET url"))
                                    }
                                }
                            }
                            urls.push((c.origin, digest, vhost));
                        }
                        other => f.refuse(c.origin, format!("`{other}` in `{}`", o.name)),
                    }
                }
                if !matches!(o.name.as_str(), "TCP_CHECK" | "HTTP_GET") {
                    f.refuse(o.origin, format!("the `{}` checker", o.name));
                }
            }
            other => f.refuse(o.origin, format!("`{other}` in a real server")),
        }
    }
    let mut checks = Vec::new();
    for c in &rs.checks {
        let url = urls.iter().find(|(o, _, _)| *o == c.origin);
        let timing = KeepalivedTiming {
            delay_loop,
            delay_before_retry: rk.delay_before_retry,
            alpha: rk.alpha,
            virtualhost: url
                .and_then(|(_, _, v)| v.clone())
                .or(rk.virtualhost.clone()),
            digest: url.and_then(|(_, d, _)| d.clone()),
        };
        let mut c = c.clone();
        if c.fall.is_none() {
            c.fall = rk.retry.map(|r| r.saturating_add(1));
        }
        if c.timeout.is_none() {
            c.timeout = rk
                .connect_timeout
                .map(|d| crate::ir::Duration(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)));
        }
        checks.extend(health::keepalived(&c, addr, &timing, f));
    }
    Some((peer, checks))
}
