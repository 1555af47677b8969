//! `lbc serve` as an L4 balancer against the real thing on loopback: nginx `stream` (TCP and
//! UDP) and HAProxy `mode tcp` run on the same config as lbc, with the same backends (each
//! answers its own name), and must pick the same servers; keepalived virtual servers (keepalived
//! itself cannot be an IPVS oracle here) are checked against IPVS's documented semantics: `rr`
//! alternates, a `TCP_CHECK` takes a dead real server out and puts it back, an `HTTP_GET`
//! answered with 500 takes it out, the sorry server answers when every real server is down.

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::serve::{
    free_port, spawn_backend, start_haproxy, start_lbc, start_nginx, Guard, IO_TIMEOUT,
};

/// A TCP backend answering `NAME DATA` (or, to an HTTP GET, an HTTP answer with the status in
/// `status` and its name as the body) that can be stopped and restarted on the same port.
struct Backend {
    name: &'static str,
    port: u16,
    stop: Arc<AtomicBool>,
    status: Arc<AtomicU16>,
    /// The accepting thread, joined by [`Backend::kill`] so the port is closed when it returns.
    acceptor: std::sync::Mutex<Option<thread::JoinHandle<()>>>,
}

impl Backend {
    /// Listens on a port of the system's choosing, bound at once: a port only probed free and
    /// bound later may meanwhile be taken (by another test, or as the ephemeral port of an
    /// outgoing connection).
    fn start(name: &'static str) -> Backend {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let b = Backend {
            name,
            port: listener.local_addr().unwrap().port(),
            stop: Arc::new(AtomicBool::new(false)),
            status: Arc::new(AtomicU16::new(200)),
            acceptor: std::sync::Mutex::new(None),
        };
        b.serve(listener);
        b
    }

    fn serve(&self, listener: TcpListener) {
        listener.set_nonblocking(true).unwrap();
        self.stop.store(false, Ordering::SeqCst);
        let (name, stop, status) = (self.name, self.stop.clone(), self.status.clone());
        let acceptor = thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let status = status.clone();
                        thread::spawn(move || answer(name, conn, &status));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        *self.acceptor.lock().unwrap() = Some(acceptor);
    }

    /// Closes the port (connections are refused) until [`Backend::restart`]. Waits for the
    /// accepting thread to drop the listener: on a loaded machine a fixed pause was not
    /// always enough, and a "dead" server answered.
    fn kill(&self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(acceptor) = self.acceptor.lock().unwrap().take() {
            acceptor.join().unwrap();
        }
    }

    fn restart(&self) {
        self.serve(TcpListener::bind(("127.0.0.1", self.port)).unwrap());
    }
}

fn answer(name: &str, mut conn: TcpStream, status: &AtomicU16) {
    let _ = conn.set_nonblocking(false);
    let _ = conn.set_read_timeout(Some(IO_TIMEOUT));
    let mut buf = [0u8; 4096];
    let n = conn.read(&mut buf).unwrap_or(0);
    let data = String::from_utf8_lossy(&buf[..n]).into_owned();
    let reply = if data.starts_with("GET ") || data.starts_with("OPTIONS ") {
        let code = status.load(Ordering::SeqCst);
        format!(
            "HTTP/1.0 {code} X\r\nContent-Length: {}\r\n\r\n{name}",
            name.len()
        )
    } else {
        format!("{name} {}", data.trim())
    };
    let _ = conn.write_all(reply.as_bytes());
    let _ = conn.shutdown(Shutdown::Write);
}

/// A UDP backend answering each datagram with `NAME DATA`.
fn udp_backend(name: &'static str) -> u16 {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    thread::spawn(move || {
        let mut buf = [0u8; 2048];
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            let reply = format!("{name} {}", String::from_utf8_lossy(&buf[..n]));
            let _ = socket.send_to(reply.as_bytes(), from);
        }
    });
    port
}

/// One TCP exchange on a fresh connection: the name of the backend that answered, `None` when
/// the connection was refused or closed without an answer.
fn ask(ip: Ipv4Addr, port: u16) -> Option<String> {
    let mut conn = TcpStream::connect_timeout(&SocketAddr::from((ip, port)), IO_TIMEOUT).ok()?;
    conn.set_read_timeout(Some(IO_TIMEOUT)).ok()?;
    conn.write_all(b"hello\n").ok()?;
    let mut out = String::new();
    conn.read_to_string(&mut out).ok()?;
    let (name, rest) = out.split_once(' ')?;
    (rest == "hello").then(|| name.to_string())
}

