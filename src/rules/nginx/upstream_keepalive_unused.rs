//! `nginx/upstream-keepalive-unused`: `proxy_pass` to an upstream with `keepalive` from a
//! scope whose requests close their upstream connection.

use crate::hash::FnvHashMap;

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::{Action, Header, Pool, Protocol, Route, Setting, Settings};
use crate::rules::{first_line, RuleContext};
use crate::syntax::nginx::target_host;

declare_rule! {
    /// `proxy_pass` to an upstream with `keepalive` from a location that closes every upstream
    /// connection (HTTP/1.0, or `Connection: close`).
    ///
    /// ## What it does
    /// Follows each `proxy_pass` to an upstream that has `keepalive N`, and works out the
    /// `proxy_http_version` and the `proxy_set_header` list in force there, inherited from
    /// the enclosing locations, the server and the `http` level as nginx inherits them. It
    /// flags the `proxy_pass` when requests go as HTTP/1.0 (nginx's default), when no
    /// `Connection` header is set (nginx then sends its default, `Connection: close`), or when
    /// `Connection` is set to a value that contains `close`. A `Connection` set from a variable,
    /// such as `$connection_upgrade`, is not flagged.
    ///
    /// ## Why is this bad?
    /// `keepalive` keeps the connections that requests leave open, and by default nginx
    /// leaves none open: it talks HTTP/1.0 to upstreams and sends `Connection: close`, so the
    /// server closes each connection after one response. The cache of idle connections
    /// stays empty, every request pays a new TCP (and TLS) handshake, and a busy proxy piles
    /// up sockets in `TIME_WAIT`: the cost `keepalive` was added to save.
    ///
    /// `proxy_set_header` is inherited only into a level that sets none of its own. A
    /// location that sets any header (`X-Real-IP`, say) loses the `Connection ""` of its
    /// server or `http` level and sends `Connection: close` again.
    ///
    /// ## Example
    /// ```nginx
    /// upstream app { server 10.0.0.1:8080; keepalive 32; }
    /// server {
    ///     listen 80;
    ///     location / { proxy_pass http://app; }
    /// }
    /// ```
    /// ## Use instead
    /// ```nginx
    /// server {
    ///     listen 80;
    ///     location / {
    ///         proxy_http_version 1.1;
    ///         proxy_set_header Connection "";
    ///         proxy_pass http://app;
    ///     }
    /// }
    /// ```
    /// Where WebSockets pass too, take `Connection` from a map that sends nothing when the
    /// client asks for no upgrade:
    /// ```nginx
    /// map $http_upgrade $connection_upgrade { default upgrade; "" ""; }
    /// server {
    ///     listen 80;
    ///     location / {
    ///         proxy_http_version 1.1;
    ///         proxy_set_header Upgrade $http_upgrade;
    ///         proxy_set_header Connection $connection_upgrade;
    ///         proxy_pass http://app;
    ///     }
    /// }
    /// ```
    pub UPSTREAM_KEEPALIVE_UNUSED, "nginx/upstream-keepalive-unused", Warning, Some(check)
}

/// What a scope sends as `Connection` when it should send nothing (or an upgrade).
enum Connection<'a> {
    /// No `Connection` in the list in force: nginx sends its default, `close`. `hidden` is set
    /// when an outer level does set `Connection` and the list in force (its first entry) is
    /// what keeps it from being inherited.
    Default {
        hidden: Option<(&'a Header, &'a Header)>,
    },
    /// `Connection` set to a literal with `close` in it.
    Close(&'a Header),
}

/// Why requests proxied from a scope close their upstream connection.
struct Closes<'a> {
    /// Requests go as HTTP/1.0: `Some(None)` by default, `Some(Some(setting))` when set so.
    http10: Option<Option<&'a Setting<String>>>,
    connection: Option<Connection<'a>>,
}

