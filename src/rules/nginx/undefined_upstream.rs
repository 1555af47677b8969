//! `nginx/undefined-upstream`: `proxy_pass` to a name that is no upstream.

use crate::hash::FnvHashSet;

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::{Action, Protocol};
use crate::rules::{first_line, RuleContext};
use crate::syntax::nginx::target_host;

declare_rule! {
    /// `proxy_pass http://NAME` where `NAME` is neither an upstream nor an IP address, in a
    /// configuration that does define upstreams.
    ///
    /// ## What it does
    /// Resolves each `proxy_pass` target against the upstreams of its protocol (`http` or
    /// `stream`) and flags names that match none, suggesting the likely one. It is an error
    /// when some upstream is never used (the reference almost surely meant it), a warning
    /// otherwise (the name may be a real host).
    ///
    /// ## Why is this bad?
    /// nginx resolves an unknown name with DNS when it starts: it fails with `host not found in
    /// upstream`, or worse, proxies to whatever that name resolves to, bypassing the pool.
    ///
    /// ## Example
    /// ```nginx
    /// upstream app.com { server 10.0.0.1:8080; }
    /// server { location / { proxy_pass http://plugin.com; } }
    /// ```
    pub UNDEFINED_UPSTREAM, "nginx/undefined-upstream", Error, Some(check)
}

/// `http` or `stream`: the namespace an upstream name lives in.
fn family(p: Protocol) -> Protocol {
    if p == Protocol::Http {
        Protocol::Http
    } else {
        Protocol::Tcp
    }
}

fn is_ip(host: &str) -> bool {
    host.parse::<std::net::IpAddr>().is_ok()
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    // Every proxying action with its service's protocol: walked twice, never collected (a
    // large config has thousands).
    let proxies = || {
        let services = cx
            .ir
            .services
            .iter()
            .filter(|s| crate::rules::from_nginx(cx.ir, s.origin))
            .filter_map(|s| Some((s.protocol, s.action.as_ref()?)));
        let routes =
            super::routes(cx.ir).filter_map(|(s, r)| Some((s.protocol, r.action.as_ref()?)));
        services.chain(routes).filter_map(|(proto, a)| match a {
            Action::Proxy { target, origin, .. } => {
                let (host, has_port) = target_host(target)?;
                Some((family(proto), host, has_port, *origin))
            }
            _ => None,
        })
    };
    let mut pool_names: FnvHashSet<(Protocol, &str)> = FnvHashSet::default();
    pool_names.reserve(cx.ir.pools.len());
    pool_names.extend(
        cx.ir
            .pools
            .iter()
            .filter(|p| crate::rules::from_nginx(cx.ir, p.origin))
            .map(|p| (family(p.protocol), p.name.as_str())),
    );
    let unknown: Vec<_> = proxies()
        .filter(|(fam, host, _, _)| {
            !pool_names.contains(&(*fam, host.as_str())) && !is_ip(host) && host != "localhost"
        })
        .collect();
    if unknown.is_empty() {
        return;
    }
    // Which upstreams are used: the likely meaning of an unknown name is an unused one.
    let used: FnvHashSet<(Protocol, String)> = proxies()
        .filter(|(fam, host, has_port, _)| !has_port && pool_names.contains(&(*fam, host.as_str())))
        .map(|(fam, host, _, _)| (fam, host))
        .collect();
    for (fam, host, _, origin) in unknown {
        let pools: Vec<&str> = cx
            .ir
            .pools
            .iter()
            .filter(|p| family(p.protocol) == fam)
            .map(|p| p.name.as_str())
            .collect();
        if pools.is_empty() {
            continue;
        }
        let unused: Vec<&str> = pools
            .iter()
            .copied()
            .filter(|p| !used.contains(&(fam, p.to_string())))
            .collect();
        let guess = super::unknown_directive::suggest(&host, pools.iter().copied())
            .or_else(|| (unused.len() == 1).then(|| unused[0]));
        let severity = if unused.is_empty() {
            Severity::Warning
        } else {
            Severity::Error
        };
        let mut d = Diagnostic::new(
            UNDEFINED_UPSTREAM.code,
            severity,
            format!("`{host}` is not an upstream"),
            origin.span(),
        )
        .label("no upstream has this name");
        if let Some(g) = guess {
            if let Some(p) = cx
                .ir
                .pools
                .iter()
                .find(|p| p.name == g && family(p.protocol) == fam)
            {
                let note = if unused.contains(&g) {
                    "this upstream is never used"
                } else {
                    "did you mean this upstream?"
                };
                d = d.with_secondary(crate::rules::header_span(cx.sources, p.origin.span()), note);
            }
            d = d.help(format!("did you mean `{g}`? nginx will otherwise resolve `{host}` with DNS at start-up and fail with `host not found in upstream` if it does not resolve"));
        } else {
            d = d.help(format!(
                "nginx will resolve `{host}` with DNS at start-up; defined upstreams: {}",
                pools.join(", ")
            ));
        }
        out.push(d);
    }
}
