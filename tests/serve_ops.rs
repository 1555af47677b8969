//! Operating `lbc serve`: SIGHUP and `--reload` swap the tables without failing a request
//! (fresh and kept-alive connections alike), an invalid new configuration keeps the old one
//! serving, reloads bind and close listeners, SIGTERM drains (the request in flight completes,
//! idle keep-alive connections do not hold the exit), SIGQUIT stops at once, `/metrics` counts,
//! and the HAProxy statistics page answers like HAProxy's (auth challenge, page).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::serve::{backend, free_port, get, start_haproxy, wait_ready, Guard, IO_TIMEOUT};

/// Generous: the machine running the tests may be busy.
const PATIENCE: Duration = Duration::from_secs(15);

fn nginx_config(listen: u16, backend: u16) -> String {
    format!(
        "events {{}}\nhttp {{\n    upstream app {{ server 127.0.0.1:{backend}; }}\n    server {{\n        listen 127.0.0.1:{listen};\n        location = /moved {{ return 301 http://example.com/; }}\n        location /missing {{ return 404; }}\n        location / {{ proxy_pass http://app; }}\n    }}\n}}\n"
    )
}

/// A running `lbc serve` with its own pid file and log.
struct Lbc {
    guard: Guard,
    conf: PathBuf,
    pid_file: PathBuf,
    log: PathBuf,
}

impl Lbc {
    fn start(dir: &Path, text: &str, extra: &[&str]) -> Lbc {
        let conf = dir.join("lbc.conf");
        std::fs::write(&conf, text).unwrap();
        let pid_file = dir.join("lbc.pid");
        let log = dir.join("lbc.log");
        let child = Command::new(env!("CARGO_BIN_EXE_lbc"))
            .arg("serve")
            .arg(&conf)
            .arg("--pid-file")
            .arg(&pid_file)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Lbc {
            guard: Guard(child),
            conf,
            pid_file,
            log,
        }
    }

    fn pid(&self) -> u32 {
        self.guard.0.id()
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.pid().to_string())
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{sig}");
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log shows `needle` `n` times.
    fn wait_log(&self, needle: &str, n: usize) {
        let deadline = Instant::now() + PATIENCE;
        while self.log().matches(needle).count() < n {
            assert!(
                Instant::now() < deadline,
                "no {needle:?} in:\n{}",
                self.log()
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the process to exit; how long it took.
    fn wait_exit(&mut self) -> Duration {
        let start = Instant::now();
        loop {
            if let Some(status) = self.guard.0.try_wait().unwrap() {
                assert!(status.success(), "{status}\n{}", self.log());
                return start.elapsed();
            }
            assert!(start.elapsed() < PATIENCE, "still running:\n{}", self.log());
            thread::sleep(Duration::from_millis(20));
        }
    }
}

/// One `GET` on a fresh connection, without panicking: (status, body).
fn try_get(port: u16, path: &str) -> Result<(u16, String), String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut conn = TcpStream::connect_timeout(&addr, IO_TIMEOUT).map_err(|e| e.to_string())?;
    conn.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    conn.write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").ok_or(format!("cut: {raw:?}"))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or(format!("no status: {head:?}"))?;
    Ok((status, body.to_string()))
}

/// A kept-alive client connection: requests one after another on the same socket.
struct KeepAlive {
    reader: BufReader<TcpStream>,
}

/// One response: status, lower-cased headers, body.
type Reply = (u16, Vec<(String, String)>, String);

impl KeepAlive {
    fn open(port: u16) -> KeepAlive {
        let conn = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
        conn.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        KeepAlive {
            reader: BufReader::new(conn),
        }
    }

    fn request(&mut self, path: &str, extra: &str) -> Result<Reply, String> {
        self.send(&format!(
            "GET {path} HTTP/1.1\r\nHost: localhost\r\n{extra}\r\n"
        ))?;
        self.reply()
    }

    fn send(&mut self, raw: &str) -> Result<(), String> {
        self.reader
            .get_mut()
            .write_all(raw.as_bytes())
            .map_err(|e| e.to_string())
    }

    fn reply(&mut self) -> Result<Reply, String> {
        let mut line = String::new();
        self.reader
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or(format!("no status line: {line:?}"))?;
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            self.reader.read_line(&mut h).map_err(|e| e.to_string())?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let chunked = header(&headers, "transfer-encoding") == Some("chunked");
        let body = if chunked {
            self.chunked_body()?
        } else {
            let len: usize = header(&headers, "content-length")
                .and_then(|v| v.parse().ok())
                .ok_or("no content-length")?;
            let mut body = vec![0; len];
            self.reader
                .read_exact(&mut body)
                .map_err(|e| e.to_string())?;
            body
        };
        Ok((status, headers, String::from_utf8_lossy(&body).into_owned()))
    }
}

impl KeepAlive {
    fn chunked_body(&mut self) -> Result<Vec<u8>, String> {
        let mut body = Vec::new();
        loop {
            let mut size = String::new();
            self.reader
                .read_line(&mut size)
                .map_err(|e| e.to_string())?;
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|e| format!("chunk size {size:?}: {e}"))?;
            let mut chunk = vec![0; size + 2];
            self.reader
                .read_exact(&mut chunk)
                .map_err(|e| e.to_string())?;
            if size == 0 {
                return Ok(body);
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A backend that reports each request on `seen`, then waits `delay` before answering.
fn slow_backend(delay: Duration) -> (u16, mpsc::Receiver<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let tx = tx.lock().unwrap().clone();
            thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf);
                let _ = tx.send(());
                thread::sleep(delay);
                let _ = conn.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nslow",
                );
            });
        }
    });
    (port, rx)
}

