//! Services (nginx `server {}` blocks, HAProxy frontends), their listeners, names and routes.

use serde::{Deserialize, Serialize};

use super::{Origin, Settings};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// L7: HTTP (nginx `http {}`, HAProxy `mode http`).
    #[default]
    Http,
    /// L4 TCP (nginx `stream {}`, HAProxy `mode tcp`, IPVS `-t`).
    Tcp,
    /// L4 UDP.
    Udp,
}

/// A virtual host / frontend: where it listens, which names it answers, how it routes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Service {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub protocol: Protocol,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub listeners: Vec<Listener>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub server_names: Vec<ServerName>,
    #[serde(default, skip_serializing_if = "Settings::is_empty")]
    pub settings: Settings,
    /// What the service does for requests no route takes (and, for L4, for every connection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<Route>,
    /// Named conditions (HAProxy `acl NAME criterion value…`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acls: Vec<Acl>,
    /// The defaults section its `from` names (HAProxy); without it, the last one before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defaults: Option<String>,
    pub origin: Origin,
}

/// A named condition (HAProxy ACL): a fetch/criterion and the values it is compared with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Acl {
    pub name: String,
    /// `path_beg`, `hdr(host) -i`, `src`, … as written.
    pub criterion: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    pub origin: Origin,
}

/// A listening endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Listener {
    /// IP address or host; `None` means every address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// A unix socket path instead of address and port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unix: Option<String>,
    pub protocol: Protocol,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tls: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub http2: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub default_server: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub proxy_protocol: bool,
    /// Other options, verbatim (`reuseport`, `backlog=511`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    pub origin: Origin,
}

/// A name a service answers to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ServerName {
    pub name: String,
    pub kind: NameKind,
    pub origin: Origin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum NameKind {
    #[default]
    Exact,
    /// `*.example.com` or `.example.com`.
    LeadingWildcard,
    /// `www.example.*`.
    TrailingWildcard,
    /// `~^www\d+\.example\.com$`.
    Regex,
}

/// A route: an nginx `location` (or an HAProxy ACL-selected backend).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub matcher: Matcher,
    /// An extra condition on top of the matcher (HAProxy `use_backend B if COND`), as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    #[serde(default, skip_serializing_if = "Settings::is_empty")]
    pub settings: Settings,
    /// Nested routes (nginx nested `location`s).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<Route>,
    pub origin: Origin,
}

/// How a route selects requests; nginx location semantics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Matcher {
    pub kind: MatchKind,
    pub pattern: String,
    /// Where the modifier and pattern are written.
    pub origin: Origin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum MatchKind {
    /// `location = /uri`
    #[default]
    Exact,
    /// `location /uri`
    Prefix,
    /// `location ^~ /uri`: a prefix that, when longest, stops the regex search.
    PrefixNoRegex,
    /// `location ~ re`
    Regex,
    /// `location ~* re`
    RegexCaseless,
    /// `location @name`: only reached by internal redirects.
    Named,
}

impl MatchKind {
    pub fn is_regex(self) -> bool {
        matches!(self, MatchKind::Regex | MatchKind::RegexCaseless)
    }

    /// The modifier as nginx writes it.
    pub fn modifier(self) -> &'static str {
        match self {
            MatchKind::Exact => "=",
            MatchKind::Prefix => "",
            MatchKind::PrefixNoRegex => "^~",
            MatchKind::Regex => "~",
            MatchKind::RegexCaseless => "~*",
            MatchKind::Named => "@",
        }
    }
}

impl Matcher {
    /// `= /x`, `^~ /x`, `~ re`, `/x`, `@name`: how the location is written.
    pub fn display(&self) -> String {
        match self.kind {
            MatchKind::Prefix => self.pattern.clone(),
            MatchKind::Named => format!("@{}", self.pattern),
            k => format!("{} {}", k.modifier(), self.pattern),
        }
    }
}

/// What handles a request (the content phase).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Action {
    /// Proxy to a pool, or to a URL (`proxy_pass http://10.0.0.1:8080/api/`).
    Proxy {
        /// The target as written.
        target: String,
        /// The pool it names, when it names one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pool: Option<String>,
        origin: Origin,
    },
    /// Answer directly: `return 301 https://…`, `return 200 "ok"`, `return 444`.
    Return {
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body_or_url: Option<String>,
        origin: Origin,
    },
    /// Status page: nginx `stub_status`, HAProxy `stats enable`.
    Status { origin: Origin },
    /// A directive that hands the request to something lbc does not model (`fastcgi_pass`,
    /// `uwsgi_pass`, `grpc_pass`, `content_by_lua_block` …).
    Other {
        directive: String,
        args: Vec<String>,
        origin: Origin,
    },
}

impl Action {
    pub fn origin(&self) -> Origin {
        match self {
            Action::Proxy { origin, .. }
            | Action::Return { origin, .. }
            | Action::Status { origin }
            | Action::Other { origin, .. } => *origin,
        }
    }
}
