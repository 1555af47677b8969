//! `keepalived/vrid-range`: a `virtual_router_id` outside 1–255.

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{first_line, RuleContext};

declare_rule! {
    /// A `virtual_router_id` outside 1–255.
    ///
    /// ## What it does
    /// Flags VRRP instances whose router id is 0 or above 255.
    ///
    /// ## Why is this bad?
    /// The VRID is one byte on the wire and 0 is reserved. keepalived rejects the value
    /// (`VRID '300' not valid - must be between 1 & 255`) and the instance is not started.
    ///
    /// ## Example
    /// ```text
    /// virtual_router_id 300
    /// ```
    /// ## Use instead
    /// ```text
    /// virtual_router_id 51
    /// ```
    pub VRID_RANGE, "keepalived/vrid-range", Error, Some(check)
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    for v in &cx.ir.vrrp_instances {
        let (Some(id), Some(o)) = (v.virtual_router_id, v.virtual_router_id_origin) else {
            continue;
        };
        if (1..=255).contains(&id) {
            continue;
        }
        out.push(
            Diagnostic::new(
                VRID_RANGE.code,
                Severity::Error,
                format!("virtual_router_id {id} of `{}` is outside 1–255", v.name),
                o.span(),
            )
            .label("not a valid VRRP router id")
            .help("pick an id from 1 to 255, the same on both nodes and unique on the network"),
        );
    }
}
