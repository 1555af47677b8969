//! HAProxy rules.

mod defaults_inheritance;
mod frontend;
mod missing_timeouts;
mod mode_mismatch;
mod removed_keyword;
mod undefined_backend;
mod unknown_keyword;
mod weak_stats_auth;

use super::Rule;
use crate::ir::{Format, Ir, Origin};

pub static RULES: &[&Rule] = &[
    &frontend::SYNTAX,
    &frontend::READER,
    &unknown_keyword::UNKNOWN_KEYWORD,
    &removed_keyword::REMOVED_KEYWORD,
    &undefined_backend::UNDEFINED_BACKEND,
    &defaults_inheritance::DEFAULTS_INHERITANCE,
    &missing_timeouts::MISSING_TIMEOUTS,
    &mode_mismatch::MODE_MISMATCH,
    &weak_stats_auth::WEAK_STATS_AUTH,
];

/// Whether an IR node came from an HAProxy file.
pub(crate) fn from_haproxy(ir: &Ir, origin: Origin) -> bool {
    ir.sources
        .get(origin.file as usize)
        .is_some_and(|s| s.format == Format::Haproxy)
}

/// The candidate closest to `name`, when it is close enough to be a typo.
pub(crate) fn suggest<'a>(
    name: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = match name.len() {
        0..=4 => 1,
        5..=10 => 2,
        _ => 3,
    };
    candidates
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// The header line (`backend app`) of the proxy section an IR node spans.
pub(crate) fn header_span(cx: &super::RuleContext, origin: Origin) -> crate::source::Span {
    cx.haproxy
        .iter()
        .filter(|l| l.file.0 == origin.file)
        .flat_map(|l| l.proxies.iter())
        .find(|p| p.header.start == origin.start)
        .map_or(origin.span(), |p| {
            crate::source::Span::new(
                crate::source::FileId(origin.file),
                p.header.start,
                p.header.end,
            )
        })
}
