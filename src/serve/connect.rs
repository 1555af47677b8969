//! One HTTP/1.1 connection to an upstream server, spoken on `httparse` (the parser hyper itself
//! uses) directly, as pingora does: the request head is written from the request's header map in
//! one write (a small body with it), the response head is parsed in place and its header values
//! share the read buffer, and the body is framed as RFC 9112 §6.3 says — none for HEAD, 1xx,
//! 204 and 304, chunked, `Content-Length`, else until the server closes. hyper's client API
//! routes every request through a channel, a oneshot and a connection task's state machine;
//! that cost 12,500 instructions per proxied request, two thirds of all nginx spends on one
//! (callgrind, book: benchmarks). `Connection`, `Keep-Alive` and `Transfer-Encoding` are left
//! out of the response as its head is parsed, as nginx leaves them out. The connection is opened with a connect timeout and `TCP_NODELAY`, timed for
//! nginx's `$upstream_connect_time`, and waits in [`super::keepalive`]'s cache between
//! requests.

use std::future::{poll_fn, Future};
use std::io::{self, Write};
use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::http::response::Parts;
use hyper::{Method, Response, StatusCode, Version};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Sleep;

/// The longest response head taken (hyper's client took some 400 KiB, nginx's default
/// `proxy_buffer_size` is 4 KiB): a longer one is an invalid header.
pub const MAX_HEAD: usize = 64 * 1024;
/// The most header lines in a response head (hyper's default).
const MAX_HEADERS: usize = 100;
/// Room made in the read buffer before each read.
const READ_CHUNK: usize = 16 * 1024;
/// A request body up to this size goes out in the head's write.
const INLINE_BODY: usize = 16 * 1024;

/// Why a connection could not be opened.
#[derive(Debug)]
pub enum OpenError {
    Timeout,
    Failed(io::Error),
}

/// Why an exchange failed before the response head was complete.
#[derive(Debug)]
pub enum ExchangeError {
    /// Writing the request or reading the response failed; `sent`: some of the request went
    /// out.
    Io { error: io::Error, sent: bool },
    /// The server closed the connection before a complete response head.
    Closed,
    /// The response head did not come in time.
    Timeout,
    /// The response head is not HTTP/1.x, too long, or frames its body impossibly.
    Invalid(&'static str),
}

/// How a response body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body: a response to HEAD, 1xx, 204, 304.
    Empty,
    /// `Content-Length` bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the server closes the connection.
    Close,
}

/// A response head: its parts (less `Connection`, `Keep-Alive` and `Transfer-Encoding`) and how
/// its body is framed.
pub struct Head {
    pub parts: Parts,
    pub framing: Framing,
}

/// A request as it goes to an upstream: HTTP/1.1 (or 1.0), the target in origin form, the headers as
/// they are (less `Content-Length`, which follows the body; a `Host` from the peer's address
/// when they have none).
pub struct UpRequest<'a> {
    pub method: &'a Method,
    pub target: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a Bytes,
    /// HTTP/1.0 rather than 1.1.
    pub http10: bool,
}

/// A connection to an upstream server. Boxed: it moves half a dozen times per request (out
/// of the cache, through the attempt, into the response body, back), a pointer rather than
/// some 150 bytes each time.
pub struct UpConn(Box<Conn>);

impl std::ops::Deref for UpConn {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        &self.0
    }
}

impl std::ops::DerefMut for UpConn {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.0
    }
}

impl UpConn {
    /// The socket and the bytes received after the last response head: the connection once
    /// its server switched protocols.
    pub fn into_tunnel(self) -> (TcpStream, Bytes) {
        let conn = *self.0;
        (conn.stream, conn.buf.freeze())
    }
}

/// What [`UpConn`] holds.
pub struct Conn {
    stream: TcpStream,
    /// Bytes read and not yet handed on.
    buf: BytesMut,
    /// The request head being written (kept: its room serves every request).
    out: Vec<u8>,
    /// Where a response head's header lines lie in `buf`: name and value ranges.
    lines: Vec<[usize; 4]>,
    /// Bounds each exchange. Kept with the connection: each exchange moves its deadline
    /// later, which tokio does without touching its timer wheel (a timer per request was
    /// registered and removed every time).
    timer: Option<Pin<Box<Sleep>>>,
    /// The last exchange leaves the connection fit for another request once its body is
    /// read (HTTP/1.1 without `Connection: close`, or HTTP/1.0 with `keep-alive`).
    keep: bool,
    /// How long opening it took.
    pub took: Duration,
    /// When its last exchange started (the keep-alive cache's idle time counts from there).
    pub used: std::time::Instant,
    /// Requests sent over it (nginx's `keepalive_requests`).
    pub requests: u32,
}

