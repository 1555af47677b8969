//! `stub_status`: the connection and request counters the listeners keep, and nginx's exact
//! plain-text page. Counters are process-wide, so they survive a configuration reload as
//! nginx's do.

use std::sync::atomic::{AtomicU64, Ordering};

use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::Response;

use super::respond::{self, Body};

/// The counters of `stub_status`.
#[derive(Default)]
pub struct Counters {
    pub accepted: AtomicU64,
    pub handled: AtomicU64,
    pub requests: AtomicU64,
    /// Open client connections.
    pub active: AtomicU64,
    /// Connections reading a request header (see `reading`).
    pub reading: AtomicU64,
    /// Requests being answered.
    pub writing: AtomicU64,
}

/// The one set of counters of the process.
pub static COUNTERS: Counters = Counters {
    accepted: AtomicU64::new(0),
    handled: AtomicU64::new(0),
    requests: AtomicU64::new(0),
    active: AtomicU64::new(0),
    reading: AtomicU64::new(0),
    writing: AtomicU64::new(0),
};

/// Counts one open connection until dropped.
pub struct ConnectionGuard(());

impl ConnectionGuard {
    pub fn accepted() -> ConnectionGuard {
        COUNTERS.accepted.fetch_add(1, Ordering::Relaxed);
        COUNTERS.handled.fetch_add(1, Ordering::Relaxed);
        COUNTERS.active.fetch_add(1, Ordering::Relaxed);
        ConnectionGuard(())
    }
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        COUNTERS.active.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Counts one request being answered until dropped.
pub struct RequestGuard(());

impl RequestGuard {
    pub fn started() -> RequestGuard {
        COUNTERS.requests.fetch_add(1, Ordering::Relaxed);
        COUNTERS.writing.fetch_add(1, Ordering::Relaxed);
        RequestGuard(())
    }
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        COUNTERS.writing.fetch_sub(1, Ordering::Relaxed);
    }
}

/// nginx's page, byte for byte.
pub fn page(c: &Counters) -> String {
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let (active, reading, writing) = (load(&c.active), load(&c.reading), load(&c.writing));
    let waiting = active.saturating_sub(reading + writing);
    format!(
        "Active connections: {active} \nserver accepts handled requests\n {} {} {} \nReading: {reading} Writing: {writing} Waiting: {waiting} \n",
        load(&c.accepted),
        load(&c.handled),
        load(&c.requests),
    )
}

/// The `stub_status` response (`text/plain`, like nginx's; hyper leaves the body out for
/// `HEAD`).
pub fn respond() -> Response<Body> {
    let mut r = Response::new(respond::full(page(&COUNTERS)));
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_nginx_s() {
        let c = Counters::default();
        c.accepted.store(3, Ordering::Relaxed);
        c.handled.store(3, Ordering::Relaxed);
        c.requests.store(7, Ordering::Relaxed);
        c.active.store(2, Ordering::Relaxed);
        c.writing.store(1, Ordering::Relaxed);
        assert_eq!(
            page(&c),
            "Active connections: 2 \nserver accepts handled requests\n 3 3 7 \nReading: 0 Writing: 1 Waiting: 1 \n"
        );
    }
}
