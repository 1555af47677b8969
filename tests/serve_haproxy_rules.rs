//! `lbc serve` against real HAProxy on where rules come from: named `defaults` sections
//! (`frontend fe from web`, `defaults web from base`, the last `defaults` for proxies without
//! `from`, the rules of a named `defaults` run before the proxy's own with the section's own
//! ACLs), and a backend's own `http-request`/`redirect`/`http-response` rules, run once the
//! frontend picked it. The same requests go to both; status, the response headers the rules
//! set and the request headers the backend receives must be the same. Also: which `global`
//! settings `lbc serve --check` warns about rather than refuses.

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};

use common::serve::{
    echo_head, free_port, serve_check, spawn_backend, start_haproxy, start_lbc, wait_ready,
    IO_TIMEOUT,
};

fn config(port: u16, second: u16, backend: u16) -> String {
    format!(
        "defaults base
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    option forwardfor

defaults web from base
    acl blocked path_beg /blocked
    http-request deny if blocked
    http-request add-header X-Order defaults
    http-request set-header X-Tier web
    http-response set-header X-Defaults web

defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s

frontend fe from web
    bind 127.0.0.1:{port}
    acl tier path_beg /tier
    http-request add-header X-Order frontend
    http-request set-header X-Tier frontend if tier
    default_backend be

frontend plain
    bind 127.0.0.1:{second}
    default_backend be

backend be
    server s1 127.0.0.1:{backend}
"
    )
}

/// The status line, the `x-` response headers, and the `x-` request headers the backend got
/// (lower-cased), for `path` on `port`.
fn ask(port: u16, path: &str) -> String {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut conn = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
    conn.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    conn.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .unwrap();
    let mut out = Vec::new();
    let _ = conn.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).to_ascii_lowercase();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    // Lines of one name keep their order; names are sorted (hyper keeps a name's lines
    // together where HAProxy appends a set header at the end).
    let x = |s: &str| {
        let mut lines: Vec<&str> = s
            .lines()
            .filter(|l| l.starts_with("x-"))
            .map(str::trim)
            .collect();
        lines.sort_by_key(|l| l.split(':').next().unwrap_or("").to_string());
        lines.join("; ")
    };
    let status = head.lines().next().unwrap_or("");
    format!("{status} | {} | {}", x(head), x(body))
}

#[test]
fn named_defaults_and_their_rules_as_haproxy() {
    let backend = spawn_backend(echo_head);
    let dir = tempfile::tempdir().unwrap();
    let ports: Vec<u16> = (0..4).map(|_| free_port()).collect();
    let (rdir, ldir) = (dir.path().join("real"), dir.path().join("lbc"));
    std::fs::create_dir_all(&rdir).unwrap();
    std::fs::create_dir_all(&ldir).unwrap();
    let _real = start_haproxy(&config(ports[0], ports[1], backend), &rdir);
    let _lbc = start_lbc(&config(ports[2], ports[3], backend), &ldir);
    for p in &ports {
        wait_ready(*p);
    }
    let cases = [
        (ports[0], ports[2], "/"),
        (ports[0], ports[2], "/tier"),
        (ports[0], ports[2], "/blocked"),
        (ports[1], ports[3], "/"),
        (ports[1], ports[3], "/blocked"),
    ];
    let mut seen = Vec::new();
    for (real, lbc, path) in cases {
        let want = ask(real, path);
        assert_eq!(ask(lbc, path), want, "{path} on port {real}/{lbc}");
        seen.push(want);
    }
    // The cases say something: the defaults' rules ran first, its response rule, its ACL, its
    // `option forwardfor` through `from base`; none of it on the proxy without `from`.
    assert!(seen[0].starts_with("http/1.1 200"), "{}", seen[0]);
    assert!(seen[0].contains("x-defaults: web |"), "{}", seen[0]);
    assert!(
        seen[0].contains(
            "x-forwarded-for: 127.0.0.1; x-order: defaults; x-order: frontend; x-tier: web"
        ),
        "{}",
        seen[0]
    );
    assert!(seen[1].contains("x-tier: frontend"), "{}", seen[1]);
    assert!(seen[2].starts_with("http/1.1 403"), "{}", seen[2]);
    assert_eq!(seen[3], "http/1.1 200 ok |  | ", "{}", seen[3]);
    assert!(seen[4].starts_with("http/1.1 200"), "{}", seen[4]);
}

