//! `nginx/unreachable-location`: a location no request can ever select.

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::{MatchKind, Route};
use crate::matcher::uri_lang::{is_subset, Budget, Lang};
use crate::rules::{first_line, RuleContext};

declare_rule! {
    /// A location that no request URI can ever select, under nginx's real matching order.
    ///
    /// ## What it does
    /// nginx picks a location in this order: an exact (`=`) match wins at once; otherwise the
    /// longest matching prefix is remembered, and if it is `^~` it wins; otherwise the regex
    /// locations are tried in file order and the first match wins; otherwise the remembered
    /// prefix wins. lbc builds the set of URIs each location could receive (exactly, with
    /// automata over the regexes) and reports the locations whose set is empty, naming the
    /// location that takes their requests:
    ///
    /// * a regex whose every match is taken by an earlier regex (the same pattern, a
    ///   case-insensitive twin, or a more general one such as `\.php` before `\.php$`);
    /// * a regex that only matches URIs under a `^~` prefix;
    /// * a prefix location every URI of which is taken by exact locations and regexes.
    ///
    /// Regexes using PCRE-only features (lookaround, backreferences) are left out of the
    /// analysis rather than guessed at.
    ///
    /// ## Example
    /// ```nginx
    /// location ^~ /static/ { root /srv; }
    /// location ~ ^/static/.*\.js$ { expires 1d; }   # never used
    /// ```
    /// ## Use instead
    /// Nest the regex inside the `^~` location, or drop `^~`.
    pub UNREACHABLE_LOCATION, "nginx/unreachable-location", Warning, Some(check)
}

fn regex_lang(r: &Route) -> Lang {
    Lang::Regex {
        pattern: r.matcher.pattern.clone(),
        case_insensitive: r.matcher.kind == MatchKind::RegexCaseless,
    }
}

fn is_prefix(r: &Route) -> bool {
    matches!(r.matcher.kind, MatchKind::Prefix | MatchKind::PrefixNoRegex)
}

/// URIs whose longest matching prefix location is `p`.
fn prefix_domain(p: &Route, siblings: &[Route]) -> Lang {
    let longer: Vec<Lang> = siblings
        .iter()
        .filter(|q| {
            is_prefix(q)
                && q.matcher.pattern.len() > p.matcher.pattern.len()
                && q.matcher.pattern.starts_with(&p.matcher.pattern)
        })
        .map(|q| Lang::Prefix(q.matcher.pattern.as_bytes().to_vec()))
        .collect();
    let base = Lang::Prefix(p.matcher.pattern.as_bytes().to_vec());
    if longer.is_empty() {
        base
    } else {
        Lang::Diff(Box::new(base), Box::new(Lang::Union(longer)))
    }
}

/// One place that can take requests from another location, and the URIs it takes.
#[derive(Clone)]
struct Taker<'a> {
    route: &'a Route,
    lang: Lang,
}

fn covered(target: &Lang, takers: &[Taker], budget: &Budget) -> Option<Vec<usize>> {
    // A single location that takes everything is the clearest answer.
    for (i, t) in takers.iter().enumerate() {
        if is_subset(target, &t.lang, budget) == Ok(true) {
            return Some(vec![i]);
        }
    }
    if takers.len() < 2 {
        return None;
    }
    let all = Lang::Union(takers.iter().map(|t| t.lang.clone()).collect());
    (is_subset(target, &all, budget) == Ok(true)).then(|| (0..takers.len()).collect())
}

/// A finding of one sibling set, by position, so it can be replayed on an identical set.
#[derive(Clone)]
struct Finding {
    route: usize,
    winners: Vec<usize>,
    why: &'static str,
}

/// Sibling sets seen so far, by their matchers: configs generated from templates repeat the
/// same locations in thousands of servers, and the automata work is the expensive part.
type Memo<'a> = crate::hash::FnvHashMap<Vec<(MatchKind, &'a str)>, Vec<Finding>>;

fn report(r: &Route, winners: &[&Route], why: &str, out: &mut Vec<Diagnostic>) {
    let names: Vec<String> = winners
        .iter()
        .map(|w| format!("`{}`", w.matcher.display()))
        .collect();
    let mut d = Diagnostic::new(
        UNREACHABLE_LOCATION.code,
        Severity::Warning,
        format!(
            "location `{}` can never be selected: {} takes every request it would match",
            r.matcher.display(),
            names.join(" and ")
        ),
        r.matcher.origin.span(),
    )
    .label("unreachable");
    for w in winners {
        d = d.with_secondary(w.matcher.origin.span(), "this location wins");
    }
    out.push(d.help(why.to_string()));
}

