//! `keepalived/auth-mismatch`: the two halves of a pair authenticate differently.

use super::{pair_name, pairs};
use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::VrrpAuth;
use crate::rules::{first_line, RuleContext};

declare_rule! {
    /// The same VRRP instance has a different `authentication` on the two nodes of a pair.
    ///
    /// ## What it does
    /// Compares `auth_type` and `auth_pass` (its first 8 characters, which is all keepalived
    /// uses) of matched instances, and flags an instance that authenticates on one node only.
    ///
    /// ## Why is this bad?
    /// Adverts that fail authentication are dropped: the BACKUP never hears the MASTER and
    /// both hold the virtual IP.
    ///
    /// ## Example
    /// ```text
    /// # master.conf          # backup.conf
    /// auth_pass 1111         auth_pass 2222
    /// ```
    /// ## Use instead
    /// The same `authentication` block on both nodes.
    pub AUTH_MISMATCH, "keepalived/auth-mismatch", Error, Some(check)
}

fn key(a: &VrrpAuth) -> (String, String) {
    (a.kind.to_uppercase(), a.password.chars().take(8).collect())
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    for p in pairs(cx) {
        let (a, b) = (&p.a.authentication, &p.b.authentication);
        let what = match (a, b) {
            (None, None) => continue,
            (Some(x), Some(y)) if key(x) == key(y) => continue,
            (Some(x), Some(y)) if x.kind.to_uppercase() != y.kind.to_uppercase() => {
                format!("auth_type {} here but {} on the other node", y.kind, x.kind)
            }
            (Some(_), Some(_)) => "a different auth_pass here than on the other node".to_string(),
            (None, Some(_)) => "authentication here but none on the other node".to_string(),
            (Some(_), None) => "no authentication here but some on the other node".to_string(),
        };
        let here = b
            .as_ref()
            .map_or(p.b.origin, |x| x.password_origin.unwrap_or(x.origin));
        let there = a
            .as_ref()
            .map_or(p.a.origin, |x| x.password_origin.unwrap_or(x.origin));
        out.push(
            Diagnostic::new(
                AUTH_MISMATCH.code,
                Severity::Error,
                format!("instance {} has {what}", pair_name(&p)),
                here.span(),
            )
            .label("here")
            .with_secondary(there.span(), "the other node")
            .help("use the same authentication block on both nodes; adverts that fail it are dropped and both nodes become MASTER"),
        );
    }
}
