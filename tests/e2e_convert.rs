//! End-to-end equivalence on loopback: each config in `fixtures/e2e/` runs in the real proxy it
//! was written for and, converted by `lbc convert`, in the other one; both face the same small
//! std-only HTTP backends, get the same requests, and must give the same status, body and backend
//! choice (the same counts per backend over a full round-robin cycle). Fails, rather than
//! skipping, when nginx or haproxy is missing; the test command installs both.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

mod common;

use common::serve::free_port;

/// How long any single socket operation may take.
const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a proxy may take to start accepting connections.
const START_TIMEOUT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------------
// Backends

/// A std-only HTTP server on 127.0.0.1 answering every request with `200 OK` and the body
/// `NAME PATH`, so both the backend choice and the forwarded path can be seen. Dropping it stops
/// the listener, which is how a test kills a backend.
struct Backend {
    name: &'static str,
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Backend {
    fn start(name: &'static str) -> Backend {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = thread::spawn(move || {
            for conn in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    thread::spawn(move || serve_one(name, conn));
                }
            }
        });
        Backend {
            name,
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag and drops the listener.
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let woken = TcpStream::connect_timeout(&addr, IO_TIMEOUT).is_ok();
        // Without the wake-up connection the accept loop may never return: leave it detached
        // rather than hang the test.
        if let Some(t) = self.thread.take().filter(|_| woken) {
            let _ = t.join();
        }
    }
}

/// Answers one request on `conn`; a connection that sends nothing (a health check, a readiness
/// probe through a TCP proxy) is closed after the read timeout.
fn serve_one(name: &str, mut conn: TcpStream) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = conn.set_write_timeout(Some(IO_TIMEOUT));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 65536 {
        match conn.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let head = String::from_utf8_lossy(&buf);
    let path = head.split_whitespace().nth(1).unwrap_or("?");
    let body = format!("{name} {path}");
    let reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = conn.write_all(reply.as_bytes());
    let _ = conn.shutdown(Shutdown::Write);
}

// ---------------------------------------------------------------------------------------------
// Proxies

/// The two proxies under test.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Nginx,
    Haproxy,
}