fn ask_udp(port: u16) -> Option<String> {
    let socket = UdpSocket::bind("127.0.0.1:0").ok()?;
    socket.set_read_timeout(Some(IO_TIMEOUT)).ok()?;
    socket.send_to(b"ping", ("127.0.0.1", port)).ok()?;
    let mut buf = [0u8; 2048];
    let (n, _) = socket.recv_from(&mut buf).ok()?;
    let out = String::from_utf8_lossy(&buf[..n]).into_owned();
    let (name, rest) = out.split_once(' ')?;
    (rest == "ping").then(|| name.to_string())
}

fn wait_tcp(ip: Ipv4Addr, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect_timeout(&SocketAddr::from((ip, port)), IO_TIMEOUT).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {ip}:{port}");
        thread::sleep(Duration::from_millis(50));
    }
    // The probe connection picks a server too: let that pick happen before the test's own.
    thread::sleep(Duration::from_millis(300));
}

/// Polls `f` until it holds (generous: the machine may be loaded).
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        thread::sleep(Duration::from_millis(100));
    }
}

fn sequence(n: usize, mut f: impl FnMut() -> Option<String>) -> Vec<String> {
    (0..n).map(|_| f().unwrap_or_else(|| "-".into())).collect()
}

/// `a` and `b` are the same periodic sequence (period `p`), possibly at another phase: the
/// readiness probes went through the balancers too, not necessarily as many on each side.
fn assert_same_cycle(a: &[String], b: &[String], p: usize) {
    assert!(a.len() >= 2 * p && b.len() >= 2 * p);
    let periodic = |v: &[String]| (p..v.len()).all(|i| v[i] == v[i - p]);
    assert!(periodic(a) && periodic(b), "not periodic: {a:?} {b:?}");
    let same = (0..p).any(|k| (0..b.len()).all(|i| b[i] == a[(i + k) % p]));
    assert!(same, "different cycles: {a:?} vs {b:?}");
}

fn count(v: &[String], name: &str) -> usize {
    v.iter().filter(|x| *x == name).count()
}

fn lbc(args: &[&str], text: &str, dir: &std::path::Path) -> (i32, String) {
    let conf = dir.join("lbc-check.conf");
    std::fs::write(&conf, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lbc"))
        .arg("serve")
        .args(args)
        .arg(&conf)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn stream_config(listen: u16, ports: &[u16], udp: bool) -> String {
    let servers: String = ports
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let weight = if i == 0 { " weight=3" } else { "" };
            format!("        server 127.0.0.1:{p}{weight};\n")
        })
        .collect();
    let listen = if udp {
        format!("listen 127.0.0.1:{listen} udp; proxy_responses 1; proxy_timeout 2s;")
    } else {
        format!("listen 127.0.0.1:{listen};")
    };
    // Distributions build nginx's stream module as a dynamic module (lbc warns and goes on).
    let module = "/usr/lib/nginx/modules/ngx_stream_module.so";
    let load = if std::path::Path::new(module).exists() {
        format!("load_module {module};\n")
    } else {
        String::new()
    };
    format!(
        "{load}events {{}}\nstream {{\n    proxy_connect_timeout 2s;\n    upstream app {{\n{servers}    }}\n    server {{ {listen} proxy_pass app; }}\n}}\n"
    )
}

#[test]
fn tcp_stream_picks_the_same_servers_as_nginx() {
    let backends = [
        Backend::start("a"),
        Backend::start("b"),
        Backend::start("c"),
    ];
    let ports: Vec<u16> = backends.iter().map(|b| b.port).collect();
    let dir = tempfile::tempdir().unwrap();
    let (np, lp) = (free_port(), free_port());
    let _nginx = start_nginx(&stream_config(np, &ports, false), dir.path());
    let _lbc = start_lbc(&stream_config(lp, &ports, false), dir.path());
    wait_tcp(Ipv4Addr::LOCALHOST, np);
    wait_tcp(Ipv4Addr::LOCALHOST, lp);
    // Three whole smooth-WRR cycles (3,1,1): the same servers, in the same order.
    let n = sequence(15, || ask(Ipv4Addr::LOCALHOST, np));
    let l = sequence(15, || ask(Ipv4Addr::LOCALHOST, lp));
    assert_same_cycle(&n, &l, 5);
    assert_eq!((count(&l, "a"), count(&l, "b"), count(&l, "c")), (9, 3, 3));
    // A dead server: nginx and lbc try the next one (`proxy_next_upstream on`), and leave the
    // dead one out for `fail_timeout` (`max_fails=1` by default).
    let in_phase = n == l;
    backends[1].kill();
    let n = sequence(10, || ask(Ipv4Addr::LOCALHOST, np));
    let l = sequence(10, || ask(Ipv4Addr::LOCALHOST, lp));
    assert_eq!(count(&n, "-"), 0, "{n:?}");
    assert_eq!(count(&l, "-"), 0, "{l:?}");
    assert_eq!(count(&l, "b"), 0, "{l:?}");
    if in_phase {
        assert_eq!(n, l, "the same servers after the failure");
    }
}

