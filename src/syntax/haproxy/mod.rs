//! The HAProxy front-end: lexer, lossless syntax tree, parser, keyword tables and lowering.

pub mod cond;
pub mod cst;
pub mod keywords;
pub mod lexer;
pub mod lower;
mod lower_items;
mod lower_proxy;
pub mod parser;

pub use lower::{lower, Env, Lowered, ProxyInfo};
pub use lower_items::{parse_time, split_address};
pub use parser::parse;

/// Whether this front-end can read files; `load` reports the format as unsupported otherwise.
pub const AVAILABLE: bool = true;
