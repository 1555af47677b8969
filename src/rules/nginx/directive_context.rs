//! `nginx/directive-context`: a directive in a block where nginx does not allow it.

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{first_line, RuleContext};
use crate::source::Span;
use crate::syntax::nginx::directives::{self as dt};

declare_rule! {
    /// A directive used in a context where nginx does not allow it.
    ///
    /// ## What it does
    /// Checks each directive against the contexts its module declares (`main`, `events`,
    /// `http`, `server`, `location`, `if`, `upstream`, `stream`, …), following includes so a
    /// snippet is judged where it is included.
    ///
    /// ## Why is this bad?
    /// `nginx -t` fails: `"proxy_pass" directive is not allowed here`.
    ///
    /// ## Example
    /// ```nginx
    /// http {
    ///     proxy_pass http://app;
    /// }
    /// ```
    /// ## Use instead
    /// ```nginx
    /// http {
    ///     server {
    ///         location / { proxy_pass http://app; }
    ///     }
    /// }
    /// ```
    pub DIRECTIVE_CONTEXT, "nginx/directive-context", Error, Some(check)
}

/// The name nginx's documentation uses for a context.
pub fn context_name(ctx: dt::Ctx) -> &'static str {
    match ctx {
        dt::MAIN => "main",
        dt::EVENTS => "events",
        dt::HTTP => "http",
        dt::HTTP_SRV => "server",
        dt::HTTP_LOC => "location",
        dt::HTTP_UPS => "upstream",
        dt::HTTP_SIF => "if in server",
        dt::HTTP_LIF => "if in location",
        dt::HTTP_LMT => "limit_except",
        dt::STREAM => "stream",
        dt::STREAM_SRV => "stream server",
        dt::STREAM_UPS => "stream upstream",
        dt::MAIL => "mail",
        dt::MAIL_SRV => "mail server",
        _ => "this block",
    }
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    for l in cx.nginx {
        for v in &l.visits {
            let specs = v.specs;
            if specs.is_empty() || specs.iter().any(|s| s.contexts & v.ctx != 0) {
                continue;
            }
            let allowed = specs.iter().fold(0, |acc, s| acc | s.contexts);
            let span = Span::new(v.file, v.name_range.start, v.name_range.end);
            out.push(
                Diagnostic::new(
                    DIRECTIVE_CONTEXT.code,
                    Severity::Error,
                    format!(
                        "`{}` is not allowed in {}",
                        v.name(cx.sources),
                        context_name(v.ctx)
                    ),
                    span,
                )
                .label(format!("not allowed in {}", context_name(v.ctx)))
                .help(format!(
                    "`{}` is allowed in: {}",
                    v.name(cx.sources),
                    dt::describe_contexts(allowed)
                )),
            );
        }
    }
}
