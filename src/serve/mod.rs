//! `lbc serve`: a small HTTP/1.1 reverse proxy that runs the IR directly. [`plan`] compiles the
//! IR once into runtime tables and refuses what the runtime cannot honour ([`support`]);
//! [`server`] accepts connections and picks the virtual host; [`proxy`] passes
//! requests to pools balanced by [`balance`]; [`respond`] writes the runtime's own answers;
//! `phases` runs a request through nginx's phases for the location it picks; static files,
//! limits, gzip, `stub_status` and the access log are the content side (`content`, `files`,
//! `autoindex`, `limit`, `access`, `compress`, `status`, `log`).

mod access;
mod auth;
mod autoindex;
pub mod balance;
mod compress;
mod connect;
mod content;
pub mod demo;
mod files;
mod headers;
mod limit;
mod log;
mod passwd;
pub mod peers;
mod phases;
pub mod plan;
pub mod proxy;
mod reading;
mod realip;
mod referer;
pub mod respond;
mod retry;
mod rewrite;
pub mod server;
mod status;
mod support;
mod upvars;

pub use plan::{plan, plan_in, Plan};