#[test]
fn a_dead_stream_server_is_left_out_for_fail_timeout_like_nginx() {
    let backends = [
        Backend::start("a"),
        Backend::start("b"),
        Backend::start("c"),
    ];
    backends[1].kill();
    let ports: Vec<u16> = backends.iter().map(|b| b.port).collect();
    // Weights 1,3,1 with `b` dead: with nginx's passive health `b` stays out after its first
    // failure (a c a c …); trying it on each of its turns would give another order.
    let config = |listen: u16| {
        stream_config(listen, &ports, false)
            .replace(" weight=3;", ";")
            .replace(
                &format!("127.0.0.1:{};", ports[1]),
                &format!("127.0.0.1:{} weight=3;", ports[1]),
            )
    };
    let dir = tempfile::tempdir().unwrap();
    let (np, lp) = (free_port(), free_port());
    let _nginx = start_nginx(&config(np), dir.path());
    let _lbc = start_lbc(&config(lp), dir.path());
    wait_tcp(Ipv4Addr::LOCALHOST, np);
    wait_tcp(Ipv4Addr::LOCALHOST, lp);
    let n = sequence(12, || ask(Ipv4Addr::LOCALHOST, np));
    let l = sequence(12, || ask(Ipv4Addr::LOCALHOST, lp));
    assert_eq!(n, l);
    assert!(count(&l, "a") == 6 && count(&l, "c") == 6, "{l:?}");
}

#[test]
fn udp_stream_picks_the_same_servers_as_nginx() {
    let ports = [udp_backend("a"), udp_backend("b"), udp_backend("c")];
    let dir = tempfile::tempdir().unwrap();
    let (np, lp) = (free_port(), free_port());
    let _nginx = start_nginx(&stream_config(np, &ports, true), dir.path());
    let _lbc = start_lbc(&stream_config(lp, &ports, true), dir.path());
    eventually("nginx answers over UDP", || ask_udp(np).is_some());
    eventually("lbc answers over UDP", || ask_udp(lp).is_some());
    let n = sequence(10, || ask_udp(np));
    let l = sequence(10, || ask_udp(lp));
    assert_same_cycle(&n, &l, 5);
    assert_eq!((count(&l, "a"), count(&l, "b"), count(&l, "c")), (6, 2, 2));
}

#[test]
fn udp_proxy_requests_rebalances_one_client_like_nginx() {
    let ports = [udp_backend("a"), udp_backend("b"), udp_backend("c")];
    let dir = tempfile::tempdir().unwrap();
    let (np, lp) = (free_port(), free_port());
    // `proxy_requests 1`: each datagram of the same client socket opens a new session.
    let config =
        |port| stream_config(port, &ports, true).replace("proxy_responses 1;", "proxy_requests 1;");
    let _nginx = start_nginx(&config(np), dir.path());
    let _lbc = start_lbc(&config(lp), dir.path());
    let one_client = |port: u16| {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        move || {
            socket.send_to(b"ping", ("127.0.0.1", port)).ok()?;
            let mut buf = [0u8; 2048];
            let (n, _) = socket.recv_from(&mut buf).ok()?;
            let out = String::from_utf8_lossy(&buf[..n]).into_owned();
            out.split_once(' ').map(|(name, _)| name.to_string())
        }
    };
    let (mut n, mut l) = (one_client(np), one_client(lp));
    eventually("nginx answers over UDP", || n().is_some());
    eventually("lbc answers over UDP", || l().is_some());
    let n = sequence(10, &mut n);
    let l = sequence(10, &mut l);
    assert_same_cycle(&n, &l, 5);
}

