//! h5bp's server-configs-nginx — the template countless production servers start from — served
//! by `lbc serve` and by nginx: the tree is rebuilt from the corpus (`MANIFEST.tsv` gives each
//! file's path), its snippets kept verbatim but for absolute `include` paths, and the site of
//! its `conf.d/templates/no-ssl.example.com.conf` put on a loopback port with a root of test
//! files. Every response header (`Cache-Control` and `Expires` from `map $sent_http_content_type`,
//! the security headers, `charset_types`, gzip, the look-ahead `location ~* /\.(?!well-known\/)`)
//! and body must be nginx's.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;

use common::serve::{start_nginx, start_pair, IO_TIMEOUT};

/// Rebuilds h5bp's tree under `dir` from the corpus, `include` paths made absolute; returns
/// the main `nginx.conf` text (without `user`, `pid`, logs, and with `SITE` where
/// `conf.d/*.conf` was included).
fn h5bp_tree(dir: &Path) -> String {
    let corpus = common::shared().join("corpus");
    let manifest = std::fs::read_to_string(corpus.join("MANIFEST.tsv")).unwrap();
    let absolute = |text: &str| {
        let d = dir.display();
        text.replace("include h5bp/", &format!("include {d}/h5bp/"))
            .replace("include mime.types", &format!("include {d}/mime.types"))
            .replace("include custom.d/", &format!("include {d}/custom.d/"))
    };
    let mut files = 0;
    for row in manifest.lines() {
        let cols: Vec<&str> = row.split('\t').collect();
        if cols.len() < 4 || cols[2] != "h5bp/server-configs-nginx" {
            continue;
        }
        let text = std::fs::read_to_string(corpus.join("nginx").join(cols[1])).unwrap();
        let to = dir.join(cols[3]);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(&to, absolute(&text)).unwrap();
        files += 1;
    }
    assert!(files > 30, "the corpus holds h5bp's tree ({files} files)");
    let main = std::fs::read_to_string(dir.join("nginx.conf")).unwrap();
    let lines: Vec<&str> = main
        .lines()
        .filter(|l| {
            let l = l.trim_start();
            !["user ", "pid ", "error_log ", "access_log "]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .collect();
    let main = lines.join("\n");
    assert!(main.contains("include conf.d/*.conf;"));
    main.replace("include conf.d/*.conf;", "SITE")
}

/// The site files, with one modification time (ETag and Last-Modified derive from it).
fn site(root: &Path) {
    let files: &[(&str, &str)] = &[
        ("index.html", "<!doctype html><title>x</title>\n"),
        ("style.css", &"body { color: red }\n".repeat(40)),
        ("app.js", "console.log(1)\n"),
        ("data.json", "{\"a\":1}\n"),
        ("logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n"),
        ("image.png", "PNG"),
        ("font.woff2", "woff"),
        ("notes.txt", "text\n"),
        ("site.webmanifest", "{}"),
        ("feed.rss", "<rss/>"),
        ("404.html", "<h1>not found</h1>\n"),
        (".env", "secret"),
        (".well-known/token", "tok"),
        ("file.unknownext", "x"),
        ("style.abc123.css", "a{}"),
    ];
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_767_225_600);
    for (name, body) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, body).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(when)
            .unwrap();
    }
}

