//! One client connection of `lbc serve`: hyper serves it while requests come, and a kept-alive
//! connection that has been idle for a moment is *parked* — hyper's connection state, its read
//! and write buffers (16 KiB) and the connection's task are dropped, and only the socket waits
//! in the listener's [`super::park::Lot`] until it becomes readable again, when a fresh task
//! and hyper connection pick up where the last one stopped. nginx frees a kept-alive
//! connection's buffers the same way; it is what keeps thousands of idle clients cheap. A
//! parked connection closes after the `keepalive_timeout` of the location that answered its
//! last request (nginx's default [`KEEPALIVE`], 75 s), or at once when the server stops.

use std::future::{poll_fn, Future};
use std::io::IoSlice;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::HttpService;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;

/// How long a kept-alive connection stays idle inside hyper before it is parked.
const PARK_AFTER: Duration = Duration::from_millis(20);
/// How long a parked connection may stay idle when nothing says otherwise (nginx's default
/// `keepalive_timeout`).
pub const KEEPALIVE: Duration = Duration::from_secs(75);

/// A byte stream both ways: a client's connection once it has switched protocols.
pub trait Duplex: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> Duplex for T {}

/// What runs on a connection after its `101 Switching Protocols` answer: given the client's
/// socket and the bytes the client sent after its request.
pub type Splice =
    Box<dyn FnOnce(Box<dyn Duplex>, Bytes) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// A [`Splice`] carried by a 101 response (in its extensions) to the connection's service,
/// which hands it to [`ConnState::switch_to`].
#[derive(Clone)]
pub struct Switch(Arc<std::sync::Mutex<Option<Splice>>>);

impl Switch {
    pub fn new(splice: Splice) -> Switch {
        Switch(Arc::new(std::sync::Mutex::new(Some(splice))))
    }
}

/// What the connection's service, response bodies and socket report, so the driver knows when
/// hyper holds nothing but an idle connection.
#[derive(Default)]
pub struct ConnState {
    /// Responses not yet fully handed to hyper.
    busy: AtomicU32,
    /// The last request had a body, which hyper may still be reading or discarding.
    body_pending: AtomicBool,
    /// Bytes were written to the socket and not yet followed by a flush.
    dirty: AtomicBool,
    /// Whether a request head is being read (`stub_status`'s `Reading:`).
    pub reading: super::reading::ReadState,
    /// Requests received (written by the connection's own task only).
    served: AtomicU32,
    /// The last request's `keepalive_timeout` in milliseconds plus one (0: no request yet,
    /// [`KEEPALIVE`]).
    keepalive_ms: AtomicU64,
    /// What the connection becomes once hyper has sent a 101 answer.
    switch: std::sync::Mutex<Option<Splice>>,
    /// The TLS session the connection runs over, if any.
    pub tls: Option<Arc<super::tls::Facts>>,
}

impl std::fmt::Debug for ConnState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnState")
            .field("busy", &self.busy)
            .field("served", &self.served)
            .finish_non_exhaustive()
    }
}

impl ConnState {
    /// Call when the service receives a request; wrap its response body with [`Tracked`].
    pub fn request(&self, has_body: bool) {
        self.busy.fetch_add(1, Relaxed);
        // One writer: no read-modify-write needed.
        self.served
            .store(self.served.load(Relaxed).wrapping_add(1), Relaxed);
        self.body_pending.store(has_body, Relaxed);
    }

    /// Records the keep-alive time of the location that answered the last request.
    pub fn set_keepalive(&self, d: Duration) {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        self.keepalive_ms.store(ms.saturating_add(1), Relaxed);
    }

    /// A TLS connection's state.
    pub fn over_tls(tls: super::tls::Facts) -> ConnState {
        ConnState {
            tls: Some(Arc::new(tls)),
            ..ConnState::default()
        }
    }

    /// A connection's state when `served` requests came before (it was parked meanwhile).
    pub fn after(served: u32) -> ConnState {
        ConnState {
            served: AtomicU32::new(served),
            ..ConnState::default()
        }
    }

