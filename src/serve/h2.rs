//! HTTP/2 client connections: chosen by ALPN on TLS addresses and by the connection preface on
//! plain ones (nginx `listen … http2`, HAProxy's implicit upgrade of a clear-text connection),
//! served by hyper's HTTP/2 server until idle for the `keepalive_timeout`; and the request as
//! nginx and HAProxy hand it on: `:authority` as the Host header, cookie crumbs joined into one
//! header, the target in origin form.

use std::sync::Arc;
use std::time::Duration;

use hyper::body::{Body, Incoming};
use hyper::header::{HeaderValue, COOKIE, HOST};
use hyper::server::conn::http2;
use hyper::service::HttpService;
use hyper::{Request, Uri, Version};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;

use super::conn::ConnState;

/// What an HTTP/2 client sends first (RFC 9113, 3.4).
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// How long an idle connection told to go away (GOAWAY) stays open for the client to close it.
const HANG_UP: Duration = Duration::from_millis(500);

/// hyper's HTTP/2 server as a listener configures it.
pub type Builder = http2::Builder<TokioExecutor>;

/// The HTTP/2 settings of an address: `streams` at once per connection.
pub fn builder(streams: u32) -> Builder {
    let mut b = http2::Builder::new(TokioExecutor::new());
    b.timer(TokioTimer::new()).max_concurrent_streams(streams);
    b
}

/// Whether a new plain connection speaks HTTP/2 with prior knowledge: its first bytes are the
/// connection preface. Waits (at most `limit`) only while the bytes that came are a part of it.
pub async fn starts_with_preface(stream: &TcpStream, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    let mut buf = [0u8; PREFACE.len()];
    loop {
        let n = match tokio::time::timeout_at(deadline, stream.peek(&mut buf)).await {
            Ok(Ok(n)) => n,
            _ => return false,
        };
        if n == 0 || buf[..n] != PREFACE[..n] {
            return false;
        }
        if n == PREFACE.len() {
            return true;
        }
        // A preface split across segments: the rest follows at once.
        tokio::time::sleep_until((Instant::now() + Duration::from_millis(1)).min(deadline)).await;
    }
}

/// Serves an HTTP/2 connection until the client leaves, the server stops (the streams in
/// flight complete first: GOAWAY) or no stream came for the last request's
/// `keepalive_timeout` (nginx since 1.19.7; HAProxy's `timeout http-keep-alive`). `service`
/// reports its requests to `state`.
pub async fn serve<S, T>(
    io: T,
    builder: &Builder,
    service: S,
    state: Arc<ConnState>,
    mut stop: watch::Receiver<bool>,
) where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: HttpService<Incoming> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::ResBody: Send + 'static,
    <S::ResBody as Body>::Data: Send,
    <S::ResBody as Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let conn = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    let mut closing = *stop.borrow();
    if closing {
        conn.as_mut().graceful_shutdown();
    }
    // Streams are watched every second (a quarter of a short `keepalive_timeout`) rather
    // than per stream: the connection closes at most that much later than
    // `keepalive_timeout` after its last stream ended.
    let period = |s: &ConnState| {
        (s.keepalive() / 4).clamp(Duration::from_millis(50), Duration::from_secs(1))
    };
    let check = tokio::time::sleep(period(&state));
    tokio::pin!(check);
    let (mut seen, mut active_until) = (state.served(), Instant::now());
    // Once idle, GOAWAY is sent and the socket closed a moment later (hyper's graceful
    // shutdown would wait for the client's answer to its PING).
    let mut hang_up: Option<Instant> = None;
    loop {
        tokio::select! {
            _ = conn.as_mut() => return,
            _ = stop.changed(), if !closing => {
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
            () = check.as_mut(), if !closing || hang_up.is_some() => {
                let now = Instant::now();
                if hang_up.is_some_and(|t| now >= t) {
                    return;
                }
                if state.in_flight() > 0 || state.served() != seen {
                    // A stream may end any time before the next look.
                    active_until = now + period(&state);
                    seen = state.served();
                } else if now >= active_until + state.keepalive() {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                    hang_up = Some(now + HANG_UP);
                    check.as_mut().reset(now + HANG_UP);
                    continue;
                }
                check.as_mut().reset(now + period(&state));
            }
        }
    }
}

/// An HTTP/2 request as nginx and HAProxy pass it on: `:authority` becomes the Host header
/// (when the client sent none), the `cookie` headers one header joined by `; ` (RFC 9113,
/// 8.2.3), and the target its path and query.
pub fn as_http1<B>(req: &mut Request<B>) {
    if req.version() != Version::HTTP_2 {
        return;
    }
    if !req.headers().contains_key(HOST) {
        let authority = req
            .uri()
            .authority()
            .and_then(|a| HeaderValue::from_str(a.as_str()).ok());
        if let Some(a) = authority {
            req.headers_mut().insert(HOST, a);
        }
    }
    let cookies = req.headers().get_all(COOKIE).iter().count();
    if cookies > 1 {
        let mut joined = Vec::new();
        for v in req.headers().get_all(COOKIE) {
            if !joined.is_empty() {
                joined.extend_from_slice(b"; ");
            }
            joined.extend_from_slice(v.as_bytes());
        }
        if let Ok(v) = HeaderValue::from_bytes(&joined) {
            req.headers_mut().insert(COOKIE, v);
        }
    }
    if let Some(pq) = req.uri().path_and_query().cloned() {
        *req.uri_mut() = Uri::from(pq);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_http2_request_reads_like_an_http1_one() {
        let mut req = Request::builder()
            .version(Version::HTTP_2)
            .uri("https://a.test:8443/x?y=1")
            .header(COOKIE, "a=1")
            .header(COOKIE, "b=2")
            .body(())
            .unwrap();
        as_http1(&mut req);
        assert_eq!(req.uri(), "/x?y=1");
        assert_eq!(req.headers()[HOST], "a.test:8443");
        assert_eq!(req.headers()[COOKIE], "a=1; b=2");
        assert_eq!(req.headers().get_all(COOKIE).iter().count(), 1);
        // A Host header the client sent stays; HTTP/1.1 requests are left alone.
        let mut req = Request::builder()
            .version(Version::HTTP_2)
            .uri("https://a.test/")
            .header(HOST, "b.test")
            .body(())
            .unwrap();
        as_http1(&mut req);
        assert_eq!(req.headers()[HOST], "b.test");
        let mut req = Request::builder()
            .uri("http://a.test/abs")
            .body(())
            .unwrap();
        as_http1(&mut req);
        assert_eq!(req.uri(), "http://a.test/abs");
    }
}
