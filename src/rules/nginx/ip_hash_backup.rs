//! `nginx/ip-hash-backup`: `ip_hash` with a `backup` server.

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::Algorithm;
use crate::rules::{first_line, RuleContext};

declare_rule! {
    /// `ip_hash` in an upstream that has a `backup` server, in either order.
    ///
    /// ## What it does
    /// Flags every `backup` server of an `ip_hash` upstream.
    ///
    /// ## Why is this bad?
    /// The ip_hash balancer has no notion of backup servers. When `ip_hash` comes first,
    /// `nginx -t` fails (`balancing method does not support parameter "backup"`); when the
    /// server comes first, `nginx -t` accepts the file and ip_hash silently never sends a
    /// request to the backup server. Either way the failover you expect does not exist.
    ///
    /// ## Example
    /// ```nginx
    /// upstream app { server 10.0.0.3 backup; ip_hash; server 10.0.0.1; }
    /// ```
    /// ## Use instead
    /// Drop `backup`, or balance with the default round-robin or `least_conn`, the methods that
    /// support backup servers (`hash` and `random` reject `backup` too).
    pub IP_HASH_BACKUP, "nginx/ip-hash-backup", Error, Some(check)
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    for pool in cx
        .ir
        .pools
        .iter()
        .filter(|p| crate::rules::from_nginx(cx.ir, p.origin))
    {
        if pool.algorithm != Algorithm::IpHash {
            continue;
        }
        for s in &pool.servers {
            let Some(b) = s.backup_origin else { continue };
            let mut d = Diagnostic::new(
                IP_HASH_BACKUP.code,
                Severity::Error,
                format!("`backup` server in upstream `{}`, which uses `ip_hash`", pool.name),
                b.span(),
            )
            .label("ip_hash does not support backup servers")
            .help("remove `backup`, or balance with round-robin or `least_conn`, which support backup servers (hash and random do not)");
            if let Some(a) = pool.algorithm_origin {
                d = d.with_secondary(a.span(), "ip_hash chosen here");
            }
            out.push(d);
        }
    }
}
