//! Balancing and failure handling of `lbc serve` against the real thing: each test starts real
//! nginx (or HAProxy) and `lbc serve` on the same configuration (only the listen port differs)
//! over the same loopback backends, sends both the same requests in the same order and compares
//! what the client sees — status, body, and so the backend that answered. Stickiness tests
//! connect from several 127.N.M.1 source addresses. The failure tests reproduce the behaviours
//! checked by nginx-tests `upstream.t`, `proxy_next_upstream.t` and `proxy_non_idempotent.t`
//! (written from those tests' documented expectations, not copied): a 404/500 with
//! `proxy_next_upstream http_404`/`http_500` makes the next server answer, a POST is not
//! retried once sent unless `non_idempotent`, 502 when every server fails, 504 on a timeout,
//! a failed server is skipped for `fail_timeout` and probed afterwards.

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use common::serve::{
    backend, free_port, start_haproxy, start_lbc, start_nginx, wait_ready, Guard, IO_TIMEOUT,
};

/// How a controllable backend answers.
const OK: u8 = 0;
const NOT_FOUND: u8 = 1;
const ERROR_500: u8 = 2;
/// Reads the request, then closes the connection without answering.
const CLOSE: u8 = 3;
/// Reads the request and answers nothing for a few seconds.
const HANG: u8 = 4;
/// Answers after three seconds.
const SLOW: u8 = 5;
/// Closes every third connection without answering, as upstream.t's backend does.
const EVERY_THIRD_CLOSES: u8 = 6;
/// proxy_next_upstream.t's first backend: 200 on `/ok`, 500 on `/500`, 404 otherwise.
const BY_PATH: u8 = 7;

/// A backend whose behaviour can be switched while the test runs, counting its requests.
#[derive(Clone)]
struct Ctl {
    port: u16,
    mode: Arc<AtomicU8>,
    hits: Arc<AtomicUsize>,
}

impl Ctl {
    fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
    }
    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

fn controlled(name: &'static str, mode: u8) -> Ctl {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let ctl = Ctl {
        port: listener.local_addr().unwrap().port(),
        mode: Arc::new(AtomicU8::new(mode)),
        hits: Arc::new(AtomicUsize::new(0)),
    };
    let c = ctl.clone();
    thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let c = c.clone();
            thread::spawn(move || answer(name, &c, conn));
        }
    });
    ctl
}

fn answer(name: &str, c: &Ctl, mut conn: TcpStream) {
    let _ = conn.set_read_timeout(Some(IO_TIMEOUT));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match conn.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        match conn.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let hit = c.hits.fetch_add(1, Ordering::SeqCst) + 1;
    let mut words = head.split_whitespace();
    let method = words.next().unwrap_or("?").to_string();
    let path = words.next().unwrap_or("?").to_string();
    let status = match c.mode.load(Ordering::SeqCst) {
        NOT_FOUND => "404 Not Found",
        ERROR_500 => "500 Internal Server Error",
        CLOSE => {
            let _ = conn.shutdown(Shutdown::Both);
            return;
        }
        EVERY_THIRD_CLOSES if hit.is_multiple_of(3) => {
            let _ = conn.shutdown(Shutdown::Both);
            return;
        }
        HANG => {
            thread::sleep(Duration::from_secs(4));
            return;
        }
        BY_PATH if path.starts_with("/ok") => "200 OK",
        BY_PATH if path.starts_with("/500") => "500 Internal Server Error",
        BY_PATH => "404 Not Found",
        SLOW => {
            thread::sleep(Duration::from_secs(3));
            "200 OK"
        }
        _ => "200 OK",
    };
    let body = format!("{name} {method} {path}");
    let reply = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = conn.write_all(reply.as_bytes());
    let _ = conn.shutdown(Shutdown::Write);
}

/// One request on a fresh connection, optionally from a given loopback source address:
/// (status, body).
fn send(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    src: Option<Ipv4Addr>,
) -> (u16, String) {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut conn = match src {
        None => TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap(),
        Some(ip) => {
            let s =
                socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
            s.bind(&SocketAddr::from((ip, 0)).into()).unwrap();
            s.connect_timeout(&addr.into(), IO_TIMEOUT).unwrap();
            s.into()
        }
    };
    conn.set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    if method == "POST" {
        request.push_str("Content-Length: 4\r\n\r\nbody");
    } else {
        request.push_str("\r\n");
    }
    conn.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = conn.read_to_end(&mut raw);
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let Some((head, body)) = raw.split_once("\r\n\r\n") else {
        return (0, raw);
    };
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, body.to_string())
}

