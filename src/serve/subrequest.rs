//! nginx's `auth_request`: before a location's content, a subrequest (`GET`, the client's
//! headers, no body) to another location decides — 2xx lets the request through, 401 (with the
//! subrequest's `WWW-Authenticate`) and 403 answer so, anything else is a 500 — and
//! `auth_request_set $var VALUE` keeps values of its response (`$upstream_http_NAME`,
//! `$upstream_status`…) for the request.

use std::sync::Arc;

use super::headers::{template, Template};
use super::support::Findings;
use super::uservars;
use crate::ir::{Origin, Settings};

/// A location's `auth_request` and `auth_request_set`s.
#[derive(Debug)]
pub struct AuthRequest {
    /// The subrequest's URI (path and arguments).
    pub uri: String,
    /// Each `auth_request_set`: its variable's slot and value.
    pub sets: Vec<(u32, Template)>,
    pub origin: Origin,
}

/// The innermost `auth_request` of `chain` (`off` lifts it) with the innermost level's
/// `auth_request_set` list.
pub fn compile(chain: &[&Settings], f: &mut Findings) -> Option<Arc<AuthRequest>> {
    let directive = chain
        .iter()
        .rev()
        .find_map(|s| s.opaque.iter().rev().find(|o| o.name == "auth_request"))?;
    let uri = match directive.args.first().map(String::as_str) {
        Some("off") => return None,
        Some(u) if u.contains('$') => {
            f.refuse(directive.origin, "variables in `auth_request`");
            return None;
        }
        Some(u) if u.starts_with('/') => u.to_string(),
        _ => {
            f.refuse(
                directive.origin,
                format!("`auth_request {}`", directive.args.join(" ")),
            );
            return None;
        }
    };
    let mut sets = Vec::new();
    for o in super::content::innermost(chain, "auth_request_set") {
        let (Some(name), Some(value)) = (o.args.first(), o.args.get(1)) else {
            f.refuse(
                o.origin,
                "`auth_request_set` without a variable and a value",
            );
            continue;
        };
        let slot = match name.strip_prefix('$').and_then(uservars::lookup) {
            Some(uservars::Var::Set(slot)) => slot,
            _ => {
                f.refuse(o.origin, format!("`auth_request_set {name}`"));
                continue;
            }
        };
        match template(value) {
            Ok(t) => sets.push((slot, t)),
            Err(var) => f.refuse(
                o.origin,
                format!("the variable `${var}` in `auth_request_set`"),
            ),
        }
    }
    Some(Arc::new(AuthRequest {
        uri,
        sets,
        origin: directive.origin,
    }))
}

/// What the subrequest's status makes of the request: go on (2xx), or answer with a status.
pub fn verdict(status: u16) -> Option<u16> {
    match status {
        200..=299 => None,
        401 | 403 => Some(status),
        _ => {
            eprintln!("lbc serve: auth request unexpected status: {status}");
            Some(500)
        }
    }
}
