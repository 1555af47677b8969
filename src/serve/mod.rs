//! `lbc serve`: an HTTP/1.1 and HTTP/2 reverse proxy and L4 balancer that runs the IR directly. [`plan`] compiles the
//! IR once into runtime tables and refuses what the runtime cannot honour ([`support`]);
//! [`server`] accepts connections and picks the virtual host; [`proxy`] passes
//! requests to pools balanced by [`balance`]; [`respond`] writes the runtime's own answers;
//! `phases` runs a request through nginx's phases for the location it picks; static files,
//! limits, gzip, `stub_status` and the access log are the content side (`content`, `files`,
//! `autoindex`, `limit`, `access`, `compress`, `status`, `log`); [`l4`] balances TCP and UDP
//! services and [`health`] runs the active checks.
//! `conn` drives one client connection (`h2` an HTTP/2 one) and `park` keeps it while idle; [`reload`] turns signals into
//! reloads and stops, [`metrics`] counts for `/metrics` and [`stats`] renders HAProxy's
//! statistics page.

mod access;
mod acl;
mod auth;
mod autoindex;
pub mod balance;
mod compress;
mod conn;
mod connect;
mod content;
pub mod demo;
mod files;
mod h2;
mod head;
mod headers;
pub mod health;
mod http_request;
mod keepalive;
pub mod l4;
mod limit;
mod log;
pub mod metrics;
mod names;
mod park;
mod passwd;
mod pcre;
pub mod peers;
mod persist;
mod phases;
pub mod plan;
pub mod proxy;
mod reading;
mod realip;
mod redirect;
mod referer;
pub mod reload;
mod resolver;
pub mod respond;
mod retry;
mod rewrite;
pub mod server;
pub mod stats;
mod status;
mod subfilter;
mod subrequest;
mod support;
mod tables;
mod tls;
mod tunnel;
mod upvars;
mod uservars;
pub(crate) mod vars;

pub use head::hold_parser_pages;
pub use plan::{plan, plan_in, plan_with, Plan};
