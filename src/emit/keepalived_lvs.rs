//! The LVS side of the keepalived emitter: `virtual_server_group`s and `virtual_server`s with
//! their real servers and checkers, inverting `syntax/keepalived/lower_lvs.rs` (`retry N` was
//! lowered to fall N+1, so fall F is written `retry F-1`).

use super::{has, secs, word, write_opaque, Ctx};
use crate::emit::Emitter;
use crate::ir::{
    CheckKind, Forwarding, HealthCheck, Opaque, Origin, Protocol, RealServer, VirtualService,
};

pub fn emit(k: &Ctx, e: &mut Emitter) {
    for g in &k.ir.virtual_service_groups {
        e.line(format!("virtual_server_group {} {{", word(&g.name)));
        e.indent();
        for m in &g.members {
            e.line(m);
        }
        e.dedent();
        e.line("}");
        e.blank();
        e.carried();
    }
    for vs in &k.ir.virtual_services {
        virtual_server(k, e, vs);
    }
}

fn forwarding(f: Forwarding) -> &'static str {
    match f {
        Forwarding::Dr => "DR",
        Forwarding::Nat => "NAT",
        Forwarding::Tun => "TUN",
    }
}

fn virtual_server(k: &Ctx, e: &mut Emitter, vs: &VirtualService) {
    let from_keepalived = k.is_keepalived(vs.origin);
    let head = match (&vs.group, vs.fwmark, &vs.address, vs.port) {
        (Some(g), _, _, _) => format!("group {}", word(g)),
        (_, Some(m), _, _) => format!("fwmark {m}"),
        (_, _, Some(a), Some(p)) => format!("{} {p}", word(a)),
        (_, _, Some(a), None) => word(a),
        _ => String::new(),
    };
    e.line(format!("virtual_server {head} {{"));
    e.indent();
    if let Some(d) = vs.delay_loop {
        e.line(format!("delay_loop {}", secs(d)));
    }
    match vs.scheduler.ipvs_name() {
        Some(s) => e.line(format!("lb_algo {s}")),
        None => e.approximated(
            vs.origin,
            format!(
                "algorithm {} has no IPVS scheduler; keepalived uses wlc",
                vs.scheduler.name()
            ),
            "choose an IPVS scheduler (rr, wrr, lc, wlc, sh, …) with lb_algo",
        ),
    }
    // An ipvsadm source sets the method per real server; keepalived says it once when all agree.
    let mut hoisted = None;
    let fwd = vs.forwarding.or_else(|| {
        if from_keepalived {
            return None;
        }
        let first = vs.real_servers.first()?.forwarding?;
        let all = vs.real_servers.iter().all(|r| r.forwarding == Some(first));
        hoisted = all.then_some(first);
        hoisted
    });
    if let Some(f) = fwd {
        e.line(format!("lb_kind {}", forwarding(f)));
    }
    if let Some(p) = vs.persistence {
        e.line(format!("persistence_timeout {}", secs(p)));
    }
    if let Some(m) = &vs.persistence_netmask {
        e.line(format!("persistence_granularity {}", word(m)));
    }
    if !(from_keepalived && has(&vs.opaque, "protocol")) {
        match vs.protocol {
            Protocol::Udp => e.line("protocol UDP"),
            _ => e.line("protocol TCP"),
        }
    }
    if let Some(s) = &vs.sorry_server {
        e.line(format!("sorry_server {}", endpoint(s)));
    }
    k.opaque_children(e, &vs.opaque);
    for rs in &vs.real_servers {
        real_server(k, e, rs, hoisted.is_some());
    }
    e.dedent();
    e.line("}");
    e.blank();
    e.carried();
}

fn endpoint(rs: &RealServer) -> String {
    match rs.port {
        Some(p) => format!("{} {p}", word(&rs.address)),
        None => word(&rs.address),
    }
}

/// A checker block to write: its checks (several `url`s for HTTP_GET/SSL_GET) and the opaque
/// entry holding its unmodelled lines.
struct Block<'a> {
    name: &'static str,
    checks: Vec<&'a HealthCheck>,
    rest: Option<&'a Opaque>,
}

impl Block<'_> {
    fn origin(&self) -> Origin {
        self.rest
            .map(|o| o.origin)
            .or(self.checks.first().map(|c| c.origin))
            .unwrap_or_default()
    }
}

fn checker_name(c: &HealthCheck) -> &'static str {
    match &c.kind {
        CheckKind::Tcp => "TCP_CHECK",
        CheckKind::Http { tls: false, .. } => "HTTP_GET",
        CheckKind::Http { tls: true, .. } => "SSL_GET",
        CheckKind::Script { .. } => "MISC_CHECK",
        CheckKind::Dns { .. } => "DNS_CHECK",
    }
}

/// The settings a checker block shares (one HTTP_GET holds several urls with the same ones).
fn same_base(a: &HealthCheck, b: &HealthCheck) -> bool {
    (a.interval, a.timeout, a.rise, a.fall, a.port)
        == (b.interval, b.timeout, b.rise, b.fall, b.port)
}

