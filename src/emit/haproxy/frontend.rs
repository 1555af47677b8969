//! Services as HAProxy frontends. HAProxy input is written back as it was (binds, ACLs,
//! `use_backend` lines). nginx services are merged per bind address into one frontend; their
//! server names become `hdr(host)` ACLs and their locations path ACLs in nginx's matching order
//! (exact, `^~` longest first, regexes in file order, prefixes longest first).

use std::collections::BTreeSet;

use super::backend::{self, url_backend};
use super::rules::{expr, rules};
use super::settings::{compression, mode, proxy_params, unsupported_rest};
use super::{ident, opaque_line, quote, Ctx};
use crate::emit::Emitter;
use crate::ir::{Action, Defaults, Listener, MatchKind, NameKind, Pool, Protocol, Route, Service};

/// A frontend (or `listen`, with its pool) of HAProxy input.
pub fn native(cx: &Ctx, s: &Service, pool: Option<&Pool>, e: &mut Emitter) {
    let kind = if pool.is_some() { "listen" } else { "frontend" };
    let head = format!(
        "{kind} {}{}",
        s.name.clone().unwrap_or_default(),
        from_clause(cx, s.defaults.as_deref(), s.origin)
    );
    e.line(head);
    e.indent();
    e.carried();
    e.line(format!("mode {}", mode(s.protocol)));
    let mut seen = Vec::new();
    for l in &s.listeners {
        if seen.contains(&l.origin) {
            continue;
        }
        seen.push(l.origin);
        let group: Vec<&Listener> = s
            .listeners
            .iter()
            .filter(|x| x.origin == l.origin)
            .collect();
        let addrs: Vec<String> = group.iter().map(|x| bind_addr(x)).collect();
        let mut w = vec!["bind".to_string(), quote(&addrs.join(","))];
        w.extend(l.options.iter().map(|o| quote(o)));
        if l.tls {
            w.push("ssl".into());
        }
        if l.proxy_protocol {
            w.push("accept-proxy".into());
        }
        e.carried();
        e.line(w.join(" "));
    }
    // ACLs first: other lines may use them.
    for a in &s.acls {
        e.carried();
        let mut w = vec![format!("acl {} {}", a.name, a.criterion)];
        w.extend(a.values.iter().map(|v| quote(v)));
        e.line(w.join(" "));
    }
    for l in proxy_params(Some(cx), &s.settings, e) {
        e.line(l);
    }
    if let Some(p) = pool {
        backend::backend(cx, p, "", e);
    }
    for o in &s.settings.opaque {
        e.carried();
        e.line(opaque_line(o));
    }
    for r in &s.routes {
        match &r.action {
            Some(Action::Status { .. }) => {}
            Some(Action::Proxy { target, .. }) => {
                e.carried();
                match &r.condition {
                    Some(c) => e.line(format!("use_backend {target} {c}")),
                    None => e.line(format!("use_backend {target}")),
                }
            }
            _ => {}
        }
    }
    if let Some(Action::Proxy { target, origin, .. }) = &s.action {
        let implicit = pool.is_some() && *origin == s.origin;
        if !implicit {
            e.carried();
            e.line(format!("default_backend {target}"));
        }
    }
    e.dedent();
}

/// ` from NAME` when the named defaults a proxy inherits from is not simply the last one
/// before it.
pub fn from_clause(cx: &Ctx, defaults: Option<&str>, at: crate::ir::Origin) -> String {
    let Some(d) = defaults else {
        return String::new();
    };
    let last = cx
        .ir
        .defaults
        .iter()
        .filter(|x| x.origin.start < at.start && x.origin.file == at.file)
        .next_back();
    if last.is_some_and(|l| l.name.as_deref() == Some(d)) {
        String::new()
    } else {
        format!(" from {d}")
    }
}

/// An HAProxy bind address for a listener.
fn bind_addr(l: &Listener) -> String {
    if let Some(u) = &l.unix {
        return if u.starts_with('/') {
            u.clone()
        } else {
            format!("unix@{u}")
        };
    }
    match (&l.address, l.port) {
        (Some(a), Some(p)) => format!("{a}:{p}"),
        (None, Some(p)) => format!(":{p}"),
        (Some(a), None) => a.clone(),
        (None, None) => ":80".into(),
    }
}

