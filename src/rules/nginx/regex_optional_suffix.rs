//! `nginx/regex-optional-suffix`: a regex location whose final group is made optional by `?`.

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::matcher::uri_lang::{difference_witness, Budget, Lang};
use crate::rules::{first_line, RuleContext};

declare_rule! {
    /// A regex location ending in an optional group before `$`, such as
    /// `.*\.(gif|jpg|png)?$`.
    ///
    /// ## What it does
    /// Finds a final `\.( … )?$` group (a list of file extensions) and computes, exactly, which URIs the location matches
    /// only because the group is optional, showing one.
    ///
    /// ## Why is this bad?
    /// The `?` is almost always a slip: the location was meant for a list of extensions, but
    /// it also takes URIs that end with the text before the group (a bare `.` for the usual
    /// static-file pattern, every `.jsp`-less URI for `\.(jsp)?$`…), sending them to the wrong
    /// handler and caching or proxying what it should not.
    ///
    /// ## Example
    /// ```nginx
    /// location ~ .*\.(gif|jpg|jpeg|png|css|js)?$ { expires 1d; }
    /// ```
    /// ## Use instead
    /// ```nginx
    /// location ~ \.(gif|jpg|jpeg|png|css|js)$ { expires 1d; }
    /// ```
    pub REGEX_OPTIONAL_SUFFIX, "nginx/regex-optional-suffix", Warning, Some(check)
}

/// The pattern with its final `( … )?$` made required, when it has one.
pub fn required_form(pattern: &str) -> Option<String> {
    let body = pattern.strip_suffix(")?$")?;
    // Find the `(` that the final `)` closes, skipping escaped parentheses.
    let b = body.as_bytes();
    let mut depth = 0usize;
    let mut i = b.len();
    while i > 0 {
        i -= 1;
        let escaped = {
            let mut n = 0;
            while i > n && b[i - n - 1] == b'\\' {
                n += 1;
            }
            n % 2 == 1
        };
        if escaped {
            continue;
        }
        match b[i] {
            b')' => depth += 1,
            // Only the static-file idiom `\.( … )?$`: elsewhere an optional group is often
            // meant (`^/(en|fr)?$`).
            b'(' if depth == 0 => return body[..i].ends_with("\\.").then(|| format!("{body})$")),
            b'(' => depth -= 1,
            _ => {}
        }
    }
    None
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    let budget = Budget::default();
    for (_, r) in super::routes(cx.ir) {
        let m = &r.matcher;
        if !m.kind.is_regex() {
            continue;
        }
        let Some(required) = required_form(&m.pattern) else {
            continue;
        };
        let ci = m.kind == crate::ir::MatchKind::RegexCaseless;
        // URIs start with `/`: keep the example realistic.
        let loose = Lang::Regex {
            pattern: m.pattern.clone(),
            case_insensitive: ci,
        };
        let strict = Lang::Regex {
            pattern: required.clone(),
            case_insensitive: ci,
        };
        let loose = Lang::Inter(vec![loose, Lang::Prefix(b"/".to_vec())]);
        let Ok(Some(witness)) = difference_witness(&loose, &strict, &budget) else {
            continue;
        };
        let example = String::from_utf8_lossy(&witness).into_owned();
        out.push(
            Diagnostic::new(
                REGEX_OPTIONAL_SUFFIX.code,
                Severity::Warning,
                format!("the final group of `{}` is optional, so the location also matches URIs such as `{example}`", m.pattern),
                m.origin.span(),
            )
            .label("`( … )?$`: the group may be absent")
            .help(format!("drop the `?` (`{required}`) unless URIs without the suffix really belong here")),
        );
    }
}
