//! The HAProxy emitter: the IR written as HAProxy 2.6 configuration (`global`, one `defaults`
//! per protocol family, frontends from services, backends from pools). HAProxy input is written
//! back faithfully (section order, named defaults, ACLs and unmodelled lines verbatim) so that it
//! reads back into the same IR; nginx input is translated, following nginx's location order,
//! with a diagnostic for everything HAProxy cannot express. Mapping: `book/src/migration.md`.

mod actions;
mod backend;
mod frontend;
mod native;
mod rules;
mod settings;

use std::collections::HashSet;

use super::Emitter;
use crate::ir::{Format, Ir, Opaque, Origin, Protocol, Workers};

pub const AVAILABLE: bool = true;

/// What every part of the emitter needs to know about the whole IR.
pub(crate) struct Ctx<'a> {
    pub ir: &'a Ir,
    /// Every source is HAProxy: write it back as it was (unmodelled lines verbatim).
    pub native: bool,
    /// Origins of the settings of `defaults` sections: services and pools carry them when they
    /// inherit; they are written once, in the `defaults` section.
    pub inherited: HashSet<String>,
    /// Backends generated for `proxy_pass http://host:port` without a pool.
    pub generated: Vec<backend::Generated>,
    /// Which lists of the `http {}` level (see `frontend::category`) were already reported.
    pub reported: [bool; 4],
}

impl Ctx<'_> {
    /// Whether a setting with this origin comes from a `defaults` section.
    pub fn is_inherited(&self, o: Origin) -> bool {
        self.native && self.inherited.contains(&o.to_string())
    }
}

/// Writes `ir` as HAProxy configuration.
pub fn emit(ir: &Ir, e: &mut Emitter) {
    let native = !ir.sources.is_empty() && ir.sources.iter().all(|s| s.format == Format::Haproxy);
    let mut inherited = HashSet::new();
    if native {
        for d in &ir.defaults {
            collect_origins(&serde_json::to_value(&d.settings).unwrap(), &mut inherited);
        }
    }
    let mut cx = Ctx {
        ir,
        native,
        inherited,
        generated: Vec::new(),
        reported: [false; 4],
    };
    global(&cx, e);
    if native {
        native_sections(&mut cx, e);
    } else {
        translated_sections(&mut cx, e);
    }
}

fn collect_origins(v: &serde_json::Value, out: &mut HashSet<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("origin", serde_json::Value::String(s)) => {
                        out.insert(s.clone());
                    }
                    _ => collect_origins(v, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| collect_origins(v, out)),
        _ => {}
    }
}

