//! `lbc serve` speaking HTTP/2 to clients, against real nginx and HAProxy: offered by ALPN on a
//! TLS address with `listen … ssl http2` / `bind … alpn h2,http/1.1` (and only there), by prior
//! knowledge on a plain `listen … http2` address and on any HAProxy HTTP address; the request
//! as the backend receives it (origin-form target, `:authority` as Host, the body), the
//! variables that tell the protocol, error pages, and many streams on one connection. `curl`
//! (built with nghttp2) is the client.

mod common;

use std::io::Write;
use std::net::Shutdown;
use std::path::Path;
use std::process::Command;

use common::serve::{
    certificate, comparable_head, read_head, spawn_backend, start_haproxy, start_nginx, start_pair,
    HAPROXY_HTTP_DEFAULTS,
};

/// A backend answering with what it received: the request line, the header lines (names
/// lower-cased, sorted) and the body (as long as `content-length` says).
fn echo_backend() -> u16 {
    spawn_backend(|mut conn| {
        let (head, mut body) = read_head(&mut conn);
        let mut lines = head.lines();
        let request = lines.next().unwrap_or("").to_string();
        let mut headers: Vec<String> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| format!("{}:{v}", n.to_ascii_lowercase()))
            .collect();
        headers.sort_unstable();
        let length = headers
            .iter()
            .find_map(|h| h.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        let mut chunk = [0u8; 4096];
        while body.len() < length {
            match std::io::Read::read(&mut conn, &mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => body.extend_from_slice(&chunk[..n]),
            }
        }
        let text = format!(
            "{request}\n{}\n\n{}",
            headers.join("\n"),
            String::from_utf8_lossy(&body)
        );
        let reply = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Backend: echo\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
            text.len()
        );
        let _ = conn.write_all(reply.as_bytes());
        let _ = conn.shutdown(Shutdown::Write);
    })
}

/// What `curl` with `how` (`--http2`, `--http2-prior-knowledge`, `--http1.1`) and `extra`
/// arguments sees at `url` (a.test resolved to loopback; PORT in both stands for `port`): per response the protocol curl
/// used, the status line, the headers (lower-cased, but `date` and `server`) and the body,
/// with `port` written as PORT.
fn fetch(port: u16, how: &str, url: &str, extra: &[&str]) -> String {
    let out = Command::new("curl")
        .args(["-sk", "-m", "5", "-D", "-", how])
        .args(["-w", "[%{http_version}]\n"])
        .arg("--resolve")
        .arg(format!("a.test:{port}:127.0.0.1"))
        .args(extra.iter().map(|a| a.replace("PORT", &port.to_string())))
        .arg(url.replace("PORT", &port.to_string()))
        .output()
        .expect("curl is installed");
    let text = String::from_utf8_lossy(&out.stdout).replace(&port.to_string(), "PORT");
    let mut seen = Vec::new();
    // One `-D -` head, body and `-w` line per response.
    let mut rest = text.as_str();
    while let Some((head, after)) = rest.split_once("\r\n\r\n") {
        let (body, next) = match after.find("]\n") {
            Some(i) => (&after[..i + 1], &after[i + 2..]),
            None => (after, ""),
        };
        let (status, headers) = comparable_head(head);
        let body = body
            .replace("nginx/1.22.1", "SERVER")
            .replace("<center>lbc</center>", "<center>SERVER</center>");
        seen.push(format!("{status}\n{}\n{body}", headers.join("\n")));
        rest = next;
    }
    seen.join("\n----\n")
}

fn nginx_config<'a>(dir: &'a Path, up: u16, listen: &'a str) -> impl Fn(u16) -> String + 'a {
    move |port| {
        let d = dir.display();
        format!(
            "events {{}}
http {{
  access_log off;
  ssl_protocols TLSv1.2 TLSv1.3;
  ssl_certificate {d}/a.test.crt;
  ssl_certificate_key {d}/a.test.key;
  server {{
    listen 127.0.0.1:{port} {listen};
    server_name a.test;
    location / {{
      add_header X-Seen \"$server_protocol $scheme\";
      return 200 \"$request [$http_host] [$host] [$http_cookie] $server_protocol\\n\";
    }}
    location /up/ {{
      proxy_pass http://127.0.0.1:{up};
      proxy_set_header X-Proto $server_protocol;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }}
    location /gone {{ return 404; }}
    location /away {{ return 301 /there; }}
  }}
}}
"
        )
    }
}

