//! `keepalived/priority-range`: a priority outside 1–254, or 255 on an instance that is not
//! the address owner.

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::VrrpState;
use crate::rules::{first_line, RuleContext};

declare_rule! {
    /// A `priority` outside 1–254, or 255 on an instance that does not start as MASTER.
    ///
    /// ## What it does
    /// Flags priorities of 0 or above 255, and priority 255 on an instance whose `state` is
    /// not MASTER.
    ///
    /// ## Why is this bad?
    /// keepalived rejects 0 and values above 255 and silently uses 100 instead. 255 means
    /// "address owner" (the node that really has the virtual IP on its interface): it always
    /// wins the election at once, and track scripts can no longer lower it, so failover on a
    /// failed check never happens. A BACKUP with 255 is a contradiction.
    ///
    /// ## Example
    /// ```text
    /// state BACKUP
    /// priority 255
    /// ```
    /// ## Use instead
    /// ```text
    /// state BACKUP
    /// priority 90
    /// ```
    pub PRIORITY_RANGE, "keepalived/priority-range", Error, Some(check)
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    for v in &cx.ir.vrrp_instances {
        let (Some(p), Some(o)) = (v.priority, v.priority_origin) else {
            continue;
        };
        let d = if p == 0 || p > 255 {
            Diagnostic::new(
                PRIORITY_RANGE.code,
                Severity::Error,
                format!("priority {p} of `{}` is outside 1–255", v.name),
                o.span(),
            )
            .label("keepalived ignores this and uses 100")
            .help("use 1–254; 255 only on the node that owns the virtual IP")
        } else if p == 255 && v.state != Some(VrrpState::Master) {
            let mut d = Diagnostic::new(
                PRIORITY_RANGE.code,
                Severity::Error,
                format!(
                    "priority 255 on `{}`, which is not the MASTER: 255 is reserved for the address owner",
                    v.name
                ),
                o.span(),
            )
            .label("the address owner always wins the election, and track scripts cannot lower it")
            .help("give the BACKUP a priority below the MASTER's, from 1 to 254");
            if let Some(s) = v.state_origin {
                d = d.with_secondary(s.span(), "not MASTER");
            }
            d
        } else {
            continue;
        };
        out.push(d);
    }
}
