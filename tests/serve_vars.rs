//! `lbc serve` against real nginx on user variables: `map` (exact keys, case, `''`,
//! `hostnames` wildcards, regexes with captures, chained maps, a source of two variables),
//! `geo` (networks, most specific first; a variable source; `ranges`), `set` (server and
//! location level, inside `if`, read by `if`, `return`, `add_header` and `proxy_set_header`)
//! and regex captures (`$1`… of a regex location, then of an `if` or `rewrite` regex).
//! The same requests go to both; status, the variables' values and the headers a backend
//! received must be the same.

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpStream};

use common::serve::{read_head, serve_check, spawn_backend, start_nginx, start_pair, IO_TIMEOUT};

/// A backend answering with the request's `x-*` header lines (names lower-cased), sorted.
fn echo_backend() -> u16 {
    spawn_backend(|mut conn| {
        let (head, _) = read_head(&mut conn);
        let mut lines: Vec<String> = head
            .lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| format!("{}:{v}", n.to_ascii_lowercase()))
            .filter(|l| l.starts_with("x-"))
            .collect();
        lines.sort_unstable();
        let body = lines.join("\n");
        let reply = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = conn.write_all(reply.as_bytes());
        let _ = conn.shutdown(Shutdown::Write);
    })
}

/// Sends `head` (without the final blank line): the status line, the `x-*` response headers
/// (names lower-cased, as HTTP/1.1 has them case-insensitive) and the body (the server's own
/// name in error pages left out).
fn ask(port: u16, head: &str) -> String {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut conn = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
    conn.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    conn.write_all(format!("{head}\r\nConnection: close\r\n\r\n").as_bytes())
        .unwrap();
    let mut out = Vec::new();
    let _ = conn.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines.next().unwrap_or("").to_string();
    let mut x: Vec<String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| format!("{}:{v}", n.to_ascii_lowercase()))
        .filter(|l| l.starts_with("x-"))
        .collect();
    x.sort_unstable();
    let body = body.replace("<center>nginx/1.22.1</center>", "<center>lbc</center>");
    format!("{status} | {} | {body}", x.join(", "))
}

