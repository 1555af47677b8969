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
