//! `lbc serve` against real nginx and HAProxy on request heads near and past their limits:
//! nginx's header buffers (`client_header_buffer_size`, `large_client_header_buffers`: 414
//! for a request line, 400 "Request Header Or Cookie Too Large" for headers) and HAProxy's
//! buffer (`tune.bufsize`, `tune.http.maxhdr`: 400), with their defaults and with other
//! sizes. The same heads, at the boundaries and drawn at random (fixed seeds), go to both;
//! the statuses must agree, and nginx's pages too (but for the server's name).

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};

use common::serve::{
    backend, start_haproxy, start_nginx, start_pair, status_of as status, Pair,
    HAPROXY_HTTP_DEFAULTS, IO_TIMEOUT,
};

/// Sends `head` on a fresh connection and reads the reply until the peer closes.
fn exchange(port: u16, head: &[u8]) -> String {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut conn = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
    conn.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    // The server may answer and close before the whole head is written.
    let _ = conn.write_all(head);
    let mut out = Vec::new();
    let _ = conn.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// A request head: the target, then `headers` between `Host` and `Connection: close`.
fn head(target: &str, headers: &[(String, String)]) -> Vec<u8> {
    let mut h = format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n");
    for (n, v) in headers {
        h.push_str(&format!("{n}: {v}\r\n"));
    }
    h.push_str("Connection: close\r\n\r\n");
    h.into_bytes()
}

/// A target whose request line (`GET target HTTP/1.1\r\n`) is `len` bytes.
fn target_of_line(len: usize) -> String {
    format!("/{}", "a".repeat(len - 16))
}

/// A header whose line (`name: value\r\n`) is `len` bytes.
fn header_of_line(name: &str, len: usize) -> (String, String) {
    (name.to_string(), "v".repeat(len - name.len() - 4))
}

/// `count` headers of `len`-byte lines.
fn headers(count: usize, len: usize) -> Vec<(String, String)> {
    (0..count)
        .map(|i| header_of_line(&format!("x-h{i:04}"), len))
        .collect()
}

/// Heads beyond hyper's read buffer (about 400 KB) are answered 431 by hyper itself, before
/// lbc sees them (nginx and HAProxy say 400): a difference the draws leave out.
const HYPER_BUFFER: usize = 300_000;

/// xorshift64: the same heads on every run.
struct Draw(u64);

impl Draw {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    /// A number in one of `ranges`, the range drawn first.
    fn among(&mut self, ranges: &[(usize, usize)]) -> usize {
        let (lo, hi) = ranges[self.below(ranges.len())];
        lo + self.below(hi - lo + 1)
    }

    /// A head of `lines` headers of `sizes`-byte lines and a request line of `targets` bytes.
    fn head(
        &mut self,
        lines: &[(usize, usize)],
        sizes: &[(usize, usize)],
        targets: &[(usize, usize)],
    ) -> Vec<u8> {
        loop {
            let count = self.among(lines);
            let hs: Vec<_> = (0..count)
                .map(|i| header_of_line(&format!("x-h{i:04}"), self.among(sizes)))
                .collect();
            let h = head(&target_of_line(self.among(targets)), &hs);
            if h.len() <= HYPER_BUFFER {
                return h;
            }
        }
    }
}

/// Sends every head to both and compares the statuses; for nginx's own refusals, the pages too.
fn agree(p: &Pair, heads: &[Vec<u8>], pages: bool) -> std::collections::BTreeMap<u16, usize> {
    let mut seen = std::collections::BTreeMap::new();
    for (i, h) in heads.iter().enumerate() {
        let (real, lbc) = (exchange(p.real, h), exchange(p.lbc, h));
        let line = |r: &str| r.lines().next().unwrap_or("").to_string();
        assert_eq!(
            status(&real),
            status(&lbc),
            "head {i} ({} bytes): {} / lbc: {}",
            h.len(),
            line(&real),
            line(&lbc)
        );
        *seen.entry(status(&real)).or_insert(0) += 1;
        if pages && matches!(status(&real), 400 | 414) {
            assert_eq!(line(&real), line(&lbc), "head {i}: the status line");
            let body = |r: &str| {
                let body = r.split_once("\r\n\r\n").map_or("", |(_, b)| b);
                body.replace("nginx/1.22.1", "SERVER")
                    .replace("nginx", "SERVER")
                    .replace("lbc", "SERVER")
            };
            assert_eq!(body(&real), body(&lbc), "head {i}: the page");
            let closes = |r: &str| r.to_ascii_lowercase().contains("\r\nconnection: close\r\n");
            assert!(
                closes(&real) && closes(&lbc),
                "head {i}: both close the connection"
            );
        }
    }
    seen
}

fn nginx_config(buffers: &str) -> impl Fn(u16) -> String + '_ {
    move |port| {
        format!(
            "events {{}}\nhttp {{\n  access_log off;\n  {buffers}\n  server {{ listen 127.0.0.1:{port};\n    location / {{ return 200 \"ok\\n\"; }} }}\n}}\n"
        )
    }
}

