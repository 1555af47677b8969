//! Passing a request to an upstream: over a connection from the pool's keep-alive cache
//! ([`super::keepalive`]) or a new one ([`super::connect`]), driven by the request's own task
//! (a cached connection the server closed meanwhile is replaced without counting as a failure,
//! as nginx does); the URI nginx sends, `proxy_set_header` with nginx's default `Host $proxy_host`,
//! hop-by-hop headers removed both ways, the hash key rendered for the balancer, and the
//! failure handling of the pool's origin: nginx's `proxy_next_upstream` (another server on
//! `error`/`timeout` and the configured statuses, POST/LOCK/PATCH not retried once sent unless
//! `non_idempotent`, 502 or 504 when the tries run out, passive health accounting) or HAProxy's
//! `retries`/`option redispatch` (503 when no connection could be made). Nothing is retried once
//! response bytes went to the client: the response is handed over after its headers.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use hyper::header::{HeaderValue, CONNECTION, UPGRADE};
use hyper::{HeaderMap, Method, Request, Response, StatusCode, Uri};
use tokio::time::Sleep;

use super::balance::{KeyInput, PickRequest};
use super::conn;
use super::connect::{BodyState, ExchangeError, Framing, Head, OpenError, UpConn, UpRequest};
use super::headers::{self, Extra, Vars};
use super::persist::{Direct, Persist};
use super::plan::{ProxyTarget, ServerOptions, UpstreamPool};
use super::respond::{self, Body};
use super::retry::{ft, status_condition, Policy, Retries};
use super::tunnel::{self, Ends};
use super::upvars::{Addr, Attempt, Trail};

/// The proxy's side of the upstreams; each pool keeps its own idle connections
/// ([`UpstreamPool::keepalive`]).
#[derive(Default)]
pub struct Upstreams {}

/// What one request to a proxied location carries besides the request itself.
pub struct Context<'a> {
    pub remote: SocketAddr,
    pub local: SocketAddr,
    /// The request is its client connection's first (HAProxy's `http-reuse safe`).
    pub first: bool,
    /// `$scheme`.
    pub scheme: &'static str,
    /// `$host`.
    pub host: &'a str,
    /// `client_max_body_size`, counted as the body streams in (chunked bodies too).
    pub max_body: Option<u64>,
    /// `proxy_pass_request_body`: the body goes upstream (read and dropped when not).
    pub pass_body: bool,
    /// The tries are read (by the log or a response header): record them.
    pub trail: bool,
    /// `$uri` and `$args` as the phases left them.
    pub uri: &'a str,
    pub args: &'a str,
    /// The `set` variables' values.
    pub set: &'a [String],
    /// The last regex match's groups.
    pub captures: &'a [String],
    /// `$server_name`.
    pub server_name: &'a str,
    /// `$request_uri`: the URI as the client sent it (not as rewritten).
    pub request_uri: &'a str,
    pub session: &'a headers::Session,
}

/// Why an attempt failed: an [`ft`] condition and whether the request had been sent.
#[derive(Debug, Clone, Copy)]
struct Failure {
    ft: u32,
    sent: bool,
}

/// The request as it goes to every attempt.
struct Outgoing<'a> {
    method: &'a Method,
    /// In origin form; `None` when the rewritten URI is not a valid one.
    uri: Option<Uri>,
    headers: &'a HeaderMap,
    body: &'a Bytes,
    /// HTTP/1.0 rather than 1.1 (nginx's `proxy_http_version`).
    http10: bool,
    /// The requests an idle server connection must have carried to be taken (0: any;
    /// `u32::MAX`: open a new one).
    takes: u32,
    /// The tries, for the upstream variables.
    trail: &'a Trail,
}

