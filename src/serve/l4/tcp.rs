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

use super::script::{Conn, Session};
use super::select::{Active, Choice};
use super::preread::{self, Outcome};
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
    s.sets.run(&mut session);
    // What `ssl_preread` read goes to the upstream first.
    let mut early = Vec::new();
    if let Some((limit, timeout)) = s.preread {
        match preread::preread(&mut client, &mut early, limit, timeout).await {
            Outcome::Go(hello) => session.hello = hello,
            Outcome::Close(why) => {
                eprintln!("lbc serve: {}: {from}: {why}", s.label);
                return;
            }
        }
    }
    let target = match &s.route {
        Route::Pool(t) => t.clone(),
        Route::Dynamic(d) => match d.choose(&mut session) {
            Ok(t) => t,
            Err(why) => {
                eprintln!("lbc serve: {}: {from}: {why}", s.label);
                return;
            }
        },
        Route::Return(v) => {
            let text = v.render(&mut session);
            if !text.is_empty() {
                let _ = client.write_all(&text).await;
            }
            let _ = client.shutdown().await;
            return;
        }
    };
    let target = &target;
    let peers = &target.pool.peers.peers;
    let mut tried = vec![false; peers.len()];
    let mut attempts = 0u32;
    let started = Instant::now();
    loop {
        let Some(choice) = target.pick(&mut session, &tried) else {
            eprintln!("lbc serve: {}: no server can take {from}", s.label);
            return;
        };
        let (addr, peer) = match choice {
            Choice::Peer(i) => match peers.get(i) {
                Some(p) => (p.addr, Some((i, p))),
                None => return,
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
        let mut result = connect(addr, s.connect_timeout).await;
        let mut n = 1;
        while result.is_err() && n < same_server_tries {
            tokio::time::sleep(s.connect_timeout.min(Duration::from_secs(1))).await;
            result = connect(addr, s.connect_timeout).await;
            n += 1;
        }
        attempts += 1;
        match result {
            Ok(mut upstream) => {
                if let Some((i, _)) = peer {
                    target.succeeded(i);
                }
                let _ = upstream.set_nodelay(true);
                let per_peer = peer.is_some_and(|(i, _)| target.send_proxy.get(i) == Some(&true));
                if s.send_proxy || per_peer {
                    let header = proxy_v1(conn.client, conn.local);
                    if upstream.write_all(header.as_bytes()).await.is_err() {
                        return;
                    }
                }
                if !early.is_empty() && upstream.write_all(&early).await.is_err() {
                    return;
                }
                splice(&mut client, upstream, s.idle_timeout).await;
                drop(active);
                return;
            }
            Err(e) => {
                eprintln!("lbc serve: {}: connecting to {addr}: {e}", s.label);
                drop(active);
                let Some((i, _)) = peer else { return };
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
                    return;
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

/// Both directions until both are closed, or until nothing moved for `idle`.
async fn splice(client: &mut TcpStream, upstream: TcpStream, idle: Option<Duration>) {
    let start = Instant::now();
    let last = Arc::new(AtomicU64::new(0));
    let mut a = Watched {
        inner: client,
        start,
        last: last.clone(),
    };
    let mut upstream = upstream;
    let mut b = Watched {
        inner: &mut upstream,
        start,
        last: last.clone(),
    };
    let copy = tokio::io::copy_bidirectional(&mut a, &mut b);
    let Some(idle) = idle else {
        let _ = copy.await;
        return;
    };
    let watchdog = async {
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
    tokio::select! {
        _ = copy => {}
        _ = watchdog => {}
    }
}

/// A stream that stamps the time of its last read or write.
struct Watched<'a> {
    inner: &'a mut TcpStream,
    start: Instant,
    last: Arc<AtomicU64>,
}

impl Watched<'_> {
    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(ms, Ordering::Relaxed);
    }
}

impl AsyncRead for Watched<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut *self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.touch();
        }
        r
    }
}

impl AsyncWrite for Watched<'_> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut *self.inner).poll_write(cx, data);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.inner).poll_shutdown(cx)
    }
}
