//! nginx's `proxy_redirect`: the `Location` and `Refresh` headers of proxied responses
//! rewritten — by default the `proxy_pass` URL back to the location, so that a backend's
//! `Location: http://app/two/login` reaches the client as `/one/login` — and a rewritten
//! `Location` that is a path made absolute as nginx's own redirects are.

use std::sync::Arc;

use hyper::header::{HeaderMap, HeaderName, HeaderValue, LOCATION, REFRESH};

use super::headers::{template, Extra, Template, Vars};
use super::pcre::Pcre;
use super::support::Findings;
use crate::ir::Settings;

/// The `proxy_redirect` rules of a location, tried in order; the first that matches rewrites.
#[derive(Debug, Default)]
pub struct Rules(Vec<Rule>);

#[derive(Debug)]
struct Rule {
    pattern: Pattern,
    replacement: Template,
}

#[derive(Debug)]
enum Pattern {
    /// The value starts with this text (case matters, as in nginx): it is replaced.
    Prefix(String),
    /// `~` / `~*`: when it matches, the whole value is replaced (`$1`… in the replacement).
    Regex(Pcre),
}

/// The rules of a location whose `proxy_pass` URL is `url` (as written; `None` without a
/// static one) in the location `name`: the innermost level of `scopes` (outermost first)
/// that writes `proxy_redirect` (`off` there: none), else nginx's `default`.
pub fn compile(
    scopes: &[&Settings],
    url: Option<&str>,
    name: &str,
    f: &mut Findings,
) -> Option<Arc<Rules>> {
    let lines = super::content::innermost(scopes, "proxy_redirect");
    if lines.is_empty() {
        return default(url, name).map(|r| Arc::new(Rules(vec![r])));
    }
    let mut rules = Vec::new();
    for o in lines {
        match o.args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            // nginx reads the old `false` as `off` (with an error in its log).
            ["off"] | ["false"] => return None,
            ["default"] => match default(url, name) {
                Some(r) => rules.push(r),
                None => f.refuse(
                    o.origin,
                    "`proxy_redirect default` without a `proxy_pass` URL it can use",
                ),
            },
            [pattern, replacement] => {
                if !pattern.starts_with('~') && pattern.contains('$') {
                    f.refuse(o.origin, "variables in a `proxy_redirect` pattern");
                    continue;
                }
                let replacement = match template(replacement) {
                    Ok(t) => t,
                    Err(var) => {
                        f.refuse(
                            o.origin,
                            format!("the variable `${var}` in `proxy_redirect`"),
                        );
                        continue;
                    }
                };
                let pattern = match pattern
                    .strip_prefix("~*")
                    .map(|p| (p, true))
                    .or_else(|| pattern.strip_prefix('~').map(|p| (p, false)))
                {
                    Some((p, caseless)) => match Pcre::new(p, caseless) {
                        Ok(re) => Pattern::Regex(re),
                        Err(e) => {
                            f.refuse(o.origin, format!("the `proxy_redirect` regex `{p}` ({e})"));
                            continue;
                        }
                    },
                    None => Pattern::Prefix(pattern.to_string()),
                };
                rules.push(Rule {
                    pattern,
                    replacement,
                });
            }
            _ => f.refuse(o.origin, format!("`proxy_redirect {}`", o.args.join(" "))),
        }
    }
    Some(Arc::new(Rules(rules)))
}

/// nginx's `proxy_redirect default`: the URL (with its URI part) to the location's name, or
/// the URL and `/` to `/`.
fn default(url: Option<&str>, name: &str) -> Option<Rule> {
    let url = url.filter(|u| !u.contains('$'))?;
    let rest = url.strip_prefix("http://")?;
    let (pattern, replacement) = if rest.contains('/') {
        (url.to_string(), name.to_string())
    } else {
        (format!("{url}/"), "/".to_string())
    };
    Some(Rule {
        pattern: Pattern::Prefix(pattern),
        replacement: Template::literal(&replacement),
    })
}

impl Rules {
    /// Whether a response has what the rules rewrite (most have neither header). One pass
    /// over the few names compares standard names by their tag: two `contains_key` hash
    /// lookups cost three times as much per proxied response.
    pub fn applies(&self, h: &HeaderMap) -> bool {
        !self.0.is_empty() && h.keys().any(|k| k == LOCATION || k == REFRESH)
    }

    /// Rewrites the response's `Location` and `Refresh` (its `url=` part); a rewritten
    /// `Location` that is a path gets `base` (nginx's `absolute_redirect`) in front.
    pub fn apply(&self, h: &mut HeaderMap, base: impl FnOnce() -> String, v: &Vars, x: &Extra) {
        if let Some(loc) = h.get(LOCATION).and_then(|l| l.to_str().ok()) {
            if let Some(mut new) = self.rewrite(loc, v, x) {
                if new.starts_with('/') {
                    new.insert_str(0, &base());
                }
                set(h, LOCATION, &new);
            }
        }
        if let Some(refresh) = h.get(REFRESH).and_then(|r| r.to_str().ok()) {
            let at = refresh
                .to_ascii_lowercase()
                .find("url=")
                .map(|i| i + "url=".len());
            if let Some(at) = at {
                if let Some(new) = self.rewrite(&refresh[at..], v, x) {
                    let new = format!("{}{new}", &refresh[..at]);
                    set(h, REFRESH, &new);
                }
            }
        }
    }

    /// The first rule's rewrite of `value`.
    fn rewrite(&self, value: &str, v: &Vars, x: &Extra) -> Option<String> {
        self.0.iter().find_map(|r| match &r.pattern {
            Pattern::Prefix(p) => {
                let rest = value.strip_prefix(p.as_str())?;
                Some(r.replacement.render_ext(v, x) + rest)
            }
            Pattern::Regex(re) => {
                let groups = re.captures(value)?;
                let x = Extra {
                    captures: &groups,
                    ..*x
                };
                Some(r.replacement.render_ext(v, &x))
            }
        })
    }

    /// The request headers the replacements read.
    pub fn header_reads(&self) -> Vec<HeaderName> {
        self.0
            .iter()
            .flat_map(|r| r.replacement.header_names())
            .collect()
    }
}

fn set(h: &mut HeaderMap, name: HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        h.insert(name, v);
    }
}
