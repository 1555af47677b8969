//! Stream variables in `lbc serve` against nginx on loopback: `map` (exact keys, regexes and
//! their captures), `geo`, `split_clients` and `set` read by the stream `return`, and
//! `ssl_preread` routing by the ClientHello's server name through `proxy_pass $var` (an
//! upstream's name or an address). nginx and lbc run the same configuration (each on its own
//! ports, written back to symbols before comparing); clients connect from several loopback
//! addresses and send real ClientHellos (made by rustls).

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use common::serve::{free_port, start_lbc, start_nginx, wait_ready, Guard, IO_TIMEOUT};
use tokio_rustls::rustls;

/// One server (nginx or lbc) on its own ports.
struct Side {
    ports: Vec<u16>,
    _guard: Guard,
}

/// nginx and lbc on `config` (given each one's `n` listen ports); waits for the first.
fn both(n: usize, config: impl Fn(&[u16]) -> String) -> (Side, Side, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut sides = Vec::new();
    for (name, start) in [
        ("nginx", start_nginx as fn(&str, &std::path::Path) -> Guard),
        ("lbc", start_lbc),
    ] {
        let ports: Vec<u16> = (0..n).map(|_| free_port()).collect();
        let d = dir.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        let guard = start(&format!("{}{}", load_stream(), config(&ports)), &d);
        sides.push(Side {
            ports,
            _guard: guard,
        });
    }
    for s in &sides {
        wait_ready(s.ports[0]);
    }
    let lbc = sides.pop().unwrap();
    let nginx = sides.pop().unwrap();
    (nginx, lbc, dir)
}

/// Distributions build nginx's stream module as a dynamic module (lbc warns and goes on).
fn load_stream() -> &'static str {
    let module = "/usr/lib/nginx/modules/ngx_stream_module.so";
    if std::path::Path::new(module).exists() {
        "load_module /usr/lib/nginx/modules/ngx_stream_module.so;\n"
    } else {
        ""
    }
}

/// Connects from `from` to `port`, sends `data`, and reads until the server closes.
fn exchange(from: Ipv4Addr, port: u16, data: &[u8]) -> String {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    s.bind(&SocketAddr::from((from, 0)).into()).unwrap();
    let to = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    if s.connect_timeout(&to.into(), IO_TIMEOUT).is_err() {
        return "refused".into();
    }
    let mut c: TcpStream = s.into();
    c.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let _ = c.write_all(data);
    let mut out = Vec::new();
    match c.read_to_end(&mut out) {
        Ok(_) => String::from_utf8_lossy(&out).into_owned(),
        Err(e) if out.is_empty() => format!("error {:?}", e.kind()),
        Err(_) => String::from_utf8_lossy(&out).into_owned(),
    }
}

/// `text` with each of `ports` written as `P0`, `P1` … (longest first: no port is a prefix
/// of another here, but be safe).
fn symbolic(text: &str, ports: &[u16]) -> String {
    let mut order: Vec<(usize, String)> = ports
        .iter()
        .enumerate()
        .map(|(i, p)| (i, p.to_string()))
        .collect();
    order.sort_by_key(|(_, p)| std::cmp::Reverse(p.len()));
    let mut out = text.to_string();
    for (i, p) in order {
        out = out.replace(&p, &format!("P{i}"));
    }
    out
}

/// Asks both sides the same thing on their `i`-th port from `from`; returns both answers in
/// symbols.
fn ask_both(nginx: &Side, lbc: &Side, i: usize, from: Ipv4Addr, data: &[u8]) -> (String, String) {
    (
        symbolic(&exchange(from, nginx.ports[i], data), &nginx.ports),
        symbolic(&exchange(from, lbc.ports[i], data), &lbc.ports),
    )
}

#[test]
fn map_regex_captures_and_return_like_nginx() {
    // nginx-tests' stream_map.t, on this test's ports, and a UDP `return`.
    let (nginx, lbc, _dir) = both(6, |p| {
        format!(
            "events {{}}\nstream {{\n    map $server_port $x {{\n        {}             literal;\n        default                   default;\n        ~({})          $1;\n        ~(?P<ncap>{})  $ncap;\n    }}\n    map $x $y {{ hostnames; literal LIT; *.example.com wild; default \"[$x]\"; }}\n    server {{\n        listen 127.0.0.1:{};\n        listen 127.0.0.1:{};\n        listen 127.0.0.1:{};\n        listen 127.0.0.1:{};\n        return  $x/$y;\n    }}\n    server {{\n        listen  127.0.0.1:{};\n        return  $x:${{x}}:$protocol;\n    }}\n    server {{\n        listen  127.0.0.1:{} udp;\n        return  \"$protocol $server_port $remote_addr\";\n    }}\n}}\n",
            p[0], p[2], p[3], p[0], p[1], p[2], p[3], p[4], p[5]
        )
    });
    for i in 0..5 {
        let (a, b) = ask_both(&nginx, &lbc, i, Ipv4Addr::LOCALHOST, b"");
        assert!(!a.is_empty() && !a.starts_with("error"), "nginx: {a}");
        assert_eq!(a, b, "port P{i}");
    }
    let udp = |port: u16| {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        s.send_to(b"x", ("127.0.0.1", port)).unwrap();
        let mut buf = [0u8; 512];
        let (n, _) = s.recv_from(&mut buf).unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    };
    assert_eq!(
        symbolic(&udp(nginx.ports[5]), &nginx.ports),
        symbolic(&udp(lbc.ports[5]), &lbc.ports)
    );
}

