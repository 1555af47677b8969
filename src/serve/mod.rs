//! `lbc serve`: a small HTTP/1.1 reverse proxy that runs the IR directly. [`plan`] compiles the
//! IR once into runtime tables and refuses what the runtime cannot honour ([`support`]);
//! [`server`] accepts connections, picks the virtual host and location; [`proxy`] passes
//! requests to pools balanced by [`balance`]; [`respond`] writes the runtime's own answers.

pub mod balance;
pub mod demo;
mod headers;
pub mod health;
pub mod l4;
pub mod peers;
pub mod plan;
pub mod proxy;
pub mod respond;
pub mod server;
mod support;

pub use plan::{plan, plan_with, Plan};
