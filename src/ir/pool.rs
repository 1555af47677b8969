//! Pools of servers (nginx `upstream`, HAProxy `backend`), their balancing algorithm and health.

use serde::{Deserialize, Serialize};

use super::{Duration, Opaque, Origin, Protocol};

/// A named group of servers requests are balanced over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Pool {
    pub name: String,
    pub protocol: Protocol,
    /// Where the protocol was chosen (HAProxy: the pool's own `mode` line or that of the
    /// `defaults` section it inherits from); `None` for the format's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_origin: Option<Origin>,
    pub algorithm: Algorithm,
    /// Where the algorithm was chosen; `None` for the format's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm_origin: Option<Origin>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<Server>,
    /// Idle keep-alive connections kept to the servers (nginx `keepalive N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keepalive: Option<u32>,
    /// Where `keepalive` was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keepalive_origin: Option<Origin>,
    /// Shared-memory zone (nginx `zone NAME SIZE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Active health checks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub health_checks: Vec<HealthCheck>,
    /// Pool-level settings (HAProxy backend timeouts, retries, cookies, stats …).
    #[serde(default, skip_serializing_if = "crate::ir::Settings::is_empty")]
    pub settings: crate::ir::Settings,
    /// The defaults section its `from` names (HAProxy); without it, the last one before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defaults: Option<String>,
    /// Named conditions of a HAProxy backend, read by its own rules (`http-request … if`,
    /// `use-server`). A `listen` keeps its ACLs on its service.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acls: Vec<crate::ir::Acl>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opaque: Vec<Opaque>,
    pub origin: Origin,
}

/// How a pool picks a server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Algorithm {
    /// Weighted round-robin (nginx default, HAProxy `roundrobin`, IPVS `wrr`).
    #[default]
    RoundRobin,
    /// Round-robin ignoring weights (IPVS `rr`).
    UnweightedRoundRobin,
    /// Weighted round-robin with static weights (HAProxy `static-rr`).
    StaticRoundRobin,
    /// Fewest active connections, weighted (nginx `least_conn`, HAProxy `leastconn`, IPVS `wlc`).
    LeastConn,
    /// nginx `ip_hash`: the first three octets of an IPv4 client (whole IPv6 address).
    IpHash,
    /// Hash of the whole source address (HAProxy `balance source`, IPVS `sh`).
    SourceHash,
    /// nginx `hash KEY [consistent]`, HAProxy `hash`/`uri`/`url_param`/`hdr()`.
    Hash { key: String, consistent: bool },
    /// nginx `random [two [METHOD]]`, HAProxy `random`.
    Random {
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        two: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        method: Option<String>,
    },
    /// The first server with free slots (HAProxy `first`).
    First,
    /// An IPVS scheduler with no equivalent above (`lblc`, `dh`, `sed`, `nq`, …).
    Scheduler { name: String },
}

impl Algorithm {
    /// The IR algorithm of an IPVS scheduler (`ipvsadm -s`, keepalived `lb_algo`). Only the
    /// schedulers with an exact counterpart map onto one (`rr`, `wrr`, `wlc`, `sh`); the others
    /// keep their IPVS name: `lc`, for one, ignores weights, unlike `least-conn`.
    pub fn from_ipvs(name: &str) -> Algorithm {
        match name {
            "rr" => Algorithm::UnweightedRoundRobin,
            "wrr" => Algorithm::RoundRobin,
            "wlc" => Algorithm::LeastConn,
            "sh" => Algorithm::SourceHash,
            other => Algorithm::Scheduler {
                name: other.to_string(),
            },
        }
    }

    /// The IPVS scheduler that implements this algorithm, when there is one.
    pub fn ipvs_name(&self) -> Option<String> {
        match self {
            Algorithm::UnweightedRoundRobin => Some("rr".into()),
            Algorithm::RoundRobin => Some("wrr".into()),
            Algorithm::LeastConn => Some("wlc".into()),
            Algorithm::SourceHash => Some("sh".into()),
            Algorithm::Scheduler { name } => Some(name.clone()),
            _ => None,
        }
    }

    pub fn name(&self) -> String {
        match self {
            Algorithm::RoundRobin => "round-robin".into(),
            Algorithm::UnweightedRoundRobin => "unweighted-round-robin".into(),
            Algorithm::StaticRoundRobin => "static-round-robin".into(),
            Algorithm::LeastConn => "least-conn".into(),
            Algorithm::IpHash => "ip-hash".into(),
            Algorithm::SourceHash => "source-hash".into(),
            Algorithm::Hash { .. } => "hash".into(),
            Algorithm::Random { .. } => "random".into(),
            Algorithm::First => "first".into(),
            Algorithm::Scheduler { name } => name.clone(),
        }
    }
}

/// One server of a pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Server {
    /// IP address, host name or `unix:/path`, without the port.
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// The server's name where the format has one (HAProxy `server NAME`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Explicit weight (the default is 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_origin: Option<Origin>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_fails: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_timeout: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_conns: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slow_start: Option<Duration>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub backup: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_origin: Option<Origin>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub down: bool,
    /// The server's own active check (HAProxy `check inter rise fall`), when enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<HealthCheck>,
    /// Stickiness cookie value (HAProxy `cookie`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookie: Option<String>,
    /// Re-resolve the host name at run time (nginx `resolve`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub resolve: bool,
    /// Parameters lbc does not model, verbatim.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other: Vec<String>,
    pub origin: Origin,
}

/// An active health check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct HealthCheck {
    pub kind: CheckKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// Successes before a server is up again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rise: Option<u32>,
    /// Failures before a server is down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fall: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum CheckKind {
    #[default]
    Tcp,
    Http {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        method: Option<String>,
        path: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        expect_status: Vec<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        tls: bool,
        /// The request line's version (HAProxy `option httpchk M U VERSION`, `http-check
        /// send ver`); HTTP/1.0 without it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        version: Option<String>,
        /// Request header fields, in order (`http-check send hdr NAME VALUE`, or the lines
        /// hidden after the version of `option httpchk`).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        headers: Vec<(String, String)>,
    },
    /// An external command (keepalived `MISC_CHECK`).
    Script {
        command: String,
    },
    Dns {
        name: String,
    },
}