impl UpConn {
    /// Connects to `addr` within `timeout`.
    pub async fn open(addr: SocketAddr, timeout: Duration) -> Result<UpConn, OpenError> {
        let start = Instant::now();
        let stream = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
            Err(_) => return Err(OpenError::Timeout),
            Ok(Err(e)) if e.kind() == io::ErrorKind::TimedOut => return Err(OpenError::Timeout),
            Ok(Err(e)) => return Err(OpenError::Failed(e)),
            Ok(Ok(s)) => s,
        };
        let _ = stream.set_nodelay(true);
        Ok(UpConn(Box::new(Conn {
            stream,
            buf: BytesMut::new(),
            out: Vec::new(),
            lines: Vec::new(),
            timer: None,
            keep: true,
            took: start.elapsed(),
            used: start,
            requests: 0,
        })))
    }
}

impl Conn {
    /// Whether a kept-alive connection can take a request now: the server neither closed it
    /// nor sent anything since. No system call unless the event loop saw it readable (a read
    /// that leaves the socket empty clears its readiness).
    pub fn usable(&mut self) -> bool {
        if !self.reusable() {
            return false;
        }
        let mut byte = [0u8; 1];
        matches!(self.stream.try_read(&mut byte), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
    }

    /// Whether the connection may carry another request: its last response allows it and
    /// nothing beyond that response was received.
    pub fn reusable(&self) -> bool {
        self.keep && self.buf.is_empty()
    }

    /// Sends `req` (peer `addr` names the host when the headers do not) and reads the response
    /// head, skipping informational ones. As in nginx, writing the request is bounded by
    /// `proxy_send_timeout` (`send`) and the wait for the head, from the end of the writing, by
    /// `proxy_read_timeout` (`read`); `started` is when the attempt began (a request that went
    /// out in one write ended its writing then, which saves a clock read).
    pub async fn exchange(
        &mut self,
        req: &UpRequest<'_>,
        addr: &SocketAddr,
        started: std::time::Instant,
        send: Duration,
        read: Duration,
    ) -> Result<Head, ExchangeError> {
        let start = tokio::time::Instant::from_std(started);
        let mut timer = match self.timer.take() {
            Some(mut t) => {
                t.as_mut().reset(start + send);
                t
            }
            None => Box::pin(tokio::time::sleep_until(start + send)),
        };
        self.requests += 1;
        let close = self.encode(req, addr);
        let mut polls = 0;
        let written = within(self.write_out(req.body), &mut timer, &mut polls).await;
        let result = match written {
            Ok(()) => {
                let due = if polls == 1 {
                    start + read
                } else {
                    tokio::time::Instant::now() + read
                };
                if due != start + send {
                    timer.as_mut().reset(due);
                }
                let head_request = *req.method == Method::HEAD;
                within(self.read_head(head_request, close), &mut timer, &mut polls).await
            }
            Err(e) => Err(e),
        };
        self.timer = Some(timer);
        result
    }

    /// Writes the head of `req` into `out` (a small body with it): whether it asks the server
    /// to close.
    fn encode(&mut self, req: &UpRequest<'_>, addr: &SocketAddr) -> bool {
        self.out.clear();
        let close = encode(req, addr, &mut self.out);
        if req.body.len() <= INLINE_BODY {
            self.out.extend_from_slice(req.body);
        }
        close
    }

    /// Writes what [`Self::encode`] prepared, then `body` when it did not fit.
    async fn write_out(&mut self, body: &Bytes) -> Result<(), ExchangeError> {
        let mut sent = false;
        write_all(&mut self.stream, &self.out, &mut sent).await?;
        if body.len() > INLINE_BODY {
            write_all(&mut self.stream, body, &mut sent).await?;
        }
        Ok(())
    }

    /// Reads the response head.
    async fn read_head(&mut self, head_request: bool, close: bool) -> Result<Head, ExchangeError> {
        loop {
            if !self.buf.is_empty() {
                if let Some(head) = self.parse_head(head_request)? {
                    self.keep &= !close;
                    return Ok(head);
                }
                if self.buf.len() >= MAX_HEAD {
                    return Err(ExchangeError::Invalid("too big header"));
                }
            }
            self.buf.reserve(READ_CHUNK);
            match self.stream.read_buf(&mut self.buf).await {
                Ok(0) => return Err(ExchangeError::Closed),
                Ok(_) => {}
                Err(error) => return Err(ExchangeError::Io { error, sent: true }),
            }
        }
    }

    /// The response head at the start of `buf`, if it is all there (an informational one is
    /// skipped and `None` returned, for the caller to look again).
    fn parse_head(&mut self, head_request: bool) -> Result<Option<Head>, ExchangeError> {
        let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
        let mut res = httparse::Response::new(&mut []);
        let len = match httparse::ParserConfig::default()
            .parse_response_with_uninit_headers(&mut res, &self.buf, &mut slots)
        {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(_) => return Err(ExchangeError::Invalid("invalid response head")),
        };
        let status = res
            .code
            .and_then(|c| StatusCode::from_u16(c).ok())
            .ok_or(ExchangeError::Invalid("invalid status"))?;
        let version = if res.version == Some(1) {
            Version::HTTP_11
        } else {
            Version::HTTP_10
        };
        let reason = res
            .reason
            .filter(|r| Some(*r) != status.canonical_reason())
            .map(|r| Bytes::copy_from_slice(r.as_bytes()));
        let base = self.buf.as_ptr() as usize;
        self.lines.clear();
        for h in res.headers.iter() {
            let (n, v) = (
                h.name.as_ptr() as usize - base,
                h.value.as_ptr() as usize - base,
            );
            self.lines.push([n, n + h.name.len(), v, v + h.value.len()]);
        }
        let head = self.buf.split_to(len).freeze();
        let code = status.as_u16();
        if (100..200).contains(&code) && code != 101 {
            return Ok(None);
        }
        let mut headers = HeaderMap::with_capacity(self.lines.len());
        let mut keep = version == Version::HTTP_11;
        let mut close = false;
        let mut length: Option<u64> = None;
        let mut bad_length = false;
        let mut chunked: Option<bool> = None;
        for &[n0, n1, v0, v1] in &self.lines {
            let name =
                header_name(&head[n0..n1]).ok_or(ExchangeError::Invalid("invalid header name"))?;
            let value = HeaderValue::from_maybe_shared(head.slice(v0..v1))
                .map_err(|_| ExchangeError::Invalid("invalid header value"))?;
            // nginx leaves out of a response `Connection`, `Keep-Alive` and the framing; the
            // other hop-by-hop headers, and those `Connection` names, reach the client.
            match name.as_str() {
                // Connection: as hyper reads it, a `close` anywhere wins.
                // A 101 keeps them, for the proxy to pass on (HAProxy) or replace (nginx).
                "connection" => {
                    if close || has_token(&value, "close") {
                        close = true;
                        keep = false;
                    } else if !keep {
                        keep = has_token(&value, "keep-alive");
                    }
                    if code != 101 {
                        continue;
                    }
                }
                "keep-alive" if code != 101 => continue,
                // Transfer-Encoding: chunked when its last coding is.
                "transfer-encoding" => {
                    chunked = Some(last_token_is_chunked(&value));
                    continue;
                }
                _ => {}
            }
            if name == header::CONTENT_LENGTH {
                match parse_length(value.as_bytes()) {
                    Some(l) if length.is_none_or(|o| o == l) => length = Some(l),
                    _ => bad_length = true,
                }
            }
            headers.append(name, value);
        }
        let framing = if head_request || matches!(code, 101 | 204 | 304) {
            Framing::Empty
        } else if let Some(chunked) = chunked {
            if version == Version::HTTP_10 {
                return Err(ExchangeError::Invalid("HTTP/1.0 with Transfer-Encoding"));
            }
            // A body with a Transfer-Encoding other than chunked ends with the connection.
            if chunked {
                Framing::Chunked
            } else {
                Framing::Close
            }
        } else if bad_length {
            return Err(ExchangeError::Invalid("invalid Content-Length"));
        } else if let Some(l) = length {
            Framing::Length(l)
        } else {
            Framing::Close
        };
        self.keep = keep && code != 101 && framing != Framing::Close;
        let mut resp = Response::new(());
        *resp.status_mut() = status;
        *resp.version_mut() = version;
        *resp.headers_mut() = headers;
        if let Some(reason) = reason.and_then(|r| hyper::ext::ReasonPhrase::try_from(r).ok()) {
            resp.extensions_mut().insert(reason);
        }
        Ok(Some(Head {
            parts: resp.into_parts().0,
            framing,
        }))
    }

    /// Bytes received and not yet handed on.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next `n` received bytes (at most [`Self::buffered`]).
    pub fn take(&mut self, n: usize) -> Bytes {
        self.buf.split_to(n).freeze()
    }

    /// The next piece of a streaming body from what was received, as `state` frames it:
    /// `None` when more must be read first (or the body is complete: `state` is then
    /// [`BodyState::Done`]).
    pub fn next_data(&mut self, state: &mut BodyState) -> io::Result<Option<Bytes>> {
        loop {
            match state {
                BodyState::Done => return Ok(None),
                BodyState::Length(0) => *state = BodyState::Done,
                BodyState::Length(left) => {
                    if self.buf.is_empty() {
                        return Ok(None);
                    }
                    let n = (*left).min(self.buf.len() as u64) as usize;
                    *left -= n as u64;
                    if *left == 0 {
                        *state = BodyState::Done;
                    }
                    return Ok(Some(self.take(n)));
                }
                BodyState::Close => {
                    return Ok((!self.buf.is_empty()).then(|| self.buf.split().freeze()));
                }
                BodyState::Chunked(chunk) => match self.next_chunk(chunk)? {
                    Chunk::Data(d) => return Ok(Some(d)),
                    Chunk::More => return Ok(None),
                    Chunk::End => *state = BodyState::Done,
                },
            }
        }
    }

    /// Decodes chunked framing from what was received.
    fn next_chunk(&mut self, at: &mut ChunkState) -> io::Result<Chunk> {
        let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
        loop {
            match at {
                ChunkState::Size => match httparse::parse_chunk_size(&self.buf) {
                    Ok(httparse::Status::Complete((used, size))) => {
                        self.buf.advance(used);
                        *at = if size == 0 {
                            ChunkState::Trailer
                        } else {
                            ChunkState::Data(size)
                        };
                    }
                    Ok(httparse::Status::Partial) if self.buf.len() < 4096 => {
                        return Ok(Chunk::More)
                    }
                    _ => return Err(invalid("invalid chunk size")),
                },
                ChunkState::Data(left) => {
                    if self.buf.is_empty() {
                        return Ok(Chunk::More);
                    }
                    let n = (*left).min(self.buf.len() as u64) as usize;
                    *left -= n as u64;
                    if *left == 0 {
                        *at = ChunkState::DataEnd;
                    }
                    return Ok(Chunk::Data(self.take(n)));
                }
                // CRLF after the data; a bare LF is taken too, as nginx does.
                ChunkState::DataEnd => match self.buf.first() {
                    None => return Ok(Chunk::More),
                    Some(b'\n') => {
                        self.buf.advance(1);
                        *at = ChunkState::Size;
                    }
                    Some(b'\r') if self.buf.len() < 2 => return Ok(Chunk::More),
                    Some(b'\r') if self.buf[1] == b'\n' => {
                        self.buf.advance(2);
                        *at = ChunkState::Size;
                    }
                    Some(_) => return Err(invalid("invalid chunk end")),
                },
                // Trailer lines (dropped, as nginx drops them) up to an empty one.
                ChunkState::Trailer => match self.buf.iter().position(|&b| b == b'\n') {
                    None if self.buf.len() < MAX_HEAD => return Ok(Chunk::More),
                    None => return Err(invalid("too big trailer")),
                    Some(i) => {
                        let empty = i == 0 || (i == 1 && self.buf[0] == b'\r');
                        self.buf.advance(i + 1);
                        if empty {
                            return Ok(Chunk::End);
                        }
                    }
                },
            }
        }
    }

    /// Reads more of a body: `Ready(Ok(0))` at the end of the stream.
    pub fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        self.buf.reserve(READ_CHUNK);
        pin!(self.stream.read_buf(&mut self.buf)).poll(cx)
    }

