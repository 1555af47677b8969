//! `haproxy/unknown-keyword`: a keyword HAProxy does not know in its section.

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{first_line, RuleContext};
use crate::source::Span;
use crate::syntax::haproxy::cst::Word;
use crate::syntax::haproxy::keywords as kw;

declare_rule! {
    /// A keyword, `option` or `timeout` that HAProxy 2.6 does not know in its section, or a
    /// proxy keyword used where HAProxy ignores it.
    ///
    /// ## What it does
    /// Looks every line up in lbc's tables of HAProxy 2.6 keywords (per section: `global`,
    /// proxies, `userlist`, `peers`, `resolvers`, `cache`, `program`, `http-errors`, `ring`,
    /// `mailers`, `log-forward`, `fcgi-app`), checks `option NAME` and `timeout NAME`, and
    /// suggests the closest known name. A proxy keyword in a section without its capability
    /// (`balance` in a `frontend`, `bind` in a `backend`) is a warning: HAProxy ignores it;
    /// in a `defaults` section (`use_backend`, `server`, `stick`, `filter`…) it is an error,
    /// as HAProxy refuses to start.
    ///
    /// ## Why is this bad?
    /// `haproxy -c` fails on an unknown keyword (`unknown keyword 'maxconns' in 'global'
    /// section`) and on a proxy keyword in `defaults` (`'use_backend' not allowed in
    /// 'defaults' section`), and silently drops a misplaced one elsewhere after a warning.
    ///
    /// ## Example
    /// ```haproxy
    /// defaults
    ///     option httpchck GET /
    ///     timeout http-keepalive 5s
    /// ```
    /// ## Use instead
    /// ```haproxy
    /// defaults
    ///     option httpchk GET /
    ///     timeout http-keep-alive 5s
    /// ```
    pub UNKNOWN_KEYWORD, "haproxy/unknown-keyword", Error, Some(check)
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    for l in cx.haproxy {
        let src = &cx.sources.get(l.file).text;
        let span = |w: &Word| Span::new(l.file, w.range.start, w.range.end);
        // Lines in a branch HAProxy does not take (often meant for another version) are not
        // read by HAProxy, nor judged here.
        let read = l
            .tree
            .lines()
            .filter(|(_, line)| !l.skipped.contains(&line.range.start));
        for (section, line) in read {
            let kind = section.kind(src);
            let ki = line.keyword_index(src);
            let words = line.head_values(src, ki, 2);
            if kw::removed(kind, &words).is_some() {
                continue;
            }
            let name = words[0].as_str();
            // `.if`/`.endif`/`.diag`… are handled by HAProxy's reader, not by sections.
            if name.starts_with('.') {
                continue;
            }
            if !kw::is_proxy(kind) {
                let Some(table) = kw::section_keywords(kind) else {
                    continue;
                };
                if !table.contains(&name) {
                    out.push(unknown(
                        span(&line.words[ki]),
                        format!("unknown keyword `{name}` in `{kind}` section"),
                        super::suggest(name, table.iter().copied()),
                    ));
                }
                continue;
            }
            let Some(caps) = kw::proxy_keyword(name) else {
                let names = kw::PROXY.iter().map(|(k, _)| *k);
                out.push(unknown(
                    span(&line.words[ki]),
                    format!("unknown keyword `{name}` in `{kind}` section"),
                    super::suggest(name, names),
                ));
                continue;
            };
            let sub = |table: &'static [&'static str], what: &str| {
                let w = line.words.get(ki + 1)?;
                let v = words.get(1)?;
                (!table.contains(&v.as_str())).then(|| {
                    unknown(
                        span(w),
                        format!("unknown {what} `{v}`"),
                        super::suggest(v, table.iter().copied()),
                    )
                })
            };
            match name {
                "option" => out.extend(sub(kw::OPTIONS, "option")),
                "timeout" => out.extend(sub(kw::TIMEOUTS, "timeout")),
                _ => {}
            }
            if caps & kw::cap(kind) == 0 && kind == "defaults" {
                out.push(
                    Diagnostic::new(
                        UNKNOWN_KEYWORD.code,
                        Severity::Error,
                        format!("`{name}` is not allowed in a `defaults` section"),
                        span(&line.words[ki]),
                    )
                    .label("HAProxy refuses to start on it")
                    .help(format!(
                        "move it to the sections it belongs to ({})",
                        where_allowed(caps)
                    )),
                );
            } else if caps & kw::cap(kind) == 0 {
                let needs = if caps & kw::F == 0 {
                    "a backend"
                } else {
                    "a frontend"
                };
                out.push(
                    Diagnostic::new(
                        UNKNOWN_KEYWORD.code,
                        Severity::Warning,
                        format!("`{name}` is ignored in a `{kind}` section"),
                        span(&line.words[ki]),
                    )
                    .label(format!("`{name}` only applies to {needs}"))
                    .help(format!(
                        "move it to a section where it applies ({}); HAProxy warns and ignores it here",
                        where_allowed(caps)
                    )),
                );
            }
        }
    }
}

fn where_allowed(caps: u8) -> String {
    [
        (kw::D, "defaults"),
        (kw::F, "frontend"),
        (kw::L, "listen"),
        (kw::B, "backend"),
    ]
    .iter()
    .filter(|(c, _)| caps & c != 0)
    .map(|(_, n)| format!("`{n}`"))
    .collect::<Vec<_>>()
    .join(", ")
}

fn unknown(span: Span, message: String, guess: Option<&str>) -> Diagnostic {
    let d = Diagnostic::new(UNKNOWN_KEYWORD.code, Severity::Error, message, span)
        .label("HAProxy does not know this keyword here");
    match guess {
        Some(g) => d.help(format!("did you mean `{g}`?")),
        None => d.help("check the spelling and the section; lbc knows the keywords of HAProxy 2.6"),
    }
}