    /// The connection switches protocols after the response being sent (a 101 whose
    /// request asked to upgrade): hyper hands the socket back, and `switch` runs on it.
    pub fn switch_to(&self, switch: &Switch) {
        let splice = switch.0.lock().ok().and_then(|mut s| s.take());
        if let (Some(splice), Ok(mut slot)) = (splice, self.switch.lock()) {
            *slot = Some(splice);
        }
    }

    /// Responses not yet fully sent.
    pub fn in_flight(&self) -> u32 {
        self.busy.load(Relaxed)
    }

    /// Requests received on the connection so far.
    pub fn served(&self) -> u32 {
        self.served.load(Relaxed)
    }

    /// How long the connection may idle now (the last request's `keepalive_timeout`).
    pub fn keepalive(&self) -> Duration {
        match self.keepalive_ms.load(Relaxed) {
            0 => KEEPALIVE,
            ms => Duration::from_millis(ms - 1),
        }
    }

    fn idle(&self) -> bool {
        self.busy.load(Relaxed) == 0
            && !self.body_pending.load(Relaxed)
            && !self.dirty.load(Relaxed)
    }
}

/// A response body that tells the connection when it has been sent (or dropped).
pub struct Tracked<B> {
    body: B,
    state: Option<Arc<ConnState>>,
}

impl<B> Tracked<B> {
    pub fn new(body: B, state: Arc<ConnState>) -> Tracked<B> {
        Tracked {
            body,
            state: Some(state),
        }
    }

    fn finish(&mut self) {
        if let Some(s) = self.state.take() {
            s.busy.fetch_sub(1, Relaxed);
        }
    }
}

impl<B> Drop for Tracked<B> {
    fn drop(&mut self) {
        self.finish();
    }
}

impl<B: Body + Unpin> Body for Tracked<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let frame = Pin::new(&mut this.body).poll_frame(cx);
        if matches!(frame, Poll::Ready(None | Some(Err(_)))) {
            this.finish();
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The socket as hyper sees it: bytes read by an earlier hyper connection come first, and
/// writes are tracked until flushed.
struct Io<T> {
    stream: T,
    prefix: Bytes,
    state: Arc<ConnState>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Io<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if !this.prefix.is_empty() {
            let n = this.prefix.len().min(buf.remaining());
            buf.put_slice(&this.prefix[..n]);
            this.prefix.advance(n);
            this.state.reading.bytes_arrived();
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        let r = Pin::new(&mut this.stream).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.state.reading.bytes_arrived();
        }
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Io<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        this.state.dirty.store(true, Relaxed);
        Pin::new(&mut this.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        this.state.dirty.store(true, Relaxed);
        Pin::new(&mut this.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.stream).poll_flush(cx);
        if matches!(r, Poll::Ready(Ok(()))) {
            this.state.dirty.store(false, Relaxed);
        }
        r
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// The time limits the connection driver keeps.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How long a request head may take to arrive once its first bytes did
    /// (`client_header_timeout`, HAProxy's `timeout http-request`); then `late` says what
    /// the client gets.
    pub head: Option<Duration>,
    pub late: Late,
}

/// What a client whose request head is late gets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Late {
    /// The connection is closed without a response, as nginx does (it logs a 408).
    #[default]
    Close,
    /// HAProxy's 408 page, then the connection is closed; a connection that sent nothing
    /// gets it too unless `option http-ignore-probes` (`probes: false`).
    Answer408 { probes: bool },
}

impl Late {
    /// Writes the late answer (if any) on `stream` and closes it; `empty`: the client sent
    /// nothing.
    pub async fn answer<T: AsyncWrite + Unpin>(self, stream: &mut T, empty: bool) {
        if let Late::Answer408 { probes } = self {
            if probes || !empty {
                let _ = stream.write_all(&super::http_request::raw_page(408)).await;
            }
        }
        let _ = stream.shutdown().await;
    }
}

/// How one hyper connection ended.
enum Outcome {
    /// Closed, failed, or shut down for the stop: the connection is over.
    Done,
    /// A request head did not arrive in time.
    Late,
    /// Idle long enough: hand back the socket and the bytes hyper read but did not use.
    Park,
}

/// Serves `stream`, which has bytes to read, until the client leaves, the server stops (then
/// the request in flight, if any, completes first) or the connection fails: `None`; or until
/// it has been idle long enough between requests to be parked: then the socket, for the caller
/// to wait on with [`wait_readable`] and hand to a fresh call. `service` must report its
/// requests and responses to `state`.
pub async fn serve<S>(
    mut stream: TcpStream,
    builder: &http1::Builder,
    service: S,
    state: Arc<ConnState>,
    mut stop: watch::Receiver<bool>,
    limits: Limits,
) -> Option<TcpStream>
where
    S: HttpService<Incoming> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::ResBody: Send + 'static,
    <S::ResBody as Body>::Data: Send,
    <S::ResBody as Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut prefix = Bytes::new();
    loop {
        if *stop.borrow() {
            return None;
        }
        let io = Io {
            stream,
            prefix,
            state: state.clone(),
        };
        (stream, prefix) = serve_http(
            io,
            builder,
            service.clone(),
            &state,
            &mut stop,
            limits,
            true,
        )
        .await?;
        // Bytes hyper read ahead (the start of a pipelined request) are served at once.
        if prefix.is_empty() {
            return Some(stream);
        }
    }
}

