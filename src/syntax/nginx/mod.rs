//! The nginx front-end: lexer, lossless syntax tree, parser, directive table and lowering.

pub mod cst;
pub mod lexer;
mod parse_fused;
mod parse_split;
pub mod parser;

pub use parser::{parse, parse_tree};
pub mod directives;
pub mod lower;
mod lower_items;
mod lower_settings;

pub use lower::{lower, Lowered, Options, Visit};
pub use lower_items::split_location;

/// Splits `host:port` (shared with rules that read `proxy_pass` targets).
pub fn split_host_port_pub(s: &str) -> (String, Option<u16>) {
    lower_items::split_host_port(s)
}

/// The host part of a proxy_pass target (`http://host:port/uri` or stream `host:port`).
pub fn target_host(target: &str) -> Option<(String, bool)> {
    let rest = match target.split_once("://") {
        Some((_, rest)) => rest,
        None => target,
    };
    if rest.contains('$') || rest.starts_with("unix:") {
        return None;
    }
    let authority = rest.split('/').next()?;
    let (host, port) = lower_items::split_host_port(authority);
    Some((host, port.is_some()))
}
