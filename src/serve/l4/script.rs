//! Stream variables (nginx `stream {}`): the values of `return`, `proxy_pass $var`, `set`
//! and the hash key, compiled from text into parts — the connection's addresses, what
//! `ssl_preread` read of the ClientHello, the time, and the user variables of `map`, `geo`,
//! `split_clients` and `set` — and rendered per session. A table's value is computed once per
//! session, when first read, as nginx caches it.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::preread::Hello;
use crate::ir::{Ir, Opaque, Protocol};
use crate::serve::log::{hostname, Clock};
use crate::serve::pcre::Pcre;
use crate::serve::support::Findings;
use crate::serve::tables::{self, GeoTable, MapTable, SplitTable, Why};
use crate::serve::vars::{split as split_vars, Piece};

/// What a connection (or datagram flow) arrived with.
#[derive(Debug, Clone, Copy)]
pub struct Conn {
    pub client: SocketAddr,
    /// The local address the connection (or datagram) arrived on.
    pub local: SocketAddr,
    pub udp: bool,
}

impl Conn {
    /// A TCP connection from `ip` (port 0) to nowhere in particular, for tests.
    pub fn from_ip(ip: IpAddr) -> Conn {
        Conn {
            client: SocketAddr::new(ip, 0),
            local: SocketAddr::from(([0, 0, 0, 0], 0)),
            udp: false,
        }
    }
}

/// `$connection`: the serial number of connections, counted from 1.
static SERIAL: AtomicU64 = AtomicU64::new(1);

/// One connection's variables.
#[derive(Debug)]
pub struct Session {
    pub conn: Conn,
    /// What `ssl_preread` read, when it read a ClientHello.
    pub hello: Option<Hello>,
    serial: u64,
    set: Vec<Option<Vec<u8>>>,
    cache: Vec<Option<Vec<u8>>>,
    /// What the access log reads when the session ends: nginx's `$status` (200, 400 for a
    /// full preread buffer, 500, 502 when no server could be reached), the bytes to and from
    /// the client, and each upstream tried.
    pub started: Instant,
    pub status: u16,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub tries: Vec<Try>,
}

/// One upstream server tried.
#[derive(Debug, Clone)]
pub struct Try {
    pub addr: SocketAddr,
    /// Time to connect, when it connected.
    pub connect: Option<Duration>,
    /// Time to the first byte from the server, when one came.
    pub first_byte: Option<Duration>,
    /// How long the try lasted.
    pub session: Duration,
    pub sent: u64,
    pub received: u64,
}

