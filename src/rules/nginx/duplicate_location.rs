//! `nginx/duplicate-location`: two locations with the same match in one block.

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::{MatchKind, Route};
use crate::rules::{first_line, RuleContext};

declare_rule! {
    /// Two locations in the same block that match the same URIs the same way.
    ///
    /// ## What it does
    /// Flags a second `location` with the same exact (`=`), prefix or `^~` pattern (nginx
    /// treats `/a` and `^~ /a` as the same prefix), or the same named location, in one block.
    ///
    /// ## Why is this bad?
    /// `nginx -t` fails: `duplicate location "/a"`. Identical regex locations are not rejected
    /// by nginx; `nginx/unreachable-location` reports them.
    pub DUPLICATE_LOCATION, "nginx/duplicate-location", Error, Some(check)
}

fn key(r: &Route) -> Option<(u8, &str)> {
    match r.matcher.kind {
        MatchKind::Exact => Some((0, &r.matcher.pattern)),
        MatchKind::Prefix | MatchKind::PrefixNoRegex => Some((1, &r.matcher.pattern)),
        MatchKind::Named => Some((2, &r.matcher.pattern)),
        MatchKind::Regex | MatchKind::RegexCaseless => None,
    }
}

/// Sibling lists longer than this are indexed with a hash map; shorter ones (nearly all) are
/// scanned, which costs less than hashing.
const SCAN_MAX: usize = 16;

fn siblings(routes: &[Route], out: &mut Vec<Diagnostic>) {
    let mut index: crate::hash::FnvHashMap<(u8, &str), &Route> = Default::default();
    let mut scanned: Vec<((u8, &str), &Route)> = Vec::new();
    let small = routes.len() <= SCAN_MAX;
    for r in routes {
        if let Some(k) = key(r) {
            let seen = if small {
                scanned.iter().find(|(s, _)| *s == k).map(|(_, r)| r)
            } else {
                index.get(&k)
            };
            if let Some(first) = seen {
                out.push(
                    Diagnostic::new(
                        DUPLICATE_LOCATION.code,
                        Severity::Error,
                        format!("duplicate location `{}`", r.matcher.display()),
                        r.matcher.origin.span(),
                    )
                    .label("duplicate")
                    .with_secondary(first.matcher.origin.span(), "first defined here")
                    .help("merge the two blocks into one"),
                );
            } else if small {
                scanned.push((k, r));
            } else {
                index.insert(k, r);
            }
        }
        siblings(&r.routes, out);
    }
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    for s in cx
        .ir
        .services
        .iter()
        .filter(|s| crate::rules::from_nginx(cx.ir, s.origin))
    {
        siblings(&s.routes, out);
    }
}
