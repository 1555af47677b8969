//! The upstream connector: hyper's `HttpConnector`, timed, so every response knows when its
//! connection was opened and how long opening it took (nginx's `$upstream_connect_time`, which
//! is 0 on a kept-alive connection).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::rt::{Read, ReadBufCursor, Write};
use hyper::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;

/// When a connection was opened and how long it took; found in the extensions of every
/// response that came over it.
#[derive(Debug, Clone, Copy)]
pub struct Opened {
    pub at: Instant,
    pub took: Duration,
}

/// `HttpConnector`, timing each connection it opens.
#[derive(Clone)]
pub struct Timed(pub HttpConnector);

/// A connection with its [`Opened`].
pub struct TimedIo {
    io: TokioIo<TcpStream>,
    opened: Opened,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl Service<Uri> for Timed {
    type Response = TimedIo;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<TimedIo, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.0.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let start = Instant::now();
        let connecting = self.0.call(uri);
        Box::pin(async move {
            let io = connecting.await?;
            let opened = Opened {
                at: Instant::now(),
                took: start.elapsed(),
            };
            Ok(TimedIo { io, opened })
        })
    }
}

impl Connection for TimedIo {
    fn connected(&self) -> Connected {
        self.io.connected().extra(self.opened)
    }
}

impl Read for TimedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl Write for TimedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }
}