#[test]
fn geo_split_clients_and_set_by_client_address_like_nginx() {
    let (nginx, lbc, _dir) = both(1, |p| {
        format!(
            "events {{}}\nstream {{\n    geo $g {{ default none; 127.0.0.0/24 lo; 127.0.0.2 two; 127.0.0.16/28 sixteen; }}\n    geo $server_addr $local {{ default other; 127.0.0.1 one; }}\n    split_clients \"${{remote_addr}}AAA\" $variant {{ 10% a; 25.5% b; 30% c; * d; }}\n    split_clients $binary_remote_addr $part {{ 50% first; }}\n    map $g $m {{ ~^s(?<rest>.*)$ S$rest; default $g; }}\n    server {{\n        listen 127.0.0.1:{};\n        set $s \"$g-$variant\";\n        return \"$s $m $part $local\";\n    }}\n}}\n",
            p[0]
        )
    });
    let mut seen = std::collections::HashSet::new();
    for last in 1..=40u8 {
        let from = Ipv4Addr::new(127, 0, 0, last);
        let (a, b) = ask_both(&nginx, &lbc, 0, from, b"");
        assert!(!a.is_empty() && !a.starts_with("error"), "nginx: {a}");
        assert_eq!(a, b, "from {from}");
        seen.insert(a.split([' ', '-']).nth(1).unwrap_or_default().to_string());
    }
    // The split really splits (the comparison above would pass on one constant answer).
    assert!(seen.len() >= 3, "{seen:?}");
}

/// A ClientHello for `name` offering `alpn`, as rustls sends it (TLS 1.3 and 1.2, or 1.2
/// only).
fn client_hello(name: &str, alpn: &[&str], tls13: bool) -> Vec<u8> {
    let versions: &[&rustls::SupportedProtocolVersion] = if tls13 {
        &[&rustls::version::TLS13, &rustls::version::TLS12]
    } else {
        &[&rustls::version::TLS12]
    };
    let mut config = rustls::ClientConfig::builder_with_protocol_versions(versions)
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|a| a.as_bytes().to_vec()).collect();
    let server = rustls::pki_types::ServerName::try_from(name.to_string()).unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(config), server).unwrap();
    let mut out = Vec::new();
    conn.write_tls(&mut out).unwrap();
    out
}

/// A backend that reads the first TLS record (or whatever comes first when it is not one)
/// and answers `NAME:BYTES` with how many bytes it read, then closes.
fn record_backend(name: &'static str) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    thread::spawn(move || {
        for mut c in l.incoming().flatten() {
            thread::spawn(move || {
                c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let mut got = Vec::new();
                let mut buf = [0u8; 4096];
                while let Ok(n) = c.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    got.extend_from_slice(&buf[..n]);
                    let whole = got.len() >= 5
                        && got.len() >= 5 + usize::from(u16::from_be_bytes([got[3], got[4]]));
                    if got[0] != 0x16 || whole {
                        break;
                    }
                }
                let _ = c.write_all(format!("{name}:{}", got.len()).as_bytes());
            });
        }
    });
    port
}

#[test]
fn ssl_preread_routes_by_server_name_like_nginx() {
    let (a, b, c) = (
        record_backend("a"),
        record_backend("b"),
        record_backend("c"),
    );
    let (nginx, lbc, _dir) = both(4, |p| {
        format!(
            "events {{}}\nstream {{\n    map $ssl_preread_server_name $name {{\n        a.test      up_a;\n        B.TEST      up_b;\n        ~^(x)\\.test 127.0.0.1:{c};\n        default     \"\";\n    }}\n    upstream up_a {{ server 127.0.0.1:{a}; }}\n    upstream up_b {{ server 127.0.0.1:{b}; }}\n    ssl_preread on;\n    server {{ listen 127.0.0.1:{}; proxy_pass $name; }}\n    server {{ listen 127.0.0.1:{}; return \"$ssl_preread_server_name|$ssl_preread_protocol|$ssl_preread_alpn_protocols\"; }}\n    server {{ listen 127.0.0.1:{}; ssl_preread off; return \"[$ssl_preread_server_name]\"; }}\n    server {{ listen 127.0.0.1:{}; preread_buffer_size 42; return \"$ssl_preread_server_name\"; }}\n}}\n",
            p[0], p[1], p[2], p[3]
        )
    });
    let hellos = [
        ("a.test", client_hello("a.test", &[], true)),
        ("b.test", client_hello("b.test", &["h2", "http/1.1"], true)),
        ("x.test", client_hello("x.test", &["http/1.1"], false)),
        ("other.test", client_hello("other.test", &[], false)),
        ("plain text", b"GET / HTTP/1.0\r\n\r\n".to_vec()),
    ];
    for (what, hello) in &hellos {
        for port in 0..4 {
            let (x, y) = ask_both(&nginx, &lbc, port, Ipv4Addr::LOCALHOST, hello);
            assert_eq!(x, y, "{what} on P{port}");
        }
    }
    // The routing did route (not everything closed alike).
    let (routed, _) = ask_both(&nginx, &lbc, 0, Ipv4Addr::LOCALHOST, &hellos[1].1);
    assert!(routed.starts_with("b:"), "{routed}");
    let (read, _) = ask_both(&nginx, &lbc, 1, Ipv4Addr::LOCALHOST, &hellos[1].1);
    assert_eq!(read, "b.test|TLSv1.3|h2,http/1.1");
}

