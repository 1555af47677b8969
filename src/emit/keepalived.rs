//! The keepalived emitter: `global_defs` and other blocks kept verbatim, `vrrp_script`s,
//! `vrrp_sync_group`s, `vrrp_instance`s, `static_ipaddress`/`static_routes` (from keepalived
//! sources only), then the LVS side (`keepalived_lvs`). L7 services and pools, and opaque
//! entries of other formats, are reported as not carried over.

#[path = "keepalived_lvs.rs"]
mod keepalived_lvs;

use super::Emitter;
use crate::ir::{Duration, Format, Ir, Opaque, Origin, VrrpInstance, VrrpScript, VrrpState};

pub const AVAILABLE: bool = true;

/// Writes `ir` as keepalived configuration.
pub fn emit(ir: &Ir, e: &mut Emitter) {
    let k = Ctx { ir };
    for o in &ir.opaque {
        if k.is_keepalived(o.origin) {
            write_opaque(e, o);
            e.blank();
            e.carried();
        } else {
            e.unsupported(
                o.origin,
                format!("`{}` has no keepalived equivalent", o.name),
                "lbc keeps it as an unmodelled directive; only keepalived's own are written back",
            );
        }
    }
    for s in &ir.vrrp_scripts {
        script(e, s);
    }
    for g in &ir.vrrp_sync_groups {
        e.line(format!("vrrp_sync_group {} {{", word(&g.name)));
        e.indent();
        e.line("group {");
        e.indent();
        for i in &g.instances {
            e.line(word(i));
        }
        e.dedent();
        e.line("}");
        k.opaque_children(e, &g.opaque);
        e.dedent();
        e.line("}");
        e.blank();
        e.carried();
    }
    for v in &ir.vrrp_instances {
        instance(&k, e, v);
    }
    static_addresses(&k, e);
    keepalived_lvs::emit(&k, e);
    for s in &ir.services {
        e.unsupported(
            s.origin,
            "an L7 service has no keepalived equivalent",
            "keepalived balances at L4 (IPVS virtual_server); keep this service in nginx or HAProxy",
        );
    }
    for p in &ir.pools {
        e.unsupported(
            p.origin,
            format!("pool `{}` has no keepalived equivalent", p.name),
            "keepalived real_servers belong to a virtual_server; keep this pool in nginx or HAProxy, or write a virtual_server by hand",
        );
    }
    for d in &ir.defaults {
        e.unsupported(
            d.origin,
            "shared L7 defaults have no keepalived equivalent",
            "keepalived has no L7 settings",
        );
    }
}

/// The IR being written, with what the writers ask of it.
pub struct Ctx<'a> {
    pub ir: &'a Ir,
}

impl Ctx<'_> {
    /// Whether `origin` lies in a keepalived file.
    pub fn is_keepalived(&self, origin: Origin) -> bool {
        self.ir
            .sources
            .get(origin.file as usize)
            .is_some_and(|s| s.format == Format::Keepalived)
    }

    /// Writes a node's opaque children back when they came from keepalived; reports others.
    pub fn opaque_children(&self, e: &mut Emitter, opaque: &[Opaque]) {
        for o in opaque {
            if self.is_keepalived(o.origin) {
                write_opaque(e, o);
            } else {
                e.unsupported(
                    o.origin,
                    format!("`{}` has no keepalived equivalent", o.name),
                    "lbc does not model it; add the keepalived equivalent by hand if there is one",
                );
            }
        }
    }
}

/// Whether an opaque entry carries the keyword `name` (then the modelled value is not written
/// again: the verbatim line says more).
pub fn has(opaque: &[Opaque], name: &str) -> bool {
    opaque.iter().any(|o| o.name == name && o.context.is_none())
}

