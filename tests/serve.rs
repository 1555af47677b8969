//! `lbc serve` against real nginx on loopback: the same config (each its own listen port, the
//! same std-only backends answering their own name) must give the same status and body for each
//! path and the same backend sequence over whole smooth-WRR cycles. Every process is killed by a
//! Drop guard, also when an assertion fails. Also: `serve --check` refuses what it cannot honour.

mod common;

use std::process::{Command, Stdio};

use common::serve::{backend, free_port, get, start_lbc, start_nginx, wait_ready, Guard};

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
fn check_refuses_an_unknown_method_and_a_filter() {
    let dir = tempfile::tempdir().unwrap();
    let text = config(8080, &[9001, 9002, 9003])
        .replace(
            "upstream app {",
            "upstream app { random two least_time=header;",
        )
        .replace("location / {", "location / { add_after_body /footer.html;");
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
        stderr.contains("`random two least_time=header`"),
        "{stderr}"
    );
    assert!(stderr.contains("`add_after_body`"), "{stderr}");
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

#[test]
fn check_warns_on_socket_tuning_and_refuses_quic() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("nginx.conf");
    let tuned = "events {}\nhttp {\n    server {\n        listen 127.0.0.1:8080 deferred backlog=511 reuseport;\n        return 204;\n    }\n}\n";
    std::fs::write(&conf, tuned).unwrap();
    let (code, report) = common::serve::serve_check(&conf);
    assert_eq!(code, Some(0), "{report}");
    assert!(
        report.contains("ignores the listen option `backlog=511` (socket tuning)"),
        "{report}"
    );
    let refused = "events {}\nhttp {\n    server {\n        listen 127.0.0.1:8080 quic;\n        return 204;\n    }\n}\n";
    std::fs::write(&conf, refused).unwrap();
    let (code, report) = common::serve::serve_check(&conf);
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("the listen option `quic`"), "{report}");
    assert!(report.contains("nginx.conf:4:"), "{report}");
}

/// `$request_id`: 32 hex digits, one per request, the same wherever the request reads it
/// (here: the header the upstream gets and the one the client gets), in nginx and lbc alike.
#[test]
fn request_id_is_one_per_request_as_in_nginx() {
    use std::io::{Read, Write};
    let up = common::serve::spawn_backend(|mut conn| {
        let (head, _) = common::serve::read_head(&mut conn);
        let id = head
            .lines()
            .find_map(|l| {
                let (n, v) = l.split_once(": ")?;
                n.eq_ignore_ascii_case("x-request-id").then_some(v)
            })
            .unwrap_or("")
            .to_string();
        let reply = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{id}",
            id.len()
        );
        let _ = conn.write_all(reply.as_bytes());
    });
    let config = |port: u16| {
        format!(
            "events {{}}\nhttp {{ access_log off; server {{ listen 127.0.0.1:{port}; location / {{
               add_header X-Request-Id $request_id;
               proxy_set_header X-Request-Id $request_id;
               proxy_pass http://127.0.0.1:{up}; }} }} }}\n"
        )
    };
    let p = common::serve::start_pair(config, common::serve::start_nginx);
    let ids = |port: u16| {
        let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        conn.set_read_timeout(Some(common::serve::IO_TIMEOUT))
            .unwrap();
        conn.write_all(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut raw = String::new();
        let _ = conn.read_to_string(&mut raw);
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
        let sent = head
            .lines()
            .find_map(|l| {
                let (n, v) = l.split_once(": ")?;
                n.eq_ignore_ascii_case("x-request-id")
                    .then(|| v.to_string())
            })
            .unwrap_or_default();
        (sent, body.to_string())
    };
    for port in [p.real, p.lbc] {
        let (first, upstream) = ids(port);
        assert_eq!(first, upstream, "port {port}");
        assert_eq!(first.len(), 32, "{first}");
        assert!(first
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_ne!(ids(port).0, first, "a new id per request");
    }
}
