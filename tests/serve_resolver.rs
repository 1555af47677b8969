//! `proxy_pass` with variables and a `resolver`, in `lbc serve` and nginx: a name that is
//! neither an `upstream` block nor an address is resolved per request. nginx asks the
//! resolver it is given — here a small DNS server of the test that answers `localhost` with
//! 127.0.0.1 and any other name with NXDOMAIN — and lbc the system's resolver, which knows
//! `localhost` from /etc/hosts and that `.invalid` names do not exist: both see the same
//! answers, so clients must see the same responses (without `resolver`, both answer 502:
//! `tests/serve_vars.rs`).

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream, UdpSocket};

use common::serve::{read_head, spawn_backend, start_nginx, start_pair, IO_TIMEOUT};

/// A DNS server on 127.0.0.1 (UDP): `localhost` has the address 127.0.0.1 (A) and none of
/// the other types; other names do not exist.
fn dns_server() -> u16 {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            if n < 12 {
                continue;
            }
            // The question: labels, then type and class.
            let mut at = 12;
            let mut labels = Vec::new();
            while at < n && buf[at] != 0 {
                let len = usize::from(buf[at]);
                labels
                    .push(String::from_utf8_lossy(&buf[at + 1..(at + 1 + len).min(n)]).to_string());
                at += 1 + len;
            }
            let question_end = (at + 5).min(n);
            let qtype = u16::from_be_bytes([buf[at + 1], buf[at + 2]]);
            let name = labels.join(".").to_ascii_lowercase();
            let mut reply = buf[..question_end].to_vec();
            // Response, recursion available; NXDOMAIN unless the name is localhost.
            reply[2] = 0x81;
            reply[3] = if name == "localhost" { 0x80 } else { 0x83 };
            let answers: u16 = if name == "localhost" && qtype == 1 {
                1
            } else {
                0
            };
            reply[6..8].copy_from_slice(&answers.to_be_bytes());
            reply[8..12].copy_from_slice(&[0, 0, 0, 0]);
            if answers == 1 {
                // The name by pointer to the question, A, IN, TTL 60, 4 bytes.
                reply.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]);
            }
            let _ = socket.send_to(&reply, from);
        }
    });
    port
}

/// A backend answering with its request line and `Host`.
fn backend() -> u16 {
    spawn_backend(|mut conn| {
        let (head, _) = read_head(&mut conn);
        let host = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("host:"))
            .unwrap_or("")
            .to_ascii_lowercase();
        let text = format!("{} | {host}", head.lines().next().unwrap_or(""));
        let reply = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
            text.len()
        );
        let _ = conn.write_all(reply.as_bytes());
        let _ = conn.shutdown(Shutdown::Write);
    })
}

fn ask(port: u16, path: &str) -> String {
    let mut conn = TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: r.test\r\nConnection: close\r\n\r\n");
    conn.write_all(req.as_bytes()).unwrap();
    let mut raw = String::new();
    let _ = conn.read_to_string(&mut raw);
    let status = raw.split_whitespace().nth(1).unwrap_or("").to_string();
    let body = raw.split_once("\r\n\r\n").map_or("", |x| x.1);
    format!(
        "{status} | {}",
        body.replace("nginx/1.22.1", "SERVER")
            .replace(">lbc<", ">SERVER<")
    )
}

#[test]
fn resolver_names_match_nginx() {
    let (dns, up) = (dns_server(), backend());
    let config = |port: u16| {
        format!(
            "events {{}}
http {{
  access_log off;
  resolver 127.0.0.1:{dns} valid=5s ipv6=off;
  resolver_timeout 2s;
  server {{
    listen 127.0.0.1:{port};
    location /dyn/ {{
      set $peer localhost:{up};
      proxy_pass http://$peer;
    }}
    location /uri/ {{
      set $peer localhost:{up};
      proxy_pass http://$peer/rewritten$is_args$args;
    }}
    location /arg/ {{ proxy_pass http://$arg_host:{up}; }}
  }}
}}
"
        )
    };
    let p = start_pair(config, start_nginx);
    for path in [
        "/dyn/x",
        "/dyn/x",
        "/uri/y?z=1",
        "/arg/a?host=localhost",
        "/arg/a?host=nowhere.invalid",
    ] {
        let (real, lbc) = (ask(p.real, path), ask(p.lbc, path));
        assert_eq!(real, lbc, "{path}");
    }
    assert!(ask(p.real, "/dyn/x").starts_with("200 | GET /dyn/x HTTP/1.0 | host: localhost:"));
    assert!(ask(p.real, "/arg/a?host=nowhere.invalid").starts_with("502"));
}
