//! Upstream connection handling of `lbc serve` against real nginx, each over its own keep-alive
//! backend (std-only, counting the connections it accepts and holds): with `keepalive N` the
//! upstream connections are reused across requests and at most N idle ones are kept; without it
//! every request opens its own; a kept-alive connection the backend closes between requests, or
//! that fails before answering, is replaced transparently (no 502), as nginx does.

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use common::serve::{free_port, start_lbc, start_nginx, wait_ready, IO_TIMEOUT};

/// How a keep-alive backend treats the requests of one connection.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Answers every request, keeping the connection.
    Keep,
    /// Answers the first request, then closes the connection a moment later.
    CloseAfterFirst,
    /// Answers the first request; reads the second and closes without answering.
    DropSecond,
    /// Answers every request after a pause.
    Slow,
}

/// A backend counting the connections it accepted and those still open.
#[derive(Clone)]
struct Backend {
    port: u16,
    accepted: Arc<AtomicUsize>,
    open: Arc<AtomicUsize>,
}

fn backend(name: &'static str, mode: Mode) -> Backend {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let b = Backend {
        port: listener.local_addr().unwrap().port(),
        accepted: Arc::new(AtomicUsize::new(0)),
        open: Arc::new(AtomicUsize::new(0)),
    };
    let (accepted, open) = (b.accepted.clone(), b.open.clone());
    thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            accepted.fetch_add(1, Ordering::SeqCst);
            open.fetch_add(1, Ordering::SeqCst);
            let open = open.clone();
            thread::spawn(move || {
                serve_keepalive(name, mode, conn);
                open.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    b
}

fn serve_keepalive(name: &str, mode: Mode, mut conn: TcpStream) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    for n in 1.. {
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            match conn.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(k) => buf.extend_from_slice(&chunk[..k]),
            }
        }
        let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        buf.drain(..end);
        if mode == Mode::DropSecond && n == 2 {
            return;
        }
        if mode == Mode::Slow {
            thread::sleep(Duration::from_millis(300));
        }
        let path = head.split_whitespace().nth(1).unwrap_or("?");
        let body = format!("{name} {path}");
        let reply = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        if conn.write_all(reply.as_bytes()).is_err() {
            return;
        }
        if mode == Mode::CloseAfterFirst {
            thread::sleep(Duration::from_millis(50));
            return;
        }
    }
}

/// One `GET` on a fresh client connection: (status, body).
fn get(port: u16, path: &str) -> (u16, String) {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut conn = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
    conn.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    conn.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = conn.read_to_end(&mut raw);
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let Some((head, body)) = raw.split_once("\r\n\r\n") else {
        return (0, raw);
    };
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, body.to_string())
}

/// The same configuration for nginx and lbc, each with its own backend.
fn conf(port: u16, backend: u16, keepalive: &str) -> String {
    format!(
        "worker_processes 1;\nevents {{ worker_connections 1024; }}\n\
         http {{ access_log off;\n\
           upstream pool {{ server 127.0.0.1:{backend}; {keepalive} }}\n\
           server {{ listen 127.0.0.1:{port};\n\
             location / {{ proxy_pass http://pool; proxy_http_version 1.1;\n\
                           proxy_set_header Connection \"\"; }} }} }}\n"
    )
}

/// Starts nginx and lbc over backends of `mode`: (nginx port, lbc port, nginx's backend,
/// lbc's backend, the guards).
fn pair(
    mode: Mode,
    keepalive: &str,
    dir: &tempfile::TempDir,
) -> (u16, u16, Backend, Backend, Vec<common::serve::Guard>) {
    let (bn, bl) = (backend("n", mode), backend("l", mode));
    let (pn, pl) = (free_port(), free_port());
    let nginx_dir = dir.path().join("nginx");
    std::fs::create_dir_all(&nginx_dir).unwrap();
    let guards = vec![
        start_nginx(&conf(pn, bn.port, keepalive), &nginx_dir),
        start_lbc(&conf(pl, bl.port, keepalive), dir.path()),
    ];
    wait_ready(pn);
    wait_ready(pl);
    (pn, pl, bn, bl, guards)
}