/// The `proxy_set_header` list a level sets itself, if any.
fn own_headers(s: &Settings) -> Option<&[Header]> {
    s.proxy
        .as_deref()
        .map(|p| p.headers.as_slice())
        .filter(|h| !h.is_empty())
}

fn is_connection(h: &Header) -> bool {
    h.name.eq_ignore_ascii_case("connection")
}

/// Whether a `Connection` value asks for the connection to be closed. A value with a variable
/// is trusted: `$connection_upgrade` and the like are empty for ordinary requests.
fn sends_close(h: &Header) -> bool {
    !h.value.contains('$') && h.value.to_ascii_lowercase().contains("close")
}

/// A header value as it is written in a directive.
fn quoted(value: &str) -> String {
    if value.is_empty() || value.contains([' ', '\t', ';', '{', '}', '"', '\'']) {
        format!("{value:?}")
    } else {
        value.to_string()
    }
}

/// What the scope at the end of `chain` (outermost level first) sends upstream, when that
/// closes the connection.
fn closes<'a>(chain: &[&'a Settings]) -> Option<Closes<'a>> {
    let version = chain
        .iter()
        .rev()
        .find_map(|s| s.proxy.as_deref()?.http_version.as_ref());
    let http10 = match version.map(|v| v.value.as_str()) {
        None | Some("1.0") => Some(version),
        Some("1.1") => None,
        // A value nginx rejects: `nginx -t` says so, there is nothing to add.
        Some(_) => return None,
    };
    // `proxy_set_header` is inherited as a whole list, from the innermost level that has one.
    let level = chain.iter().rposition(|s| own_headers(s).is_some());
    let headers = level.and_then(|i| own_headers(chain[i])).unwrap_or(&[]);
    let mut sets = headers.iter().filter(|h| is_connection(h)).peekable();
    let connection = if sets.peek().is_none() {
        let hidden = level.and_then(|i| {
            let outer = chain[..i].iter().rev().find_map(|s| own_headers(s))?;
            Some((&headers[0], outer.iter().find(|h| is_connection(h))?))
        });
        Some(Connection::Default { hidden })
    } else {
        // nginx sends every `Connection` the list sets; a variable may well be empty.
        sets.find(|h| sends_close(h)).map(Connection::Close)
    };
    (http10.is_some() || connection.is_some()).then_some(Closes { http10, connection })
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    let pools: FnvHashMap<&str, &Pool> = cx
        .ir
        .pools
        .iter()
        .filter(|p| p.protocol == Protocol::Http && p.keepalive.is_some())
        .filter(|p| crate::rules::from_nginx(cx.ir, p.origin))
        .map(|p| (p.name.as_str(), p))
        .collect();
    if pools.is_empty() {
        return;
    }
    let http = cx
        .ir
        .defaults
        .iter()
        .find(|d| {
            d.protocol == Protocol::Http
                && d.name.is_none()
                && crate::rules::from_nginx(cx.ir, d.origin)
        })
        .map(|d| &d.settings);
    let mut chain: Vec<&Settings> = http.into_iter().collect();
    for s in cx
        .ir
        .services
        .iter()
        .filter(|s| s.protocol == Protocol::Http && crate::rules::from_nginx(cx.ir, s.origin))
    {
        chain.push(&s.settings);
        visit(cx, &pools, s.action.as_ref(), &chain, out);
        walk(cx, &pools, &s.routes, &mut chain, out);
        chain.pop();
    }
}

/// Checks the routes of one level, then their nested ones, with `chain` the enclosing levels.
fn walk<'a>(
    cx: &RuleContext,
    pools: &FnvHashMap<&str, &Pool>,
    routes: &'a [Route],
    chain: &mut Vec<&'a Settings>,
    out: &mut Vec<Diagnostic>,
) {
    for r in routes {
        chain.push(&r.settings);
        visit(cx, pools, r.action.as_ref(), chain, out);
        walk(cx, pools, &r.routes, chain, out);
        chain.pop();
    }
}