/// A running proxy, killed and reaped when dropped (also when the test panics).
struct Proxy {
    kind: Kind,
    port: u16,
    child: Child,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proxy {
    /// Starts `kind` on `template` (a fixture of that kind's own format); `convert_from` names the
    /// fixture's format when it must first go through `lbc convert`. The listen port is chosen
    /// here and retried on a clash.
    fn start(
        kind: Kind,
        fixture: &str,
        convert_from: Option<Kind>,
        backends: &[&Backend],
    ) -> Proxy {
        let template = std::fs::read_to_string(root().join("fixtures/e2e").join(fixture)).unwrap();
        let mut failures = Vec::new();
        for _ in 0..3 {
            let dir = tempfile::tempdir().unwrap();
            let port = free_port();
            let mut text = render(&template, port, backends);
            if let Some(from) = convert_from {
                text = convert(&text, from, kind, dir.path());
            }
            let (child, log) = spawn(kind, &text, dir.path());
            let mut proxy = Proxy {
                kind,
                port,
                child,
                log,
                _dir: dir,
            };
            match proxy.wait_ready() {
                Ok(()) => return proxy,
                Err(e) => failures.push(format!("{e}\nconfig:\n{text}\nlog:\n{}", proxy.log())),
            }
        }
        panic!(
            "{kind:?} did not start on {fixture}:\n{}",
            failures.join("\n---\n")
        );
    }

    /// Waits until the proxy accepts connections, or fails when it exits or takes too long.
    fn wait_ready(&mut self) -> Result<(), String> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("exited with {status}"));
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                // Something else could hold the port and answer while this proxy fails to bind
                // it; a proxy that failed exits at once, so check that it is still running.
                thread::sleep(Duration::from_millis(200));
                return match self.child.try_wait() {
                    Ok(None) => Ok(()),
                    Ok(Some(status)) => Err(format!("exited with {status}")),
                    Err(e) => Err(e.to_string()),
                };
            }
            thread::sleep(Duration::from_millis(50));
        }
        Err("not accepting connections".to_string())
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `GET path` through this proxy from 127.0.0.1, or from `source` when given.
    fn get(&self, path: &str, source: Option<Ipv4Addr>) -> Reply {
        http_get(self.port, path, source)
            .unwrap_or_else(|e| panic!("{:?} GET {path}: {e}\nlog:\n{}", self.kind, self.log()))
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Fills `@LISTEN@` and `@A@`, `@B@`, … (the backends in order) into a fixture.
fn render(template: &str, listen: u16, backends: &[&Backend]) -> String {
    let mut text = template.replace("@LISTEN@", &listen.to_string());
    for (b, letter) in backends.iter().zip(["@A@", "@B@", "@C@", "@D@"]) {
        text = text.replace(letter, &b.port.to_string());
    }
    assert!(!text.contains('@'), "unfilled placeholder in\n{text}");
    text
}

/// Runs the built `lbc convert` on `text` (a `from` config) to the `to` format.
fn convert(text: &str, from: Kind, to: Kind, dir: &Path) -> String {
    let input = dir.join(match from {
        Kind::Nginx => "original.conf",
        Kind::Haproxy => "original.cfg",
    });
    std::fs::write(&input, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lbc"))
        .arg("convert")
        .arg(&input)
        .arg("--to")
        .arg(match to {
            Kind::Nginx => "nginx",
            Kind::Haproxy => "haproxy",
        })
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "lbc convert failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Starts `kind` in the foreground on `text`, logging to a file in `dir`.
fn spawn(kind: Kind, text: &str, dir: &Path) -> (Child, PathBuf) {
    let log = dir.join("error.log");
    let mut cmd = match kind {
        Kind::Nginx => {
            let conf = dir.join("nginx.conf");
            std::fs::write(&conf, text).unwrap();
            std::fs::create_dir_all(dir.join("logs")).unwrap();
            let mut globals = format!(
                "daemon off; master_process off; pid {}/nginx.pid;",
                dir.display()
            );
            if text.contains("stream {") {
                globals =
                    format!("load_module /usr/lib/nginx/modules/ngx_stream_module.so; {globals}");
            }
            let mut cmd = Command::new("nginx");
            cmd.arg("-p")
                .arg(format!("{}/", dir.display()))
                .arg("-c")
                .arg(&conf)
                .arg("-e")
                .arg(&log)
                .arg("-g")
                .arg(globals);
            cmd
        }
        Kind::Haproxy => {
            let conf = dir.join("haproxy.cfg");
            std::fs::write(&conf, text).unwrap();
            let mut cmd = Command::new("haproxy");
            cmd.arg("-f").arg(&conf).arg("-db");
            cmd.stderr(std::fs::File::create(&log).unwrap());
            cmd
        }
    };
    cmd.stdin(Stdio::null()).stdout(Stdio::null());
    if kind == Kind::Nginx {
        cmd.stderr(std::fs::File::create(dir.join("stderr.log")).unwrap());
    }
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("{kind:?} is installed (the test command installs it): {e}"));
    (child, log)
}

// ---------------------------------------------------------------------------------------------
// Client

/// What a proxy answered: status and body. The backend is the body's first word.
#[derive(Debug, PartialEq, Eq)]
struct Reply {
    status: u16,
    body: String,
}

impl Reply {
    fn backend(&self) -> &str {
        self.body.split(' ').next().unwrap_or("")
    }
}

/// One `GET` on a fresh connection, optionally bound to a 127.x.y.z source address first.
fn http_get(port: u16, path: &str, source: Option<Ipv4Addr>) -> Result<Reply, String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut conn = match source {
        None => TcpStream::connect_timeout(&addr, IO_TIMEOUT).map_err(|e| e.to_string())?,
        Some(ip) => {
            let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
                .map_err(|e| e.to_string())?;
            sock.bind(&SocketAddr::from((ip, 0)).into())
                .map_err(|e| format!("bind {ip}: {e}"))?;
            sock.connect_timeout(&addr.into(), IO_TIMEOUT)
                .map_err(|e| e.to_string())?;
            sock.into()
        }
    };
    conn.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    conn.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    conn.write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("no header end in {raw:?}"))?;
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return Err(format!("unexpected chunked reply {raw:?}"));
    }
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status in {raw:?}"))?;
    Ok(Reply {
        status,
        body: body.to_string(),
    })
}

