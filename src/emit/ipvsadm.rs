//! The ipvsadm emitter: an `ipvsadm-restore` rules file in the format `ipvsadm-save -n`
//! writes, or a commented POSIX sh script that also sets the addresses, routes and kernel
//! settings. IPVS has no health checks, sorry servers or VRRP (keepalived does those): they
//! are reported as not carried over.

use super::Emitter;
use crate::ir::{Format, Forwarding, Ir, Protocol, RealServer, VirtualService};

pub const AVAILABLE: bool = true;

/// Writes `ir` as ipvsadm rules (`script == false`) or as a shell script.
pub fn emit(ir: &Ir, e: &mut Emitter, script: bool) {
    let vips = vip_names(ir);
    if script {
        header(ir, e, &vips);
    }
    report_unsupported(ir, e, script);
    if script {
        e.blank();
        e.line("# The IPVS table, rebuilt from scratch.");
        e.line("ipvsadm -C");
    }
    for vs in &ir.virtual_services {
        service(e, vs, script, &vips);
    }
}

/// Variable names for the VIPs of a script (`VIP1`, `VIP2` …), in order of appearance.
fn vip_names(ir: &Ir) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for a in ir
        .virtual_services
        .iter()
        .filter_map(|v| v.address.as_ref())
    {
        if v_is_new(&out, a) {
            out.push((a.clone(), format!("VIP{}", out.len() + 1)));
        }
    }
    out
}

fn v_is_new(out: &[(String, String)], a: &str) -> bool {
    !out.iter().any(|(x, _)| x == a)
}

/// An address, as the variable holding it when it is a VIP.
fn addr(vips: &[(String, String)], a: &str, script: bool) -> String {
    match vips.iter().find(|(x, _)| x == a) {
        Some((_, v)) if script => format!("${{{v}}}"),
        _ => a.to_string(),
    }
}