#[test]
fn sighup_swaps_the_tables_and_no_request_fails() {
    let (a, b) = (backend("a"), backend("b"));
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let lbc = Lbc::start(dir.path(), &nginx_config(port, a), &[]);
    wait_ready(port);
    assert_eq!(get(port, "/x").1, "a /x");

    // Two clients run across the reload: fresh connections, and one kept-alive connection.
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen_b = Arc::new(AtomicUsize::new(0));
    let total = Arc::new(AtomicUsize::new(0));
    let fresh = {
        let (stop, failures, seen_b, total) = (
            stop.clone(),
            failures.clone(),
            seen_b.clone(),
            total.clone(),
        );
        thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match try_get(port, "/x") {
                    Ok((200, body)) if body == "a /x" => {}
                    Ok((200, body)) if body == "b /x" => {
                        seen_b.fetch_add(1, Ordering::Relaxed);
                    }
                    other => failures.lock().unwrap().push(format!("{other:?}")),
                }
                total.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let kept = {
        let (stop, failures) = (stop.clone(), failures.clone());
        thread::spawn(move || {
            let mut conn = KeepAlive::open(port);
            let mut bodies = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                match conn.request("/k", "") {
                    Ok((200, _, body)) => bodies.push(body),
                    other => {
                        failures.lock().unwrap().push(format!("kept: {other:?}"));
                        break;
                    }
                }
            }
            bodies
        })
    };
    while total.load(Ordering::Relaxed) < 20 {
        thread::sleep(Duration::from_millis(10));
    }
    std::fs::write(&lbc.conf, nginx_config(port, b)).unwrap();
    lbc.signal("HUP");
    lbc.wait_log("lbc serve: reloaded", 1);
    let deadline = Instant::now() + PATIENCE;
    while seen_b.load(Ordering::Relaxed) < 20 {
        assert!(
            Instant::now() < deadline,
            "no answer from b after the reload"
        );
        thread::sleep(Duration::from_millis(10));
    }
    stop.store(true, Ordering::Relaxed);
    fresh.join().unwrap();
    let bodies = kept.join().unwrap();
    assert_eq!(*failures.lock().unwrap(), Vec::<String>::new());
    // The kept-alive connection moved to the new tables on its next request.
    assert_eq!(bodies.first().map(String::as_str), Some("a /k"));
    assert_eq!(bodies.last().map(String::as_str), Some("b /k"));
    assert_eq!(get(port, "/y").1, "b /y");
}