impl Upstreams {
    /// Passes `req` to `target`'s pool; its headers and body are taken (moved to the
    /// upstream request, not copied).
    pub async fn forward<B>(
        &self,
        target: &ProxyTarget,
        req: &mut Request<B>,
        cx: Context<'_>,
    ) -> Response<Body>
    where
        B: HttpBody<Data = Bytes> + Unpin,
    {
        let body = match read_body(req.body_mut(), cx.max_body).await {
            Ok(b) if cx.pass_body => b,
            Ok(_) => Bytes::new(),
            Err(status) => return respond::error(status),
        };
        let uri = match &target.rewrite {
            Some((prefix, replacement)) if req.uri().path().starts_with(prefix.as_str()) => {
                let rest = &req.uri().path()[prefix.len()..];
                match req.uri().query() {
                    Some(q) => format!("{replacement}{rest}?{q}"),
                    None => format!("{replacement}{rest}"),
                }
                .parse()
                .ok()
            }
            _ => origin_form(req.uri()),
        };
        let vars = Vars {
            request: req.headers(),
            host: cx.host,
            remote_addr: cx.remote.ip(),
            proxy_host: &target.proxy_host,
            request_uri: cx.request_uri,
            server_port: cx.local.port(),
            scheme: cx.scheme,
            set: cx.set,
            remote_port: cx.remote.port(),
            server_addr: cx.local.ip(),
            method: req.method().as_str(),
            protocol: headers::protocol(req.version()),
            server_name: cx.server_name,
            session: cx.session,
        };
        let extra = Extra {
            uri: cx.uri,
            args: cx.args,
            captures: cx.captures,
            ..Extra::default()
        };
        let set = headers::render(&target.headers, &vars, &extra);
        let pool = &target.pool;
        let key = pool.key.as_ref().and_then(|k| {
            k.render(&KeyInput {
                uri: req.uri(),
                headers: req.headers(),
                remote: cx.remote.ip(),
                host: cx.host,
            })
        });
        let pick = PickRequest {
            client: cx.remote.ip(),
            key: key.as_deref(),
        };
        // HAProxy passes an upgrade the client asks for (nginx only where configured).
        let upgrade = target
            .policy
            .haproxy
            .and_then(|_| headers::asked_upgrade(req))
            .cloned();
        // The variables and the balancing key have read the client's headers: now they go
        // upstream as they are (moved, not copied), less the hop-by-hop ones, with the
        // configured ones set.
        let mut headers = std::mem::take(req.headers_mut());
        // HAProxy's cookie persistence (only HAProxy backends have it) reads, and may change,
        // the client's cookies.
        let persist = target
            .options
            .persist
            .as_deref()
            .map(|p| (p, p.request(&mut headers, &pool.peers)));
        headers::strip_for_upstream(&mut headers);
        headers::set(&mut headers, &target.headers, set);
        server_options(&target.options, &mut headers, cx.remote.ip());
        if let Some(protocol) = upgrade {
            headers.insert(UPGRADE, protocol);
            headers.insert(CONNECTION, HeaderValue::from_static("upgrade"));
        }
        let trail = if cx.trail { Trail::new() } else { Trail::off() };
        let out = Outgoing {
            method: req.method(),
            uri,
            headers: &headers,
            body: &body,
            http10: target.http10,
            takes: if cx.first {
                target.options.first_takes
            } else {
                0
            },
            trail: &trail,
        };
        let mut resp = match target.policy.haproxy {
            Some(r) => haproxy(pool, &target.policy, r, &pick, &out, persist).await,
            None => nginx(pool, &target.policy, &pick, &out).await,
        };
        if trail.is_on() {
            resp.extensions_mut().insert(trail);
        }
        // HAProxy's `option httpclose`: the client's connection ends with this response
        // (hyper closes after a response that says so).
        if target.options.http_close {
            resp.headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
        }
        resp
    }
}

/// HAProxy's `option forwardfor` (one more header line with the client's address, unless the
/// client is excepted or, with `if-none`, the request has one) and `option
/// http-server-close` or `httpclose` (`Connection: close` to the server).
fn server_options(o: &ServerOptions, headers: &mut HeaderMap, client: std::net::IpAddr) {
    if let Some(ff) = &o.forward_for {
        let excepted = ff
            .except
            .is_some_and(|(net, bits)| super::access::contains(net, bits, client));
        if !(excepted || ff.if_none && headers.contains_key(&ff.header)) {
            if let Ok(v) = HeaderValue::from_str(&client.to_string()) {
                headers.append(ff.header.clone(), v);
            }
        }
    }
    if o.server_close || o.http_close {
        headers.insert(CONNECTION, HeaderValue::from_static("close"));
    }
}

/// `uri` in origin form (its path and query; `/` when it has none), sharing its bytes.
fn origin_form(uri: &Uri) -> Option<Uri> {
    let mut parts = hyper::http::uri::Parts::default();
    parts.path_and_query = Some(
        uri.path_and_query()
            .cloned()
            .unwrap_or_else(|| hyper::http::uri::PathAndQuery::from_static("/")),
    );
    Uri::from_parts(parts).ok()
}

