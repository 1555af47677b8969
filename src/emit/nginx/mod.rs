//! The nginx emitter: writes the IR as a canonical `nginx.conf` (process directives, `events`,
//! then `http {}` and `stream {}` with zones, upstreams and servers). Within a block, directives
//! keep the order of their origins, so nginx's order-sensitive phases (`rewrite`, `return`, `if`)
//! run as in the source. Opaque entries from nginx are written back verbatim (quoted where
//! nginx needs it); what came from another format and has no nginx equivalent is reported as
//! `convert/unsupported`, and what changes meaning as `convert/approximated`.
//! Mapping: `book/src/formats/nginx-output.md`.

mod haproxy;
mod l4;
mod pool;
mod service;
mod settings;

use super::Emitter;
use crate::ir::{Format, Ir, Opaque, Origin, Protocol, Route, Service, Workers};
use crate::syntax::nginx::directives::{self as dt, Ctx};

pub const AVAILABLE: bool = true;

/// Where a part goes among its siblings: file, offset, then a tie-breaker.
pub(super) type Key = (u32, u32, u32);

/// One element of a block, written in the order of its key.
pub(super) enum Part<'a> {
    /// A simple directive (`name args;`), counted as carried over.
    Line(String),
    /// A line that carries nothing (a comment).
    Comment(String),
    Opaque(&'a Opaque),
    Route(&'a Route, Protocol),
    Service(&'a Service),
    Pool(&'a crate::ir::Pool),
    /// A block written here: its head (`events`, `http`) and its parts.
    Block(String, Vec<(Key, Part<'a>)>),
}

pub(super) fn key(o: Origin) -> Key {
    (o.file, o.start, 0)
}

/// Makes the keys of `parts[from..]` (the elements of one IR list, in order) non-decreasing.
/// The IR lists are in nginx's reading order, includes inlined; origins in an included file
/// do not compare with those of the including one, so without this a `server` written after
/// an `include` of other servers would move before them (and become the default server).
pub(super) fn monotonic(parts: &mut [(Key, Part)], from: usize) {
    for i in from.max(1)..parts.len() {
        if i > from && parts[i].0 < parts[i - 1].0 {
            parts[i].0 = parts[i - 1].0;
        }
    }
}

/// The emitter's state: the IR being written and the output.
pub(super) struct Cx<'a> {
    pub ir: &'a Ir,
    pub e: &'a mut Emitter,
    /// Header lines of HAProxy `defaults` (`option forwardfor` …), written in every HTTP
    /// server: at the `http` level, a server's own `proxy_set_header` would hide them.
    pub default_headers: Vec<String>,
    /// Whether the opaque entries being written are in an HTTP scope.
    pub http_scope: bool,
}

impl Cx<'_> {
    /// Whether `origin` points into a file of another format than nginx (HAProxy, keepalived,
    /// ipvsadm): its opaque entries and verbatim options are not nginx syntax.
    pub fn foreign(&self, origin: Origin) -> bool {
        self.ir.sources.get(origin.file as usize).is_some_and(|s| {
            matches!(
                s.format,
                Format::Haproxy | Format::Keepalived | Format::Ipvsadm
            )
        })
    }

    /// Writes parts in the order of their keys, with a blank line around blocks.
    pub fn write<'p>(&mut self, mut parts: Vec<(Key, Part<'p>)>) {
        parts.sort_by_key(|(k, _)| *k);
        let mut prev_block = false;
        for (i, (_, part)) in parts.into_iter().enumerate() {
            let block = matches!(
                part,
                Part::Route(..) | Part::Service(_) | Part::Pool(_) | Part::Block(..)
            ) || matches!(part, Part::Opaque(o) if o.block && !o.children.is_empty());
            let before = self.e.out.text.len();
            if i > 0 && (block || prev_block) {
                self.e.blank();
            }
            let start = self.e.out.text.len();
            self.write_part(part);
            if self.e.out.text.len() == start {
                // Nothing written (a part left out with a diagnostic): no blank line for it.
                self.e.out.text.truncate(before);
            } else {
                prev_block = block;
            }
        }
    }

    fn write_part(&mut self, part: Part) {
        match part {
            Part::Line(l) => {
                self.e.line(l);
                self.e.carried();
            }
            Part::Comment(c) => self.e.line(c),
            Part::Opaque(o) => {
                self.opaque(o);
                self.e.carried();
            }
            Part::Route(r, p) => self.route(r, p),
            Part::Service(s) => self.service(s),
            Part::Pool(p) => self.pool(p),
            Part::Block(head, inner) => {
                self.e.line(format!("{head} {{"));
                self.e.indent();
                self.write(inner);
                self.e.dedent();
                self.e.line("}");
            }
        }
    }

    /// An opaque entry and its block, verbatim.
    pub fn opaque(&mut self, o: &Opaque) {
        let head = std::iter::once(&o.name)
            .chain(&o.args)
            .map(|a| quote(a))
            .collect::<Vec<_>>()
            .join(" ");
        if !o.block {
            self.e.line(format!("{head};"));
            return;
        }
        if crate::syntax::nginx::lexer::is_raw_block_directive(&o.name) {
            lua_lost(self, o.origin, &o.name);
        }
        self.e.line(format!("{head} {{"));
        self.e.indent();
        for c in &o.children {
            self.opaque(c);
        }
        self.e.dedent();
        self.e.line("}");
    }

    /// An opaque entry as a part, or a diagnostic when it is another format's directive.
    pub fn opaque_part<'o>(&mut self, o: &'o Opaque, parts: &mut Vec<(Key, Part<'o>)>) {
        if self.foreign(o.origin) {
            if self.haproxy_line(o, parts) {
                return;
            }
            self.e.unsupported(
                o.origin,
                format!("`{}` has no nginx equivalent", o.name),
                "lbc keeps it in the IR but cannot translate it; rewrite it by hand if needed",
            );
        } else {
            parts.push((key(o.origin), Part::Opaque(o)));
        }
    }
}

/// Reports a `*_by_lua_block` whose code the IR does not keep (it is written empty).
pub(super) fn lua_lost(cx: &mut Cx, origin: Origin, name: &str) {
    cx.e.unsupported(
        origin,
        format!("the code of `{name}`"),
        "lbc does not keep embedded Lua code; the block is written empty, copy its body by hand",
    );
}

/// `name args;` with every word quoted as nginx needs.
pub(super) fn dir<S: AsRef<str>>(name: &str, args: &[S]) -> String {
    let mut s = quote(name);
    for a in args {
        s.push(' ');
        s.push_str(&quote(a.as_ref()));
    }
    s.push(';');
    s
}

/// A word as nginx reads it back: bare when it can be, else in double quotes. A backslash is
/// doubled only where nginx would otherwise take it as an escape (`\"`, `\'`, `\\`, `\t`, `\r`,
/// `\n`, or at the end), so regexes such as `\.php$` stay readable.
pub fn quote(s: &str) -> String {
    let needs = s.is_empty()
        || s.starts_with('#')
        || s.chars()
            .any(|c| c.is_whitespace() || matches!(c, ';' | '{' | '}' | '"' | '\''));
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 2);
    if needs {
        out.push('"');
    }
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '\\' => {
                let next = chars.get(i + 1);
                if next.is_none_or(|n| matches!(n, '"' | '\'' | '\\' | 't' | 'r' | 'n')) {
                    out.push_str("\\\\");
                } else {
                    out.push('\\');
                }
            }
            '"' => out.push_str("\\\""),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    if needs {
        out.push('"');
    }
    out
}