const BACKEND_RULES: &str = "defaults apis
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    http-request add-header X-Order apis-defaults
    http-response add-header X-Resp-Order apis-defaults

defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s

frontend fe
    bind 127.0.0.1:PORT
    acl api path_beg /api
    http-request add-header X-Order frontend
    http-response add-header X-Resp-Order frontend
    use_backend api if api
    default_backend web

backend api from apis
    acl secret path_beg /api/secret
    http-request deny deny_status 401 if secret
    http-request add-header X-Order backend
    http-request return status 202 content-type text/plain string pong if { path /api/ping }
    redirect location /api/new code 302 if { path /api/old }
    http-response add-header X-Resp-Order backend
    server s1 127.0.0.1:BACKEND

backend web
    server s1 127.0.0.1:BACKEND

listen once
    bind 127.0.0.1:LISTEN
    http-request add-header X-Once 1
    http-response add-header X-Resp-Once 1
    server s1 127.0.0.1:BACKEND
";

#[test]
fn backend_rules_run_after_the_frontend_picks_it_as_haproxy() {
    let backend = spawn_backend(echo_head).to_string();
    let dir = tempfile::tempdir().unwrap();
    let ports: Vec<u16> = (0..4).map(|_| free_port()).collect();
    let config = |port: u16, listen: u16| {
        BACKEND_RULES
            .replace("BACKEND", &backend)
            .replace("PORT", &port.to_string())
            .replace("LISTEN", &listen.to_string())
    };
    let (rdir, ldir) = (dir.path().join("real"), dir.path().join("lbc"));
    std::fs::create_dir_all(&rdir).unwrap();
    std::fs::create_dir_all(&ldir).unwrap();
    let _real = start_haproxy(&config(ports[0], ports[1]), &rdir);
    let _lbc = start_lbc(&config(ports[2], ports[3]), &ldir);
    for p in &ports {
        wait_ready(*p);
    }
    let mut seen = Vec::new();
    for path in ["/", "/api/x", "/api/secret", "/api/ping", "/api/old"] {
        let want = ask(ports[0], path);
        assert_eq!(ask(ports[2], path), want, "{path}");
        seen.push(want);
    }
    let want = ask(ports[1], "/");
    assert_eq!(ask(ports[3], "/"), want, "listen");
    // What the cases show: rules in HAProxy's order on both sides, the backend's answers.
    assert_eq!(
        seen[0],
        "http/1.1 200 ok | x-resp-order: frontend | x-order: frontend"
    );
    assert_eq!(
        seen[1],
        "http/1.1 200 ok | x-resp-order: apis-defaults; x-resp-order: backend; x-resp-order: frontend | x-order: frontend; x-order: apis-defaults; x-order: backend"
    );
    assert!(seen[2].starts_with("http/1.1 401"), "{}", seen[2]);
    assert!(seen[3].starts_with("http/1.1 202"), "{}", seen[3]);
    assert!(seen[4].starts_with("http/1.1 302"), "{}", seen[4]);
    assert_eq!(want, "http/1.1 200 ok | x-resp-once: 1 | x-once: 1");
}

/// `global` settings that change nothing `lbc serve` does are warnings naming them; one that
/// would (`lua-load`) is refused.
#[test]
fn global_process_settings_are_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("haproxy.cfg");
    let proxy = "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\
                 frontend fe\n    bind 127.0.0.1:8080\n    default_backend be\n\
                 backend be\n    server s1 127.0.0.1:8081\n";
    let global = "global\n    ssl-server-verify none\n    ssl-dh-param-file dh.pem\n    hard-stop-after 5s\n";
    std::fs::write(&file, format!("{global}{proxy}")).unwrap();
    let (code, err) = serve_check(&file);
    assert_eq!(code, Some(0), "{err}");
    for name in ["ssl-server-verify", "ssl-dh-param-file", "hard-stop-after"] {
        assert!(
            err.contains(&format!("ignores `{name}` (a process setting)")),
            "{name}: {err}"
        );
    }
    std::fs::write(&file, format!("{global}    lua-load x.lua\n{proxy}")).unwrap();
    let (code, err) = serve_check(&file);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("does not support `lua-load` in `global`"),
        "{err}"
    );
}
