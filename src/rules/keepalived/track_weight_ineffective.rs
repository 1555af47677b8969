//! `keepalived/track-weight-ineffective`: a tracked script whose weight cannot hand the
//! address to the BACKUP when it fails on the MASTER.

use super::{pair_name, pairs};
use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::{VrrpInstance, VrrpScript};
use crate::rules::{first_line, RuleContext};

declare_rule! {
    /// A tracked script whose weight cannot move mastership: when it fails on the MASTER, the
    /// MASTER's priority still beats the BACKUP's.
    ///
    /// ## What it does
    /// For each pair (files given together), and each script the MASTER tracks with a
    /// non-zero weight, computes the priorities after the script fails on the MASTER while the
    /// BACKUP is healthy, the way keepalived applies weights:
    ///
    /// - weight 0 (the default): a failed script puts the instance in FAULT, which always
    ///   fails over;
    /// - positive weight W: added while the script succeeds, so a failure costs the MASTER W;
    /// - negative weight W: added (subtracted) while the script fails;
    /// - the weight in `track_script` overrides the `vrrp_script` one; priorities stay within
    ///   1–254, and a priority of 255 is never changed.
    ///
    /// Failover happens only if the BACKUP's priority is then strictly higher (on a tie the
    /// MASTER keeps the address). When failover works by a margin of one point only, an info
    /// note shows the arithmetic: any change of priority or weight breaks it.
    ///
    /// ## Why is this bad?
    /// The check runs, the service is down, and the virtual IP stays on the broken node.
    ///
    /// ## Example
    /// ```text
    /// # master.conf: priority 100      # backup.conf: priority 90
    /// vrrp_script chk { script "/bin/check"  weight 2 }
    /// ```
    /// 100 - 2 = 98 is still above 90 + 0: the MASTER keeps the address.
    ///
    /// ## Use instead
    /// A weight larger than the priority gap (`weight 20` with 100/90), or weight 0 so that a
    /// failure puts the instance in FAULT.
    pub TRACK_WEIGHT_INEFFECTIVE, "keepalived/track-weight-ineffective", Warning, Some(check)
}

/// The weight an instance applies for a tracked script (0 when the script is unknown).
fn weight(cx: &RuleContext, node: usize, v: &VrrpInstance, name: &str) -> Option<(i64, bool)> {
    let t = v.track_scripts.iter().find(|t| t.name == name)?;
    let script: Option<&VrrpScript> = cx.keepalived[node]
        .scripts
        .iter()
        .map(|&i| &cx.ir.vrrp_scripts[i])
        .find(|s| s.name == name);
    let w = t.weight.or(script.and_then(|s| s.weight)).unwrap_or(0);
    Some((i64::from(w), t.reverse))
}

/// The priority with the given weights applied, as keepalived bounds it.
fn effective(base: i64, delta: i64) -> i64 {
    if base == 255 {
        255
    } else {
        (base + delta).clamp(1, 254)
    }
}

/// Sum of the bonuses of the instance's healthy scripts, except `skip`.
fn healthy_bonus(cx: &RuleContext, node: usize, v: &VrrpInstance, skip: Option<&str>) -> i64 {
    v.track_scripts
        .iter()
        .filter(|t| Some(t.name.as_str()) != skip)
        .filter_map(|t| weight(cx, node, v, &t.name))
        .map(|(w, _)| w.max(0))
        .sum()
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    for p in pairs(cx) {
        let Some((m, nm, b, nb)) = p.roles() else {
            continue;
        };
        let (pm, pb) = (
            i64::from(m.priority.unwrap_or(100)),
            i64::from(b.priority.unwrap_or(100)),
        );
        if pb >= pm {
            continue; // priority-conflict reports it.
        }
        for t in &m.track_scripts {
            let Some((w, reverse)) = weight(cx, nm, m, &t.name) else {
                continue;
            };
            if w == 0 || reverse {
                continue;
            }
            let m_fail = effective(pm, healthy_bonus(cx, nm, m, Some(&t.name)) + w.min(0));
            let b_ok = effective(pb, healthy_bonus(cx, nb, b, None));
            let b_has = weight(cx, nb, b, &t.name).map_or(0, |(x, _)| x.max(0));
            let m_str = if w > 0 {
                format!("the MASTER loses its +{w} and drops to {m_fail}")
            } else {
                format!("the MASTER drops by {} to {m_fail}", -w)
            };
            let b_str = if b_has > 0 {
                format!(
                    "the BACKUP stays at {pb} + {} = {b_ok}",
                    healthy_bonus(cx, nb, b, None)
                )
            } else {
                format!("the BACKUP stays at {b_ok}")
            };
            let (sev, message, help) = if b_ok <= m_fail {
                (
                    Severity::Warning,
                    format!(
                        "when `{}` fails on the MASTER of {}, {m_str} and {b_str}: {}",
                        t.name,
                        pair_name(&p),
                        if b_ok == m_fail {
                            "a tie, which the MASTER keeps, so no failover"
                        } else {
                            "no failover"
                        }
                    ),
                    if w > 0 && b_has == 0 {
                        "track the script on the BACKUP too, with the same weight: a positive weight only works when both nodes add it".to_string()
                    } else {
                        format!("use a weight of at least {} (more than the priority gap), or weight 0 so that a failure puts the instance in FAULT", pm - pb + 1)
                    },
                )
            } else if b_ok - m_fail == 1 {
                (
                    Severity::Info,
                    format!(
                        "failover when `{}` fails on the MASTER of {} rests on one point: {m_str} and {b_str}",
                        t.name,
                        pair_name(&p)
                    ),
                    "it works, but any change of priority or weight breaks it; keep the weight well above the priority gap".to_string(),
                )
            } else {
                continue;
            };
            let mut d =
                Diagnostic::new(TRACK_WEIGHT_INEFFECTIVE.code, sev, message, t.origin.span())
                    .label(format!("weight {w} here"))
                    .help(help);
            if let Some(o) = m.priority_origin {
                d = d.with_secondary(o.span(), format!("MASTER priority {pm}"));
            }
            if let Some(o) = b.priority_origin {
                d = d.with_secondary(o.span(), format!("BACKUP priority {pb}"));
            }
            out.push(d);
        }
    }
}
