//! One HTTP/1.1 connection to an upstream server: opened (connect timeout, `TCP_NODELAY`, its
//! opening timed for nginx's `$upstream_connect_time`) and driven by the task of the request
//! that uses it — no connection task, no channel hop per request: the request's future polls
//! hyper's connection while it waits for the response head, and the response body polls it
//! while the body streams (see [`super::proxy`]). Between two requests it waits in
//! [`super::keepalive`]'s cache.

use std::future::{poll_fn, Future};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

type Driver = http1::Connection<TokioIo<TcpStream>, Full<Bytes>>;

/// Why a connection could not be opened.
#[derive(Debug)]
pub enum OpenError {
    Timeout,
    Failed(io::Error),
}

/// Why an exchange failed before a response head came.
#[derive(Debug)]
pub enum ExchangeError {
    /// hyper's error for the request.
    Http(hyper::Error),
    /// The connection ended without answering.
    Closed,
}

/// A connection to an upstream server.
pub struct UpConn {
    sender: http1::SendRequest<Full<Bytes>>,
    /// Boxed: hyper's connection state is some 700 bytes, and an `UpConn` moves several times
    /// per request (out of the cache, into the request's future, into the response body,
    /// back); the box is made once per connection.
    driver: Pin<Box<Driver>>,
    /// hyper's connection finished (closed or failed): the connection is unusable.
    done: bool,
    /// How long opening it took.
    pub took: Duration,
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
        let (sender, driver) = http1::Builder::new()
            .handshake(TokioIo::new(stream))
            .await
            .map_err(|e| OpenError::Failed(io::Error::other(e)))?;
        Ok(UpConn {
            sender,
            driver: Box::pin(driver),
            done: false,
            took: start.elapsed(),
            requests: 0,
        })
    }

    /// Lets hyper's connection make progress (read, write, notice a close).
    pub fn drive(&mut self, cx: &mut Context<'_>) {
        if !self.done && self.driver.as_mut().poll(cx).is_ready() {
            self.done = true;
        }
    }

    /// Whether a kept-alive connection can take a request now: not closed by the server
    /// meanwhile, nothing unread, hyper ready for the next request.
    pub async fn usable(&mut self) -> bool {
        poll_fn(|cx| {
            self.drive(cx);
            Poll::Ready(!self.done && matches!(self.sender.poll_ready(cx), Poll::Ready(Ok(()))))
        })
        .await
    }

    /// Whether the connection may carry another request once the current response is read.
    pub fn reusable(&self) -> bool {
        !self.done && !self.sender.is_closed()
    }

    /// Sends `req` and waits for the response head, driving the connection meanwhile.
    pub async fn exchange(
        &mut self,
        req: Request<Full<Bytes>>,
    ) -> Result<Response<Incoming>, ExchangeError> {
        self.requests += 1;
        let response = self.sender.send_request(req);
        let mut response = std::pin::pin!(response);
        poll_fn(|cx| {
            self.drive(cx);
            match response.as_mut().poll(cx) {
                Poll::Ready(r) => Poll::Ready(r.map_err(ExchangeError::Http)),
                Poll::Pending if self.done => Poll::Ready(Err(ExchangeError::Closed)),
                Poll::Pending => Poll::Pending,
            }
        })
        .await
    }
}
