//! nginx's `sub_filter` in `lbc serve`, against nginx on one configuration: strings matched
//! without case across the chunks a backend writes, once or everywhere, several strings,
//! variables in the replacement, `sub_filter_types`, encoded responses (filtered too), static files,
//! and what happens to `Content-Length`, `Last-Modified` and `ETag`.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use common::serve::{read_head, spawn_backend, start_nginx, start_pair, IO_TIMEOUT};

/// The page, written in pieces that split the strings to replace.
const PIECES: [&str; 4] = [
    "<html><a href=\"http://ap",
    "p.test/x\">Foo</a> foo FOO http://APP.test/y ",
    "fo",
    "o end</html>\n",
];

/// A backend answering the page chunked (`/json`: as JSON, `/gz`: marked gzip-encoded),
/// with `Last-Modified` and an `ETag`.
fn backend() -> u16 {
    spawn_backend(|mut conn| {
        let (head, _) = read_head(&mut conn);
        let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
        let kind = if path.contains("json") {
            "application/json"
        } else {
            "text/html"
        };
        let encoding = if path.contains("gz") {
            "Content-Encoding: gzip\r\n"
        } else {
            ""
        };
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\n{encoding}Last-Modified: Thu, 01 Jan 2026 00:00:00 GMT\r\nETag: \"abc\"\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        );
        let _ = conn.write_all(head.as_bytes());
        for p in PIECES {
            let _ = conn.write_all(format!("{:x}\r\n{p}\r\n", p.len()).as_bytes());
            let _ = conn.flush();
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = conn.write_all(b"0\r\n\r\n");
        let _ = conn.shutdown(Shutdown::Write);
    })
}

/// Status, the headers that tell what the filter did, and the body (de-chunked).
fn ask(port: u16, path: &str) -> String {
    let mut conn = TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: s.test\r\nConnection: close\r\n\r\n");
    conn.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = conn.read_to_end(&mut raw);
    let at = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..at]).to_ascii_lowercase();
    let mut body = raw.get(at + 4..).unwrap_or_default().to_vec();
    let chunked = head.contains("transfer-encoding: chunked");
    if chunked {
        let mut out = Vec::new();
        let mut rest = &body[..];
        while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
            let size = usize::from_str_radix(std::str::from_utf8(&rest[..eol]).unwrap_or("0"), 16)
                .unwrap_or(0);
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[eol + 2..eol + 2 + size]);
            rest = &rest[eol + 2 + size + 2..];
        }
        body = out;
    }
    let mut kept: Vec<&str> = head
        .lines()
        .filter(|l| {
            [
                "content-length",
                "last-modified",
                "etag",
                "content-encoding",
            ]
            .iter()
            .any(|n| l.starts_with(n))
        })
        .collect();
    kept.sort();
    format!(
        "{} | {} | {}",
        head.lines().next().unwrap_or(""),
        kept.join(", "),
        String::from_utf8_lossy(&body)
    )
}

#[test]
fn sub_filter_matches_nginx() {
    let up = backend();
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("static");
    std::fs::create_dir_all(&page).unwrap();
    std::fs::write(page.join("page.html"), PIECES.concat()).unwrap();
    let root = dir.path().display().to_string();
    let config = |port: u16| {
        format!(
            "events {{}}
http {{
  access_log off;
  types {{ text/html html; }}
  server {{
    listen 127.0.0.1:{port};
    server_name s.test;
    location / {{
      proxy_pass http://127.0.0.1:{up};
      sub_filter 'http://app.test/' '/';
      sub_filter foo bar;
    }}
    location /all/ {{
      proxy_pass http://127.0.0.1:{up}/;
      sub_filter foo \"[$host]\";
      sub_filter 'http://app.test/' 'https://$host/';
      sub_filter_once off;
      sub_filter_types application/json;
    }}
    location /keep/ {{
      proxy_pass http://127.0.0.1:{up}/;
      sub_filter foo bar;
      sub_filter_last_modified on;
    }}
    location /none/ {{ proxy_pass http://127.0.0.1:{up}/; }}
    location /static/ {{ root {root}; sub_filter foo bar; sub_filter_once off; }}
  }}
}}
"
        )
    };
    let p = start_pair(config, start_nginx);
    for path in [
        "/page",
        "/json",
        "/gz",
        "/all/page",
        "/all/json",
        "/keep/page",
        "/none/page",
        "/static/page.html",
    ] {
        let (real, lbc) = (ask(p.real, path), ask(p.lbc, path));
        assert_eq!(real, lbc, "{path}");
    }
    // nginx did replace, across the pieces, once and everywhere.
    let once = ask(p.real, "/page");
    assert!(
        once.ends_with("<a href=\"/x\">bar</a> foo FOO http://APP.test/y foo end</html>\n"),
        "{once}"
    );
    let all = ask(p.real, "/all/page");
    assert!(all.contains(">[s.test]</a> [s.test] [s.test] "), "{all}");
    assert!(all.contains("https://s.test/y [s.test] end"), "{all}");
}
