//! nginx's `auth_request` in `lbc serve`, against nginx on one configuration — the recipe of
//! oauth2-proxy and its kind: an internal location proxies a subrequest (`GET`, the client's
//! headers, no body) to an auth service; 2xx passes with `auth_request_set` values, 401 (with
//! the service's `WWW-Authenticate`) and 403 answer so, others are 500; `error_page 401 =
//! @login` sends the browser to a login page.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};

use common::serve::{read_head, spawn_backend, start_nginx, start_pair, IO_TIMEOUT};

/// The value of header `name` in `head`.
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// The auth service: its verdict from the `Authorization` header (`Bearer good`: 200 with
/// `X-User`; `bad`: 403; `boom`: 500; `moved`: 302; none: 401 with a challenge). Every answer
/// says what the subrequest looked like in `X-Seen`.
fn auth_service() -> u16 {
    spawn_backend(|mut conn| {
        let (head, early) = read_head(&mut conn);
        let line = head.lines().next().unwrap_or("").to_string();
        let token = header(&head, "authorization").unwrap_or("");
        let seen = format!(
            "{line} uri={} length={} early={}",
            header(&head, "x-original-uri").unwrap_or("-"),
            header(&head, "content-length").unwrap_or("-"),
            early.len()
        );
        let (status, extra) = match token {
            "Bearer good" => ("200 OK", "X-User: alice\r\n"),
            "Bearer bad" => ("403 Forbidden", ""),
            "Bearer boom" => ("500 Internal Server Error", ""),
            "Bearer moved" => ("302 Found", "Location: /elsewhere\r\n"),
            _ => (
                "401 Unauthorized",
                "WWW-Authenticate: Bearer realm=\"test\"\r\n",
            ),
        };
        let reply = format!(
            "HTTP/1.1 {status}\r\n{extra}X-Seen: {seen}\r\nContent-Length: 4\r\nConnection: close\r\n\r\nauth"
        );
        let _ = conn.write_all(reply.as_bytes());
        let _ = conn.shutdown(Shutdown::Write);
    })
}

/// The application: answers with its request line, the `x-*` headers it got and the body.
fn app() -> u16 {
    spawn_backend(|mut conn| {
        let (head, mut body) = read_head(&mut conn);
        let length: usize = header(&head, "content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut chunk = [0u8; 1024];
        while body.len() < length {
            match conn.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => body.extend_from_slice(&chunk[..n]),
            }
        }
        let mut x: Vec<String> = head
            .lines()
            .skip(1)
            .filter(|l| l.to_ascii_lowercase().starts_with("x-"))
            .map(str::to_ascii_lowercase)
            .collect();
        x.sort();
        let text = format!(
            "{} {} [{}]",
            head.lines().next().unwrap_or(""),
            x.join(", "),
            String::from_utf8_lossy(&body)
        );
        let reply = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
            text.len()
        );
        let _ = conn.write_all(reply.as_bytes());
        let _ = conn.shutdown(Shutdown::Write);
    })
}

/// Status, `WWW-Authenticate`, `Location` and body of a request (`token` as a Bearer token,
/// `body` sent with POST).
fn ask(port: u16, path: &str, token: Option<&str>, body: Option<&str>) -> String {
    let mut conn = TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let (method, payload) = match body {
        Some(b) => ("POST", format!("Content-Length: {}\r\n\r\n{b}", b.len())),
        None => ("GET", "\r\n".to_string()),
    };
    let request =
        format!("{method} {path} HTTP/1.1\r\nHost: a.test\r\n{auth}Connection: close\r\n{payload}");
    conn.write_all(request.as_bytes()).unwrap();
    let mut raw = String::new();
    let _ = conn.read_to_string(&mut raw);
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head.split_whitespace().nth(1).unwrap_or("").to_string();
    let location = header(head, "location")
        .unwrap_or("-")
        .replace(&port.to_string(), "PORT");
    format!(
        "{status} | {} | {location} | {}",
        header(head, "www-authenticate").unwrap_or("-"),
        body.replace("nginx/1.22.1", "SERVER")
            .replace(">lbc<", ">SERVER<")
    )
}

#[test]
fn auth_request_matches_nginx() {
    let (auth, app) = (auth_service(), app());
    let config = |port: u16| {
        format!(
            "events {{}}
http {{
  access_log off;
  upstream auth {{ server 127.0.0.1:{auth}; }}
  upstream app {{ server 127.0.0.1:{app}; }}
  server {{
    listen 127.0.0.1:{port};
    server_name a.test;
    location = /auth {{
      internal;
      proxy_pass http://auth/verify;
      proxy_pass_request_body off;
      proxy_set_header Content-Length \"\";
      proxy_set_header X-Original-URI $request_uri;
    }}
    location /app/ {{
      auth_request /auth;
      auth_request_set $user $upstream_http_x_user;
      auth_request_set $seen $upstream_http_x_seen;
      auth_request_set $verdict $upstream_status;
      proxy_set_header X-User $user;
      proxy_set_header X-Seen $seen;
      proxy_set_header X-Verdict $verdict;
      proxy_pass http://app;
    }}
    location /flow/ {{
      auth_request /auth;
      error_page 401 = @login;
      proxy_pass http://app;
    }}
    location @login {{ return 302 /login?from=$request_uri; }}
    location /open/ {{ proxy_pass http://app; }}
    location /denied/ {{ auth_request /no; return 200 \"never\\n\"; }}
    location = /no {{ return 403; }}
    location /allowed/ {{ auth_request /yes; return 200 \"yes [$request_uri]\\n\"; }}
    location = /yes {{ return 204; }}
  }}
}}
"
        )
    };
    let p = start_pair(config, start_nginx);
    let cases: [(&str, Option<&str>, Option<&str>); 13] = [
        ("/app/x?q=1", Some("good"), None),
        ("/app/x", Some("bad"), None),
        ("/app/x", None, None),
        ("/app/x", Some("boom"), None),
        ("/app/x", Some("moved"), None),
        ("/app/post", Some("good"), Some("hello=1")),
        ("/app/post", None, Some("hello=1")),
        ("/flow/x?y=2", None, None),
        ("/flow/x", Some("good"), None),
        ("/open/x", None, None),
        ("/denied/x", Some("good"), None),
        ("/allowed/x", None, None),
        ("/auth", Some("good"), None),
    ];
    for (path, token, body) in cases {
        let (real, lbc) = (
            ask(p.real, path, token, body),
            ask(p.lbc, path, token, body),
        );
        assert_eq!(real, lbc, "{path} {token:?} {body:?}");
    }
    // What nginx did, to show the cases differ: the user and the subrequest's shape passed
    // on, the challenge, the login redirect.
    let good = ask(p.real, "/app/post", Some("good"), Some("hello=1"));
    assert!(good.contains("x-user: alice"), "{good}");
    assert!(
        good.contains("x-seen: get /verify http/1.0 uri=/app/post length=- early=0"),
        "{good}"
    );
    assert!(good.contains("[hello=1]"), "{good}");
    let none = ask(p.real, "/app/x", None, None);
    assert!(none.starts_with("401 | Bearer realm=\"test\""), "{none}");
    let flow = ask(p.real, "/flow/x?y=2", None, None);
    assert!(flow.starts_with("302 |"), "{flow}");
    assert!(flow.contains("/login?from=/flow/x?y=2"), "{flow}");
}
