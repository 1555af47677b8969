//! `lbc serve` content against real nginx: the same configuration and docroot (a copy of
//! `fixtures/serve/content/www` with an empty directory, odd names and a symlink added) served
//! by both, the same requests, and the same status, body and headers (Content-Type,
//! Content-Length, ETag, Last-Modified, Location, Expires/Cache-Control, Content-Encoding, Vary,
//! Content-Range, add_header) — for static files, traversal attempts, autoindex, try_files,
//! error_page, gzip (decoded), allow/deny, limit_req bursts, limit_conn, stub_status counting
//! and the combined access log line. Every process dies with its Drop guard.

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::serve::{free_port, start_lbc, start_nginx, wait_ready, Guard, IO_TIMEOUT};

/// One HTTP/1.1 answer.
#[derive(Debug, Clone, PartialEq)]
struct Reply {
    status: u16,
    reason: String,
    /// Lowercased names, in arrival order.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        common::serve::header_in(&self.headers, name)
    }

    /// The body with the page footer and the port made comparable.
    fn text(&self, port: u16) -> String {
        String::from_utf8_lossy(&self.body)
            .replace("<center>nginx/1.22.1</center>", "<center>lbc</center>")
            .replace(&port.to_string(), "PORT")
    }
}

/// Sends `head` (the request line and headers, without the final blank line) on a fresh
/// connection with `Connection: close`, and reads the whole answer.
fn send(port: u16, head: &str) -> Reply {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut conn = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
    conn.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let request = format!("{head}\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    conn.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = conn.read_to_end(&mut raw);
    parse(&raw, head.starts_with("HEAD "))
}

fn parse(raw: &[u8], head_only: bool) -> Reply {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete header");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut rest = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let mut sl = status_line.splitn(3, ' ');
    sl.next();
    let status = sl.next().unwrap().parse().unwrap();
    let reason = sl.next().unwrap_or("").to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    if chunked && !head_only {
        let mut body = Vec::new();
        let mut data = rest.as_slice();
        while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
            let size_text = String::from_utf8_lossy(&data[..eol]);
            let size =
                usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap_or(0);
            if size == 0 {
                break;
            }
            body.extend_from_slice(&data[eol + 2..eol + 2 + size]);
            data = &data[eol + 2 + size + 2..];
        }
        rest = body;
    }
    Reply {
        status,
        reason,
        headers,
        body: rest,
    }
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut out)
        .expect("a gzip body");
    out
}

