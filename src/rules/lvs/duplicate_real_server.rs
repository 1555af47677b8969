//! `lvs/duplicate-real-server`: the same real server added twice to one service.

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{first_line, RuleContext};

declare_rule! {
    /// The same real server added twice to one virtual service.
    ///
    /// ## What it does
    /// Follows the calls in order (a `-d`, `-D` or `-C` in between makes a second `-a` fine)
    /// and flags an `ipvsadm -a` of an address and port the service already has. Under direct
    /// routing and tunnelling the port is the service's whatever is written, so `-r rs:8080`
    /// and `-r rs:80` are the same server there.
    ///
    /// ## Why is this bad?
    /// The kernel refuses the second call (`Destination already exists`): its weight and
    /// forwarding method are never applied, and a script run with `set -e` stops there. It is
    /// usually a copy-paste slip where another server was meant.
    ///
    /// ## Example
    /// ```sh
    /// ipvsadm -A -t 10.0.0.10:80 -s wrr
    /// ipvsadm -a -t 10.0.0.10:80 -r 10.0.0.21:80 -g -w 1
    /// ipvsadm -a -t 10.0.0.10:80 -r 10.0.0.21:80 -g -w 2
    /// ```
    /// ## Use instead
    /// Add each server once; change a weight with `-e`.
    pub DUPLICATE_REAL_SERVER, "lvs/duplicate-real-server", Error, Some(check)
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    for l in cx.lvs {
        for d in &l.duplicates {
            out.push(
                Diagnostic::new(
                    DUPLICATE_REAL_SERVER.code,
                    Severity::Error,
                    format!("real server {} is added twice to {}", d.server, d.service),
                    l.span(d.range),
                )
                .label("added again here")
                .with_secondary(l.span(d.first), "first added here")
                .help("remove the second call (the kernel rejects it with `Destination already exists`), or use -e to change the server"),
            );
        }
    }
}