/// Reads the whole request body (nginx buffers it before passing it on): 413 as soon as it
/// grows past `max`, 400 when the client breaks it off.
async fn read_body<B>(body: &mut B, max: Option<u64>) -> Result<Bytes, StatusCode>
where
    B: HttpBody<Data = Bytes> + Unpin,
{
    let mut buf = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| StatusCode::BAD_REQUEST)?;
        if let Ok(data) = frame.into_data() {
            buf.extend_from_slice(&data);
            if max.is_some_and(|m| buf.len() as u64 > m) {
                return Err(StatusCode::PAYLOAD_TOO_LARGE);
            }
        }
    }
    Ok(buf.freeze())
}

/// nginx: the next server on each failure `proxy_next_upstream` names, within the tries.
async fn nginx(
    pool: &Arc<UpstreamPool>,
    policy: &Policy,
    pick: &PickRequest<'_>,
    out: &Outgoing<'_>,
) -> Response<Body> {
    let peers = &pool.peers.peers;
    let mut tried = Tried::new(peers.len());
    let mut tries = pool.peers.tries();
    if policy.tries > 0 {
        tries = tries.min(policy.tries as usize);
    }
    let non_idempotent = non_idempotent(out.method);
    // The clock is read for `proxy_next_upstream_timeout` only when there is one.
    let start = policy.next_timeout.map(|_| Instant::now());
    let in_time = || {
        policy
            .next_timeout
            .zip(start)
            .is_none_or(|(t, s)| s.elapsed() < t)
    };
    // A pick that finds no server answers 502 ("no live upstreams"), as in nginx.
    while let Some(i) = pool.balancer.pick(&pool.peers, pick, &tried) {
        tried[i] = true;
        tries = tries.saturating_sub(1);
        let flight = InFlight::enter(pool, i);
        match attempt(pool, i, policy, out).await {
            Ok((head, conn)) => {
                let retry = status_condition(head.parts.status.as_u16()).filter(|&cond| {
                    let mask = cond
                        | if non_idempotent {
                            ft::NON_IDEMPOTENT
                        } else {
                            0
                        };
                    tries > 0 && policy.next & mask == mask && in_time()
                });
                match retry {
                    Some(cond) => {
                        out.trail.finish();
                        // 403 and 404 move on without counting against the server.
                        if cond != ft::HTTP_403 && cond != ft::HTTP_404 {
                            failed(pool, i);
                        }
                    }
                    None => {
                        peers[i].succeeded();
                        return relay(head, conn, flight, policy.read, Ends::Together);
                    }
                }
            }
            Err(f) => {
                eprintln!(
                    "lbc serve: upstream {} of pool {} failed ({})",
                    peers[i].addr,
                    pool.peers.name,
                    describe(f.ft)
                );
                failed(pool, i);
                let mask = f.ft
                    | if f.sent && non_idempotent {
                        ft::NON_IDEMPOTENT
                    } else {
                        0
                    };
                if tries == 0 || policy.next & mask != mask || !in_time() {
                    return respond::error(if f.ft == ft::TIMEOUT {
                        StatusCode::GATEWAY_TIMEOUT
                    } else {
                        StatusCode::BAD_GATEWAY
                    });
                }
            }
        }
    }
    if tried.iter().all(|t| !t) {
        // nginx names the upstream group when no server was live.
        out.trail.push(Attempt {
            addr: Addr::Group(pool.peers.name.clone()),
            status: 502,
            started: start.unwrap_or_else(Instant::now),
            connect: None,
            header: None,
            response: Some(Duration::ZERO),
        });
    }
    respond::error(StatusCode::BAD_GATEWAY)
}

