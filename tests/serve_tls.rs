//! `lbc serve` on TLS addresses against real nginx and HAProxy: the certificate chosen by the
//! name the client asks for (SNI), the default server's for other names, `$scheme` and `$https`,
//! absolute redirects, proxying, and what a plain HTTP request on a TLS address gets. Both get the
//! same configuration and certificates (made with `openssl`); `curl` is the client.

mod common;

use std::path::Path;
use std::process::Command;

use common::serve::{
    backend, certificate, comparable_head, serve_check, start_haproxy, start_nginx, start_pair,
    Pair, HAPROXY_HTTP_DEFAULTS,
};

/// What a client asking for `name` on `port` sees: the certificate's subject, the status line,
/// the headers (lower-cased, but `date` and `server`) and the body.
#[derive(Debug, PartialEq)]
struct Seen {
    subject: String,
    status: String,
    headers: Vec<String>,
    body: String,
}

fn fetch(port: u16, name: &str, path: &str, scheme: &str) -> Seen {
    let out = Command::new("curl")
        .args(["-sk", "-v", "--http1.1", "-m", "5", "-D", "-"])
        .arg("--resolve")
        .arg(format!("{name}:{port}:127.0.0.1"))
        .arg(format!("{scheme}://{name}:{port}{path}"))
        .output()
        .expect("curl is installed");
    let err = String::from_utf8_lossy(&out.stderr);
    let subject = err
        .lines()
        .find_map(|l| l.split_once("subject: ").map(|x| x.1.trim().to_string()))
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let (status, headers) = comparable_head(head);
    Seen {
        subject,
        status,
        headers,
        body: body
            .replace("nginx/1.22.1", "SERVER")
            .replace("lbc", "SERVER"),
    }
}

