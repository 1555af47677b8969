//! Static files as nginx serves them: URI normalisation, `root`/`alias` mapping (never outside
//! the alias directory), `index`, `autoindex` (nginx's HTML listing), `try_files`, MIME types,
//! `Last-Modified`/`ETag`, conditional requests (304/412), `HEAD` and byte ranges (206, several
//! as `multipart/byteranges`).

use std::collections::HashMap;
use std::fs::Metadata;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use hyper::header::{
    HeaderMap, HeaderValue, ACCEPT_RANGES, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE,
    CONTENT_TYPE, ETAG, IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, IF_UNMODIFIED_SINCE,
    LAST_MODIFIED, LOCATION, RANGE, VARY,
};
use hyper::{Method, Response, StatusCode};

use super::respond::{self, Body};

/// What the content phase decided.
pub enum Outcome {
    Response(Response<Body>),
    /// An answer of the runtime's own with this status (`error_page` may replace it).
    Error(u16),
    /// An internal redirect to this URI (`index`, `try_files` fallback, `error_page`).
    Redirect(String),
    /// An internal redirect to a named location.
    Named(String),
}

/// Extension → MIME type, from the effective `types {}` blocks.
#[derive(Debug, Clone, Default)]
pub struct Types(HashMap<String, String>);

impl Types {
    /// nginx's built-in table when no `types` block is in scope (`ngx_http_core_default_types`).
    pub fn nginx_builtin() -> Types {
        let mut t = Types::default();
        t.add("text/html", &["html"]);
        t.add("image/gif", &["gif"]);
        t.add("image/jpeg", &["jpg"]);
        t
    }

    pub fn add(&mut self, mime: &str, extensions: &[impl AsRef<str>]) {
        for e in extensions {
            self.0
                .insert(e.as_ref().to_ascii_lowercase(), mime.to_string());
        }
    }

    /// The type of `uri` by the extension of its last segment, as nginx's `ngx_http_set_exten`.
    pub fn of(&self, uri: &str) -> Option<&str> {
        let last = uri.rsplit('/').next()?;
        let (_, ext) = last.rsplit_once('.')?;
        self.0.get(&ext.to_ascii_lowercase()).map(String::as_str)
    }
}

/// The static-file settings of one location.
#[derive(Debug, Clone)]
pub struct Files {
    /// `root`, as written (relative paths are taken from the working directory).
    pub root: Option<String>,
    /// `alias`: the location prefix it replaces and the directory.
    pub alias: Option<(String, String)>,
    pub index: Vec<String>,
    pub autoindex: bool,
    /// `autoindex_format` and `autoindex_exact_size`.
    pub listing: super::autoindex::Style,
    pub try_files: Vec<String>,
    pub types: Arc<Types>,
    pub default_type: String,
    /// Listings measure names in characters (`charset utf-8`), else in bytes, as nginx.
    pub utf8: bool,
    /// `gzip_static`.
    pub gzip_static: GzipStatic,
    /// `gzip_vary` (for `gzip_static on`).
    pub gzip_vary: bool,
    /// `etag` (default on).
    pub etag: bool,
    pub if_modified_since: IfModifiedSince,
}

/// `if_modified_since off | exact | before`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum IfModifiedSince {
    Off,
    #[default]
    Exact,
    Before,
}

/// `gzip_static off | on | always`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum GzipStatic {
    #[default]
    Off,
    On,
    Always,
}

/// What the files phase needs from the request.
pub struct Request<'a> {
    pub method: &'a Method,
    pub headers: &'a HeaderMap,
    /// The query string, without `?`.
    pub args: Option<&'a str>,
    /// `http://host[:port]` for the absolute redirects nginx writes.
    pub base: &'a str,
}