fn config(port: u16, backend: u16, a: u16, b: u16) -> String {
    format!(
        r#"events {{}}
http {{
    upstream app_a {{ server 127.0.0.1:{a}; }}
    upstream App_B {{ server 127.0.0.1:{b}; }}
    upstream Echo_Up {{ server 127.0.0.1:{backend}; }}
    map $http_x_app $pool {{
        default app_a;
        b app_b;
        echo 127.0.0.1:{backend};
        echoup echo_up;
        echoexact Echo_Up;
        ip 127.0.0.1:{a};
        nosuch nosuch.invalid;
        ported app_a:80;
    }}
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    split_clients "${{http_x_split}}AAA" $variant {{ 33.3% one; 0.7% two; 50% three; * four; }}
    map $uri $section {{
        default none;
        /exact exact;
        /CaSe case;
        ~^/api/(v\d+)/(.*)$ "api-$1-$2";
        ~*^/IMG img;
        \~tilde tilde;
    }}
    map $http_host $site {{
        hostnames;
        default other;
        example.com ex;
        *.example.org org-sub;
        .example.net net-any;
        www.example.* www-tail;
        a.b.example.org exact-wins;
    }}
    map $section $chained {{ default c-$section; exact was-exact; }}
    map $later $early {{ default e-$later; }}
    map $http_x_a$http_x_b $pair {{ ab both; a only-a; "" neither; default some; }}
    map $host $later {{ default l; localhost loc; }}
    geo $from {{ default far; 127.0.0.0/8 loop; 127.0.0.1/32 one; 10.0.0.0/8 ten; }}
    geo $http_x_ip $zone {{
        default none;
        10.0.0.0/8 ten;
        10.1.0.0/16 ten-one;
        192.168.1.1 single;
        ::1 v6;
        2001:db8::/32 doc;
    }}
    geo $http_x_ip $ranged {{ ranges; default out; 10.0.0.1-10.0.0.9 low; 10.0.0.10-10.0.0.20 high; }}
    geo $nodefault {{ 10.0.0.0/8 ten; }}
    geo $arg_ip $argzone {{ default none; 10.0.0.0/8 ten; }}

    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        set $base "b-$host";

        location / {{
            add_header X-Site $site always;
            add_header X-Pair $pair;
            return 200 "sec=$section site=$site ch=$chained early=$early pair=$pair from=$from zone=$zone r=$ranged nd=[$nodefault] cu=$connection_upgrade base=$base a=$arg_ip c=$cookie_sid g=$argzone\n";
        }}
        location = /split {{ return 200 "split=$variant\n"; }}
        location /set {{
            set $x "one";
            if ($http_x_a) {{
                set $x "$x+a=$http_x_a";
            }}
            if ($x = "one+a=stop") {{
                return 403;
            }}
            if ($section) {{
                set $y "sec-$section";
            }}
            return 200 "x=$x y=$y base=$base\n";
        }}
        location /when {{
            if ($site = ex) {{
                return 302 http://example.com/;
            }}
            if ($zone != none) {{
                return 200 "zone $zone\n";
            }}
            return 404;
        }}
        location ~ ^/cap/(\w+)/(.*)$ {{
            set $first $1;
            if ($http_x_c ~ ^(\d+)-(\d+)$) {{
                set $swapped "$2+$1";
            }}
            if ($http_x_c ~ none) {{
                set $nogroups "kept $1";
            }}
            add_header X-Cap "$1|$2" always;
            return 200 "first=$first swapped=$swapped ng=$nogroups now=$1:$2\n";
        }}
        location ~ ^/cap2/(\w+)$ {{
            rewrite ^/nomatch(\d+)$ /x;
            return 200 "after a failed rewrite regex [$1]\n";
        }}
        location ~ ^/cap3/(\w+)$ {{
            if ($http_x_c !~ ^(\d+)$) {{
                return 200 "neg [$1]\n";
            }}
            if ($http_x_c) {{
                return 200 "plain if keeps [$1]\n";
            }}
            return 200 "pos [$1]\n";
        }}
        location /cors/ {{
            add_header X-Loc loc always;
            if ($request_method = OPTIONS) {{
                add_header X-Allow "GET, POST";
                add_header X-Origin $http_origin always;
                return 204;
            }}
            if ($http_x_h) {{
                set $h 1;
            }}
            return 200 "cors $h\n";
        }}
        location /ifh/ {{
            add_header X-Loc loc;
            if ($http_x_h) {{
                add_header X-If "yes $http_x_h";
            }}
            if ($http_x_i) {{
                set $i 1;
            }}
            return 200 "ifh\n";
        }}
        location ~ ^/named/(?<sect>[a-z]+)/(?P<item>\d+)$ {{
            if ($http_x_c ~ ^(?<cx>\w+)-) {{
                set $seen "cx=$cx";
            }}
            rewrite ^/named/(?<again>[a-z]+)/ /named-done;
            return 200 "sect=$sect item=$item seen=$seen cx=$cx again=$again one=$1\n";
        }}
        location = /named-done {{
            return 200 "done sect=$sect item=$item again=$again sn=$server_name m=$request_method\n";
        }}
        location /rw/ {{
            rewrite ^/rw/(.*)$ /rwdone/$1;
        }}
        location ~ ^/rwdone/(.*)$ {{
            return 200 "done $1\n";
        }}
        location ~ ^/pc/(.*)$ {{
            proxy_set_header X-Cap "$1";
            proxy_pass http://127.0.0.1:{backend};
        }}
        location /d/ {{
            proxy_set_header X-PH $proxy_host;
            proxy_pass http://$pool;
        }}
        location /u/ {{
            proxy_pass http://$pool/fixed$is_args$args;
        }}
        location ~ ^/c/(.*)$ {{
            proxy_pass http://app_a/x/$1;
        }}
        location /s/ {{
            set $t "http://App_B";
            proxy_pass $t;
        }}
        location /bad/ {{
            proxy_pass $http_x_url;
        }}
        location /pr/ {{
            rewrite ^/pr/(.*)$ /p/$1 last;
        }}
        location /p/ {{
            set $via "lbc-$section";
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header X-Site $site;
            proxy_set_header X-Via $via;
            proxy_set_header X-Uri "$uri?$args";
            proxy_set_header X-Base $base;
            proxy_set_header X-Arg "$arg_ip $argzone $cookie_sid";
            proxy_set_header X-RU $request_uri;
            proxy_set_header X-Req "$request $request_method $server_protocol";
            proxy_set_header X-Srv "$server_name $server_addr $content_type";
            proxy_pass http://127.0.0.1:{backend};
        }}
    }}
}}
"#
    )
}

