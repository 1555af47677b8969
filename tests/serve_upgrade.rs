//! `lbc serve` against real nginx on connections that switch protocols (WebSocket's
//! `Upgrade`): the usual `proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection
//! $connection_upgrade;` location passes the upgrade, the 101 reaches the client, and bytes flow
//! both ways — what the client sent early, what the server sent with its 101, then an echo —
//! until the client closes (which closes the whole tunnel, the server's `bye` unheard, as in
//! nginx); a location without those headers does not upgrade. The same
//! conversation runs through nginx and lbc and must read the same.

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpStream};

use common::serve::{
    read_head, spawn_backend, start_nginx, start_pair, HAPROXY_HTTP_DEFAULTS, IO_TIMEOUT,
};

/// A backend that switches to an upper-casing echo when asked to upgrade (and says so with
/// its 101, sending `hi` at once), and otherwise says which upgrade headers it received.
fn upgrade_backend() -> u16 {
    spawn_backend(|mut conn| {
        let (head, mut rest) = read_head(&mut conn);
        let lower = head.to_ascii_lowercase();
        let header = |name: &str| {
            lower
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{name}: ")))
                .unwrap_or("-")
                .to_string()
        };
        let (upgrade, connection) = (header("upgrade"), header("connection"));
        if upgrade == "-" || !connection.contains("upgrade") {
            let body = format!("no upgrade: upgrade={upgrade} connection={connection}");
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = conn.write_all(reply.as_bytes());
            return;
        }
        let reply = format!(
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: {upgrade}\r\nConnection: Upgrade\r\nX-Was: {connection}\r\n\r\nhi\n"
                );
        if conn.write_all(reply.as_bytes()).is_err() {
            return;
        }
        let mut chunk = [0u8; 4096];
        loop {
            if !rest.is_empty() {
                let up = rest.to_ascii_uppercase();
                if conn.write_all(&up).is_err() {
                    return;
                }
                rest.clear();
            }
            match conn.read(&mut chunk) {
                Ok(0) | Err(_) => {
                    let _ = conn.write_all(b"bye\n");
                    let _ = conn.shutdown(Shutdown::Write);
                    return;
                }
                Ok(n) => rest.extend_from_slice(&chunk[..n]),
            }
        }
    })
}

/// The conversation: the request (with `early` bytes right after its head), the response
/// head (status line and headers but `Date`/`Server`, sorted, names lower-cased), then
/// for an upgrade the bytes that arrive for each message sent and after the client's close.
fn converse(port: u16, path: &str, early: &str) -> Vec<String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut conn = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
    conn.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    conn.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n{early}")
            .as_bytes(),
    )
    .unwrap();
    let (head, mut rest) = read_head(&mut conn);
    let mut lines = head.lines();
    let mut out = vec![lines.next().unwrap_or("").to_string()];
    let mut headers: Vec<String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| format!("{}:{}", n.to_ascii_lowercase(), v))
        .filter(|l| !l.starts_with("date:") && !l.starts_with("server:"))
        // nginx says `keep-alive` where HTTP/1.1 means it anyway; lbc does not.
        .filter(|l| l != "connection: keep-alive")
        .collect();
    headers.sort_unstable();
    out.extend(headers);
    if !out[0].contains(" 101 ") {
        let length: usize = out
            .iter()
            .find_map(|l| l.strip_prefix("content-length: "))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut chunk = [0u8; 4096];
        while rest.len() < length {
            match conn.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => rest.extend_from_slice(&chunk[..n]),
            }
        }
        out.push(String::from_utf8_lossy(&rest).into_owned());
        return out;
    }
    // What arrives up to each expected end, read exactly.
    let mut expect = |conn: &mut TcpStream, want: usize| {
        let mut chunk = [0u8; 4096];
        while rest.len() < want {
            match conn.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => rest.extend_from_slice(&chunk[..n]),
            }
        }
        let got: Vec<u8> = rest.drain(..want.min(rest.len())).collect();
        String::from_utf8_lossy(&got).into_owned()
    };
    out.push(expect(&mut conn, 3 + early.len()));
    for message in ["abc", "second message\n"] {
        conn.write_all(message.as_bytes()).unwrap();
        out.push(expect(&mut conn, message.len()));
    }
    conn.shutdown(Shutdown::Write).unwrap();
    let mut tail = Vec::new();
    let _ = conn.read_to_end(&mut tail);
    rest.extend_from_slice(&tail);
    out.push(String::from_utf8_lossy(&rest).into_owned());
    out
}

#[test]
fn websocket_style_upgrades_as_nginx() {
    let backend = upgrade_backend();
    let config = |port: u16| {
        format!(
            "events {{}}
http {{
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    server {{
        listen 127.0.0.1:{port};
        location /ws {{
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_pass http://127.0.0.1:{backend};
        }}
        location /plain {{
            proxy_pass http://127.0.0.1:{backend};
        }}
    }}
}}
"
        )
    };
    let p = start_pair(config, start_nginx);
    for (path, early) in [("/ws", ""), ("/ws", "early"), ("/plain", "")] {
        let (real, lbc) = (converse(p.real, path, early), converse(p.lbc, path, early));
        assert_eq!(real, lbc, "{path} with {early:?}");
    }
    // The conversation went through the upgrade.
    let ws = converse(p.lbc, "/ws", "");
    assert_eq!(ws[0], "HTTP/1.1 101 Switching Protocols", "{ws:?}");
    assert_eq!(
        ws[ws.len() - 3..],
        ["ABC", "SECOND MESSAGE\n", ""],
        "{ws:?}"
    );
}

#[test]
fn haproxy_passes_upgrades_as_haproxy() {
    let backend = upgrade_backend();
    let config = |port: u16| {
        format!(
            "{HAPROXY_HTTP_DEFAULTS}frontend f
  bind 127.0.0.1:{port}
  default_backend b
backend b
  server s 127.0.0.1:{backend}
"
        )
    };
    let p = start_pair(config, common::serve::start_haproxy);
    for early in ["", "early"] {
        let (real, lbc) = (
            converse(p.real, "/ws", early),
            converse(p.lbc, "/ws", early),
        );
        assert_eq!(real, lbc, "with {early:?}");
    }
    assert_eq!(
        converse(p.lbc, "/ws", "")[0],
        "HTTP/1.1 101 Switching Protocols"
    );
}
