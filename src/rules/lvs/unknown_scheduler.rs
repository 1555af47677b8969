//! `lvs/unknown-scheduler`: `-s NAME` that is not an IPVS scheduler.

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{first_line, RuleContext};
use crate::syntax::lvs::{did_you_mean, ipvsadm::Dialect, state::SCHEDULERS};

declare_rule! {
    /// A virtual service whose scheduler is not one IPVS has.
    ///
    /// ## What it does
    /// Checks the `-s`/`--scheduler` of every `ipvsadm -A`/`-E` call (and the scheduler column
    /// of listings) against the schedulers of Linux IPVS: `rr`, `wrr`, `lc`, `wlc`, `lblc`,
    /// `lblcr`, `dh`, `sh`, `sed`, `nq`, `fo`, `ovf`, `mh` and `twos` (plus `conhash` for DPVS).
    /// Suggests the closest name.
    ///
    /// ## Why is this bad?
    /// ipvsadm asks the kernel to load the module `ip_vs_NAME`; when there is none the call
    /// fails (`Scheduler not found`) and the service is never created, so every `-a` for it
    /// fails too.
    ///
    /// ## Example
    /// ```sh
    /// ipvsadm -A -t 10.0.0.10:80 -s wlcc
    /// ```
    /// ## Use instead
    /// ```sh
    /// ipvsadm -A -t 10.0.0.10:80 -s wlc
    /// ```
    pub UNKNOWN_SCHEDULER, "lvs/unknown-scheduler", Error, Some(check)
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    for l in cx.lvs {
        let mut known: Vec<&str> = SCHEDULERS.to_vec();
        if l.dialect == Dialect::Dpvs {
            known.push("conhash");
        }
        for call in &l.calls {
            let Some(s) = &call.inv.scheduler else {
                continue;
            };
            if known.contains(&s.value.as_str()) {
                continue;
            }
            let help = match did_you_mean(&s.value, &known) {
                Some(n) => format!("did you mean `{n}`?"),
                None => format!("use one of {}", known.join(", ")),
            };
            out.push(
                Diagnostic::new(
                    UNKNOWN_SCHEDULER.code,
                    Severity::Error,
                    format!("unknown IPVS scheduler `{}`", s.value),
                    l.span(s.range),
                )
                .label("no IPVS scheduler has this name")
                .help(help),
            );
        }
    }
}