/// The response to `GET path` (with `extra` header lines): status line, headers lower-cased and
/// sorted (but `date`, `server`, `connection`, the framing, and `expires` as seconds after
/// `date`), body (the server's name in error pages left out).
fn fetch(port: u16, path: &str, extra: &str) -> String {
    let mut conn = TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let head =
        format!("GET {path} HTTP/1.1\r\nHost: example.com\r\n{extra}Connection: close\r\n\r\n");
    conn.write_all(head.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = conn.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let body = raw.get(split + 4..).unwrap_or_default();
    let mut lines = head.lines();
    let status = lines.next().unwrap_or("").to_string();
    let mut date = None;
    let mut expires = None;
    let mut headers = Vec::new();
    for l in lines {
        let Some((n, v)) = l.split_once(':') else {
            continue;
        };
        let (n, v) = (n.to_ascii_lowercase(), v.trim().to_string());
        match n.as_str() {
            "date" => date = httpdate::parse_http_date(&v).ok(),
            "expires" => expires = httpdate::parse_http_date(&v).ok(),
            "server" | "connection" | "content-length" | "transfer-encoding" => {}
            _ => headers.push(format!("{n}: {v}")),
        }
    }
    if let (Some(d), Some(e)) = (date, expires) {
        let after = match e.duration_since(d) {
            Ok(x) => x.as_secs() as i64,
            Err(x) => -(x.duration().as_secs() as i64),
        };
        // The two servers answer in different seconds now and then.
        headers.push(format!("expires: date {:+}", after / 10 * 10));
    }
    headers.sort();
    // A chunked body (nginx's gzip) is compared by what it decodes to.
    let body = if head.to_ascii_lowercase().contains("content-encoding: gzip") {
        let data = if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(body)
        } else {
            body.to_vec()
        };
        let mut out = String::new();
        flate2::read::GzDecoder::new(&data[..])
            .read_to_string(&mut out)
            .unwrap();
        out
    } else {
        String::from_utf8_lossy(body).into_owned()
    };
    let body = body
        .replace("<center>nginx</center>", "<center>SERVER</center>")
        .replace("<center>lbc</center>", "<center>SERVER</center>");
    format!("{status}\n{}\n\n{body}", headers.join("\n"))
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = body.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&body[..eol]).unwrap_or("0");
        let size =
            usize::from_str_radix(size.split(';').next().unwrap_or("0").trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&body[eol + 2..eol + 2 + size]);
        body = &body[eol + 2 + size + 2..];
    }
    out
}

#[test]
fn h5bp_server_configs_serve_as_nginx_does() {
    let tree = tempfile::tempdir().unwrap();
    let main = h5bp_tree(tree.path());
    let root = tree.path().join("www");
    site(&root);
    let template =
        std::fs::read_to_string(tree.path().join("conf.d/templates/no-ssl.example.com.conf"))
            .unwrap();
    let config = |port: u16| {
        let site = template
            .lines()
            .filter(|l| !l.contains("[::]"))
            .collect::<Vec<_>>()
            .join("\n")
            .replace("listen 80;", &format!("listen 127.0.0.1:{port};"))
            .replace("/var/www/example.com/public", &root.display().to_string());
        assert!(site.contains(&format!("listen 127.0.0.1:{port};")));
        main.replace("SITE", &site)
    };
    let p = start_pair(config, start_nginx);
    let gzip = "Accept-Encoding: gzip\r\n";
    for (path, extra) in [
        ("/", ""),
        ("/index.html", ""),
        ("/style.css", ""),
        ("/style.css", gzip),
        ("/app.js", gzip),
        ("/data.json", ""),
        ("/logo.svg", ""),
        ("/image.png", ""),
        ("/font.woff2", ""),
        ("/notes.txt", ""),
        ("/site.webmanifest", ""),
        ("/feed.rss", ""),
        ("/missing", ""),
        ("/.env", ""),
        ("/.git/config", ""),
        ("/.well-known/token", ""),
        ("/file.unknownext", ""),
        // h5bp's filename-based cache busting is not in basic.conf: a versioned name is a
        // file like any other (served if there, else 404).
        ("/style.abc123.css", ""),
        ("/style.v2.css", ""),
    ] {
        let (real, lbc) = (fetch(p.real, path, extra), fetch(p.lbc, path, extra));
        assert_eq!(real, lbc, "{path} {extra}");
    }
    // What the maps on `$sent_http_content_type` gave, as nginx gives it.
    let html = fetch(p.real, "/", "");
    assert!(html.contains("cache-control: no-cache"), "{html}");
    assert!(html.contains("x-frame-options: DENY"), "{html}");
    assert!(
        html.contains("content-type: text/html; charset=utf-8"),
        "{html}"
    );
    let css = fetch(p.real, "/style.css", "");
    assert!(css.contains("cache-control: max-age=31536000"), "{css}");
    assert!(!css.contains("x-frame-options"), "{css}");
    let svg = fetch(p.real, "/logo.svg", "");
    assert!(svg.contains("access-control-allow-origin: *"), "{svg}");
    assert!(fetch(p.real, "/.env", "").starts_with("HTTP/1.1 403"));
    assert!(fetch(p.real, "/.well-known/token", "").starts_with("HTTP/1.1 200"));
}
