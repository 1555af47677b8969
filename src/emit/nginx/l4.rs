//! IPVS virtual services (keepalived, ipvsadm) as `stream` upstreams and servers, approximated:
//! IPVS forwards packets (DR, NAT, TUN) while nginx terminates the connection and opens another.
//! VRRP and host settings have no nginx counterpart and are reported.

use super::pool::{address, stream_listen};
use super::{dir, key, Cx, Key, Part};
use crate::ir::{Algorithm, VirtualService};

impl<'a> Cx<'a> {
    /// One `upstream` and one `server` per virtual service with an address and a port.
    pub(super) fn virtual_service_parts(&mut self, parts: &mut Vec<(Key, Part<'a>)>) {
        let ir = self.ir;
        for vs in &ir.virtual_services {
            let (Some(addr), Some(port)) = (&vs.address, vs.port) else {
                self.e.unsupported(
                    vs.origin,
                    "a virtual service by firewall mark or group",
                    "nginx listens on an address and a port; write one server per address",
                );
                continue;
            };
            if vs.real_servers.is_empty() && vs.sorry_server.is_none() {
                self.e.unsupported(
                    vs.origin,
                    "a virtual service without real servers",
                    "nginx refuses an upstream without servers",
                );
                continue;
            }
            let name = format!(
                "vs_{}_{port}",
                addr.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
            );
            self.e.approximated(
                vs.origin,
                "an IPVS virtual service becomes an nginx stream proxy",
                "nginx terminates each connection and opens one to the real server, which then sees nginx's address instead of the client's (use `proxy_protocol` or transparent proxying)",
            );
            let upstream = self.vs_upstream(vs, port);
            parts.push((
                key(vs.origin),
                Part::Block(format!("upstream {name}"), upstream),
            ));
            let server = vec![
                (
                    (0, 0, 0),
                    Part::Line(stream_listen(Some(addr), Some(port), vs.protocol)),
                ),
                ((0, 0, 1), Part::Line(dir("proxy_pass", &[&name]))),
            ];
            let k = (vs.origin.file, vs.origin.start, 1);
            parts.push((k, Part::Block("server".into(), server)));
        }
    }

    fn vs_upstream(&mut self, vs: &VirtualService, port: u16) -> Vec<(Key, Part<'a>)> {
        let mut up = Vec::new();
        let alg = if vs.persistence.is_some() {
            self.e.approximated(
                vs.origin,
                "persistence becomes `hash $remote_addr consistent`",
                "a client keeps its server by hash, without IPVS's persistence timeout",
            );
            Some(dir("hash", &["$remote_addr", "consistent"]))
        } else {
            match &vs.scheduler {
                Algorithm::LeastConn => Some(dir::<&str>("least_conn", &[])),
                Algorithm::SourceHash => Some(dir("hash", &["$remote_addr", "consistent"])),
                Algorithm::RoundRobin | Algorithm::UnweightedRoundRobin => None,
                Algorithm::Scheduler { name } if name == "lc" => {
                    self.e.approximated(
                        vs.origin,
                        "the IPVS scheduler `lc` becomes `least_conn`",
                        "nginx's least_conn also honours weights, as IPVS `wlc` does",
                    );
                    Some(dir::<&str>("least_conn", &[]))
                }
                other => {
                    self.e.unsupported(
                        vs.origin,
                        format!("the IPVS scheduler `{}`", other.name()),
                        "nginx balances with round-robin, least_conn or hash; the upstream uses round-robin",
                    );
                    None
                }
            }
        };
        if let Some(a) = alg {
            up.push(((0, 0, 0), Part::Line(a)));
        }
        for rs in &vs.real_servers {
            let mut args = vec![address(&rs.address, rs.port.or(Some(port)))];
            match rs.weight {
                Some(0) => args.push("down".into()),
                Some(w) => args.push(format!("weight={w}")),
                None => {}
            }
            args.extend(rs.upper_threshold.map(|t| format!("max_conns={t}")));
            if !rs.checks.is_empty() {
                self.e.unsupported(
                    rs.origin,
                    "the real server's health checks",
                    "open-source nginx has passive checks only (`max_fails`, `fail_timeout`)",
                );
            }
            up.push((key(rs.origin), Part::Line(dir("server", &args))));
        }
        if let Some(rs) = &vs.sorry_server {
            let args = [
                address(&rs.address, rs.port.or(Some(port))),
                "backup".into(),
            ];
            up.push((key(rs.origin), Part::Line(dir("server", &args))));
        }
        up
    }

    /// Reports what nginx cannot take over: VRRP, host addresses, routes and sysctls.
    pub(super) fn l4_leftovers(&mut self) {
        let ir = self.ir;
        let help = "keep keepalived (or the host's network configuration) for this";
        for v in &ir.vrrp_instances {
            self.e
                .unsupported(v.origin, format!("the VRRP instance `{}`", v.name), help);
        }
        for v in &ir.vrrp_scripts {
            self.e
                .unsupported(v.origin, format!("the VRRP script `{}`", v.name), help);
        }
        for v in &ir.vrrp_sync_groups {
            self.e
                .unsupported(v.origin, format!("the VRRP sync group `{}`", v.name), help);
        }
        for g in &ir.virtual_service_groups {
            self.e.unsupported(
                g.origin,
                format!("the virtual server group `{}`", g.name),
                help,
            );
        }
        for a in &ir.interface_addresses {
            self.e
                .unsupported(a.origin, format!("the address `{}`", a.address), help);
        }
        for r in &ir.static_routes {
            self.e
                .unsupported(r.origin, format!("the route to `{}`", r.destination), help);
        }
        for s in &ir.sysctls {
            self.e
                .unsupported(s.origin, format!("the kernel setting `{}`", s.key), help);
        }
    }
}