#[test]
fn map_geo_and_set_as_nginx() {
    let backend = echo_backend();
    let (a, b) = (common::serve::backend("a"), common::serve::backend("b"));
    let p = start_pair(|port| config(port, backend, a, b), start_nginx);
    let requests = [
        "GET / HTTP/1.1\r\nHost: localhost",
        "GET /exact HTTP/1.1\r\nHost: localhost",
        "GET /EXACT HTTP/1.1\r\nHost: localhost",
        "GET /case HTTP/1.1\r\nHost: localhost",
        "GET /api/v2/users/7 HTTP/1.1\r\nHost: localhost",
        "GET /API/v2/users HTTP/1.1\r\nHost: localhost",
        "GET /img/x.png HTTP/1.1\r\nHost: localhost",
        "GET /~tilde HTTP/1.1\r\nHost: localhost",
        "GET / HTTP/1.1\r\nHost: example.com",
        "GET / HTTP/1.1\r\nHost: EXAMPLE.com.",
        "GET / HTTP/1.1\r\nHost: x.example.com",
        "GET / HTTP/1.1\r\nHost: a.example.org",
        "GET / HTTP/1.1\r\nHost: a.b.example.org",
        "GET / HTTP/1.1\r\nHost: example.org",
        "GET / HTTP/1.1\r\nHost: example.net",
        "GET / HTTP/1.1\r\nHost: deep.sub.example.net",
        "GET / HTTP/1.1\r\nHost: www.example.de",
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-A: a\r\nX-B: b",
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-A: A",
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-B: b",
        "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket",
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-IP: 10.2.3.4",
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-IP: 10.1.3.4",
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-IP: 192.168.1.1",
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-IP: 192.168.1.2",
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-IP: ::1",
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-IP: 2001:db8::5",
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-IP: 10.0.0.3",
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-IP: 10.0.0.7",
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-IP: 10.0.0.15",
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-IP: not-an-address",
        "GET /?ip=10.9.9.9 HTTP/1.1\r\nHost: localhost",
        "GET /?x=1&IP=10.1.1.1&ip=3 HTTP/1.1\r\nHost: localhost",
        "GET /?ip HTTP/1.1\r\nHost: localhost",
        "GET /?ip=a%20b HTTP/1.1\r\nHost: localhost",
        "GET / HTTP/1.1\r\nHost: localhost\r\nCookie: a=1; sid=xyz; b=2",
        "GET / HTTP/1.1\r\nHost: localhost\r\nCookie: SID=upper",
        "GET / HTTP/1.1\r\nHost: localhost\r\nCookie: a=1\r\nCookie: sid=second",
        "GET /cap/abc/def/g HTTP/1.1\r\nHost: localhost",
        "GET /cap/abc/def HTTP/1.1\r\nHost: localhost\r\nX-C: 12-34",
        "GET /cap/abc/def HTTP/1.1\r\nHost: localhost\r\nX-C: none",
        "GET /rw/x/y HTTP/1.1\r\nHost: localhost",
        "GET /named/abc/42 HTTP/1.1\r\nHost: localhost",
        "GET /named/abc/42 HTTP/1.1\r\nHost: localhost\r\nX-C: zz-top",
        "GET /named/abc/x HTTP/1.1\r\nHost: localhost",
        "OPTIONS /cors/x HTTP/1.1\r\nHost: localhost\r\nOrigin: http://a.test",
        "GET /cors/x HTTP/1.1\r\nHost: localhost\r\nOrigin: http://a.test",
        "GET /cors/x HTTP/1.1\r\nHost: localhost\r\nX-H: 1",
        "GET /ifh/ HTTP/1.1\r\nHost: localhost",
        "GET /ifh/ HTTP/1.1\r\nHost: localhost\r\nX-H: 1",
        "GET /ifh/ HTTP/1.1\r\nHost: localhost\r\nX-H: 1\r\nX-I: 1",
        "GET /cap2/abc HTTP/1.1\r\nHost: localhost",
        "GET /cap3/abc HTTP/1.1\r\nHost: localhost",
        "GET /cap3/abc HTTP/1.1\r\nHost: localhost\r\nX-C: 42",
        "GET /pc/a/b?c HTTP/1.1\r\nHost: localhost",
        "GET /d/one?q=1 HTTP/1.1\r\nHost: localhost",
        "GET /d/two HTTP/1.1\r\nHost: localhost\r\nX-App: b",
        "GET /d/three HTTP/1.1\r\nHost: localhost\r\nX-App: ip",
        "GET /d/four HTTP/1.1\r\nHost: localhost\r\nX-App: echo",
        "GET /d/five HTTP/1.1\r\nHost: localhost\r\nX-App: nosuch",
        "GET /d/up HTTP/1.1\r\nHost: localhost\r\nX-App: echoup",
        "GET /d/exact HTTP/1.1\r\nHost: localhost\r\nX-App: echoexact",
        "GET /d/six HTTP/1.1\r\nHost: localhost\r\nX-App: ported",
        "GET /u/x?k=v HTTP/1.1\r\nHost: localhost\r\nX-App: b",
        "GET /u/x HTTP/1.1\r\nHost: localhost",
        "GET /c/deep/path?z=1 HTTP/1.1\r\nHost: localhost",
        "GET /s/x HTTP/1.1\r\nHost: localhost",
        "GET /bad/x HTTP/1.1\r\nHost: localhost\r\nX-URL: ftp://x",
        "GET /bad/x HTTP/1.1\r\nHost: localhost\r\nX-URL: http://app_a",
        "GET /set HTTP/1.1\r\nHost: localhost",
        "GET /set HTTP/1.1\r\nHost: localhost\r\nX-A: go",
        "GET /set HTTP/1.1\r\nHost: localhost\r\nX-A: stop",
        "GET /when HTTP/1.1\r\nHost: example.com",
        "GET /when HTTP/1.1\r\nHost: localhost\r\nX-IP: 10.1.0.1",
        "GET /when HTTP/1.1\r\nHost: localhost",
        "GET /p/a?q=1&ip=10.0.0.1 HTTP/1.1\r\nHost: localhost\r\nCookie: sid=1",
        "GET /p/b HTTP/1.1\r\nHost: www.example.fr\r\nUpgrade: websocket",
        "GET /p/%41 HTTP/1.1\r\nHost: localhost\r\nX-Keep: yes",
        "GET /pr/x?y=1 HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/x",
        "POST /pr/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0",
    ];
    let splits: Vec<String> = (0..24)
        .map(|i| format!("GET /split HTTP/1.1\r\nHost: localhost\r\nX-Split: {i}"))
        .collect();
    let requests = requests
        .iter()
        .copied()
        .chain(splits.iter().map(String::as_str));
    let mut diffs = Vec::new();
    for r in requests {
        let (real, lbc) = (ask(p.real, r), ask(p.lbc, r));
        if real != lbc {
            diffs.push(format!("{r:?}\n  nginx: {real:?}\n  lbc:   {lbc:?}"));
        }
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    // The values are not all empty: the comparison saw real work.
    let variants: std::collections::HashSet<String> =
        splits.iter().map(|r| ask(p.lbc, r)).collect();
    assert!(variants.len() >= 3, "{variants:?}");
    let sample = ask(p.lbc, "GET /api/v2/users/7 HTTP/1.1\r\nHost: a.example.org");
    assert!(
        sample.contains("sec=api-v2-users/7 site=org-sub"),
        "{sample}"
    );
}

#[test]
fn unsupported_variable_sources_are_refused_with_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nginx.conf");
    std::fs::write(
        &file,
        "events {}\nhttp {\n    geo $g { proxy 10.0.0.1; default x; }\n    map $uri $b { include m.map; }\n    map $uri $c { default $nosuch; }\n    map $uri $d { default $e; }\n    map $d $e { default $d; }\n    server { listen 127.0.0.1:8080; return 200 $g$b$c$d; }\n}\n",
    )
    .unwrap();
    let (code, report) = serve_check(&file);
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("`proxy` in `geo`"), "{report}");
    assert!(report.contains("nginx.conf:3:"), "{report}");
    assert!(report.contains("`include` in `map`"), "{report}");
    assert!(report.contains("nginx.conf:4:"), "{report}");
    assert!(
        report.contains("the variable `$nosuch` in `map`"),
        "{report}"
    );
    // Two maps reading each other: neither can be compiled.
    assert!(report.contains("the variable `$e` in `map`"), "{report}");
    assert!(report.contains("the variable `$d` in `map`"), "{report}");
}
