//! nginx settings that HAProxy expresses as rules of a frontend: request headers
//! (`proxy_set_header` → `http-request set-header`, `option forwardfor`), response headers
//! (`add_header` → `http-response add-header`), `allow`/`deny` (`http-request deny`),
//! `client_max_body_size`; and nginx variables as HAProxy sample expressions.

use crate::emit::Emitter;
use crate::ir::{Protocol, Settings};

/// HAProxy rules for one scope: request rules guarded by `cond`, response rules by
/// `resp_cond` (request fetches such as `path` are gone when the response is processed).
pub fn rules(
    s: &Settings,
    cond: &str,
    resp_cond: &str,
    proto: Protocol,
    e: &mut Emitter,
) -> Vec<String> {
    let mut out = Vec::new();
    let guard = |extra: &str| -> String { guard_with(cond, extra) };
    let rguard = |extra: &str| -> String { guard_with(resp_cond, extra) };
    if let Some(a) = &s.access {
        if !a.rules.is_empty() {
            let first = a.rules[0].origin;
            let (last, init) = a.rules.split_last().unwrap();
            let srcs = |rs: &[crate::ir::AccessRule]| {
                rs.iter()
                    .map(|r| r.source.clone())
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let verb = if proto == Protocol::Http {
                "http-request deny"
            } else {
                "tcp-request connection reject"
            };
            let ok_sources = a
                .rules
                .iter()
                .all(|r| r.source == "all" || !r.source.starts_with("unix:"));
            if !ok_sources {
                e.unsupported(first, "`allow`/`deny unix:`", "HAProxy has no such source");
            } else if last.source == "all" && !last.allow && init.iter().all(|r| r.allow) {
                for r in &a.rules {
                    let _ = r;
                    e.carried();
                }
                if init.is_empty() {
                    out.push(format!("{verb}{}", guard("")));
                } else {
                    out.push(format!(
                        "{verb}{}",
                        guard(&format!("!{{ src {} }}", srcs(init)))
                    ));
                }
            } else if init.iter().all(|r| !r.allow)
                && (last.source != "all" && !last.allow || last.source == "all" && last.allow)
            {
                let denied: Vec<_> = a.rules.iter().filter(|r| !r.allow).cloned().collect();
                for _ in &a.rules {
                    e.carried();
                }
                if !denied.is_empty() {
                    out.push(format!(
                        "{verb}{}",
                        guard(&format!("{{ src {} }}", srcs(&denied)))
                    ));
                }
            } else {
                e.unsupported(
                    first,
                    "this mix of `allow` and `deny` is not translated",
                    "write `http-request deny if …` rules with `src` ACLs in the order you need",
                );
            }
        }
    }
    if proto != Protocol::Http {
        return out;
    }
    if let Some(m) = s.client.as_ref().and_then(|c| c.max_body_size.as_ref()) {
        if m.value.0 > 0 {
            e.approximated(
                m.origin,
                "`client_max_body_size` written as a check of `Content-Length`",
                "chunked request bodies are not checked; `option http-buffer-request` with `req.body_size` would",
            );
            out.push(format!(
                "http-request deny deny_status 413{}",
                guard(&format!(
                    "{{ req.hdr_val(content-length) gt {} }}",
                    m.value.0
                ))
            ));
        } else {
            e.carried();
        }
    }
    if let Some(p) = &s.proxy {
        for h in &p.headers {
            let lname = h.name.to_ascii_lowercase();
            match (lname.as_str(), h.value.as_str()) {
                ("host", "$host" | "$http_host") => e.carried(),
                ("x-forwarded-for", "$proxy_add_x_forwarded_for") => {
                    e.carried();
                    // `option forwardfor` applies to the whole proxy; it takes no condition.
                    out.push("option forwardfor".into());
                }
                ("connection", "") | ("connection", "\"\"") => e.carried(),
                _ => match expr(&h.value) {
                    Some(v) if h.value.is_empty() => {
                        let _ = v;
                        e.carried();
                        out.push(format!("http-request del-header {}{}", h.name, guard("")));
                    }
                    Some(v) => {
                        e.carried();
                        out.push(format!(
                            "http-request set-header {} {}{}",
                            h.name,
                            super::quote(&v),
                            guard("")
                        ));
                    }
                    None => e.unsupported(
                        h.origin,
                        format!(
                            "`proxy_set_header {} {}`: a variable lbc cannot translate",
                            h.name, h.value
                        ),
                        "write the header with an HAProxy sample expression (`%[…]`)",
                    ),
                },
            }
        }
        for h in &p.hide_headers {
            e.carried();
            out.push(format!(
                "http-response del-header {}{}",
                h.value,
                rguard("")
            ));
        }
    }
    for h in &s.response_headers {
        let Some(v) = expr(&h.value) else {
            e.unsupported(
                h.origin,
                format!(
                    "`add_header {} {}`: a variable lbc cannot translate",
                    h.name, h.value
                ),
                "write the header with an HAProxy sample expression (`%[…]`)",
            );
            continue;
        };
        e.carried();
        // Request fetches are gone when the response is processed: keep them in a variable.
        let v = if v.contains("%[") {
            let var = format!("txn.h{:08x}", fnv(&format!("{cond}|{}|{v}", h.name)));
            out.push(format!(
                "http-request set-var-fmt({var}) {}{}",
                super::actions::quote_dq(&v),
                guard("")
            ));
            format!("%[var({var})]")
        } else {
            v
        };
        // nginx adds the header to 200, 201, 204, 206, 301, 302, 303, 304, 307 and 308
        // responses unless `always` is given.
        let status = if h.always {
            String::new()
        } else {
            "{ status 200 201 204 206 301 302 303 304 307 308 }".into()
        };
        out.push(format!(
            "http-response add-header {} {}{}",
            h.name,
            super::quote(&v),
            rguard(&status)
        ));
    }
    out
}

/// A short stable hash (FNV-1a) naming variables.
fn fnv(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

fn guard_with(cond: &str, extra: &str) -> String {
    let c = [cond, extra]
        .iter()
        .filter(|x| !x.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    if c.is_empty() {
        String::new()
    } else {
        format!(" if {c}")
    }
}

/// An nginx value with variables as an HAProxy log-format string; `None` when a variable has
/// no counterpart.
pub fn expr(v: &str) -> Option<String> {
    let v = v.trim_matches('"');
    let mut out = String::new();
    let mut rest = v;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, tail) = if let Some(b) = after.strip_prefix('{') {
            let end = b.find('}')?;
            (&b[..end], &b[end + 1..])
        } else {
            let n = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..n], &after[n..])
        };
        out.push_str(&var(name)?);
        rest = tail;
    }
    out.push_str(rest);
    Some(out)
}

/// One nginx variable as an HAProxy sample expression.
fn var(name: &str) -> Option<String> {
    let fetch = match name {
        "host" => "req.hdr(host),field(1,:)",
        "http_host" => "req.hdr(host)",
        "remote_addr" => "src",
        "remote_port" => "src_port",
        "server_port" => "dst_port",
        "server_addr" => "dst",
        "request_uri" => "url",
        "uri" | "document_uri" => "path",
        "args" | "query_string" => "query",
        "request_method" => "method",
        "scheme" => "ssl_fc,iif(https,http)",
        "http_upgrade" => "req.hdr(upgrade)",
        n => {
            if let Some(h) = n.strip_prefix("http_") {
                return Some(format!("%[req.hdr({})]", h.replace('_', "-")));
            }
            if let Some(a) = n.strip_prefix("arg_") {
                return Some(format!("%[urlp({a})]"));
            }
            if let Some(c) = n.strip_prefix("cookie_") {
                return Some(format!("%[req.cook({c})]"));
            }
            return None;
        }
    };
    Some(format!("%[{fetch}]"))
}
