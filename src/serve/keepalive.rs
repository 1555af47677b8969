//! The idle upstream connections of a pool, nginx's `keepalive N` cache
//! (`ngx_http_upstream_keepalive_module`): at most N idle connections per pool (nginx keeps them
//! per worker process; here all workers share the pool's cache), the most recently used taken
//! first, the oldest closed when a new one does not fit; a connection idle longer than
//! `keepalive_timeout` (60 s) or that carried `keepalive_requests` (1000) requests is closed.
//! A pool without `keepalive` keeps nothing: every request opens its own connection, as in
//! nginx.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::connect::UpConn;

/// nginx's default upstream `keepalive_timeout`.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// nginx's default upstream `keepalive_requests`.
const MAX_REQUESTS: u32 = 1000;

/// An idle connection to peer `peer` of the pool, to be closed at `until`.
struct Idle {
    peer: usize,
    until: Instant,
    conn: UpConn,
}

/// A pool's idle connections.
#[derive(Default)]
pub struct Cache {
    /// How many may be kept (0: none).
    cap: usize,
    idle: Mutex<VecDeque<Idle>>,
}

impl Cache {
    /// A cache keeping up to `cap` idle connections.
    pub fn new(cap: usize) -> Cache {
        Cache {
            cap,
            idle: Mutex::new(VecDeque::new()),
        }
    }

    /// The most recently parked connection to `peer` that carried at least `carried` requests
    /// and has not idled too long at `now` (the expired ones met on the way are closed). The
    /// caller still checks that it is usable.
    pub fn take(&self, peer: usize, now: Instant, carried: u32) -> Option<UpConn> {
        if self.cap == 0 {
            return None;
        }
        let (conn, expired) = {
            let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
            // Newest first, and taking from the middle keeps the order: the expired ones are
            // at the back (no scan of the whole cache per request).
            let fresh = idle.partition_point(|c| c.until > now);
            let expired = idle.split_off(fresh);
            let conn = idle
                .iter()
                .position(|c| c.peer == peer && c.conn.requests >= carried)
                .and_then(|at| idle.remove(at))
                .map(|c| c.conn);
            (conn, expired)
        };
        // Closed outside the lock.
        drop(expired);
        conn
    }

    /// Parks a connection whose last response was read completely (idle from `now`); closes
    /// it instead when the cache keeps nothing or it carried its last request, and closes the
    /// oldest when full.
    pub fn put(&self, peer: usize, conn: UpConn, now: Instant) {
        if self.cap == 0 || conn.requests >= MAX_REQUESTS || !conn.reusable() {
            return;
        }
        let evicted = {
            let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
            idle.push_front(Idle {
                peer,
                until: now + IDLE_TIMEOUT,
                conn,
            });
            if idle.len() > self.cap {
                idle.pop_back()
            } else {
                None
            }
        };
        // Closed outside the lock.
        drop(evicted);
    }

    /// Idle connections now kept.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.idle.lock().map(|i| i.len()).unwrap_or(0)
    }
}