/// A word as keepalived reads it back: quoted when it holds blanks, comment or brace
/// characters, or quotes.
pub fn word(s: &str) -> String {
    let plain = !s.is_empty()
        && !s
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '#' | '!' | '{' | '}' | '"' | '\'' | '\\'));
    if plain {
        return s.to_string();
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// keepalived timers: seconds, fractional when needed.
pub fn secs(d: Duration) -> String {
    if d.0.is_multiple_of(1000) {
        return (d.0 / 1000).to_string();
    }
    let s = format!("{}.{:03}", d.0 / 1000, d.0 % 1000);
    s.trim_end_matches('0').to_string()
}

/// An opaque entry, verbatim (an `@ID` context becomes the conditional prefix again).
pub fn write_opaque(e: &mut Emitter, o: &Opaque) {
    let mut head = String::new();
    if let Some(c) = o.context.as_deref().filter(|c| c.starts_with('@')) {
        head.push_str(c);
        head.push(' ');
    }
    head.push_str(&word(&o.name));
    for a in &o.args {
        head.push(' ');
        head.push_str(&word(a));
    }
    if o.block {
        e.line(format!("{head} {{"));
        e.indent();
        for c in &o.children {
            write_opaque(e, c);
        }
        e.dedent();
        e.line("}");
    } else {
        e.line(head);
    }
}

fn script(e: &mut Emitter, s: &VrrpScript) {
    e.line(format!("vrrp_script {} {{", word(&s.name)));
    e.indent();
    e.line(format!("script {}", word(&s.script)));
    if let Some(i) = s.interval {
        e.line(format!("interval {}", secs(i)));
    }
    if let (Some(w), false) = (s.weight, has(&s.opaque, "weight")) {
        e.line(format!("weight {w}"));
    }
    if let Some(f) = s.fall {
        e.line(format!("fall {f}"));
    }
    if let Some(r) = s.rise {
        e.line(format!("rise {r}"));
    }
    for o in &s.opaque {
        write_opaque(e, o);
    }
    e.dedent();
    e.line("}");
    e.blank();
    e.carried();
}

fn list(e: &mut Emitter, name: &str, items: impl IntoIterator<Item = String>) {
    e.line(format!("{name} {{"));
    e.indent();
    for i in items {
        e.line(i);
    }
    e.dedent();
    e.line("}");
}

fn instance(k: &Ctx, e: &mut Emitter, v: &VrrpInstance) {
    e.line(format!("vrrp_instance {} {{", word(&v.name)));
    e.indent();
    match v.state {
        Some(VrrpState::Master) => e.line("state MASTER"),
        Some(VrrpState::Backup) => e.line("state BACKUP"),
        None => {}
    }
    if let Some(i) = &v.interface {
        e.line(format!("interface {}", word(i)));
    }
    if let Some(id) = v.virtual_router_id {
        e.line(format!("virtual_router_id {id}"));
    }
    if let Some(p) = v.priority {
        e.line(format!("priority {p}"));
    }
    if let Some(a) = v.advert_int {
        e.line(format!("advert_int {}", secs(a)));
    }
    if v.nopreempt {
        e.line("nopreempt");
    }
    if let Some(d) = v.preempt_delay {
        e.line(format!("preempt_delay {}", secs(d)));
    }
    if let Some(s) = &v.unicast_src_ip {
        e.line(format!("unicast_src_ip {}", word(s)));
    }
    if !v.unicast_peers.is_empty() && !has(&v.opaque, "unicast_peer") {
        list(e, "unicast_peer", v.unicast_peers.iter().map(|p| word(p)));
    }
    if let (Some(a), false) = (&v.authentication, has(&v.opaque, "authentication")) {
        e.line("authentication {");
        e.indent();
        if !a.kind.is_empty() {
            e.line(format!("auth_type {}", word(&a.kind)));
        }
        if !a.password.is_empty() {
            e.line(format!("auth_pass {}", word(&a.password)));
        }
        e.dedent();
        e.line("}");
    }
    if !v.track_interfaces.is_empty() && !has(&v.opaque, "track_interface") {
        list(
            e,
            "track_interface",
            v.track_interfaces.iter().map(|p| word(p)),
        );
    }
    if !v.virtual_ips.is_empty() {
        let lines = v.virtual_ips.iter().map(|ip| {
            let mut l = address(&ip.address, ip.prefix_len);
            if let Some(d) = &ip.device {
                l.push_str(&format!(" dev {}", word(d)));
            }
            if let Some(lb) = &ip.label {
                l.push_str(&format!(" label {}", word(lb)));
            }
            for o in &ip.options {
                l.push(' ');
                l.push_str(&word(o));
            }
            l
        });
        list(e, "virtual_ipaddress", lines);
    }
    if !v.track_scripts.is_empty() {
        let lines = v.track_scripts.iter().map(|t| {
            let mut l = word(&t.name);
            if let Some(w) = t.weight {
                l.push_str(&format!(" weight {w}"));
            }
            if t.reverse {
                l.push_str(" reverse");
            }
            l
        });
        list(e, "track_script", lines);
    }
    k.opaque_children(e, &v.opaque);
    e.dedent();
    e.line("}");
    e.blank();
    e.carried();
}

/// `ADDR` or `ADDR/LEN`.
pub fn address(a: &str, len: Option<u8>) -> String {
    match len {
        Some(l) => format!("{}/{l}", word(a)),
        None => word(a),
    }
}

/// `static_ipaddress` and `static_routes` from keepalived sources; the addresses and routes of
/// an LVS script belong to a `vrrp_instance` in keepalived, and sysctls to the host.
fn static_addresses(k: &Ctx, e: &mut Emitter) {
    let ir = k.ir;
    let mut lines = Vec::new();
    for a in &ir.interface_addresses {
        if k.is_keepalived(a.origin) {
            let mut l = address(&a.address, a.prefix_len);
            if let Some(d) = &a.device {
                l.push_str(&format!(" dev {}", word(d)));
            }
            if let Some(lb) = &a.label {
                l.push_str(&format!(" label {}", word(lb)));
            }
            for o in &a.options {
                l.push_str(&format!(" {}", word(o)));
            }
            lines.push(l);
            e.carried();
        } else {
            e.approximated(
                a.origin,
                format!("address {} is not written", a.address),
                "keepalived manages the VIP with a vrrp_instance; add one (virtual_ipaddress)",
            );
        }
    }
    if !lines.is_empty() {
        list(e, "static_ipaddress", lines);
        e.blank();
    }
    let mut lines = Vec::new();
    for r in &ir.static_routes {
        if k.is_keepalived(r.origin) {
            let mut l = word(&r.destination);
            if let Some(v) = &r.via {
                l.push_str(&format!(" via {}", word(v)));
            }
            if let Some(d) = &r.device {
                l.push_str(&format!(" dev {}", word(d)));
            }
            for o in &r.options {
                l.push_str(&format!(" {}", word(o)));
            }
            lines.push(l);
            e.carried();
        } else {
            e.approximated(
                r.origin,
                format!("route to {} is not written", r.destination),
                "keepalived adds the VIP's route with the vrrp_instance that holds it; add one, or keep the route in the host's network config",
            );
        }
    }
    if !lines.is_empty() {
        list(e, "static_routes", lines);
        e.blank();
    }
    for s in &ir.sysctls {
        e.unsupported(
            s.origin,
            format!("sysctl `{} = {}` has no keepalived equivalent", s.key, s.value),
            "set it in /etc/sysctl.d/ on the host (IPVS directors need net.ipv4.ip_forward = 1 for NAT)",
        );
    }
}
