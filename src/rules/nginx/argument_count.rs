//! `nginx/argument-count`: a directive with the wrong number of arguments, or a block where a
//! `;` belongs (or the reverse).

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{first_line, RuleContext};
use crate::source::Span;
use crate::syntax::nginx::directives::{self as dt};

declare_rule! {
    /// A directive with a number of arguments its module does not accept, or with a `{ }`
    /// block it does not take (or without one it needs), or a `location` modifier nginx
    /// does not know.
    ///
    /// ## Why is this bad?
    /// `nginx -t` fails: `invalid number of arguments in "location" directive`,
    /// `directive "server" has no opening "{"`.
    ///
    /// A regular expression with an unquoted space is the usual cause for `location`:
    /// ```nginx
    /// location ~ .*\. (htm|html)$ { }
    /// ```
    /// ## Use instead
    /// ```nginx
    /// location ~ .*\.(htm|html)$ { }
    /// ```
    pub ARGUMENT_COUNT, "nginx/argument-count", Error, Some(check)
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    for l in cx.nginx {
        for v in &l.visits {
            // The specs that apply here (no allocation: this runs for every directive).
            let specs = || v.specs.iter().filter(|s| s.contexts & v.ctx != 0);
            if specs().next().is_none() {
                continue; // unknown or misplaced: other rules report it
            }
            let block_ok = specs().any(|s| (s.arity & dt::BLOCK != 0) == v.has_block);
            let span = Span::new(v.file, v.head.start, v.head.end);
            let name = v.name(cx.sources);
            if !block_ok {
                let (msg, help) = if v.has_block {
                    (
                        format!("`{}` does not take a block", name),
                        "end it with `;` instead of `{ … }`",
                    )
                } else {
                    (
                        format!("`{}` needs a block", name),
                        "follow the arguments with `{ … }`",
                    )
                };
                out.push(
                    Diagnostic::new(ARGUMENT_COUNT.code, Severity::Error, msg, span)
                        .label("here")
                        .help(help),
                );
                continue;
            }
            if specs().any(|s| dt::arity_accepts(s.arity, v.nargs as usize)) {
                if name == "location" && v.nargs == 2 {
                    invalid_modifier(cx, v, out);
                }
                continue;
            }
            let mut d = Diagnostic::new(
                ARGUMENT_COUNT.code,
                Severity::Error,
                format!("invalid number of arguments in `{}`: {}", name, v.nargs),
                span,
            )
            .label(format!(
                "{} argument{}",
                v.nargs,
                if v.nargs == 1 { "" } else { "s" }
            ));
            if name == "location" && v.nargs > 2 {
                d = d.help("a location takes a modifier and one pattern; a regular expression containing spaces must be quoted, and a stray space usually is a typo");
            }
            out.push(d);
        }
    }
}

/// `location MOD PATTERN` with a modifier nginx does not know (`~~`, `=~`, `^`).
fn invalid_modifier(cx: &RuleContext, v: &crate::syntax::nginx::Visit, out: &mut Vec<Diagnostic>) {
    let head = cx
        .sources
        .slice(Span::new(v.file, v.head.start, v.head.end));
    let Some(modifier) = head.split_whitespace().nth(1) else {
        return;
    };
    if matches!(modifier, "=" | "~" | "~*" | "^~") {
        return;
    }
    let at = v.head.start + head.find(modifier).unwrap_or(0) as u32;
    out.push(
        Diagnostic::new(
            ARGUMENT_COUNT.code,
            Severity::Error,
            format!("invalid location modifier `{modifier}`"),
            Span::new(v.file, at, at + modifier.len() as u32),
        )
        .label("not a location modifier")
        .help("use `=` (exact), `^~` (prefix that stops the regex search), `~` (regex) or `~*` (caseless regex), or quote a pattern that contains a space"),
    );
}