/// What waiting for a new connection's first bytes gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum First {
    /// Bytes (or the connection's end) to read.
    Readable,
    /// The time limit ran out.
    Late,
    /// The server stops, or the socket failed.
    Gone,
}

/// Waits until a new connection has bytes (or its end) to read, at most `limit` (nginx gives
/// a new connection `client_header_timeout` for its first request). Peeks rather than waits
/// for readiness, which may be a false positive: a hyper connection is only made for bytes
/// that are there.
pub async fn wait_readable(
    stream: &TcpStream,
    stop: &mut watch::Receiver<bool>,
    limit: Duration,
) -> First {
    if *stop.borrow() {
        return First::Gone;
    }
    let sleep = tokio::time::sleep(limit);
    tokio::pin!(sleep);
    let stopped = stop.changed();
    tokio::pin!(stopped);
    poll_fn(|cx| {
        let mut byte = [0u8; 1];
        let mut buf = ReadBuf::new(&mut byte);
        if let Poll::Ready(r) = stream.poll_peek(cx, &mut buf) {
            return Poll::Ready(if r.is_ok() {
                First::Readable
            } else {
                First::Gone
            });
        }
        if stopped.as_mut().poll(cx).is_ready() {
            return Poll::Ready(First::Gone);
        }
        if sleep.as_mut().poll(cx).is_ready() {
            return Poll::Ready(First::Late);
        }
        Poll::Pending
    })
    .await
}

/// Serves a TLS connection like [`serve`] until it ends; it is never parked (the session
/// lives in the task), but closed once idle for one to two `keepalive_timeout`s.
pub async fn serve_tls<S, T>(
    stream: T,
    builder: &http1::Builder,
    service: S,
    state: Arc<ConnState>,
    mut stop: watch::Receiver<bool>,
    limits: Limits,
) where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: HttpService<Incoming> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::ResBody: Send + 'static,
    <S::ResBody as Body>::Data: Send,
    <S::ResBody as Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let io = Io {
        stream,
        prefix: Bytes::new(),
        state: state.clone(),
    };
    serve_http(io, builder, service, &state, &mut stop, limits, false).await;
}