/// HAProxy: connection failures are retried `retries` times on the same server, the last
/// retry on another one with `option redispatch`; 503 when no connection could be made, 504
/// on `timeout server`, 502 when the server broke the exchange.
async fn haproxy(
    pool: &Arc<UpstreamPool>,
    policy: &Policy,
    r: Retries,
    pick: &PickRequest<'_>,
    out: &Outgoing<'_>,
    persist: Option<(&Persist, Option<Direct>)>,
) -> Response<Body> {
    let peers = &pool.peers.peers;
    let mut tried = Tried::new(peers.len());
    // A request whose cookie names a usable server goes there without balancing.
    let direct = persist.and_then(|(_, d)| d).map(|Direct(i)| i);
    let Some(mut i) = direct.or_else(|| pool.balancer.pick(&pool.peers, pick, &tried)) else {
        return respond::error(StatusCode::SERVICE_UNAVAILABLE);
    };
    let mut left = r.retries;
    loop {
        let flight = InFlight::enter(pool, i);
        match attempt(pool, i, policy, out).await {
            Ok((mut head, conn)) => {
                if let Some((p, _)) = persist {
                    let status = head.parts.status.as_u16();
                    let by_cookie = direct == Some(i);
                    p.response(&mut head.parts.headers, status, out.method, i, by_cookie);
                }
                return relay(head, conn, flight, policy.read, Ends::Apart);
            }
            Err(f) => {
                peers[i]
                    .failures
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if f.sent {
                    return respond::error(if f.ft == ft::TIMEOUT {
                        StatusCode::GATEWAY_TIMEOUT
                    } else {
                        StatusCode::BAD_GATEWAY
                    });
                }
                if left == 0 {
                    return respond::error(StatusCode::SERVICE_UNAVAILABLE);
                }
                left -= 1;
                if r.redispatch && left == 0 {
                    tried[i] = true;
                    if let Some(j) = pool.balancer.pick(&pool.peers, pick, &tried) {
                        i = j;
                    }
                }
            }
        }
    }
}

/// The servers of a pool tried so far for one request: on the stack for pools of up to 32
/// servers, so that a request allocates nothing for it.
struct Tried {
    inline: [bool; 32],
    len: usize,
    heap: Vec<bool>,
}

impl Tried {
    fn new(len: usize) -> Tried {
        Tried {
            inline: [false; 32],
            len,
            heap: if len > 32 {
                vec![false; len]
            } else {
                Vec::new()
            },
        }
    }
}

impl std::ops::Deref for Tried {
    type Target = [bool];

    fn deref(&self) -> &[bool] {
        if self.len > 32 {
            &self.heap
        } else {
            &self.inline[..self.len]
        }
    }
}

impl std::ops::DerefMut for Tried {
    fn deref_mut(&mut self) -> &mut [bool] {
        if self.len > 32 {
            &mut self.heap
        } else {
            &mut self.inline[..self.len]
        }
    }
}

/// Passive health accounting of a failed attempt.
fn failed(pool: &UpstreamPool, i: usize) {
    pool.peers.peers[i].failed(Instant::now());
    pool.balancer.failed(&pool.peers, i);
}

fn describe(cond: u32) -> &'static str {
    match cond {
        ft::TIMEOUT => "timeout",
        ft::INVALID_HEADER => "invalid header",
        _ => "error",
    }
}

/// Whether nginx counts `method` as non-idempotent (not retried once sent, unless
/// `proxy_next_upstream non_idempotent`).
fn non_idempotent(method: &Method) -> bool {
    matches!(method.as_str(), "POST" | "LOCK" | "PATCH")
}

/// One attempt on peer `i`: a kept-alive connection from the pool's cache or a new one
/// (bounded by `proxy_connect_timeout`), the request written within `proxy_send_timeout` and
/// the response head read within `proxy_read_timeout` of its end, as nginx times them. A
/// cached connection that fails before any response byte (the server closed it meanwhile) is
/// replaced by a new one, as nginx does, and not counted.
async fn attempt(
    pool: &UpstreamPool,
    i: usize,
    policy: &Policy,
    out: &Outgoing<'_>,
) -> Result<(Head, UpConn), Failure> {
    let addr = pool.peers.peers[i].addr;
    let started = Instant::now();
    let result = match out.uri.as_ref() {
        Some(uri) if out.method != Method::CONNECT => {
            exchange(pool, i, policy, out, uri, started).await
        }
        _ => Err(Failure {
            ft: ft::ERROR,
            sent: false,
        }),
    };
    if out.trail.is_on() {
        out.trail.push(tried(&addr, started, &result));
    }
    result.map(|(head, conn, _)| (head, conn))
}

