//! `lbc serve` against real HAProxy on cookie persistence (`cookie NAME insert|rewrite|prefix
//! …` and the servers' `cookie VALUE`): for each mode, the same requests go to both; the server
//! that answers, the `Cookie` header it received, and the `Set-Cookie` and `Cache-Control`
//! headers the client gets must be the same.

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpStream};

use common::serve::{
    read_head, spawn_backend, start_haproxy, start_pair, HAPROXY_HTTP_DEFAULTS, IO_TIMEOUT,
};

/// A backend answering `NAME cookie=<the Cookie header it got, or ->`; the query asks for
/// response headers: `set=V` a `Set-Cookie: V` (repeatable), `lm` a `Last-Modified`, `cc=V` a
/// `Cache-Control: V`.
fn answer(name: &str, mut conn: TcpStream) {
    let (head, _) = read_head(&mut conn);
    let target = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    let cookies: Vec<&str> = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"))
        .map(|(_, v)| v.trim())
        .collect();
    let mut extra = String::new();
    if let Some((_, query)) = target.split_once('?') {
        for part in query.split('&') {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let v = v
                .replace("%3D", "=")
                .replace("%3B", ";")
                .replace("%20", " ");
            match k {
                "set" => extra.push_str(&format!("Set-Cookie: {v}\r\n")),
                "lm" => extra.push_str("Last-Modified: Mon, 02 Jan 2023 00:00:00 GMT\r\n"),
                "cc" => extra.push_str(&format!("Cache-Control: {v}\r\n")),
                _ => {}
            }
        }
    }
    let body = format!(
        "{name} cookie={}",
        if cookies.is_empty() {
            "-".to_string()
        } else {
            cookies.join(" | ")
        }
    );
    let reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = conn.write_all(reply.as_bytes());
    let _ = conn.shutdown(Shutdown::Write);
}

fn s1(conn: TcpStream) {
    answer("s1", conn)
}
fn s2(conn: TcpStream) {
    answer("s2", conn)
}
fn s3(conn: TcpStream) {
    answer("s3", conn)
}

/// One request: `METHOD PATH` with extra header lines; the answer as `body | set-cookie: … |
/// cache-control: …` (header names lower-cased, in order).
fn ask(port: u16, method: &str, path: &str, headers: &[&str]) -> String {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut conn = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
    conn.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n");
    for h in headers {
        req.push_str(h);
        req.push_str("\r\n");
    }
    if method == "POST" {
        req.push_str("Content-Length: 0\r\n");
    }
    req.push_str("\r\n");
    conn.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = conn.read_to_end(&mut raw);
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let mut fields = Vec::new();
    for line in head.lines().skip(1) {
        let Some((n, v)) = line.split_once(':') else {
            continue;
        };
        let n = n.trim().to_ascii_lowercase();
        if n == "set-cookie" || n == "cache-control" {
            fields.push(format!("{n}: {}", v.trim()));
        }
    }
    // The order of fields of different names is not significant (RFC 9110, 5.3), and hyper
    // keeps the lines of one name together: sorted by name, in order within a name.
    fields.sort_by_key(|f| f.split(':').next().unwrap_or("").to_string());
    let mut out = vec![
        head.lines().next().unwrap_or("").to_string(),
        body.to_string(),
    ];
    out.extend(fields);
    out.join(" | ")
}

