//! `keepalived/auth-pass-truncated`: an `auth_pass` longer than 8 characters.

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{first_line, RuleContext};

declare_rule! {
    /// An `auth_pass` longer than 8 characters.
    ///
    /// ## What it does
    /// Flags VRRP passwords of more than 8 characters and points at the part that is dropped.
    ///
    /// ## Why is this bad?
    /// VRRPv2 simple authentication carries 8 bytes: keepalived truncates the password (only a
    /// log line says so). The extra characters add no security, and two nodes whose passwords
    /// differ only after the 8th character still talk to each other.
    ///
    /// ## Example
    /// ```text
    /// auth_pass s3cr3t-passw0rd
    /// ```
    /// ## Use instead
    /// ```text
    /// auth_pass s3cr3tpw
    /// ```
    pub AUTH_PASS_TRUNCATED, "keepalived/auth-pass-truncated", Warning, Some(check)
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    for v in &cx.ir.vrrp_instances {
        let Some(a) = &v.authentication else { continue };
        let Some(o) = a.password_origin else { continue };
        let n = a.password.chars().count();
        if n <= 8 {
            continue;
        }
        let kept: String = a.password.chars().take(8).collect();
        let mut span = o.span();
        // Point at the dropped part when the password is written as is.
        let raw = cx.sources.slice(span);
        if raw == a.password {
            span.start += kept.len() as u32;
        }
        out.push(
            Diagnostic::new(
                AUTH_PASS_TRUNCATED.code,
                Severity::Warning,
                format!(
                    "auth_pass of `{}` has {n} characters; keepalived uses only the first 8 (`{kept}`)",
                    v.name
                ),
                span,
            )
            .label("ignored by keepalived")
            .help(format!("shorten it to 8 characters, e.g. `auth_pass {kept}`")),
        );
    }
}