    /// The connection was read to the end of its stream: it cannot carry another request.
    pub fn ended(&mut self) {
        self.keep = false;
    }
}

/// Where a streaming response body stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyState {
    /// Bytes left of a `Content-Length` body.
    Length(u64),
    Chunked(ChunkState),
    /// Until the server closes.
    Close,
    Done,
}

impl BodyState {
    /// The state a body framed by `framing` starts in.
    pub fn new(framing: Framing) -> BodyState {
        match framing {
            Framing::Empty | Framing::Length(0) => BodyState::Done,
            Framing::Length(n) => BodyState::Length(n),
            Framing::Chunked => BodyState::Chunked(ChunkState::Size),
            Framing::Close => BodyState::Close,
        }
    }
}

/// Where chunked framing stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkState {
    Size,
    Data(u64),
    DataEnd,
    Trailer,
}

enum Chunk {
    Data(Bytes),
    More,
    End,
}

/// `work`, unless `timer` fires first (then `Timeout`); `polls` counts `work`'s polls.
async fn within<T>(
    work: impl Future<Output = Result<T, ExchangeError>>,
    timer: &mut Pin<Box<Sleep>>,
    polls: &mut u32,
) -> Result<T, ExchangeError> {
    let mut work = pin!(work);
    poll_fn(|cx| {
        *polls += 1;
        match work.as_mut().poll(cx) {
            Poll::Ready(r) => Poll::Ready(r),
            Poll::Pending => timer
                .as_mut()
                .poll(cx)
                .map(|()| Err(ExchangeError::Timeout)),
        }
    })
    .await
}