/// The address and port a listener binds (nginx's default is port 80).
type Key = (Option<String>, u16, Option<String>);

fn key(l: &Listener) -> Key {
    let addr = l.address.clone().filter(|a| a != "*");
    (addr, l.port.unwrap_or(80), l.unix.clone())
}

fn keys(s: &Service) -> Vec<Key> {
    if s.listeners.is_empty() {
        return vec![(None, 80, None)];
    }
    s.listeners.iter().map(key).collect()
}

/// The frontends of one protocol family of nginx input.
pub fn translated(
    cx: &mut Ctx,
    proto: Protocol,
    services: &[&Service],
    defaults: &[&Defaults],
    e: &mut Emitter,
) {
    // Services sharing a bind address are one frontend.
    let mut groups: Vec<(Vec<Key>, Vec<&Service>)> = Vec::new();
    for s in services {
        let ks = keys(s);
        match groups
            .iter_mut()
            .find(|(gk, _)| ks.iter().any(|k| gk.contains(k)))
        {
            Some((gk, gs)) => {
                for k in ks {
                    if !gk.contains(&k) {
                        gk.push(k);
                    }
                }
                gs.push(s);
            }
            None => groups.push((ks, vec![s])),
        }
    }
    let mut names = BTreeSet::new();
    for (i, (ks, group)) in groups.iter().enumerate() {
        e.blank();
        let first = &ks[0];
        let mut name = match (group.as_slice(), &group[0].name) {
            ([_], Some(n)) => ident(n),
            _ => format!(
                "fe_{}_{}",
                first
                    .0
                    .as_deref()
                    .map_or("all".to_string(), |a| ident(a).replace([':', '.'], "_")),
                first.1
            ),
        };
        while !names.insert(name.clone()) {
            name.push('_');
        }
        frontend(cx, proto, &name, ks, group, defaults, i == 0, e);
    }
}

/// Where the lines of one frontend go before they are written in HAProxy's order.
#[derive(Default)]
struct Lines {
    params: Vec<String>,
    acls: Vec<String>,
    requests: Vec<String>,
    uses: Vec<String>,
    default: Option<String>,
    stats: bool,
    n: usize,
}

#[allow(clippy::too_many_arguments)]
fn frontend(
    cx: &mut Ctx,
    proto: Protocol,
    name: &str,
    ks: &[Key],
    group: &[&Service],
    defaults: &[&Defaults],
    first: bool,
    e: &mut Emitter,
) {
    let mut out = Lines::default();
    // The `http {}` level rules apply to every frontend; reported once.
    for d in defaults {
        let mut scratch = Emitter::default();
        let rep = if first { &mut *e } else { &mut scratch };
        out.requests.extend(rules(&d.settings, "", "", proto, rep));
    }
    let default_idx = group
        .iter()
        .position(|s| s.listeners.iter().any(|l| l.default_server))
        .unwrap_or(0);
    let merged = group.len() > 1;
    for (si, s) in group.iter().enumerate() {
        e.carried();
        let host = if merged && si != default_idx {
            match host_acl(s, si, &mut out) {
                Some(h) => h,
                None => {
                    e.approximated(
                        s.origin,
                        "a server without names that is not the default one is never selected",
                        "nginx only reaches it through the default server of another port",
                    );
                    continue;
                }
            }
        } else {
            String::new()
        };
        service(cx, proto, s, &host, &mut out, e);
    }
    // The default server's rules come last: other hosts' rules are tested first.
    e.line(format!("frontend {name}"));
    e.indent();
    e.line(format!("mode {}", mode(proto)));
    for k in ks {
        let mut l = match (&k.2, &k.0) {
            (Some(u), _) => u.clone(),
            (None, Some(a)) => format!("{a}:{}", k.1),
            (None, None) => format!(":{}", k.1),
        };
        if k.0.as_deref().is_some_and(|a| a.contains(':')) {
            l.push_str(" v6only");
        }
        let listeners: Vec<&Listener> = group
            .iter()
            .flat_map(|s| &s.listeners)
            .filter(|x| key(x) == *k)
            .collect();
        if listeners.iter().any(|x| x.proxy_protocol) {
            l.push_str(" accept-proxy");
        }
        for x in listeners.iter().filter(|x| x.tls).take(1) {
            e.unsupported(
                x.origin,
                "TLS termination is not translated: HAProxy needs the certificate and key in one PEM file",
                "concatenate `ssl_certificate` and `ssl_certificate_key` into a PEM file and add `ssl crt FILE` to the bind line",
            );
        }
        e.line(format!("bind {}", quote(&l).trim_matches('\'')));
    }
    for l in out.params.iter().chain(&out.acls).chain(&out.requests) {
        e.line(l);
    }
    for l in &out.uses {
        e.line(l);
    }
    if let Some(d) = &out.default {
        e.line(d);
    }
    e.dedent();
}

