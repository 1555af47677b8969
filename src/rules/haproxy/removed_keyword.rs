//! `haproxy/removed-keyword`: a keyword HAProxy 2.x no longer accepts.

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{first_line, RuleContext};
use crate::source::Span;
use crate::syntax::haproxy::keywords;

declare_rule! {
    /// A keyword that HAProxy removed, with its modern replacement.
    ///
    /// ## What it does
    /// Flags the keywords HAProxy 2.x rejects although older tutorials still use them:
    /// `contimeout`, `clitimeout`, `srvtimeout`, the bare `redispatch`, `block`, the `req*` and
    /// `rsp*` header rewriting keywords, `monitor-net`, `mode health`, `option forceclose`,
    /// `option http-tunnel`, `option http_proxy`, `appsession`, and `nbproc` in `global`. The help
    /// names what to write instead.
    ///
    /// ## Why is this bad?
    /// HAProxy ≥ 2.1 refuses to start: `the 'contimeout' directive is not supported anymore
    /// since HAProxy 2.1. Use 'timeout connect'.`
    ///
    /// ## Example
    /// ```haproxy
    /// defaults
    ///     contimeout 5000
    ///     clitimeout 50000
    ///     srvtimeout 50000
    /// ```
    /// ## Use instead
    /// ```haproxy
    /// defaults
    ///     timeout connect 5s
    ///     timeout client 50s
    ///     timeout server 50s
    /// ```
    pub REMOVED_KEYWORD, "haproxy/removed-keyword", Error, Some(check)
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    for l in cx.haproxy {
        let src = &cx.sources.get(l.file).text;
        // Lines in a branch HAProxy does not take (often meant for another version) are not
        // read by HAProxy, nor judged here.
        let read = l
            .tree
            .lines()
            .filter(|(_, line)| !l.skipped.contains(&line.range.start));
        for (section, line) in read {
            let ki = line.keyword_index(src);
            let words = line.head_values(src, ki, 2);
            let Some(r) = keywords::removed(section.kind(src), &words) else {
                continue;
            };
            let n = r.keyword.split(' ').count().min(line.words.len() - ki);
            let range = line.words[ki].range.cover(line.words[ki + n - 1].range);
            let since = if r.since.is_empty() {
                String::new()
            } else {
                format!(" since HAProxy {}", r.since)
            };
            out.push(
                Diagnostic::new(
                    REMOVED_KEYWORD.code,
                    Severity::Error,
                    format!("`{}` is not supported anymore{since}", r.keyword),
                    Span::new(l.file, range.start, range.end),
                )
                .label("HAProxy rejects this keyword")
                .help(r.instead),
            );
        }
    }
}
