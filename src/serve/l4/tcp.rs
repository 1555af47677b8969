//! The TCP side of the L4 balancer: accept, choose a server, connect (with the connect
//! timeout and the service's retry policy), then splice both directions
//! (`tokio::io::copy_bidirectional`) until both sides close or nothing moves for the idle
//! timeout. On stop the listener closes and connections in flight get a few seconds.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::preread::{self, Outcome};
use super::script::{Conn, Session, Try};
use super::select::{Active, Choice};
use super::{current, L4Service, Retry, Route, Slot};

/// How long connections in flight may go on after the stop signal.
const GRACE: Duration = Duration::from_secs(5);

/// Accepts connections until `stop`, then lets those in flight finish (up to [`GRACE`]).
pub async fn serve(listener: TcpListener, slot: Slot, mut stop: watch::Receiver<bool>) {
    let in_flight = Arc::new(AtomicU64::new(0));
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((conn, client)) = accepted else { continue };
                let _ = conn.set_nodelay(true);
                // The service of the current generation; a reload swaps it for new connections.
                let Some(s) = current(&slot) else { continue };
                let in_flight = in_flight.clone();
                in_flight.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(async move {
                    handle(conn, client, s).await;
                    in_flight.fetch_sub(1, Ordering::Relaxed);
                });
            }
            _ = stop.changed() => break,
        }
    }
    drop(listener);
    let deadline = Instant::now() + GRACE;
    while in_flight.load(Ordering::Relaxed) > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn connect(addr: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
    match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Ok(r) => r,
        Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "connect timed out")),
    }
}

async fn handle(mut client: TcpStream, from: SocketAddr, s: Arc<L4Service>) {
    let conn = Conn {
        client: from,
        local: client.local_addr().unwrap_or(s.addr),
        udp: false,
    };
    let mut session = Session::new(conn);
    session.status = serve_session(&mut client, &s, &mut session).await;
    if let Some(log) = &s.log {
        log.write(&mut session);
    }
}

/// Runs one TCP session to its end; its status for the log (nginx's: 200, 400 when the
/// preread buffer fills, 500, 502 when no server could be reached).
async fn serve_session(client: &mut TcpStream, s: &L4Service, session: &mut Session) -> u16 {
    let from = session.conn.client;
    s.sets.run(session);
    // What `ssl_preread` read goes to the upstream first.
    let mut early = Vec::new();
    if let Some((limit, timeout)) = s.preread {
        let outcome = preread::preread(client, &mut early, limit, timeout).await;
        session.bytes_received = early.len() as u64;
        match outcome {
            Outcome::Go(hello) => session.hello = hello,
            Outcome::Close(why) => {
                eprintln!("lbc serve: {}: {from}: {why}", s.label);
                return if why == preread::FULL { 400 } else { 200 };
            }
        }
    }
    let target = match &s.route {
        Route::Pool(t) => t.clone(),
        Route::Dynamic(d) => match d.choose(session) {
            Ok(t) => t,
            Err(why) => {
                eprintln!("lbc serve: {}: {from}: {why}", s.label);
                return 500;
            }
        },
        Route::Return(v) => {
            let text = v.render(session);
            if !text.is_empty() && client.write_all(&text).await.is_ok() {
                session.bytes_sent = text.len() as u64;
            }
            let _ = client.shutdown().await;
            return 200;
        }
    };
    let target = &target;
    let peers = &target.pool.peers.peers;
    let mut tried = vec![false; peers.len()];
    let mut attempts = 0u32;
    let started = Instant::now();
    loop {
        let Some(choice) = target.pick(session, &tried) else {
            eprintln!("lbc serve: {}: no server can take {from}", s.label);
            return 502;
        };
        let (addr, peer) = match choice {
            Choice::Peer(i) => match peers.get(i) {
                Some(p) => (p.addr, Some((i, p))),
                None => return 500,
            },
            Choice::Sorry(a) => (a, None),
        };
        let active = peer.map(|(_, p)| Active::new(p));
        // HAProxy retries the same server, a turn-around of min(timeout connect, 1s) apart;
        // with `option redispatch` its last retry goes to another server.
        let same_server_tries = match s.retry {
            Retry::SameServer {
                retries,
                redispatch,
            } if attempts == 0 => {
                if redispatch {
                    retries.max(1)
                } else {
                    retries + 1
                }
            }
            _ => 1,
        };
        let try_started = Instant::now();
        let mut result = connect(addr, s.connect_timeout).await;
        let mut n = 1;
        while result.is_err() && n < same_server_tries {
            tokio::time::sleep(s.connect_timeout.min(Duration::from_secs(1))).await;
            result = connect(addr, s.connect_timeout).await;
            n += 1;
        }
        attempts += 1;
        let mut this = Try {
            addr,
            connect: None,
            first_byte: None,
            session: Duration::ZERO,
            sent: 0,
            received: 0,
        };
        match result {
            Ok(mut upstream) => {
                this.connect = Some(try_started.elapsed());
                if let Some((i, _)) = peer {
                    target.succeeded(i);
                }
                let _ = upstream.set_nodelay(true);
                let per_peer = peer.is_some_and(|(i, _)| target.send_proxy.get(i) == Some(&true));
                let mut head = Vec::new();
                if s.send_proxy || per_peer {
                    head.extend_from_slice(
                        proxy_v1(session.conn.client, session.conn.local).as_bytes(),
                    );
                }
                head.extend_from_slice(&early);
                if !head.is_empty() && upstream.write_all(&head).await.is_err() {
                    this.session = try_started.elapsed();
                    session.tries.push(this);
                    return 200;
                }
                let t = splice(client, upstream, s.idle_timeout, s.half_close).await;
                drop(active);
                session.bytes_received += t.from_client;
                session.bytes_sent = t.to_client;
                this.sent = t.to_upstream + early.len() as u64;
                this.received = t.from_upstream;
                this.first_byte = t.first_upstream_byte.map(|at| at - try_started);
                this.session = try_started.elapsed();
                session.tries.push(this);
                return 200;
            }
            Err(e) => {
                eprintln!("lbc serve: {}: connecting to {addr}: {e}", s.label);
                this.session = try_started.elapsed();
                session.tries.push(this);
                drop(active);
                let Some((i, _)) = peer else { return 502 };
                target.failed(i);
                tried[i] = true;
                let again = match s.retry {
                    Retry::Next { tries, timeout } => {
                        (tries == 0 || attempts < tries)
                            && timeout.is_none_or(|t| started.elapsed() < t)
                    }
                    Retry::SameServer { redispatch, .. } => redispatch && attempts == 1,
                    Retry::Close => false,
                };
                if !again {
                    return 502;
                }
            }
        }
    }
}

