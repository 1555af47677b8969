//! nginx services as HAProxy frontends: services are merged per bind address into one
//! frontend; their server names become `hdr(host)` ACLs and their locations path ACLs in nginx's matching order
//! (exact, `^~` longest first, regexes in file order, prefixes longest first).

use std::collections::BTreeSet;

use super::actions::action;
use super::rules::rules;
use super::settings::{compression, mode, proxy_params, unsupported_rest};
use super::{ident, quote, Ctx};
use crate::emit::Emitter;
use crate::ir::{Action, Defaults, Listener, MatchKind, NameKind, Protocol, Route, Service};

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
    for (ks, group) in &groups {
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
        frontend(cx, proto, &name, ks, group, defaults, e);
    }
}

/// Where the lines of one frontend go before they are written in HAProxy's order.
#[derive(Default)]
pub(super) struct Lines {
    pub params: Vec<String>,
    pub acls: Vec<String>,
    pub requests: Vec<String>,
    pub uses: Vec<String>,
    pub default: Option<String>,
    pub stats: bool,
    pub n: usize,
}

#[allow(clippy::too_many_arguments)]
fn frontend(
    cx: &mut Ctx,
    proto: Protocol,
    name: &str,
    ks: &[Key],
    group: &[&Service],
    defaults: &[&Defaults],
    e: &mut Emitter,
) {
    let mut out = Lines::default();
    let default_idx = group
        .iter()
        .position(|s| s.listeners.iter().any(|l| l.default_server))
        .unwrap_or(0);
    let merged = group.len() > 1;
    // Host ACLs first: the default server takes the requests no other server's names match.
    let mut hosts = Vec::new();
    for (si, s) in group.iter().enumerate() {
        hosts.push(if merged && si != default_idx {
            let h = host_acl(s, si, &mut out);
            if h.is_none() {
                e.approximated(
                    s.origin,
                    "a server without names that is not the default one is never selected",
                    "nginx only reaches it through the default server of another port",
                );
            }
            h
        } else {
            Some(String::new())
        });
    }
    let others = hosts
        .iter()
        .enumerate()
        .filter(|(i, h)| *i != default_idx && h.is_some())
        .map(|(_, h)| format!("!{}", h.as_deref().unwrap_or_default()))
        .collect::<Vec<_>>()
        .join(" ");
    for (si, s) in group.iter().enumerate() {
        let Some(host) = &hosts[si] else { continue };
        e.carried();
        let (host, tag) = if si == default_idx {
            (others.clone(), "default".to_string())
        } else {
            (host.clone(), host.clone())
        };
        service(cx, proto, s, &host, &tag, defaults, &mut out, e);
    }
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
        if let Some(x) = listeners.iter().find(|x| x.tls) {
            tls(&mut l, x, group, defaults, e);
        }
        e.line(format!("bind {l}"));
    }
    // ACLs no rule uses (routes HAProxy does not serve) are left out.
    let used = |name: &str| {
        out.requests.iter().chain(&out.uses).any(|l| {
            l.split_whitespace()
                .any(|w| w.trim_start_matches('!') == name)
        })
    };
    out.acls
        .retain(|l| l.split_whitespace().nth(1).is_some_and(used));
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