/// Writes `ir` as a whole `nginx.conf`.
pub fn emit(ir: &Ir, e: &mut Emitter) {
    let mut cx = Cx {
        ir,
        e,
        default_headers: Vec::new(),
        http_scope: false,
    };
    let parts = cx.main_parts();
    cx.write(parts);
    cx.l4_leftovers();
}

/// Writes `ir` as a file of context `ctx` (what `--context` names, or what lbc inferred for a
/// fragment): the inside of `http {}`, of a `server {}` or of a `location {}`; a whole file for
/// the main context.
pub fn emit_in(ir: &Ir, ctx: Ctx, e: &mut Emitter) {
    let mut cx = Cx {
        ir,
        e,
        default_headers: Vec::new(),
        http_scope: false,
    };
    match ctx {
        dt::HTTP => {
            let parts = cx.family_parts(Protocol::Http);
            cx.write(parts)
        }
        dt::STREAM => {
            let parts = cx.family_parts(Protocol::Tcp);
            cx.write(parts)
        }
        dt::HTTP_SRV | dt::STREAM_SRV if ir.services.len() == 1 => {
            let parts = cx.service_parts(&ir.services[0]);
            cx.write(parts)
        }
        dt::HTTP_LOC if ir.services.len() == 1 && ir.services[0].routes.len() == 1 => {
            let parts = cx.route_parts(&ir.services[0].routes[0], Protocol::Http);
            cx.write(parts)
        }
        _ => emit(ir, cx.e),
    }
}