#[test]
fn nginx_http2_matches_nginx() {
    let dir = tempfile::tempdir().unwrap();
    certificate(dir.path(), "a.test");
    let up = echo_backend();
    // Each address kind on its own pair: TLS with HTTP/2, plain with HTTP/2 (prior
    // knowledge), TLS without.
    let tls = start_pair(nginx_config(dir.path(), up, "ssl http2"), start_nginx);
    let plain = start_pair(nginx_config(dir.path(), up, "http2"), start_nginx);
    let tls1 = start_pair(nginx_config(dir.path(), up, "ssl"), start_nginx);
    let cookie: &[&str] = &["-b", "a=1; b=2"];
    let post: &[&str] = &["-d", "k=v&w=1"];
    let cases: [(&common::serve::Pair, &str, &str, &[&str]); 12] = [
        (&tls, "--http2", "https://a.test:PORT/p?q=1", cookie),
        (&tls, "--http2", "https://a.test:PORT/up/x?y=2", cookie),
        (&tls, "--http2", "https://a.test:PORT/up/form", post),
        (&tls, "--http2", "https://a.test:PORT/gone", &[]),
        (&tls, "--http2", "https://a.test:PORT/away", &[]),
        // ALPN lets an HTTP/1.1 client keep HTTP/1.1 on the same address.
        (&tls, "--http1.1", "https://a.test:PORT/up/one", &[]),
        (
            &plain,
            "--http2-prior-knowledge",
            "http://a.test:PORT/p",
            cookie,
        ),
        (
            &plain,
            "--http2-prior-knowledge",
            "http://a.test:PORT/up/z",
            post,
        ),
        (
            &plain,
            "--http2-prior-knowledge",
            "http://a.test:PORT/gone",
            &[],
        ),
        // nginx 1.22 closes an HTTP/1.1 connection to a plain `http2` address.
        (&plain, "--http1.1", "http://a.test:PORT/h1", &[]),
        // Without `http2` on the address, a client asking for HTTP/2 gets HTTP/1.1.
        (&tls1, "--http2", "https://a.test:PORT/p", &[]),
        (&tls1, "--http2", "https://a.test:PORT/up/old", &[]),
    ];
    for (pair, how, url, extra) in cases {
        let real = fetch(pair.real, how, url, extra);
        let lbc = fetch(pair.lbc, how, url, extra);
        assert_eq!(real, lbc, "{how} {url}");
        let expected = if pair.real == plain.real && how == "--http1.1" {
            ""
        } else if pair.real == tls1.real || how == "--http1.1" {
            "[1.1]"
        } else {
            "[2]"
        };
        assert!(real.ends_with(expected), "{how} {url}: {real}");
        assert!(!real.is_empty() || expected.is_empty(), "{how} {url}");
    }
    // Many streams at once on one connection, each answered on its own: the backend's
    // echo of each (its URI, the headers it got) is kept in a file per stream.
    let many = |port: u16| -> Vec<String> {
        let out = tempfile::tempdir().unwrap();
        let mut curl = Command::new("curl");
        curl.args(["-sk", "-m", "5", "--http2", "-Z"])
            .args(["--parallel-max", "12", "--output-dir"])
            .arg(out.path())
            .arg("--resolve")
            .arg(format!("a.test:{port}:127.0.0.1"))
            .args(["-w", "%{http_version} %{response_code} %{num_connects}\n"]);
        for i in 0..24 {
            curl.arg("-o")
                .arg(format!("r{i}"))
                .arg(format!("https://a.test:{port}/up/{i}?n={i}"));
        }
        let ran = curl.output().expect("curl is installed");
        let mut codes: Vec<String> = String::from_utf8_lossy(&ran.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        // One transfer made the connection, the others shared it.
        codes.sort_unstable();
        codes.dedup();
        let mut seen: Vec<String> = (0..24)
            .map(|i| std::fs::read_to_string(out.path().join(format!("r{i}"))).unwrap_or_default())
            .collect();
        seen.extend(codes);
        seen
    };
    let (real, lbc) = (many(tls.real), many(tls.lbc));
    assert_eq!(real[24..], ["2 200 0", "2 200 1"], "{real:?}");
    assert!(real[5].starts_with("GET /up/5?n=5 HTTP/1.0"), "{real:?}");
    assert_eq!(real, lbc);
}

#[test]
fn haproxy_http2_matches_haproxy() {
    let dir = tempfile::tempdir().unwrap();
    certificate(dir.path(), "a.test");
    let up = echo_backend();
    let pem = dir.path().join("a.test.pem");
    let config = |bind: String| {
        move |port: u16| {
            let bind = bind.replace("PORT", &port.to_string());
            format!(
                "{HAPROXY_HTTP_DEFAULTS}frontend f
  bind {bind}
  option forwardfor
  default_backend b
backend b
  server s1 127.0.0.1:{up}
"
            )
        }
    };
    let tls = start_pair(
        config(format!(
            "127.0.0.1:PORT ssl crt {} alpn h2,http/1.1",
            pem.display()
        )),
        start_haproxy,
    );
    let plain = start_pair(config("127.0.0.1:PORT".into()), start_haproxy);
    let tls1 = start_pair(
        config(format!("127.0.0.1:PORT ssl crt {}", pem.display())),
        start_haproxy,
    );
    // `proto h2`: HTTP/2 only; `option disable-h2-upgrade`: HTTP/1.1 only.
    let only = start_pair(config("127.0.0.1:PORT proto h2".into()), start_haproxy);
    let never = |port| {
        config("127.0.0.1:PORT".into())(port).replace(
            "  option forwardfor\n",
            "  option forwardfor\n  option disable-h2-upgrade\n",
        )
    };
    let never = start_pair(never, start_haproxy);
    let cookie: &[&str] = &["-b", "a=1"];
    let post: &[&str] = &["-d", "k=v"];
    let cases: [(&common::serve::Pair, &str, &str, &[&str]); 10] = [
        (&tls, "--http2", "https://a.test:PORT/x?y=1", cookie),
        (&tls, "--http2", "https://a.test:PORT/form", post),
        (&tls, "--http1.1", "https://a.test:PORT/one", &[]),
        // HAProxy takes an HTTP/2 preface on any clear-text HTTP address.
        (
            &plain,
            "--http2-prior-knowledge",
            "http://a.test:PORT/z",
            cookie,
        ),
        (&plain, "--http1.1", "http://a.test:PORT/h1", &[]),
        // A `bind … ssl` without `alpn` offers no HTTP/2.
        (&tls1, "--http2", "https://a.test:PORT/old", &[]),
        (&tls1, "--http2", "https://a.test:PORT/old", post),
        (
            &only,
            "--http2-prior-knowledge",
            "http://a.test:PORT/only",
            &[],
        ),
        (&only, "--http1.1", "http://a.test:PORT/h1", &[]),
        (&never, "--http1.1", "http://a.test:PORT/h1", &[]),
    ];
    for (pair, how, url, extra) in cases {
        let real = fetch(pair.real, how, url, extra);
        let lbc = fetch(pair.lbc, how, url, extra);
        assert_eq!(real, lbc, "{how} {url}");
        let h2 = how != "--http1.1" && pair.real != tls1.real;
        let expected = match (h2, pair.real == only.real) {
            (true, _) => "[2]",
            (false, true) => "",
            (false, false) => "[1.1]",
        };
        assert!(real.ends_with(expected), "{how} {url}: {real}");
        assert!(!real.is_empty() || expected.is_empty(), "{how} {url}");
    }
    // Without the upgrade, an HTTP/2 preface is no request (HAProxy answers 400, lbc closes).
    for port in [never.real, never.lbc] {
        let seen = fetch(port, "--http2-prior-knowledge", "http://a.test:PORT/", &[]);
        assert!(!seen.contains("[2]"), "{seen}");
    }
}

/// Seconds until an HTTP/2 connection to `port` that made one request (`GET /`, prior
/// knowledge) is closed by the server, whether a GOAWAY frame came before, and the
/// SETTINGS_MAX_CONCURRENT_STREAMS the server announced (`None`: still open after 10 s).
fn idle_close(port: u16) -> Option<(f64, bool, Option<u32>)> {
    use std::io::Read;
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    // Preface, empty SETTINGS, HEADERS (END_STREAM | END_HEADERS) on stream 1 with the
    // static-table fields `:method GET`, `:path /`, `:scheme http`.
    let mut hello = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    hello.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
    hello.extend_from_slice(&[0, 0, 3, 1, 5, 0, 0, 0, 1, 0x82, 0x84, 0x86]);
    conn.write_all(&hello).unwrap();
    let start = std::time::Instant::now();
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match conn.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => received.extend_from_slice(&chunk[..n]),
            Err(_) => return None,
        }
    }
    // Frames: 3 bytes length, 1 byte type (7: GOAWAY), 1 flags, 4 stream.
    let mut at = 0;
    let (mut goaway, mut streams) = (false, None);
    while at + 9 <= received.len() {
        let len = usize::from(received[at]) << 16
            | usize::from(received[at + 1]) << 8
            | usize::from(received[at + 2]);
        goaway |= received[at + 3] == 7;
        // SETTINGS (4), not an ACK: 6-byte entries, id 3 is MAX_CONCURRENT_STREAMS.
        if received[at + 3] == 4 && received[at + 4] & 1 == 0 {
            let body = &received[at + 9..(at + 9 + len).min(received.len())];
            for e in body.chunks_exact(6) {
                if e[..2] == [0, 3] {
                    streams = Some(u32::from_be_bytes([e[2], e[3], e[4], e[5]]));
                }
            }
        }
        at += 9 + len;
    }
    Some((start.elapsed().as_secs_f64(), goaway, streams))
}

#[test]
fn idle_http2_connections_close_after_keepalive_timeout_and_announce_streams() {
    let config = |port: u16| {
        format!(
            "events {{}}
http {{
  access_log off;
  keepalive_timeout 1s;
  http2_max_concurrent_streams 7;
  server {{ listen 127.0.0.1:{port} http2; location / {{ return 200 \"x\\n\"; }} }}
}}
"
        )
    };
    let p = start_pair(config, start_nginx);
    let (real, lbc) = (idle_close(p.real), idle_close(p.lbc));
    let (real_after, real_goaway, real_streams) = real.expect("nginx closes the idle connection");
    let (lbc_after, lbc_goaway, lbc_streams) = lbc.expect("lbc closes the idle connection");
    assert!(real_goaway && lbc_goaway, "{real:?} {lbc:?}");
    assert_eq!((real_streams, lbc_streams), (Some(7), Some(7)));
    // nginx at the timeout; lbc looks at its streams once a quarter timeout and waits a
    // moment after its GOAWAY.
    assert!((0.9..1.5).contains(&real_after), "{real:?}");
    assert!((0.9..3.0).contains(&lbc_after), "{lbc:?}");
}