fn get(port: u16, path: &str) -> (u16, String) {
    send(port, "GET", path, &[], None)
}

/// The backend that answered (the first word of a backend's body), or the status of an
/// answer made by the proxy itself.
fn who(r: &(u16, String)) -> String {
    if r.1.contains("<html") {
        format!("{}", r.0)
    } else {
        format!("{} {}", r.0, r.1.split(' ').next().unwrap_or(""))
    }
}

/// nginx and `lbc serve` on the same configuration; `conf` gets the listen port.
struct Pair {
    nginx: u16,
    lbc: u16,
    _procs: (Guard, Guard),
    _dir: tempfile::TempDir,
}

fn nginx_pair(conf: impl Fn(u16) -> String) -> Pair {
    let dir = tempfile::tempdir().unwrap();
    let (n, l) = (free_port(), free_port());
    let a = start_nginx(&conf(n), dir.path());
    let b = start_lbc(&conf(l), dir.path());
    wait_ready(n);
    wait_ready(l);
    Pair {
        nginx: n,
        lbc: l,
        _procs: (a, b),
        _dir: dir,
    }
}

fn haproxy_pair(conf: impl Fn(u16) -> String) -> Pair {
    let dir = tempfile::tempdir().unwrap();
    let (n, l) = (free_port(), free_port());
    let a = start_haproxy(&conf(n), dir.path());
    let b = start_lbc(&conf(l), dir.path());
    wait_ready(n);
    wait_ready(l);
    Pair {
        nginx: n,
        lbc: l,
        _procs: (a, b),
        _dir: dir,
    }
}

fn http(upstream: &str, server: &str) -> String {
    format!("events {{}}\nhttp {{\n    upstream app {{\n{upstream}\n    }}\n{server}\n}}\n")
}

fn location(port: u16, body: &str) -> String {
    format!("    server {{\n        listen 127.0.0.1:{port};\n{body}\n    }}")
}