/// Decodes `%XX`, merges slashes and resolves `.` and `..` as nginx does before matching
/// locations; `None` (400) when the path climbs above the root or holds a NUL.
pub fn normalize(path: &str) -> Option<String> {
    // The common case: nothing to decode, merge or resolve.
    if path.starts_with('/') && !path.contains('%') && !path.contains("//") && !path.contains("/.")
    {
        return Some(path.to_string());
    }
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(b) => {
                    decoded.push(b);
                    i += 3;
                    continue;
                }
                None => return None,
            }
        } else if bytes[i] == b'%' {
            return None;
        }
        decoded.push(bytes[i]);
        i += 1;
    }
    if decoded.contains(&0) || decoded.first() != Some(&b'/') {
        return None;
    }
    let text = String::from_utf8_lossy(&decoded);
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = text.split('/').collect();
    let trailing = matches!(segments.last(), Some(&"") | Some(&".") | Some(&".."));
    for seg in &segments[1..] {
        match *seg {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            s => out.push(s),
        }
    }
    let mut uri = String::with_capacity(text.len());
    for s in &out {
        uri.push('/');
        uri.push_str(s);
    }
    if trailing || out.is_empty() {
        uri.push('/');
    }
    Some(uri)
}

impl Files {
    /// The file system path of `uri`; `None` when an alias would be left (nginx's
    /// "off-by-slash" traversal, which lbc never serves).
    pub fn path(&self, uri: &str) -> Option<PathBuf> {
        match &self.alias {
            Some((prefix, dir)) => {
                let rest = uri.strip_prefix(prefix.as_str()).unwrap_or(uri);
                if rest.split('/').any(|s| s == "..") {
                    return None;
                }
                Some(PathBuf::from(format!("{dir}{rest}")))
            }
            None => {
                let root = self.root.as_deref().unwrap_or("html");
                Some(PathBuf::from(format!(
                    "{}{uri}",
                    root.trim_end_matches('/')
                )))
            }
        }
    }

    /// `try_files`: the first existing candidate becomes the URI served by this location;
    /// the last argument is a code (`=404`), a named location or a URI to redirect to.
    pub fn try_files(&self, uri: &str, args: Option<&str>) -> Result<String, Box<Outcome>> {
        let Some((last, candidates)) = self.try_files.split_last() else {
            return Ok(uri.to_string());
        };
        for c in candidates {
            let candidate = expand(c, uri, args);
            let Some(path) = self.path(&candidate) else {
                continue;
            };
            let meta = std::fs::metadata(&path);
            let hit = if candidate.ends_with('/') {
                meta.is_ok_and(|m| m.is_dir())
            } else {
                meta.is_ok_and(|m| m.is_file())
            };
            if hit {
                return Ok(candidate);
            }
        }
        if let Some(code) = last.strip_prefix('=') {
            return Err(Box::new(Outcome::Error(code.parse().unwrap_or(500))));
        }
        if let Some(name) = last.strip_prefix('@') {
            return Err(Box::new(Outcome::Named(name.to_string())));
        }
        Err(Box::new(Outcome::Redirect(expand(last, uri, args))))
    }

    /// The content phase for `uri`: index files, directory listings, files.
    pub fn serve(&self, req: &Request, uri: &str) -> Outcome {
        if uri.ends_with('/') {
            return self.directory(req, uri);
        }
        if ![Method::GET, Method::HEAD, Method::POST].contains(req.method) {
            return Outcome::Error(405);
        }
        let Some(path) = self.path(uri) else {
            return Outcome::Error(404);
        };
        // Open first and stat the descriptor: one lookup of the path, as nginx does.
        let opened = std::fs::File::open(&path).and_then(|f| Ok((f.metadata()?, f)));
        let (meta, handle) = match opened {
            Ok(x) => x,
            Err(e) => return Outcome::Error(io_status(&e)),
        };
        if meta.is_dir() {
            let mut location = format!("{}{}/", req.base, escape_uri(uri));
            if let Some(a) = req.args {
                location.push('?');
                location.push_str(a);
            }
            let mut r = respond::error(StatusCode::MOVED_PERMANENTLY);
            if let Ok(v) = HeaderValue::from_str(&location) {
                r.headers_mut().insert(LOCATION, v);
            }
            return Outcome::Response(r);
        }
        if *req.method == Method::POST {
            return Outcome::Error(405);
        }
        let mime = self.types.of(uri).unwrap_or(&self.default_type).to_string();
        if self.gzip_static != GzipStatic::Off {
            if let Some(o) = self.precompressed(req, &path, &mime) {
                return o;
            }
        }
        file(self, req, handle, &meta, &mime, true)
    }

