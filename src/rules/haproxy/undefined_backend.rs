//! `haproxy/undefined-backend`: `use_backend`/`default_backend` naming no backend.

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::Action;
use crate::rules::{first_line, RuleContext};

declare_rule! {
    /// `use_backend` or `default_backend` naming a backend that no `backend` or `listen`
    /// section defines.
    ///
    /// ## What it does
    /// Resolves every backend a frontend or listen switches to against the `backend` and
    /// `listen` sections of the same files, and suggests the closest name. Dynamic names
    /// (`use_backend %[req.hdr(host),lower]`) are resolved at run time and are not checked.
    ///
    /// ## Why is this bad?
    /// HAProxy refuses to start: `Proxy 'www': unable to find required use_backend: 'app'`.
    ///
    /// ## Example
    /// ```haproxy
    /// frontend www
    ///     bind :80
    ///     default_backend apps
    /// backend app
    ///     server a1 10.0.0.1:8080
    /// ```
    /// ## Use instead
    /// ```haproxy
    /// frontend www
    ///     bind :80
    ///     default_backend app
    /// backend app
    ///     server a1 10.0.0.1:8080
    /// ```
    pub UNDEFINED_BACKEND, "haproxy/undefined-backend", Error, Some(check)
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    let pools: Vec<&crate::ir::Pool> = cx
        .ir
        .pools
        .iter()
        .filter(|p| super::from_haproxy(cx.ir, p.origin))
        .collect();
    let names: std::collections::HashSet<&str> = pools.iter().map(|p| p.name.as_str()).collect();
    for s in cx
        .ir
        .services
        .iter()
        .filter(|s| super::from_haproxy(cx.ir, s.origin))
    {
        let actions = s
            .action
            .iter()
            .chain(s.routes.iter().filter_map(|r| r.action.as_ref()));
        for a in actions {
            let Action::Proxy {
                target,
                pool: None,
                origin,
            } = a
            else {
                continue;
            };
            if target.contains("%[") || names.contains(target.as_str()) {
                continue;
            }
            let mut d = Diagnostic::new(
                UNDEFINED_BACKEND.code,
                Severity::Error,
                format!("backend `{target}` is not defined"),
                origin.span(),
            )
            .label("no backend or listen section has this name");
            match super::suggest(target, pools.iter().map(|p| p.name.as_str())) {
                Some(g) => {
                    if let Some(p) = pools.iter().find(|p| p.name == g) {
                        d = d.with_secondary(
                            super::header_span(cx, p.origin),
                            "did you mean this backend?",
                        );
                    }
                    d = d.help(format!(
                        "did you mean `{g}`? HAProxy refuses to start with an unknown backend"
                    ));
                }
                None => {
                    d = d.help(format!(
                        "define `backend {target}`, or switch to one of: {}",
                        pools
                            .iter()
                            .map(|p| p.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                }
            }
            out.push(d);
        }
    }
}
