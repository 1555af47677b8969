//! The harness of the `lbc serve` tests: std-only backends on loopback answering their own
//! name, real nginx / HAProxy / `lbc serve` as children killed by a Drop guard, and a minimal
//! HTTP/1.1 client on fresh connections.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

pub const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// The `defaults` section of the HAProxy test configurations: HTTP mode, short timeouts.
pub const HAPROXY_HTTP_DEFAULTS: &str =
    "defaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n";
pub const START_TIMEOUT: Duration = Duration::from_secs(10);

/// A backend on 127.0.0.1 answering `NAME PATH`; its accept thread dies with the test process.
pub fn backend(name: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            thread::spawn(move || serve_one(name, conn));
        }
    });
    port
}

/// A backend on 127.0.0.1 running `handle` on each connection (its reads bounded by
/// [`IO_TIMEOUT`]) in a thread of its own; its accept thread dies with the test process.
pub fn spawn_backend(handle: fn(TcpStream)) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let _ = conn.set_read_timeout(Some(IO_TIMEOUT));
            thread::spawn(move || handle(conn));
        }
    });
    port
}

/// Reads from `conn` to the end of a request or response head: the head, and the bytes that
/// came after it (the head so far when the connection ends first).
pub fn read_head(conn: &mut TcpStream) -> (String, Vec<u8>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buf.split_off(end + 4);
            return (String::from_utf8_lossy(&buf).into_owned(), rest);
        }
        match conn.read(&mut chunk) {
            Ok(0) | Err(_) => return (String::from_utf8_lossy(&buf).into_owned(), Vec::new()),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

pub fn serve_one(name: &str, mut conn: TcpStream) {
    let _ = conn.set_read_timeout(Some(IO_TIMEOUT));
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

/// Echoes the request head it got as the body of a 200.
pub fn echo_head(mut conn: TcpStream) {
    let (head, _) = read_head(&mut conn);
    let reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}",
        head.len()
    );
    let _ = conn.write_all(reply.as_bytes());
    let _ = conn.shutdown(Shutdown::Write);
}

/// The value of header `name` (lower-cased) among parsed `(name, value)` lines.
pub fn header_in<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// A child process killed and reaped when dropped.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback port nothing listens on, for a child process to bind. Taken below the kernel's
/// ephemeral range (`ip_local_port_range`, 32768–60999 by default), which no `bind(…:0)` and
/// no outgoing connection draws from: a port the kernel picked for port 0 could be handed to a
/// backend or a connection of a parallel test between this check and the child's `bind`
/// (a test saw something else answer there). Each call of the process takes the next port
/// of its own sequence; one that cannot be bound now is skipped.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let low: u32 = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse().ok())
        .unwrap_or(32768);
    let (base, span) = if low > 12_000 {
        (low - 10_000, 10_000)
    } else {
        (1024, 8_000)
    };
    let start = std::process::id().wrapping_mul(7919);
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = (base + start.wrapping_add(n) % span) as u16;
        if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return port;
        }
    }
}

pub fn start_nginx(text: &str, dir: &Path) -> Guard {
    let conf = dir.join("nginx.conf");
    std::fs::write(&conf, text).unwrap();
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    let child = Command::new("nginx")
        .arg("-p")
        .arg(format!("{}/", dir.display()))
        .arg("-c")
        .arg(&conf)
        .arg("-e")
        .arg(dir.join("error.log"))
        .arg("-g")
        .arg(format!(
            "daemon off; master_process off; pid {}/nginx.pid;",
            dir.display()
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nginx is installed");
    Guard(child)
}

pub fn start_lbc(text: &str, dir: &Path) -> Guard {
    let conf = dir.join("lbc.conf");
    std::fs::write(&conf, text).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_lbc"))
        .arg("serve")
        .arg(&conf)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("lbc.log")).unwrap())
        .spawn()
        .unwrap();
    Guard(child)
}

pub fn wait_ready(port: u16) {
    let deadline = Instant::now() + START_TIMEOUT;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    while TcpStream::connect_timeout(&addr, IO_TIMEOUT).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        thread::sleep(Duration::from_millis(50));
    }
}