#[test]
fn an_invalid_new_configuration_keeps_the_old_one_serving() {
    let (a, b) = (backend("a"), backend("b"));
    let dir = tempfile::tempdir().unwrap();
    let (port, admin) = (free_port(), free_port());
    let lbc = Lbc::start(
        dir.path(),
        &nginx_config(port, a),
        &["--admin", &format!("127.0.0.1:{admin}")],
    );
    wait_ready(port);
    // A syntax error, then a configuration lbc parses but cannot serve.
    let broken = [
        nginx_config(port, b).replace("location / {", "location / {{"),
        nginx_config(port, b).replace("upstream app {", "upstream app { ip_hash_typo;"),
    ];
    for (i, text) in broken.iter().enumerate() {
        std::fs::write(&lbc.conf, text).unwrap();
        lbc.signal("HUP");
        lbc.wait_log("reload rejected", i + 1);
        assert_eq!(get(port, "/x"), (200, "a /x".to_string()));
    }
    let log = lbc.log();
    assert!(log.contains("serve/unsupported"), "{log}");
    assert!(log.contains("ip_hash_typo"), "{log}");
    let metrics = get(admin, "/metrics").1;
    assert!(
        metrics.contains("lbc_reloads_total{result=\"failed\"} 2\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("lbc_reloads_total{result=\"ok\"} 0\n"),
        "{metrics}"
    );
}

#[test]
fn reload_via_the_pid_file_binds_new_listeners_and_closes_removed_ones() {
    let a = backend("a");
    let dir = tempfile::tempdir().unwrap();
    let (old_port, new_port) = (free_port(), free_port());
    let lbc = Lbc::start(dir.path(), &nginx_config(old_port, a), &[]);
    wait_ready(old_port);
    let pid: u32 = std::fs::read_to_string(&lbc.pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(pid, lbc.pid());
    std::fs::write(&lbc.conf, nginx_config(new_port, a)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lbc"))
        .args(["serve", "--reload", "--pid-file"])
        .arg(&lbc.pid_file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    lbc.wait_log("lbc serve: reloaded", 1);
    assert_eq!(get(new_port, "/n"), (200, "a /n".to_string()));
    let refused = TcpStream::connect(("127.0.0.1", old_port)).is_err();
    assert!(refused, "{old_port} still accepts after the reload");

    // Without a running instance, --reload fails and says why.
    let out = Command::new(env!("CARGO_BIN_EXE_lbc"))
        .args(["serve", "--reload", "--pid-file"])
        .arg(dir.path().join("nothing.pid"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing.pid"));
}

#[test]
fn sigterm_lets_the_request_in_flight_finish_and_idle_connections_go() {
    let (slow, started) = slow_backend(Duration::from_millis(1500));
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut lbc = Lbc::start(dir.path(), &nginx_config(port, slow), &[]);
    wait_ready(port);
    // An idle kept-alive connection must not hold the stop.
    let mut idle = KeepAlive::open(port);
    assert_eq!(idle.request("/missing", "").unwrap().0, 404);
    let in_flight = thread::spawn(move || try_get(port, "/slow"));
    started.recv_timeout(PATIENCE).unwrap();
    lbc.signal("TERM");
    assert_eq!(in_flight.join().unwrap(), Ok((200, "slow".to_string())));
    let took = lbc.wait_exit();
    // The grace period is 5 s; draining one 1.5 s request must not wait for the idle client.
    assert!(took < Duration::from_secs(4), "took {took:?}");
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
    assert!(!lbc.pid_file.exists(), "the pid file outlives the process");
}

#[test]
fn sigterm_with_only_idle_connections_exits_at_once() {
    let a = backend("a");
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut lbc = Lbc::start(dir.path(), &nginx_config(port, a), &[]);
    wait_ready(port);
    let mut conns: Vec<KeepAlive> = (0..3).map(|_| KeepAlive::open(port)).collect();
    for c in &mut conns {
        assert_eq!(c.request("/i", "").unwrap().2, "a /i");
    }
    lbc.signal("TERM");
    let took = lbc.wait_exit();
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

#[test]
fn sigquit_stops_at_once() {
    let (slow, started) = slow_backend(Duration::from_secs(8));
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut lbc = Lbc::start(dir.path(), &nginx_config(port, slow), &[]);
    wait_ready(port);
    let in_flight = thread::spawn(move || try_get(port, "/slow"));
    started.recv_timeout(PATIENCE).unwrap();
    lbc.signal("QUIT");
    let took = lbc.wait_exit();
    assert!(took < Duration::from_secs(4), "took {took:?}");
    // The request in flight was cut, not answered.
    assert!(in_flight.join().unwrap().is_err());
}

#[test]
fn metrics_count_requests_by_listener_and_status_class() {
    let a = backend("a");
    let dir = tempfile::tempdir().unwrap();
    let (port, admin) = (free_port(), free_port());
    let _lbc = Lbc::start(
        dir.path(),
        &nginx_config(port, a),
        &["--admin", &format!("127.0.0.1:{admin}")],
    );
    wait_ready(port);
    wait_ready(admin);
    for path in ["/a", "/b", "/c", "/missing", "/missing/x", "/moved"] {
        let _ = get(port, path);
    }
    let mut scrape = KeepAlive::open(admin);
    let (status, headers, text) = scrape.request("/metrics", "").unwrap();
    assert_eq!(status, 200);
    assert_eq!(
        header(&headers, "content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let line = |class: &str| {
        format!("lbc_http_requests_total{{listener=\"127.0.0.1:{port}\",code=\"{class}\"}}")
    };
    for (class, n) in [("1xx", 0), ("2xx", 3), ("3xx", 1), ("4xx", 2), ("5xx", 0)] {
        assert!(text.contains(&format!("{} {n}\n", line(class))), "{text}");
    }
    // wait_ready's probes are connections too.
    let accepted: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("lbc_connections_accepted_total "))
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!(accepted >= 6, "{text}");
    let peer = format!("{{pool=\"app\",server=\"127.0.0.1:{a}\",addr=\"127.0.0.1:{a}\"}}");
    for family in [
        "lbc_upstream_attempts_total",
        "lbc_upstream_failures_total",
        "lbc_upstream_active",
    ] {
        assert!(text.contains(&format!("{family}{peer} ")), "{text}");
    }
    assert!(
        text.contains(&format!("lbc_upstream_up{peer} 1\n")),
        "{text}"
    );
    // Every sample belongs to a family declared just before with HELP and TYPE.
    let mut declared = Vec::new();
    for l in text.lines() {
        if let Some(rest) = l.strip_prefix("# TYPE ") {
            declared.push(rest.split(' ').next().unwrap().to_string());
        } else if !l.starts_with('#') {
            let name = l.split(['{', ' ']).next().unwrap();
            assert_eq!(declared.last().map(String::as_str), Some(name), "{l}");
        }
    }
    assert_eq!(scrape.request("/other", "").unwrap().0, 404);
}

#[test]
fn idle_kept_alive_connections_park_and_resume() {
    let a = backend("a");
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let _lbc = Lbc::start(dir.path(), &nginx_config(port, a), &[]);
    wait_ready(port);
    // Longer than the runtime waits before it parks an idle connection.
    let idle = || thread::sleep(Duration::from_millis(600));
    let mut c = KeepAlive::open(port);
    assert_eq!(c.request("/1", "").unwrap().2, "a /1");
    idle();
    assert_eq!(c.request("/2", "").unwrap().2, "a /2");
    // A request cut in two around a pause.
    idle();
    c.send("GET /3 HTTP/1.1\r\nHo").unwrap();
    idle();
    c.send("st: localhost\r\n\r\n").unwrap();
    assert_eq!(c.reply().unwrap().2, "a /3");
    // Two pipelined requests, the second only partly sent before a pause.
    idle();
    c.send("GET /4 HTTP/1.1\r\nHost: localhost\r\n\r\nGET /5 HTTP/1.1\r\n")
        .unwrap();
    assert_eq!(c.reply().unwrap().2, "a /4");
    idle();
    c.send("Host: localhost\r\n\r\n").unwrap();
    assert_eq!(c.reply().unwrap().2, "a /5");
    // A request with a body, then a pause, then a request without.
    c.send("POST /6 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello")
        .unwrap();
    assert_eq!(c.reply().unwrap().2, "a /6");
    idle();
    let (status, headers, body) = c.request("/missing", "").unwrap();
    assert_eq!((status, header(&headers, "connection")), (404, None));
    assert!(body.contains("404 Not Found"), "{body}");
    assert_eq!(c.request("/7", "").unwrap().2, "a /7");
}

fn haproxy_stats_config(port: u16) -> String {
    format!(
        "defaults\n    mode http\n    timeout connect 5s\n    timeout client 5s\n    timeout server 5s\n\nfrontend fe\n    bind 127.0.0.1:{port}\n    stats enable\n    stats uri /stats\n    stats realm Ops\\ area\n    stats auth admin:secret\n    stats refresh 10s\n"
    )
}

#[test]
fn the_stats_page_challenges_and_answers_like_haproxy() {
    let dir = tempfile::tempdir().unwrap();
    let (haproxy_port, lbc_port) = (free_port(), free_port());
    let _haproxy = start_haproxy(&haproxy_stats_config(haproxy_port), dir.path());
    let lbc_dir = dir.path().join("lbc");
    std::fs::create_dir(&lbc_dir).unwrap();
    let _lbc = Lbc::start(&lbc_dir, &haproxy_stats_config(lbc_port), &[]);
    wait_ready(haproxy_port);
    wait_ready(lbc_port);
    let good = "Authorization: Basic YWRtaW46c2VjcmV0\r\n";
    let bad = "Authorization: Basic YWRtaW46d3Jvbmc=\r\n";
    for port in [haproxy_port, lbc_port] {
        let mut c = KeepAlive::open(port);
        for (path, auth) in [("/stats", ""), ("/stats", bad), ("/stats;up", bad)] {
            let (status, headers, _) = c.request(path, auth).unwrap();
            assert_eq!(status, 401, "{port} {path} {auth:?}");
            assert_eq!(
                header(&headers, "www-authenticate"),
                Some("Basic realm=\"Ops area\""),
                "{port}"
            );
            // HAProxy closes after a 401; so must a client that wants the next answer.
            c = KeepAlive::open(port);
        }
        let (status, headers, body) = c.request("/stats", good).unwrap();
        assert_eq!(status, 200, "{port}");
        assert!(
            header(&headers, "content-type").is_some_and(|t| t.starts_with("text/html")),
            "{port} {headers:?}"
        );
        assert_eq!(header(&headers, "refresh"), Some("10"), "{port}");
        assert!(body.contains("Statistics Report"), "{port} {body}");
    }
    let mut c = KeepAlive::open(lbc_port);
    let body = c.request("/stats", good).unwrap().2;
    assert!(
        body.contains(&format!("<td>127.0.0.1:{lbc_port}</td>")),
        "{body}"
    );
}

#[test]
fn check_refuses_stats_admin_and_stats_in_a_backend() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("haproxy.cfg");
    let text = format!(
        "{}    stats admin if TRUE\n\nbackend be\n    mode http\n    stats enable\n",
        haproxy_stats_config(8080)
    );
    std::fs::write(&conf, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lbc"))
        .args(["serve", "--check"])
        .arg(&conf)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("`stats admin`"), "{stderr}");
    assert!(
        stderr.contains("a statistics page in a backend section"),
        "{stderr}"
    );
}

/// nginx `http` and `stream` together: the HTTP server proxies to `http_backend`, the stream
/// server on `l4` passes connections to the servers of its upstream, and `extra` adds a second
/// stream server (port, backend).
fn stream_config(
    http: u16,
    http_backend: u16,
    l4: u16,
    l4_backend: u16,
    extra: Option<(u16, u16)>,
) -> String {
    let extra = extra.map_or(String::new(), |(port, backend)| {
        format!("    upstream more {{ server 127.0.0.1:{backend}; }}\n    server {{ listen 127.0.0.1:{port}; proxy_pass more; }}\n")
    });
    format!(
        "events {{}}\nhttp {{\n    upstream app {{ server 127.0.0.1:{http_backend}; }}\n    server {{\n        listen 127.0.0.1:{http};\n        location / {{ proxy_pass http://app; }}\n    }}\n}}\nstream {{\n    upstream tcp {{ server 127.0.0.1:{l4_backend}; }}\n    server {{ listen 127.0.0.1:{l4}; proxy_pass tcp; }}\n{extra}}}\n"
    )
}

#[test]
fn sighup_reloads_the_l4_services_too() {
    // The backends answer HTTP; through the stream (TCP) proxy the bytes pass unchanged.
    let (a, x, y) = (backend("a"), backend("x"), backend("y"));
    let dir = tempfile::tempdir().unwrap();
    let (http, l4, added) = (free_port(), free_port(), free_port());
    let mut lbc = Lbc::start(dir.path(), &stream_config(http, a, l4, x, None), &[]);
    wait_ready(http);
    wait_ready(l4);
    assert_eq!(get(l4, "/s"), (200, "x /s".to_string()));
    assert!(TcpStream::connect(("127.0.0.1", added)).is_err());

    // The stream upstream moves to y, and a second stream server appears.
    std::fs::write(&lbc.conf, stream_config(http, a, l4, y, Some((added, x)))).unwrap();
    lbc.signal("HUP");
    lbc.wait_log("lbc serve: reloaded", 1);
    for i in 0..5 {
        let path = format!("/after{i}");
        assert_eq!(get(l4, &path), (200, format!("y {path}")), "{}", lbc.log());
    }
    assert_eq!(get(added, "/new"), (200, "x /new".to_string()));
    assert_eq!(get(http, "/h"), (200, "a /h".to_string()));

    // A drain closes the L4 sockets as well, and does not wait for them.
    lbc.signal("TERM");
    let took = lbc.wait_exit();
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(TcpStream::connect(("127.0.0.1", l4)).is_err());
    assert!(TcpStream::connect(("127.0.0.1", added)).is_err());
}