fn siblings<'a>(
    routes: &'a [Route],
    budget: &Budget,
    memo: &mut Memo<'a>,
    out: &mut Vec<Diagnostic>,
) {
    // A location is only ever shadowed by a sibling.
    if routes.len() > 1 {
        let key: Vec<(MatchKind, &str)> = routes
            .iter()
            .map(|r| (r.matcher.kind, r.matcher.pattern.as_str()))
            .collect();
        let findings = match memo.get(&key) {
            Some(f) => f.clone(),
            None => {
                let f = analyse(routes, budget);
                memo.insert(key, f.clone());
                f
            }
        };
        for f in findings {
            let winners: Vec<&Route> = f.winners.iter().map(|&i| &routes[i]).collect();
            report(&routes[f.route], &winners, f.why, out);
        }
    }
    for r in routes {
        siblings(&r.routes, budget, memo, out);
    }
}

fn position(routes: &[Route], r: &Route) -> usize {
    routes
        .iter()
        .position(|x| std::ptr::eq(x, r))
        .expect("route is a sibling")
}

fn analyse(routes: &[Route], budget: &Budget) -> Vec<Finding> {
    let mut found = Vec::new();
    let takers_of = |kind: MatchKind, lang: &dyn Fn(&Route) -> Lang| -> Vec<Taker> {
        routes
            .iter()
            .filter(|r| r.matcher.kind == kind)
            .map(|r| Taker {
                route: r,
                lang: lang(r),
            })
            .collect()
    };
    let exacts = takers_of(MatchKind::Exact, &|r| {
        Lang::Exact(r.matcher.pattern.as_bytes().to_vec())
    });
    let no_regex = takers_of(MatchKind::PrefixNoRegex, &|r| prefix_domain(r, routes));
    // Regexes in file order; those the analysis cannot model (PCRE-only syntax) are left out,
    // which can only hide a finding, never invent one.
    let regexes: Vec<Taker> = routes
        .iter()
        .filter(|r| r.matcher.kind.is_regex())
        .filter(|r| {
            let caseless = r.matcher.kind == MatchKind::RegexCaseless;
            crate::matcher::uri_lang::check_regex(&r.matcher.pattern, caseless).is_ok()
        })
        .map(|r| Taker {
            route: r,
            lang: regex_lang(r),
        })
        .collect();
    let mut push = |r: &Route, takers: &[Taker], which: Vec<usize>, why: &'static str| {
        let winners = which
            .iter()
            .map(|&w| position(routes, takers[w].route))
            .collect();
        found.push(Finding {
            route: position(routes, r),
            winners,
            why,
        });
    };
    for (i, r) in regexes.iter().enumerate() {
        let mut takers: Vec<Taker> = regexes[..i].to_vec();
        takers.extend(no_regex.iter().cloned());
        takers.extend(exacts.iter().cloned());
        if let Some(which) = covered(&r.lang, &takers, budget) {
            let why = if which.iter().all(|&w| w < i) {
                "nginx tries regex locations in file order and stops at the first match: move this one above, make the earlier pattern stricter, or remove it"
            } else {
                "a `^~` prefix stops the regex search for the URIs under it: nest this regex inside that location, or drop `^~`"
            };
            push(r.route, &takers, which, why);
        }
    }
    let mut takers = regexes.clone();
    takers.extend(exacts.iter().cloned());
    if !takers.is_empty() {
        for r in routes
            .iter()
            .filter(|r| r.matcher.kind == MatchKind::Prefix)
        {
            if let Some(which) = covered(&prefix_domain(r, routes), &takers, budget) {
                push(r, &takers, which, "every URI under this prefix is matched by an exact location or a regex, which nginx prefers to a plain prefix: use `^~` to make the prefix win, or remove it");
            }
        }
    }
    found
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    let budget = Budget::default();
    let mut memo = Memo::default();
    for s in cx
        .ir
        .services
        .iter()
        .filter(|s| crate::rules::from_nginx(cx.ir, s.origin))
    {
        siblings(&s.routes, &budget, &mut memo, out);
    }
}