/// A backend answering with the first line it reads (the PROXY protocol header, if any).
fn first_line_backend() -> u16 {
    spawn_backend(|mut conn| {
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        while !got.contains(&b'\n') {
            match conn.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        let line = String::from_utf8_lossy(&got)
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        let _ = conn.write_all(format!("first {line}").as_bytes());
    })
}

#[test]
fn proxy_protocol_header_like_nginx_and_haproxy() {
    let backend = first_line_backend();
    let dir = tempfile::tempdir().unwrap();
    let (np, lp, hp, lhp) = (free_port(), free_port(), free_port(), free_port());
    let nginx_config = |port| {
        stream_config(port, &[backend], false)
            .replace("proxy_pass app;", "proxy_pass app; proxy_protocol on;")
    };
    let haproxy_config = |port| {
        format!("defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\nlisten app\n    bind 127.0.0.1:{port}\n    server a 127.0.0.1:{backend} send-proxy\n")
    };
    let _nginx = start_nginx(&nginx_config(np), dir.path());
    let _haproxy = start_haproxy(&haproxy_config(hp), dir.path());
    let ldir = tempfile::tempdir().unwrap();
    let _lbc = start_lbc(&nginx_config(lp), dir.path());
    let _lbc_h = start_lbc(&haproxy_config(lhp), ldir.path());
    let header = |port: u16| {
        wait_tcp(Ipv4Addr::LOCALHOST, port);
        let mut conn = TcpStream::connect(("127.0.0.1", port)).unwrap();
        conn.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        let client_port = conn.local_addr().unwrap().port();
        conn.write_all(b"hello\n").unwrap();
        let mut out = String::new();
        let _ = conn.read_to_string(&mut out);
        // The parts that do not depend on which proxy answered.
        out.replace(&format!(" {client_port} {port}"), " CLIENT LISTEN")
    };
    let want = "first PROXY TCP4 127.0.0.1 127.0.0.1 CLIENT LISTEN";
    assert_eq!(header(np), want, "nginx");
    assert_eq!(header(lp), want, "lbc (nginx config)");
    assert_eq!(header(hp), want, "haproxy");
    assert_eq!(header(lhp), want, "lbc (HAProxy config)");
}

fn haproxy_config(listen: u16, ports: &[u16]) -> String {
    format!(
        r#"defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend front
    bind 127.0.0.1:{listen}
    default_backend app
backend app
    balance roundrobin
    option httpchk GET /health
    http-check expect status 200
    server a 127.0.0.1:{} weight 2 check inter 300ms rise 1 fall 1
    server b 127.0.0.1:{} check inter 300ms rise 1 fall 1
    server c 127.0.0.1:{} check inter 300ms rise 1 fall 1
"#,
        ports[0], ports[1], ports[2]
    )
}

#[test]
fn haproxy_mode_tcp_same_distribution_and_checks_as_haproxy() {
    let backends = [
        Backend::start("a"),
        Backend::start("b"),
        Backend::start("c"),
    ];
    let ports: Vec<u16> = backends.iter().map(|b| b.port).collect();
    let dir = tempfile::tempdir().unwrap();
    let (hp, lp) = (free_port(), free_port());
    let _haproxy = start_haproxy(&haproxy_config(hp, &ports), dir.path());
    let _lbc = start_lbc(&haproxy_config(lp, &ports), dir.path());
    wait_tcp(Ipv4Addr::LOCALHOST, hp);
    wait_tcp(Ipv4Addr::LOCALHOST, lp);
    // HAProxy's roundrobin order differs from nginx's; its proportions over whole cycles
    // (weights 2,1,1) do not.
    let h = sequence(16, || ask(Ipv4Addr::LOCALHOST, hp));
    let l = sequence(16, || ask(Ipv4Addr::LOCALHOST, lp));
    for name in ["a", "b", "c"] {
        let (x, y) = (count(&h, name), count(&l, name));
        assert!(x.abs_diff(y) <= 1, "{name}: haproxy {h:?} lbc {l:?}");
    }
    assert!((7..=9).contains(&count(&l, "a")), "{l:?}");
    // `b` answers its check with 500: `http-check expect status 200` takes it out of both.
    backends[1].status.store(500, Ordering::SeqCst);
    for port in [hp, lp] {
        eventually("b (500) is out", || {
            let v = sequence(6, || ask(Ipv4Addr::LOCALHOST, port));
            count(&v, "b") == 0 && count(&v, "-") == 0
        });
    }
    backends[1].status.store(200, Ordering::SeqCst);
    // `c` dies: the checks of both take it out, and nothing fails afterwards.
    backends[2].kill();
    for port in [hp, lp] {
        eventually("c is out, b is back and every connection answers", || {
            let v = sequence(6, || ask(Ipv4Addr::LOCALHOST, port));
            count(&v, "c") == 0 && count(&v, "b") > 0 && count(&v, "-") == 0
        });
    }
    backends[2].restart();
    for port in [hp, lp] {
        eventually("c is back", || {
            count(&sequence(8, || ask(Ipv4Addr::LOCALHOST, port)), "c") > 0
        });
    }
}

fn keepalived_config(
    vip: &str,
    port: u16,
    real: &[u16],
    checks: &str,
    sorry: Option<u16>,
) -> String {
    let servers: String = real
        .iter()
        .map(|p| format!("    real_server 127.0.0.1 {p} {{\n        weight 1\n{checks}    }}\n"))
        .collect();
    let sorry = sorry
        .map(|p| format!("    sorry_server 127.0.0.1 {p}\n"))
        .unwrap_or_default();
    format!(
        "virtual_server {vip} {port} {{\n    delay_loop 1\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n{sorry}{servers}}}\n"
    )
}

const TCP_CHECK: &str =
    "        TCP_CHECK {\n            connect_timeout 1\n            retry 0\n        }\n";

#[test]
fn keepalived_tcp_check_takes_a_dead_real_server_out_and_back() {
    let vip = Ipv4Addr::new(127, 0, 0, 2);
    let (a, b, sorry) = (
        Backend::start("a"),
        Backend::start("b"),
        Backend::start("sorry"),
    );
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let text = keepalived_config(
        "127.0.0.2",
        port,
        &[a.port, b.port],
        TCP_CHECK,
        Some(sorry.port),
    );
    let _lbc = start_lbc(&text, dir.path());
    wait_tcp(vip, port);
    // IPVS `rr`: servers in turn, whatever their weights.
    let v = sequence(6, || ask(vip, port));
    assert!(
        v.windows(2).all(|w| w[0] != w[1]) && count(&v, "a") == 3,
        "{v:?}"
    );
    b.kill();
    eventually("b is out and every connection answers", || {
        let v = sequence(4, || ask(vip, port));
        count(&v, "a") == 4
    });
    a.kill();
    eventually("the sorry server answers", || {
        ask(vip, port).as_deref() == Some("sorry")
    });
    a.restart();
    b.restart();
    eventually("both are back", || {
        let v = sequence(4, || ask(vip, port));
        count(&v, "a") == 2 && count(&v, "b") == 2
    });
}

#[test]
fn keepalived_http_get_takes_a_server_answering_500_out() {
    let vip = Ipv4Addr::new(127, 0, 0, 3);
    let (a, b) = (Backend::start("a"), Backend::start("b"));
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let check = "        HTTP_GET {\n            url {\n                path /health\n                status_code 200\n            }\n            connect_timeout 1\n            retry 0\n        }\n";
    let _lbc = start_lbc(
        &keepalived_config("127.0.0.3", port, &[a.port, b.port], check, None),
        dir.path(),
    );
    wait_tcp(vip, port);
    let v = sequence(4, || ask(vip, port));
    assert!(count(&v, "b") == 2 && count(&v, "a") == 2, "{v:?}");
    b.status.store(500, Ordering::SeqCst);
    eventually("b (500) is out", || {
        count(&sequence(4, || ask(vip, port)), "a") == 4
    });
    b.status.store(200, Ordering::SeqCst);
    eventually("b (200) is back", || {
        count(&sequence(4, || ask(vip, port)), "b") == 2
    });
}

#[test]
fn keepalived_http_get_digest_takes_a_server_with_another_page_out() {
    let vip = Ipv4Addr::new(127, 0, 0, 6);
    let (a, b) = (Backend::start("a"), Backend::start("b"));
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // The MD5 of `a`, the page server `a` answers; `b` answers `b`.
    let check = "        HTTP_GET {\n            url {\n                path /index.html\n                digest 0cc175b9c0f1b6a831c399e269772661\n            }\n            connect_timeout 1\n            retry 0\n        }\n";
    let _lbc = start_lbc(
        &keepalived_config("127.0.0.6", port, &[a.port, b.port], check, None),
        dir.path(),
    );
    wait_tcp(vip, port);
    eventually("b (wrong digest) is out", || {
        count(&sequence(4, || ask(vip, port)), "a") == 4
    });
    drop(b);
}

#[test]
fn keepalived_udp_virtual_server_round_robins_flows() {
    let ports = [udp_backend("a"), udp_backend("b")];
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let text = format!(
        "virtual_server 127.0.0.5 {port} {{\n    lb_algo rr\n    protocol UDP\n    real_server 127.0.0.1 {} {{\n    }}\n    real_server 127.0.0.1 {} {{\n    }}\n}}\n",
        ports[0], ports[1]
    );
    let _lbc = start_lbc(&text, dir.path());
    let ask = || {
        let socket = UdpSocket::bind("127.0.0.1:0").ok()?;
        socket.set_read_timeout(Some(IO_TIMEOUT)).ok()?;
        socket.send_to(b"ping", ("127.0.0.5", port)).ok()?;
        let mut buf = [0u8; 2048];
        let (n, _) = socket.recv_from(&mut buf).ok()?;
        Some(String::from_utf8_lossy(&buf[..n]).into_owned())
    };
    eventually("lbc answers over UDP", || ask().is_some());
    // Each client socket is a new IPVS UDP connection entry: `rr` alternates.
    let v = sequence(6, ask);
    assert!(
        v.windows(2).all(|w| w[0] != w[1]) && v.iter().all(|x| x.ends_with(" ping")),
        "{v:?}"
    );
}

#[test]
fn lvs_wrr_weights_and_persistence() {
    let (a, b) = (Backend::start("a"), Backend::start("b"));
    let dir = tempfile::tempdir().unwrap();
    let (port, sticky) = (free_port(), free_port());
    // An `ipvsadm-save` file: a 3:1 `wrr` service, and a persistent one.
    let text = format!(
        "-A -t 127.0.0.4:{port} -s wrr\n-a -t 127.0.0.4:{port} -r 127.0.0.1:{a} -m -w 3\n-a -t 127.0.0.4:{port} -r 127.0.0.1:{b} -m -w 1\n-A -t 127.0.0.4:{sticky} -s wrr -p 60\n-a -t 127.0.0.4:{sticky} -r 127.0.0.1:{a} -m -w 1\n-a -t 127.0.0.4:{sticky} -r 127.0.0.1:{b} -m -w 1\n",
        a = a.port,
        b = b.port
    );
    let conf = dir.path().join("rules.save");
    std::fs::write(&conf, text).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_lbc"))
        .arg("serve")
        .arg(&conf)
        .stderr(std::fs::File::create(dir.path().join("lbc.log")).unwrap())
        .spawn()
        .unwrap();
    let _guard = Guard(child);
    let vip = Ipv4Addr::new(127, 0, 0, 4);
    wait_tcp(vip, port);
    wait_tcp(vip, sticky);
    // Two whole cycles of weights 3 and 1.
    let v = sequence(8, || ask(vip, port));
    assert_eq!((count(&v, "a"), count(&v, "b")), (6, 2), "{v:?}");
    // Every connection of this client goes where its first one went.
    let v = sequence(6, || ask(vip, sticky));
    assert!(v.iter().all(|x| x == &v[0]) && v[0] != "-", "{v:?}");
}

#[test]
fn the_keepalived_seed_serves_with_ignore_vrrp_and_fails_over() {
    // seeds/keepalived/000-lvs-master on loopback: VIP 127.0.0.10, `rr`, persistence 10s,
    // TCP_CHECK every 6s; the fixture's ports are replaced by free ones.
    let (a, b) = (Backend::start("a"), Backend::start("b"));
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let fixture = common::root().join("fixtures/serve/l4/000-lvs-master.keepalived.conf");
    let text = std::fs::read_to_string(fixture)
        .unwrap()
        .replace("18080", &port.to_string())
        .replace("18081", &a.port.to_string())
        .replace("18082", &b.port.to_string());
    let conf = dir.path().join("keepalived.conf");
    std::fs::write(&conf, text).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_lbc"))
        .args(["serve", "--ignore-vrrp"])
        .arg(&conf)
        .stderr(std::fs::File::create(dir.path().join("lbc.log")).unwrap())
        .spawn()
        .unwrap();
    let _guard = Guard(child);
    let vip = Ipv4Addr::new(127, 0, 0, 10);
    wait_tcp(vip, port);
    // Persistence: this client stays on one real server.
    let v = sequence(4, || ask(vip, port));
    assert!(v.iter().all(|x| x == &v[0]) && v[0] != "-", "{v:?}");
    // Its server dies: the checker takes it out and the client moves to the other one.
    let (gone, other) = if v[0] == "a" { (&a, "b") } else { (&b, "a") };
    gone.kill();
    eventually("the client moves to the live real server", || {
        ask(vip, port).as_deref() == Some(other)
    });
}

#[test]
fn check_refuses_vrrp_and_remote_vips_and_accepts_the_seed_fixtures() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = common::root().join("fixtures/serve/l4");
    let seed = std::fs::read_to_string(fixtures.join("000-lvs-master.keepalived.conf")).unwrap();
    // VRRP is refused by default, served around with --ignore-vrrp.
    let (code, err) = lbc(&["--check"], &seed, dir.path());
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("VRRP") && err.contains("vrrp_instance VI_1"),
        "{err}"
    );
    let (code, err) = lbc(&["--check", "--ignore-vrrp"], &seed, dir.path());
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("not a VRRP speaker"), "{err}");
    // A VIP that is not an address of this host.
    let remote = seed.replace("127.0.0.10", "192.0.2.10");
    let (code, err) = lbc(&["--check", "--ignore-vrrp"], &remote, dir.path());
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("`192.0.2.10`, which is not an address of this host"),
        "{err}"
    );
    for name in [
        "000-lvs_dr.sh",
        "001-stream-only.conf",
        "003-l4-and-l7.haproxy.cfg",
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_lbc"))
            .args(["serve", "--check"])
            .arg(fixtures.join(name))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        // The LVS seed schedules with `lc`, which the shared balancer may not offer yet: that
        // is the only refusal allowed.
        let errors: Vec<&str> = err.lines().filter(|l| l.contains('×')).collect();
        assert!(
            errors
                .iter()
                .all(|l| l.contains("balancing algorithm `lc`")),
            "{name}: {err}"
        );
        if errors.is_empty() {
            assert_eq!(out.status.code(), Some(0), "{name}: {err}");
        }
    }
}