/// The requests every configuration gets: (method, path, request headers).
const REQUESTS: &[(&str, &str, &[&str])] = &[
    ("GET", "/", &[]),
    ("GET", "/", &[]),
    ("GET", "/", &[]),
    ("GET", "/", &["Cookie: SRV=c2"]),
    ("GET", "/", &["Cookie: a=1; SRV=c2; b=2"]),
    ("GET", "/", &["Cookie: a=1, SRV=c1, b=2"]),
    ("GET", "/", &["Cookie: SRV=zz; SRV=c2"]),
    ("GET", "/", &["Cookie: SRV=c1; a=1; SRV=c2"]),
    ("GET", "/", &["Cookie: SRV=c2", "Cookie: SRV=c1"]),
    ("GET", "/", &["Cookie: $Version=1; SRV=c2; $Path=/; a=1"]),
    ("GET", "/", &["Cookie: srv=c2"]),
    ("GET", "/", &["Cookie: SRV=C2"]),
    ("GET", "/", &["Cookie: SRV="]),
    ("GET", "/", &["Cookie: SRV=zz"]),
    ("GET", "/?lm", &["Cookie: SRV=zz"]),
    ("GET", "/?cc=max-age%3D60", &[]),
    ("GET", "/?cc=public", &[]),
    ("GET", "/?lm&cc=private", &[]),
    ("POST", "/?lm", &[]),
    ("GET", "/?lm", &["Cookie: SRV=c1"]),
    ("GET", "/?set=SRV%3Dapp%3B%20Path%3D/", &[]),
    ("GET", "/?set=SRV%3Dapp%3B%20Path%3D/", &["Cookie: SRV=c2"]),
    ("GET", "/?set=JS%3Dabc%3B%20Path%3D/", &["Cookie: SRV=c2"]),
    ("GET", "/?set=SRV%3Dx&set=other%3D1", &[]),
    ("GET", "/", &["Cookie: SRV=c2~abc"]),
    ("GET", "/", &["Cookie: SRV=zz~abc; d=4"]),
    ("GET", "/", &["Cookie: SRV=~abc"]),
    ("GET", "/?set=SRV%3Dabc", &["Cookie: SRV=c1~abc"]),
    ("GET", "/", &["Cookie: SRV=c3"]),
    ("POST", "/", &[]),
    ("GET", "/", &[]),
];

/// HAProxy and `lbc serve` on a backend with `cookie` line `cookie` (and `extra` lines), the
/// servers `s1` (`cookie c1`), `s2` (`cookie c2`, with `s2_options`) and `s3` (no value):
/// every answer must be the same.
fn compare(cookie: &str, extra: &str, s2_options: &str) {
    let ports = [spawn_backend(s1), spawn_backend(s2), spawn_backend(s3)];
    let config = |port: u16| {
        format!(
            "{HAPROXY_HTTP_DEFAULTS}frontend f
  bind 127.0.0.1:{port}
  default_backend b
backend b
  balance roundrobin
  {cookie}
{extra}  server s1 127.0.0.1:{} cookie c1
  server s2 127.0.0.1:{} cookie c2 {s2_options}
  server s3 127.0.0.1:{}
",
            ports[0], ports[1], ports[2]
        )
    };
    let p = start_pair(config, start_haproxy);
    for (method, path, headers) in REQUESTS {
        let real = ask(p.real, method, path, headers);
        let lbc = ask(p.lbc, method, path, headers);
        assert_eq!(
            lbc, real,
            "`{cookie}`: {method} {path} {headers:?}: lbc (left) and HAProxy (right) differ"
        );
    }
}

#[test]
fn insert_indirect_nocache_with_attributes_matches_haproxy() {
    compare(
        "cookie SRV insert indirect nocache httponly secure domain .example.com domain t attr SameSite=Lax",
        "",
        "",
    );
}

#[test]
fn insert_direct_postonly_and_preserve_match_haproxy() {
    compare("cookie SRV insert", "", "");
    compare("cookie SRV insert postonly nocache", "", "");
    compare("cookie SRV insert indirect preserve", "", "");
}

#[test]
fn rewrite_prefix_and_passive_match_haproxy() {
    compare("cookie SRV rewrite", "", "");
    compare("cookie SRV prefix", "", "");
    compare("cookie SRV prefix indirect", "", "");
    compare("cookie SRV indirect", "", "");
}

#[test]
fn a_server_in_maintenance_is_not_chosen_by_cookie_unless_persist() {
    compare("cookie SRV insert indirect", "", "disabled");
    compare(
        "cookie SRV insert indirect",
        "  option persist\n",
        "disabled",
    );
}
