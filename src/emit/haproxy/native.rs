//! Frontends and `listen` sections of HAProxy input, written back as they were: binds,
//! ACLs, unmodelled lines verbatim, `use_backend` and `default_backend`.

use super::backend;
use super::settings::{mode, proxy_params};
use super::{opaque_line, quote, Ctx};
use crate::emit::Emitter;
use crate::ir::{Action, Listener, Pool, Service};

/// A frontend (or `listen`, with its pool) of HAProxy input.
pub fn frontend(cx: &Ctx, s: &Service, pool: Option<&Pool>, e: &mut Emitter) {
    let kind = if pool.is_some() { "listen" } else { "frontend" };
    let head = format!(
        "{kind} {}{}",
        s.name.clone().unwrap_or_default(),
        from_clause(s.defaults.as_deref())
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
        e.line(acl_line(a));
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

/// ` from NAME` when the proxy names its defaults section (without it, HAProxy takes the last
/// one before it, as the input did: sections keep their order).
pub fn from_clause(defaults: Option<&str>) -> String {
    defaults.map(|d| format!(" from {d}")).unwrap_or_default()
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

/// `acl NAME CRITERION VALUE…` as written.
pub fn acl_line(a: &crate::ir::Acl) -> String {
    let mut w = vec![format!("acl {} {}", a.name, a.criterion)];
    w.extend(a.values.iter().map(|v| quote(v)));
    w.join(" ")
}
