//! `keepalived/vrid-mismatch`: the same instance on two nodes with different router ids.

use super::{pair_name, pairs};
use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{first_line, RuleContext};

declare_rule! {
    /// The same VRRP instance (same name, or same virtual IP) has different
    /// `virtual_router_id`s on the two nodes of a pair.
    ///
    /// ## What it does
    /// Checks files given together as one deployment: instances are matched across files by
    /// name, else by a shared virtual IP, and their router ids compared.
    ///
    /// ## Why is this bad?
    /// VRRP peers only listen to adverts carrying their own VRID. With different ids each node
    /// thinks it is alone, both become MASTER and both hold the virtual IP (split brain).
    ///
    /// ## Example
    /// ```text
    /// # master.conf                      # backup.conf
    /// virtual_router_id 51               virtual_router_id 52
    /// ```
    /// ## Use instead
    /// The same `virtual_router_id` on both nodes.
    pub VRID_MISMATCH, "keepalived/vrid-mismatch", Error, Some(check)
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    for p in pairs(cx) {
        let (Some(x), Some(y)) = (p.a.virtual_router_id, p.b.virtual_router_id) else {
            continue;
        };
        let (Some(ox), Some(oy)) = (p.a.virtual_router_id_origin, p.b.virtual_router_id_origin)
        else {
            continue;
        };
        if x == y {
            continue;
        }
        out.push(
            Diagnostic::new(
                VRID_MISMATCH.code,
                Severity::Error,
                format!("instance {} has virtual_router_id {x} here and {y} on the other node", pair_name(&p)),
                oy.span(),
            )
            .label(format!("{y} here"))
            .with_secondary(ox.span(), format!("{x} on the other node"))
            .help("use the same virtual_router_id on both nodes; with different ids both become MASTER"),
        );
    }
}