/// The parts of a scope that came from another format, in nginx's usual order: comments, then
/// `listen` and TLS, then other directives, then blocks; the source order within each.
pub(super) fn canonical(parts: &mut [(Key, Part)]) {
    for (k, p) in parts.iter_mut() {
        let tier = match p {
            Part::Comment(_) => 0,
            Part::Line(l) if l.starts_with("listen ") || l.starts_with("ssl_") => 1,
            Part::Line(_) | Part::Opaque(_) => 2,
            _ => 3,
        };
        *k = (tier, k.1, k.2);
    }
}

/// The family (`http` or `stream`) a protocol's services and pools go to.
pub(super) fn is_http(p: Protocol) -> bool {
    p == Protocol::Http
}

impl<'a> Cx<'a> {
    fn main_parts(&mut self) -> Vec<(Key, Part<'a>)> {
        let ir = self.ir;
        let p = &ir.process;
        let mut parts: Vec<(Key, Part<'a>)> = Vec::new();
        let mut events = Vec::new();
        if let Some(w) = &p.workers {
            let v = match w.value {
                Workers::Auto => "auto".to_string(),
                Workers::Count(n) => n.to_string(),
            };
            if self.foreign(w.origin) {
                self.e.approximated(
                    w.origin,
                    "threads become nginx worker processes",
                    "nginx runs one single-threaded event loop per worker process",
                );
            }
            parts.push((key(w.origin), Part::Line(dir("worker_processes", &[v]))));
        }
        if let Some(s) = &p.rlimit_nofile {
            let line = dir("worker_rlimit_nofile", &[s.value.to_string()]);
            parts.push((key(s.origin), Part::Line(line)));
        }
        if let Some(s) = &p.user {
            let words: Vec<&str> = s.value.split(' ').collect();
            parts.push((key(s.origin), Part::Line(dir("user", &words))));
        }
        if let Some(s) = &p.pid_file {
            parts.push((key(s.origin), Part::Line(dir("pid", &[&s.value]))));
        }
        for s in &p.error_logs {
            parts.push((key(s.origin), Part::Line(dir("error_log", &s.value))));
        }
        if let Some(s) = &p.worker_connections {
            if self.foreign(s.origin) {
                self.e.approximated(
                    s.origin,
                    "a process-wide connection limit becomes a per-worker one",
                    "nginx's worker_connections counts the connections of each worker, upstream ones included",
                );
            }
            let line = dir("worker_connections", &[s.value.to_string()]);
            events.push((key(s.origin), Part::Line(line)));
        }
        if let Some(s) = &p.event_method {
            events.push((key(s.origin), Part::Line(dir("use", &[&s.value]))));
        }
        if let Some(s) = &p.multi_accept {
            let v = if s.value { "on" } else { "off" };
            events.push((key(s.origin), Part::Line(dir("multi_accept", &[v]))));
        }
        for o in &ir.opaque {
            match o.context.as_deref() {
                Some("events") => self.opaque_part(o, &mut events),
                _ => self.opaque_part(o, &mut parts),
            }
        }
        // HAProxy's global settings go first, in nginx's usual order.
        for (i, (k, _)) in parts.iter_mut().enumerate() {
            if self
                .ir
                .sources
                .get(k.0 as usize)
                .is_some_and(|s| s.format == Format::Haproxy)
            {
                *k = (0, 0, i as u32);
            }
        }
        let mut families = Vec::new();
        for protocol in [Protocol::Http, Protocol::Tcp] {
            let inner = self.family_parts(protocol);
            if inner.is_empty() && !self.has_family(protocol) {
                continue;
            }
            let origin = ir
                .defaults
                .iter()
                .find(|d| d.protocol == protocol && !self.foreign(d.origin))
                .map(|d| key(d.origin))
                .unwrap_or((u32::MAX, u32::MAX, protocol as u32));
            let head = if is_http(protocol) { "http" } else { "stream" };
            families.push((origin, Part::Block(head.into(), inner)));
        }
        // nginx needs an `events` block; it goes where its first directive was, else before the
        // first protocol block (after every `load_module`).
        let events_key = events
            .iter()
            .map(|(k, _)| *k)
            .min()
            .or_else(|| families.iter().map(|(k, _)| *k).min())
            .unwrap_or((u32::MAX, u32::MAX, 0));
        parts.push((
            (events_key.0, events_key.1, 0),
            Part::Block("events".into(), events),
        ));
        parts.extend(
            families
                .into_iter()
                .map(|((f, s, t), p)| ((f, s, t + 1), p)),
        );
        parts
    }

    /// Whether the source had a block of this family (an empty `stream {}` is kept).
    fn has_family(&self, protocol: Protocol) -> bool {
        self.ir
            .defaults
            .iter()
            .any(|d| d.protocol == protocol && !self.foreign(d.origin))
    }

    /// The inside of `http {}` (HTTP) or `stream {}` (TCP and UDP).
    pub(super) fn family_parts(&mut self, protocol: Protocol) -> Vec<(Key, Part<'a>)> {
        let ir = self.ir;
        let http = is_http(protocol);
        let mut parts = Vec::new();
        for d in ir.defaults.iter().filter(|d| is_http(d.protocol) == http) {
            if self.foreign(d.origin) {
                // HAProxy defaults are already copied into the proxies that inherit them; only
                // their unmodelled lines are left here, and their headers go to the servers.
                self.http_scope = http;
                let mut lines = Vec::new();
                for o in &d.settings.opaque {
                    self.opaque_part(o, &mut lines);
                }
                for (_, part) in lines {
                    if let Part::Line(l) = part {
                        self.default_headers.push(l);
                    }
                }
                continue;
            }
            self.settings_parts(&d.settings, protocol, d.origin, &mut parts);
        }
        let n = parts.len();
        for z in &ir.zones {
            if self.zone_is_http(z) == http {
                if let Some(l) = pool::zone_line(z) {
                    parts.push((key(z.origin), Part::Line(l)));
                }
            }
        }
        monotonic(&mut parts, n);
        let n = parts.len();
        for p in ir.pools.iter().filter(|p| is_http(p.protocol) == http) {
            if self.usable_pool(&p.name, p.protocol) == Some(false) {
                // A HAProxy `listen` section without servers is a service only.
                let listen =
                    p.servers.is_empty() && ir.services.iter().any(|s| s.origin == p.origin);
                if !listen {
                    self.e.unsupported(
                        p.origin,
                        format!("the backend `{}` has no server nginx can use", p.name),
                        "nginx refuses an upstream without servers; proxies to it answer 503",
                    );
                }
                continue;
            }
            parts.push((key(p.origin), Part::Pool(p)));
        }
        monotonic(&mut parts, n);
        let n = parts.len();
        for s in ir.services.iter().filter(|s| is_http(s.protocol) == http) {
            parts.push(((s.origin.file, s.origin.start, 1), Part::Service(s)));
        }
        monotonic(&mut parts, n);
        if !http {
            self.virtual_service_parts(&mut parts);
        }
        parts
    }

    /// Request-rate and cache zones are HTTP-only; a connection zone goes to the family whose
    /// block holds it in the source.
    fn zone_is_http(&self, z: &crate::ir::Zone) -> bool {
        if !matches!(z.kind, crate::ir::ZoneKind::Connections { .. }) {
            return true;
        }
        let inside = |o: Origin| {
            o.file == z.origin.file && o.start <= z.origin.start && z.origin.end <= o.end
        };
        !self
            .ir
            .defaults
            .iter()
            .any(|d| d.protocol != Protocol::Http && inside(d.origin))
    }
}

#[cfg(test)]
mod tests {
    use super::quote;
    use crate::syntax::nginx::cst::unescape;

    #[test]
    fn quoting_reads_back() {
        for (value, written) in [
            ("plain", "plain"),
            ("", "\"\""),
            ("a b", "\"a b\""),
            ("#x", "\"#x\""),
            ("a#x", "a#x"),
            ("x;y", "\"x;y\""),
            ("${host}", "\"${host}\""),
            ("say \"hi\"", "\"say \\\"hi\\\"\""),
            ("it's", "\"it's\""),
            ("\\.php$", "\\.php$"),
            ("a\\", "a\\\\"),
            ("\\n", "\\\\n"),
            ("tab\there", "\"tab\\there\""),
        ] {
            assert_eq!(quote(value), written, "{value:?}");
            let inner = written
                .strip_prefix('"')
                .and_then(|w| w.strip_suffix('"'))
                .unwrap_or(written);
            assert_eq!(unescape(inner), value, "{written}");
        }
    }
}
