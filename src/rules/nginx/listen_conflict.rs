//! `nginx/listen-conflict`: an http and a stream server (or two stream servers) on one port.

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::{Listener, Protocol, Service};
use crate::rules::{first_line, RuleContext};
use crate::source::Span;
use crate::syntax::nginx::directives as dt;

declare_rule! {
    /// Two listeners that cannot both bind: an `http` server and a `stream` server on the same
    /// address and port, or two `stream` servers on one port.
    ///
    /// ## What it does
    /// Compares the `listen` addresses of every server (a wildcard address overlaps every
    /// specific one on the same port). It also warns when a `stream` server takes port 80 or
    /// 443 while `http` includes `conf.d/*.conf`, where distribution packages put a default
    /// server listening on port 80.
    ///
    /// ## Why is this bad?
    /// `nginx -t` does not open sockets, so it passes; nginx then fails to start with
    /// `bind() to 0.0.0.0:80 failed (98: Address already in use)`. http servers can share a port
    /// (they are virtual hosts); stream servers cannot share one with anything.
    pub LISTEN_CONFLICT, "nginx/listen-conflict", Error, Some(check)
}

fn overlaps(a: &Listener, b: &Listener) -> bool {
    a.unix.is_none()
        && b.unix.is_none()
        && a.port == b.port
        && (a.protocol == Protocol::Udp) == (b.protocol == Protocol::Udp)
        && (a.address.is_none() || b.address.is_none() || a.address == b.address)
}

fn endpoint(l: &Listener) -> String {
    format!(
        "{}:{}",
        l.address.as_deref().unwrap_or("*"),
        l.port.unwrap_or(80)
    )
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    let services = || {
        cx.ir
            .services
            .iter()
            .filter(|s| crate::rules::from_nginx(cx.ir, s.origin))
    };
    // Both findings need a stream server: only the ports stream servers listen on matter (a
    // large config is thousands of http servers and no stream one).
    let stream_ports: std::collections::BTreeSet<Option<u16>> = services()
        .filter(|s| s.protocol != Protocol::Http)
        .flat_map(|s| s.listeners.iter().map(|l| l.port))
        .collect();
    if stream_ports.is_empty() {
        return;
    }
    let listeners: Vec<(&Service, &Listener)> = services()
        .flat_map(|s| s.listeners.iter().map(move |l| (s, l)))
        .filter(|(_, l)| stream_ports.contains(&l.port))
        .collect();
    // Only listeners on the same port can overlap: compare within each port.
    let mut by_port: std::collections::BTreeMap<Option<u16>, Vec<(&Service, &Listener)>> =
        Default::default();
    for &(s, l) in &listeners {
        by_port.entry(l.port).or_default().push((s, l));
    }
    for group in by_port.values() {
        // Many http servers on one port are virtual hosts; only a stream server can conflict.
        if group.iter().all(|(s, _)| s.protocol == Protocol::Http) {
            continue;
        }
        for (i, (sa, la)) in group.iter().enumerate() {
            for (sb, lb) in &group[..i] {
                let both_http = sa.protocol == Protocol::Http && sb.protocol == Protocol::Http;
                if both_http || std::ptr::eq(*sa, *sb) || !overlaps(la, lb) {
                    continue;
                }
                out.push(conflict(sa, la, sb, lb));
            }
        }
    }
    // A stream server on 80/443 next to an http block that pulls in the distribution's conf.d.
    for l in cx.nginx {
        let Some(inc) = l.visits.iter().find(|v| {
            v.specs.first().is_some_and(|s| s.name == "include") && v.ctx == dt::HTTP && {
                let text = cx
                    .sources
                    .slice(Span::new(v.file, v.head.start, v.head.end));
                text.contains("conf.d/") && text.contains('*')
            }
        }) else {
            continue;
        };
        for (s, listener) in &listeners {
            let port = listener.port.unwrap_or(80);
            let http_on_port = listeners
                .iter()
                .any(|(o, ol)| o.protocol == Protocol::Http && ol.port == Some(port));
            if s.protocol == Protocol::Tcp && (port == 80 || port == 443) && !http_on_port {
                out.push(
                    Diagnostic::new(
                        LISTEN_CONFLICT.code,
                        Severity::Warning,
                        format!("a stream server takes port {port}, which the http servers of `conf.d/*.conf` usually listen on"),
                        listener.origin.span(),
                    )
                    .label(format!("stream server binds {}", endpoint(listener)))
                    .with_secondary(Span::new(inc.file, inc.head.start, inc.head.end), "distribution packages put `default.conf`, listening on port 80, in this directory")
                    .help(format!("if any included server listens on {port}, nginx fails to start with `Address already in use`: move the stream server to another port, or check that no http server uses {port}")),
                );
            }
        }
    }
}

fn conflict(sa: &Service, la: &Listener, sb: &Service, lb: &Listener) -> Diagnostic {
    Diagnostic::new(
        LISTEN_CONFLICT.code,
        Severity::Error,
        format!("`listen {}` conflicts with another server on the same port", endpoint(la)),
        la.origin.span(),
    )
    .label(format!("{} server binds {}", kind(sa), endpoint(la)))
    .with_secondary(lb.origin.span(), format!("{} server already binds {}", kind(sb), endpoint(lb)))
    .help("nginx -t passes, but nginx fails to start with `Address already in use`: move one of them to another port or address")
}

fn kind(s: &Service) -> &'static str {
    if s.protocol == Protocol::Http {
        "an http"
    } else {
        "a stream"
    }
}
