//! Lowering the top level and the VRRP side of keepalived: `vrrp_script`, `vrrp_instance`
//! (state, priority, authentication, virtual addresses, tracked scripts …) and
//! `vrrp_sync_group`. Everything else goes to opaque entries.

use super::keywords::{Ctx, Kind};
use super::lower::{At, Walker};
use crate::ir::{
    Duration, Opaque, TrackScript, VirtualIp, VrrpAuth, VrrpInstance, VrrpScript, VrrpState,
    VrrpSyncGroup,
};

/// A line of the top level.
pub(super) fn top(w: &mut Walker, at: At, kind: Option<Kind>) {
    if kind.is_none() {
        let context = at.cond().map(|c| format!("@{c}"));
        let o = at.opaque(context);
        w.ir.opaque.push(o);
        return;
    }
    match at.name() {
        "vrrp_script" => script(w, at),
        "vrrp_instance" => instance(w, at),
        "vrrp_sync_group" => sync_group(w, at),
        "virtual_server" => super::lower_lvs::virtual_server(w, at),
        "virtual_server_group" => super::lower_lvs::group(w, at),
        "static_ipaddress" => super::lower_lvs::static_addresses(w, at),
        "static_routes" => super::lower_lvs::static_routes(w, at),
        _ => {
            // Blocks whose keywords are still checked, kept whole.
            if let Some(Kind::Block(ctx)) = kind {
                check_block(w, &at, ctx);
            }
            let o = at.opaque(None);
            w.ir.opaque.push(o);
        }
    }
}

/// Walks a block only to check its keywords (and nested blocks').
pub(super) fn check_block(w: &mut Walker, at: &At, ctx: Ctx) {
    if ctx == Ctx::List {
        return;
    }
    let Some(b) = &at.line.block else { return };
    w.walk(at.file, at.tree, &b.items, ctx, &mut |w, c, kind| {
        if let Some(Kind::Block(inner)) = kind {
            check_block(w, &c, inner);
        }
    });
}

/// Walks the block of `at` in `ctx`, calling `f` for each known, unconditional line and
/// collecting the others as opaque entries.
pub(super) fn each(
    w: &mut Walker,
    at: &At,
    ctx: Ctx,
    opaque: &mut Vec<Opaque>,
    f: &mut dyn FnMut(&mut Walker, At, Kind) -> bool,
) {
    let Some(b) = &at.line.block else { return };
    w.walk(
        at.file,
        at.tree,
        &b.items,
        ctx,
        &mut |w, c, kind| match kind {
            Some(k) => {
                if !f(w, c, k) {
                    if let Kind::Block(inner) = k {
                        check_block(w, &c, inner);
                    }
                    opaque.push(c.opaque(None));
                }
            }
            None => opaque.push(c.opaque(c.cond().map(|x| format!("@{x}")))),
        },
    );
}

pub(super) fn number<T: std::str::FromStr>(
    w: &mut Walker,
    at: &At,
    i: usize,
    what: &str,
) -> Option<T> {
    match at.arg(i).and_then(|v| v.parse().ok()) {
        Some(n) => Some(n),
        None => {
            w.bad_value(at, i, what);
            None
        }
    }
}

/// keepalived timers: seconds, possibly fractional (`advert_int 0.5`).
pub(super) fn seconds(w: &mut Walker, at: &At, i: usize) -> Option<Duration> {
    match at.arg(i).and_then(|v| v.parse::<f64>().ok()) {
        Some(s) if s >= 0.0 && s.is_finite() => Some(Duration((s * 1000.0).round() as u64)),
        _ => {
            w.bad_value(at, i, "number of seconds");
            None
        }
    }
}

fn script(w: &mut Walker, at: At) {
    let mut s = VrrpScript {
        name: at.arg(0).unwrap_or_default().to_string(),
        origin: at.full_origin(),
        ..Default::default()
    };
    let mut opaque = Vec::new();
    each(w, &at, Ctx::VrrpScript, &mut opaque, &mut |w, c, _| {
        match c.name() {
            "script" => s.script = c.args().join(" "),
            "interval" => s.interval = seconds(w, &c, 0),
            "weight" => {
                s.weight = number(w, &c, 0, "weight");
                s.weight_origin = Some(c.origin());
                return c.line.args.len() == 1;
            }
            "fall" => s.fall = number(w, &c, 0, "count"),
            "rise" => s.rise = number(w, &c, 0, "count"),
            _ => return false,
        }
        true
    });
    s.opaque = opaque;
    w.scripts.push(w.ir.vrrp_scripts.len());
    w.ir.vrrp_scripts.push(s);
}

