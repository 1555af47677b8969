//! Settings that can be set at several scopes (http/server/location in nginx, defaults/frontend/
//! backend in HAProxy): static content, proxying, timeouts, headers, compression, caching,
//! access control and limits. Values are kept where declared; inheritance is resolved by readers.

use serde::{Deserialize, Serialize};

use super::{Duration, Opaque, Origin, Setting, Size};

/// Settings of one scope; every field is optional (not set at this scope). Groups are boxed so
/// that the many scopes that set little stay small.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Box<Content>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<Box<Timeouts>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<Box<Proxy>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<Box<Client>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression: Option<Box<Compression>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<Box<Cache>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<Box<Access>>,
    /// A statistics page (HAProxy `stats …`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<Box<Stats>>,
    /// Headers added to responses (`add_header`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub response_headers: Vec<Header>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error_pages: Vec<ErrorPage>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub limit_req: Vec<LimitReq>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub limit_conn: Vec<LimitConn>,
    /// Directives of this scope the IR does not model.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opaque: Vec<Opaque>,
}

impl Settings {
    pub fn is_empty(&self) -> bool {
        self == &Settings::default()
    }
}

/// Static content: where files come from and how they are served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Content {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<Setting<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<Setting<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<Setting<Vec<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoindex: Option<Setting<bool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub try_files: Option<Setting<Vec<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<Setting<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_type: Option<Setting<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charset: Option<Setting<String>>,
}

/// How requests are passed to upstreams.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Proxy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_version: Option<Setting<String>>,
    /// When to try the next server (`proxy_next_upstream`, HAProxy `retry-on`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_upstream: Option<Setting<Vec<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_upstream_tries: Option<Setting<u32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buffering: Option<Setting<bool>>,
    /// Headers set on the request to the upstream (`proxy_set_header`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<Header>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hide_headers: Vec<Setting<String>>,
    /// Connection retries (HAProxy `retries`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<Setting<u32>>,
    /// Retry on another server (HAProxy `option redispatch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redispatch: Option<Setting<bool>>,
}

/// Limits and logging of client requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Client {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_body_size: Option<Setting<Size>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keepalive_requests: Option<Setting<u64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_log: Option<Setting<Vec<String>>>,
    /// Concurrent connections accepted (HAProxy `maxconn` in a frontend or defaults).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<Setting<u64>>,
}

/// Who may access: `allow`/`deny` in order, referer checks, basic auth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Access {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<AccessRule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_referers: Option<Setting<Vec<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_basic: Option<Setting<String>>,
}

/// Timeouts of one scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Timeouts {
    /// Connecting to an upstream (`proxy_connect_timeout`, HAProxy `timeout connect`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect: Option<Setting<Duration>>,
    /// Between two reads from the upstream (`proxy_read_timeout`, `timeout server`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_read: Option<Setting<Duration>>,
    /// Between two writes to the upstream (`proxy_send_timeout`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_send: Option<Setting<Duration>>,
    /// L4 idle timeout between the two sides (`proxy_timeout` in stream, `timeout tunnel`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle: Option<Setting<Duration>>,
    /// Client inactivity (`timeout client`, nginx `send_timeout`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<Setting<Duration>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_header: Option<Setting<Duration>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_body: Option<Setting<Duration>>,
    /// Idle keep-alive connections from clients (`keepalive_timeout`, `timeout http-keep-alive`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keepalive: Option<Setting<Duration>>,
    /// Waiting for a complete request (`timeout http-request`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_request: Option<Setting<Duration>>,
    /// Waiting in the queue for a free server slot (`timeout queue`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<Setting<Duration>>,
    /// Health check connect/read (`timeout check`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<Setting<Duration>>,
}

/// A statistics page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Stats {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<Setting<bool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<Setting<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realm: Option<Setting<String>>,
    /// `user:password` pairs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub auth: Vec<Setting<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh: Option<Setting<Duration>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin: Option<Setting<String>>,
}

/// A header name and value (with nginx `always` for response headers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub name: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub always: bool,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ErrorPage {
    pub codes: Vec<u16>,
    /// `=200`, `=` (the response's code) or absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_code: Option<String>,
    pub uri: String,
    pub origin: Origin,
}

/// Response compression (gzip).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Compression {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<Setting<bool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Setting<u32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<Setting<Size>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub types: Option<Setting<Vec<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vary: Option<Setting<bool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxied: Option<Setting<Vec<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_version: Option<Setting<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub static_files: Option<Setting<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable: Option<Setting<Vec<String>>>,
}

/// Response caching (nginx `proxy_cache*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Cache {
    /// The cache zone, or `off`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<Setting<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Setting<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub valid: Vec<CacheValid>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CacheValid {
    /// Status codes, or `any`; empty means nginx's default (200 301 302).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<String>,
    pub time: Duration,
    pub origin: Origin,
}

/// `allow`/`deny` in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AccessRule {
    pub allow: bool,
    /// An address, a CIDR, `unix:` or `all`.
    pub source: String,
    pub origin: Origin,
}

/// `limit_req zone=NAME [burst=N] [nodelay | delay=N]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LimitReq {
    pub zone: String,
    #[serde(default)]
    pub burst: u32,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub nodelay: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<u32>,
    pub origin: Origin,
}

/// `limit_conn NAME N`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LimitConn {
    pub zone: String,
    pub limit: u32,
    pub origin: Origin,
}

/// A shared-memory zone: rate and connection limits, caches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<Size>,
    pub kind: ZoneKind,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ZoneKind {
    /// `limit_req_zone KEY zone=NAME:SIZE rate=R` — rate in requests per second (fractional for r/m).
    RequestRate { key: String, rate_per_second: f64 },
    /// `limit_conn_zone KEY zone=NAME:SIZE`.
    Connections { key: String },
    /// `proxy_cache_path PATH … keys_zone=NAME:SIZE …`.
    Cache {
        path: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        levels: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        inactive: Option<Duration>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_size: Option<Size>,
    },
}