fn servers(ports: &[u16], extra: &[&str]) -> String {
    ports
        .iter()
        .zip(extra.iter().chain(std::iter::repeat(&"")))
        .map(|(p, e)| format!("        server 127.0.0.1:{p}{e};"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn ip_hash_sticks_per_client_network_like_nginx() {
    let ports = [backend("a"), backend("b"), backend("c")];
    let pair = nginx_pair(|p| {
        http(
            &format!("        ip_hash;\n{}", servers(&ports, &[])),
            &location(p, "        location / { proxy_pass http://app; }"),
        )
    });
    let mut seen = std::collections::BTreeSet::new();
    for net in 1..=12u8 {
        // ip_hash keys on the first three octets: 127.net.7.1 and 127.net.7.9 share a server.
        let clients = [Ipv4Addr::new(127, net, 7, 1), Ipv4Addr::new(127, net, 7, 9)];
        let mut answers = Vec::new();
        for src in clients {
            for _ in 0..2 {
                let n = who(&send(pair.nginx, "GET", "/", &[], Some(src)));
                let l = who(&send(pair.lbc, "GET", "/", &[], Some(src)));
                assert_eq!(n, l, "client {src}");
                answers.push(l);
            }
        }
        answers.dedup();
        assert_eq!(answers.len(), 1, "127.{net}.7.x is not sticky: {answers:?}");
        seen.insert(answers[0].clone());
    }
    assert!(seen.len() >= 2, "every network on one server: {seen:?}");
}

#[test]
fn hash_request_uri_plain_and_consistent_map_like_nginx() {
    let ports = [backend("a"), backend("b"), backend("c"), backend("d")];
    for method in ["hash $request_uri;", "hash $request_uri consistent;"] {
        let pair = nginx_pair(|p| {
            http(
                &format!("        {method}\n{}", servers(&ports, &[" weight=2"])),
                &location(p, "        location / { proxy_pass http://app; }"),
            )
        });
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..24 {
            let path = format!("/item/{i}?v={}", i * 7);
            let n = who(&get(pair.nginx, &path));
            let l = who(&get(pair.lbc, &path));
            assert_eq!(n, l, "{method} {path}");
            assert_eq!(
                who(&get(pair.lbc, &path)),
                l,
                "{method} {path} is not sticky"
            );
            seen.insert(l);
        }
        assert!(seen.len() >= 3, "{method}: {seen:?}");
    }
}

#[test]
fn least_conn_and_weights_follow_nginx_sequence() {
    let ports = [backend("a"), backend("b"), backend("c")];
    let pair = nginx_pair(|p| {
        http(
            &format!("        least_conn;\n{}", servers(&ports, &[" weight=2"])),
            &location(p, "        location / { proxy_pass http://app; }"),
        )
    });
    // One request at a time: every server has 0 connections, ties go weighted round-robin.
    let n: Vec<String> = (0..8).map(|_| who(&get(pair.nginx, "/"))).collect();
    let l: Vec<String> = (0..8).map(|_| who(&get(pair.lbc, "/"))).collect();
    assert_eq!(n, l);
    assert_eq!(l.iter().filter(|w| w.ends_with(" a")).count(), 4);
}

#[test]
fn backup_takes_over_when_the_primaries_are_dead() {
    let (dead1, dead2) = (free_port(), free_port());
    let spare = backend("spare");
    let live = backend("live");
    let pair = nginx_pair(|p| {
        http(
            &format!(
                "        server 127.0.0.1:{dead1} fail_timeout=2s;\n        server 127.0.0.1:{dead2} fail_timeout=2s;\n        server 127.0.0.1:{spare} backup;"
            ),
            &location(p, "        location / { proxy_pass http://app; }"),
        )
    });
    for _ in 0..4 {
        let (n, l) = (get(pair.nginx, "/"), get(pair.lbc, "/"));
        assert_eq!(who(&n), who(&l));
        assert_eq!(who(&l), "200 spare");
    }
    // With a live primary, the backup takes nothing.
    let pair = nginx_pair(|p| {
        http(
            &format!(
                "        server 127.0.0.1:{live};\n        server 127.0.0.1:{dead1};\n        server 127.0.0.1:{spare} backup;"
            ),
            &location(p, "        location / { proxy_pass http://app; }"),
        )
    });
    let n: Vec<String> = (0..6).map(|_| who(&get(pair.nginx, "/"))).collect();
    let l: Vec<String> = (0..6).map(|_| who(&get(pair.lbc, "/"))).collect();
    assert_eq!(n, l);
    assert!(l.iter().all(|w| w == "200 live"), "{l:?}");
}

#[test]
fn max_fails_skips_a_server_for_fail_timeout_then_probes_it() {
    // upstream.t-style: a server failing max_fails times is left alone for fail_timeout.
    let a = controlled("a", OK);
    let b = controlled("b", ERROR_500);
    let conf = |p: u16| {
        http(
            &servers(&[a.port, b.port], &[" max_fails=1 fail_timeout=2s", " max_fails=1 fail_timeout=2s"]),
            &location(
                p,
                "        location / { proxy_pass http://app; proxy_next_upstream error timeout http_500; }",
            ),
        )
    };
    let pair = nginx_pair(conf);
    let run = |port: u16| -> (Vec<String>, usize) {
        b.set(ERROR_500);
        let before = b.hits();
        // b fails once (the request is passed to a), then is skipped.
        let mut seq: Vec<String> = (0..6).map(|_| who(&get(port, "/"))).collect();
        let during = b.hits() - before;
        b.set(OK);
        // nginx counts fail_timeout in whole seconds: wait well past it.
        thread::sleep(Duration::from_millis(3500));
        seq.extend((0..4).map(|_| who(&get(port, "/"))));
        (seq, during)
    };
    let (n, n_hits) = run(pair.nginx);
    let (l, l_hits) = run(pair.lbc);
    assert_eq!(n, l);
    assert_eq!((n_hits, l_hits), (1, 1), "b is tried once, then skipped");
    assert!(l[..6].iter().all(|w| w == "200 a"), "{l:?}");
    assert!(
        l[6..].iter().any(|w| w == "200 b"),
        "b is back after the probe: {l:?}"
    );
}

#[test]
fn next_upstream_on_status_only_where_configured() {
    // proxy_next_upstream.t-style: http_404 / http_500 move to the next server; otherwise the
    // status is passed to the client as it is.
    let x = controlled("x", NOT_FOUND);
    let y = controlled("y", OK);
    let pair = nginx_pair(|p| {
        http(
            &servers(&[x.port, y.port], &[" max_fails=0", " max_fails=0"]),
            &location(
                p,
                "        location /next/ { proxy_pass http://app; proxy_next_upstream http_404 http_500; }\n        location / { proxy_pass http://app; }",
            ),
        )
    });
    let paths = [
        "/next/1", "/next/2", "/plain/1", "/plain/2", "/next/3", "/plain/3",
    ];
    for mode in [NOT_FOUND, ERROR_500] {
        x.set(mode);
        let n: Vec<(u16, String)> = paths.iter().map(|p| get(pair.nginx, p)).collect();
        let l: Vec<(u16, String)> = paths.iter().map(|p| get(pair.lbc, p)).collect();
        assert_eq!(n, l);
        assert!(l
            .iter()
            .filter(|r| r.0 != 200)
            .all(|r| r.1.starts_with("x ")));
        assert!(l.iter().any(|r| r.0 != 200), "x's status reached a client");
        for (path, r) in paths.iter().zip(&l) {
            if path.starts_with("/next/") {
                assert_eq!(who(r), "200 y", "{path}");
            }
        }
        // proxy_non_idempotent.t "post 404": a POST is not retried on a status either; of two
        // in a row one reaches x first, and x's answer is passed on.
        let posts = |port| -> Vec<String> {
            ["/next/p1", "/next/p2"]
                .iter()
                .map(|p| who(&send(port, "POST", p, &[], None)))
                .collect()
        };
        let (n, l) = (posts(pair.nginx), posts(pair.lbc));
        assert_eq!(n, l);
        assert!(l.iter().any(|w| w.ends_with(" x")), "{l:?}");
    }
}

#[test]
fn post_is_not_retried_once_sent_unless_non_idempotent() {
    // proxy_non_idempotent.t-style: the first server takes the request and closes.
    let closer = controlled("closer", CLOSE);
    let good = controlled("good", OK);
    let pair = nginx_pair(|p| {
        http(
            &servers(&[closer.port, good.port], &[" max_fails=0", " max_fails=0"]),
            &location(
                p,
                "        location /ni/ { proxy_pass http://app; proxy_next_upstream error timeout non_idempotent; }\n        location / { proxy_pass http://app; }",
            ),
        )
    });
    let requests = [
        ("GET", "/a"),
        ("GET", "/b"),
        ("POST", "/c"),
        ("POST", "/d"),
        ("POST", "/ni/e"),
        ("POST", "/ni/f"),
    ];
    let run = |port| -> Vec<String> {
        requests
            .iter()
            .map(|(m, p)| who(&send(port, m, p, &[], None)))
            .collect()
    };
    let (n, l) = (run(pair.nginx), run(pair.lbc));
    assert_eq!(n, l);
    assert_eq!(&l[..2], ["200 good", "200 good"], "GET is retried");
    assert!(
        l[2..4].contains(&"502".to_string()),
        "a POST was retried: {l:?}"
    );
    assert_eq!(
        &l[4..],
        ["200 good", "200 good"],
        "non_idempotent retries POST"
    );
}

#[test]
fn every_server_failing_gives_502_and_a_timeout_504() {
    let hang = controlled("hang", HANG);
    let (dead1, dead2) = (free_port(), free_port());
    let pair = nginx_pair(|p| {
        format!(
            "events {{}}\nhttp {{\n    upstream dead {{\n{}\n    }}\n    upstream slow {{\n{}\n    }}\n{}\n}}\n",
            servers(&[dead1, dead2], &[]),
            servers(&[hang.port], &[]),
            location(
                p,
                "        location /slow/ { proxy_pass http://slow; proxy_read_timeout 1s; }\n        location / { proxy_pass http://dead; }"
            )
        )
    });
    for port in [pair.nginx, pair.lbc] {
        assert_eq!(get(port, "/x").0, 502);
        assert_eq!(get(port, "/x").0, 502, "no live upstreams");
        assert_eq!(
            get(port, "/slow/x").0,
            504,
            "nginx on {}",
            pair.nginx == port
        );
    }
}

fn haproxy(port: u16, extra_defaults: &str, backend: &str) -> String {
    format!(
        "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n{extra_defaults}\nfrontend fe\n    bind 127.0.0.1:{port}\n    default_backend be\nbackend be\n{backend}\n"
    )
}

fn haproxy_servers(ports: &[u16], extra: &[&str]) -> String {
    ports
        .iter()
        .enumerate()
        .zip(extra.iter().chain(std::iter::repeat(&"")))
        .map(|((i, p), e)| format!("    server s{i} 127.0.0.1:{p}{e}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn haproxy_roundrobin_static_rr_and_leastconn_sequences_like_haproxy() {
    let ports = [backend("a"), backend("b"), backend("c")];
    for weights in [[5, 1, 1], [4, 3, 2]] {
        for algo in ["roundrobin", "static-rr", "leastconn"] {
            let pair = haproxy_pair(|p| {
                let extra: Vec<String> = weights.iter().map(|w| format!(" weight {w}")).collect();
                let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
                haproxy(
                    p,
                    "",
                    &format!("    balance {algo}\n{}", haproxy_servers(&ports, &extra)),
                )
            });
            // Two whole cycles, one request at a time.
            let total = 2 * weights.iter().sum::<usize>();
            let n: Vec<String> = (0..total).map(|_| who(&get(pair.nginx, "/"))).collect();
            let l: Vec<String> = (0..total).map(|_| who(&get(pair.lbc, "/"))).collect();
            assert_eq!(n, l, "balance {algo} with weights {weights:?}");
            let a = l.iter().filter(|w| w.ends_with(" a")).count();
            if algo == "leastconn" {
                // Idle servers rotate in HAProxy's tree whatever their weights.
                assert_eq!(a, total.div_ceil(3), "{algo}");
            } else {
                assert_eq!(a, 2 * weights[0], "{algo}");
            }
        }
    }
}

#[test]
fn haproxy_hashes_map_like_haproxy() {
    let ports = [backend("a"), backend("b"), backend("c")];
    let hashes = [
        ("uri", ""),
        ("uri", "    hash-type map-based djb2\n"),
        ("uri", "    hash-type map-based crc32\n"),
        ("uri", "    hash-type consistent\n"),
        ("url_param id", "    hash-type map-based sdbm avalanche\n"),
        ("hdr(X-Tenant)", "    hash-type consistent djb2\n"),
        ("source", "    hash-type consistent\n"),
        ("url_param id", ""),
        ("hdr(X-Tenant)", ""),
        ("source", ""),
    ];
    for (algo, hash_type) in hashes {
        let pair = haproxy_pair(|p| {
            haproxy(
                p,
                "",
                &format!(
                    "    balance {algo}\n{hash_type}{}",
                    haproxy_servers(&ports, &[" weight 2"])
                ),
            )
        });
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..16u8 {
            let path = format!("/p/{i}?id=u{i}&x=1");
            let tenant = format!("t{i}");
            let headers = [("X-Tenant", tenant.as_str())];
            let src = Some(Ipv4Addr::new(127, 0, 0, 1 + i));
            let n = who(&send(pair.nginx, "GET", &path, &headers, src));
            let l = who(&send(pair.lbc, "GET", &path, &headers, src));
            assert_eq!(n, l, "balance {algo} {hash_type}: {path}");
            seen.insert(l);
        }
        assert!(seen.len() >= 2, "balance {algo}: {seen:?}");
    }
}

#[test]
fn haproxy_retries_then_redispatch() {
    let dead = free_port();
    let good = backend("good");
    for (redispatch, expected) in [("", "503"), ("    option redispatch\n", "200 good")] {
        let pair = haproxy_pair(|p| {
            haproxy(
                p,
                &format!("    retries 1\n{redispatch}"),
                &format!("    balance first\n{}", haproxy_servers(&[dead, good], &[])),
            )
        });
        let (n, l) = (get(pair.nginx, "/"), get(pair.lbc, "/"));
        assert_eq!(who(&n), who(&l), "{redispatch}");
        assert_eq!(who(&l), expected, "{redispatch}");
    }
}

#[test]
fn a_single_server_is_never_marked_down() {
    // upstream.t-style: with one server, max_fails/fail_timeout do not apply.
    let only = controlled("only", CLOSE);
    let pair = nginx_pair(|p| {
        http(
            &servers(&[only.port], &[" max_fails=1 fail_timeout=30s"]),
            &location(p, "        location / { proxy_pass http://app; }"),
        )
    });
    for port in [pair.nginx, pair.lbc] {
        only.set(CLOSE);
        assert_eq!(who(&get(port, "/")), "502");
        only.set(OK);
        assert_eq!(
            who(&get(port, "/")),
            "200 only",
            "nginx: {}",
            port == pair.nginx
        );
    }
}

#[test]
fn down_servers_take_nothing_and_keep_the_hash_mapping() {
    let ports = [backend("a"), backend("b"), backend("c")];
    for method in ["", "hash $request_uri;", "ip_hash;"] {
        let pair = nginx_pair(|p| {
            http(
                &format!("        {method}\n{}", servers(&ports, &["", " down"])),
                &location(p, "        location / { proxy_pass http://app; }"),
            )
        });
        for i in 0..12u8 {
            let path = format!("/k/{i}");
            let src = Some(Ipv4Addr::new(127, i + 1, 0, 1));
            let n = who(&send(pair.nginx, "GET", &path, &[], src));
            let l = who(&send(pair.lbc, "GET", &path, &[], src));
            assert_eq!(n, l, "{method} {path}");
            assert_ne!(l, "200 b", "{method}: a down server answered");
        }
    }
}

#[test]
fn next_upstream_tries_caps_the_attempts() {
    let dead = free_port();
    let good = backend("good");
    let pair = nginx_pair(|p| {
        http(
            &servers(&[dead, good], &[" max_fails=0"]),
            &location(
                p,
                "        location /once/ { proxy_pass http://app; proxy_next_upstream_tries 1; }\n        location / { proxy_pass http://app; }",
            ),
        )
    });
    let paths = ["/once/1", "/once/2", "/once/3", "/x", "/y"];
    let n: Vec<String> = paths.iter().map(|p| who(&get(pair.nginx, p))).collect();
    let l: Vec<String> = paths.iter().map(|p| who(&get(pair.lbc, p))).collect();
    assert_eq!(n, l);
    assert!(l[..3].contains(&"502".to_string()), "{l:?}");
    assert!(l[3..].iter().all(|w| w == "200 good"), "{l:?}");
}

#[test]
fn busy_servers_max_conns_and_least_conn_like_nginx() {
    // While one slow request holds server a, the others go to b: `max_conns=1` makes a full,
    // `least_conn` sees a busier than b. Plain round-robin would alternate.
    let a = controlled("a", SLOW);
    let b = controlled("b", OK);
    for (method, params) in [("", [" max_conns=1", ""]), ("least_conn;", ["", ""])] {
        let pair = nginx_pair(|p| {
            http(
                &format!("        {method}\n{}", servers(&[a.port, b.port], &params)),
                &location(p, "        location / { proxy_pass http://app; }"),
            )
        });
        // The first request of each goes to a (first in order) and stays there three seconds.
        let before = a.hits();
        let slow: Vec<_> = [pair.nginx, pair.lbc]
            .into_iter()
            .map(|port| thread::spawn(move || who(&get(port, "/slow"))))
            .collect();
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        while a.hits() < before + 2 && std::time::Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        let n: Vec<String> = (0..4).map(|_| who(&get(pair.nginx, "/"))).collect();
        let l: Vec<String> = (0..4).map(|_| who(&get(pair.lbc, "/"))).collect();
        let slow: Vec<String> = slow.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(slow, ["200 a", "200 a"], "{method}");
        assert_eq!(n, l, "{method} {params:?}");
        assert!(l.iter().all(|w| w == "200 b"), "{method} {params:?}: {l:?}");
    }
}

#[test]
fn haproxy_timeout_server_gives_504() {
    let hang = controlled("hang", HANG);
    let pair = haproxy_pair(|p| {
        haproxy(p, "", &haproxy_servers(&[hang.port], &[]))
            .replace("timeout server 5s", "timeout server 1s")
    });
    assert_eq!(get(pair.nginx, "/").0, 504);
    assert_eq!(get(pair.lbc, "/").0, 504);
}

#[test]
fn next_upstream_timeout_stops_the_tries() {
    let hang = controlled("hang", HANG);
    let good = controlled("good", OK);
    let pair = nginx_pair(|p| {
        http(
            &servers(&[hang.port, good.port], &[" max_fails=0", " max_fails=0"]),
            &location(
                p,
                "        proxy_read_timeout 1s;\n        location /nt/ { proxy_pass http://app; proxy_next_upstream_timeout 500ms; }\n        location / { proxy_pass http://app; }",
            ),
        )
    });
    let paths = ["/nt/1", "/nt/2", "/x", "/y"];
    let run = |port| -> Vec<String> { paths.iter().map(|p| who(&get(port, p))).collect() };
    let (n, l) = (run(pair.nginx), run(pair.lbc));
    assert_eq!(n, l);
    assert_eq!(l, ["504", "200 good", "200 good", "200 good"]);
}

#[test]
fn haproxy_backups_first_one_or_all_like_haproxy() {
    let ports = [backend("a"), backend("b1"), backend("b2")];
    for (algo, option) in [
        ("roundrobin", ""),
        ("roundrobin", "    option allbackups\n"),
        ("static-rr", "    option allbackups\n"),
    ] {
        let pair = haproxy_pair(|p| {
            haproxy(
                p,
                "",
                &format!(
                    "    balance {algo}\n{option}{}",
                    haproxy_servers(&ports, &[" disabled", " backup", " backup"])
                ),
            )
        });
        let n: Vec<String> = (0..4).map(|_| who(&get(pair.nginx, "/"))).collect();
        let l: Vec<String> = (0..4).map(|_| who(&get(pair.lbc, "/"))).collect();
        assert_eq!(n, l, "{algo} {option}");
        let both = l.contains(&"200 b1".to_string()) && l.contains(&"200 b2".to_string());
        assert_eq!(both, !option.is_empty(), "{algo} {option}: {l:?}");
    }
}

#[test]
fn failures_within_fail_timeout_accumulate_like_upstream_t() {
    // upstream.t "failures": the first server drops every third request; with max_fails=3 its
    // third failure (its ninth request) takes it out for fail_timeout, so of 30 requests it
    // answers 6 and the second server 24. Each proxy gets its own pair of backends.
    let conf = |listen: u16, ports: [u16; 2]| {
        http(
            &servers(
                &ports,
                &[
                    " max_fails=3 fail_timeout=10s",
                    " max_fails=3 fail_timeout=10s",
                ],
            ),
            &location(listen, "        location / { proxy_pass http://app; }"),
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let mut counts = Vec::new();
    for real in [true, false] {
        let (first, second) = (controlled("p1", EVERY_THIRD_CLOSES), controlled("p2", OK));
        let port = free_port();
        let text = conf(port, [first.port, second.port]);
        let _proc = if real {
            start_nginx(&text, dir.path())
        } else {
            start_lbc(&text, dir.path())
        };
        wait_ready(port);
        let answers: Vec<String> = (0..30).map(|_| who(&get(port, "/close"))).collect();
        let count = |name: &str| answers.iter().filter(|w| *w == name).count();
        counts.push((count("200 p1"), count("200 p2")));
    }
    assert_eq!(counts[0], counts[1], "nginx, lbc");
    assert_eq!(counts[1], (6, 24));
}

#[test]
fn a_404_does_not_count_as_a_failure_but_a_500_does() {
    // proxy_next_upstream.t: with `http_500 http_404`, requests fall back to the server that
    // answers; after 404s the first server still takes `/ok`, after a 500 it is down.
    let x = controlled("x", BY_PATH);
    let y = controlled("y", OK);
    let pair = nginx_pair(|p| {
        http(
            &servers(&[x.port, y.port], &[]),
            &location(
                p,
                "        location / { proxy_pass http://app; proxy_next_upstream http_500 http_404; }",
            ),
        )
    });
    let paths = ["/", "/", "/ok", "/ok", "/500", "/500", "/ok", "/ok"];
    let run = |port| -> Vec<String> { paths.iter().map(|p| who(&get(port, p))).collect() };
    let (n, l) = (run(pair.nginx), run(pair.lbc));
    assert_eq!(n, l);
    assert_eq!(&l[..2], ["200 y", "200 y"]);
    assert!(
        l[2..4].contains(&"200 x".to_string()),
        "x is not down after 404s: {l:?}"
    );
    assert_eq!(
        &l[4..],
        ["200 y", "200 y", "200 y", "200 y"],
        "x is down after a 500"
    );
}
