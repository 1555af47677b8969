//! The IPVS table a sequence of ipvsadm calls builds: each call is applied as the kernel would
//! (`-A` adds, `-E` redefines, `-D` deletes, `-C` clears; the lower-case commands do the same
//! for real servers), with ipvsadm's defaults filled in. The result becomes
//! `Ir.virtual_services`.

use super::cst::TextRange;
use super::ipvsadm::{Cmd, Fwd, Invocation, Proto, Service};
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::{
    Algorithm, Duration, Forwarding, Opaque, Origin, Protocol, RealServer, VirtualService,
};
use crate::source::{FileId, Span};

/// The IPVS schedulers of Linux (and DPVS's `conhash`).
pub const SCHEDULERS: &[&str] = &[
    "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos",
];

/// The same real server added twice to one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    pub service: String,
    pub server: String,
    pub range: TextRange,
    pub first: TextRange,
}

struct Svc {
    key: String,
    vs: VirtualService,
    /// Each server's key (`host:port`) and the call that added it.
    servers: Vec<(String, TextRange)>,
}

/// The virtual server table being built.
pub struct Table {
    file: FileId,
    services: Vec<Svc>,
    pub duplicates: Vec<Duplicate>,
}

fn proto_name(p: Proto) -> &'static str {
    match p {
        Proto::Tcp => "TCP",
        Proto::Udp => "UDP",
        Proto::Sctp => "SCTP",
        Proto::Icmp => "ICMP",
    }
}

fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// How a service is written in messages and keyed in the table: `TCP 10.0.0.1:80`, `FWM 1`.
pub fn service_key(s: &Service) -> String {
    match s {
        Service::Addr { proto, endpoint } => format!(
            "{} {}",
            proto_name(*proto),
            host_port(&endpoint.host, endpoint.port.unwrap_or(0))
        ),
        Service::Fwmark(m) => format!("FWM {m}"),
        Service::Match(m) => format!("MATCH {m}"),
    }
}

impl Table {
    pub fn new(file: FileId) -> Self {
        Table {
            file,
            services: Vec::new(),
            duplicates: Vec::new(),
        }
    }

    fn origin(&self, r: TextRange) -> Origin {
        Origin {
            file: self.file.0,
            start: r.start,
            end: r.end,
        }
    }

    fn span(&self, r: TextRange) -> Span {
        Span::new(self.file, r.start, r.end)
    }

    /// The virtual services, in the order they were added.
    pub fn into_services(self) -> Vec<VirtualService> {
        self.services.into_iter().map(|s| s.vs).collect()
    }

    fn find(&self, key: &str) -> Option<usize> {
        self.services.iter().position(|s| s.key == key)
    }

