//! keepalived rules: single-file checks of VRRP instances, and checks across the two halves
//! of an HA pair (files given together are the nodes of one deployment).

mod advert_int_mismatch;
mod auth_mismatch;
mod auth_pass_truncated;
mod frontend;
mod nopreempt_needs_backup;
mod priority_conflict;
mod priority_range;
mod track_weight_ineffective;
mod undefined_track_script;
mod vip_mismatch;
mod vrid_mismatch;
mod vrid_range;

use super::{Rule, RuleContext};
use crate::ir::{VrrpInstance, VrrpState};

pub static RULES: &[&Rule] = &[
    &frontend::SYNTAX,
    &frontend::UNKNOWN_KEYWORD,
    &vrid_range::VRID_RANGE,
    &priority_range::PRIORITY_RANGE,
    &auth_pass_truncated::AUTH_PASS_TRUNCATED,
    &undefined_track_script::UNDEFINED_TRACK_SCRIPT,
    &nopreempt_needs_backup::NOPREEMPT_NEEDS_BACKUP,
    &vrid_mismatch::VRID_MISMATCH,
    &priority_conflict::PRIORITY_CONFLICT,
    &auth_mismatch::AUTH_MISMATCH,
    &vip_mismatch::VIP_MISMATCH,
    &advert_int_mismatch::ADVERT_INT_MISMATCH,
    &track_weight_ineffective::TRACK_WEIGHT_INEFFECTIVE,
];

/// The same VRRP instance on two nodes: matched by name, or else by a shared virtual IP.
pub(crate) struct Pair<'a> {
    pub a: &'a VrrpInstance,
    pub b: &'a VrrpInstance,
    /// Node indices into `RuleContext::keepalived`.
    pub na: usize,
    pub nb: usize,
    pub by_name: bool,
}

impl Pair<'_> {
    /// The MASTER and the BACKUP: by `state`, else by priority; `None` when undecidable.
    pub fn roles(&self) -> Option<(&VrrpInstance, usize, &VrrpInstance, usize)> {
        let m = |v: &VrrpInstance| v.state == Some(VrrpState::Master);
        match (m(self.a), m(self.b)) {
            (true, false) => Some((self.a, self.na, self.b, self.nb)),
            (false, true) => Some((self.b, self.nb, self.a, self.na)),
            _ => None,
        }
    }
}

pub(crate) fn pairs<'a>(cx: &RuleContext<'a>) -> Vec<Pair<'a>> {
    let mut out = Vec::new();
    let nodes = cx.keepalived;
    for na in 0..nodes.len() {
        for nb in na + 1..nodes.len() {
            for &ia in &nodes[na].instances {
                let a = &cx.ir.vrrp_instances[ia];
                let by_name = nodes[nb]
                    .instances
                    .iter()
                    .map(|&i| &cx.ir.vrrp_instances[i])
                    .find(|b| b.name == a.name);
                let found = by_name.map(|b| (b, true)).or_else(|| {
                    nodes[nb]
                        .instances
                        .iter()
                        .map(|&i| &cx.ir.vrrp_instances[i])
                        .find(|b| {
                            b.virtual_ips
                                .iter()
                                .any(|v| a.virtual_ips.iter().any(|x| x.address == v.address))
                        })
                        .map(|b| (b, false))
                });
                if let Some((b, by_name)) = found {
                    out.push(Pair {
                        a,
                        b,
                        na,
                        nb,
                        by_name,
                    });
                }
            }
        }
    }
    out
}

/// How a pair is named in messages.
pub(crate) fn pair_name(p: &Pair) -> String {
    if p.by_name || p.a.name == p.b.name {
        format!("`{}`", p.a.name)
    } else {
        format!("`{}` / `{}` (same virtual IP)", p.a.name, p.b.name)
    }
}