/// One `GET` on a fresh connection: (status, body).
pub fn get(port: u16, path: &str) -> (u16, String) {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut conn = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
    conn.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    conn.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").expect("a complete reply");
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, body.to_string())
}

/// Starts HAProxy in the foreground on `text` (written to `dir/haproxy.cfg`).
pub fn start_haproxy(text: &str, dir: &Path) -> Guard {
    let conf = dir.join("haproxy.cfg");
    std::fs::write(&conf, text).unwrap();
    let child = Command::new("haproxy")
        .arg("-db")
        .arg("-f")
        .arg(&conf)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("haproxy.log")).unwrap())
        .spawn()
        .expect("haproxy is installed");
    Guard(child)
}

/// A real proxy and `lbc serve` on the same configuration, each on its own port.
pub struct Pair {
    pub real: u16,
    pub lbc: u16,
    _dir: tempfile::TempDir,
    _guards: (Guard, Guard),
}

/// Starts `real` (`start_nginx`, `start_haproxy`) and `lbc serve` on `config` (given each
/// one's listen port).
pub fn start_pair(config: impl Fn(u16) -> String, real: fn(&str, &Path) -> Guard) -> Pair {
    let dir = tempfile::tempdir().unwrap();
    let (real_port, lbc) = (free_port(), free_port());
    let (rdir, ldir) = (dir.path().join("real"), dir.path().join("lbc"));
    std::fs::create_dir_all(&rdir).unwrap();
    std::fs::create_dir_all(&ldir).unwrap();
    let r = real(&config(real_port), &rdir);
    let l = start_lbc(&config(lbc), &ldir);
    wait_ready(real_port);
    wait_ready(lbc);
    Pair {
        real: real_port,
        lbc,
        _dir: dir,
        _guards: (r, l),
    }
}

/// `lbc serve --check FILE`: its exit code and its report on one line (the report wraps
/// long messages).
pub fn serve_check(file: &Path) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lbc"))
        .args(["serve", "--check"])
        .arg(file)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).replace('│', " ");
    (
        out.status.code(),
        err.split_whitespace().collect::<Vec<_>>().join(" "),
    )
}

/// The status code of a raw reply (0 when there is none).
pub fn status_of(reply: &str) -> u16 {
    reply
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// A response head as curl prints it (`-D -`): its status line, and its header lines
/// lower-cased and sorted without those that differ between servers for no fault (`date`,
/// `server`, `content-length` — error pages name the server — and the `connection:
/// keep-alive` nginx sends on every kept-alive HTTP/1.1 answer and hyper leaves implied).
pub fn comparable_head(head: &str) -> (String, Vec<String>) {
    let mut lines = head.lines();
    let status = lines.next().unwrap_or("").trim().to_string();
    let mut headers: Vec<String> = lines
        .map(str::to_ascii_lowercase)
        .filter(|l| {
            !["date:", "server:", "content-length:"]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .filter(|l| l != "connection: keep-alive")
        .collect();
    headers.sort();
    (status, headers)
}

/// A self-signed certificate for `name` in `dir` (`name.crt`, `name.key`, and both in
/// `name.pem` for HAProxy).
pub fn certificate(dir: &Path, name: &str) {
    let status = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .arg("-subj")
        .arg(format!("/CN={name}"))
        .arg("-addext")
        .arg(format!("subjectAltName=DNS:{name}"))
        .arg("-keyout")
        .arg(dir.join(format!("{name}.key")))
        .arg("-out")
        .arg(dir.join(format!("{name}.crt")))
        .output()
        .expect("openssl is installed");
    assert!(status.status.success(), "openssl: {status:?}");
    let pem = [
        std::fs::read_to_string(dir.join(format!("{name}.crt"))).unwrap(),
        std::fs::read_to_string(dir.join(format!("{name}.key"))).unwrap(),
    ]
    .concat();
    std::fs::write(dir.join(format!("{name}.pem")), pem).unwrap();
}
