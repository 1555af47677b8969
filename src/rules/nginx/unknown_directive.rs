//! `nginx/unknown-directive`: a directive nginx does not know.

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{first_line, RuleContext};
use crate::source::Span;
use crate::syntax::nginx::directives;

declare_rule! {
    /// A directive that no nginx module (or common third-party module) defines.
    ///
    /// ## What it does
    /// Looks every directive up in lbc's table of nginx directives (all open-source modules,
    /// NGINX Plus, and widespread third-party modules such as lua, headers-more and
    /// cache_purge) and suggests the closest known name for near misses.
    ///
    /// ## Why is this bad?
    /// `nginx -t` stops at the first one: `unknown directive "gzip_com_level"`.
    ///
    /// ## Example
    /// ```nginx
    /// gzip_com_level 3;
    /// ```
    /// ## Use instead
    /// ```nginx
    /// gzip_comp_level 3;
    /// ```
    pub UNKNOWN_DIRECTIVE, "nginx/unknown-directive", Error, Some(check)
}

/// The known name closest to `name`, when it is close enough to be a typo.
pub fn suggest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = if name.len() <= 4 {
        1
    } else if name.len() <= 10 {
        2
    } else {
        3
    };
    candidates
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    for l in cx.nginx {
        for v in &l.visits {
            if !v.specs.is_empty() {
                continue;
            }
            let span = Span::new(v.file, v.name_range.start, v.name_range.end);
            let name = v.name(cx.sources);
            let mut d = Diagnostic::new(
                UNKNOWN_DIRECTIVE.code,
                Severity::Error,
                format!("unknown directive `{}`", name),
                span,
            )
            .label("nginx does not know this directive");
            let head = cx
                .sources
                .slice(Span::new(v.file, v.head.start, v.head.end));
            let swallowed = head.lines().skip(1).find_map(|l| {
                let word = l.split_whitespace().next()?;
                (!directives::lookup(word).is_empty()).then(|| l.trim())
            });
            if let Some(next) = swallowed {
                let at = v.head.start + head.find(next).unwrap_or(0) as u32;
                let next_span = Span::new(v.file, at, at + next.len() as u32);
                d = d.with_secondary(
                    next_span,
                    format!(
                        "with no `;` before it, this line is read as arguments of `{}`",
                        name
                    ),
                );
                out.push(d.help(format!(
                    "remove `{}`, or end it with `;` so the next line is a directive of its own",
                    name
                )));
                continue;
            }
            d = match suggest(&name, directives::names()) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help(
                    "check the spelling, or the module that provides it is not one lbc knows",
                ),
            };
            out.push(d);
        }
    }
}