fn instance(w: &mut Walker, at: At) {
    let mut v = VrrpInstance {
        name: at.arg(0).unwrap_or_default().to_string(),
        origin: at.full_origin(),
        ..Default::default()
    };
    let mut opaque = Vec::new();
    each(w, &at, Ctx::VrrpInstance, &mut opaque, &mut |w, c, _| {
        match c.name() {
            "state" => {
                v.state = match c.arg(0) {
                    Some("MASTER") => Some(VrrpState::Master),
                    Some("BACKUP") => Some(VrrpState::Backup),
                    _ => {
                        w.bad_value(&c, 0, "state (MASTER or BACKUP)");
                        None
                    }
                };
                v.state_origin = Some(c.origin());
            }
            "interface" => v.interface = c.arg(0).map(str::to_string),
            "virtual_router_id" => {
                v.virtual_router_id = number(w, &c, 0, "router id");
                v.virtual_router_id_origin = Some(c.arg_origin(0));
            }
            "priority" => {
                v.priority = number(w, &c, 0, "priority");
                v.priority_origin = Some(c.arg_origin(0));
            }
            "advert_int" => {
                v.advert_int = seconds(w, &c, 0);
                v.advert_int_origin = Some(c.origin());
            }
            "nopreempt" => {
                v.nopreempt = true;
                v.nopreempt_origin = Some(c.origin());
            }
            "preempt_delay" => v.preempt_delay = seconds(w, &c, 0),
            "unicast_src_ip" => v.unicast_src_ip = c.arg(0).map(str::to_string),
            "authentication" => {
                let mut a = VrrpAuth {
                    origin: c.full_origin(),
                    ..Default::default()
                };
                let mut rest = Vec::new();
                each(w, &c, Ctx::Authentication, &mut rest, &mut |_, l, _| {
                    match l.name() {
                        "auth_type" => a.kind = l.arg(0).unwrap_or_default().to_string(),
                        _ => {
                            a.password = l.arg(0).unwrap_or_default().to_string();
                            a.password_origin = Some(l.arg_origin(0));
                        }
                    }
                    true
                });
                v.authentication = Some(a);
                return rest.is_empty();
            }
            "virtual_ipaddress" => {
                for l in c.children() {
                    v.virtual_ips.push(vip(&l));
                }
            }
            "track_script" => {
                for l in c.children() {
                    let mut t = TrackScript {
                        name: l.name().to_string(),
                        origin: l.origin(),
                        ..Default::default()
                    };
                    let args = l.args();
                    let mut i = 0;
                    while i < args.len() {
                        match args[i].as_str() {
                            "weight" => {
                                t.weight = number(w, &l, i + 1, "weight");
                                i += 1;
                            }
                            "reverse" => t.reverse = true,
                            "noreverse" | "no_reverse" => {}
                            _ => w.bad_value(&l, i, "option (`weight N` or `reverse`)"),
                        }
                        i += 1;
                    }
                    v.track_scripts.push(t);
                }
            }
            "track_interface" => {
                v.track_interfaces = c.children().map(|l| l.name().to_string()).collect();
                return c.children().all(|l| l.line.args.is_empty());
            }
            "unicast_peer" => {
                v.unicast_peers = c.children().map(|l| l.name().to_string()).collect();
                return c.children().all(|l| l.line.args.is_empty());
            }
            _ => return false,
        }
        true
    });
    v.opaque = opaque;
    w.instances.push(w.ir.vrrp_instances.len());
    w.ir.vrrp_instances.push(v);
}

/// `ADDR[/LEN] [dev IF] [label L] [other options…]`.
fn vip(l: &At) -> VirtualIp {
    let first = l.name();
    let (address, prefix_len) = match first.split_once('/') {
        Some((a, p)) => (a.to_string(), p.parse().ok()),
        None => (first.to_string(), None),
    };
    let mut v = VirtualIp {
        address,
        prefix_len,
        origin: l.origin(),
        ..Default::default()
    };
    let args = l.args();
    let mut i = 0;
    while i < args.len() {
        match (args[i].as_str(), args.get(i + 1)) {
            ("dev", Some(d)) => {
                v.device = Some(d.clone());
                i += 1;
            }
            ("label", Some(d)) => {
                v.label = Some(d.clone());
                i += 1;
            }
            (o, _) => v.options.push(o.to_string()),
        }
        i += 1;
    }
    v
}

fn sync_group(w: &mut Walker, at: At) {
    let mut g = VrrpSyncGroup {
        name: at.arg(0).unwrap_or_default().to_string(),
        origin: at.full_origin(),
        ..Default::default()
    };
    let mut opaque = Vec::new();
    each(w, &at, Ctx::VrrpSyncGroup, &mut opaque, &mut |_, c, _| {
        if c.name() == "group" {
            g.instances = c.children().map(|l| l.name().to_string()).collect();
            return true;
        }
        false
    });
    g.opaque = opaque;
    w.ir.vrrp_sync_groups.push(g);
}
