//! Which server answers a name, in `lbc serve` and nginx on one configuration: exact names,
//! wildcards at the start (`*.example.com`, `.example.org`) and end (`www.example.*`), the
//! longest wildcard first, regex names in order with their captures (`$1`, named groups),
//! the default server, and a request without a Host.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::serve::{start_nginx, start_pair, IO_TIMEOUT};

/// The status line and body of `head` (a request head without its blank line).
fn ask(port: u16, head: &str) -> String {
    let mut conn = TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    conn.write_all(format!("{head}\r\nConnection: close\r\n\r\n").as_bytes())
        .unwrap();
    let mut raw = String::new();
    let _ = conn.read_to_string(&mut raw);
    let status = raw.lines().next().unwrap_or("").to_string();
    let body = raw.split_once("\r\n\r\n").map_or("", |x| x.1).trim_end();
    format!("{status} | {body}")
}

#[test]
fn server_names_choose_servers_as_nginx_does() {
    let config = |port: u16| {
        let answer = |who: &str| {
            format!("location / {{ return 200 \"{who} [$server_name] [$host] [$1] [$user]\\n\"; }}")
        };
        format!(
            "events {{}}
http {{
  access_log off;
  server {{ listen 127.0.0.1:{port}; server_name example.com www.example.com; {a} }}
  server {{ listen 127.0.0.1:{port}; server_name *.example.com; {b} }}
  server {{ listen 127.0.0.1:{port}; server_name .example.org; {c} }}
  server {{ listen 127.0.0.1:{port}; server_name www.example.*; {d} }}
  server {{ listen 127.0.0.1:{port}; server_name *.sub.example.com; {f} }}
  server {{ listen 127.0.0.1:{port}; server_name ~^(?<user>[a-z]+)\\.users\\.test$ ~^api(\\d+)\\.test$; {e} }}
  server {{ listen 127.0.0.1:{port}; server_name ~^api7; {g} }}
  server {{ listen 127.0.0.1:{port} default_server; server_name _; {z} }}
  server {{ listen 127.0.0.1:{port}; server_name \"\"; {h} }}
}}
",
            a = answer("A"),
            b = answer("B"),
            c = answer("C"),
            d = answer("D"),
            e = answer("E").replace("[$user]", "[$user] [$2]"),
            f = answer("F"),
            g = answer("G"),
            z = answer("Z"),
            h = answer("H"),
        )
    };
    // `$user` is the named group of server E's regex: a variable everywhere, empty where
    // nothing wrote it.
    let p = start_pair(config, start_nginx);
    let hosts = [
        "example.com",
        "WWW.Example.COM",
        "example.com.",
        "a.example.com",
        "a.example.com:8080",
        "x.sub.example.com",
        "a.b.sub.example.com",
        "sub.example.com",
        "example.org",
        "x.y.example.org",
        "www.example.net",
        "www.example.co.uk",
        "bob.users.test",
        "BOB.users.test",
        "api42.test",
        "api7.test",
        "api7x.test",
        "nope.test",
        "users.test",
    ];
    for host in hosts {
        let head = format!("GET / HTTP/1.1\r\nHost: {host}");
        let (real, lbc) = (ask(p.real, &head), ask(p.lbc, &head));
        assert_eq!(real, lbc, "{host}");
    }
    // Without a Host: the server named "" (the body: hyper answers an HTTP/1.0 request with
    // an HTTP/1.0 status line, nginx with HTTP/1.1).
    let (real, lbc) = (ask(p.real, "GET / HTTP/1.0"), ask(p.lbc, "GET / HTTP/1.0"));
    assert_eq!(
        real.split_once(" | ").unwrap().1,
        lbc.split_once(" | ").unwrap().1
    );
    assert!(real.contains("| H"), "{real}");
    // Some of nginx's answers, to show the cases choose different servers.
    let on = |host: &str| ask(p.real, &format!("GET / HTTP/1.1\r\nHost: {host}"));
    assert!(on("a.b.sub.example.com").contains("| F"));
    assert!(on("www.example.com").contains("| A"));
    assert!(on("www.example.net").contains("| D"));
    assert!(
        on("bob.users.test").contains("[bob]"),
        "{}",
        on("bob.users.test")
    );
    assert!(on("api42.test").contains("[42]"), "{}", on("api42.test"));
    assert!(on("nope.test").contains("| Z"));
}