#[test]
fn nginx_default_head_limits() {
    let p = start_pair(nginx_config(""), start_nginx);
    let mut heads = vec![
        head(&target_of_line(8192), &[]),
        head(&target_of_line(8193), &[]),
        head(&target_of_line(20000), &[]),
        head("/", &[header_of_line("x-a", 8192)]),
        head("/", &[header_of_line("x-a", 8193)]),
        head("/", &[header_of_line("cookie", 12000)]),
        // More lines than hyper's default table (100), well inside nginx's buffers.
        head("/", &headers(150, 40)),
        head("/", &headers(600, 40)),
        // Five 5,000-byte lines: one large buffer each, the fifth finds none.
        head("/", &headers(4, 5000)),
        head("/", &headers(5, 5000)),
        // The request line spills out of the 1k buffer, then fills the rest.
        head(&target_of_line(3000), &headers(3, 7000)),
        head(&target_of_line(3000), &headers(4, 7000)),
    ];
    let mut draw = Draw(0x5eed_1e55);
    for _ in 0..120 {
        heads.push(draw.head(
            &[(0, 10), (10, 80), (80, 400)],
            &[(12, 60), (60, 900), (900, 9000)],
            &[(16, 200), (200, 4000), (4000, 9000)],
        ));
    }
    let seen = agree(&p, &heads, true);
    // The draw reaches all three answers.
    assert!(seen.len() == 3, "statuses seen: {seen:?}");
}

#[test]
fn nginx_configured_head_buffers() {
    let p = start_pair(
        nginx_config("client_header_buffer_size 100; large_client_header_buffers 3 600;"),
        start_nginx,
    );
    let mut heads = vec![
        head(&target_of_line(600), &[]),
        head(&target_of_line(601), &[]),
        head("/", &[header_of_line("x-a", 600)]),
        head("/", &[header_of_line("x-a", 601)]),
    ];
    let mut draw = Draw(0xb0ff_e125);
    for _ in 0..120 {
        heads.push(draw.head(
            &[(0, 3), (3, 12)],
            &[(12, 60), (60, 400), (400, 620)],
            &[(16, 60), (60, 400), (400, 620)],
        ));
    }
    let seen = agree(&p, &heads, true);
    assert!(seen.len() == 3, "statuses seen: {seen:?}");
}

fn haproxy_config(global: &str, backend: u16) -> impl Fn(u16) -> String + '_ {
    move |port| {
        format!(
            "global\n{global}\n{HAPROXY_HTTP_DEFAULTS}frontend f\n  bind 127.0.0.1:{port}\n  default_backend b\nbackend b\n  server s1 127.0.0.1:{backend}\n"
        )
    }
}

#[test]
fn haproxy_head_limits() {
    let up = backend("a");
    for (global, seed) in [
        ("  maxconn 100", 0x4a9_0001u64),
        (
            "  tune.bufsize 32768\n  tune.maxrewrite 2048\n  tune.http.maxhdr 40",
            0x4a9_0002,
        ),
    ] {
        let p = start_pair(haproxy_config(global, up), start_haproxy);
        let mut heads = vec![
            head("/", &headers(99, 20)),
            head("/", &headers(100, 20)),
            head(&target_of_line(15266), &[]),
            head(&target_of_line(15267), &[]),
        ];
        let mut draw = Draw(seed);
        for _ in 0..120 {
            heads.push(draw.head(
                &[(0, 20), (30, 45), (90, 110), (110, 600)],
                &[(12, 40), (40, 400), (400, 12000)],
                &[(16, 200), (200, 4000), (4000, 33000)],
            ));
        }
        let seen = agree(&p, &heads, false);
        assert!(seen.len() >= 2, "statuses seen: {seen:?}");
    }
}

/// Sends `bytes` (maybe nothing) on a fresh connection and waits for the peer to answer and
/// close: what came, and after how long.
fn late(port: u16, bytes: &'static [u8]) -> (String, std::time::Duration) {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut conn = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
    conn.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let start = std::time::Instant::now();
    conn.write_all(bytes).unwrap();
    let mut out = Vec::new();
    let _ = conn.read_to_end(&mut out);
    (String::from_utf8_lossy(&out).into_owned(), start.elapsed())
}

/// HAProxy answers a request head that is not complete within `timeout http-request` (else
/// `timeout client`) with its 408 page and closes, also on a connection that sent nothing
/// unless `option http-ignore-probes`; `lbc serve` writes the same bytes at the same time.
#[test]
fn haproxy_late_heads_get_408() {
    let b = backend("b");
    let cases = [
        ("timeout http-request 1s\n", true),
        ("", true),
        (
            "timeout http-request 1s\n  option http-ignore-probes\n",
            false,
        ),
    ];
    for (extra, probes) in cases {
        let p = start_pair(
            |port| {
                format!(
                    "defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 5s\n  {extra}\
                     frontend f\n  bind 127.0.0.1:{port}\n  default_backend b\nbackend b\n  server s 127.0.0.1:{b}\n"
                )
            },
            start_haproxy,
        );
        let sends: [&'static [u8]; 2] = [b"", b"GET / HTTP/1.1\r\nHost: x\r\n"];
        // The four probes at once: each takes the timeout.
        let probes_run: Vec<_> = sends
            .iter()
            .flat_map(|s| [(p.real, *s), (p.lbc, *s)])
            .map(|(port, s)| std::thread::spawn(move || late(port, s)))
            .collect();
        let got: Vec<(String, std::time::Duration)> =
            probes_run.into_iter().map(|t| t.join().unwrap()).collect();
        for pair in got.chunks(2) {
            let ((real, real_took), (lbc, lbc_took)) = (&pair[0], &pair[1]);
            assert_eq!(lbc, real, "{extra:?}");
            for took in [real_took, lbc_took] {
                assert!(
                    (900..2500).contains(&took.as_millis()),
                    "{extra:?}: closed after {took:?}"
                );
            }
        }
        assert!(
            got[2].0.starts_with("HTTP/1.1 408 Request Time-out\r\n"),
            "{}",
            got[2].0
        );
        assert_eq!(got[0].0.is_empty(), !probes, "{extra:?}: {}", got[0].0);
    }
}