/// `ssl crt FILE…` on a bind line: the `ssl_certificate` of every server of the frontend
/// (HAProxy picks one by SNI), or of the `http {}` level.
fn tls(l: &mut String, x: &Listener, group: &[&Service], defaults: &[&Defaults], e: &mut Emitter) {
    let cert = |o: &[crate::ir::Opaque]| -> Vec<(String, crate::ir::Origin)> {
        o.iter()
            .filter(|o| o.name == "ssl_certificate" && o.args.len() == 1)
            .map(|o| (o.args[0].clone(), o.origin))
            .collect()
    };
    let mut certs: Vec<(String, crate::ir::Origin)> = group
        .iter()
        .flat_map(|s| cert(&s.settings.opaque))
        .collect();
    if certs.is_empty() {
        certs = defaults
            .iter()
            .flat_map(|d| cert(&d.settings.opaque))
            .collect();
    }
    certs.dedup_by(|a, b| a.0 == b.0);
    if certs.is_empty() || certs.iter().any(|c| c.0.contains('$')) {
        e.unsupported(
            x.origin,
            "TLS termination without a certificate lbc can name",
            "add `ssl crt FILE` to the bind line (a PEM with the certificate and its key)",
        );
        return;
    }
    l.push_str(" ssl");
    for (c, origin) in &certs {
        l.push_str(&format!(" crt {}", quote(c)));
        e.approximated(
            *origin,
            format!("`ssl_certificate {c}` written as `crt {c}`"),
            "HAProxy reads the key from the same PEM file (or from FILE.key), not from `ssl_certificate_key`",
        );
    }
    if x.http2 {
        l.push_str(" alpn h2,http/1.1");
    }
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
#[allow(clippy::too_many_arguments)]
fn service(
    cx: &mut Ctx,
    proto: Protocol,
    s: &Service,
    host: &str,
    tag: &str,
    defaults: &[&Defaults],
    out: &mut Lines,
    e: &mut Emitter,
) {
    // The lists a server does not set itself come from the `http {}` level.
    let inherited: Vec<crate::ir::Settings> = (0..4)
        .map(|c| {
            if owns(&s.settings, c) {
                category(&s.settings, c)
            } else {
                let mut merged = crate::ir::Settings::default();
                for d in defaults {
                    if owns(&d.settings, c) {
                        merged = category(&d.settings, c);
                    }
                }
                merged
            }
        })
        .collect();
    let host_resp = if host.is_empty() || !has_response_rules(&inherited[0]) {
        String::new()
    } else {
        out.requests.push(format!(
            "http-request set-var(txn.vhost) str({tag}) if {host}"
        ));
        format!("{{ var(txn.vhost) -m str {tag} }}")
    };
    if host.is_empty() {
        out.params
            .extend(proxy_params(None, &frontend_side(&s.settings, proto, e), e));
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
    // Route lines are gathered apart: the routes' `set-var` lines must precede the server-level
    // rules, which skip the routes that set their own (nginx does not merge these lists).
    let saved = std::mem::take(&mut out.requests);
    let mut setvars = Vec::new();
    let mut owners: [Vec<String>; 4] = Default::default();
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
        let own: Vec<usize> = (0..4).filter(|&c| owns(&r.settings, c)).collect();
        let tag = format!("route{}", out.n);
        // The variable is needed by the route's own response rules, or to exempt the route
        // from the server-level lists it replaces.
        let needed =
            has_response_rules(&r.settings) || own.iter().any(|&c| !inherited[c].is_empty());
        if needed {
            let c = if req_cond.is_empty() {
                String::new()
            } else {
                format!(" if {req_cond}")
            };
            setvars.push(format!("http-request set-var(txn.route) str({tag}){c}"));
            for c in own {
                owners[c].push(tag.clone());
            }
        }
        let resp_cond = if has_response_rules(&r.settings) {
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
    let route_lines = std::mem::replace(&mut out.requests, saved);
    out.requests.extend(setvars);
    for (c, routes) in owners.iter().enumerate() {
        let only = &inherited[c];
        if only.is_empty() {
            continue;
        }
        // Rules from the `http {}` level are reported once, for the first frontend.
        let from_defaults = !owns(&s.settings, c);
        let mut scratch = Emitter::default();
        let rep = if from_defaults && cx.reported[c] {
            &mut scratch
        } else {
            &mut *e
        };
        cx.reported[c] |= from_defaults;
        let skip = if routes.is_empty() {
            String::new()
        } else {
            format!("!{{ var(txn.route) -m str {} }}", routes.join(" "))
        };
        let cond = join(&[host, &skip]);
        let resp = join(&[&host_resp, &skip]);
        out.requests.extend(rules(only, &cond, &resp, proto, rep));
    }
    out.requests.extend(route_lines);
    match (catch_all, &s.action) {
        (Some(a), _) => action(cx, proto, a, host, "", out, e),
        (None, Some(a @ (Action::Proxy { .. } | Action::Other { .. } | Action::Status { .. }))) => {
            action(cx, proto, a, host, "", out, e)
        }
        _ => {}
    }
}

/// The four lists nginx inherits only when a level sets none: response headers, request
/// headers, access rules, the body size limit.
fn owns(s: &crate::ir::Settings, c: usize) -> bool {
    !category(s, c).is_empty()
}

fn category(s: &crate::ir::Settings, c: usize) -> crate::ir::Settings {
    let mut o = crate::ir::Settings::default();
    match c {
        0 => {
            o.response_headers.clone_from(&s.response_headers);
            if let Some(p) = s.proxy.as_ref().filter(|p| !p.hide_headers.is_empty()) {
                o.proxy = Some(Box::new(crate::ir::Proxy {
                    hide_headers: p.hide_headers.clone(),
                    ..Default::default()
                }));
            }
        }
        1 => {
            if let Some(p) = s.proxy.as_ref().filter(|p| !p.headers.is_empty()) {
                o.proxy = Some(Box::new(crate::ir::Proxy {
                    headers: p.headers.clone(),
                    ..Default::default()
                }));
            }
        }
        2 => {
            if let Some(a) = s.access.as_ref().filter(|a| !a.rules.is_empty()) {
                o.access = Some(Box::new(crate::ir::Access {
                    rules: a.rules.clone(),
                    ..Default::default()
                }));
            }
        }
        _ => {
            if let Some(m) = s.client.as_ref().and_then(|c| c.max_body_size.clone()) {
                o.client = Some(Box::new(crate::ir::Client {
                    max_body_size: Some(m),
                    ..Default::default()
                }));
            }
        }
    }
    o
}

fn has_response_rules(s: &crate::ir::Settings) -> bool {
    !s.response_headers.is_empty() || s.proxy.as_ref().is_some_and(|p| !p.hide_headers.is_empty())
}

/// The client-facing settings of a service (the rest is reported by `unsupported_rest`).
fn frontend_side(s: &crate::ir::Settings, proto: Protocol, e: &mut Emitter) -> crate::ir::Settings {
    let mut f = crate::ir::Settings::default();
    if let Some(t) = &s.timeouts {
        // In `stream`, `proxy_timeout` bounds inactivity on both sides.
        let idle = t.idle.clone().filter(|_| proto != Protocol::Http);
        if let Some(i) = &idle {
            e.approximated(
                i.origin,
                "`proxy_timeout` of a server written as the frontend's `timeout client`",
                "the backend keeps the `timeout server` of the defaults; set it there too",
            );
        }
        let ft = crate::ir::Timeouts {
            client: t.client.clone().or(idle),
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
