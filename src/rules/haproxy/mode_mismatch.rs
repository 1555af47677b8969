//! `haproxy/mode-mismatch`: an http frontend or listen sending requests to a tcp backend.

use std::collections::HashMap;

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::{Action, Origin, Pool, Protocol};
use crate::rules::{first_line, RuleContext};
use crate::syntax::haproxy::ProxyInfo;

declare_rule! {
    /// A frontend or listen in `mode http` whose `default_backend` or `use_backend` names a
    /// backend in `mode tcp`.
    ///
    /// ## What it does
    /// Compares the effective mode of every frontend and listen with that of each backend it
    /// switches to. A section's mode is its own `mode` line, else that of the `defaults`
    /// section it inherits from (the last one before it, or the one its `from` names), else
    /// HAProxy's default, `tcp`. Dynamic names (`use_backend %[req.hdr(host),lower]`) are
    /// resolved at run time and are not checked.
    ///
    /// The reverse, a tcp frontend switching to an http backend, is allowed: HAProxy upgrades
    /// the connection to HTTP when it reaches the backend.
    ///
    /// ## Why is this bad?
    /// HAProxy refuses to start: `http frontend 'web' (haproxy.cfg:1) tries to use
    /// incompatible tcp backend 'app' (haproxy.cfg:5) as its default backend (see 'mode').`
    /// A backend without `mode` and without a `defaults` section setting one is in tcp mode,
    /// so the usual cause is a `mode http` written in the frontend only.
    ///
    /// ## Example
    /// ```haproxy
    /// frontend web
    ///     mode http
    ///     bind :80
    ///     default_backend app
    /// backend app
    ///     server a1 10.0.0.1:8080
    /// ```
    /// ## Use instead
    /// ```haproxy
    /// defaults
    ///     mode http
    /// frontend web
    ///     bind :80
    ///     default_backend app
    /// backend app
    ///     server a1 10.0.0.1:8080
    /// ```
    pub MODE_MISMATCH, "haproxy/mode-mismatch", Error, Some(check)
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    // Every proxy section by where its header starts: its service and pool start there too.
    let sections: HashMap<(u32, u32), &ProxyInfo> = cx
        .haproxy
        .iter()
        .flat_map(|l| {
            l.proxies
                .iter()
                .map(move |p| ((l.file.0, p.header.start), p))
        })
        .collect();
    let pools: Vec<&Pool> = cx
        .ir
        .pools
        .iter()
        .filter(|p| super::from_haproxy(cx.ir, p.origin))
        .collect();
    for s in cx
        .ir
        .services
        .iter()
        .filter(|s| s.protocol == Protocol::Http && super::from_haproxy(cx.ir, s.origin))
    {
        let kind = sections
            .get(&(s.origin.file, s.origin.start))
            .map_or("frontend", |p| p.kind.as_str());
        let name = s.name.as_deref().unwrap_or("");
        let switches = s.action.iter().map(|a| (a, true)).chain(
            s.routes
                .iter()
                .filter_map(|r| r.action.as_ref())
                .map(|a| (a, false)),
        );
        for (a, default) in switches {
            let Action::Proxy { target, origin, .. } = a else {
                continue;
            };
            if target.contains("%[") {
                continue;
            }
            // A backend of the same file first: that is the one HAProxy sees with this file.
            let Some(pool) = pools
                .iter()
                .filter(|p| p.name == *target)
                .min_by_key(|p| p.origin.file != s.origin.file)
            else {
                continue;
            };
            // A listen with servers and no default_backend sends to itself.
            if pool.origin == s.origin || pool.protocol != Protocol::Tcp {
                continue;
            }
            let be_kind = sections
                .get(&(pool.origin.file, pool.origin.start))
                .map_or("backend", |p| p.kind.as_str());
            let how = if default {
                "as its default backend"
            } else {
                "in a `use_backend` rule"
            };
            let mut d = Diagnostic::new(
                MODE_MISMATCH.code,
                Severity::Error,
                format!("http {kind} `{name}` uses tcp {be_kind} `{target}` {how}"),
                origin.span(),
            )
            .label(format!(
                "an http {kind} cannot send requests to a tcp {be_kind}"
            ));
            d = backend_labels(cx, d, pool, be_kind);
            d = d.help(format!(
                "set the same `mode` in both sections: `mode http` in {be_kind} `{target}`, or \
                 `mode tcp` in {kind} `{name}`"
            ));
            out.push(d);
        }
    }
}

/// Where the tcp backend's mode comes from: its own `mode` line, its defaults' (labelled with the
/// backend's header), or HAProxy's default.
fn backend_labels(cx: &RuleContext, d: Diagnostic, pool: &Pool, kind: &str) -> Diagnostic {
    let header = super::header_span(cx, pool.origin);
    let inside = |o: &Origin| {
        o.file == pool.origin.file && o.start >= pool.origin.start && o.end <= pool.origin.end
    };
    match pool.protocol_origin {
        Some(o) if inside(&o) => d.with_secondary(
            o.span(),
            format!("{kind} `{}` is in mode tcp here", pool.name),
        ),
        Some(o) => d
            .with_secondary(header, "mode tcp, inherited from its defaults section")
            .with_secondary(o.span(), "the defaults section sets mode tcp here"),
        None => d.with_secondary(
            header,
            "no `mode` here or in its defaults: HAProxy's default is tcp",
        ),
    }
}