/// `acl host_N hdr(host)…` lines for a service's names; the ACL name, or `None` when it has none.
fn host_acl(s: &Service, si: usize, out: &mut Lines) -> Option<String> {
    let acl = format!("host_{}", si + 1);
    let crit = "req.hdr(host),field(1,:),lower";
    let mut any = false;
    for n in &s.server_names {
        let name = n.name.to_ascii_lowercase();
        let line = match n.kind {
            _ if name.is_empty() || name == "_" => continue,
            NameKind::Exact => format!("acl {acl} {crit} -m str {}", quote(&name)),
            NameKind::LeadingWildcard => {
                let base = name.trim_start_matches('*');
                if let Some(apex) = name.strip_prefix('.') {
                    out.acls.push(format!("acl {acl} {crit} -m str {apex}"));
                }
                format!("acl {acl} {crit} -m end {}", quote(base))
            }
            NameKind::TrailingWildcard => {
                format!(
                    "acl {acl} {crit} -m beg {}",
                    quote(name.trim_end_matches('*'))
                )
            }
            NameKind::Regex => format!(
                "acl {acl} {crit} -m reg {}",
                quote(n.name.trim_start_matches('~'))
            ),
        };
        any = true;
        out.acls.push(line);
    }
    any.then_some(acl)
}

/// A route and its nested routes, flattened, with its depth.
fn flatten<'a>(routes: &'a [Route], out: &mut Vec<&'a Route>) {
    for r in routes {
        out.push(r);
        flatten(&r.routes, out);
    }
}

/// nginx's matching order: exact, `^~` longest first, regexes in file order, prefixes
/// longest first.
fn ordered(routes: &[Route]) -> Vec<&Route> {
    let mut all = Vec::new();
    flatten(routes, &mut all);
    let rank = |r: &Route| match r.matcher.kind {
        MatchKind::Exact => 0,
        MatchKind::PrefixNoRegex => 1,
        MatchKind::Regex | MatchKind::RegexCaseless => 2,
        MatchKind::Prefix => 3,
        MatchKind::Named => 4,
    };
    let mut idx: Vec<usize> = (0..all.len()).collect();
    idx.sort_by_key(|&i| {
        let r = all[i];
        let len = if matches!(r.matcher.kind, MatchKind::Prefix | MatchKind::PrefixNoRegex) {
            usize::MAX - r.matcher.pattern.len()
        } else {
            0
        };
        (rank(r), len, i)
    });
    idx.into_iter().map(|i| all[i]).collect()
}

