//! `haproxy/missing-timeouts`: a proxy without `timeout client`, `connect` or `server`.

use std::collections::HashMap;

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::{Origin, Settings};
use crate::rules::{first_line, RuleContext};
use crate::syntax::haproxy::ProxyInfo;

declare_rule! {
    /// A frontend without an effective `timeout client`, or a backend without `timeout
    /// connect` and `timeout server`, after inheritance from its `defaults` section.
    ///
    /// ## What it does
    /// Checks the effective timeouts of every frontend, backend and listen (its own, or those
    /// of the `defaults` section it inherits from) the way HAProxy does at start-up, and names
    /// the ones missing.
    ///
    /// ## Why is this bad?
    /// HAProxy warns `missing timeouts for frontend 'web'`: without them a connection can stay
    /// open forever, so idle or half-dead clients and servers pile up until `maxconn` is reached
    /// and HAProxy stops accepting traffic.
    ///
    /// ## Example
    /// ```haproxy
    /// frontend web
    ///     bind :80
    ///     default_backend app
    /// ```
    /// ## Use instead
    /// ```haproxy
    /// defaults
    ///     timeout connect 5s
    ///     timeout client 30s
    ///     timeout server 30s
    /// frontend web
    ///     bind :80
    ///     default_backend app
    /// ```
    pub MISSING_TIMEOUTS, "haproxy/missing-timeouts", Warning, Some(check)
}

fn has(s: &Settings, f: impl Fn(&crate::ir::Timeouts) -> bool) -> bool {
    s.timeouts.as_deref().is_some_and(f)
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    // A proxy's service and pool start where its header does.
    let key = |o: &Origin| (o.file, o.start);
    let services: HashMap<_, _> = cx.ir.services.iter().map(|s| (key(&s.origin), s)).collect();
    let pools: HashMap<_, _> = cx.ir.pools.iter().map(|p| (key(&p.origin), p)).collect();
    for l in cx.haproxy {
        // A `from` naming no single defaults section is `defaults-inheritance`'s finding; what
        // the proxy would have inherited is unknown.
        let judged =
            |p: &&ProxyInfo| p.kind != "defaults" && (p.from.is_none() || p.inherits.is_some());
        for p in l.proxies.iter().filter(judged) {
            let at = (l.file.0, p.header.start);
            let mut missing = Vec::new();
            if let Some(s) = services.get(&at) {
                if !has(&s.settings, |t| t.client.is_some()) {
                    missing.push("client");
                }
            }
            if let Some(pool) = pools.get(&at) {
                if !has(&pool.settings, |t| t.connect.is_some()) {
                    missing.push("connect");
                }
                if !has(&pool.settings, |t| t.upstream_read.is_some()) {
                    missing.push("server");
                }
            }
            if missing.is_empty() {
                continue;
            }
            let name = p.name.as_deref().unwrap_or("");
            let list = missing
                .iter()
                .map(|m| format!("`timeout {m}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let mut d = Diagnostic::new(
                MISSING_TIMEOUTS.code,
                Severity::Warning,
                format!("missing timeouts for {} `{name}`: {list}", p.kind),
                crate::source::Span::new(l.file, p.header.start, p.header.end),
            )
            .label(format!("no {list} here or in its defaults"))
            .help(format!(
                "set {list} in the `defaults` section (or in this {}); without them connections can hang forever",
                p.kind
            ));
            if let Some(h) = p.inherits {
                d = d.with_secondary(h, "the defaults section it inherits from");
            }
            out.push(d);
        }
    }
}