    /// `gzip_static`: `FILE.gz`, when it exists, is sent with `Content-Encoding: gzip` to a
    /// client accepting gzip (to every client with `always`), whole (no ranges); with `on`
    /// and `gzip_vary` both answers say `Vary: Accept-Encoding`.
    fn precompressed(&self, req: &Request, path: &std::path::Path, mime: &str) -> Option<Outcome> {
        let mut gz = path.as_os_str().to_owned();
        gz.push(".gz");
        let f = std::fs::File::open(&gz).ok()?;
        let meta = f.metadata().ok().filter(|m| m.is_file())?;
        let vary = self.gzip_vary && self.gzip_static == GzipStatic::On;
        let send =
            self.gzip_static == GzipStatic::Always || super::compress::accepts_gzip(req.headers);
        let mut outcome = if send {
            file(self, req, f, &meta, mime, false)
        } else {
            let plain = std::fs::File::open(path).and_then(|f| Ok((f.metadata()?, f)));
            match plain {
                Ok((m, f)) => file(self, req, f, &m, mime, true),
                Err(e) => Outcome::Error(io_status(&e)),
            }
        };
        if let Outcome::Response(r) = &mut outcome {
            if send && r.status() != StatusCode::NOT_MODIFIED {
                r.headers_mut()
                    .insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            if vary {
                r.headers_mut()
                    .append(VARY, HeaderValue::from_static("Accept-Encoding"));
            }
        }
        Some(outcome)
    }

    fn directory(&self, req: &Request, uri: &str) -> Outcome {
        for name in &self.index {
            if let Some(abs) = name.strip_prefix('/') {
                return Outcome::Redirect(format!("/{abs}"));
            }
            let candidate = format!("{uri}{name}");
            let Some(path) = self.path(&candidate) else {
                continue;
            };
            if std::fs::metadata(&path).is_ok() {
                return Outcome::Redirect(candidate);
            }
        }
        let Some(dir) = self.path(uri) else {
            return Outcome::Error(404);
        };
        match std::fs::metadata(&dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Outcome::Error(404),
            Err(e) => return Outcome::Error(io_status(&e)),
        }
        if !self.autoindex {
            return Outcome::Error(403);
        }
        if ![Method::GET, Method::HEAD].contains(req.method) {
            return Outcome::Error(405);
        }
        match super::autoindex::list(&dir, uri, self.utf8, self.listing) {
            Ok((page, mime)) => {
                let mut r = Response::new(respond::full(page));
                r.headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static(mime));
                Outcome::Response(r)
            }
            Err(e) => Outcome::Error(io_status(&e)),
        }
    }
}

/// `$uri` and `$args` in a `try_files` argument.
fn expand(arg: &str, uri: &str, args: Option<&str>) -> String {
    arg.replace("$uri", uri)
        .replace("${uri}", uri)
        .replace("$args", args.unwrap_or(""))
}

fn io_status(e: &std::io::Error) -> u16 {
    match e.kind() {
        std::io::ErrorKind::NotFound => 404,
        std::io::ErrorKind::PermissionDenied => 403,
        // ENOTDIR: a path component is a file.
        _ if e.raw_os_error() == Some(20) => 404,
        _ => 500,
    }
}

fn mtime_secs(meta: &Metadata) -> u64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// nginx's strong ETag: `"%xT-%xO"` of the modification time and the size.
pub fn etag(mtime: u64, size: u64) -> String {
    format!("\"{mtime:x}-{size:x}\"")
}

