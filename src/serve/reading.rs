//! `stub_status`'s `Reading:`: connections whose request head is being read. hyper parses
//! the head before the service runs, so the socket is watched instead: the first bytes that
//! arrive on an idle connection start a read (counted), the service starting on the parsed
//! head ends it, as nginx counts from the request's creation to the end of its header.

use std::sync::atomic::{AtomicU8, Ordering};

use super::status::COUNTERS;

const IDLE: u8 = 0;
const READING: u8 = 1;
const ANSWERING: u8 = 2;

/// Where one connection is: idle, reading a head, or answering a request.
#[derive(Debug, Default)]
pub struct ReadState(AtomicU8);

impl ReadState {
    /// Bytes came in: an idle connection starts reading a request head (the connection driver,
    /// `conn`, calls it when the socket or a parked connection's saved bytes give some).
    ///
    /// The state is written by the connection's own task only, so a load and a store do
    /// (no read-modify-write per request).
    pub fn bytes_arrived(&self) {
        if self.0.load(Ordering::Relaxed) == IDLE {
            self.0.store(READING, Ordering::Relaxed);
            COUNTERS.reading.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Whether part of a request head has arrived and the rest not yet: such a connection is
    /// not idle, and its head's time limit runs.
    pub fn is_reading(&self) -> bool {
        self.0.load(Ordering::Relaxed) == READING
    }

    /// The head is parsed (the service runs).
    pub fn head_parsed(&self) {
        let was = self.0.load(Ordering::Relaxed);
        self.0.store(ANSWERING, Ordering::Relaxed);
        if was == READING {
            COUNTERS.reading.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// The response is handed over; bytes after it begin the next request.
    pub fn answered(&self) {
        if self.0.load(Ordering::Relaxed) == ANSWERING {
            self.0.store(IDLE, Ordering::Relaxed);
        }
    }
}

impl Drop for ReadState {
    fn drop(&mut self) {
        if *self.0.get_mut() == READING {
            COUNTERS.reading.fetch_sub(1, Ordering::Relaxed);
        }
    }
}
