//! `keepalived/nopreempt-needs-backup`: `nopreempt` on an instance whose state is MASTER.

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::VrrpState;
use crate::rules::{first_line, RuleContext};

declare_rule! {
    /// `nopreempt` on an instance whose initial `state` is MASTER.
    ///
    /// ## What it does
    /// Flags `nopreempt` unless the instance starts as BACKUP.
    ///
    /// ## Why is this bad?
    /// keepalived only honours `nopreempt` for instances that start in BACKUP state; with
    /// `state MASTER` it warns and clears it, so the higher-priority node takes the address
    /// back as soon as it returns — the flapping `nopreempt` was meant to prevent.
    ///
    /// ## Example
    /// ```text
    /// state MASTER
    /// nopreempt
    /// ```
    /// ## Use instead
    /// ```text
    /// state BACKUP
    /// nopreempt
    /// ```
    pub NOPREEMPT_NEEDS_BACKUP, "keepalived/nopreempt-needs-backup", Warning, Some(check)
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    for v in &cx.ir.vrrp_instances {
        let Some(o) = v.nopreempt_origin else {
            continue;
        };
        if v.state != Some(VrrpState::Master) {
            continue;
        }
        let mut d = Diagnostic::new(
            NOPREEMPT_NEEDS_BACKUP.code,
            Severity::Warning,
            format!("`nopreempt` on `{}`, whose state is MASTER: keepalived ignores it", v.name),
            o.span(),
        )
        .label("has no effect with `state MASTER`")
        .help("set `state BACKUP` on every node that uses `nopreempt`; priority still decides the first election");
        if let Some(s) = v.state_origin {
            d = d.with_secondary(s.span(), "initial state set here");
        }
        out.push(d);
    }
}
