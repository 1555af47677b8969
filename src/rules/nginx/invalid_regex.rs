//! `nginx/invalid-regex`: a regular expression PCRE would refuse.

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::NameKind;
use crate::rules::{first_line, RuleContext};

declare_rule! {
    /// A regex location or `server_name` whose pattern does not compile.
    ///
    /// ## What it does
    /// Compiles each `location ~`/`~*` pattern and each `server_name ~…` with a PCRE-compatible
    /// engine (lookaround and backreferences included) and reports the error.
    ///
    /// ## Why is this bad?
    /// `nginx -t` fails: `pcre2_compile() failed: missing closing parenthesis`.
    ///
    /// ## Example
    /// ```nginx
    /// location ~ .*\.(htm|html|gif| { }
    /// ```
    pub INVALID_REGEX, "nginx/invalid-regex", Error, Some(check)
}

/// Rewrites PCRE's `\Q…\E` literal quoting, which the checking engine lacks, as escapes.
fn expand_quoting(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(i) = rest.find("\\Q") {
        // An escaped backslash before `Q` (`\\Q`) is not a quote start.
        let backslashes = rest[..i].chars().rev().take_while(|c| *c == '\\').count();
        if backslashes % 2 == 1 {
            out.push_str(&rest[..i + 2]);
            rest = &rest[i + 2..];
            continue;
        }
        out.push_str(&rest[..i]);
        let quoted = &rest[i + 2..];
        let (lit, after) = match quoted.find("\\E") {
            Some(j) => (&quoted[..j], &quoted[j + 2..]),
            None => (quoted, ""),
        };
        out.push_str(&fancy_regex::escape(lit));
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Compiles `pattern` as nginx would (`caseless` for `~*`); the error message when it fails.
pub fn compile_error(pattern: &str, caseless: bool) -> Option<String> {
    let pattern = expand_quoting(pattern);
    let p = if caseless {
        format!("(?i){pattern}")
    } else {
        pattern
    };
    // Most patterns are plain regular expressions: a parse settles them in microseconds.
    // Only those the plain parser refuses (lookaround, backreferences, or real errors) are
    // compiled by the PCRE-like engine, whose verdict is final.
    if regex_syntax::Parser::new().parse(&p).is_ok() {
        return None;
    }
    match fancy_regex::Regex::new(&p) {
        Ok(_) => None,
        Err(fancy_regex::Error::ParseError(_, e)) => Some(e.to_string()),
        // Engine limits (size, unsupported features) are not nginx errors.
        Err(_) => None,
    }
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    // Generated configs repeat the same patterns thousands of times: compile each once.
    let mut seen: std::collections::HashMap<(String, bool), Option<String>> = Default::default();
    for (_, r) in super::routes(cx.ir) {
        let m = &r.matcher;
        if !m.kind.is_regex() {
            continue;
        }
        let caseless = m.kind == crate::ir::MatchKind::RegexCaseless;
        let err = seen
            .entry((m.pattern.clone(), caseless))
            .or_insert_with(|| compile_error(&m.pattern, caseless))
            .clone();
        if let Some(e) = err {
            out.push(
                Diagnostic::new(
                    INVALID_REGEX.code,
                    Severity::Error,
                    format!("invalid regular expression `{}`: {e}", m.pattern),
                    m.origin.span(),
                )
                .label(e)
                .help("fix the pattern; nginx refuses to start with a regex that does not compile"),
            );
        }
    }
    for s in cx
        .ir
        .services
        .iter()
        .filter(|s| crate::rules::from_nginx(cx.ir, s.origin))
    {
        for n in &s.server_names {
            if n.kind != NameKind::Regex {
                continue;
            }
            if let Some(e) = compile_error(&n.name[1..], false) {
                out.push(
                    Diagnostic::new(
                        INVALID_REGEX.code,
                        Severity::Error,
                        format!(
                            "invalid regular expression in server_name `{}`: {e}",
                            n.name
                        ),
                        n.origin.span(),
                    )
                    .label(e),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcre_constructs() {
        assert_eq!(
            compile_error(r"^(?P<name>[a-z]+)\Q.example.com\E$", false),
            None
        );
        assert_eq!(expand_quoting(r"a\Q.b\Ec"), r"a\.bc");
        assert_eq!(compile_error(r"MSIE [1-6]\.(?!.*SV1)", false), None);
        assert_eq!(compile_error(r"^/(?<x>a)(?>b)", false), None);
        assert!(compile_error(r"(htm|html|", false).is_some());
        assert!(compile_error(r"[a-z", true).is_some());
    }
}