/// Whether an `If-Match`/`If-None-Match` list names `tag` (weak comparison for the latter).
fn etag_listed(list: &str, tag: &str, weak: bool) -> bool {
    let list = list.trim();
    if list == "*" {
        return true;
    }
    // `etag off`: only `*` matches.
    if tag.is_empty() {
        return false;
    }
    let tag = tag.trim_start_matches("W/");
    list.split(',').map(str::trim).any(|t| {
        let t = if weak { t.trim_start_matches("W/") } else { t };
        t == tag
    })
}

fn header(h: &HeaderMap, name: hyper::header::HeaderName) -> Option<&str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn http_secs(text: &str) -> Option<u64> {
    httpdate::parse_http_date(text)
        .ok()?
        .duration_since(UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs())
}

/// A regular file: validators, conditionals, ranges.
fn file(
    cfg: &Files,
    req: &Request,
    handle: std::fs::File,
    meta: &Metadata,
    mime: &str,
    ranges: bool,
) -> Outcome {
    let size = meta.len();
    let mtime = mtime_secs(meta);
    // With `etag off` there is no tag to match (nginx's `ngx_http_test_if_match`).
    let tag = if cfg.etag {
        etag(mtime, size)
    } else {
        String::new()
    };
    let last_modified = httpdate::fmt_http_date(UNIX_EPOCH + std::time::Duration::from_secs(mtime));
    let h = req.headers;
    if let Some(ius) = header(h, IF_UNMODIFIED_SINCE).and_then(http_secs) {
        if ius < mtime {
            return Outcome::Error(412);
        }
    }
    if let Some(m) = header(h, IF_MATCH) {
        if !etag_listed(m, &tag, false) {
            return Outcome::Error(412);
        }
    }
    let ims = header(h, IF_MODIFIED_SINCE);
    let inm = header(h, IF_NONE_MATCH);
    let mut validators = Response::new(respond::full(""));
    let vh = validators.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&last_modified) {
        vh.insert(LAST_MODIFIED, v);
    }
    if let Some(v) = HeaderValue::from_str(&tag).ok().filter(|_| cfg.etag) {
        vh.insert(ETAG, v);
    }
    if ims.is_some() || inm.is_some() {
        let modified = ims.is_some_and(|t| match cfg.if_modified_since {
            IfModifiedSince::Off => true,
            IfModifiedSince::Exact => http_secs(t) != Some(mtime),
            IfModifiedSince::Before => http_secs(t).is_none_or(|t| t < mtime),
        });
        let none_match = inm.is_some_and(|l| !etag_listed(l, &tag, true));
        if !modified && !none_match {
            *validators.status_mut() = StatusCode::NOT_MODIFIED;
            return Outcome::Response(validators);
        }
    }
    let (mut parts, _) = validators.into_parts();
    if let Ok(v) = HeaderValue::from_str(mime) {
        parts.headers.insert(CONTENT_TYPE, v);
    }
    let mut range = None;
    if let Some(r) = header(h, RANGE).filter(|_| ranges) {
        let applies = match header(h, IF_RANGE) {
            None => true,
            Some(v) if v.starts_with('"') || v.starts_with("W/") => !tag.is_empty() && v == tag,
            Some(v) => http_secs(v) == Some(mtime),
        };
        if applies {
            match parse_range(r, size) {
                RangeSpec::None => {}
                RangeSpec::Ranges(list) if list.len() == 1 => {
                    range = Some((list[0].0, list[0].1 - 1))
                }
                RangeSpec::Ranges(list) => {
                    let head = *req.method == Method::HEAD;
                    return match multipart(&handle, &list, size, mime, head) {
                        Ok((ctype, len, body)) => {
                            parts.status = StatusCode::PARTIAL_CONTENT;
                            if let Ok(v) = HeaderValue::from_str(&ctype) {
                                parts.headers.insert(CONTENT_TYPE, v);
                            }
                            parts.headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
                            Outcome::Response(Response::from_parts(parts, respond::full(body)))
                        }
                        Err(e) => Outcome::Error(io_status(&e)),
                    };
                }
                RangeSpec::Unsatisfiable => {
                    let mut r = respond::error(StatusCode::RANGE_NOT_SATISFIABLE);
                    if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                        r.headers_mut().insert(CONTENT_RANGE, v);
                    }
                    return Outcome::Response(r);
                }
            }
        }
    }
    if range.is_none() && ranges {
        parts
            .headers
            .insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    }
    let (start, end) = range.unwrap_or((0, size.saturating_sub(1)));
    let len = if size == 0 { 0 } else { end - start + 1 };
    if let Some((s, e)) = range {
        parts.status = StatusCode::PARTIAL_CONTENT;
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {s}-{e}/{size}")) {
            parts.headers.insert(CONTENT_RANGE, v);
        }
    }
    parts.headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
    if *req.method == Method::HEAD {
        return Outcome::Response(Response::from_parts(parts, respond::full("")));
    }
    if len > STREAM_ABOVE {
        return Outcome::Response(Response::from_parts(parts, stream(handle, start, len)));
    }
    match read(handle, start, len) {
        Ok(bytes) => Outcome::Response(Response::from_parts(parts, respond::full(bytes))),
        Err(e) => Outcome::Error(io_status(&e)),
    }
}

