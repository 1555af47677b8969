//! nginx rules.

mod argument_count;
mod directive_context;
mod duplicate_location;
mod frontend;
mod invalid_regex;
mod ip_hash_backup;
mod ip_hash_weight;
mod listen_conflict;
mod regex_optional_suffix;
mod rlimit_below_connections;
mod undefined_upstream;
mod unknown_directive;
mod unreachable_location;
mod upstream_keepalive_unused;

use super::Rule;

pub static RULES: &[&Rule] = &[
    &frontend::SYNTAX,
    &frontend::INCLUDE_NOT_FOUND,
    &frontend::INCLUDE_CYCLE,
    &unknown_directive::UNKNOWN_DIRECTIVE,
    &directive_context::DIRECTIVE_CONTEXT,
    &argument_count::ARGUMENT_COUNT,
    &ip_hash_weight::IP_HASH_WEIGHT,
    &ip_hash_backup::IP_HASH_BACKUP,
    &duplicate_location::DUPLICATE_LOCATION,
    &unreachable_location::UNREACHABLE_LOCATION,
    &rlimit_below_connections::RLIMIT_BELOW_CONNECTIONS,
    &undefined_upstream::UNDEFINED_UPSTREAM,
    &upstream_keepalive_unused::UPSTREAM_KEEPALIVE_UNUSED,
    &invalid_regex::INVALID_REGEX,
    &regex_optional_suffix::REGEX_OPTIONAL_SUFFIX,
    &listen_conflict::LISTEN_CONFLICT,
];

/// Every route of every nginx service, nested ones included, with its service, in file order.
/// An iterator, not a list: on a large config a list is a large allocation, and large blocks
/// are fresh pages, which cost more than the walk.
pub(crate) fn routes(
    ir: &crate::ir::Ir,
) -> impl Iterator<Item = (&crate::ir::Service, &crate::ir::Route)> {
    ir.services
        .iter()
        .filter(|s| super::from_nginx(ir, s.origin))
        .flat_map(|s| {
            Routes {
                stack: vec![s.routes.iter()],
            }
            .map(move |r| (s, r))
        })
}

/// A depth-first walk of a route tree: each route, then its nested ones.
struct Routes<'a> {
    stack: Vec<std::slice::Iter<'a, crate::ir::Route>>,
}

impl<'a> Iterator for Routes<'a> {
    type Item = &'a crate::ir::Route;

    fn next(&mut self) -> Option<&'a crate::ir::Route> {
        loop {
            let top = self.stack.last_mut()?;
            match top.next() {
                Some(r) => {
                    if !r.routes.is_empty() {
                        self.stack.push(r.routes.iter());
                    }
                    return Some(r);
                }
                None => {
                    self.stack.pop();
                }
            }
        }
    }
}