fn real_server(k: &Ctx, e: &mut Emitter, rs: &RealServer, hoisted: bool) {
    e.line(format!("real_server {} {{", endpoint(rs)));
    e.indent();
    if let Some(w) = rs.weight {
        e.line(format!("weight {w}"));
    }
    if let (Some(f), false) = (rs.forwarding, hoisted) {
        e.line(format!("lb_kind {}", forwarding(f)));
    }
    if let Some(u) = rs.upper_threshold {
        e.line(format!("uthreshold {u}"));
    }
    if let Some(l) = rs.lower_threshold {
        e.line(format!("lthreshold {l}"));
    }
    let mut blocks: Vec<Block> = Vec::new();
    for c in &rs.checks {
        let name = checker_name(c);
        match blocks.last_mut() {
            Some(b)
                if b.name == name
                    && matches!(c.kind, CheckKind::Http { .. })
                    && same_base(b.checks[0], c) =>
            {
                b.checks.push(c)
            }
            _ => blocks.push(Block {
                name,
                checks: vec![c],
                rest: None,
            }),
        }
    }
    let mut other = Vec::new();
    for o in &rs.opaque {
        if o.context.as_deref() != Some("checker") {
            other.push(o.clone());
            continue;
        }
        match blocks
            .iter_mut()
            .find(|b| b.name == o.name && b.rest.is_none())
        {
            Some(b) => b.rest = Some(o),
            None => blocks.push(Block {
                name: "",
                checks: Vec::new(),
                rest: Some(o),
            }),
        }
    }
    blocks.sort_by_key(|b| {
        let o = b.origin();
        (o.file, o.start)
    });
    for b in &blocks {
        checker(k, e, b);
    }
    k.opaque_children(e, &other);
    e.dedent();
    e.line("}");
    e.carried();
}

fn checker(k: &Ctx, e: &mut Emitter, b: &Block) {
    let Some(c) = b.checks.first() else {
        if let Some(o) = b.rest {
            write_block(k, e, o);
        }
        return;
    };
    e.line(format!("{} {{", b.name));
    e.indent();
    let script = matches!(c.kind, CheckKind::Script { .. });
    if let CheckKind::Script { command } = &c.kind {
        e.line(format!("misc_path {}", word(command)));
    }
    if let Some(t) = c.timeout {
        let kw = if script {
            "misc_timeout"
        } else {
            "connect_timeout"
        };
        e.line(format!("{kw} {}", secs(t)));
    }
    match (c.port, script) {
        (Some(p), false) => e.line(format!("connect_port {p}")),
        (Some(p), true) => e.unsupported(
            c.origin,
            format!("check port {p} has no MISC_CHECK equivalent"),
            "pass the port to the script in misc_path",
        ),
        _ => {}
    }
    if let Some(i) = c.interval {
        e.line(format!("delay_loop {}", secs(i)));
    }
    if let Some(f) = c.fall {
        e.line(format!("retry {}", f.saturating_sub(1)));
    }
    if c.rise.is_some_and(|r| r > 1) {
        e.approximated(
            c.origin,
            "keepalived checkers have no rise count: a server is up again after one success",
            "keepalived's `warmup` delays the first check instead",
        );
    }
    if let CheckKind::Dns { name } = &c.kind {
        e.line(format!("name {}", word(name)));
    }
    let verbatim_urls: Vec<&Opaque> = b
        .rest
        .map(|o| o.children.iter().filter(|u| u.name == "url").collect())
        .unwrap_or_default();
    for c in &b.checks {
        let CheckKind::Http {
            method,
            path,
            expect_status,
            headers,
            ..
        } = &c.kind
        else {
            continue;
        };
        if !headers.is_empty() {
            let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
            e.approximated(
                c.origin,
                format!(
                    "keepalived's HTTP_GET sends no `{}` header",
                    names.join("`, `")
                ),
                "a `Host` can be given with `virtualhost` in the checker",
            );
        }
        let written = verbatim_urls.iter().any(|u| {
            u.children
                .iter()
                .any(|l| l.name == "path" && l.args.first() == Some(path))
        });
        if written {
            continue;
        }
        if method.as_deref().is_some_and(|m| m != "GET") {
            e.approximated(
                c.origin,
                format!(
                    "keepalived checks with GET, not {}",
                    method.as_deref().unwrap_or("")
                ),
                "make sure the URL answers GET",
            );
        }
        e.line("url {");
        e.indent();
        if !path.is_empty() {
            e.line(format!("path {}", word(path)));
        }
        if !expect_status.is_empty() {
            let codes: Vec<String> = expect_status.iter().map(|s| word(s)).collect();
            e.line(format!("status_code {}", codes.join(" ")));
        }
        e.dedent();
        e.line("}");
    }
    if let Some(o) = b.rest {
        k.opaque_children(e, &o.children);
    }
    e.dedent();
    e.line("}");
}

fn write_block(k: &Ctx, e: &mut Emitter, o: &Opaque) {
    if k.is_keepalived(o.origin) {
        write_opaque(e, o);
    } else {
        k.opaque_children(e, std::slice::from_ref(o));
    }
}