/// Files larger than this are streamed in chunks by a blocking task instead of read at once.
const STREAM_ABOVE: u64 = 256 * 1024;
const CHUNK: usize = 64 * 1024;

/// A body fed by a blocking reader through a small channel (back-pressure: two chunks).
struct Chunks(tokio::sync::mpsc::Receiver<std::io::Result<bytes::Bytes>>);

impl hyper::body::Body for Chunks {
    type Data = bytes::Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<bytes::Bytes>, std::io::Error>>> {
        match self.0.poll_recv(cx) {
            std::task::Poll::Ready(Some(Ok(b))) => {
                std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(b))))
            }
            // A read error cuts the response short, as nginx does.
            std::task::Poll::Ready(Some(Err(_))) | std::task::Poll::Ready(None) => {
                std::task::Poll::Ready(None)
            }
            std::task::Poll::Pending => std::task::Poll::Pending,
        }
    }
}

fn stream(mut f: std::fs::File, start: u64, len: u64) -> Body {
    use http_body_util::BodyExt;
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    tokio::task::spawn_blocking(move || {
        if let Err(e) = f.seek(SeekFrom::Start(start)) {
            let _ = tx.blocking_send(Err(e));
            return;
        }
        let mut left = len;
        while left > 0 {
            let mut buf = vec![0u8; CHUNK.min(left as usize)];
            match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    buf.truncate(n);
                    left -= n as u64;
                    if tx.blocking_send(Ok(bytes::Bytes::from(buf))).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
        }
    });
    Chunks(rx).boxed()
}

/// Exactly `len` bytes from `start` (a file that shrank meanwhile is an error).
fn read(mut f: std::fs::File, start: u64, len: u64) -> std::io::Result<Vec<u8>> {
    f.seek(SeekFrom::Start(start))?;
    let mut buf = vec![0u8; len as usize];
    f.read_exact(&mut buf)?;
    Ok(buf)
}

enum RangeSpec {
    /// No usable `Range`: the whole file, 200.
    None,
    /// The ranges, `[start, end)` each, in the request's order.
    Ranges(Vec<(u64, u64)>),
    Unsatisfiable,
}