/// Writes the request head for `req` into `out`: whether it asks the server to close.
fn encode(req: &UpRequest<'_>, addr: &SocketAddr, out: &mut Vec<u8>) -> bool {
    out.extend_from_slice(req.method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(req.target.as_bytes());
    out.extend_from_slice(if req.http10 {
        b" HTTP/1.0\r\n"
    } else {
        b" HTTP/1.1\r\n"
    });
    let mut close = false;
    let mut had_length = false;
    let mut had_host = false;
    for (name, value) in req.headers {
        if *name == header::CONTENT_LENGTH {
            had_length = true;
            continue;
        }
        if *name == header::CONNECTION && has_token(value, "close") {
            close = true;
        }
        had_host |= *name == header::HOST;
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if !had_host {
        let _ = match addr {
            SocketAddr::V4(a) if a.port() == 80 => write!(out, "host: {}\r\n", a.ip()),
            SocketAddr::V6(a) if a.port() == 80 => write!(out, "host: [{}]\r\n", a.ip()),
            _ => write!(out, "host: {addr}\r\n"),
        };
    }
    // As hyper did: the body's length when there is a body, the client's (empty) length
    // when it sent one.
    if !req.body.is_empty() || had_length {
        let _ = write!(out, "content-length: {}\r\n", req.body.len());
    }
    out.extend_from_slice(b"\r\n");
    close
}

async fn write_all(
    stream: &mut TcpStream,
    mut bytes: &[u8],
    sent: &mut bool,
) -> Result<(), ExchangeError> {
    while !bytes.is_empty() {
        match stream.write(bytes).await {
            Ok(0) => {
                return Err(ExchangeError::Io {
                    error: io::ErrorKind::WriteZero.into(),
                    sent: *sent,
                })
            }
            Ok(n) => {
                *sent = true;
                bytes = &bytes[n..];
            }
            Err(error) => return Err(ExchangeError::Io { error, sent: *sent }),
        }
    }
    Ok(())
}

/// The names upstream responses carry most, as servers write them (nginx, Apache, most
/// frameworks) and in lower case (HTTP/2-minded ones).
static COMMON: [(&str, &str, HeaderName); 12] = [
    ("Server", "server", header::SERVER),
    ("Date", "date", header::DATE),
    ("Content-Type", "content-type", header::CONTENT_TYPE),
    ("Content-Length", "content-length", header::CONTENT_LENGTH),
    ("Connection", "connection", header::CONNECTION),
    (
        "Transfer-Encoding",
        "transfer-encoding",
        header::TRANSFER_ENCODING,
    ),
    ("Last-Modified", "last-modified", header::LAST_MODIFIED),
    ("ETag", "etag", header::ETAG),
    ("Cache-Control", "cache-control", header::CACHE_CONTROL),
    ("Location", "location", header::LOCATION),
    ("Set-Cookie", "set-cookie", header::SET_COOKIE),
    ("Accept-Ranges", "accept-ranges", header::ACCEPT_RANGES),
];

/// A response header's name: the common ones as written matched by a plain compare (a tenth
/// of what parsing a name costs), the others parsed.
fn header_name(raw: &[u8]) -> Option<HeaderName> {
    for (written, lower, name) in &COMMON {
        if raw == written.as_bytes() || raw == lower.as_bytes() {
            return Some(name.clone());
        }
    }
    HeaderName::from_bytes(raw).ok()
}

/// Whether a comma-separated header value lists `token` (any case).
pub(super) fn has_token(value: &HeaderValue, token: &str) -> bool {
    value
        .as_bytes()
        .split(|&b| b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

/// Whether a `Transfer-Encoding` value ends with `chunked`.
fn last_token_is_chunked(value: &HeaderValue) -> bool {
    value
        .as_bytes()
        .rsplit(|&b| b == b',')
        .next()
        .is_some_and(|t| t.trim_ascii().eq_ignore_ascii_case(b"chunked"))
}

/// A `Content-Length` value: digits only (a list of equal values, as hyper takes it).
fn parse_length(value: &[u8]) -> Option<u64> {
    let mut length = None;
    for part in value.split(|&b| b == b',') {
        let part = part.trim_ascii();
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) || part.len() > 19 {
            return None;
        }
        let n = std::str::from_utf8(part).ok()?.parse::<u64>().ok()?;
        if length.is_some_and(|l| l != n) {
            return None;
        }
        length = Some(n);
    }
    length
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;

    /// A connection to a server that reads one request and answers `reply` (in pieces, as
    /// split by `|`), then closes when `close` is set; the request it saw comes back.
    async fn exchange_with(
        reply: &'static str,
        method: Method,
        close: bool,
    ) -> (
        Result<Head, ExchangeError>,
        UpConn,
        tokio::task::JoinHandle<Vec<u8>>,
    ) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut seen = Vec::new();
            let mut buf = [0u8; 4096];
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = s.read(&mut buf).await.unwrap();
                seen.extend_from_slice(&buf[..n]);
            }
            for piece in reply.split('|') {
                s.write_all(piece.as_bytes()).await.unwrap();
                s.flush().await.unwrap();
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            if !close {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            seen
        });
        let mut conn = UpConn::open(addr, Duration::from_secs(1)).await.unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-a", HeaderValue::from_static("1"));
        headers.insert("content-length", HeaderValue::from_static("999"));
        let body = Bytes::from_static(b"hello");
        let req = UpRequest {
            method: &method,
            target: "/p?q=1",
            headers: &headers,
            body: &body,
            http10: false,
        };
        let five = Duration::from_secs(5);
        let head = conn
            .exchange(&req, &addr, std::time::Instant::now(), five, five)
            .await;
        (head, conn, server)
    }

    /// The whole body as `next_data` and `poll_fill` deliver it.
    async fn body(conn: &mut UpConn, framing: Framing) -> io::Result<Vec<u8>> {
        let mut state = BodyState::new(framing);
        let mut all = Vec::new();
        loop {
            while let Some(d) = conn.next_data(&mut state)? {
                all.extend_from_slice(&d);
            }
            if state == BodyState::Done {
                return Ok(all);
            }
            let n = std::future::poll_fn(|cx| conn.poll_fill(cx)).await?;
            if n == 0 {
                if state == BodyState::Close {
                    conn.ended();
                    return Ok(all);
                }
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
    }

    #[tokio::test]
    async fn a_sized_response_in_pieces_and_the_request_as_sent() {
        let (head, mut conn, server) = exchange_with(
            "HTTP/1.1 200 Fine\r\nContent-Length: 5\r\nConnection: keep-alive, X-Named\r\nX-Named: 1\r\nKeep-Alive: timeout=5\r\nServer: t\r\n|\r\nhel|lo",
            Method::POST,
            false,
        )
        .await;
        let head = head.unwrap();
        assert_eq!(head.parts.status, 200);
        assert_eq!(head.framing, Framing::Length(5));
        let mut names: Vec<&str> = head.parts.headers.keys().map(|k| k.as_str()).collect();
        names.sort();
        assert_eq!(names, ["content-length", "server", "x-named"]);
        let reason = head
            .parts
            .extensions
            .get::<hyper::ext::ReasonPhrase>()
            .unwrap();
        assert_eq!(reason.as_bytes(), b"Fine");
        assert_eq!(body(&mut conn, head.framing).await.unwrap(), b"hello");
        assert!(conn.reusable());
        let seen = String::from_utf8(server.await.unwrap()).unwrap();
        assert_eq!(
            seen,
            format!(
                "POST /p?q=1 HTTP/1.1\r\nx-a: 1\r\nhost: {}\r\ncontent-length: 5\r\n\r\nhello",
                conn.stream.peer_addr().unwrap()
            )
        );
    }

    #[tokio::test]
    async fn chunked_with_trailers_and_informational_heads_skipped() {
        let (head, mut conn, _) = exchange_with(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nab|cde\r\n3;ext=1\r\nfgh\n0\r\nX-T: 1\r\n|\r\n",
            Method::GET,
            false,
        )
        .await;
        let head = head.unwrap();
        assert_eq!(head.framing, Framing::Chunked);
        assert!(head.parts.headers.is_empty());
        assert!(head
            .parts
            .extensions
            .get::<hyper::ext::ReasonPhrase>()
            .is_none());
        assert_eq!(body(&mut conn, head.framing).await.unwrap(), b"abcdefgh");
        assert!(conn.reusable());
    }

    #[tokio::test]
    async fn a_body_to_the_close_and_connection_close() {
        let (head, mut conn, _) =
            exchange_with("HTTP/1.1 200 OK\r\n\r\nuntil |the end", Method::GET, true).await;
        let head = head.unwrap();
        assert_eq!(head.framing, Framing::Close);
        assert_eq!(
            body(&mut conn, head.framing).await.unwrap(),
            b"until the end"
        );
        assert!(!conn.reusable());
        let (head, conn, _) = exchange_with(
            "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n",
            Method::GET,
            true,
        )
        .await;
        assert_eq!(head.unwrap().framing, Framing::Empty);
        assert!(!conn.reusable());
        let (head, conn, _) = exchange_with(
            "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
            Method::HEAD,
            false,
        )
        .await;
        assert_eq!(head.unwrap().framing, Framing::Empty);
        assert!(conn.reusable());
    }

    #[tokio::test]
    async fn broken_responses_are_errors() {
        for reply in [
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            "HTTP/1.1 2000 OK\r\n\r\n",
            "NOT HTTP\r\n\r\n",
        ] {
            let (head, _, _) = exchange_with(reply, Method::GET, true).await;
            assert!(
                matches!(head, Err(ExchangeError::Invalid(_))),
                "{reply:?}: {:?}",
                head.map(|h| h.framing)
            );
        }
        let (head, _, _) = exchange_with("HTTP/1.1 200 OK\r\nContent-", Method::GET, true).await;
        assert!(matches!(head, Err(ExchangeError::Closed)));
        let (head, mut conn, _) = exchange_with(
            "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
            Method::GET,
            true,
        )
        .await;
        let head = head.unwrap();
        assert!(body(&mut conn, head.framing).await.is_err());
        let (head, mut conn, _) = exchange_with(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            Method::GET,
            true,
        )
        .await;
        let head = head.unwrap();
        assert!(body(&mut conn, head.framing).await.is_err());
    }

    #[test]
    fn common_names_as_parsed() {
        for (written, lower, name) in &COMMON {
            for text in [written, lower] {
                assert_eq!(HeaderName::from_bytes(text.as_bytes()).unwrap(), *name);
                assert_eq!(header_name(text.as_bytes()).as_ref(), Some(name));
            }
            let upper = written.to_ascii_uppercase();
            assert_eq!(header_name(upper.as_bytes()).as_ref(), Some(name));
        }
        assert_eq!(header_name(b"X-Custom").unwrap().as_str(), "x-custom");
        assert_eq!(header_name(b"bad name"), None);
    }

    #[test]
    fn content_length_values() {
        assert_eq!(parse_length(b"12"), Some(12));
        assert_eq!(parse_length(b"7, 7"), Some(7));
        assert_eq!(parse_length(b"7, 8"), None);
        assert_eq!(parse_length(b"+7"), None);
        assert_eq!(parse_length(b""), None);
        assert_eq!(parse_length(b"99999999999999999999"), None);
    }
}
