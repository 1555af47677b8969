//! The one IR: a format-independent model of a load-balancing deployment (listeners, services
//! and routes, pools and servers, limits, VRRP and L4 virtual services). Every node keeps its
//! origin; what is not modelled is kept as [`Opaque`] entries. Schema: `book/src/ir.md`.

mod l4;
mod origin;
mod pool;
mod service;
mod settings;
mod values;

pub use l4::*;
pub use origin::*;
pub use pool::*;
pub use service::*;
pub use settings::*;
pub use values::*;

use serde::{Deserialize, Serialize};

/// The schema version written in every document; bumped on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

/// One deployment: everything lowered from the files given together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Ir {
    pub schema_version: u32,
    /// The files the IR came from; origins refer to them by index.
    pub sources: Vec<SourceRef>,
    #[serde(default, skip_serializing_if = "Process::is_empty")]
    pub process: Process,
    /// Settings shared by every service of a protocol family (nginx `http {}` / `stream {}`
    /// level, HAProxy `defaults`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub defaults: Vec<Defaults>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<Service>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pools: Vec<Pool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<Zone>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vrrp_instances: Vec<VrrpInstance>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vrrp_scripts: Vec<VrrpScript>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vrrp_sync_groups: Vec<VrrpSyncGroup>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub virtual_services: Vec<VirtualService>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub virtual_service_groups: Vec<VirtualServiceGroup>,
    /// Addresses, routes and kernel settings a host applies outside VRRP.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interface_addresses: Vec<InterfaceAddress>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub static_routes: Vec<StaticRoute>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sysctls: Vec<Sysctl>,
    /// Top-level directives the IR does not model.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opaque: Vec<Opaque>,
}

/// A source file and its format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SourceRef {
    pub path: String,
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Nginx,
    Haproxy,
    Keepalived,
    Ipvsadm,
    Yaml,
    Json,
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Format::Nginx => "nginx",
            Format::Haproxy => "HAProxy",
            Format::Keepalived => "keepalived",
            Format::Ipvsadm => "LVS/ipvsadm",
            Format::Yaml => "YAML",
            Format::Json => "JSON",
        })
    }
}

/// Process-level tuning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Process {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workers: Option<Setting<Workers>>,
    /// Connections per worker (nginx `worker_connections`, HAProxy global `maxconn`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_connections: Option<Setting<u64>>,
    /// Open-file limit per worker (nginx `worker_rlimit_nofile`, HAProxy `ulimit-n`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rlimit_nofile: Option<Setting<u64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<Setting<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid_file: Option<Setting<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_method: Option<Setting<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_accept: Option<Setting<bool>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error_logs: Vec<Setting<Vec<String>>>,
}

impl Process {
    pub fn is_empty(&self) -> bool {
        self == &Process::default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Workers {
    Auto,
    #[serde(untagged)]
    Count(u32),
}

/// Settings shared by a protocol family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    pub protocol: Protocol,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The defaults section this one inherits from (HAProxy `defaults NAME from OTHER`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Settings::is_empty")]
    pub settings: Settings,
    /// Named conditions of a HAProxy `defaults NAME` section: only its own rules read them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acls: Vec<Acl>,
    pub origin: Origin,
}

/// A directive lbc does not model, kept with its origin and its block's contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Opaque {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Opaque>,
    /// Where it stood when that is not clear from its place in the IR (`events` for the
    /// nginx `events {}` block; other front-ends name their sections).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// True for `{ }` blocks (even empty ones).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub block: bool,
    pub origin: Origin,
}

/// The IR as a JSON value without its origins (every `origin` and `*_origin` field) and
/// sources: what must stay equal when a file is written out and read back.
pub fn without_origins(ir: &Ir) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                map.retain(|k, _| k != "origin" && !k.ends_with("_origin"));
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(ir).expect("the IR serializes");
    if let serde_json::Value::Object(map) = &mut v {
        map.remove("sources");
    }
    strip(&mut v);
    v
}
