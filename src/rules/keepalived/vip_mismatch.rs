//! `keepalived/vip-mismatch`: the two halves of a pair hold different virtual IPs.

use super::{pair_name, pairs};
use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{first_line, RuleContext};

declare_rule! {
    /// The same VRRP instance (matched by name) has different `virtual_ipaddress` lists on the
    /// two nodes of a pair.
    ///
    /// ## What it does
    /// Compares the addresses (and prefix lengths) of matched instances and names each address
    /// that only one node holds.
    ///
    /// ## Why is this bad?
    /// After a failover clients lose the addresses only the old MASTER had (or get the wrong
    /// netmask). keepalived itself does not compare them, and in VRRPv2 strict mode the
    /// adverts are even discarded.
    ///
    /// ## Example
    /// ```text
    /// # master.conf                     # backup.conf
    /// virtual_ipaddress { 10.0.0.10/24 }  virtual_ipaddress { 10.0.0.11/24 }
    /// ```
    /// ## Use instead
    /// The same `virtual_ipaddress` list on both nodes.
    pub VIP_MISMATCH, "keepalived/vip-mismatch", Error, Some(check)
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    for p in pairs(cx) {
        if !p.by_name {
            continue;
        }
        let key = |v: &crate::ir::VirtualIp| (v.address.clone(), v.prefix_len);
        for (this, other) in [(p.b, p.a), (p.a, p.b)] {
            for v in &this.virtual_ips {
                if other.virtual_ips.iter().any(|o| key(o) == key(v)) {
                    continue;
                }
                let shown = match v.prefix_len {
                    Some(l) => format!("{}/{l}", v.address),
                    None => v.address.clone(),
                };
                let other_span = other.virtual_ips.first().map_or(other.origin, |o| o.origin);
                let same_addr = other.virtual_ips.iter().find(|o| o.address == v.address);
                let message = match same_addr {
                    Some(_) => format!(
                        "virtual IP {shown} of instance {} has another prefix length on the other node",
                        pair_name(&p)
                    ),
                    None => format!(
                        "virtual IP {shown} of instance {} is on one node only",
                        pair_name(&p)
                    ),
                };
                out.push(
                    Diagnostic::new(VIP_MISMATCH.code, Severity::Error, message, v.origin.span())
                        .label("not on the other node")
                        .with_secondary(
                            same_addr.map_or(other_span, |o| o.origin).span(),
                            "the other node's virtual IPs",
                        )
                        .help("list the same virtual IPs on both nodes"),
                );
            }
        }
    }
}