fn host_port(host: &str, port: Option<u16>) -> String {
    match port {
        Some(p) if host.contains(':') => format!("[{host}]:{p}"),
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

fn header(ir: &Ir, e: &mut Emitter, vips: &[(String, String)]) {
    e.line("#!/bin/sh");
    let files: Vec<&str> = ir.sources.iter().map(|s| s.path.as_str()).collect();
    e.line(format!(
        "# IPVS director setup written by lbc from {}.",
        files.join(", ")
    ));
    e.line("# Run as root on the director; it replaces the whole IPVS table.");
    e.line("set -e");
    e.blank();
    if !vips.is_empty() {
        e.line("# Virtual IP addresses.");
        for (a, v) in vips {
            e.line(format!("{v}={a}"));
        }
        e.blank();
    }
    if !ir.sysctls.is_empty() {
        e.line("# Kernel settings.");
        for s in &ir.sysctls {
            e.line(format!(
                "sysctl -w {}",
                sh_word(&format!("{}={}", s.key, s.value))
            ));
            e.carried();
        }
        e.blank();
    }
    let fwds: Vec<Forwarding> = ir
        .virtual_services
        .iter()
        .flat_map(|v| v.real_servers.iter().map(|r| r.forwarding.or(v.forwarding)))
        .map(|f| f.unwrap_or(Forwarding::Dr))
        .collect();
    if !ir.interface_addresses.is_empty() || !ir.static_routes.is_empty() {
        e.line("# Addresses and routes (`replace` makes a second run harmless).");
    }
    for a in &ir.interface_addresses {
        let Some(dev) = &a.device else {
            e.unsupported(
                a.origin,
                format!("address {} has no device", a.address),
                "`ip addr` needs a device; add the address by hand",
            );
            continue;
        };
        let mut l = format!("ip addr replace {}", addr(vips, &a.address, true));
        if let Some(len) = a.prefix_len {
            l.push_str(&format!("/{len}"));
        }
        l.push_str(&format!(" dev {dev}"));
        if let Some(lb) = &a.label {
            l.push_str(&format!(" label {lb}"));
        }
        for o in &a.options {
            l.push_str(&format!(" {o}"));
        }
        e.line(l);
        e.carried();
    }
    for r in &ir.static_routes {
        let mut l = format!("ip route replace {}", r.destination);
        if let Some(v) = &r.via {
            l.push_str(&format!(" via {v}"));
        }
        if let Some(d) = &r.device {
            l.push_str(&format!(" dev {d}"));
        }
        for o in &r.options {
            l.push_str(&format!(" {o}"));
        }
        e.line(l);
        e.carried();
    }
    e.blank();
    if fwds.contains(&Forwarding::Dr) {
        e.line("# Direct routing (-g): the real servers share a LAN segment with this director,");
        e.line("# hold each VIP on their loopback (ip addr add VIP/32 dev lo) and must not answer");
        e.line("# ARP for it: net.ipv4.conf.all.arp_ignore=1, net.ipv4.conf.all.arp_announce=2.");
        e.line("# The real server port must equal the virtual service port.");
    }
    if fwds.contains(&Forwarding::Nat) {
        e.line("# Masquerading (-m): this director forwards (net.ipv4.ip_forward=1) and is the");
        e.line("# real servers' default gateway, so replies come back through it.");
    }
    if fwds.contains(&Forwarding::Tun) {
        e.line("# Tunnelling (-i): each real server has an ipip tunnel interface holding the VIP,");
        e.line("# with rp_filter off on it, and does not answer ARP for the VIP.");
    }
}

fn sh_word(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-/=:,+@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn report_unsupported(ir: &Ir, e: &mut Emitter, script: bool) {
    for v in &ir.vrrp_instances {
        e.unsupported(
            v.origin,
            format!("VRRP instance `{}` has no ipvsadm equivalent", v.name),
            "ipvsadm only sets the IPVS table; keep keepalived (or another VRRP daemon) to move the VIPs",
        );
    }
    for s in &ir.vrrp_scripts {
        e.unsupported(
            s.origin,
            format!("vrrp_script `{}` has no ipvsadm equivalent", s.name),
            "keepalived runs tracking scripts; ipvsadm does not",
        );
    }
    for g in &ir.vrrp_sync_groups {
        e.unsupported(
            g.origin,
            format!("vrrp_sync_group `{}` has no ipvsadm equivalent", g.name),
            "keepalived does VRRP; ipvsadm does not",
        );
    }
    for g in &ir.virtual_service_groups {
        e.unsupported(
            g.origin,
            format!("virtual_server_group `{}` is not written", g.name),
            "write one ipvsadm service per member",
        );
    }
    if !script {
        let help = "an ipvsadm-restore file holds only the IPVS table; convert with --to ipvsadm-script to keep it";
        for a in &ir.interface_addresses {
            e.unsupported(
                a.origin,
                format!("address {} is not written", a.address),
                help,
            );
        }
        for r in &ir.static_routes {
            e.unsupported(
                r.origin,
                format!("route to {} is not written", r.destination),
                help,
            );
        }
        for s in &ir.sysctls {
            e.unsupported(s.origin, format!("sysctl `{}` is not written", s.key), help);
        }
    }
    for o in &ir.opaque {
        let lvs = ir
            .sources
            .get(o.origin.file as usize)
            .is_some_and(|s| s.format == Format::Ipvsadm);
        let what = if lvs {
            format!("script line `{}` is not carried over", o.name)
        } else {
            format!("`{}` has no ipvsadm equivalent", o.name)
        };
        e.unsupported(
            o.origin,
            what,
            "lbc writes only what it models: the IPVS table, addresses, routes and sysctls",
        );
    }
    for s in &ir.services {
        e.unsupported(
            s.origin,
            "an L7 service has no ipvsadm equivalent",
            "IPVS balances at L4; keep this service in nginx or HAProxy",
        );
    }
    for p in &ir.pools {
        e.unsupported(
            p.origin,
            format!("pool `{}` has no ipvsadm equivalent", p.name),
            "IPVS real servers belong to a virtual service; keep this pool in nginx or HAProxy",
        );
    }
}

fn service(e: &mut Emitter, vs: &VirtualService, script: bool, vips: &[(String, String)]) {
    let prefix = if script { "ipvsadm " } else { "" };
    let svc = match (vs.fwmark, &vs.address) {
        (Some(m), _) => format!("-f {m}"),
        (None, Some(a)) if vs.group.is_none() => {
            let flag = if vs.protocol == Protocol::Udp {
                "-u"
            } else {
                "-t"
            };
            let host = addr(vips, a, script);
            let hp = match vs.port {
                Some(p) if a.contains(':') => format!("[{host}]:{p}"),
                Some(p) => format!("{host}:{p}"),
                None => host,
            };
            if script {
                format!("{flag} \"{hp}\"")
            } else {
                format!("{flag} {hp}")
            }
        }
        _ => {
            e.unsupported(
                vs.origin,
                "a virtual service for a group has no single ipvsadm address",
                "write one ipvsadm service per member of the virtual_server_group",
            );
            return;
        }
    };
    if script {
        e.blank();
    }
    let mut l = format!("{prefix}-A {svc}");
    match vs.scheduler.ipvs_name() {
        Some(s) => l.push_str(&format!(" -s {s}")),
        None => e.approximated(
            vs.origin,
            format!(
                "algorithm {} has no IPVS scheduler; ipvsadm uses wlc",
                vs.scheduler.name()
            ),
            "choose an IPVS scheduler with -s",
        ),
    }
    if let Some(p) = vs.persistence {
        l.push_str(&format!(" -p {}", p.0.div_ceil(1000)));
        if let Some(m) = &vs.persistence_netmask {
            l.push_str(&format!(" -M {m}"));
        }
    }
    e.line(l);
    e.carried();
    if let Some(d) = vs.delay_loop {
        e.unsupported(
            vs.origin,
            format!("delay_loop {d} is not written"),
            "ipvsadm runs no checks; keepalived does",
        );
    }
    if let Some(s) = &vs.sorry_server {
        e.unsupported(s.origin, "the sorry server is not written", "ipvsadm has no fallback server; keepalived's sorry_server adds it when every real server is down");
    }
    for o in &vs.opaque {
        e.unsupported(
            o.origin,
            format!("`{}` of the virtual service is not written", o.name),
            "lbc does not model it; add the ipvsadm option by hand if there is one",
        );
    }
    for rs in &vs.real_servers {
        real_server(e, &svc, rs, vs.forwarding, prefix);
    }
}

fn real_server(
    e: &mut Emitter,
    svc: &str,
    rs: &RealServer,
    vs_fwd: Option<Forwarding>,
    prefix: &str,
) {
    let mut l = format!("{prefix}-a {svc} -r {}", host_port(&rs.address, rs.port));
    match rs.forwarding.or(vs_fwd) {
        Some(Forwarding::Dr) => l.push_str(" -g"),
        Some(Forwarding::Nat) => l.push_str(" -m"),
        Some(Forwarding::Tun) => l.push_str(" -i"),
        None => {}
    }
    if let Some(w) = rs.weight {
        l.push_str(&format!(" -w {w}"));
    }
    if let Some(x) = rs.upper_threshold {
        l.push_str(&format!(" -x {x}"));
    }
    if let Some(y) = rs.lower_threshold {
        l.push_str(&format!(" -y {y}"));
    }
    e.line(l);
    e.carried();
    for c in &rs.checks {
        e.unsupported(
            c.origin,
            format!("health check of {} is not written", rs.address),
            "ipvsadm runs no checks; keepalived (real_server checkers) or ldirectord do",
        );
    }
    for o in &rs.opaque {
        e.unsupported(
            o.origin,
            format!("`{}` of the real server is not written", o.name),
            "lbc does not model it; add the ipvsadm option by hand if there is one",
        );
    }
}