/// `Range: bytes=…` as nginx's `ngx_http_range_parse` reads it: spaces allowed around the
/// numbers, a suffix `-N` is the last N bytes, ends past the size are cut, a range starting
/// past the end is skipped (none left: 416), and ranges adding up to more than the file are
/// answered whole.
fn parse_range(value: &str, size: u64) -> RangeSpec {
    let Some(spec) = value
        .get(..6)
        .filter(|p| p.eq_ignore_ascii_case("bytes="))
        .map(|_| &value.as_bytes()[6..])
    else {
        return RangeSpec::None;
    };
    let mut p = 0;
    let at = |i: usize| spec.get(i).copied().unwrap_or(0);
    let mut ranges = Vec::new();
    let mut total: u64 = 0;
    loop {
        let (mut start, mut end, mut suffix) = (0u64, 0u64, false);
        while at(p) == b' ' {
            p += 1;
        }
        let mut open = false;
        if at(p) != b'-' {
            if !at(p).is_ascii_digit() {
                return RangeSpec::Unsatisfiable;
            }
            while at(p).is_ascii_digit() {
                let Some(v) = start
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(u64::from(at(p) - b'0')))
                else {
                    return RangeSpec::Unsatisfiable;
                };
                start = v;
                p += 1;
            }
            while at(p) == b' ' {
                p += 1;
            }
            if at(p) != b'-' {
                return RangeSpec::Unsatisfiable;
            }
            p += 1;
            while at(p) == b' ' {
                p += 1;
            }
            if at(p) == b',' || at(p) == 0 {
                end = size;
                open = true;
            }
        } else {
            suffix = true;
            p += 1;
        }
        if !open {
            if !at(p).is_ascii_digit() {
                return RangeSpec::Unsatisfiable;
            }
            while at(p).is_ascii_digit() {
                let Some(v) = end
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(u64::from(at(p) - b'0')))
                else {
                    return RangeSpec::Unsatisfiable;
                };
                end = v;
                p += 1;
            }
            while at(p) == b' ' {
                p += 1;
            }
            if at(p) != b',' && at(p) != 0 {
                return RangeSpec::Unsatisfiable;
            }
            if suffix {
                start = size.saturating_sub(end);
                end = size.saturating_sub(1);
            }
            end = if end >= size { size } else { end + 1 };
        }
        if start < end {
            ranges.push((start, end));
            total = total.saturating_add(end - start);
        } else if start == 0 {
            return RangeSpec::None;
        }
        if at(p) != b',' {
            break;
        }
        p += 1;
    }
    if ranges.is_empty() {
        return RangeSpec::Unsatisfiable;
    }
    if total > size {
        return RangeSpec::None;
    }
    RangeSpec::Ranges(ranges)
}

