//! `keepalived/advert-int-mismatch`: the two halves of a pair advertise at different intervals.

use super::{pair_name, pairs};
use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::Duration;
use crate::rules::{first_line, RuleContext};

declare_rule! {
    /// The same VRRP instance has different `advert_int`s on the two nodes of a pair.
    ///
    /// ## What it does
    /// Compares the advertisement interval of matched instances (1 second when unset).
    ///
    /// ## Why is this bad?
    /// A VRRPv2 router discards adverts whose interval differs from its own (keepalived logs
    /// `advertisement interval mismatch`), so the BACKUP never hears the MASTER and takes the
    /// address too.
    ///
    /// ## Example
    /// ```text
    /// # master.conf          # backup.conf
    /// advert_int 1           advert_int 2
    /// ```
    /// ## Use instead
    /// The same `advert_int` on both nodes.
    pub ADVERT_INT_MISMATCH, "keepalived/advert-int-mismatch", Error, Some(check)
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    for p in pairs(cx) {
        let x = p.a.advert_int.unwrap_or(Duration(1000));
        let y = p.b.advert_int.unwrap_or(Duration(1000));
        if x == y {
            continue;
        }
        let span = p.b.advert_int_origin.unwrap_or(p.b.origin).span();
        let mut d = Diagnostic::new(
            ADVERT_INT_MISMATCH.code,
            Severity::Error,
            format!(
                "instance {} advertises every {y} here but every {x} on the other node",
                pair_name(&p)
            ),
            span,
        )
        .label(format!("{y} here"))
        .help("use the same advert_int on both nodes; VRRPv2 drops adverts with another interval");
        d = d.with_secondary(
            p.a.advert_int_origin.unwrap_or(p.a.origin).span(),
            format!("{x} on the other node"),
        );
        out.push(d);
    }
}