/// The body without the backend's name, which differs between the two.
fn path_of(body: &str) -> &str {
    body.split_once(' ').map_or(body, |(_, p)| p)
}

#[test]
fn keepalive_reuses_upstream_connections() {
    let dir = tempfile::tempdir().unwrap();
    let (pn, pl, bn, bl, _g) = pair(Mode::Keep, "keepalive 8;", &dir);
    for i in 0..20 {
        let path = format!("/r{i}");
        let (n, l) = (get(pn, &path), get(pl, &path));
        assert_eq!((n.0, path_of(&n.1)), (200, path.as_str()));
        assert_eq!((l.0, path_of(&l.1)), (200, path.as_str()));
    }
    assert_eq!(bn.accepted.load(Ordering::SeqCst), 1, "nginx reuses one");
    assert_eq!(bl.accepted.load(Ordering::SeqCst), 1, "lbc reuses one too");
}

#[test]
fn without_keepalive_every_request_opens_a_connection() {
    let dir = tempfile::tempdir().unwrap();
    let (pn, pl, bn, bl, _g) = pair(Mode::Keep, "", &dir);
    for i in 0..10 {
        let path = format!("/r{i}");
        assert_eq!(get(pn, &path).0, 200);
        assert_eq!(get(pl, &path).0, 200);
    }
    assert_eq!(bn.accepted.load(Ordering::SeqCst), 10);
    assert_eq!(bl.accepted.load(Ordering::SeqCst), 10);
    // Nothing is kept open afterwards.
    thread::sleep(Duration::from_millis(300));
    assert_eq!(bl.open.load(Ordering::SeqCst), 0);
}

#[test]
fn a_cached_connection_closed_by_the_backend_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let (pn, pl, bn, bl, _g) = pair(Mode::CloseAfterFirst, "keepalive 8;", &dir);
    for i in 0..5 {
        let path = format!("/r{i}");
        let (n, l) = (get(pn, &path), get(pl, &path));
        assert_eq!(n.0, 200, "nginx: {n:?}");
        assert_eq!(l.0, 200, "lbc: {l:?}");
        // The backend's close reaches the proxy before the next request.
        thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(bn.accepted.load(Ordering::SeqCst), 5);
    assert_eq!(bl.accepted.load(Ordering::SeqCst), 5);
}

#[test]
fn a_cached_connection_failing_before_the_answer_is_retried_not_502() {
    let dir = tempfile::tempdir().unwrap();
    let (pn, pl, bn, bl, _g) = pair(Mode::DropSecond, "keepalive 8;", &dir);
    for i in 0..4 {
        let path = format!("/r{i}");
        let (n, l) = (get(pn, &path), get(pl, &path));
        assert_eq!(n.0, 200, "nginx: {n:?}");
        assert_eq!((l.0, path_of(&l.1)), (200, path.as_str()), "lbc: {l:?}");
    }
    // Each second request fails on the cached connection and goes to a new one.
    assert_eq!(bn.accepted.load(Ordering::SeqCst), 4);
    assert_eq!(bl.accepted.load(Ordering::SeqCst), 4);
    // Not counted as a failure: the server stays in use (a failure with max_fails=1 would
    // not take a single server out, so check the log too).
    let log = std::fs::read_to_string(dir.path().join("lbc.log")).unwrap();
    assert!(!log.contains("failed"), "{log}");
}

#[test]
fn keepalive_bounds_the_idle_connections() {
    let dir = tempfile::tempdir().unwrap();
    let (pn, pl, bn, bl, _g) = pair(Mode::Slow, "keepalive 2;", &dir);
    for port in [pn, pl] {
        let clients: Vec<_> = (0..6)
            .map(|i| thread::spawn(move || get(port, &format!("/c{i}"))))
            .collect();
        for c in clients {
            assert_eq!(c.join().unwrap().0, 200);
        }
    }
    thread::sleep(Duration::from_millis(500));
    assert_eq!(bn.accepted.load(Ordering::SeqCst), 6);
    assert_eq!(bl.accepted.load(Ordering::SeqCst), 6);
    assert_eq!(bn.open.load(Ordering::SeqCst), 2, "nginx keeps two");
    assert_eq!(bl.open.load(Ordering::SeqCst), 2, "lbc keeps two");
}
