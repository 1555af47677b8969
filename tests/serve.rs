//! `lbc serve` against real nginx on loopback: the same config (each its own listen port, the
//! same std-only backends answering their own name) must give the same status and body for each
//! path and the same backend sequence over whole smooth-WRR cycles. Every process is killed by a
//! Drop guard, also when an assertion fails. Also: `serve --check` refuses what it cannot honour.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const IO_TIMEOUT: Duration = Duration::from_secs(5);
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// A backend on 127.0.0.1 answering `NAME PATH`; its accept thread dies with the test process.
fn backend(name: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            thread::spawn(move || serve_one(name, conn));
        }
    });
    port
}

fn serve_one(name: &str, mut conn: TcpStream) {
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

/// A child process killed and reaped when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn config(listen: u16, ports: &[u16]) -> String {
    format!(
        r#"events {{}}
http {{
    upstream app {{
        server 127.0.0.1:{} weight=3;
        server 127.0.0.1:{};
        server 127.0.0.1:{};
    }}
    server {{
        listen 127.0.0.1:{listen};
        location = /exact {{ return 200 "exact"; }}
        location ^~ /static/ {{ return 200 "static"; }}
        location ~ \.php$ {{ proxy_pass http://app; }}
        location / {{ proxy_pass http://app; }}
    }}
}}
"#,
        ports[0], ports[1], ports[2]
    )
}

fn start_nginx(text: &str, dir: &Path) -> Guard {
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

fn start_lbc(text: &str, dir: &Path) -> Guard {
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

fn wait_ready(port: u16) {
    let deadline = Instant::now() + START_TIMEOUT;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    while TcpStream::connect_timeout(&addr, IO_TIMEOUT).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        thread::sleep(Duration::from_millis(50));
    }
}

/// One `GET` on a fresh connection: (status, body).
fn get(port: u16, path: &str) -> (u16, String) {
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

#[test]
fn same_answers_and_distribution_as_nginx() {
    let ports = [backend("a"), backend("b"), backend("c")];
    let dir = tempfile::tempdir().unwrap();
    let (nginx_port, lbc_port) = (free_port(), free_port());
    let _nginx = start_nginx(&config(nginx_port, &ports), dir.path());
    let _lbc = start_lbc(&config(lbc_port, &ports), dir.path());
    wait_ready(nginx_port);
    wait_ready(lbc_port);
    for path in [
        "/exact",
        "/static/x.php",
        "/index.php",
        "/exact/",
        "/other",
        "/",
    ] {
        let (n, l) = (get(nginx_port, path), get(lbc_port, path));
        // The backend's name differs with the round-robin position; compare the rest.
        let strip = |r: &(u16, String)| (r.0, r.1.split_once(' ').map(|x| x.1.to_string()));
        assert_eq!(strip(&n), strip(&l), "{path}");
        if path == "/exact" || path.starts_with("/static/") {
            assert_eq!(n, l, "{path}");
        }
    }
    // Both have served the same number of proxied requests: the WRR states are aligned.
    let sequence = |port| -> Vec<String> {
        (0..20)
            .map(|i| {
                let path = if i % 2 == 0 { "/x" } else { "/y.php" };
                get(port, path).1.split(' ').next().unwrap().to_string()
            })
            .collect()
    };
    let (n, l) = (sequence(nginx_port), sequence(lbc_port));
    assert_eq!(n, l);
    let count = |name: &str| l.iter().filter(|b| *b == name).count();
    assert_eq!((count("a"), count("b"), count("c")), (12, 4, 4));
}

#[test]
fn check_refuses_ip_hash_and_root() {
    let dir = tempfile::tempdir().unwrap();
    let text = config(8080, &[9001, 9002, 9003])
        .replace("upstream app {", "upstream app { ip_hash;")
        .replace("location / {", "location / { root /srv;");
    let conf = dir.path().join("nginx.conf");
    std::fs::write(&conf, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lbc"))
        .args(["serve", "--check"])
        .arg(&conf)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("serve/unsupported"), "{stderr}");
    assert!(
        stderr.contains("`ip-hash`") && stderr.contains("ip_hash;"),
        "{stderr}"
    );
    assert!(stderr.contains("`root`"), "{stderr}");
}

#[test]
fn check_accepts_the_supported_subset() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("nginx.conf");
    std::fs::write(&conf, config(8080, &[9001, 9002, 9003])).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lbc"))
        .args(["serve", "--check"])
        .arg(&conf)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn with_no_file_the_demo_balances_over_two_builtin_backends() {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_lbc"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _guard = Guard(child);
    wait_ready(port);
    let bodies: Vec<String> = (0..4).map(|_| get(port, "/hello").1).collect();
    assert_eq!(
        bodies,
        [
            "backend-1 answered /hello\n",
            "backend-2 answered /hello\n",
            "backend-1 answered /hello\n",
            "backend-2 answered /hello\n"
        ]
    );
    assert_eq!(get(port, "/health"), (200, "ok\n".to_string()));
}
