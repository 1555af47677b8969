//! `stub_status`'s `Reading:`: connections whose request head is being read. hyper parses
//! the head before the service runs, so the socket is watched instead: the first bytes that
//! arrive on an idle connection start a read (counted), the service starting on the parsed
//! head ends it, as nginx counts from the request's creation to the end of its header.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::status::COUNTERS;

const IDLE: u8 = 0;
const READING: u8 = 1;
const ANSWERING: u8 = 2;

/// Where one connection is: idle, reading a head, or answering a request.
#[derive(Debug, Default)]
pub struct ReadState(AtomicU8);

impl ReadState {
    /// Bytes came in: an idle connection starts reading a request head (for a connection
    /// driver that reads the socket itself; [`Watched`] calls it).
    pub fn bytes_arrived(&self) {
        if self
            .0
            .compare_exchange(IDLE, READING, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            COUNTERS.reading.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The head is parsed (the service runs).
    pub fn head_parsed(&self) {
        if self.0.swap(ANSWERING, Ordering::Relaxed) == READING {
            COUNTERS.reading.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// The response is handed over; bytes after it begin the next request.
    pub fn answered(&self) {
        let _ = self
            .0
            .compare_exchange(ANSWERING, IDLE, Ordering::Relaxed, Ordering::Relaxed);
    }
}

impl Drop for ReadState {
    fn drop(&mut self) {
        if *self.0.get_mut() == READING {
            COUNTERS.reading.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// A client socket that reports arriving bytes to its [`ReadState`].
pub struct Watched<T> {
    io: T,
    state: Arc<ReadState>,
}

impl<T> Watched<T> {
    pub fn new(io: T, state: Arc<ReadState>) -> Watched<T> {
        Watched { io, state }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(&mut this.io).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.state.bytes_arrived();
        }
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}
