//! `lvs/dr-port-mismatch`: a DR or TUN real server on another port than its service.

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{first_line, RuleContext};
use crate::syntax::lvs::ipvsadm::{Cmd, Fwd, Service};

declare_rule! {
    /// A direct-routing or tunnelled real server whose port differs from the service's.
    ///
    /// ## What it does
    /// Flags `ipvsadm -a`/`-e` calls (and listing lines) that give a real server a port other
    /// than the virtual service's while forwarding with direct routing (`-g`, the default) or
    /// IP-in-IP tunnelling (`-i`). Firewall-mark services are not checked (their port is the
    /// request's).
    ///
    /// ## Why is this bad?
    /// DR and TUN forward the client's packet unchanged: only NAT rewrites the destination
    /// port. ipvsadm silently replaces the port with the service's, so the real server must
    /// listen on the service port; the port written in the script is never used.
    ///
    /// ## Example
    /// ```sh
    /// ipvsadm -A -t 10.0.0.10:80 -s wlc
    /// ipvsadm -a -t 10.0.0.10:80 -r 10.0.0.21:8080 -g
    /// ```
    /// ## Use instead
    /// Make the real server listen on port 80 and write `-r 10.0.0.21:80`, or use NAT (`-m`)
    /// to map port 80 to 8080.
    pub DR_PORT_MISMATCH, "lvs/dr-port-mismatch", Warning, Some(check)
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    for l in cx.lvs {
        for call in &l.calls {
            let inv = &call.inv;
            if !matches!(inv.command.value, Cmd::AddServer | Cmd::EditServer) {
                continue;
            }
            let Some(Service::Addr { endpoint, .. }) = inv.service.as_ref().map(|s| &s.value)
            else {
                continue;
            };
            let (Some(rs), Some(svc)) = (&inv.real_server, &inv.service) else {
                continue;
            };
            let fwd = inv.forwarding.as_ref().map(|f| f.value);
            let fwd = match fwd {
                None if !call.listing => Fwd::Dr,
                Some(f @ (Fwd::Dr | Fwd::Tun)) => f,
                _ => continue,
            };
            let svc_port = endpoint.port.unwrap_or(0);
            let Some(rs_port) = rs.value.port else {
                continue;
            };
            if rs_port == svc_port {
                continue;
            }
            let (name, how) = match fwd {
                Fwd::Tun => ("tunnelling (-i)", "is tunnelled"),
                _ if inv.forwarding.is_none() => {
                    ("direct routing (the default)", "is routed directly")
                }
                _ => ("direct routing (-g)", "is routed directly"),
            };
            let mut d = Diagnostic::new(
                DR_PORT_MISMATCH.code,
                Severity::Warning,
                format!(
                    "real server port {rs_port} differs from the service port {svc_port}, but {name} cannot change the port"
                ),
                l.span(rs.range),
            )
            .label(format!("port {rs_port} is never used: the packet {how} to port {svc_port}"))
            .with_secondary(l.span(svc.range), format!("the service listens on port {svc_port}"));
            d = d.help(if call.listing {
                format!("make the real server listen on port {svc_port}, or forward with NAT (Masq) to map the port")
            } else {
                format!("write `-r {}:{svc_port}` and make the server listen on it, or use NAT (-m) to map port {svc_port} to {rs_port}", bracket(&rs.value.host))
            });
            out.push(d);
        }
    }
}

fn bracket(h: &str) -> String {
    if h.contains(':') {
        format!("[{h}]")
    } else {
        h.to_string()
    }
}