// ---------------------------------------------------------------------------------------------
// Checks

/// Runs `fixture` in its own proxy (`original`) and, converted, in the other one.
fn both(fixture: &str, original: Kind, backends: &[&Backend]) -> (Proxy, Proxy) {
    let other = match original {
        Kind::Nginx => Kind::Haproxy,
        Kind::Haproxy => Kind::Nginx,
    };
    let a = Proxy::start(original, fixture, None, backends);
    let b = Proxy::start(other, fixture, Some(original), backends);
    (a, b)
}

/// Each `(path, expected body)` gives that `200` reply through both proxies.
fn assert_same_replies(proxies: &(Proxy, Proxy), cases: &[(&str, &str)]) {
    for (path, body) in cases {
        let expected = Reply {
            status: 200,
            body: body.to_string(),
        };
        for p in [&proxies.0, &proxies.1] {
            assert_eq!(p.get(path, None), expected, "{:?} GET {path}", p.kind);
        }
    }
}

/// Requests per backend over `n` fresh connections.
fn distribution(p: &Proxy, n: usize) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for _ in 0..n {
        let r = p.get("/", None);
        assert_eq!(r.status, 200, "{:?}: {r:?}", p.kind);
        *counts.entry(r.backend().to_string()).or_insert(0) += 1;
    }
    counts
}

/// Both proxies spread `n` requests as `expected` (backend name → count).
fn assert_same_distribution(proxies: &(Proxy, Proxy), n: usize, expected: &[(&str, usize)]) {
    let expected: BTreeMap<String, usize> =
        expected.iter().map(|(b, c)| (b.to_string(), *c)).collect();
    for p in [&proxies.0, &proxies.1] {
        assert_eq!(distribution(p, n), expected, "{:?}", p.kind);
    }
}

/// Sends `GET /` through `p` until the backend is `name`, for at most `limit`.
fn wait_for_backend(p: &Proxy, name: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if http_get(p.port, "/", None).is_ok_and(|r| r.status == 200 && r.backend() == name) {
            return;
        }
        thread::sleep(Duration::from_millis(100));
    }
    panic!("{:?} never answered from {name}\nlog:\n{}", p.kind, p.log());
}

// ---------------------------------------------------------------------------------------------
// Cases: nginx originals

#[test]
fn path_routing_edu_vod() {
    let (a, b, c) = (
        Backend::start("A"),
        Backend::start("B"),
        Backend::start("C"),
    );
    let proxies = both("path_routing.nginx.conf", Kind::Nginx, &[&a, &b, &c]);
    assert_same_replies(
        &proxies,
        &[
            ("/edu/intro", "A /edu/intro"),
            ("/x/edu/y", "A /x/edu/y"),
            ("/vod/42.mp4", "B /vod/42.mp4"),
            ("/", "C /"),
            ("/other/page?q=1", "C /other/page?q=1"),
        ],
    );
}

#[test]
fn round_robin_pool_of_three() {
    let (a, b, c) = (
        Backend::start("A"),
        Backend::start("B"),
        Backend::start("C"),
    );
    let proxies = both("round_robin.nginx.conf", Kind::Nginx, &[&a, &b, &c]);
    assert_same_distribution(&proxies, 3 * 4, &[("A", 4), ("B", 4), ("C", 4)]);
}

#[test]
fn weighted_pool_three_to_one() {
    let (a, b) = (Backend::start("A"), Backend::start("B"));
    let proxies = both("weighted.nginx.conf", Kind::Nginx, &[&a, &b]);
    assert_same_distribution(&proxies, 4 * 5, &[("A", 15), ("B", 5)]);
}

