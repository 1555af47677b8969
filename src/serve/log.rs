//! The access log: `log_format` compiled into literal text and the variables the runtime knows
//! (others are refused), nginx's predefined `combined`, and one writer thread per file fed by a
//! channel so request handling never waits on the disk.

use std::collections::HashMap;
use std::io::Write;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::upvars::{Trail, Var};
use crate::serve::vars::{split as split_vars, Piece};

/// nginx's predefined `combined` format.
pub const COMBINED: &str = "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\"";

/// A compiled `log_format`.
#[derive(Debug, Clone)]
pub struct Format(Vec<Part>);

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    RequestId,
    SslProtocol,
    SslCipher,
    SslServerName,
    RemoteAddr,
    RemoteUser,
    TimeLocal,
    TimeIso8601,
    Msec,
    Request,
    RequestMethod,
    RequestUri,
    Uri,
    Args,
    IsArgs,
    ServerProtocol,
    Status,
    BodyBytesSent,
    BytesSent,
    RequestTime,
    Host,
    ServerName,
    ServerPort,
    Scheme,
    Https,
    Http(String),
    Upstream(Var),
}

/// What one finished request offers the log.
pub struct Entry {
    pub remote_addr: String,
    pub method: String,
    pub request_uri: String,
    pub uri: String,
    pub protocol: &'static str,
    pub status: u16,
    pub body_bytes: u64,
    pub header_bytes: u64,
    pub started: SystemTime,
    pub host: String,
    pub server_name: String,
    pub server_port: u16,
    /// `$scheme`.
    pub scheme: &'static str,
    /// The servers the proxy tried, if it ran.
    pub upstream: Option<Trail>,
    /// The request headers the format names (lowercased name, value).
    pub headers: Vec<(String, String)>,
    pub request_id: String,
    /// The TLS session the request came over.
    pub tls: Option<std::sync::Arc<super::tls::Facts>>,
}

impl Format {
    /// Compiles a format; `Err` names an unknown variable.
    pub fn compile(text: &str) -> Result<Format, String> {
        let mut parts = Vec::new();
        for piece in split_vars(text).map_err(str::to_string)? {
            let name = match piece {
                Piece::Text(t) => {
                    parts.push(Part::Text(t.to_string()));
                    continue;
                }
                Piece::Var(name) => name,
            };
            parts.push(match name {
                "remote_addr" => Part::RemoteAddr,
                "remote_user" => Part::RemoteUser,
                "time_local" => Part::TimeLocal,
                "time_iso8601" => Part::TimeIso8601,
                "msec" => Part::Msec,
                "request" => Part::Request,
                "request_method" => Part::RequestMethod,
                "request_uri" => Part::RequestUri,
                "uri" | "document_uri" => Part::Uri,
                "args" | "query_string" => Part::Args,
                "is_args" => Part::IsArgs,
                "server_protocol" => Part::ServerProtocol,
                "status" => Part::Status,
                "body_bytes_sent" => Part::BodyBytesSent,
                "bytes_sent" => Part::BytesSent,
                "request_time" => Part::RequestTime,
                "host" => Part::Host,
                "server_name" => Part::ServerName,
                "server_port" => Part::ServerPort,
                "scheme" => Part::Scheme,
                "https" => Part::Https,
                "request_id" => {
                    super::headers::REQUEST_ID_READ
                        .store(true, std::sync::atomic::Ordering::Relaxed);
                    Part::RequestId
                }
                "ssl_protocol" => Part::SslProtocol,
                "ssl_cipher" => Part::SslCipher,
                "ssl_server_name" => Part::SslServerName,
                n if Var::parse(n).is_some() => Part::Upstream(Var::parse(n).ok_or(n)?),
                n if n.starts_with("http_") && n.len() > 5 => {
                    Part::Http(n["http_".len()..].replace('_', "-"))
                }
                n => return Err(n.to_string()),
            });
        }
        Ok(Format(parts))
    }

    /// The request headers this format reads.
    pub fn headers(&self) -> Vec<String> {
        self.0
            .iter()
            .filter_map(|p| match p {
                Part::Http(h) => Some(h.clone()),
                _ => None,
            })
            .collect()
    }

    /// One line (without the newline); empty values are `-`, and `"`, `\` and control or
    /// non-ASCII bytes are written `\xHH`, nginx's default escaping.
    pub fn render(&self, e: &Entry) -> String {
        let mut out = String::new();
        for p in &self.0 {
            let value: String = match p {
                Part::Text(t) => {
                    out.push_str(t);
                    continue;
                }
                Part::RemoteAddr => e.remote_addr.clone(),
                Part::RemoteUser => String::new(),
                Part::TimeLocal => time_local(e.started),
                Part::TimeIso8601 => time_iso8601(e.started),
                Part::Msec => msec(),
                Part::Request => format!("{} {} {}", e.method, e.request_uri, e.protocol),
                Part::RequestMethod => e.method.clone(),
                Part::RequestUri => e.request_uri.clone(),
                Part::Uri => e.uri.clone(),
                Part::Args => e
                    .request_uri
                    .split_once('?')
                    .map(|x| x.1.to_string())
                    .unwrap_or_default(),
                Part::IsArgs => {
                    if e.request_uri
                        .split_once('?')
                        .is_some_and(|x| !x.1.is_empty())
                    {
                        out.push('?');
                    }
                    continue;
                }
                Part::ServerProtocol => e.protocol.to_string(),
                Part::Status => format!("{:03}", e.status),
                Part::BodyBytesSent => e.body_bytes.to_string(),
                Part::BytesSent => (e.body_bytes + e.header_bytes).to_string(),
                Part::RequestTime => {
                    let d = e.started.elapsed().unwrap_or_default();
                    format!("{}.{:03}", d.as_secs(), d.subsec_millis())
                }
                Part::Host => e.host.clone(),
                Part::ServerName => e.server_name.clone(),
                Part::ServerPort => e.server_port.to_string(),
                Part::Scheme => e.scheme.to_string(),
                Part::Https if e.scheme == "https" => "on".to_string(),
                Part::Https => String::new(),
                Part::RequestId => e.request_id.clone(),
                Part::SslProtocol => e.tls.as_ref().map_or("", |t| t.protocol).to_string(),
                Part::SslCipher => e.tls.as_ref().map_or("", |t| t.cipher).to_string(),
                Part::SslServerName => e
                    .tls
                    .as_ref()
                    .map_or(String::new(), |t| t.server_name.clone()),
                Part::Http(h) => e
                    .headers
                    .iter()
                    .find(|(n, _)| n == h)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default(),
                Part::Upstream(v) => e
                    .upstream
                    .as_ref()
                    .map(|t| t.render(*v))
                    .unwrap_or_default(),
            };
            if value.is_empty() {
                out.push('-');
            } else {
                escape(&value, &mut out);
            }
        }
        out
    }
}

