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
    &invalid_regex::INVALID_REGEX,
    &regex_optional_suffix::REGEX_OPTIONAL_SUFFIX,
    &listen_conflict::LISTEN_CONFLICT,
];

/// Every route of every nginx service, nested ones included, with its service.
pub(crate) fn routes(ir: &crate::ir::Ir) -> Vec<(&crate::ir::Service, &crate::ir::Route)> {
    fn walk<'a>(
        s: &'a crate::ir::Service,
        rs: &'a [crate::ir::Route],
        out: &mut Vec<(&'a crate::ir::Service, &'a crate::ir::Route)>,
    ) {
        for r in rs {
            out.push((s, r));
            walk(s, &r.routes, out);
        }
    }
    let mut out = Vec::new();
    for s in ir
        .services
        .iter()
        .filter(|s| super::from_nginx(ir, s.origin))
    {
        walk(s, &s.routes, &mut out);
    }
    out
}
