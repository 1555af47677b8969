//! `nginx/ip-hash-weight`: `ip_hash` with weighted servers.

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::Algorithm;
use crate::rules::{first_line, RuleContext};

declare_rule! {
    /// `ip_hash` in an upstream whose servers have a `weight`.
    ///
    /// ## What it does
    /// Flags `weight=` on servers of an `ip_hash` upstream.
    ///
    /// ## Why is this bad?
    /// Under `ip_hash` a weight does not share requests: nginx hashes the first three octets of
    /// the client's IPv4 address, so every client of a /24 network lands on the same server and
    /// the weight only changes how many *networks* map to each server. A few busy networks
    /// (a corporate NAT, a mobile carrier) can overload a low-weight server whatever its weight.
    /// Before nginx 1.3.1 the weight was ignored altogether.
    ///
    /// ## Example
    /// ```nginx
    /// upstream app { ip_hash; server 10.0.0.1 weight=3; server 10.0.0.2; }
    /// ```
    /// ## Use instead
    /// `hash $remote_addr consistent;` (whole address, weights honoured per client), or drop the
    /// weights and keep `ip_hash` for stickiness only.
    pub IP_HASH_WEIGHT, "nginx/ip-hash-weight", Warning, Some(check)
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
            let Some(w) = s.weight_origin else { continue };
            let mut d = Diagnostic::new(
                IP_HASH_WEIGHT.code,
                Severity::Warning,
                format!("`weight` under `ip_hash` in upstream `{}` balances client networks, not requests", pool.name),
                w.span(),
            )
            .label("this weight applies per /24 client network")
            .help("ip_hash sends every client of a /24 network to the same server, so weights only skew how networks are spread (and were ignored before nginx 1.3.1); use `hash $remote_addr consistent;` for per-client weighting, or drop the weights");
            if let Some(a) = pool.algorithm_origin {
                d = d.with_secondary(a.span(), "ip_hash chosen here");
            }
            out.push(d);
        }
    }
}
