//! `keepalived/priority-conflict`: the states and priorities of a pair do not elect one MASTER.

use super::{pair_name, pairs};
use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::VrrpState;
use crate::rules::{first_line, RuleContext};

declare_rule! {
    /// The two nodes of a pair do not agree on who is MASTER: both say `state MASTER`, their
    /// priorities are equal, or the BACKUP's priority is not below the MASTER's.
    ///
    /// ## What it does
    /// Compares `state` and `priority` (100 when unset) of matched instances.
    ///
    /// ## Why is this bad?
    /// The election goes by priority, not by `state`: a BACKUP with a higher priority takes the
    /// address as soon as it starts, and with equal priorities the higher IP address wins, so
    /// which node serves depends on addressing rather than on the configuration. Two MASTERs
    /// with the same priority both claim the address until the first advert settles it.
    ///
    /// ## Example
    /// ```text
    /// # master.conf          # backup.conf
    /// state MASTER           state BACKUP
    /// priority 100           priority 100
    /// ```
    /// ## Use instead
    /// One MASTER with the highest priority, e.g. 100 and 90.
    pub PRIORITY_CONFLICT, "keepalived/priority-conflict", Warning, Some(check)
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    for p in pairs(cx) {
        let (pa, pb) = (p.a.priority.unwrap_or(100), p.b.priority.unwrap_or(100));
        let at =
            |v: &crate::ir::VrrpInstance| v.priority_origin.or(v.state_origin).unwrap_or(v.origin);
        let master = |v: &crate::ir::VrrpInstance| v.state == Some(VrrpState::Master);
        let message = if master(p.a) && master(p.b) {
            format!(
                "both nodes start instance {} as MASTER (priorities {pa} and {pb})",
                pair_name(&p)
            )
        } else if pa == pb {
            format!("instance {} has priority {pb} on both nodes", pair_name(&p))
        } else if let Some((m, _, b, _)) = p.roles() {
            let (pm, pbk) = (m.priority.unwrap_or(100), b.priority.unwrap_or(100));
            if pbk < pm {
                continue;
            }
            format!(
                "the BACKUP of instance {} has priority {pbk}, above the MASTER's {pm}: it takes over as soon as it starts",
                pair_name(&p)
            )
        } else {
            continue;
        };
        out.push(
            Diagnostic::new(PRIORITY_CONFLICT.code, Severity::Warning, message, at(p.b).span())
                .label(format!("priority {pb} here"))
                .with_secondary(at(p.a).span(), format!("priority {pa} on the other node"))
                .help("make exactly one node MASTER and give it the highest priority (e.g. 100 and 90); use `nopreempt` with `state BACKUP` on both to avoid flapping"),
        );
    }
}
