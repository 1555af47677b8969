//! High availability and L4: VRRP instances with their virtual IPs and tracked scripts, and IPVS
//! virtual services with schedulers and forwarding methods (keepalived, ipvsadm).

use serde::{Deserialize, Serialize};

use super::{Algorithm, Duration, HealthCheck, Opaque, Origin, Protocol};

/// A VRRP instance (keepalived `vrrp_instance`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct VrrpInstance {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<VrrpState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtual_router_id: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advert_int: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<VrrpAuth>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub virtual_ips: Vec<VirtualIp>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub track_scripts: Vec<TrackScript>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub nopreempt: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preempt_delay: Option<Duration>,
    /// Interfaces whose failure puts the instance in FAULT (`track_interface`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub track_interfaces: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unicast_src_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unicast_peers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_origin: Option<Origin>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtual_router_id_origin: Option<Origin>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_origin: Option<Origin>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advert_int_origin: Option<Origin>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nopreempt_origin: Option<Origin>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opaque: Vec<Opaque>,
    pub origin: Origin,
}

/// keepalived `vrrp_sync_group`: instances that change state together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct VrrpSyncGroup {
    pub name: String,
    pub instances: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opaque: Vec<Opaque>,
    pub origin: Origin,
}

/// An address on an interface: keepalived `static_ipaddress` and `virtual_ipaddress` (as
/// [`VirtualIp`]), or the `ifconfig`/`ip addr` lines of an LVS script (the VIP on a director,
/// or on a DR real server's loopback).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct InterfaceAddress {
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_len: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Further parameters, verbatim (`scope link`, `brd +`, `no_track`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    pub origin: Origin,
}

/// A static route (keepalived `static_routes`, `route add` in a script).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct StaticRoute {
    pub destination: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Further parameters, verbatim (`src 10.0.0.1`, `metric 10`, `table 100`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    pub origin: Origin,
}

/// A kernel setting a script or config applies (`net.ipv4.conf.lo.arp_ignore = 1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Sysctl {
    pub key: String,
    pub value: String,
    pub origin: Origin,
}

/// keepalived `virtual_server_group`: several VIP:port (or fwmark) entries sharing one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct VirtualServiceGroup {
    pub name: String,
    /// `IP PORT`, `IP-RANGE PORT` or `fwmark N`, as written.
    pub members: Vec<String>,
    pub origin: Origin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum VrrpState {
    #[default]
    Master,
    Backup,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct VrrpAuth {
    pub kind: String,
    pub password: String,
    /// Where the password is written (`auth_pass`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_origin: Option<Origin>,
    pub origin: Origin,
}

/// A virtual IP address an instance holds (`virtual_ipaddress`): the same shape as an address
/// configured outside VRRP; options are kept verbatim (`brd`, `scope`, `no_track` …).
pub type VirtualIp = InterfaceAddress;

/// `track_script { NAME [weight W] }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TrackScript {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i32>,
    /// `reverse`: the weight applies in the opposite direction.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reverse: bool,
    pub origin: Origin,
}

/// keepalived `vrrp_script`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct VrrpScript {
    pub name: String,
    pub script: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fall: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rise: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_origin: Option<Origin>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opaque: Vec<Opaque>,
    pub origin: Origin,
}

/// An IPVS virtual service (keepalived `virtual_server`, `ipvsadm -A`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct VirtualService {
    pub protocol: Protocol,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fwmark: Option<u32>,
    pub scheduler: Algorithm,
    /// Persistence timeout (`persistence_timeout`, `-p`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistence: Option<Duration>,
    /// Persistence granularity (`persistence_granularity`, `-M`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistence_netmask: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarding: Option<Forwarding>,
    /// The `virtual_server_group` this service is defined for, instead of one address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Seconds between checker runs (keepalived `delay_loop`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_loop: Option<Duration>,
    /// Served when every real server is down (keepalived `sorry_server`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sorry_server: Option<Box<RealServer>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub real_servers: Vec<RealServer>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opaque: Vec<Opaque>,
    pub origin: Origin,
}

/// How IPVS forwards packets to a real server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Forwarding {
    /// Direct routing (`-g`, `lb_kind DR`).
    #[default]
    Dr,
    /// Masquerading (`-m`, `lb_kind NAT`).
    Nat,
    /// IP-in-IP tunnelling (`-i`, `lb_kind TUN`).
    Tun,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RealServer {
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarding: Option<Forwarding>,
    /// Connection thresholds (`-x`/`-y`, `uthreshold`/`lthreshold`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper_threshold: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower_threshold: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<HealthCheck>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opaque: Vec<Opaque>,
    pub origin: Origin,
}