impl Session {
    pub fn new(conn: Conn) -> Session {
        Session {
            conn,
            hello: None,
            serial: SERIAL.fetch_add(1, Ordering::Relaxed),
            set: Vec::new(),
            cache: Vec::new(),
            started: Instant::now(),
            status: 200,
            bytes_sent: 0,
            bytes_received: 0,
            tries: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Builtin {
    RemoteAddr,
    BinaryRemoteAddr,
    RemotePort,
    ServerAddr,
    ServerPort,
    Protocol,
    Connection,
    Pid,
    SslPrereadServerName,
    SslPrereadProtocol,
    SslPrereadAlpn,
    Time(Clock),
    Status,
    BytesSent,
    BytesReceived,
    SessionTime,
    UpstreamAddr,
    UpstreamBytesSent,
    UpstreamBytesReceived,
    UpstreamConnectTime,
    UpstreamFirstByteTime,
    UpstreamSessionTime,
}

impl Builtin {
    /// Whether nginx has a value (else the log writes `-`): the preread variables need a
    /// ClientHello, the upstream ones an upstream.
    fn found(self, s: &Session) -> bool {
        match self {
            Builtin::SslPrereadServerName
            | Builtin::SslPrereadProtocol
            | Builtin::SslPrereadAlpn => s.hello.is_some(),
            Builtin::UpstreamAddr
            | Builtin::UpstreamBytesSent
            | Builtin::UpstreamBytesReceived
            | Builtin::UpstreamConnectTime
            | Builtin::UpstreamFirstByteTime
            | Builtin::UpstreamSessionTime => !s.tries.is_empty(),
            _ => true,
        }
    }
}

#[derive(Debug)]
enum Part {
    Text(String),
    Builtin(Builtin),
    Fixed(String),
    Capture(usize),
    Set(usize),
    Table(Arc<Table>),
}

/// A compiled value.
#[derive(Debug, Default)]
pub struct Value(Vec<Part>);

/// A `map`, `geo` or `split_clients` variable and its slot in a session's cache.
#[derive(Debug)]
pub struct Table {
    slot: usize,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Map(Value, MapTable<Value>),
    Geo(Option<Value>, GeoTable),
    Split(Value, SplitTable),
}

#[derive(Debug, Clone)]
enum Var {
    Set(usize),
    Table(Arc<Table>),
}

/// The user variables of the stream side of a configuration.
#[derive(Debug, Default)]
pub struct Names {
    vars: HashMap<String, Var>,
    tables: usize,
}

impl Value {
    /// Compiles `text`; inside a `map` value the named groups of the key's regex `re` read
    /// its captures. `Err` names a variable the runtime does not know.
    pub fn compile(text: &str, names: &Names, re: Option<&Pcre>) -> Result<Value, String> {
        let groups = re.map(Pcre::capture_names).unwrap_or_default();
        let mut parts = Vec::new();
        for piece in split_vars(text).map_err(|rest| format!("{{{rest}"))? {
            let name = match piece {
                Piece::Text(t) => {
                    parts.push(Part::Text(t.to_string()));
                    continue;
                }
                Piece::Var(name) => name,
            };
            let group = groups.iter().position(|g| g.as_deref() == Some(name));
            parts.push(match name {
                _ if group.is_some() => Part::Capture(group.unwrap_or_default()),
                n if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
                    Part::Capture(n.parse().map_err(|_| n.to_string())?)
                }
                "remote_addr" => Part::Builtin(Builtin::RemoteAddr),
                "binary_remote_addr" => Part::Builtin(Builtin::BinaryRemoteAddr),
                "remote_port" => Part::Builtin(Builtin::RemotePort),
                "server_addr" => Part::Builtin(Builtin::ServerAddr),
                "server_port" => Part::Builtin(Builtin::ServerPort),
                "protocol" => Part::Builtin(Builtin::Protocol),
                "connection" => Part::Builtin(Builtin::Connection),
                "pid" => Part::Builtin(Builtin::Pid),
                "hostname" => Part::Fixed(hostname()),
                "ssl_preread_server_name" => Part::Builtin(Builtin::SslPrereadServerName),
                "ssl_preread_protocol" => Part::Builtin(Builtin::SslPrereadProtocol),
                "ssl_preread_alpn_protocols" => Part::Builtin(Builtin::SslPrereadAlpn),
                "status" => Part::Builtin(Builtin::Status),
                "bytes_sent" => Part::Builtin(Builtin::BytesSent),
                "bytes_received" => Part::Builtin(Builtin::BytesReceived),
                "session_time" => Part::Builtin(Builtin::SessionTime),
                "upstream_addr" => Part::Builtin(Builtin::UpstreamAddr),
                "upstream_bytes_sent" => Part::Builtin(Builtin::UpstreamBytesSent),
                "upstream_bytes_received" => Part::Builtin(Builtin::UpstreamBytesReceived),
                "upstream_connect_time" => Part::Builtin(Builtin::UpstreamConnectTime),
                "upstream_first_byte_time" => Part::Builtin(Builtin::UpstreamFirstByteTime),
                "upstream_session_time" => Part::Builtin(Builtin::UpstreamSessionTime),
                n => match (Clock::parse(n), names.vars.get(n)) {
                    (Some(c), _) => Part::Builtin(Builtin::Time(c)),
                    (None, Some(Var::Set(i))) => Part::Set(*i),
                    (None, Some(Var::Table(t))) => Part::Table(t.clone()),
                    (None, None) => return Err(n.to_string()),
                },
            });
        }
        Ok(Value(parts))
    }

    /// The value as the access log writes it: `None` when it is one variable nginx has no
    /// value for (written `-`).
    pub fn render_log(&self, s: &mut Session) -> Option<Vec<u8>> {
        match self.0.as_slice() {
            [Part::Builtin(b)] if !b.found(s) => None,
            _ => Some(self.render(s)),
        }
    }

    /// Whether the value is text only.
    pub fn literal(&self) -> Option<String> {
        let mut out = String::new();
        for p in &self.0 {
            match p {
                Part::Text(t) => out.push_str(t),
                _ => return None,
            }
        }
        Some(out)
    }

    pub fn render(&self, s: &mut Session) -> Vec<u8> {
        let mut out = Vec::new();
        self.render_into(s, &[], &mut out);
        out
    }

    fn render_into(&self, s: &mut Session, captures: &[String], out: &mut Vec<u8>) {
        for p in &self.0 {
            match p {
                Part::Text(t) | Part::Fixed(t) => out.extend_from_slice(t.as_bytes()),
                Part::Builtin(b) => builtin(*b, s, out),
                Part::Capture(n) => {
                    out.extend_from_slice(captures.get(*n).map_or("", String::as_str).as_bytes())
                }
                Part::Set(i) => {
                    if let Some(Some(v)) = s.set.get(*i) {
                        out.extend_from_slice(v);
                    }
                }
                Part::Table(t) => t.render(s, out),
            }
        }
    }
}

fn builtin(b: Builtin, s: &Session, out: &mut Vec<u8>) {
    let c = &s.conn;
    let text = |out: &mut Vec<u8>, t: &str| out.extend_from_slice(t.as_bytes());
    match b {
        Builtin::RemoteAddr => text(out, &c.client.ip().to_string()),
        Builtin::BinaryRemoteAddr => match c.client.ip() {
            IpAddr::V4(v4) => out.extend_from_slice(&v4.octets()),
            IpAddr::V6(v6) => out.extend_from_slice(&v6.octets()),
        },
        Builtin::RemotePort => text(out, &c.client.port().to_string()),
        Builtin::ServerAddr => text(out, &c.local.ip().to_string()),
        Builtin::ServerPort => text(out, &c.local.port().to_string()),
        Builtin::Protocol => text(out, if c.udp { "UDP" } else { "TCP" }),
        Builtin::Connection => text(out, &s.serial.to_string()),
        Builtin::Pid => text(out, &std::process::id().to_string()),
        Builtin::SslPrereadServerName => {
            if let Some(h) = &s.hello {
                out.extend_from_slice(&h.server_name);
            }
        }
        Builtin::SslPrereadProtocol => text(out, s.hello.as_ref().map_or("", Hello::protocol)),
        Builtin::SslPrereadAlpn => {
            if let Some(h) = &s.hello {
                out.extend_from_slice(&h.alpn);
            }
        }
        Builtin::Time(clock) => text(out, &clock.now()),
        Builtin::Status => text(out, &s.status.to_string()),
        Builtin::BytesSent => text(out, &s.bytes_sent.to_string()),
        Builtin::BytesReceived => text(out, &s.bytes_received.to_string()),
        Builtin::SessionTime => text(out, &seconds(s.started.elapsed())),
        Builtin::UpstreamAddr => tries(out, s, |t| t.addr.to_string()),
        Builtin::UpstreamBytesSent => tries(out, s, |t| t.sent.to_string()),
        Builtin::UpstreamBytesReceived => tries(out, s, |t| t.received.to_string()),
        Builtin::UpstreamConnectTime => tries(out, s, |t| t.connect.map_or("-".into(), seconds)),
        Builtin::UpstreamFirstByteTime => {
            tries(out, s, |t| t.first_byte.map_or("-".into(), seconds))
        }
        Builtin::UpstreamSessionTime => tries(out, s, |t| seconds(t.session)),
    }
}

/// One value per upstream tried, as nginx lists them: `a, b`.
fn tries(out: &mut Vec<u8>, s: &Session, each: impl Fn(&Try) -> String) {
    let all: Vec<String> = s.tries.iter().map(each).collect();
    out.extend_from_slice(all.join(", ").as_bytes());
}

/// nginx's `%T.%03M`: seconds with milliseconds.
fn seconds(d: Duration) -> String {
    format!("{}.{:03}", d.as_secs(), d.subsec_millis())
}

impl Table {
    fn render(&self, s: &mut Session, out: &mut Vec<u8>) {
        if let Some(Some(v)) = s.cache.get(self.slot) {
            out.extend_from_slice(v);
            return;
        }
        let mut value = Vec::new();
        match &self.kind {
            Kind::Map(source, table) => {
                let key = source.render(s);
                let (v, captures) = table.find(&String::from_utf8_lossy(&key));
                v.render_into(s, captures.as_deref().unwrap_or_default(), &mut value);
            }
            Kind::Geo(source, table) => {
                let found = match source {
                    None => table.find(s.conn.client.ip()),
                    Some(v) => table.find_text(&String::from_utf8_lossy(&v.render(s))),
                };
                value.extend_from_slice(found.as_bytes());
            }
            Kind::Split(source, table) => {
                value.extend_from_slice(table.find(&source.render(s)).as_bytes());
            }
        }
        out.extend_from_slice(&value);
        if s.cache.len() <= self.slot {
            s.cache.resize(self.slot + 1, None);
        }
        s.cache[self.slot] = Some(value);
    }
}

/// A server's `set` directives, run in order when a session starts (before `ssl_preread`,
/// as nginx runs them in its preaccess phase).
#[derive(Debug, Default)]
pub struct Sets(Vec<(usize, Value)>);

impl Sets {
    pub fn run(&self, s: &mut Session) {
        for (slot, v) in &self.0 {
            let value = v.render(s);
            if s.set.len() <= *slot {
                s.set.resize(*slot + 1, None);
            }
            s.set[*slot] = Some(value);
        }
    }

    /// Compiles the `set`s among a server's directives.
    pub fn compile(opaque: &[Opaque], names: &Names, f: &mut Findings) -> Sets {
        let mut out = Vec::new();
        for o in opaque.iter().filter(|o| o.name == "set") {
            let [name, value] = o.args.as_slice() else {
                f.refuse(o.origin, "this `set`");
                continue;
            };
            let slot = match name.strip_prefix('$').and_then(|n| names.vars.get(n)) {
                Some(Var::Set(i)) => *i,
                _ => {
                    f.refuse(o.origin, format!("`set {name}`"));
                    continue;
                }
            };
            match Value::compile(value, names, None) {
                Ok(v) => out.push((slot, v)),
                Err(var) => f.refuse(o.origin, format!("the variable `${var}` in `set`")),
            }
        }
        Sets(out)
    }
}

/// The stream user variables of `ir`: every `set` name of its stream servers, then the
/// `map`, `geo` and `split_clients` blocks of its `stream {}` levels.
pub fn names(ir: &Ir, f: &mut Findings) -> Names {
    let mut names = Names::default();
    let stream_services = ir.services.iter().filter(|s| s.protocol != Protocol::Http);
    for o in stream_services.flat_map(|s| &s.settings.opaque) {
        if o.name != "set" {
            continue;
        }
        if let Some(n) = o.args.first().and_then(|a| a.strip_prefix('$')) {
            let next = names.vars.len();
            names.vars.entry(n.to_string()).or_insert(Var::Set(next));
        }
    }
    let blocks: Vec<&Opaque> = ir
        .defaults
        .iter()
        .filter(|d| d.protocol != Protocol::Http)
        .flat_map(|d| &d.settings.opaque)
        .filter(|o| tables::is_table(o))
        .collect();
    tables::in_order(
        blocks,
        |o| {
            let (source, name) = tables::header(o)?;
            let value = |text: &str, re: Option<&Pcre>| {
                Value::compile(text, &names, re).map_err(Why::Unknown)
            };
            let source = source.map(|t| value(t, None)).transpose()?;
            let kind = match o.name.as_str() {
                "map" => Kind::Map(
                    source.unwrap_or_default(),
                    tables::map_table(&o.children, value)?,
                ),
                "split_clients" => Kind::Split(
                    source.unwrap_or_default(),
                    tables::split_table(&o.children)?,
                ),
                _ => Kind::Geo(source, tables::geo_table(&o.children)?),
            };
            if let Some(Var::Set(_)) = names.vars.get(name) {
                return Err(Why::Refused(
                    o.origin,
                    format!("`set` of the `{}` variable `${name}`", o.name),
                ));
            }
            let table = Arc::new(Table {
                slot: names.tables,
                kind,
            });
            names.tables += 1;
            names.vars.insert(name.to_string(), Var::Table(table));
            Ok(())
        },
        f,
    );
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Conn {
        Conn {
            client: "10.0.0.7:5353".parse().unwrap(),
            local: "127.0.0.1:8082".parse().unwrap(),
            udp: true,
        }
    }

    fn render(v: &Value) -> String {
        String::from_utf8(v.render(&mut Session::new(conn()))).unwrap()
    }

    #[test]
    fn renders_stream_variables() {
        let names = Names::default();
        let v = Value::compile(
            "$remote_addr:${remote_port}-$protocol/$server_port",
            &names,
            None,
        )
        .unwrap();
        assert_eq!(render(&v), "10.0.0.7:5353-UDP/8082");
        let v = Value::compile("$binary_remote_addr", &names, None).unwrap();
        assert_eq!(v.render(&mut Session::new(conn())), [10, 0, 0, 7]);
        assert_eq!(
            Value::compile("$nginx_version", &names, None)
                .err()
                .as_deref(),
            Some("nginx_version")
        );
    }

    #[test]
    fn maps_read_captures_and_are_computed_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nginx.conf");
        std::fs::write(
            &path,
            "events {}\nstream {\n    map $server_port $x { 8080 literal; ~(?P<tail>80)(8.) $1+$tail; default d; }\n    split_clients $remote_addr $half { 50% a; * b; }\n    map $x $y { literal one; default $x$connection; }\n    server { listen 127.0.0.1:8082; set $s ${y}!; return $s; }\n}\n",
        )
        .unwrap();
        let loaded = crate::load::load(&[path], &crate::load::LoadOptions::default()).unwrap();
        let mut f = Findings::default();
        let names = names(&loaded.ir, &mut f);
        assert!(!f.has_errors(), "{:?}", f.diags);
        let v = Value::compile("$y", &names, None).unwrap();
        let mut s = Session::new(conn());
        let first = v.render(&mut s);
        assert!(first.starts_with(b"80+80"), "{first:?}");
        // The connection counter moved on; the session keeps the value it computed.
        let _ = Session::new(conn());
        assert_eq!(v.render(&mut s), first);
        let sets = Sets::compile(&loaded.ir.services[0].settings.opaque, &names, &mut f);
        sets.run(&mut s);
        let out = Value::compile("[$s]", &names, None).unwrap().render(&mut s);
        assert_eq!(out, [b"[".as_slice(), &first, b"!]"].concat());
        let half = Value::compile("$half", &names, None).unwrap();
        assert!(matches!(render(&half).as_str(), "a" | "b"));
    }
}