/// The number in a multipart boundary: nginx's `ngx_next_temp_number`, a counter starting
/// at a random point, written zero-padded to 20 digits (`%0muA` of a 64-bit atomic).
fn boundary() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let seed = *SEED.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::from(d.subsec_nanos()) % 123_456)
    });
    format!("{:020}", seed + NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A `multipart/byteranges` body as nginx's range filter writes it: for each range
/// `CRLF --BOUNDARY CRLF Content-Type: T CRLF Content-Range: bytes S-E/SIZE CRLF CRLF DATA`,
/// then `CRLF --BOUNDARY-- CRLF`. (The content type, the body's length, the body or an
/// error.)
fn multipart(
    handle: &std::fs::File,
    ranges: &[(u64, u64)],
    size: u64,
    mime: &str,
    head: bool,
) -> std::io::Result<(String, u64, Vec<u8>)> {
    let b = boundary();
    let part_head = if mime.is_empty() {
        format!("\r\n--{b}\r\nContent-Range: bytes ")
    } else {
        format!("\r\n--{b}\r\nContent-Type: {mime}\r\nContent-Range: bytes ")
    };
    let tail = format!("\r\n--{b}--\r\n");
    let mut len = tail.len() as u64;
    let mut body = Vec::new();
    for &(start, end) in ranges {
        let range = format!("{start}-{}/{size}\r\n\r\n", end - 1);
        len += (part_head.len() + range.len()) as u64 + (end - start);
        if !head {
            body.extend_from_slice(part_head.as_bytes());
            body.extend_from_slice(range.as_bytes());
            body.extend_from_slice(&read(handle.try_clone()?, start, end - start)?);
        }
    }
    if !head {
        body.extend_from_slice(tail.as_bytes());
    }
    Ok((format!("multipart/byteranges; boundary={b}"), len, body))
}

/// nginx's `NGX_ESCAPE_URI`: controls, space, `#`, `%`, `?` and non-ASCII bytes.
fn escape_uri(uri: &str) -> String {
    let mut out = String::with_capacity(uri.len());
    for b in uri.bytes() {
        if b <= b' ' || b >= 0x7f || b"#%?".contains(&b) {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(b as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_like_nginx() {
        let cases = [
            ("/", Some("/")),
            ("/a//b/./c", Some("/a/b/c")),
            ("/a/b/../c/", Some("/a/c/")),
            ("/a/%2e%2e/b", Some("/b")),
            ("/a/..", Some("/")),
            ("/a/.", Some("/a/")),
            ("/..", None),
            ("/a/../../b", None),
            ("/%2e%2e%2fetc", None),
            ("/x%00y", None),
            ("/sp%20ace", Some("/sp ace")),
        ];
        for (input, want) in cases {
            assert_eq!(normalize(input).as_deref(), want, "{input}");
        }
    }

    #[test]
    fn ranges() {
        let one = |v: &str, size: u64| match parse_range(v, size) {
            RangeSpec::Ranges(r) => format!("{r:?}"),
            RangeSpec::None => "whole".into(),
            RangeSpec::Unsatisfiable => "416".into(),
        };
        assert_eq!(one("bytes=0-4", 10), "[(0, 5)]");
        assert_eq!(one("bytes=5-", 10), "[(5, 10)]");
        assert_eq!(one("bytes=-3", 10), "[(7, 10)]");
        assert_eq!(one("bytes=8-20", 10), "[(8, 10)]");
        assert_eq!(one("bytes=10-", 10), "416");
        assert_eq!(one("bytes=0-1,3-4", 10), "[(0, 2), (3, 5)]");
        assert_eq!(one("bytes= 0 - 1 , 3-4", 10), "[(0, 2), (3, 5)]");
        assert_eq!(one("bytes=0-1,20-30", 10), "[(0, 2)]");
        assert_eq!(one("bytes=0-8,2-9", 10), "whole");
        assert_eq!(one("bytes=x", 10), "416");
        assert_eq!(one("items=0-1", 10), "whole");
        assert_eq!(one("bytes=99999999999999999999999-", 10), "416");
    }

    #[test]
    fn alias_is_never_left() {
        let f = Files {
            root: None,
            alias: Some(("/img".into(), "/data/images/".into())),
            index: vec![],
            autoindex: false,
            listing: Default::default(),
            try_files: vec![],
            types: Arc::new(Types::nginx_builtin()),
            default_type: "text/plain".into(),
            utf8: false,
            gzip_static: GzipStatic::Off,
            gzip_vary: false,
            etag: true,
            if_modified_since: IfModifiedSince::Exact,
        };
        assert_eq!(
            f.path("/img/a.png"),
            Some(PathBuf::from("/data/images//a.png"))
        );
        assert_eq!(f.path("/img../etc/passwd"), None);
        assert_eq!(etag(0x6b01412a, 6), "\"6b01412a-6\"");
    }
}

#[cfg(test)]
mod no_panic {
    use super::*;

    /// Every short string over a small alphabet of troublemakers goes through the parsers.
    #[test]
    fn odd_inputs_never_panic() {
        let alphabet = [
            "/", ".", "%", "2", "e", "f", "0", "-", ",", "=", "a", "é", " ",
        ];
        let mut inputs = vec![String::new()];
        for _ in 0..4 {
            let mut next = Vec::new();
            for s in &inputs {
                for a in alphabet {
                    next.push(format!("{s}{a}"));
                }
            }
            inputs.extend(next);
            inputs.dedup();
        }
        for s in &inputs {
            let _ = normalize(s);
            let _ = parse_range(&format!("bytes={s}"), 10);
            let _ = parse_range(&format!("bytes={s}"), 0);
            let _ = escape_uri(s);
            let _ = super::super::headers::Expires::parse(s);
            let _ = super::super::log::Format::compile(&format!("${s}"));
        }
    }
}