/// One hyper connection over `io`, until it ends (`None`) or has been idle long enough to be
/// parked (when `parkable`): then the socket and the bytes hyper read but did not use.
/// Otherwise a connection idle for its `keepalive_timeout` ends.
async fn serve_http<S, T>(
    io: Io<T>,
    builder: &http1::Builder,
    service: S,
    state: &ConnState,
    stop: &mut watch::Receiver<bool>,
    limits: Limits,
    parkable: bool,
) -> Option<(T, Bytes)>
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: HttpService<Incoming> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::ResBody: Send + 'static,
    <S::ResBody as Body>::Data: Send,
    <S::ResBody as Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut conn = builder.serve_connection(TokioIo::new(io), service);
    let outcome = {
        // A connection is parked once it has been idle for one to two `PARK_AFTER`s: the
        // park timer is not moved per request (which would read the clock per request) but
        // set again when it fires after requests came meanwhile.
        let idle_after = |s: &ConnState| if parkable { PARK_AFTER } else { s.keepalive() };
        let park = tokio::time::sleep(idle_after(state));
        tokio::pin!(park);
        let mut pending = true;
        let mut served_at_arm = state.served.load(Relaxed);
        // The park timer knows this task's waker since its last poll: until it fires it
        // needs no poll (a poll costs as much as a tenth of the request's own work).
        let mut armed = false;
        let mut stopping = false;
        // Likewise the stop signal: polled once to register the task, then only when the
        // signal's version moved.
        let news = stop.clone();
        let mut listening = false;
        let stopped = stop.changed();
        tokio::pin!(stopped);
        // The head's timer lives as long as the connection: each head moves its deadline
        // later, which tokio does without touching its timer wheel.
        let head = tokio::time::sleep(limits.head.unwrap_or(PARK_AFTER));
        tokio::pin!(head);
        let mut head_timed = false;
        let mut head_armed = false;
        poll_fn(|cx| {
            if !stopping && (!listening || news.has_changed().unwrap_or(true)) {
                listening = true;
                if stopped.as_mut().poll(cx).is_ready() {
                    stopping = true;
                    Pin::new(&mut conn).graceful_shutdown();
                }
            }
            if Pin::new(&mut conn).poll(cx).is_ready() {
                return Poll::Ready(Outcome::Done);
            }
            // A connection with half a request head is not idle (parking it would drop the
            // head's time limit along with hyper's state), and its head's time runs.
            if state.reading.is_reading() {
                let Some(limit) = limits.head else {
                    return Poll::Pending;
                };
                if !head_timed {
                    head.as_mut().reset(Instant::now() + limit);
                    head_timed = true;
                    head_armed = false;
                }
                if head_armed && !head.is_elapsed() {
                    return Poll::Pending;
                }
                return match head.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Outcome::Late),
                    Poll::Pending => {
                        head_armed = true;
                        Poll::Pending
                    }
                };
            }
            head_timed = false;
            if stopping || !state.idle() {
                return Poll::Pending;
            }
            loop {
                if !pending {
                    park.as_mut().reset(Instant::now() + idle_after(state));
                    served_at_arm = state.served.load(Relaxed);
                    pending = true;
                    armed = false;
                }
                if armed && !park.is_elapsed() {
                    return Poll::Pending;
                }
                match park.as_mut().poll(cx) {
                    Poll::Pending => {
                        armed = true;
                        return Poll::Pending;
                    }
                    Poll::Ready(()) => {
                        pending = false;
                        if state.served.load(Relaxed) == served_at_arm {
                            return Poll::Ready(if parkable {
                                Outcome::Park
                            } else {
                                Outcome::Done
                            });
                        }
                    }
                }
            }
        })
        .await
    };
    match outcome {
        Outcome::Done => {
            // After a 101 answer hyper stops without closing the socket: the connection
            // switches to what the answer brought.
            let splice = state.switch.lock().ok()?.take()?;
            let parts = conn.into_parts();
            let io = parts.io.into_inner();
            let mut early = BytesMut::with_capacity(parts.read_buf.len() + io.prefix.len());
            early.extend_from_slice(&parts.read_buf);
            early.extend_from_slice(&io.prefix);
            splice(Box::new(io.stream), early.freeze()).await;
            None
        }
        Outcome::Late => {
            let mut io = conn.into_parts().io.into_inner();
            limits.late.answer(&mut io.stream, false).await;
            None
        }
        Outcome::Park => {
            let parts = conn.into_parts();
            let io = parts.io.into_inner();
            // Copied: the unparsed bytes are few, and `read_buf` shares hyper's whole read
            // buffer, which parking is meant to free.
            let mut rest = BytesMut::with_capacity(parts.read_buf.len() + io.prefix.len());
            rest.extend_from_slice(&parts.read_buf);
            rest.extend_from_slice(&io.prefix);
            Some((io.stream, rest.freeze()))
        }
    }
}
