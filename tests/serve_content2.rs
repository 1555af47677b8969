//! `lbc serve` content against real nginx, second part: the upstream variables in `log_format`
//! and `add_header` (several tried servers, a dead one first), and `client_max_body_size` (the
//! default 1m, declared and chunked bodies). Both servers get the same configuration and the same
//! loopback backends; what clients see and what the logs hold are compared, times reduced to
//! their shape. Every process dies with its Drop guard.

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use common::serve::{
    backend, free_port, start_lbc, start_nginx, status_of as status, wait_ready, Guard, IO_TIMEOUT,
};

/// Writes `raw` on a fresh connection and reads until the peer closes (or the timeout).
fn exchange(port: u16, raw: &[u8]) -> String {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut conn = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
    conn.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    // The server may answer (and close) before the whole body is written.
    let _ = conn.write_all(raw);
    // Until the peer closes, or the answer is whole (nginx lingers on an unread body).
    let mut out = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
        let text = String::from_utf8_lossy(&out);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len = header(&format!("{head}\r\n\r\n"), "content-length")
                .and_then(|v| v.parse::<usize>().ok());
            if len.is_some_and(|len| body.len() >= len) {
                break;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn header<'a>(reply: &'a str, name: &str) -> Option<&'a str> {
    let head = reply.split("\r\n\r\n").next()?;
    head.lines().skip(1).find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// nginx and lbc on the same configuration (`make(listen port, log path)`).
struct Pair {
    nginx: u16,
    lbc: u16,
    dir: tempfile::TempDir,
    _guards: (Guard, Guard),
}

fn start_pair(make: impl Fn(u16, &Path) -> String) -> Pair {
    let dir = tempfile::tempdir().unwrap();
    let (nginx, lbc) = (free_port(), free_port());
    let ndir = dir.path().join("nginx");
    let ldir = dir.path().join("lbc");
    std::fs::create_dir_all(&ndir).unwrap();
    std::fs::create_dir_all(&ldir).unwrap();
    let n = start_nginx(&make(nginx, &ndir.join("access.log")), &ndir);
    let l = start_lbc(&make(lbc, &ldir.join("access.log")), &ldir);
    wait_ready(nginx);
    wait_ready(lbc);
    Pair {
        nginx,
        lbc,
        dir,
        _guards: (n, l),
    }
}

/// The access log of `who` once it holds `lines` lines (or after a generous wait).
fn log_lines(p: &Pair, who: &str, lines: usize) -> Vec<String> {
    let path = p.dir.path().join(who).join("access.log");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let done: Vec<String> = text.lines().map(str::to_string).collect();
        if (done.len() >= lines && text.ends_with('\n')) || Instant::now() > deadline {
            return done;
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// Times (`1.234`) become `T`, so lines compare by shape.
fn shape(line: &str) -> String {
    let mut out = String::new();
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let mut j = i;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j + 4 <= b.len()
                && b[j] == b'.'
                && b[j + 1..j + 4].iter().all(u8::is_ascii_digit)
                && b.get(j + 4).is_none_or(|c| !c.is_ascii_digit())
            {
                out.push('T');
                i = j + 4;
                continue;
            }
            out.push_str(&line[i..j]);
            i = j;
            continue;
        }
        out.push(b[i] as char);
        i += 1;
    }
    out
}

#[test]
fn upstream_variables_match_nginx() {
    let live = backend("live");
    let dead = free_port();
    let make = move |listen: u16, log: &Path| {
        format!(
            "events {{}}
http {{
    log_format up '$request|$status|$upstream_addr|$upstream_status|$upstream_connect_time|$upstream_header_time|$upstream_response_time|$request_time|$msec';
    upstream pool {{
        server 127.0.0.1:{dead} max_fails=1 fail_timeout=30s;
        server 127.0.0.1:{live};
    }}
    server {{
        listen 127.0.0.1:{listen};
        access_log {log} up;
        location / {{
            proxy_pass http://pool;
            add_header X-Up \"$upstream_addr $upstream_status\";
        }}
        location /local {{
            return 200 \"local\";
        }}
    }}
}}
",
            log = log.display()
        )
    };
    let p = start_pair(make);
    let ask = |port: u16, path: &str| {
        exchange(
            port,
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
    };
    // The first request tries the dead server first, then the live one; the second only the
    // live one (the dead one is down for fail_timeout); the third is not proxied.
    for path in ["/a", "/b", "/local"] {
        let (n, l) = (ask(p.nginx, path), ask(p.lbc, path));
        assert_eq!(status(&n), status(&l), "{path}\nnginx: {n}\nlbc: {l}");
        assert_eq!(header(&n, "x-up"), header(&l, "x-up"), "{path}: add_header");
    }
    let (n, l) = (log_lines(&p, "nginx", 3), log_lines(&p, "lbc", 3));
    assert_eq!(n.len(), 3, "{n:?}");
    let n: Vec<String> = n.iter().map(|l| shape(l)).collect();
    let l: Vec<String> = l.iter().map(|l| shape(l)).collect();
    assert_eq!(n, l);
    assert_eq!(
        n[0],
        format!(
            "GET /a HTTP/1.1|200|127.0.0.1:{dead}, 127.0.0.1:{live}|502, 200|-, T|-, T|T, T|T|T"
        )
    );
}

/// `head` then `body` as one chunked request on a fresh connection.
fn chunked(port: u16, path: &str, chunks: &[&str]) -> String {
    let mut raw = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    for c in chunks {
        raw.push_str(&format!("{:x}\r\n{c}\r\n", c.len()));
    }
    raw.push_str("0\r\n\r\n");
    exchange(port, raw.as_bytes())
}

#[test]
fn client_max_body_size_matches_nginx() {
    let live = backend("live");
    let make = move |listen: u16, log: &Path| {
        format!(
            "events {{}}
http {{
    server {{
        listen 127.0.0.1:{listen};
        access_log {log};
        location / {{
            proxy_pass http://127.0.0.1:{live};
        }}
        location /small/ {{
            client_max_body_size 100;
            proxy_pass http://127.0.0.1:{live};
        }}
        location /open/ {{
            client_max_body_size 0;
            proxy_pass http://127.0.0.1:{live};
        }}
        location /local {{
            return 200 \"local\";
        }}
    }}
}}
",
            log = log.display()
        )
    };
    let p = start_pair(make);
    let declared = |port: u16, path: &str, len: usize| {
        // The head alone: the limit is checked on the declared length before any body.
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {len}\r\n\r\n"
        );
        exchange(port, head.as_bytes())
    };
    // nginx's default 1m, where no client_max_body_size is written.
    for (path, len) in [("/", 1024 * 1024 + 1), ("/local", 1024 * 1024 + 1)] {
        let (n, l) = (declared(p.nginx, path, len), declared(p.lbc, path, len));
        assert_eq!(status(&n), 413, "{path} {len}: nginx {n}");
        assert_eq!(status(&l), 413, "{path} {len}: lbc {l}");
    }
    let hundred = "x".repeat(50);
    for (path, chunks) in [
        ("/small/", vec![hundred.as_str()]),
        ("/small/", vec![hundred.as_str(), hundred.as_str()]),
        ("/small/", vec![hundred.as_str(), hundred.as_str(), "y"]),
        ("/", vec![hundred.as_str(), hundred.as_str(), "y"]),
        ("/open/", vec![hundred.as_str(), hundred.as_str(), "y"]),
    ] {
        let (n, l) = (
            chunked(p.nginx, path, &chunks),
            chunked(p.lbc, path, &chunks),
        );
        let len: usize = chunks.iter().map(|c| c.len()).sum();
        assert_eq!(
            status(&n),
            status(&l),
            "{path} chunked {len}\nnginx: {n}\nlbc: {l}"
        );
    }
    // The counted one is refused, the others pass.
    let n = chunked(
        p.nginx,
        "/small/",
        &[hundred.as_str(), hundred.as_str(), "y"],
    );
    assert_eq!(status(&n), 413, "{n}");
}

/// A docroot `www` with an index and a 404 page under `dir`, and a file under `html`.
fn relative_tree(dir: &Path) {
    std::fs::create_dir_all(dir.join("www")).unwrap();
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    std::fs::write(dir.join("www/index.html"), "index\n").unwrap();
    std::fs::write(dir.join("www/404.html"), "not here\n").unwrap();
    // nginx's default `root` is `html` under the prefix.
    std::fs::create_dir_all(dir.join("html/def")).unwrap();
    std::fs::write(dir.join("html/def/x.txt"), "default root\n").unwrap();
}

fn relative_config(listen: u16) -> String {
    format!(
        "events {{}}
http {{
    server {{
        listen 127.0.0.1:{listen};
        access_log logs/relative.log;
        error_page 404 /404.html;
        location / {{ root www; }}
        location /def/ {{ }}
    }}
}}
"
    )
}

#[test]
fn relative_paths_resolve_against_the_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let (nginx, lbc, prefixed) = (free_port(), free_port(), free_port());
    let (ndir, ldir, pdir) = (
        dir.path().join("nginx"),
        dir.path().join("lbc"),
        dir.path().join("prefixed"),
    );
    for d in [&ndir, &ldir, &pdir] {
        relative_tree(d);
    }
    // nginx runs with `-p DIR`; lbc takes the main file's directory, or `--prefix DIR` when
    // the file lives elsewhere.
    let _n = start_nginx(&relative_config(nginx), &ndir);
    let _l = start_lbc(&relative_config(lbc), &ldir);
    let conf = dir.path().join("elsewhere.conf");
    std::fs::write(&conf, relative_config(prefixed)).unwrap();
    let _p = Guard(
        std::process::Command::new(env!("CARGO_BIN_EXE_lbc"))
            .arg("serve")
            .arg("--prefix")
            .arg(&pdir)
            .arg(&conf)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("prefixed.log")).unwrap())
            .spawn()
            .unwrap(),
    );
    for port in [nginx, lbc, prefixed] {
        wait_ready(port);
    }
    for path in ["/", "/missing", "/def/x.txt", "/def/missing"] {
        let ask = |port: u16| {
            exchange(
                port,
                format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            )
        };
        let n = ask(nginx);
        let body = |r: &str| r.split_once("\r\n\r\n").map(|x| x.1.to_string());
        for (who, r) in [("lbc", ask(lbc)), ("lbc --prefix", ask(prefixed))] {
            assert_eq!(
                status(&n),
                status(&r),
                "{who} {path}\nnginx: {n}\n{who}: {r}"
            );
            assert_eq!(body(&n), body(&r), "{who} {path}");
        }
    }
    for d in [&ndir, &ldir, &pdir] {
        let log = d.join("logs/relative.log");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .count()
            < 4
        {
            assert!(
                Instant::now() < deadline,
                "no log lines in {}",
                log.display()
            );
            thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The 20-digit boundary number becomes `B`.
fn no_boundary(reply: &str) -> String {
    let mut out = String::new();
    let mut rest = reply;
    while let Some(i) = rest.find("boundary=").or_else(|| rest.find("--0")) {
        let skip = if rest[i..].starts_with("boundary=") {
            9
        } else {
            2
        };
        out.push_str(&rest[..i + skip]);
        let after = &rest[i + skip..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        assert!(digits == 20 || digits == 0, "boundary shape: {after:.30}");
        out.push('B');
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

#[test]
fn multiple_ranges_are_multipart_like_nginx() {
    let make = |listen: u16, log: &Path| {
        let www = log.parent().unwrap().join("www");
        std::fs::create_dir_all(&www).unwrap();
        std::fs::write(www.join("a.txt"), "abcdefghijklmnopqrst").unwrap();
        format!(
            "events {{}}
http {{
    server {{
        listen 127.0.0.1:{listen};
        root {www};
        access_log off;
    }}
}}
",
            www = www.display()
        )
    };
    let p = start_pair(make);
    // Both docroots were written at once; the validators must agree.
    for range in [
        "bytes=0-1,5-6",
        "bytes= 1 - 2 , 4-5",
        "bytes=-3,0-0",
        "bytes=0-8,2-9",
        "bytes=0-1,50-60",
        "bytes=50-60,70-",
        "bytes=5-,0-1,3-3",
        "bytes=1-2,x",
    ] {
        for method in ["GET", "HEAD"] {
            let ask = |port: u16| {
                let raw = format!(
                    "{method} /a.txt HTTP/1.1\r\nHost: localhost\r\nRange: {range}\r\nConnection: close\r\n\r\n"
                );
                exchange(port, raw.as_bytes())
            };
            let (n, l) = (ask(p.nginx), ask(p.lbc));
            let what = format!("{method} {range}\nnginx: {n:?}\nlbc: {l:?}");
            assert_eq!(status(&n), status(&l), "{what}");
            // The error page's footer names the server: its length differs.
            let compared: &[&str] = if status(&n) == 416 {
                &["content-type", "content-range"]
            } else {
                &["content-type", "content-length", "content-range"]
            };
            for &h in compared {
                assert_eq!(
                    header(&n, h).map(no_boundary),
                    header(&l, h).map(no_boundary),
                    "{h}: {what}"
                );
            }
            let body = |r: &str| r.split_once("\r\n\r\n").map(|x| no_boundary(x.1));
            if status(&n) != 416 {
                assert_eq!(body(&n), body(&l), "{what}");
            }
        }
    }
}

#[test]
fn stub_status_counts_connections_reading_a_head() {
    let make = |listen: u16, log: &Path| {
        format!(
            "events {{}}
http {{
    server {{
        listen 127.0.0.1:{listen};
        access_log {log};
        location = /status {{ stub_status; }}
    }}
}}
",
            log = log.display()
        )
    };
    let p = start_pair(make);
    for port in [p.nginx, p.lbc] {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        // One connection silent, one half-way through its head.
        let _idle = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
        let mut partial = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
        partial
            .write_all(b"GET /status HTTP/1.1\r\nHost: localhost\r\n")
            .unwrap();
        // Polls the status page until `done` holds for its body (10 s at most).
        let wait_for = |what: &str, done: &dyn Fn(&str) -> bool| {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let r = exchange(
                    port,
                    b"GET /status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                );
                let body = r.split_once("\r\n\r\n").map_or("", |x| x.1);
                if done(body) {
                    return;
                }
                assert!(Instant::now() < deadline, "{port} {what}: {body}");
                thread::sleep(Duration::from_millis(50));
            }
        };
        wait_for("with one silent and one partial head", &|body| {
            body.starts_with("Active connections: 3 \n")
                && body.ends_with("Reading: 1 Writing: 1 Waiting: 1 \n")
        });
        // The head completed: the connection is answered, then waits.
        partial.write_all(b"\r\n").unwrap();
        let mut buf = [0u8; 512];
        partial.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        assert!(partial.read(&mut buf).unwrap() > 0);
        wait_for("after the head", &|body| {
            body.ends_with("Reading: 0 Writing: 1 Waiting: 2 \n")
        });
        // Idle a while (lbc parks a kept-alive connection after 20 ms), then both clients
        // leave: only the status request itself is left.
        thread::sleep(Duration::from_millis(300));
        drop((_idle, partial));
        wait_for("after the clients left", &|body| {
            body.starts_with("Active connections: 1 \n")
                && body.ends_with("Reading: 0 Writing: 1 Waiting: 0 \n")
        });
    }
}

#[test]
fn auth_basic_matches_nginx() {
    let make = |listen: u16, log: &Path| {
        let dir = log.parent().unwrap();
        std::fs::create_dir_all(dir.join("www/private")).unwrap();
        std::fs::write(dir.join("www/private/index.html"), "secret page\n").unwrap();
        std::fs::write(dir.join("www/open.html"), "open\n").unwrap();
        std::fs::write(dir.join("www/401.html"), "who are you?\n").unwrap();
        // `htpasswd -s` and `openssl passwd -apr1`/`-1` hashes of "secret".
        std::fs::write(
            dir.join("htpasswd"),
            "# users\nplain:{PLAIN}pw:a comment\nsha:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\n\napr:$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/\nmd5:$1$xyz$Qia9Wq6FxQkYcwNWMk/RM0\n",
        )
        .unwrap();
        format!(
            "events {{}}
http {{
    server {{
        listen 127.0.0.1:{listen};
        access_log {log};
        root www;
        auth_basic \"Closed Site\";
        auth_basic_user_file htpasswd;
        location /open.html {{
            auth_basic off;
        }}
        location /custom/ {{
            error_page 401 /401.html;
        }}
        location = /401.html {{
            auth_basic off;
        }}
    }}
}}
",
            log = log.display()
        )
    };
    let p = start_pair(make);
    let b64 = |s: &str| -> String {
        const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for c in s.as_bytes().chunks(3) {
            let n = c
                .iter()
                .enumerate()
                .fold(0u32, |a, (i, &b)| a | (u32::from(b) << (16 - 8 * i)));
            for i in 0..4 {
                if i <= c.len() {
                    out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    };
    let cases = [
        ("/private/", None),
        ("/private/", Some(b64("plain:pw"))),
        ("/private/", Some(b64("plain:wrong"))),
        ("/private/", Some(b64("sha:secret"))),
        ("/private/", Some(b64("sha:secreT"))),
        ("/private/", Some(b64("nobody:pw"))),
        ("/private/", Some(b64("apr:secret"))),
        ("/private/", Some(b64("apr:secreT"))),
        ("/private/", Some(b64("md5:secret"))),
        ("/private/", Some("!!notbase64".to_string())),
        ("/private/", Some(b64("nocolon"))),
        ("/open.html", None),
        ("/custom/x", None),
        ("/custom/x", Some(b64("plain:wrong"))),
    ];
    for (path, auth) in cases {
        let ask = |port: u16| {
            let extra = auth
                .as_ref()
                .map(|a| format!("Authorization: Basic {a}\r\n"))
                .unwrap_or_default();
            exchange(
                port,
                format!(
                    "GET {path} HTTP/1.1\r\nHost: localhost\r\n{extra}Connection: close\r\n\r\n"
                )
                .as_bytes(),
            )
        };
        let (n, l) = (ask(p.nginx), ask(p.lbc));
        let what = format!("{path} {auth:?}\nnginx: {n}\nlbc: {l}");
        assert_eq!(status(&n), status(&l), "{what}");
        assert_eq!(
            header(&n, "www-authenticate"),
            header(&l, "www-authenticate"),
            "{what}"
        );
        let first = |r: &str| r.lines().next().unwrap_or("").to_string();
        assert_eq!(first(&n), first(&l), "{what}");
        if status(&n) == 200 || path.starts_with("/custom/") {
            let body = |r: &str| r.split_once("\r\n\r\n").map(|x| x.1.to_string());
            assert_eq!(body(&n), body(&l), "{what}");
        }
    }
}

#[test]
fn rewrite_if_and_valid_referers_match_nginx() {
    let make = |listen: u16, log: &Path| {
        let dir = log.parent().unwrap();
        std::fs::create_dir_all(dir.join("www/new")).unwrap();
        std::fs::write(dir.join("www/new/fromhdr"), "static fromhdr\n").unwrap();
        std::fs::write(dir.join("www/plain.txt"), "plain\n").unwrap();
        format!(
            r#"events {{}}
http {{
    server {{
        listen 127.0.0.1:{listen};
        server_name localhost;
        access_log {log};
        root www;
        valid_referers none blocked server_names *.good.com good.org/pics/ ~\.friend\.;
        rewrite ^/old/(.*)$ /new/$1 last;
        rewrite ^/perm/(.*)$ /new/$1 permanent;
        rewrite ^/away$ http://example.com/there redirect;
        if ($http_x_block) {{
            return 418;
        }}
        if ($args ~ "(^|&)go=home") {{
            rewrite ^ /new/home? last;
        }}
        location /new/ {{
            return 200 "new $uri $args";
        }}
        location /img/ {{
            if ($invalid_referer) {{
                return 403;
            }}
            return 200 "img ok";
        }}
        location /post {{
            if ($request_method = POST) {{
                return 405;
            }}
            return 200 "not post";
        }}
        location /hdr {{
            if ($http_x_test ~* ^yes) {{
                rewrite ^ /new/fromhdr break;
            }}
            if ($http_x_test != "") {{
                return 200 "other header";
            }}
            return 200 "no header";
        }}
        location /loop {{
            rewrite ^ /loop last;
        }}
        location /chain {{
            rewrite ^/chain(.*)$ /new$1;
            rewrite ^/new/x$ /new/y;
        }}
        location /args {{
            rewrite ^ /new/a?x=1;
        }}
        location /noargs {{
            rewrite ^ /new/b? last;
        }}
        location /brk/ {{
            rewrite ^/brk/(.*)$ /$1 break;
            return 200 "not reached";
        }}
        location /cap/ {{
            rewrite ^/cap/(\w+)$ /new/$1?q=1 redirect;
        }}
        location /teapot {{
            return 418 "short and stout";
        }}
        location /first {{
            return 200 "first";
            rewrite ^ /new/never last;
        }}
    }}
}}
"#,
            log = log.display()
        )
    };
    let p = start_pair(make);
    let cases: &[(&str, &str, &str)] = &[
        ("GET", "/old/thing?a=1", ""),
        ("GET", "/perm/thing?a=1", ""),
        ("GET", "/away?z=9", ""),
        ("GET", "/img/a.png", ""),
        ("GET", "/img/a.png", "Referer: http://www.good.com/page\r\n"),
        ("GET", "/img/a.png", "Referer: http://good.com/page\r\n"),
        ("GET", "/img/a.png", "Referer: http://good.org/pics/1\r\n"),
        ("GET", "/img/a.png", "Referer: http://good.org/other\r\n"),
        ("GET", "/img/a.png", "Referer: http://www.friend.net/\r\n"),
        ("GET", "/img/a.png", "Referer: http://localhost/\r\n"),
        ("GET", "/img/a.png", "Referer: http://evil.com/\r\n"),
        ("GET", "/img/a.png", "Referer: garbage\r\n"),
        ("POST", "/post", "Content-Length: 0\r\n"),
        ("GET", "/post", ""),
        ("GET", "/hdr", ""),
        ("GET", "/hdr", "X-Test: YES please\r\n"),
        ("GET", "/hdr", "X-Test: no\r\n"),
        ("GET", "/loop", ""),
        ("GET", "/chain/x", ""),
        ("GET", "/chain/z", ""),
        ("GET", "/args?y=2", ""),
        ("GET", "/noargs?y=2", ""),
        ("GET", "/brk/plain.txt", ""),
        ("GET", "/cap/abc?o=1", ""),
        ("GET", "/first", ""),
        ("GET", "/post", "X-Block: 1\r\n"),
        ("GET", "/post", "X-Block: 0\r\n"),
        ("GET", "/anything?a=1&go=home", ""),
        ("GET", "/anything?go=homer", ""),
        ("GET", "/teapot", ""),
    ];
    for (method, path, extra) in cases {
        let ask = |port: u16| {
            exchange(
                port,
                format!(
                    "{method} {path} HTTP/1.1\r\nHost: localhost\r\n{extra}Connection: close\r\n\r\n"
                )
                .as_bytes(),
            )
        };
        let (n, l) = (ask(p.nginx), ask(p.lbc));
        let what = format!("{method} {path} {extra:?}\nnginx: {n}\nlbc: {l}");
        assert_eq!(status(&n), status(&l), "{what}");
        let first = |r: &str| r.lines().next().unwrap_or("").to_string();
        assert_eq!(first(&n), first(&l), "status line: {what}");
        let norm = |r: &str, port: u16| {
            header(r, "location").map(|v| v.replace(&port.to_string(), "PORT"))
        };
        assert_eq!(norm(&n, p.nginx), norm(&l, p.lbc), "{what}");
        let body = |r: &str| {
            r.split_once("\r\n\r\n")
                .map(|x| x.1.replace("nginx/1.22.1", "lbc"))
                .unwrap_or_default()
        };
        assert_eq!(body(&n), body(&l), "{what}");
    }
}

/// Connects, sends `head` (part of a request head, or nothing) and waits: (bytes the server
/// sent back, seconds until it closed).
fn stalled(port: u16, head: &[u8]) -> (usize, f64) {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut c = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(8))).unwrap();
    let t = Instant::now();
    c.write_all(head).unwrap();
    let mut got = Vec::new();
    let _ = c.read_to_end(&mut got);
    (got.len(), t.elapsed().as_secs_f64())
}

#[test]
fn client_header_timeout_matches_nginx() {
    // The default server's `client_header_timeout` bounds the time to send a head, and a new
    // connection's wait for its first bytes; a complete head in time is served. nginx closes
    // without a response (its log says 408).
    let make = |listen: u16, _log: &Path| {
        format!(
            "events {{}}
http {{
    server {{
        listen 127.0.0.1:{listen};
        client_header_timeout 1s;
        location / {{ return 200 'ok'; }}
    }}
}}
"
        )
    };
    let p = start_pair(make);
    for (who, port) in [("nginx", p.nginx), ("lbc", p.lbc)] {
        let (status, body) = common::serve::get(port, "/");
        assert_eq!((status, body.as_str()), (200, "ok"), "{who}");
        for head in [&b"GET / HTTP/1.1\r\nHost: localhost\r\n"[..], b""] {
            let (sent, secs) = stalled(port, head);
            let what = if head.is_empty() {
                "a silent connection"
            } else {
                "a stalled head"
            };
            assert_eq!(sent, 0, "{who} answered {what}");
            assert!(
                (0.8..4.0).contains(&secs),
                "{who} closed {what} after {secs:.2} s, not about 1 s"
            );
        }
    }
}

/// One keep-alive request on a fresh connection: (the response head, seconds from the end of
/// the response until the server closed the connection).
fn idle_after(port: u16, path: &str) -> (String, f64) {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut c = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(8))).unwrap();
    c.write_all(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let head = loop {
        let n = c.read(&mut buf).unwrap();
        assert!(n > 0, "closed before a response");
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len: usize = header(head, "content-length").unwrap().parse().unwrap();
            if body.len() >= len {
                break head.to_string();
            }
        }
    };
    let t = Instant::now();
    let n = c.read(&mut buf).unwrap_or(usize::MAX);
    assert_eq!(n, 0, "more bytes, or no close within 8 s, after {path}");
    (head, t.elapsed().as_secs_f64())
}

#[test]
fn keepalive_timeout_matches_nginx() {
    // The location that answered decides how long the connection may idle; 0 closes it after
    // the response with `Connection: close`.
    let make = |listen: u16, _log: &Path| {
        format!(
            "events {{}}
http {{
    keepalive_timeout 1s;
    server {{
        listen 127.0.0.1:{listen};
        location / {{ return 200 'ok'; }}
        location /longer {{ keepalive_timeout 3s; return 200 'ok'; }}
        location /never {{ keepalive_timeout 0; return 200 'ok'; }}
    }}
}}
"
        )
    };
    let p = start_pair(make);
    for (who, port) in [("nginx", p.nginx), ("lbc", p.lbc)] {
        let (head, secs) = idle_after(port, "/");
        assert!(
            header(&head, "connection") != Some("close"),
            "{who}: {head}"
        );
        assert!(
            (0.8..2.5).contains(&secs),
            "{who} closed an idle connection after {secs:.2} s, not about 1 s"
        );
        let (_, secs) = idle_after(port, "/longer");
        assert!(
            (2.7..5.0).contains(&secs),
            "{who} closed an idle connection after {secs:.2} s, not about 3 s"
        );
        let (head, secs) = idle_after(port, "/never");
        assert_eq!(header(&head, "connection"), Some("close"), "{who}: {head}");
        assert!(
            secs < 0.5,
            "{who} kept a `keepalive_timeout 0` connection {secs:.2} s"
        );
    }
}

#[test]
fn return_444_closes_the_connection_like_nginx() {
    let p = start_pair(|port, log| {
        format!(
            "events {{}}
http {{
    log_format s '$status $body_bytes_sent \"$request\"';
    access_log {} s;
    server {{ listen 127.0.0.1:{port} default_server; return 444; }}
    server {{
        listen 127.0.0.1:{port};
        server_name ok.test;
        location / {{ if ($http_x_bad) {{ return 444; }} return 200 \"ok\\n\"; }}
        location /text {{ return 444 \"kept\"; }}
    }}
}}
",
            log.display()
        )
    });
    let cases = [
        ("other.test", "/", ""),
        ("ok.test", "/", ""),
        ("ok.test", "/", "X-Bad: 1\r\n"),
        ("ok.test", "/text", ""),
    ];
    for (host, path, extra) in cases {
        let raw =
            format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n");
        let (n, l) = (
            exchange(p.nginx, raw.as_bytes()),
            exchange(p.lbc, raw.as_bytes()),
        );
        let body = |r: &str| r.split_once("\r\n\r\n").map(|x| x.1.to_string());
        // Without a text nothing at all is sent; with one, a 444 answer carries it.
        assert_eq!(
            n.is_empty(),
            l.is_empty(),
            "{host}{path} {extra:?}\nnginx: {n}\nlbc: {l}"
        );
        assert_eq!(
            (status(&n), body(&n)),
            (status(&l), body(&l)),
            "{host}{path}"
        );
    }
    assert_eq!(log_lines(&p, "nginx", 4), log_lines(&p, "lbc", 4));
}