    /// Applies one call. `listing` calls describe the table as listed: no defaults are filled in
    /// and nothing is rewritten. Calls ipvsadm (or the kernel) would reject come back as
    /// diagnostics.
    pub fn apply(&mut self, inv: &Invocation, call: TextRange, listing: bool) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let file = self.file;
        let warn = move |msg: String, at: TextRange, help: &str| {
            Diagnostic::new(
                "lvs/syntax",
                Severity::Warning,
                msg,
                Span::new(file, at.start, at.end),
            )
            .label("ipvsadm would fail here")
            .help(help.to_string())
        };
        let cmd = inv.command.value;
        if cmd == Cmd::Clear {
            self.services.clear();
            return out;
        }
        let Some(service) = &inv.service else {
            return out;
        };
        let key = service_key(&service.value);
        let idx = self.find(&key);
        match (cmd, idx) {
            (Cmd::AddService, Some(i)) => out.push(
                warn(format!("virtual service {key} already exists: ipvsadm fails with `Service already exists`"), service.range, "use -E to change an existing service, or delete it first with -D")
                    .with_secondary(self.span(range_of(&self.services[i].vs.origin)), "added here"),
            ),
            (Cmd::AddService, None) => {
                let vs = self.service(inv, &service.value, call);
                self.services.push(Svc { key, vs, servers: Vec::new() });
            }
            (Cmd::EditService, Some(i)) => {
                let new = self.service(inv, &service.value, call);
                let vs = &mut self.services[i].vs;
                vs.scheduler = new.scheduler;
                vs.persistence = new.persistence;
                vs.persistence_netmask = new.persistence_netmask;
                vs.opaque = new.opaque;
            }
            (Cmd::DeleteService, Some(i)) => {
                self.services.remove(i);
            }
            (Cmd::AddServer | Cmd::EditServer | Cmd::DeleteServer, Some(i)) => {
                out.extend(self.server(i, inv, call, listing, &warn));
            }
            (Cmd::EditService | Cmd::DeleteService | Cmd::AddServer | Cmd::EditServer | Cmd::DeleteServer, None) => out.push(warn(
                format!("no virtual service {key}: ipvsadm fails with `No such service`"),
                service.range,
                "add the service with -A before this call",
            )),
            _ => {}
        }
        out
    }

    fn service(&self, inv: &Invocation, s: &Service, call: TextRange) -> VirtualService {
        let mut vs = VirtualService {
            origin: self.origin(call),
            ..VirtualService::default()
        };
        match s {
            Service::Addr { proto, endpoint } => {
                vs.protocol = if *proto == Proto::Udp {
                    Protocol::Udp
                } else {
                    Protocol::Tcp
                };
                if matches!(proto, Proto::Sctp | Proto::Icmp) {
                    vs.opaque.push(self.opaque(
                        "protocol",
                        Some(proto_name(*proto).to_lowercase()),
                        call,
                    ));
                }
                vs.address = Some(endpoint.host.clone());
                vs.port = Some(endpoint.port.unwrap_or(0));
            }
            Service::Fwmark(m) => {
                vs.protocol = Protocol::Tcp;
                vs.fwmark = Some(*m);
            }
            Service::Match(m) => {
                vs.protocol = if m.contains("proto=udp") {
                    Protocol::Udp
                } else {
                    Protocol::Tcp
                };
                vs.opaque.push(self.opaque("match", Some(m.clone()), call));
            }
        }
        vs.scheduler =
            Algorithm::from_ipvs(inv.scheduler.as_ref().map_or("wlc", |s| s.value.as_str()));
        if let Some(p) = &inv.persistent {
            vs.persistence = Some(Duration(u64::from(p.value.unwrap_or(300)) * 1000));
        }
        vs.persistence_netmask = inv.netmask.as_ref().map(|m| m.value.clone());
        for o in &inv.other {
            vs.opaque
                .push(self.opaque(&o.value.0, o.value.1.clone(), o.range));
        }
        vs
    }

    fn opaque(&self, name: &str, arg: Option<String>, r: TextRange) -> Opaque {
        Opaque {
            name: name.to_string(),
            args: arg.into_iter().collect(),
            origin: self.origin(r),
            ..Opaque::default()
        }
    }

    fn server(
        &mut self,
        i: usize,
        inv: &Invocation,
        call: TextRange,
        listing: bool,
        warn: &dyn Fn(String, TextRange, &str) -> Diagnostic,
    ) -> Vec<Diagnostic> {
        let Some(rs) = &inv.real_server else {
            return Vec::new();
        };
        let cmd = inv.command.value;
        let svc_port = self.services[i].vs.port;
        let fwmark = self.services[i].vs.fwmark.is_some();
        let fwd = inv
            .forwarding
            .as_ref()
            .map(|f| f.value)
            .or((!listing).then_some(Fwd::Dr));
        // ipvsadm copies the service port when none is written, and forces it under DR and TUN.
        let port = if listing {
            rs.value.port
        } else if !fwmark
            && (rs.value.port.is_none()
                || (cmd != Cmd::DeleteServer && matches!(fwd, Some(Fwd::Dr | Fwd::Tun))))
        {
            svc_port
        } else {
            rs.value.port
        };
        let key = host_port(&rs.value.host, port.unwrap_or(0));
        let svc_key = self.services[i].key.clone();
        let pos = self.services[i].servers.iter().position(|(k, _)| *k == key);
        let mut server = RealServer {
            address: rs.value.host.clone(),
            port,
            weight: inv
                .weight
                .as_ref()
                .map(|w| w.value)
                .or((!listing).then_some(1)),
            upper_threshold: inv.u_threshold.as_ref().map(|w| w.value),
            lower_threshold: inv.l_threshold.as_ref().map(|w| w.value),
            origin: self.origin(call),
            ..RealServer::default()
        };
        match fwd {
            Some(Fwd::Dr) => server.forwarding = Some(Forwarding::Dr),
            Some(Fwd::Nat) => server.forwarding = Some(Forwarding::Nat),
            Some(Fwd::Tun) => server.forwarding = Some(Forwarding::Tun),
            Some(other) => {
                let name = format!("{other:?}").to_lowercase();
                server
                    .opaque
                    .push(self.opaque("forwarding", Some(name), call));
            }
            None => {}
        }
        for o in &inv.other {
            server
                .opaque
                .push(self.opaque(&o.value.0, o.value.1.clone(), o.range));
        }
        let svc = &mut self.services[i];
        match (cmd, pos) {
            (Cmd::AddServer, Some(j)) => self.duplicates.push(Duplicate {
                service: svc_key,
                server: key,
                range: rs.range,
                first: svc.servers[j].1,
            }),
            (Cmd::AddServer, None) => {
                svc.servers.push((key, rs.range));
                svc.vs.real_servers.push(server);
            }
            (Cmd::EditServer, Some(j)) => {
                let old = &mut svc.vs.real_servers[j];
                server.origin = old.origin;
                *old = server;
            }
            (Cmd::DeleteServer, Some(j)) => {
                svc.servers.remove(j);
                svc.vs.real_servers.remove(j);
            }
            (_, None) => {
                return vec![warn(
                    format!(
                    "no real server {key} in {svc_key}: ipvsadm fails with `No such destination`"
                ),
                    rs.range,
                    "add the real server with -a before this call",
                )]
            }
            _ => {}
        }
        Vec::new()
    }
}

fn range_of(o: &Origin) -> TextRange {
    TextRange {
        start: o.start,
        end: o.end,
    }
}