fn nginx_config(dir: &Path, up: u16) -> impl Fn(u16) -> String + '_ {
    move |port| {
        let d = dir.display();
        format!(
            "events {{}}
http {{
  access_log off;
  ssl_protocols TLSv1.2 TLSv1.3;
  server {{
    listen 127.0.0.1:{port} ssl;
    server_name a.test;
    ssl_certificate {d}/a.test.crt;
    ssl_certificate_key {d}/a.test.key;
    location / {{ return 200 \"a $scheme [$https] $server_port\\n\"; }}
    location /away {{ return 302 /there; }}
    location /up/ {{ proxy_pass http://127.0.0.1:{up}; proxy_set_header X-Proto $scheme; }}
    location /session {{
      add_header X-Session \"$ssl_protocol $ssl_cipher\";
      return 200 \"[$ssl_protocol] [$ssl_cipher] [$ssl_server_name] [$https]\\n\";
    }}
  }}
  server {{
    listen 127.0.0.1:{port} ssl;
    server_name b.test;
    ssl_certificate {d}/b.test.crt;
    ssl_certificate_key {d}/b.test.key;
    location / {{ return 200 \"b $scheme\\n\"; }}
  }}
  server {{
    listen 127.0.0.1:{port} ssl;
    server_name *.wild.test;
    ssl_certificate {d}/wild.test.crt;
    ssl_certificate_key {d}/wild.test.key;
    location / {{ return 200 \"wild $host\\n\"; }}
  }}
}}
"
        )
    }
}

#[test]
fn nginx_tls_servers_match_nginx() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.test", "b.test", "wild.test"] {
        certificate(dir.path(), name);
    }
    let up = backend("up");
    let p: Pair = start_pair(nginx_config(dir.path(), up), start_nginx);
    // The certificate by SNI (the default server's for an unknown name), the variables, an
    // absolute redirect with the port, a proxied request.
    for (name, path) in [
        ("a.test", "/"),
        ("b.test", "/"),
        ("c.test", "/"),
        ("b.test", "/away"),
        ("a.test", "/away"),
        ("a.test", "/up/x"),
        // A wildcard name chooses the server, and its certificate by SNI.
        ("x.wild.test", "/"),
    ] {
        let (real, lbc) = (
            fetch(p.real, name, path, "https"),
            fetch(p.lbc, name, path, "https"),
        );
        let ours = |s: Seen, port: u16| Seen {
            headers: s
                .headers
                .into_iter()
                .map(|h| h.replace(&port.to_string(), "PORT"))
                .collect(),
            body: s.body.replace(&port.to_string(), "PORT"),
            ..s
        };
        let (real, lbc) = (ours(real, p.real), ours(lbc, p.lbc));
        assert_eq!(real, lbc, "{name}{path}");
        let expected = match name {
            "b.test" => "b.test",
            "x.wild.test" => "wild.test",
            _ => "a.test",
        };
        assert!(real.subject.contains(expected), "{name}: {real:?}");
    }
    // The session's variables, over TLS 1.3 and 1.2 (curl's `--tls-max`).
    for max in ["1.3", "1.2"] {
        let session = |port: u16| {
            let out = Command::new("curl")
                .args(["-sk", "-m", "5", "--tls-max", max, "--resolve"])
                .arg(format!("a.test:{port}:127.0.0.1"))
                .arg(format!("https://a.test:{port}/session"))
                .output()
                .expect("curl is installed");
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        let (real, lbc) = (session(p.real), session(p.lbc));
        assert_eq!(real, lbc, "TLS {max}");
        assert!(real.starts_with(&format!("[TLSv{max}]")), "{real}");
    }
    // A plain HTTP request on the TLS address: nginx's own 400 page.
    let (real, lbc) = (
        fetch(p.real, "a.test", "/", "http"),
        fetch(p.lbc, "a.test", "/", "http"),
    );
    assert_eq!(real, lbc);
    assert!(real
        .body
        .contains("The plain HTTP request was sent to HTTPS port"));
}

#[test]
fn haproxy_tls_bind_matches_haproxy() {
    let dir = tempfile::tempdir().unwrap();
    certificate(dir.path(), "a.test");
    let up = backend("up");
    let pem = dir.path().join("a.test.pem");
    let config = |port: u16| {
        format!(
            "{HAPROXY_HTTP_DEFAULTS}frontend f
  bind 127.0.0.1:{port} ssl crt {} alpn http/1.1 ssl-min-ver TLSv1.2
  default_backend b
backend b
  server s1 127.0.0.1:{up}
",
            pem.display()
        )
    };
    let p = start_pair(config, start_haproxy);
    for name in ["a.test", "other.test"] {
        let (real, lbc) = (
            fetch(p.real, name, "/x", "https"),
            fetch(p.lbc, name, "/x", "https"),
        );
        assert_eq!(real.subject, lbc.subject);
        assert!(real.subject.contains("a.test"), "{real:?}");
        assert_eq!((real.status, real.body), (lbc.status, lbc.body));
    }
    // A plain HTTP request: HAProxy closes without an answer.
    let (real, lbc) = (
        fetch(p.real, "a.test", "/", "http"),
        fetch(p.lbc, "a.test", "/", "http"),
    );
    assert_eq!(real, lbc);
    assert!(real.status.is_empty(), "{real:?}");
}

#[test]
fn tls_without_a_usable_certificate_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    certificate(dir.path(), "a");
    let cases = [
        (
            "server { listen 127.0.0.1:1 ssl; location / { return 200; } }",
            "without both `ssl_certificate` and `ssl_certificate_key`",
        ),
        (
            "server { listen 127.0.0.1:1 ssl; ssl_certificate missing.crt; ssl_certificate_key missing.key; }",
            "cannot read",
        ),
        (
            "ssl_protocols TLSv1 TLSv1.1; server { listen 127.0.0.1:1 ssl; ssl_certificate a.crt; ssl_certificate_key a.key; }",
            "TLSv1.2 and TLSv1.3 only",
        ),
    ];
    for (server, expected) in cases {
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, format!("events {{}}\nhttp {{ {server} }}\n")).unwrap();
        let (code, err) = serve_check(&conf);
        assert_eq!(code, Some(1), "{server}\n{err}");
        assert!(err.contains(expected), "{server}\n{err}");
    }
}