fn escape(value: &str, out: &mut String) {
    for b in value.bytes() {
        if b == b'"' || b == b'\\' || !(0x20..0x7f).contains(&b) {
            out.push_str(&format!("\\x{b:02X}"));
        } else {
            out.push(b as char);
        }
    }
}

/// The time variables outside the log (`add_header`, `return`, …), read when rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    Msec,
    TimeIso8601,
    TimeLocal,
}

impl Clock {
    pub fn parse(name: &str) -> Option<Clock> {
        Some(match name {
            "msec" => Clock::Msec,
            "time_iso8601" => Clock::TimeIso8601,
            "time_local" => Clock::TimeLocal,
            _ => return None,
        })
    }

    pub fn now(self) -> String {
        match self {
            Clock::Msec => msec(),
            Clock::TimeIso8601 => time_iso8601(SystemTime::now()),
            Clock::TimeLocal => time_local(SystemTime::now()),
        }
    }
}

/// `$msec`: seconds since the epoch, with milliseconds.
fn msec() -> String {
    let d = now_since_epoch();
    format!("{}.{:03}", d.as_secs(), d.subsec_millis())
}

/// `$hostname`: the machine's name.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

fn now_since_epoch() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// `21/Nov/2026:06:58:51 +0000` (times are written in UTC).
fn time_local(t: SystemTime) -> String {
    let http = httpdate::fmt_http_date(t);
    let p: Vec<&str> = http.split(' ').collect();
    match p.as_slice() {
        [_, d, m, y, hms, _] => format!("{d}/{m}/{y}:{hms} +0000"),
        _ => http,
    }
}

/// `2026-11-21T06:58:51+00:00`.
fn time_iso8601(t: SystemTime) -> String {
    let http = httpdate::fmt_http_date(t);
    let p: Vec<&str> = http.split(' ').collect();
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    match p.as_slice() {
        [_, d, m, y, hms, _] => {
            let month = MONTHS.iter().position(|x| x == m).unwrap_or(0) + 1;
            format!("{y}-{month:02}-{d}T{hms}+00:00")
        }
        _ => http,
    }
}

/// One log file, written by its own thread.
pub struct Writer {
    tx: Sender<String>,
}

impl Writer {
    /// Opens (appends to) `path` and starts its thread.
    pub fn open(path: &str) -> std::io::Result<Writer> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("lbc-access-log".into())
            .spawn(move || write_loop(file, rx))?;
        Ok(Writer { tx })
    }

    pub fn write(&self, line: String) {
        let _ = self.tx.send(line);
    }
}

/// Writes lines as they come, flushing whenever the queue is empty.
fn write_loop(file: std::fs::File, rx: Receiver<String>) {
    let mut out = std::io::BufWriter::new(file);
    while let Ok(line) = rx.recv() {
        let _ = writeln!(out, "{line}");
        while let Ok(more) = rx.try_recv() {
            let _ = writeln!(out, "{more}");
        }
        let _ = out.flush();
    }
}

/// An `access_log PATH [FORMAT]` in effect.
pub struct AccessLog {
    pub writer: Arc<Writer>,
    pub format: Arc<Format>,
}

/// The formats and open files of a plan.
#[derive(Default)]
pub struct Logs {
    pub formats: HashMap<String, Arc<Format>>,
    pub writers: HashMap<String, Arc<Writer>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_line() {
        let f = Format::compile(COMBINED).unwrap();
        let e = Entry {
            remote_addr: "127.0.0.1".into(),
            method: "GET".into(),
            request_uri: "/a?b".into(),
            uri: "/a".into(),
            protocol: "HTTP/1.1",
            status: 200,
            body_bytes: 5,
            header_bytes: 100,
            started: UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            host: "h".into(),
            server_name: "s".into(),
            server_port: 80,
            scheme: "http",
            upstream: None,
            headers: vec![("user-agent".into(), "t \"x\"".into())],
            request_id: String::new(),
            tls: None,
        };
        assert_eq!(
            f.render(&e),
            "127.0.0.1 - - [14/Nov/2023:22:13:20 +0000] \"GET /a?b HTTP/1.1\" 200 5 \"-\" \"t \\x22x\\x22\""
        );
        assert_eq!(
            Format::compile("$upstream_cache_status").unwrap_err(),
            "upstream_cache_status"
        );
        // Not proxied: "-".
        let up = Format::compile("$upstream_addr $upstream_status").unwrap();
        assert_eq!(up.render(&e), "- -");
    }
}
