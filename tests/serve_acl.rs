//! `lbc serve` against real HAProxy on `use_backend … if|unless COND`: named ACLs (several lines
//! of one name ORed), anonymous `{ … }` ACLs, `!`, `||`, predefined ACLs, the fetches and
//! match methods lbc evaluates. The same requests go to both; the backend that answers must be
//! the same.

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};

use common::serve::{
    backend, serve_check, start_haproxy, start_pair, HAPROXY_HTTP_DEFAULTS, IO_TIMEOUT,
};

/// Sends `head` (a request head without the final blank line) and returns the body.
fn ask(port: u16, head: &str) -> String {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut conn = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
    conn.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let body = if head.starts_with("POST") {
        "Content-Length: 0\r\n"
    } else {
        ""
    };
    conn.write_all(format!("{head}\r\n{body}Connection: close\r\n\r\n").as_bytes())
        .unwrap();
    let mut out = Vec::new();
    let _ = conn.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let (status, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = status.lines().next().unwrap_or("").to_string();
    format!("{status} | {body}")
}

#[test]
fn use_backend_conditions_match_haproxy() {
    let names = ["api", "bb", "js", "dd", "web", "m"];
    let ports: Vec<u16> = names.iter().map(|n| backend(n)).collect();
    let config = |port: u16| {
        let mut c = format!(
            "{HAPROXY_HTTP_DEFAULTS}frontend f
  bind 127.0.0.1:{port}
  acl is_api path_beg -i /api /v2
  acl host_b hdr(host) -i b.test
  acl is_post method POST
  acl is_json path_end .json
  acl is_json hdr_sub(accept) json
  acl local src 127.0.0.0/8
  acl unused hdr_cnt(host) gt 1
  use_backend api if is_api
  use_backend bb if host_b !is_post
  use_backend bb if {{ path_end .php }} || is_post
  use_backend js if is_json local
  use_backend dd if {{ hdr_dom(host) -i example.com }} {{ url_param(x) -m reg ^[0-9]+$ }}
  use_backend m if METH_PUT || {{ path -m dir static }} || {{ query -m sub debug=1 }}
  use_backend dd unless {{ path_beg / }}
  default_backend web
"
        );
        for (name, p) in names.iter().zip(&ports) {
            c.push_str(&format!("backend {name}\n  server s 127.0.0.1:{p}\n"));
        }
        c
    };
    let p = start_pair(config, start_haproxy);
    let requests = [
        "GET / HTTP/1.1\r\nHost: a.test",
        "GET /API/x HTTP/1.1\r\nHost: a.test",
        "GET /v2 HTTP/1.1\r\nHost: a.test",
        "GET /v3 HTTP/1.1\r\nHost: a.test",
        "GET / HTTP/1.1\r\nHost: B.test",
        "POST / HTTP/1.1\r\nHost: b.test",
        "GET /x.php HTTP/1.1\r\nHost: a.test",
        "GET /x.php?y HTTP/1.1\r\nHost: a.test",
        "GET /a.json HTTP/1.1\r\nHost: a.test",
        "GET / HTTP/1.1\r\nHost: a.test\r\nAccept: text/html, application/json",
        "GET /?x=12 HTTP/1.1\r\nHost: www.example.com",
        "GET /?x=1a HTTP/1.1\r\nHost: example.com:80",
        "GET /?x=1 HTTP/1.1\r\nHost: badexample.com",
        "PUT /p HTTP/1.1\r\nHost: a.test\r\nContent-Length: 0",
        "GET /a/static/b HTTP/1.1\r\nHost: a.test",
        "GET /a/statics/b HTTP/1.1\r\nHost: a.test",
        "GET /q?a=2&debug=1 HTTP/1.1\r\nHost: a.test",
    ];
    let mut seen = std::collections::BTreeSet::new();
    for r in requests {
        let (real, lbc) = (ask(p.real, r), ask(p.lbc, r));
        assert_eq!(real, lbc, "{r:?}");
        seen.insert(
            real.split(" | ")
                .nth(1)
                .unwrap_or("")
                .split(' ')
                .next()
                .unwrap_or("")
                .to_string(),
        );
    }
    // Every backend was chosen by some request.
    for n in names {
        assert!(seen.contains(n), "{n} never chosen: {seen:?}");
    }
}

#[test]
fn an_acl_lbc_cannot_evaluate_is_refused_where_a_condition_uses_it() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("haproxy.cfg");
    std::fs::write(
        &conf,
        "defaults\n  mode http\nfrontend f\n  bind 127.0.0.1:1\n  acl many hdr_cnt(host) gt 1\n  use_backend b if many\n  default_backend b\nbackend b\n  server s 127.0.0.1:2\n",
    )
    .unwrap();
    let (code, err) = serve_check(&conf);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("hdr_cnt(host)"), "{err}");
}