/// The request on a connection to peer `i`: (the response head, its connection, how long
/// connecting took — zero on a kept-alive one).
async fn exchange(
    pool: &UpstreamPool,
    i: usize,
    policy: &Policy,
    out: &Outgoing<'_>,
    uri: &Uri,
    started: Instant,
) -> Result<(Head, UpConn, Duration), Failure> {
    let addr = pool.peers.peers[i].addr;
    let req = UpRequest {
        method: out.method,
        target: uri.path_and_query().map_or("/", |p| p.as_str()),
        headers: out.headers,
        body: out.body,
        http10: out.http10,
    };
    let idempotent = !non_idempotent(out.method);
    loop {
        let idle = if out.takes == u32::MAX {
            None
        } else {
            cached(pool, i, started, out.takes)
        };
        let (mut conn, cached) = match idle {
            Some(c) => (c, true),
            None => match UpConn::open(addr, policy.connect).await {
                Ok(c) => (c, false),
                Err(e) => {
                    return Err(Failure {
                        ft: match e {
                            OpenError::Timeout => ft::TIMEOUT,
                            OpenError::Failed(_) => ft::ERROR,
                        },
                        sent: false,
                    })
                }
            },
        };
        conn.used = started;
        // The request's times run from its writing: a new connection's after its opening.
        let t0 = if cached { started } else { Instant::now() };
        match conn
            .exchange(&req, &addr, t0, policy.send, policy.read)
            .await
        {
            Ok(head) => {
                let took = if cached { Duration::ZERO } else { conn.took };
                return Ok((head, conn, took));
            }
            Err(e) => {
                let f = classify(&e);
                // A stale kept-alive connection: once more on another one (a new one at last).
                let unsent = matches!(&e, ExchangeError::Io { sent: false, .. });
                if cached && f.ft == ft::ERROR && (idempotent || unsent) {
                    continue;
                }
                return Err(f);
            }
        }
    }
}

/// A usable kept-alive connection to peer `i` from the pool's cache that carried at least
/// `carried` requests, if there is one.
fn cached(pool: &UpstreamPool, i: usize, now: Instant, carried: u32) -> Option<UpConn> {
    while let Some(mut c) = pool.keepalive.take(i, now, carried) {
        if c.usable() {
            return Some(c);
        }
    }
    None
}

/// What one try leaves for the upstream variables: a kept-alive connection took no time to
/// connect; a failed try has the status nginx gives it (502, or 504 on a timeout).
fn tried(
    addr: &SocketAddr,
    started: Instant,
    result: &Result<(Head, UpConn, Duration), Failure>,
) -> Attempt {
    let (status, connect, header, response) = match result {
        Ok((head, _, took)) => (
            head.parts.status.as_u16(),
            Some(*took),
            Some(started.elapsed()),
            None,
        ),
        Err(f) => {
            let status = if f.ft == ft::TIMEOUT { 504 } else { 502 };
            (status, None, None, Some(started.elapsed()))
        }
    };
    Attempt {
        addr: Addr::Peer(*addr),
        status,
        started,
        connect,
        header,
        response,
    }
}

/// Sorts an exchange's failure into nginx's conditions.
fn classify(e: &ExchangeError) -> Failure {
    match e {
        ExchangeError::Io { error, sent } => Failure {
            ft: if error.kind() == std::io::ErrorKind::TimedOut {
                ft::TIMEOUT
            } else {
                ft::ERROR
            },
            sent: *sent,
        },
        ExchangeError::Closed => Failure {
            ft: ft::ERROR,
            sent: true,
        },
        ExchangeError::Timeout => Failure {
            ft: ft::TIMEOUT,
            sent: true,
        },
        ExchangeError::Invalid(_) => Failure {
            ft: ft::INVALID_HEADER,
            sent: true,
        },
    }
}

/// Hands the response to the client, its body bounded by the read timeout between reads. A
/// body that came whole with its head is handed on as it is and the connection goes back to
/// the pool's cache at once; a longer one streams, and its connection goes back once the body
/// has been read to its end.
fn relay(
    head: Head,
    mut conn: UpConn,
    flight: InFlight,
    read: Duration,
    ends: Ends,
) -> Response<Body> {
    if head.parts.status == StatusCode::SWITCHING_PROTOCOLS {
        return switch(head, conn, flight, read, ends);
    }
    let whole = match head.framing {
        Framing::Empty => Some(Bytes::new()),
        Framing::Length(n) if conn.buffered() as u64 >= n => Some(conn.take(n as usize)),
        _ => None,
    };
    let body = match whole {
        Some(bytes) => {
            // The connection's last use is the exchange's start, a clock read saved.
            let used = conn.used;
            flight.release(conn, used);
            respond::full(bytes)
        }
        None => UpstreamBody {
            state: BodyState::new(head.framing),
            conn: Some(conn),
            flight,
            read,
            sleep: None,
        }
        .boxed(),
    };
    Response::from_parts(head.parts, body)
}

