//! nginx's `proxy_redirect` in `lbc serve`, against nginx on one configuration: the default
//! (the `proxy_pass` URL back to the location, with and without a URI part, upstream blocks and
//! addresses), `off` and its inheritance, explicit prefix and regex rules with variables and
//! captures, the `Refresh` header's `url=`, what is left alone (relative and foreign
//! `Location`s, proxies with variables), and how a rewritten path is made absolute
//! (`absolute_redirect`, `port_in_redirect`).

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};

use common::serve::{read_head, spawn_backend, start_nginx, start_pair, IO_TIMEOUT};

/// A backend answering `302` with `Location` and `Refresh: 0; url=…` both set to its `to`
/// argument, where `HOST` stands for the Host header it received; `201` when `created` is
/// there.
fn backend() -> u16 {
    spawn_backend(|mut conn| {
        let (head, _) = read_head(&mut conn);
        let target = head.split_whitespace().nth(1).unwrap_or("/").to_string();
        let host = head
            .lines()
            .find_map(|l| l.strip_prefix("Host: ").or(l.strip_prefix("host: ")))
            .unwrap_or("")
            .to_string();
        let to = target
            .split_once("to=")
            .map_or("/nowhere", |(_, t)| t.split('&').next().unwrap_or(""))
            .replace("HOST", &host)
            .replace("%20", " ");
        let status = if target.contains("created") {
            "201 Created"
        } else {
            "302 Found"
        };
        let reply = format!(
            "HTTP/1.1 {status}\r\nLocation: {to}\r\nRefresh: 0; URL={to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        let _ = conn.write_all(reply.as_bytes());
        let _ = conn.shutdown(Shutdown::Write);
    })
}

/// The status code, `Location` and `Refresh` a client sees for `path` (Host `site.test`), with
/// the server's own port written PORT.
fn ask(port: u16, path: &str) -> String {
    let mut conn = TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let head = format!("GET {path} HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n");
    conn.write_all(head.as_bytes()).unwrap();
    let mut raw = String::new();
    let _ = conn.read_to_string(&mut raw);
    let head = raw.split("\r\n\r\n").next().unwrap_or("");
    let status = head.split_whitespace().nth(1).unwrap_or("").to_string();
    let mut seen = vec![status];
    for l in head.lines().skip(1) {
        let lower = l.to_ascii_lowercase();
        if lower.starts_with("location:") || lower.starts_with("refresh:") {
            seen.push(lower.replace(&format!(":{port}/"), ":PORT/"));
        }
    }
    seen.join(" | ")
}

#[test]
fn proxy_redirect_matches_nginx() {
    let up = backend();
    let config = |port: u16| {
        format!(
            "events {{}}
http {{
  access_log off;
  upstream app {{ server 127.0.0.1:{up}; }}
  server {{
    listen 127.0.0.1:{port};
    server_name site.test;
    location /one/ {{ proxy_pass http://app/two/; }}
    location / {{ proxy_pass http://app; }}
    location /ip/ {{ proxy_pass http://127.0.0.1:{up}/two/; }}
    location /off/ {{ proxy_pass http://app/two/; proxy_redirect off; }}
    location /rules/ {{
      proxy_pass http://app/;
      proxy_redirect http://old.test/ $scheme://$http_host/new/;
      proxy_redirect ~^http://re\\.test/(\\w+)/(.*)$ /re/$2/$1;
      proxy_redirect ~*^HTTP://CASE\\.TEST/ /caseless/;
      proxy_redirect default;
    }}
    location /var/ {{ set $u app; proxy_pass http://$u; }}
    location /relative/ {{ absolute_redirect off; proxy_pass http://app/two/; }}
    location /noport/ {{ port_in_redirect off; proxy_pass http://app/two/; }}
  }}
  server {{
    listen 127.0.0.1:{port};
    server_name inherit.test;
    proxy_redirect off;
    location / {{ proxy_pass http://app/two/; }}
  }}
}}
"
        )
    };
    let p = start_pair(config, start_nginx);
    let cases = [
        // The default rule: URL with its URI to the location, or URL and `/` to `/`.
        "/one/x?to=http://HOST/two/login",
        "/one/x?to=http://HOST/two/",
        "/one/x?to=http://HOST/twofold",
        "/x?to=http://HOST/two/login",
        "/x?to=http://HOST",
        "/ip/y?to=http://HOST/two/a?b=c",
        "/ip/y?to=http://other.test/two/a",
        // Left alone: relative, foreign, `off`, proxies with variables.
        "/one/rel?to=/two/rel",
        "/one/x?to=https://HOST/two/x",
        "/off/x?to=http://HOST/two/x",
        "/var/x?to=http://HOST/x",
        // Explicit rules, in order, `default` among them; 201 too.
        "/rules/a?to=http://old.test/path",
        "/rules/a?to=http://re.test/first/rest/of/it",
        "/rules/a?to=http://case.test/x",
        "/rules/a?to=http://HOST/dflt",
        "/rules/a?to=http://HOST/dflt&created",
        // How the rewritten path is written out.
        "/relative/x?to=http://HOST/two/x",
        "/noport/x?to=http://HOST/two/x",
    ];
    for path in cases {
        let (real, lbc) = (ask(p.real, path), ask(p.lbc, path));
        assert_eq!(real, lbc, "{path}");
    }
    // The cases above do rewrite: some of nginx's answers, as a check of the check.
    assert_eq!(
        ask(p.real, "/one/x?to=http://HOST/two/login"),
        "302 | location: http://site.test:PORT/one/login | refresh: 0; url=/one/login"
    );
    assert!(ask(p.real, "/rules/a?to=http://re.test/first/rest/of/it")
        .contains("location: http://site.test:PORT/re/rest/of/it/first"));
    // A server's `off` reaches its locations.
    let inherit = |port: u16| {
        let mut conn = TcpStream::connect(("127.0.0.1", port)).unwrap();
        conn.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        conn.write_all(
            b"GET /x?to=http://HOST/two/x HTTP/1.1\r\nHost: inherit.test\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
        let mut raw = String::new();
        let _ = conn.read_to_string(&mut raw);
        raw.lines()
            .find(|l| l.to_ascii_lowercase().starts_with("location:"))
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    assert_eq!(inherit(p.real), inherit(p.lbc));
    assert!(inherit(p.real).contains("http://app/two/x"));
}