#[test]
fn ip_hash_is_sticky_per_client() {
    let (a, b, c) = (
        Backend::start("A"),
        Backend::start("B"),
        Backend::start("C"),
    );
    let proxies = both("ip_hash.nginx.conf", Kind::Nginx, &[&a, &b, &c]);
    // nginx hashes the first three octets, HAProxy the whole address: the clients differ in the
    // second and third octets so that both see distinct clients. The mappings may differ.
    let clients: Vec<Ipv4Addr> = (1..=8u8)
        .map(|i| Ipv4Addr::new(127, i, i.wrapping_mul(37), 1 + i))
        .collect();
    for p in [&proxies.0, &proxies.1] {
        let mut chosen = BTreeSet::new();
        for &ip in &clients {
            let seen: BTreeSet<String> = (0..4)
                .map(|_| {
                    let r = p.get("/", Some(ip));
                    assert_eq!(r.status, 200, "{:?} from {ip}: {r:?}", p.kind);
                    r.backend().to_string()
                })
                .collect();
            assert_eq!(seen.len(), 1, "{:?}: client {ip} moved: {seen:?}", p.kind);
            chosen.extend(seen);
        }
        // Deterministic for these addresses; guards against everything going to one backend.
        assert!(chosen.len() >= 2, "{:?}: all clients on {chosen:?}", p.kind);
    }
}

#[test]
fn backup_takes_over_when_primary_dies() {
    let (primary, backup) = (Backend::start("A"), Backend::start("B"));
    let proxies = both("backup.nginx.conf", Kind::Nginx, &[&primary, &backup]);
    assert_same_distribution(&proxies, 4, &[("A", 4)]);
    drop(primary);
    // HAProxy needs a failed health check (every second) before it switches; nginx switches on
    // the first refused connection.
    for p in [&proxies.0, &proxies.1] {
        wait_for_backend(p, backup.name, Duration::from_secs(15));
    }
    assert_same_distribution(&proxies, 4, &[("B", 4)]);
}

#[test]
fn static_answered_by_proxy_dynamic_proxied() {
    let app = Backend::start("A");
    let proxies = both("static_dynamic.nginx.conf", Kind::Nginx, &[&app]);
    assert_same_replies(
        &proxies,
        &[
            ("/site.css", "static"),
            ("/js/app.js", "static"),
            ("/index.html", "A /index.html"),
            ("/api/users", "A /api/users"),
        ],
    );
}

#[test]
fn stream_tcp_pool_of_three() {
    let (a, b, c) = (
        Backend::start("A"),
        Backend::start("B"),
        Backend::start("C"),
    );
    let proxies = both("stream_pool.nginx.conf", Kind::Nginx, &[&a, &b, &c]);
    // The readiness probe took a turn, so only whole cycles are compared.
    assert_same_distribution(&proxies, 3 * 4, &[("A", 4), ("B", 4), ("C", 4)]);
    for p in [&proxies.0, &proxies.1] {
        let r = p.get("/through/tcp", None);
        assert_eq!(r.status, 200, "{:?}: {r:?}", p.kind);
        assert!(r.body.ends_with(" /through/tcp"), "{:?}: {r:?}", p.kind);
    }
}

// ---------------------------------------------------------------------------------------------
// Cases: HAProxy originals

#[test]
fn haproxy_path_acl_and_round_robin() {
    let backends = [
        Backend::start("A"),
        Backend::start("B"),
        Backend::start("C"),
        Backend::start("D"),
    ];
    let refs: Vec<&Backend> = backends.iter().collect();
    let proxies = both("path_acl.haproxy.cfg", Kind::Haproxy, &refs);
    assert_same_replies(&proxies, &[("/api/v1", "D /api/v1"), ("/api/", "D /api/")]);
    assert_same_distribution(&proxies, 3 * 3, &[("A", 3), ("B", 3), ("C", 3)]);
}

#[test]
fn haproxy_weighted_round_robin() {
    let (a, b) = (Backend::start("A"), Backend::start("B"));
    let proxies = both("weighted.haproxy.cfg", Kind::Haproxy, &[&a, &b]);
    assert_same_distribution(&proxies, 4 * 5, &[("A", 15), ("B", 5)]);
}