/// The upstream switched protocols: the 101 goes to the client carrying what the connection
/// becomes once it is sent — the client's socket joined to this upstream connection, which
/// stays counted as the peer's while it lasts. nginx (tunnels whose sides end together)
/// answers with `Connection: upgrade` of its own; HAProxy (sides apart) passes the server's
/// `Connection` and `Keep-Alive`. A client that did not ask to upgrade gets the 101 and a
/// closed connection.
fn switch(
    head: Head,
    conn: UpConn,
    flight: InFlight,
    read: Duration,
    ends: Ends,
) -> Response<Body> {
    let splice: conn::Splice = Box::new(move |client, early| {
        Box::pin(async move {
            let _flight = flight;
            let (upstream, pending) = conn.into_tunnel();
            tunnel::join(client, early, upstream, pending, read, ends).await;
        })
    });
    let mut resp = Response::from_parts(head.parts, respond::full(Bytes::new()));
    if ends == Ends::Together {
        resp.headers_mut().remove("keep-alive");
        resp.headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("upgrade"));
    }
    resp.extensions_mut().insert(conn::Switch::new(splice));
    resp
}

/// An attempt in flight to peer `i`, counted in its `active` until dropped (with the
/// response body, so `least_conn` sees requests still streaming).
struct InFlight {
    pool: Arc<UpstreamPool>,
    i: usize,
}

impl InFlight {
    fn enter(pool: &Arc<UpstreamPool>, i: usize) -> InFlight {
        pool.peers.peers[i].enter_with(pool.balancer.requeues());
        InFlight {
            pool: pool.clone(),
            i,
        }
    }
}

impl InFlight {
    /// The response was read whole: `conn` goes back to the pool's cache (when it can carry
    /// another request) and the attempt is over.
    fn release(self, conn: UpConn, now: Instant) {
        self.pool.keepalive.put(self.i, conn, now);
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.pool.peers.peers[self.i].leave_with(self.pool.balancer.requeues());
    }
}

/// The upstream's response body as it streams: read from its connection as the client takes
/// it; ends early when the upstream stays silent longer than `proxy_read_timeout` (nginx then
/// closes the client connection too), fails when the upstream breaks the framing or closes
/// early (hyper then aborts the client connection, as nginx does).
struct UpstreamBody {
    state: BodyState,
    /// `None` once the body failed or timed out.
    conn: Option<UpConn>,
    flight: InFlight,
    read: Duration,
    /// Armed while the upstream is awaited.
    sleep: Option<Pin<Box<Sleep>>>,
}

impl HttpBody for UpstreamBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let this = self.get_mut();
        loop {
            let Some(conn) = this.conn.as_mut() else {
                return Poll::Ready(None);
            };
            match conn.next_data(&mut this.state) {
                Ok(Some(data)) => {
                    // Disarmed: the next wait starts its own `proxy_read_timeout`.
                    if let Some(s) = this.sleep.as_mut() {
                        let deadline = tokio::time::Instant::now() + this.read;
                        s.as_mut().reset(deadline);
                    }
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Ok(None) if this.state == BodyState::Done => return Poll::Ready(None),
                Ok(None) => {}
                Err(e) => {
                    this.conn = None;
                    return Poll::Ready(Some(Err(e)));
                }
            }
            match conn.poll_fill(cx) {
                Poll::Ready(Ok(0)) if this.state == BodyState::Close => {
                    conn.ended();
                    this.state = BodyState::Done;
                    return Poll::Ready(None);
                }
                Poll::Ready(Ok(0)) => {
                    this.conn = None;
                    return Poll::Ready(Some(Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "upstream prematurely closed connection",
                    ))));
                }
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) => {
                    this.conn = None;
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Pending => {
                    let read = this.read;
                    let sleep = this
                        .sleep
                        .get_or_insert_with(|| Box::pin(tokio::time::sleep(read)));
                    return match sleep.as_mut().poll(cx) {
                        // Cut short: the connection is closed with the body.
                        Poll::Ready(()) => {
                            this.conn = None;
                            Poll::Ready(None)
                        }
                        Poll::Pending => Poll::Pending,
                    };
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.state == BodyState::Done
    }

    fn size_hint(&self) -> SizeHint {
        match self.state {
            BodyState::Done => SizeHint::with_exact(0),
            BodyState::Length(n) => SizeHint::with_exact(n),
            _ => SizeHint::default(),
        }
    }
}

impl Drop for UpstreamBody {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            if self.state == BodyState::Done {
                self.flight
                    .pool
                    .keepalive
                    .put(self.flight.i, conn, Instant::now());
            }
        }
    }
}