/// Reports `action` when it proxies to a keepalive upstream with settings that close the
/// connection.
fn visit(
    cx: &RuleContext,
    pools: &FnvHashMap<&str, &Pool>,
    action: Option<&Action>,
    chain: &[&Settings],
    out: &mut Vec<Diagnostic>,
) {
    let Some(Action::Proxy { target, origin, .. }) = action else {
        return;
    };
    // nginx uses an upstream block only for a target without a port.
    let Some((host, false)) = target_host(target) else {
        return;
    };
    let Some(pool) = pools.get(host.as_str()) else {
        return;
    };
    let Some(c) = closes(chain) else { return };
    out.push(diagnostic(cx, pool, origin.span(), &c));
}

fn diagnostic(cx: &RuleContext, pool: &Pool, at: crate::source::Span, c: &Closes) -> Diagnostic {
    let name = &pool.name;
    let what = match (&c.http10, &c.connection) {
        (Some(None), Some(Connection::Default { hidden: None })) => {
            "go as HTTP/1.0 with `Connection: close` (nginx's defaults)".to_string()
        }
        (http10, connection) => {
            let mut parts = Vec::new();
            match http10 {
                Some(None) => parts.push("go as HTTP/1.0 (nginx's default)".to_string()),
                Some(Some(_)) => parts.push("go as HTTP/1.0".to_string()),
                None => {}
            }
            match connection {
                Some(Connection::Default { .. }) => {
                    parts.push("send `Connection: close` (nginx's default)".to_string())
                }
                Some(Connection::Close(h)) => parts.push(format!("send `Connection: {}`", h.value)),
                None => {}
            }
            parts.join(" and ")
        }
    };
    let mut d = Diagnostic::new(
        UPSTREAM_KEEPALIVE_UNUSED.code,
        Severity::Warning,
        format!("requests proxied here {what}, so upstream `{name}` never reuses a connection"),
        at,
    )
    .label(format!(
        "each connection to `{name}` is closed after one request"
    ));
    match pool.keepalive_origin {
        Some(k) => d = d.with_secondary(k.span(), "idle connections are kept for reuse here"),
        None => {
            d = d.with_secondary(
                crate::rules::header_span(cx.sources, pool.origin.span()),
                "this upstream keeps idle connections for reuse",
            )
        }
    }
    if let Some(Some(v)) = c.http10 {
        d = d.with_secondary(v.origin.span(), "HTTP/1.0 chosen here");
    }
    match &c.connection {
        Some(Connection::Close(h)) => {
            d = d.with_secondary(h.origin.span(), "`close` sent here");
        }
        Some(Connection::Default {
            hidden: Some((own, outer)),
        }) => {
            d = d
                .with_secondary(
                    own.origin.span(),
                    "a `proxy_set_header` here stops the outer ones from being inherited",
                )
                .with_secondary(outer.origin.span(), "so this `Connection` does not apply");
        }
        _ => {}
    }
    let version = "`proxy_http_version 1.1;`";
    let connection = "`proxy_set_header Connection \"\";` (where WebSockets pass too, \
         `proxy_set_header Connection $connection_upgrade;` with a \
         `map $http_upgrade $connection_upgrade { default upgrade; \"\" \"\"; }`)";
    let help = match (&c.http10, &c.connection) {
        (Some(_), Some(_)) => format!("add {version} and {connection}"),
        (Some(_), None) => format!("add {version}"),
        (
            None,
            Some(Connection::Default {
                hidden: Some((_, outer)),
            }),
        ) if !sends_close(outer) => {
            format!(
                "repeat `proxy_set_header Connection {};` beside the `proxy_set_header` that \
                 stops the inheritance: nginx inherits `proxy_set_header`s only into a level \
                 that sets none of its own",
                quoted(&outer.value)
            )
        }
        (None, Some(Connection::Close(_))) => format!("replace it with {connection}"),
        (None, _) => format!("add {connection}"),
    };
    d.help(help)
}