#[test]
fn check_accepts_stream_variables_and_names_unknown_ones() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("nginx.conf");
    std::fs::write(
        &conf,
        "events {}\nstream {\n    map $ssl_preread_server_name $u { default $nope; }\n    server { listen 127.0.0.1:7999; ssl_preread on; proxy_pass $u; }\n}\n",
    )
    .unwrap();
    let (code, text) = common::serve::serve_check(&conf);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("the variable `$nope` in `map`"), "{text}");
}

#[test]
fn stream_access_log_lines_like_nginx() {
    let a = record_backend("a");
    let dead = free_port();
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().to_path_buf();
    let (nginx, lbc, _d) = both(5, |p| {
        // Each side logs to its own files: the config names them by its first port.
        let base = logs.join(p[0].to_string());
        std::fs::create_dir_all(&base).unwrap();
        let b = base.display();
        let maps = format!(
            "    map $server_port $quoted {{ {} 'say \"hi\"'; default -; }}\n    map $server_port $logme {{ {} 0; default 1; }}\n",
            p[1], p[4]
        );
        let servers = format!(
            "    server {{ listen 127.0.0.1:{}; proxy_pass up; access_log {b}/main.log main; }}\n    server {{ listen 127.0.0.1:{}; return 'x\"y'; access_log {b}/js.log js; }}\n    server {{ listen 127.0.0.1:{}; proxy_pass gone; }}\n    server {{ listen 127.0.0.1:{}; ssl_preread on; preread_buffer_size 42; proxy_pass up; access_log {b}/times.log times; }}\n    server {{ listen 127.0.0.1:{}; proxy_pass up; access_log {b}/main.log main if=$logme; }}\n",
            p[0], p[1], p[2], p[3], p[4]
        );
        format!(
            "events {{}}\nstream {{\n    log_format main '$remote_addr $protocol $status $bytes_received $bytes_sent [$upstream_addr] $upstream_bytes_sent $upstream_bytes_received \"$ssl_preread_server_name\" $quoted';\n    log_format js escape=json '{{\"q\":\"$quoted\",\"s\":$status}}';\n    log_format times '$upstream_connect_time $session_time';\n{maps}    upstream up {{ server 127.0.0.1:{a}; }}\n    upstream gone {{ server 127.0.0.1:{dead}; }}\n    access_log {b}/main.log main;\n{servers}}}\n"
        )
    });
    let hello = client_hello("a.test", &[], true);
    for side in [&nginx, &lbc] {
        exchange(Ipv4Addr::LOCALHOST, side.ports[0], b"ping");
        exchange(Ipv4Addr::new(127, 0, 0, 3), side.ports[1], b"");
        exchange(Ipv4Addr::LOCALHOST, side.ports[2], b"ping");
        exchange(Ipv4Addr::LOCALHOST, side.ports[3], &hello);
        exchange(Ipv4Addr::LOCALHOST, side.ports[3], b"ping");
        exchange(Ipv4Addr::LOCALHOST, side.ports[4], b"ping");
    }
    thread::sleep(Duration::from_millis(500));
    let read = |side: &Side, name: &str| {
        let path = logs.join(side.ports[0].to_string()).join(name);
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        symbolic(&text, &side.ports)
    };
    for name in ["main.log", "js.log"] {
        let (x, y) = (read(&nginx, name), read(&lbc, name));
        assert!(!x.is_empty(), "nginx wrote no {name}");
        assert_eq!(x, y, "{name}");
    }
    // Times differ run to run; their shape does not.
    let (x, y) = (read(&nginx, "times.log"), read(&lbc, "times.log"));
    let shape = |t: &str| -> String {
        t.chars()
            .map(|c| if c.is_ascii_digit() { '9' } else { c })
            .collect()
    };
    assert_eq!(shape(&x), shape(&y), "{x} / {y}");
    assert_eq!(x.lines().count(), 2, "{x}");
}