/// A copy of the fixture docroot with what git cannot hold.
fn docroot(dir: &Path) -> std::path::PathBuf {
    let www = dir.join("www");
    copy_dir(Path::new("fixtures/serve/content/www"), &www);
    std::fs::create_dir_all(www.join("dir/empty")).unwrap();
    std::fs::create_dir_all(www.join("dir/caf\u{e9} dir")).unwrap();
    let sizes = www.join("sizes");
    std::fs::create_dir_all(sizes.join("a dir")).unwrap();
    for (name, len) in [
        ("b9999", 9999),
        ("b10000", 10000),
        ("half", 1_572_864),
        ("m16", 1_600_000),
        ("q\"uote", 3),
    ] {
        std::fs::write(sizes.join(name), vec![b'x'; len]).unwrap();
    }
    let text = "pre-compressed text for gzip_static, long enough to matter\n".repeat(20);
    std::fs::write(www.join("pre.txt"), &text).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(text.as_bytes()).unwrap();
    std::fs::write(www.join("pre.txt.gz"), gz.finish().unwrap()).unwrap();
    let huge: Vec<u8> = (0..1_500_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(www.join("huge.bin"), huge).unwrap();
    std::fs::write(www.join("dir/with space & amp.txt"), "odd name\n").unwrap();
    std::fs::write(www.join(format!("dir/{}.txt", "n".repeat(60))), "long\n").unwrap();
    std::fs::write(dir.join("outside.txt"), "outside the docroot\n").unwrap();
    std::os::unix::fs::symlink(dir.join("outside.txt"), www.join("link.txt")).unwrap();
    www
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

fn config(listen: u16, www: &Path, log: &Path) -> String {
    let (www, log) = (www.display(), log.display());
    format!(
        r#"events {{}}
http {{
    types {{ text/html html; text/plain txt; text/css css; }}
    default_type application/octet-stream;
    limit_req_zone $binary_remote_addr zone=burst:1m rate=1r/m;
    limit_req_zone $binary_remote_addr zone=slow:1m rate=2r/s;
    server {{
        listen 127.0.0.1:{listen};
        root {www};
        access_log {log};
        location / {{ }}
        location /dir/ {{ autoindex on; }}
        location /ls-h/ {{ alias {www}/sizes/; autoindex on; autoindex_exact_size off; }}
        location /ls-j/ {{ alias {www}/sizes/; autoindex on; autoindex_format json; }}
        location /ls-x/ {{ alias {www}/sizes/; autoindex on; autoindex_format xml; }}
        location /utf8/ {{ alias {www}/dir/; autoindex on; charset utf-8; }}
        location /cache/ {{ alias {www}/; expires 1h; add_header X-Served static; add_header X-Always yes always; }}
        location /epoch/ {{ alias {www}/; expires epoch; }}
        location /tf/ {{ try_files $uri $uri/ /a.txt; }}
        location /tf404/ {{ try_files $uri =404; }}
        location /named/ {{ try_files $uri @fallback; }}
        location @fallback {{ return 200 "fallback $uri\n"; }}
        location /ep/ {{ error_page 404 /404.html; }}
        location /epi/ {{ error_page 404 /private/a.txt; }}
        location /private/ {{ internal; alias {www}/; }}
        location /ep200/ {{ error_page 404 =200 /a.txt; }}
        location /alias/ {{ alias {www}/sub/; }}
        location /slashless {{ alias {www}/sub/; }}
        location /gzs/ {{ alias {www}/; gzip_static on; gzip_vary on; gzip on; gzip_types text/plain; }}
        location /gza/ {{ alias {www}/; gzip_static always; }}
        location /gz/ {{ alias {www}/; gzip on; gzip_types text/plain text/css; gzip_vary on; }}
        location /denied/ {{ alias {www}/; deny 127.0.0.1; allow all; }}
        location /cs/ {{ alias {www}/; charset utf-8; }}
        location /upload/ {{ client_max_body_size 1k; return 200 "small enough\n"; }}
        location /allowed/ {{ alias {www}/; allow 127.0.0.0/8; deny all; }}
        location = /old {{ return 301 /sub/; }}
        location /noetag/ {{ alias {www}/; etag off; }}
        location /ims-off/ {{ alias {www}/; if_modified_since off; }}
        location /ims-before/ {{ alias {www}/; if_modified_since before; }}
        location /rel/ {{ absolute_redirect off; alias {www}/; }}
        location /noport/ {{ port_in_redirect off; alias {www}/; }}
        location = /rel-ret {{ absolute_redirect off; return 302 /x; }}
        location = /away {{ return 302 http://example.com/x; }}
        location = /text {{ return 200 "uri=$uri$is_args$args\n"; }}
        location /dry/ {{ alias {www}/; limit_req zone=burst; limit_req_dry_run on; }}
        location = /gone {{ return 410; }}
        location = /status {{ stub_status; }}
        location /limited/ {{ limit_req zone=burst burst=3 nodelay; alias {www}/; }}
        location /delayed/ {{ limit_req zone=slow burst=5; alias {www}/; }}
        location /unlimited/ {{ limit_req zone=burst nodelay; return 200 "return runs before limit_req\n"; }}
    }}
}}
"#
    )
}

/// The headers compared verbatim.
const HEADERS: &[&str] = &[
    "content-type",
    "etag",
    "last-modified",
    "location",
    "cache-control",
    "content-encoding",
    "vary",
    "content-range",
    "accept-ranges",
    "x-served",
    "x-always",
];

struct Pair {
    nginx: u16,
    lbc: u16,
    _guards: (Guard, Guard),
    dir: tempfile::TempDir,
}

fn start_pair(make: impl Fn(u16, &Path, &Path) -> String) -> Pair {
    let dir = tempfile::tempdir().unwrap();
    let www = docroot(dir.path());
    let (nginx, lbc) = (free_port(), free_port());
    let ndir = dir.path().join("nginx");
    let ldir = dir.path().join("lbc");
    std::fs::create_dir_all(&ndir).unwrap();
    std::fs::create_dir_all(&ldir).unwrap();
    let n = start_nginx(&make(nginx, &www, &ndir.join("access.log")), &ndir);
    let l = start_lbc(&make(lbc, &www, &ldir.join("access.log")), &ldir);
    wait_ready(nginx);
    wait_ready(lbc);
    Pair {
        nginx,
        lbc,
        _guards: (n, l),
        dir,
    }
}

/// Asserts both answer `head` alike; returns (nginx, lbc).
fn same(p: &Pair, head: &str) -> (Reply, Reply) {
    let (n, l) = (send(p.nginx, head), send(p.lbc, head));
    assert_eq!(
        n.status, l.status,
        "{head}: status\nnginx: {n:?}\nlbc: {l:?}"
    );
    assert_eq!(n.reason, l.reason, "{head}: reason");
    let gz = n.header("content-encoding") == Some("gzip") && !n.body.is_empty();
    if gz {
        let plain = |r: &Reply, port| {
            let r = Reply {
                body: gunzip(&r.body),
                ..r.clone()
            };
            r.text(port)
        };
        assert_eq!(
            plain(&n, p.nginx),
            plain(&l, p.lbc),
            "{head}: gunzipped body"
        );
    } else {
        assert_eq!(n.text(p.nginx), l.text(p.lbc), "{head}: body");
        let footer = String::from_utf8_lossy(&n.body).contains("<center>nginx/");
        if !footer && n.header("transfer-encoding").is_none() {
            assert_eq!(
                n.header("content-length"),
                l.header("content-length"),
                "{head}: content-length"
            );
        }
    }
    for h in HEADERS {
        let norm = |r: &Reply, port: u16| r.header(h).map(|v| v.replace(&port.to_string(), "PORT"));
        assert_eq!(norm(&n, p.nginx), norm(&l, p.lbc), "{head}: header {h}");
    }
    match (n.header("expires"), l.header("expires")) {
        (None, None) => {}
        (Some(a), Some(b)) => {
            let t = |v: &str| httpdate::parse_http_date(v).unwrap();
            let (a, b) = (t(a), t(b));
            let diff = a
                .duration_since(b)
                .or_else(|_| b.duration_since(a))
                .unwrap();
            assert!(
                diff <= Duration::from_secs(10),
                "{head}: expires {a:?} {b:?}"
            );
        }
        other => panic!("{head}: expires {other:?}"),
    }
    (n, l)
}

#[test]
fn static_files_match_nginx() {
    let p = start_pair(config);
    let etag = same(&p, "GET /a.txt HTTP/1.1").0;
    let tag = etag.header("etag").unwrap().to_string();
    let lm = etag.header("last-modified").unwrap().to_string();
    assert!(
        tag.starts_with('"') && tag.contains('-'),
        "nginx's ETag shape: {tag}"
    );
    for head in [
        "GET / HTTP/1.1",
        "GET /index.html HTTP/1.1",
        "GET /style.css HTTP/1.1",
        "GET /big.txt HTTP/1.1",
        "GET /nope.txt HTTP/1.1",
        "GET /sub HTTP/1.1",
        "GET /sub?x=1 HTTP/1.1",
        "GET /sub/ HTTP/1.1",
        "GET /sub/index.html HTTP/1.1",
        "GET /dir/ HTTP/1.1",
        "GET /dir/empty/ HTTP/1.1",
        "GET /dir/nothere/ HTTP/1.1",
        "GET /utf8/ HTTP/1.1",
        "GET /ls-h/ HTTP/1.1",
        "GET /ls-j/ HTTP/1.1",
        "GET /ls-x/ HTTP/1.1",
        "GET /ls-j/a%20dir/ HTTP/1.1",
        "GET /dir/caf%C3%A9%20dir HTTP/1.1",
        "GET /huge.bin HTTP/1.1",
        "GET /huge.bin HTTP/1.1\r\nRange: bytes=300000-1200000",
        "GET /link.txt HTTP/1.1",
        "HEAD /a.txt HTTP/1.1",
        "POST /a.txt HTTP/1.1\r\nContent-Length: 0",
        "DELETE /a.txt HTTP/1.1",
        "GET /a.txt HTTP/1.1\r\nRange: bytes=2-6",
        "GET /a.txt HTTP/1.1\r\nRange: bytes=-4",
        "GET /a.txt HTTP/1.1\r\nRange: bytes=7-",
        "GET /a.txt HTTP/1.1\r\nRange: bytes=100-",
        "GET /cache/a.txt HTTP/1.1",
        "GET /cache/missing HTTP/1.1",
        "GET /epoch/a.txt HTTP/1.1",
        "GET /tf/ HTTP/1.1",
        "GET /tf/zzz HTTP/1.1",
        "GET /tf404/zzz HTTP/1.1",
        "GET /named/zzz?q=1 HTTP/1.1",
        "GET /ep/zzz HTTP/1.1",
        "GET /ep200/zzz HTTP/1.1",
        "GET /epi/zzz HTTP/1.1",
        "GET /private/a.txt HTTP/1.1",
        "GET /alias/ HTTP/1.1",
        "GET /alias/index.html HTTP/1.1",
        "GET /slashless/index.html HTTP/1.1",
        "GET /denied/a.txt HTTP/1.1",
        "POST /upload/ HTTP/1.1\r\nContent-Length: 2000",
        "POST /upload/ HTTP/1.1\r\nContent-Length: 0",
        "GET /cs/a.txt HTTP/1.1",
        "GET /cs/style.css HTTP/1.1",
        "GET /cs/nope HTTP/1.1",
        "GET /cs/sub HTTP/1.1",
        "GET /allowed/a.txt HTTP/1.1",
        "GET /old HTTP/1.1",
        "GET /rel/sub HTTP/1.1",
        "GET /noport/sub?a=1 HTTP/1.1",
        "GET /rel-ret HTTP/1.1",
        "GET /away HTTP/1.1",
        "GET /text?a=b HTTP/1.1",
        "GET /text HTTP/1.1",
        "GET /dry/a.txt HTTP/1.1",
        "GET /dry/a.txt HTTP/1.1",
        "GET /dry/a.txt HTTP/1.1",
        "GET /gone HTTP/1.1",
        // URI normalisation and traversal attempts.
        "GET //a.txt HTTP/1.1",
        "GET /sub/../a.txt HTTP/1.1",
        "GET /sub/%2e%2e/a.txt HTTP/1.1",
        "GET /%61.txt HTTP/1.1",
        "GET /../a.txt HTTP/1.1",
        "GET /%2e%2e/a.txt HTTP/1.1",
        "GET /sub/..%2f..%2fouter.txt HTTP/1.1",
        "GET /alias/../../outside.txt HTTP/1.1",
    ] {
        same(&p, head);
    }
    // Conditional requests on the validators nginx sent.
    for head in [
        format!("GET /a.txt HTTP/1.1\r\nIf-None-Match: {tag}"),
        format!("GET /a.txt HTTP/1.1\r\nIf-None-Match: W/{tag}"),
        "GET /a.txt HTTP/1.1\r\nIf-None-Match: \"other\"".to_string(),
        format!("GET /a.txt HTTP/1.1\r\nIf-Modified-Since: {lm}"),
        "GET /a.txt HTTP/1.1\r\nIf-Modified-Since: Thu, 01 Jan 1970 00:00:01 GMT".to_string(),
        format!("GET /noetag/a.txt HTTP/1.1\r\nIf-None-Match: {tag}"),
        "GET /noetag/a.txt HTTP/1.1\r\nIf-None-Match: *".to_string(),
        "GET /noetag/a.txt HTTP/1.1\r\nIf-Match: *".to_string(),
        format!("GET /noetag/a.txt HTTP/1.1\r\nIf-Modified-Since: {lm}"),
        format!("GET /ims-off/a.txt HTTP/1.1\r\nIf-Modified-Since: {lm}"),
        format!("GET /ims-off/a.txt HTTP/1.1\r\nIf-None-Match: {tag}"),
        format!("GET /ims-before/a.txt HTTP/1.1\r\nIf-Modified-Since: {lm}"),
        "GET /ims-before/a.txt HTTP/1.1\r\nIf-Modified-Since: Fri, 31 Dec 9999 23:59:59 GMT"
            .to_string(),
        "GET /ims-before/a.txt HTTP/1.1\r\nIf-Modified-Since: Thu, 01 Jan 1970 00:00:01 GMT"
            .to_string(),
        format!("GET /a.txt HTTP/1.1\r\nRange: bytes=0-1\r\nIf-Range: {tag}"),
        "GET /a.txt HTTP/1.1\r\nRange: bytes=0-1\r\nIf-Range: \"old\"".to_string(),
    ] {
        same(&p, &head);
    }
    // gzip: compared decoded; short and non-listed types stay plain.
    for head in [
        "GET /gz/big.txt HTTP/1.1\r\nAccept-Encoding: gzip, deflate",
        "GET /gz/big.txt HTTP/1.1",
        "GET /gz/style.css HTTP/1.1\r\nAccept-Encoding: gzip",
        "GET /gz/index.html HTTP/1.1\r\nAccept-Encoding: gzip",
        "GET /gz/nothere HTTP/1.1\r\nAccept-Encoding: gzip",
        "GET /gz/big.txt HTTP/1.1\r\nAccept-Encoding: gzip;q=0",
        "GET /gz/big.txt HTTP/1.1\r\nAccept-Encoding: gzip\r\nVia: 1.1 proxy",
    ] {
        let (n, l) = same(&p, head);
        if head.contains("big.txt") && head.ends_with("gzip, deflate") {
            assert_eq!(l.header("content-encoding"), Some("gzip"));
            assert_eq!(n.header("etag").map(|e| e.starts_with("W/")), Some(true));
        }
    }
    // gzip_static: the .gz file as is, its own validators, no ranges.
    for head in [
        "GET /gzs/pre.txt HTTP/1.1\r\nAccept-Encoding: gzip",
        "GET /gzs/pre.txt HTTP/1.1",
        "GET /gzs/pre.txt HTTP/1.1\r\nAccept-Encoding: gzip\r\nRange: bytes=0-3",
        "HEAD /gzs/pre.txt HTTP/1.1\r\nAccept-Encoding: gzip",
        "GET /gzs/a.txt HTTP/1.1\r\nAccept-Encoding: gzip",
        "GET /gza/pre.txt HTTP/1.1",
    ] {
        let (n, l) = same(&p, head);
        if head.starts_with("GET /gzs/pre.txt") && head.ends_with("gzip") {
            assert_eq!(n.body, l.body, "{head}: the same .gz bytes");
        }
    }
    // nginx's off-by-slash alias traversal (`location /slashless` + `alias …/sub/`) reads
    // `sub/../secret.txt`; lbc never leaves the alias directory.
    let l = send(p.lbc, "GET /slashless../secret.txt HTTP/1.1");
    assert_eq!(l.status, 404);
    let n = send(p.nginx, "GET /slashless../secret.txt HTTP/1.1");
    assert_eq!(n.status, 200, "nginx follows the alias out: {n:?}");
}

#[test]
fn autoindex_listing_is_nginx_s() {
    let p = start_pair(config);
    let (n, l) = same(&p, "GET /dir/ HTTP/1.1");
    let page = l.text(p.lbc);
    assert!(page.starts_with("<html>\r\n<head><title>Index of /dir/</title>"));
    assert!(page.contains("<a href=\"with%20space%20%26%20amp.txt\">with space &amp; amp.txt</a>"));
    assert!(page.contains("..&gt;</a> "), "long names are cut: {page}");
    assert_eq!(n.body, l.body);
}

#[test]
fn stub_status_counts_like_nginx() {
    let p = start_pair(config);
    let shape = |text: &str| -> Vec<u64> {
        let lines: Vec<&str> = text.split('\n').collect();
        assert_eq!(lines.len(), 5, "{text:?}");
        assert!(lines[0].starts_with("Active connections: ") && lines[0].ends_with(' '));
        assert_eq!(lines[1], "server accepts handled requests");
        assert!(lines[2].starts_with(' ') && lines[2].ends_with(' '));
        assert!(lines[3].starts_with("Reading: ") && lines[3].contains(" Writing: "));
        assert!(lines[3].contains(" Waiting: ") && lines[3].ends_with(' '));
        assert_eq!(lines[4], "");
        lines[2]
            .split_whitespace()
            .map(|n| n.parse().unwrap())
            .collect()
    };
    let mut deltas = Vec::new();
    for port in [p.nginx, p.lbc] {
        let first = send(port, "GET /status HTTP/1.1");
        assert_eq!(first.header("content-type"), Some("text/plain"));
        let a = shape(&String::from_utf8_lossy(&first.body));
        for _ in 0..3 {
            send(port, "GET /a.txt HTTP/1.1");
        }
        let text = String::from_utf8_lossy(&send(port, "GET /status HTTP/1.1").body).into_owned();
        let b = shape(&text);
        assert!(
            text.starts_with("Active connections: 1 \n"),
            "{port}: {text}"
        );
        assert!(
            text.ends_with("Reading: 0 Writing: 1 Waiting: 0 \n"),
            "{port}: {text}"
        );
        deltas.push((b[0] - a[0], b[1] - a[1], b[2] - a[2]));
    }
    assert_eq!(deltas[0], deltas[1]);
    assert_eq!(deltas[1], (4, 4, 4));
}

#[test]
fn limit_req_burst_rejects_like_nginx() {
    let p = start_pair(config);
    let mut counts = Vec::new();
    for port in [p.nginx, p.lbc] {
        let statuses: Vec<u16> = (0..10)
            .map(|_| send(port, "GET /limited/a.txt HTTP/1.1").status)
            .collect();
        let ok = statuses.iter().filter(|s| **s == 200).count();
        let busy = statuses.iter().filter(|s| **s == 503).count();
        assert_eq!(ok + busy, 10, "{statuses:?}");
        counts.push((ok, busy, statuses));
    }
    assert_eq!(counts[0], counts[1]);
    assert_eq!((counts[1].0, counts[1].1), (4, 6));
    let (n, _) = same(&p, "GET /limited/a.txt HTTP/1.1");
    assert_eq!(
        (n.status, n.reason),
        (503, "Service Temporarily Unavailable".into())
    );
    // Without `nodelay` the burst is served late: at 2r/s three quick requests take about a
    // second (the second and third wait 500 ms each), with nginx as with lbc.
    let timed = |port: u16| {
        thread::spawn(move || {
            let start = Instant::now();
            let statuses: Vec<u16> = (0..3)
                .map(|_| send(port, "GET /delayed/a.txt HTTP/1.1").status)
                .collect();
            (statuses, start.elapsed())
        })
    };
    let (n, l) = (timed(p.nginx), timed(p.lbc));
    let (n, l) = (n.join().unwrap(), l.join().unwrap());
    assert_eq!(n.0, vec![200, 200, 200]);
    assert_eq!(l.0, n.0);
    for (who, took) in [("nginx", n.1), ("lbc", l.1)] {
        assert!(
            took >= Duration::from_millis(800) && took < Duration::from_secs(10),
            "{who}: {took:?}"
        );
    }
    // `return` answers in the rewrite phase, before limits apply.
    for _ in 0..3 {
        assert_eq!(same(&p, "GET /unlimited/ HTTP/1.1").0.status, 200);
    }
}

#[test]
fn access_log_line_is_combined() {
    let p = start_pair(config);
    let head = "GET /a.txt?x=1 HTTP/1.1\r\nUser-Agent: lbc-test \"quoted\"\r\nReferer: http://r/";
    same(&p, head);
    let read = |who: &str| -> String {
        let path = p.dir.path().join(who).join("access.log");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if text.ends_with('\n') || Instant::now() > deadline {
                return text;
            }
            thread::sleep(Duration::from_millis(50));
        }
    };
    let (n, l) = (read("nginx"), read("lbc"));
    let strip = |line: &str| -> String {
        let (a, rest) = line.split_once('[').unwrap();
        let (time, b) = rest.split_once(']').unwrap();
        assert_eq!(time.len(), "21/Nov/2026:06:58:51 +0000".len(), "{time}");
        format!("{a}[TIME]{b}")
    };
    assert_eq!(n.lines().count(), 1, "{n}");
    assert_eq!(strip(n.trim_end()), strip(l.trim_end()));
    assert_eq!(
        strip(l.trim_end()),
        "127.0.0.1 - - [TIME] \"GET /a.txt?x=1 HTTP/1.1\" 200 20 \"http://r/\" \"lbc-test \\x22quoted\\x22\""
    );
}

/// A backend that answers after `delay`, to hold a request in flight; it counts the
/// connections it accepted.
fn slow_backend(delay: Duration) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            count.fetch_add(1, Ordering::SeqCst);
            thread::spawn(move || {
                thread::sleep(delay);
                common::serve::serve_one("slow", conn);
            });
        }
    });
    (port, accepted)
}

