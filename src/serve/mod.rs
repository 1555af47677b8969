//! `lbc serve`: a small HTTP/1.1 reverse proxy that runs the IR directly. [`plan`] compiles the
//! IR once into runtime tables and refuses what the runtime cannot honour ([`support`]);
//! [`server`] accepts connections, picks the virtual host and location; [`proxy`] passes
//! requests to pools balanced by [`balance`]; [`respond`] writes the runtime's own answers.
//! [`conn`] drives one client connection and parks it while idle; [`reload`] turns signals into reloads and stops, [`metrics`] counts for `/metrics` and
//! [`stats`] renders HAProxy's statistics page.

pub mod balance;
mod conn;
pub mod demo;
mod headers;
pub mod metrics;
pub mod peers;
pub mod plan;
pub mod proxy;
pub mod reload;
pub mod respond;
pub mod server;
pub mod stats;
mod support;

pub use plan::{plan, Plan};
