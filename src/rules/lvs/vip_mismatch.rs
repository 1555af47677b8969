//! `lvs/vip-mismatch`: a script and keepalived balance the same real servers on different VIPs.

use std::collections::BTreeSet;

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::{Format, VirtualService};
use crate::rules::lvs::scheduler_mismatch::{describe, format_of};
use crate::rules::{first_line, RuleContext};

declare_rule! {
    /// An ipvsadm script and a keepalived `virtual_server` that balance the same real servers
    /// on the same port, but on different virtual IPs.
    ///
    /// ## What it does
    /// Matches services of the two formats by protocol, port and shared real servers, and
    /// reports those whose VIP differs, and a script VIP that no keepalived `vrrp_instance`
    /// holds when keepalived manages the addresses of the deployment.
    ///
    /// ## Why is this bad?
    /// Clients reach the VIP that VRRP moves between the directors; a service defined on
    /// another address is never reached after a failover (or never at all), and its real
    /// servers, prepared for one VIP on their loopback, drop packets for the other.
    ///
    /// ## Example
    /// ```text
    /// # lvs_dr.sh
    /// ipvsadm -A -t 192.168.63.111:80 -s rr
    /// ipvsadm -a -t 192.168.63.111:80 -r 192.168.63.120:80 -g
    /// # keepalived.conf
    /// virtual_server 192.168.63.110 80 { real_server 192.168.63.120 80 { … } }
    /// ```
    pub VIP_MISMATCH, "lvs/vip-mismatch", Error, Some(check)
}

fn real_servers(vs: &VirtualService) -> BTreeSet<(String, Option<u16>)> {
    vs.real_servers
        .iter()
        .map(|r| (r.address.clone(), r.port))
        .collect()
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    let ir = cx.ir;
    let of = |f: Format| -> Vec<&VirtualService> {
        ir.virtual_services
            .iter()
            .filter(|v| format_of(ir, v) == Some(f))
            .collect()
    };
    let (scripts, keepalived) = (of(Format::Ipvsadm), of(Format::Keepalived));
    let vrrp_vips: BTreeSet<&str> = ir
        .vrrp_instances
        .iter()
        .flat_map(|i| i.virtual_ips.iter().map(|v| v.address.as_str()))
        .collect();
    for s in &scripts {
        let Some(addr) = &s.address else { continue };
        let twin = keepalived.iter().find(|k| {
            k.protocol == s.protocol
                && k.port == s.port
                && k.address.as_ref().is_some_and(|a| a != addr)
                && !real_servers(k).is_disjoint(&real_servers(s))
        });
        if let Some(k) = twin {
            out.push(
                Diagnostic::new(
                    VIP_MISMATCH.code,
                    Severity::Error,
                    format!(
                        "{} and keepalived's {} balance the same real servers on different VIPs",
                        describe(s),
                        describe(k)
                    ),
                    crate::rules::header_span(cx.sources, s.origin.span()),
                )
                .label(format!("VIP {addr} here"))
                .with_secondary(
                    crate::rules::header_span(cx.sources, k.origin.span()),
                    format!("VIP {} in keepalived", k.address.as_deref().unwrap_or("?")),
                )
                .help("use the VIP keepalived's VRRP instance holds in both, or drop the service from one of them"),
            );
        } else if !vrrp_vips.is_empty()
            && !keepalived.is_empty()
            && !vrrp_vips.contains(addr.as_str())
        {
            out.push(
                Diagnostic::new(
                    VIP_MISMATCH.code,
                    Severity::Warning,
                    format!("{} is on {addr}, which no VRRP instance holds", describe(s)),
                    crate::rules::header_span(cx.sources, s.origin.span()),
                )
                .label(format!("{addr} is not a keepalived virtual_ipaddress"))
                .help(format!(
                    "the VRRP instances move {}; a service on another address does not follow a failover",
                    vrrp_vips.iter().copied().collect::<Vec<_>>().join(", ")
                )),
            );
        }
    }
}