fn join(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// One nginx service's lines (`host` is its host ACL, empty for the default service).
fn service(
    cx: &mut Ctx,
    proto: Protocol,
    s: &Service,
    host: &str,
    out: &mut Lines,
    e: &mut Emitter,
) {
    let host_resp = if host.is_empty() || !has_response_rules(&s.settings) {
        String::new()
    } else {
        out.requests.push(format!(
            "http-request set-var(txn.vhost) str({host}) if {host}"
        ));
        format!("{{ var(txn.vhost) -m str {host} }}")
    };
    if host.is_empty() {
        out.params
            .extend(proxy_params(None, &frontend_side(&s.settings), e));
        out.params.extend(compression(&s.settings, e));
    } else if s.settings.timeouts.is_some() || s.settings.compression.is_some() {
        e.approximated(
            s.origin,
            "timeouts and compression of a server sharing its port are not translated",
            "the frontend uses those of the default server",
        );
    }
    unsupported_rest(&s.settings, false, e);
    // A `return` at server level runs before any location.
    if let Some(a @ Action::Return { .. }) = &s.action {
        action(cx, proto, a, host, "", out, e);
    }
    out.requests
        .extend(rules(&s.settings, host, &host_resp, proto, e));
    let mut earlier: Vec<String> = Vec::new();
    let mut catch_all = None;
    for r in ordered(&s.routes) {
        if r.matcher.kind == MatchKind::Named {
            e.unsupported(
                r.matcher.origin,
                format!(
                    "named location `@{}`: HAProxy has no internal redirects",
                    r.matcher.pattern
                ),
                "route with ACLs instead",
            );
            continue;
        }
        if proto != Protocol::Http {
            continue;
        }
        let everything = matches!(r.matcher.kind, MatchKind::Prefix | MatchKind::PrefixNoRegex)
            && r.matcher.pattern == "/";
        out.n += 1;
        let acl = if everything {
            String::new()
        } else {
            let n = format!("r{}", out.n);
            let (crit, pat) = match r.matcher.kind {
                MatchKind::Exact => ("path", r.matcher.pattern.as_str()),
                MatchKind::Prefix | MatchKind::PrefixNoRegex => {
                    ("path_beg", r.matcher.pattern.as_str())
                }
                MatchKind::Regex => ("path_reg", r.matcher.pattern.as_str()),
                _ => ("path_reg -i", r.matcher.pattern.as_str()),
            };
            out.acls.push(format!("acl {n} {crit} {}", quote(pat)));
            n
        };
        let negs = earlier
            .iter()
            .map(|a| format!("!{a}"))
            .collect::<Vec<_>>()
            .join(" ");
        let req_cond = join(&[host, &acl, &negs]);
        let resp_cond = if has_response_rules(&r.settings) {
            let tag = format!("route{}", out.n);
            let c = if req_cond.is_empty() {
                String::new()
            } else {
                format!(" if {req_cond}")
            };
            out.requests
                .push(format!("http-request set-var(txn.route) str({tag}){c}"));
            format!("{{ var(txn.route) -m str {tag} }}")
        } else {
            String::new()
        };
        out.requests
            .extend(rules(&r.settings, &req_cond, &resp_cond, proto, e));
        unsupported_rest(&r.settings, false, e);
        match &r.action {
            Some(a) => {
                if everything && matches!(a, Action::Proxy { .. }) {
                    catch_all = Some(a);
                } else {
                    action(cx, proto, a, host, &join(&[&acl, &negs]), out, e);
                }
            }
            None => {
                let c = r.settings.content.as_ref();
                if c.is_none_or(|c| c.root.is_none() && c.alias.is_none() && c.index.is_none()) {
                    e.unsupported(
                        r.origin,
                        format!(
                            "`location {}` serves static files: HAProxy is not a file server",
                            r.matcher.display()
                        ),
                        "serve them from a web server behind HAProxy",
                    );
                }
            }
        }
        if !acl.is_empty() {
            earlier.push(acl);
        }
    }
    match (catch_all, &s.action) {
        (Some(a), _) => action(cx, proto, a, host, "", out, e),
        (None, Some(a @ (Action::Proxy { .. } | Action::Other { .. } | Action::Status { .. }))) => {
            action(cx, proto, a, host, "", out, e)
        }
        _ => {}
    }
}

fn has_response_rules(s: &crate::ir::Settings) -> bool {
    !s.response_headers.is_empty() || s.proxy.as_ref().is_some_and(|p| !p.hide_headers.is_empty())
}

/// The client-facing settings of a service (the rest is reported by `unsupported_rest`).
fn frontend_side(s: &crate::ir::Settings) -> crate::ir::Settings {
    let mut f = crate::ir::Settings::default();
    if let Some(t) = &s.timeouts {
        let ft = crate::ir::Timeouts {
            client: t.client.clone(),
            keepalive: t.keepalive.clone(),
            http_request: t.http_request.clone(),
            ..Default::default()
        };
        if ft != crate::ir::Timeouts::default() {
            f.timeouts = Some(Box::new(ft));
        }
    }
    f
}

/// What a route (or service) does, as HAProxy lines guarded by `host` and `cond`.
fn action(
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
