//! The conformance suite of `lbc serve` on the tutorials' seed configurations
//! (`fixtures/serve/seeds/`, fixed to loopback): each runs in real nginx and in `lbc serve`
//! with the same echo backends; the requests of its `.requests` file go to both, and the
//! answers must be the same — status, body (gzip'd bodies decoded), the chosen backend and what
//! it received (method, URI, `Host`, `X-Real-IP`, `X-Forwarded-For`), and the headers clients
//! act on. Only the server's own name in error pages (`nginx/1.22.1` vs `lbc`) and each
//! proxy's own listening port differ.

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::thread;

use common::serve::{free_port, start_lbc, start_nginx, wait_ready, IO_TIMEOUT};

/// Headers whose value must be the same in both answers (when either sends them).
const COMPARED_HEADERS: &[&str] = &[
    "content-type",
    "content-encoding",
    "location",
    "vary",
    "etag",
    "last-modified",
    "cache-control",
    "expires",
    "accept-ranges",
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-allow-methods",
    "access-control-allow-headers",
];

/// A backend that answers every request with its name and what it received.
fn echo_backend(name: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            thread::spawn(move || echo_one(name, conn));
        }
    });
    port
}

fn echo_one(name: &str, mut conn: TcpStream) {
    let _ = conn.set_read_timeout(Some(IO_TIMEOUT));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 65536 {
        match conn.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_string();
    let header = |n: &str| {
        head.split("\r\n")
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .filter(|(k, _)| k.trim().eq_ignore_ascii_case(n))
            .map(|(_, v)| v.trim().to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut parts = request_line.split_whitespace();
    let (method, uri) = (
        parts.next().unwrap_or("?").to_string(),
        parts.next().unwrap_or("?").to_string(),
    );
    let body = format!(
        "{name} {method} {uri} host={} xrip={} xff={}\n",
        header("host"),
        header("x-real-ip"),
        header("x-forwarded-for"),
    );
    let reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = conn.write_all(reply.as_bytes());
    let _ = conn.shutdown(Shutdown::Write);
}

/// One request of a `.requests` file.
#[derive(Debug, Clone)]
struct Req {
    second_listener: bool,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    times: usize,
}

fn parse_requests(text: &str) -> Vec<Req> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split(" | ");
        let mut words = fields.next().unwrap().split_whitespace().peekable();
        let second_listener = words.next_if_eq(&"@2").is_some();
        let method = words.next().unwrap().to_string();
        let path = words.next().unwrap().to_string();
        let times = words
            .next()
            .and_then(|w| w.strip_prefix('x'))
            .map_or(1, |n| n.parse().unwrap());
        let headers = fields
            .map(|f| {
                let (k, v) = f.split_once(':').unwrap();
                (k.trim().to_string(), v.trim().to_string())
            })
            .collect();
        out.push(Req {
            second_listener,
            method,
            path,
            headers,
            times,
        });
    }
    out
}

/// What a client sees of one answer.
#[derive(Debug, PartialEq)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

/// Sends `r` to `port` of a proxy listening on `ports`; the ports in the answer (redirects,
/// `$server_port`) read `@LISTEN@`/`@LISTEN2@`, as each proxy has its own.
fn send(port: u16, ports: (u16, u16), r: &Req) -> Answer {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut conn = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
    conn.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let mut request = format!("{} {} HTTP/1.1\r\n", r.method, r.path);
    if !r
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("host"))
    {
        request.push_str("Host: localhost\r\n");
    }
    for (k, v) in &r.headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    if matches!(r.method.as_str(), "POST" | "PUT") {
        request.push_str("Content-Length: 0\r\n");
    }
    request.push_str("Connection: close\r\n\r\n");
    conn.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete answer");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let mut headers: Vec<(String, String)> = head
        .split("\r\n")
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"))
    {
        body = dechunk(&body);
    }
    if headers
        .iter()
        .any(|(k, v)| k == "content-encoding" && v == "gzip")
    {
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut plain)
            .expect("a valid gzip body");
        body = plain;
    }
    headers.retain(|(k, _)| COMPARED_HEADERS.contains(&k.as_str()));
    headers.sort();
    let body =
        String::from_utf8_lossy(&body).replace("<center>lbc</center>", "<center>SERVER</center>");
    let body = normalize_server_name(&body);
    let ports = |t: &str| {
        t.replace(&ports.1.to_string(), "@LISTEN2@")
            .replace(&ports.0.to_string(), "@LISTEN@")
    };
    let body = ports(&body);
    for (_, v) in &mut headers {
        *v = ports(v);
    }
    Answer {
        status,
        headers,
        body,
    }
}

