//! `nginx/rlimit-below-connections`: `worker_rlimit_nofile` too low for `worker_connections`.

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::{Action, Ir};
use crate::rules::{first_line, RuleContext};

declare_rule! {
    /// `worker_rlimit_nofile` below `worker_connections`, or below twice it when the
    /// configuration proxies.
    ///
    /// ## Why is this bad?
    /// Every connection is a file descriptor, and a proxied request holds two (client and
    /// upstream), plus log and cache files. A worker that hits the limit fails with
    /// `accept() failed (24: Too many open files)` long before `worker_connections` is reached.
    ///
    /// ## Example
    /// ```nginx
    /// worker_rlimit_nofile 1024;
    /// events { worker_connections 1024; }
    /// http { server { location / { proxy_pass http://app; } } }
    /// ```
    /// ## Use instead
    /// ```nginx
    /// worker_rlimit_nofile 4096;
    /// ```
    pub RLIMIT_BELOW_CONNECTIONS, "nginx/rlimit-below-connections", Warning, Some(check)
}

fn proxies(ir: &Ir) -> bool {
    let is_proxy = |a: &Option<Action>| matches!(a, Some(Action::Proxy { .. }));
    ir.services.iter().any(|s| is_proxy(&s.action))
        || super::routes(ir).any(|(_, r)| is_proxy(&r.action))
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    let p = &cx.ir.process;
    let (Some(rl), Some(wc)) = (&p.rlimit_nofile, &p.worker_connections) else {
        return;
    };
    if !crate::rules::from_nginx(cx.ir, wc.origin) {
        return;
    }
    let proxied = proxies(cx.ir);
    let need = if proxied {
        wc.value.saturating_mul(2)
    } else {
        wc.value
    };
    if rl.value >= need {
        return;
    }
    let why = if proxied {
        format!(
            "each proxied request holds two descriptors, so {} connections need at least {need}",
            wc.value
        )
    } else {
        format!("{} connections need at least {need} descriptors", wc.value)
    };
    out.push(
        Diagnostic::new(
            RLIMIT_BELOW_CONNECTIONS.code,
            Severity::Warning,
            format!(
                "`worker_rlimit_nofile {}` is below what `worker_connections {}` needs",
                rl.value, wc.value
            ),
            rl.origin.span(),
        )
        .label(format!("{} descriptors per worker", rl.value))
        .with_secondary(wc.origin.span(), "connections per worker")
        .help(format!(
            "{why}; raise `worker_rlimit_nofile` to {} or more",
            need.max(rl.value)
        )),
    );
}