#[test]
fn limit_conn_rejects_a_second_request_in_flight() {
    let (slow, accepted) = slow_backend(Duration::from_millis(2000));
    let p = start_pair(|listen, _www, _log| {
        format!(
            r#"events {{}}
http {{
    limit_conn_zone $binary_remote_addr zone=perip:1m;
    server {{
        listen 127.0.0.1:{listen};
        location / {{ limit_conn perip 1; limit_conn_status 429; proxy_pass http://127.0.0.1:{slow}; }}
    }}
}}
"#
        )
    });
    for port in [p.nginx, p.lbc] {
        let before = accepted.load(Ordering::SeqCst);
        let first = thread::spawn(move || send(port, "GET /held HTTP/1.1"));
        // Wait until the first request is at the backend, so it holds the slot.
        let deadline = Instant::now() + Duration::from_secs(10);
        while accepted.load(Ordering::SeqCst) == before && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        let second = send(port, "GET /second HTTP/1.1");
        assert_eq!(second.status, 429, "{port}: {second:?}");
        let first = first.join().unwrap();
        assert_eq!(first.status, 200, "{port}");
        assert_eq!(first.body, b"slow /held");
        // The slot is free again once the first answer is done.
        let third = thread::spawn(move || send(port, "GET /third HTTP/1.1"));
        assert_eq!(third.join().unwrap().status, 200, "{port}");
    }
}

#[test]
fn nested_locations_match_like_nginx() {
    let p = start_pair(|listen, www, _log| {
        let www = www.display();
        format!(
            r#"events {{}}
http {{
    server {{
        listen 127.0.0.1:{listen};
        root {www};
        location /a/ {{
            location /a/b/ {{ return 200 "a/b\n"; }}
            location ~ \.txt$ {{ return 200 "a: txt\n"; }}
            location = /a/exact {{ return 200 "a: exact\n"; }}
        }}
        location ^~ /n/ {{
            location ~ \.txt$ {{ return 200 "n: txt\n"; }}
            location /n/deep/ {{ return 200 "n/deep\n"; }}
        }}
        location ~ \.txt$ {{
            location ~ ^/x {{ return 200 "txt: x\n"; }}
            return 200 "txt\n";
        }}
        location / {{ return 200 "root\n"; }}
    }}
}}
"#
        )
    });
    for path in [
        "/a/",
        "/a/x",
        "/a/b/",
        "/a/b/x.txt",
        "/a/x.txt",
        "/a/exact",
        "/n/x.txt",
        "/n/x",
        "/n/deep/x.txt",
        "/x.txt",
        "/y.txt",
        "/q",
        "/sub/",
    ] {
        let (n, _) = same(&p, &format!("GET {path} HTTP/1.1"));
        assert_ne!(n.status, 0);
    }
}

#[test]
fn proxied_responses_get_the_content_filters() {
    let up = common::serve::backend("up");
    let dead = free_port();
    let p = start_pair(|listen, www, _log| {
        let www = www.display();
        format!(
            r#"events {{}}
http {{
    types {{ text/plain txt; }}
    server {{
        listen 127.0.0.1:{listen};
        root {www};
        location /gzs/ {{ alias {www}/; gzip_static on; gzip_vary on; gzip on; gzip_types text/plain; }}
        location /gza/ {{ alias {www}/; gzip_static always; }}
        location /gz/ {{
            gzip on; gzip_types text/plain; gzip_min_length 1;
            add_header X-Served "proxied for $http_x_test";
            expires 1m;
            charset utf-8;
            proxy_pass http://127.0.0.1:{up};
        }}
        location /down/ {{ error_page 502 /a.txt; proxy_pass http://127.0.0.1:{dead}; }}
        location /down200/ {{ error_page 502 =200 /a.txt; proxy_pass http://127.0.0.1:{dead}; }}
        location /plain-down/ {{ proxy_pass http://127.0.0.1:{dead}; }}
    }}
}}
"#
        )
    });
    for head in [
        "GET /gz/x HTTP/1.1\r\nAccept-Encoding: gzip",
        "GET /gz/x HTTP/1.1",
        "GET /gz/x HTTP/1.1\r\nX-Test: kept",
        "GET /down/x HTTP/1.1",
        "GET /down200/x HTTP/1.1",
        "GET /plain-down/x HTTP/1.1",
    ] {
        same(&p, head);
    }
    let (_, l) = same(&p, "GET /gz/y HTTP/1.1\r\nAccept-Encoding: gzip");
    assert_eq!(l.header("content-encoding"), Some("gzip"));
    assert_eq!(gunzip(&l.body), b"up /gz/y");
}

#[test]
fn real_ip_from_a_trusted_proxy() {
    let make = |recursive: &'static str| {
        move |listen: u16, www: &Path, _log: &Path| {
            let www = www.display();
            format!(
                r#"events {{}}
http {{
    set_real_ip_from 127.0.0.1;
    set_real_ip_from 10.0.0.0/8;
    real_ip_header X-Forwarded-For;
    real_ip_recursive {recursive};
    server {{
        listen 127.0.0.1:{listen};
        root {www};
        location /ip {{ return 200 "$remote_addr\n"; }}
        location /guarded/ {{ alias {www}/; deny 192.0.2.7; allow all; }}
    }}
}}
"#
            )
        }
    };
    for recursive in ["off", "on"] {
        let p = start_pair(make(recursive));
        for head in [
            "GET /ip HTTP/1.1",
            "GET /ip HTTP/1.1\r\nX-Forwarded-For: 192.0.2.7",
            "GET /ip HTTP/1.1\r\nX-Forwarded-For: 198.51.100.1, 192.0.2.7",
            "GET /ip HTTP/1.1\r\nX-Forwarded-For: 198.51.100.1, 10.1.1.1",
            "GET /ip HTTP/1.1\r\nX-Forwarded-For: 10.2.2.2, 10.1.1.1",
            "GET /ip HTTP/1.1\r\nX-Forwarded-For: garbage",
            "GET /ip HTTP/1.1\r\nX-Real-IP: 192.0.2.9",
            "GET /guarded/a.txt HTTP/1.1\r\nX-Forwarded-For: 192.0.2.7",
            "GET /guarded/a.txt HTTP/1.1\r\nX-Forwarded-For: 192.0.2.8",
        ] {
            same(&p, &format!("{head}\r\nX-Recursive: {recursive}"));
        }
    }
}
