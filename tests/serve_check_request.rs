//! The request of HAProxy's HTTP health checks, byte for byte: real HAProxy and `lbc serve`
//! check the same backends with `option httpchk` in its forms (no argument, a URI, a method and
//! a URI, a version with header lines hidden after it) and `http-check send meth|uri|ver|hdr`;
//! each backend records the first check request it gets from each.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use common::serve::{start_haproxy, start_pair, HAPROXY_HTTP_DEFAULTS};

/// A backend that answers every request 200 and sends the head of the first one to `tx`.
fn recorder() -> (u16, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let _ = tx.send(String::from_utf8_lossy(&buf).into_owned());
            let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
            let _ = conn.shutdown(Shutdown::Write);
        }
    });
    (port, rx)
}

#[test]
fn http_check_requests_are_haproxys() {
    let checks = [
        "option httpchk",
        "option httpchk /b",
        "option httpchk POST /c HTTP/1.1",
        "option httpchk GET /health HTTP/1.1\\r\\nHost:\\ www.example.com\\r\\nUser-Agent:\\ hc",
        "option httpchk HEAD /e\n  http-check send ver HTTP/1.1 hdr Host api.test hdr User-Agent healthcheck/haproxy",
        "option httpchk\n  http-check send meth GET uri /f ver HTTP/1.1",
        "option httpchk GET /g HTTP/1.0\n  http-check send hdr X-A 1",
    ];
    // One recorder per check and per proxy: the first request each gets is that proxy's.
    let real: Vec<_> = checks.iter().map(|_| recorder()).collect();
    let lbc: Vec<_> = checks.iter().map(|_| recorder()).collect();
    let config = |port: u16, which: &[(u16, mpsc::Receiver<String>)]| {
        let mut c = format!(
            "{HAPROXY_HTTP_DEFAULTS}frontend f\n  bind 127.0.0.1:{port}\n  default_backend b0\n"
        );
        for (i, (check, (backend, _))) in checks.iter().zip(which).enumerate() {
            c.push_str(&format!(
                "backend b{i}\n  {check}\n  server s 127.0.0.1:{backend} check inter 200\n"
            ));
        }
        c
    };
    // `start_pair` gives the real proxy the first configuration it asks for.
    let asked = std::cell::Cell::new(0);
    let _p = start_pair(
        |port| {
            let n = asked.get();
            asked.set(n + 1);
            config(port, if n == 0 { &real } else { &lbc })
        },
        start_haproxy,
    );
    for (i, check) in checks.iter().enumerate() {
        let wait = Duration::from_secs(5);
        let from_real = real[i].1.recv_timeout(wait).expect("HAProxy checks");
        let from_lbc = lbc[i].1.recv_timeout(wait).expect("lbc checks");
        assert_eq!(from_lbc, from_real, "`{check}`");
    }
}