#[test]
fn check_refuses_what_l4_cannot_honour() {
    let dir = tempfile::tempdir().unwrap();
    let text = "events {}\nstream {\n    upstream u { server 127.0.0.1:9001; }\n    server { listen 127.0.0.1:7001; proxy_pass u; proxy_ssl on; }\n}\n";
    let (code, err) = lbc(&["--check"], text, dir.path());
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("`proxy_ssl`"), "{err}");
    let text = "virtual_server 127.0.0.1 7001 {\n    real_server 127.0.0.1 9001 {\n        MISC_CHECK {\n            misc_path /bin/true\n        }\n    }\n}\n";
    let (code, err) = lbc(&["--check"], text, dir.path());
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("MISC_CHECK"), "{err}");
}

#[test]
fn http_rules_in_a_tcp_proxy_are_ignored_as_haproxy_ignores_them() {
    let backend = spawn_backend(common::serve::echo_head);
    let config = |port: u16| {
        format!(
            "defaults\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n\
             listen l\n  mode tcp\n  bind 127.0.0.1:{port}\n  http-request set-header X-Added 1\n\
             http-response set-header X-Resp 1\n  http-after-response set-header X-After 1\n\
             option httpclose\n  option forwardfor\n  cookie SRV insert\n  stats uri /s\n\
             server s 127.0.0.1:{backend} cookie a\n"
        )
    };
    let p = common::serve::start_pair(config, start_haproxy);
    let exchange = |port: u16| {
        let mut c = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        c.write_all(b"GET /s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut out = String::new();
        let _ = c.read_to_string(&mut out);
        out
    };
    let real = exchange(p.real);
    // Bytes pass untouched: no header added either way, no cookie, no statistics page.
    assert!(
        real.ends_with("GET /s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"),
        "{real}"
    );
    assert!(!real.contains("X-") && !real.contains("SRV"), "{real}");
    assert_eq!(exchange(p.lbc), real);
}
