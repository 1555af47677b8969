//! What an nginx route or service does, in HAProxy terms: `use_backend`/`default_backend` (with
//! a generated backend for a URL target), `http-request redirect`/`return`/`silent-drop` for
//! `return`, the statistics page for `stub_status`.

use super::backend::url_backend;
use super::frontend::Lines;
use super::rules::expr;
use super::{ident, quote, Ctx};
use crate::emit::Emitter;
use crate::ir::{Action, Protocol};

fn join(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a route (or service) does, as HAProxy lines guarded by `host` and `cond`.
pub fn action(
    cx: &mut Ctx,
    proto: Protocol,
    a: &Action,
    host: &str,
    cond: &str,
    out: &mut Lines,
    e: &mut Emitter,
) {
    let full = join(&[host, cond]);
    let guard = if full.is_empty() {
        String::new()
    } else {
        format!(" if {full}")
    };
    match a {
        Action::Proxy { target, pool, origin } => {
            let be = match pool {
                Some(p) => {
                    if target.trim_end_matches('/').contains('/')
                        && target.split("://").nth(1).is_some_and(|r| r.trim_end_matches('/').contains('/'))
                    {
                        e.approximated(
                            *origin,
                            format!("`proxy_pass {target}`: the URI is not rewritten"),
                            "HAProxy passes the request path unchanged; use `http-request replace-path`",
                        );
                    } else {
                        e.carried();
                    }
                    ident(p)
                }
                None => match url_backend(target, proto, *origin) {
                    Some((g, has_path)) => {
                        if has_path {
                            e.approximated(
                                *origin,
                                format!("`proxy_pass {target}`: the URI is not rewritten"),
                                "HAProxy passes the request path unchanged; use `http-request replace-path`",
                            );
                        } else {
                            e.carried();
                        }
                        let name = g.name.clone();
                        if !cx.generated.iter().any(|x| x.name == name)
                            && !cx.ir.pools.iter().any(|p| ident(&p.name) == name)
                        {
                            cx.generated.push(g);
                        }
                        name
                    }
                    None => {
                        e.unsupported(
                            *origin,
                            format!("`proxy_pass {target}`: lbc cannot turn this target into a backend"),
                            "write a backend for it by hand",
                        );
                        return;
                    }
                },
            };
            if full.is_empty() {
                if out.default.is_none() {
                    out.default = Some(format!("default_backend {be}"));
                }
            } else {
                out.uses.push(format!("use_backend {be}{guard}"));
            }
        }
        Action::Return {
            status,
            body_or_url,
            origin,
        } => {
            let line = match (status, body_or_url) {
                (444, _) => Some("http-request silent-drop".to_string()),
                (301 | 302 | 303 | 307 | 308, Some(url)) => {
                    if url == "https://$host$request_uri" {
                        Some(format!("http-request redirect scheme https code {status}"))
                    } else {
                        expr(url).map(|u| {
                            format!("http-request redirect location {} code {status}", quote(&u))
                        })
                    }
                }
                (s, Some(body)) => expr(body).map(|b| {
                    format!(
                        "http-request return status {s} content-type text/plain lf-string {}",
                        quote_dq(&b)
                    )
                }),
                (s, None) => Some(format!("http-request return status {s}")),
            };
            match line {
                Some(l) if proto == Protocol::Http => {
                    e.carried();
                    out.requests.push(format!("{l}{guard}"));
                }
                _ => e.unsupported(
                    *origin,
                    format!("`return {status}` with a variable lbc cannot translate"),
                    "write the answer with `http-request return` and a log-format string",
                ),
            }
        }
        Action::Status { origin } => {
            if out.stats {
                e.unsupported(*origin, "a second status page", "HAProxy has one `stats uri` per proxy");
                return;
            }
            out.stats = true;
            e.approximated(
                *origin,
                "`stub_status` written as HAProxy's statistics page",
                "HAProxy's page (`stats uri`, prefix match) shows different counters",
            );
            out.params.push("stats enable".into());
            let uri = if cond.is_empty() { "/".into() } else { status_uri(cond, out) };
            out.params.push(format!("stats uri {uri}"));
        }
        Action::Other { directive, origin, .. } => e.unsupported(
            *origin,
            format!("`{directive}`: HAProxy speaks HTTP and TCP to servers only"),
            "HAProxy 2.1+ speaks FastCGI through a `fcgi-app` section; other protocols need a gateway",
        ),
    }
}

/// The path of the route ACL `cond` starts with (for `stats uri`).
fn status_uri(cond: &str, out: &Lines) -> String {
    let acl = cond.split_whitespace().next().unwrap_or_default();
    out.acls
        .iter()
        .find_map(|l| {
            let mut w = l.split_whitespace();
            (w.nth(1) == Some(acl)).then(|| l.split_whitespace().last().unwrap_or("/").to_string())
        })
        .unwrap_or_else(|| "/".into())
}

/// A double-quoted HAProxy string, with no environment variable expansion.
pub fn quote_dq(s: &str) -> String {
    let mut q = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' | '$' => {
                q.push('\\');
                q.push(c);
            }
            '\n' => q.push_str("\\n"),
            '\r' => q.push_str("\\r"),
            '\t' => q.push_str("\\t"),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}