/// The PROXY protocol v1 header for a connection from `client` to `local`.
fn proxy_v1(client: SocketAddr, local: SocketAddr) -> String {
    match (client, local) {
        (SocketAddr::V4(c), SocketAddr::V4(l)) => format!(
            "PROXY TCP4 {} {} {} {}\r\n",
            c.ip(),
            l.ip(),
            c.port(),
            l.port()
        ),
        (SocketAddr::V6(c), SocketAddr::V6(l)) => format!(
            "PROXY TCP6 {} {} {} {}\r\n",
            c.ip(),
            l.ip(),
            c.port(),
            l.port()
        ),
        _ => "PROXY UNKNOWN\r\n".to_string(),
    }
}

/// What moved through a spliced connection.
struct Traffic {
    from_client: u64,
    to_client: u64,
    from_upstream: u64,
    to_upstream: u64,
    first_upstream_byte: Option<Instant>,
}

/// Both directions until nothing moved for `idle`, and until both are closed
/// (`half_close`: HAProxy, IPVS, nginx's `proxy_half_close on`) or one side has closed and
/// what it sent was delivered (nginx's default: the session ends there).
async fn splice(
    client: &mut TcpStream,
    mut upstream: TcpStream,
    idle: Option<Duration>,
    half_close: bool,
) -> Traffic {
    let start = Instant::now();
    let last = Arc::new(AtomicU64::new(0));
    let watchdog = async {
        let Some(idle) = idle else {
            return std::future::pending().await;
        };
        loop {
            let since = Duration::from_millis(last.load(Ordering::Relaxed));
            let deadline = start + since + idle;
            let now = Instant::now();
            if now >= deadline {
                return;
            }
            tokio::time::sleep(deadline - now).await;
        }
    };
    if half_close {
        let mut a = Watched::new(client, start, last.clone());
        let mut b = Watched::new(&mut upstream, start, last.clone());
        {
            let copy = tokio::io::copy_bidirectional(&mut a, &mut b);
            tokio::select! {
                _ = copy => {}
                _ = watchdog => {}
            }
        }
        return Traffic {
            from_client: a.read,
            to_client: a.written,
            from_upstream: b.read,
            to_upstream: b.written,
            first_upstream_byte: b.first_read,
        };
    }
    let (cr, cw) = client.split();
    let (ur, uw) = upstream.split();
    let (mut cr, mut cw) = (
        Watched::new(cr, start, last.clone()),
        Watched::new(cw, start, last.clone()),
    );
    let (mut ur, mut uw) = (
        Watched::new(ur, start, last.clone()),
        Watched::new(uw, start, last.clone()),
    );
    {
        let up = tokio::io::copy(&mut cr, &mut uw);
        let down = tokio::io::copy(&mut ur, &mut cw);
        tokio::select! {
            _ = up => {}
            _ = down => {}
            _ = watchdog => {}
        }
    }
    Traffic {
        from_client: cr.read,
        to_client: cw.written,
        from_upstream: ur.read,
        to_upstream: uw.written,
        first_upstream_byte: ur.first_read,
    }
}

/// A stream (or half of one) that stamps the time of its last read or write and counts the
/// bytes.
struct Watched<T> {
    inner: T,
    start: Instant,
    last: Arc<AtomicU64>,
    read: u64,
    written: u64,
    first_read: Option<Instant>,
}

impl<T> Watched<T> {
    fn new(inner: T, start: Instant, last: Arc<AtomicU64>) -> Watched<T> {
        Watched {
            inner,
            start,
            last,
            read: 0,
            written: 0,
            first_read: None,
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(ms, Ordering::Relaxed);
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        if matches!(r, Poll::Ready(Ok(()))) && n > 0 {
            self.touch();
            self.read += n as u64;
            if self.first_read.is_none() {
                self.first_read = Some(Instant::now());
            }
        }
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, data);
        if let Poll::Ready(Ok(n)) = r {
            if n > 0 {
                self.touch();
                self.written += n as u64;
            }
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
