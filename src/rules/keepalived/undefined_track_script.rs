//! `keepalived/undefined-track-script`: a `track_script` entry naming no `vrrp_script`.

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{first_line, RuleContext};

declare_rule! {
    /// A `track_script` entry that names no `vrrp_script` of the same configuration.
    ///
    /// ## What it does
    /// Looks every tracked script up among the `vrrp_script` blocks of the node's
    /// configuration (the file and its includes) and suggests a close name.
    ///
    /// ## Why is this bad?
    /// keepalived logs `track script … not found, ignoring` and tracks nothing: the health
    /// check you rely on for failover never runs.
    ///
    /// ## Example
    /// ```text
    /// vrrp_script chk_nginx { script "/etc/keepalived/check_nginx.sh" }
    /// vrrp_instance VI_1 { track_script { check_nginx } }
    /// ```
    /// ## Use instead
    /// ```text
    /// vrrp_instance VI_1 { track_script { chk_nginx } }
    /// ```
    pub UNDEFINED_TRACK_SCRIPT, "keepalived/undefined-track-script", Error, Some(check)
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    for node in cx.keepalived {
        let names: Vec<&str> = node
            .scripts
            .iter()
            .map(|&i| cx.ir.vrrp_scripts[i].name.as_str())
            .collect();
        for &i in &node.instances {
            let v = &cx.ir.vrrp_instances[i];
            for t in &v.track_scripts {
                if names.contains(&t.name.as_str()) {
                    continue;
                }
                let help =
                    match crate::syntax::keepalived::lower::suggest(&t.name, names.iter().copied())
                    {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "define it with `vrrp_script NAME { script … }`".to_string(),
                    };
                out.push(
                    Diagnostic::new(
                        UNDEFINED_TRACK_SCRIPT.code,
                        Severity::Error,
                        format!(
                            "`{}` tracks script `{}`, which is not defined",
                            v.name, t.name
                        ),
                        t.origin.span(),
                    )
                    .label("no `vrrp_script` has this name; keepalived ignores it")
                    .help(help),
                );
            }
        }
    }
}