/// The `global` section from the process settings (and, for HAProxy input, its other lines).
fn global(cx: &Ctx, e: &mut Emitter) {
    let p = &cx.ir.process;
    let mut lines = Vec::new();
    let workers = match &p.workers {
        Some(w) => match w.value {
            Workers::Count(n) => {
                e.carried();
                lines.push(format!("nbthread {n}"));
                Some(n)
            }
            Workers::Auto => {
                e.carried();
                None
            }
        },
        None => None,
    };
    if let Some(c) = &p.worker_connections {
        let mut n = c.value;
        if !cx.native {
            if let Some(w) = workers.filter(|w| *w > 1) {
                n *= u64::from(w);
                e.approximated(
                    c.origin,
                    "`worker_connections` is per worker; HAProxy's `maxconn` is per process",
                    format!("lbc wrote `maxconn {n}` ({} × {w} workers)", c.value),
                );
            } else {
                e.carried();
            }
        } else {
            e.carried();
        }
        lines.push(format!("maxconn {n}"));
    }
    if let Some(r) = &p.rlimit_nofile {
        e.carried();
        lines.push(format!("ulimit-n {}", r.value));
    }
    if let Some(u) = &p.user {
        e.carried();
        let mut words = u.value.split_whitespace();
        if let Some(user) = words.next() {
            lines.push(format!("user {}", quote(user)));
        }
        if let Some(group) = words.next() {
            lines.push(format!("group {}", quote(group)));
        }
    }
    if let Some(f) = &p.pid_file {
        e.carried();
        lines.push(format!("pidfile {}", quote(&f.value)));
    }
    if !cx.native {
        if let Some(m) = &p.event_method {
            e.unsupported(
                m.origin,
                "`use`: HAProxy picks its event method itself",
                "drop it; `haproxy -vv` shows the pollers available",
            );
        }
        if let Some(m) = &p.multi_accept {
            e.unsupported(
                m.origin,
                "`multi_accept` has no HAProxy equivalent",
                "HAProxy tunes accepts with `tune.maxaccept`",
            );
        }
        for l in &p.error_logs {
            e.unsupported(
                l.origin,
                "`error_log`: HAProxy logs to syslog",
                "add `log /dev/log local0` to `global` and `log global` to `defaults`",
            );
        }
    }
    let rest: Vec<&Opaque> = if cx.native {
        cx.ir
            .opaque
            .iter()
            .find(|o| o.name == "global")
            .map(|o| o.children.iter().collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let has_global = cx.native && cx.ir.opaque.iter().any(|o| o.name == "global");
    if lines.is_empty() && rest.is_empty() && !has_global {
        return;
    }
    e.line("global");
    e.indent();
    for l in lines {
        e.line(l);
    }
    for o in rest {
        e.carried();
        e.line(opaque_line(o));
    }
    e.dedent();
}

/// HAProxy input: every section in file order, a service and a pool from one `listen` together.
fn native_sections(cx: &mut Ctx, e: &mut Emitter) {
    #[derive(Clone, Copy)]
    enum Item {
        Defaults(usize),
        Service(usize),
        Pool(usize),
        Opaque(usize),
    }
    let ir = cx.ir;
    let mut items: Vec<(Origin, Item)> = Vec::new();
    items.extend(
        ir.defaults
            .iter()
            .enumerate()
            .map(|(i, d)| (d.origin, Item::Defaults(i))),
    );
    items.extend(
        ir.services
            .iter()
            .enumerate()
            .map(|(i, s)| (s.origin, Item::Service(i))),
    );
    items.extend(
        ir.pools
            .iter()
            .enumerate()
            .map(|(i, p)| (p.origin, Item::Pool(i))),
    );
    // The first `global` section is written with the process settings.
    let first_global = ir.opaque.iter().position(|o| o.name == "global");
    items.extend(
        ir.opaque
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != first_global)
            .map(|(i, o)| (o.origin, Item::Opaque(i))),
    );
    items.sort_by_key(|(o, _)| (o.file, o.start));
    let mut done_pools = HashSet::new();
    for (_, item) in items {
        e.blank();
        match item {
            Item::Defaults(i) => settings::defaults_section(cx, &ir.defaults[i], e),
            Item::Service(i) => {
                let s = &ir.services[i];
                let pool = ir.pools.iter().position(|p| p.origin == s.origin);
                if let Some(p) = pool {
                    done_pools.insert(p);
                }
                native::frontend(cx, s, pool.map(|p| &ir.pools[p]), e);
            }
            Item::Pool(i) => {
                if !done_pools.contains(&i) {
                    backend::backend(cx, &ir.pools[i], "backend", e);
                }
            }
            Item::Opaque(i) => {
                let o = &ir.opaque[i];
                e.carried();
                e.line(opaque_line(o));
                e.indent();
                for c in &o.children {
                    e.line(opaque_line(c));
                }
                e.dedent();
            }
        }
    }
}

/// nginx (or other) input: per protocol family a `defaults` section, the frontends, the
/// backends.
fn translated_sections(cx: &mut Ctx, e: &mut Emitter) {
    let ir = cx.ir;
    for o in &ir.opaque {
        e.unsupported(
            o.origin,
            format!("`{}` has no HAProxy equivalent", o.name),
            "lbc does not model it; see the HAProxy configuration manual for a counterpart",
        );
    }
    for s in ir.services.iter().filter(|s| s.protocol == Protocol::Udp) {
        e.unsupported(
            s.origin,
            "UDP service: HAProxy 2.6 does not proxy UDP",
            "keep nginx (or use LVS) for UDP",
        );
    }
    for p in ir.pools.iter().filter(|p| p.protocol == Protocol::Udp) {
        e.unsupported(
            p.origin,
            format!("UDP pool `{}`: HAProxy 2.6 does not proxy UDP", p.name),
            "keep nginx (or use LVS) for UDP",
        );
    }
    for proto in [Protocol::Http, Protocol::Tcp] {
        let services: Vec<_> = ir.services.iter().filter(|s| s.protocol == proto).collect();
        let pools: Vec<_> = ir.pools.iter().filter(|p| p.protocol == proto).collect();
        let defaults: Vec<_> = ir.defaults.iter().filter(|d| d.protocol == proto).collect();
        if services.is_empty() && pools.is_empty() {
            // Nothing inherits these settings: there is nothing to write.
            continue;
        }
        e.blank();
        let at = defaults
            .first()
            .map(|d| d.origin)
            .or(services.first().map(|s| s.origin))
            .or(pools.first().map(|p| p.origin))
            .unwrap_or_default();
        settings::translated_defaults(proto, &defaults, at, e);
        frontend::translated(cx, proto, &services, &defaults, e);
        for p in pools {
            e.blank();
            backend::backend(cx, p, "backend", e);
        }
        for g in std::mem::take(&mut cx.generated) {
            e.blank();
            backend::generated(&g, e);
        }
    }
}

/// An unmodelled HAProxy line, written back.
pub(crate) fn opaque_line(o: &Opaque) -> String {
    std::iter::once(o.name.as_str())
        .chain(o.args.iter().map(String::as_str))
        .map(quote)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A word as HAProxy reads it back: quoted when it holds blanks, quotes, `#` or backslashes.
pub(crate) fn quote(w: &str) -> String {
    // The IR holds words as HAProxy read them (environment variables expanded): a `$` left
    // is literal, which it stays unquoted or in single quotes (double quotes escape it).
    let plain = !w.is_empty()
        && !w
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '#' | '\\'));
    if plain {
        return w.to_string();
    }
    if w.chars().any(char::is_control) || w.contains('\'') {
        return actions::quote_dq(w);
    }
    format!("'{w}'")
}

/// A name usable as an HAProxy proxy or ACL name (letters, digits, `-_.:`).
pub(crate) fn ident(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':') {
                c
            } else {
                '_'
            }
        })
        .collect()
}