/// nginx signs its error pages `nginx/VERSION`, lbc `lbc`: both become `SERVER`.
fn normalize_server_name(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(i) = rest.find("<center>nginx") {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail.find("</center>").unwrap_or(tail.len());
        out.push_str("<center>SERVER");
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = String::from_utf8_lossy(&b[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[eol + 2 + size + 2..];
    }
}

fn seeds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/serve/seeds")
}

/// The fixture with its placeholders filled in.
fn instantiate(name: &str, listen: (u16, u16), backends: &[u16; 3]) -> String {
    let text = std::fs::read_to_string(seeds_dir().join(format!("{name}.conf"))).unwrap();
    text.replace("@LISTEN2@", &listen.1.to_string())
        .replace("@LISTEN@", &listen.0.to_string())
        .replace("@B1@", &backends[0].to_string())
        .replace("@B2@", &backends[1].to_string())
        .replace("@B3@", &backends[2].to_string())
        .replace("@ROOT@", &seeds_dir().join("docroot").display().to_string())
}

/// Runs one seed in nginx and lbc and compares every answer.
fn conformance(name: &str) {
    let backends = [echo_backend("b1"), echo_backend("b2"), echo_backend("b3")];
    let requests = parse_requests(
        &std::fs::read_to_string(seeds_dir().join(format!("{name}.requests"))).unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let nginx_ports = (free_port(), free_port());
    let lbc_ports = (free_port(), free_port());
    let _nginx = start_nginx(&instantiate(name, nginx_ports, &backends), dir.path());
    let _lbc = start_lbc(&instantiate(name, lbc_ports, &backends), dir.path());
    wait_ready(nginx_ports.0);
    wait_ready(lbc_ports.0);
    let run = |ports: (u16, u16)| -> Vec<(String, Answer)> {
        let mut out = Vec::new();
        for r in &requests {
            let port = if r.second_listener { ports.1 } else { ports.0 };
            for _ in 0..r.times {
                out.push((format!("{} {}", r.method, r.path), send(port, ports, r)));
            }
        }
        out
    };
    let (from_nginx, from_lbc) = (run(nginx_ports), run(lbc_ports));
    let log = std::fs::read_to_string(dir.path().join("lbc.log")).unwrap_or_default();
    for (n, l) in from_nginx.iter().zip(&from_lbc) {
        assert_eq!(n, l, "{name}: `{}` differs (lbc's log:\n{log})", n.0);
    }
}

macro_rules! seeds {
    ($($test:ident => $name:literal,)*) => {
        $(
            #[test]
            fn $test() {
                conformance($name);
            }
        )*
        /// Every fixture has its test.
        #[test]
        fn every_seed_fixture_is_run() {
            let mut listed = vec![$($name),*];
            listed.sort();
            let mut on_disk: Vec<String> = std::fs::read_dir(seeds_dir())
                .unwrap()
                .filter_map(|e| {
                    let name = e.unwrap().file_name().into_string().unwrap();
                    name.strip_suffix(".conf").map(str::to_string)
                })
                .collect();
            on_disk.sort();
            assert_eq!(listed, on_disk);
        }
    };
}

seeds! {
    load_balance_myserver => "000-load-balance-myserver",
    reverse_proxy_edu_vod => "000-reverse-proxy-edu-vod",
    static_separation => "000-static-separation",
    api_upstream => "002-api-upstream",
    cors => "002-cors",
    frontend_vhosts => "002-frontend-vhosts",
    gzip => "002-gzip",
    max_conns => "002-max-conns",
    static_vhost => "002-static-vhost",
    tomcats_cluster => "002-tomcats-cluster",
    l7_two_apps => "003-l7-two-apps",
    tomcat_web_pools => "003-tomcat-web-pools",
}
