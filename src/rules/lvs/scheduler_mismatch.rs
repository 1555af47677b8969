//! `lvs/scheduler-mismatch`: an ipvsadm script and keepalived define one service differently.

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::{Format, Ir, VirtualService};
use crate::rules::{first_line, RuleContext};

declare_rule! {
    /// The same IPVS service defined by an ipvsadm script and by a keepalived
    /// `virtual_server`, with different schedulers (or persistence).
    ///
    /// ## What it does
    /// Pairs the virtual services of ipvsadm scripts, rules files and listings with the
    /// keepalived `virtual_server`s checked together with them (same protocol and VIP:port, or
    /// same firewall mark) and compares their scheduler and persistence timeout.
    ///
    /// ## Why is this bad?
    /// Both write the same kernel table: whichever runs last wins, so the scheduling that is
    /// live depends on boot order, and a keepalived reload silently undoes the script (or the
    /// reverse). The two files are usually meant to describe one service.
    ///
    /// ## Example
    /// ```text
    /// # lvs_dr.sh
    /// ipvsadm -A -t 192.168.63.110:80 -s lc
    /// # keepalived.conf
    /// virtual_server 192.168.63.110 80 { lb_algo rr … }
    /// ```
    /// ## Use instead
    /// Let one of them own the service (keepalived, when it also checks the real servers) and
    /// make the other agree or drop it.
    pub SCHEDULER_MISMATCH, "lvs/scheduler-mismatch", Error, Some(check)
}

/// The format of the file a service came from.
pub fn format_of(ir: &Ir, vs: &VirtualService) -> Option<Format> {
    ir.sources.get(vs.origin.file as usize).map(|s| s.format)
}

/// Pairs (script service, keepalived service) describing the same service.
pub fn pairs(ir: &Ir) -> Vec<(&VirtualService, &VirtualService)> {
    let of = |f: Format| -> Vec<&VirtualService> {
        ir.virtual_services
            .iter()
            .filter(|v| format_of(ir, v) == Some(f))
            .collect()
    };
    let (scripts, keepalived) = (of(Format::Ipvsadm), of(Format::Keepalived));
    let mut out = Vec::new();
    for s in &scripts {
        for k in &keepalived {
            let same = s.protocol == k.protocol
                && match (s.fwmark, k.fwmark) {
                    (Some(a), Some(b)) => a == b,
                    (None, None) => {
                        s.address.is_some() && s.address == k.address && s.port == k.port
                    }
                    _ => false,
                };
            if same {
                out.push((*s, *k));
            }
        }
    }
    out
}

/// `tcp 10.0.0.1:80` or `fwmark 1`.
pub fn describe(vs: &VirtualService) -> String {
    match (vs.fwmark, &vs.address) {
        (Some(m), _) => format!("fwmark {m}"),
        (None, Some(a)) => format!(
            "{} {}:{}",
            format!("{:?}", vs.protocol).to_lowercase(),
            a,
            vs.port.map_or("*".into(), |p| p.to_string())
        ),
        _ => "this service".into(),
    }
}

fn scheduler(vs: &VirtualService) -> String {
    vs.scheduler
        .ipvs_name()
        .unwrap_or_else(|| vs.scheduler.name())
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    for (script, kad) in pairs(cx.ir) {
        let (a, b) = (scheduler(script), scheduler(kad));
        let persistence =
            |v: &VirtualService| v.persistence.map_or("none".to_string(), |d| d.to_string());
        let (pa, pb) = (persistence(script), persistence(kad));
        if a == b && pa == pb {
            continue;
        }
        let what = if a != b {
            format!("scheduler `{a}` here, `{b}` in keepalived")
        } else {
            format!("persistence {pa} here, {pb} in keepalived")
        };
        let mut d = Diagnostic::new(
            SCHEDULER_MISMATCH.code,
            Severity::Error,
            format!("{} is defined twice, differently: {what}", describe(script)),
            crate::rules::header_span(cx.sources, script.origin.span()),
        )
        .label(format!("scheduler `{a}`, persistence {pa}"))
        .with_secondary(
            crate::rules::header_span(cx.sources, kad.origin.span()),
            format!("keepalived: scheduler `{b}`, persistence {pb}"),
        );
        d = d.help("both write the same IPVS table and the last one to run wins; make them agree, or let keepalived own the service and drop it from the script");
        out.push(d);
    }
}
