//! Parked keep-alive connections of one listener. A client connection idle between requests
//! gives up its task, its hyper state and its buffers: only its socket waits, in an epoll set of
//! the lot's own — as nginx keeps its idle connections in its event loop with nothing but the
//! connection structure. That set's descriptor is itself watched by the runtime, so the lot is
//! one task on the listener's worker, not a thread. When a parked socket becomes readable (a
//! request, or the client closing) a fresh connection task takes it up; after its keep-alive
//! time (`keepalive_timeout` of the location of its last request), or at once when the listener
//! stops, it is closed.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::TcpStream as StdStream;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use mio::unix::SourceFd;
use mio::{Events, Interest, Registry, Token};
use tokio::io::unix::AsyncFd;
use tokio::sync::{watch, Notify};
use tokio::time::Instant;

/// One parked connection: its socket and what resuming it needs.
struct Parked<T> {
    stream: StdStream,
    resume: T,
}

/// The parked connections in numbered slots (the slot and a generation make the epoll token,
/// so that a slot used again is never mistaken for its last occupant).
struct Slots<T> {
    entries: Vec<Option<(u32, Parked<T>)>>,
    free: Vec<usize>,
    generation: u32,
    /// Deadline, slot and generation, the earliest first (locations may set different
    /// keep-alive times). Entries of connections resumed meanwhile stay until their deadline
    /// or a compaction.
    order: BinaryHeap<Reverse<(Instant, usize, u32)>>,
    /// The listener stopped: nothing more is parked.
    closed: bool,
}

/// The parked connections of one listener (`T` is what a connection's task needs to resume).
pub struct Lot<T> {
    registry: Registry,
    slots: Mutex<Slots<T>>,
    /// Tells the lot's task that a connection parked with the earliest deadline, which it must
    /// time.
    first: Notify,
}

fn token(slot: usize, generation: u32) -> Token {
    Token(slot | (generation as usize) << 32)
}

/// The lot's epoll set as the runtime watches it: readable when a parked socket is.
struct Set(mio::Poll);

impl AsRawFd for Set {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

impl<T: Send + 'static> Lot<T> {
    /// A lot and the task that watches it (call on the runtime). `resume` is called with each
    /// parked connection that becomes readable; when `stop` turns true (or its sender goes)
    /// every parked connection is closed and the task ends.
    pub fn start(
        stop: watch::Receiver<bool>,
        resume: impl Fn(StdStream, T) + Send + 'static,
    ) -> std::io::Result<Arc<Lot<T>>> {
        let poll = mio::Poll::new()?;
        let lot = Arc::new(Lot {
            registry: poll.registry().try_clone()?,
            slots: Mutex::new(Slots {
                entries: Vec::new(),
                free: Vec::new(),
                generation: 0,
                order: BinaryHeap::new(),
                closed: false,
            }),
            first: Notify::new(),
        });
        // Deprecated for descriptors the wrapped value may not own; `Set` owns the poll, which
        // closes the descriptor only when the `AsyncFd` (deregistering first) drops it.
        #[allow(deprecated)]
        let set = AsyncFd::with_interest(Set(poll), tokio::io::Interest::READABLE)?;
        tokio::spawn(watch(lot.clone(), set, stop, resume));
        Ok(lot)
    }

    fn slots(&self) -> MutexGuard<'_, Slots<T>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Parks `stream` until it is readable, for `keepalive` at most; it is closed at once if
    /// the listener has stopped or the socket cannot be watched.
    pub fn park(&self, stream: StdStream, resume: T, keepalive: Duration) {
        let mut s = self.slots();
        if s.closed {
            return;
        }
        let slot = s.free.pop().unwrap_or_else(|| {
            s.entries.push(None);
            s.entries.len() - 1
        });
        s.generation = s.generation.wrapping_add(1);
        let generation = s.generation;
        let fd = stream.as_raw_fd();
        // Edge-triggered, and registering reports bytes that are already there.
        if self
            .registry
            .register(
                &mut SourceFd(&fd),
                token(slot, generation),
                Interest::READABLE,
            )
            .is_err()
        {
            s.free.push(slot);
            return;
        }
        s.entries[slot] = Some((generation, Parked { stream, resume }));
        let deadline = Instant::now() + keepalive;
        let earliest = s
            .order
            .peek()
            .is_none_or(|Reverse((d, _, _))| deadline < *d);
        s.order.push(Reverse((deadline, slot, generation)));
        if earliest {
            self.first.notify_one();
        }
    }

    /// Takes the connection `token` names out of the lot, if it is still there.
    fn take(&self, token: Token) -> Option<Parked<T>> {
        let (slot, generation) = (token.0 & 0xffff_ffff, (token.0 >> 32) as u32);
        let mut s = self.slots();
        self.remove(&mut s, slot, generation)
    }

    fn remove(&self, s: &mut Slots<T>, slot: usize, generation: u32) -> Option<Parked<T>> {
        let entry = s.entries.get_mut(slot)?;
        if !matches!(entry, Some((g, _)) if *g == generation) {
            return None;
        }
        let (_, parked) = entry.take()?;
        s.free.push(slot);
        let _ = self
            .registry
            .deregister(&mut SourceFd(&parked.stream.as_raw_fd()));
        Some(parked)
    }

    /// Closes the connections whose keep-alive time has run out; the next deadline, if any
    /// connection is parked.
    fn expire(&self, now: Instant) -> Option<Instant> {
        let mut gone = Vec::new();
        let mut s = self.slots();
        while let Some(&Reverse((deadline, slot, generation))) = s.order.peek() {
            let parked = matches!(s.entries[slot], Some((g, _)) if g == generation);
            if parked && deadline > now {
                break;
            }
            s.order.pop();
            gone.extend(self.remove(&mut s, slot, generation));
        }
        // `order` keeps the entries resumed since they were parked until their deadline:
        // drop them once they outnumber the parked ones, so it stays bounded.
        if s.order.len() > 2 * (s.entries.len() - s.free.len()) + 64 {
            let Slots { order, entries, .. } = &mut *s;
            order
                .retain(|&Reverse((_, slot, g))| matches!(entries[slot], Some((eg, _)) if eg == g));
        }
        let next = s.order.peek().map(|&Reverse((deadline, _, _))| deadline);
        drop(s);
        drop(gone); // closed outside the lock
        next
    }

    /// Closes every parked connection and refuses new ones.
    fn close(&self) {
        let mut s = self.slots();
        s.closed = true;
        s.order.clear();
        s.free.clear();
        let entries = std::mem::take(&mut s.entries);
        drop(s);
        drop(entries);
    }

    /// How many connections are parked.
    #[cfg(test)]
    fn len(&self) -> usize {
        let s = self.slots();
        s.entries.len() - s.free.len()
    }
}

/// The lot's task: resumes the connections that become readable and closes those that idled
/// too long, until the listener stops.
async fn watch<T: Send + 'static>(
    lot: Arc<Lot<T>>,
    mut set: AsyncFd<Set>,
    mut stop: watch::Receiver<bool>,
    resume: impl Fn(StdStream, T),
) {
    let mut events = Events::with_capacity(256);
    let mut next: Option<Instant> = None;
    loop {
        if *stop.borrow_and_update() {
            break;
        }
        // Until the earliest deadline, or until a connection parks with an earlier one.
        let expiry = async {
            match next {
                Some(at) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = lot.first.notified() => {}
                    }
                }
                None => lot.first.notified().await,
            }
        };
        tokio::select! {
            ready = set.readable_mut() => {
                let Ok(mut guard) = ready else { break };
                // Drain the set; the readiness is cleared only once it is empty.
                loop {
                    events.clear();
                    if let Err(e) = guard.get_inner_mut().0.poll(&mut events, Some(Duration::ZERO)) {
                        if e.kind() == std::io::ErrorKind::Interrupted {
                            continue;
                        }
                        eprintln!("lbc serve: watching idle connections: {e}");
                        lot.close();
                        return;
                    }
                    if events.is_empty() {
                        guard.clear_ready();
                        break;
                    }
                    for event in events.iter() {
                        if let Some(p) = lot.take(event.token()) {
                            resume(p.stream, p.resume);
                        }
                    }
                }
            }
            () = expiry => {}
            changed = stop.changed() => if changed.is_err() { break },
        }
        next = lot.expire(Instant::now());
    }
    lot.close();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    fn pair() -> (StdStream, StdStream) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = StdStream::connect(l.local_addr().unwrap()).unwrap();
        let (server, _) = l.accept().unwrap();
        server.set_nonblocking(true).unwrap();
        (client, server)
    }

    /// Reads until the peer closes (0) or the read times out (an error).
    async fn closed(mut c: StdStream) -> std::io::Result<usize> {
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut end = [0u8; 1];
        tokio::task::spawn_blocking(move || c.read(&mut end))
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_parked_connection_resumes_when_readable_and_expires_when_not() {
        let (stop_tx, stop) = watch::channel(false);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let lot = Lot::start(stop, move |s: StdStream, n: u32| {
            let _ = tx.send((s, n));
        })
        .unwrap();
        let keepalive = Duration::from_millis(1500);
        let (mut c1, s1) = pair();
        let (c2, s2) = pair();
        lot.park(s1, 1, keepalive);
        lot.park(s2, 2, keepalive);
        assert_eq!(lot.len(), 2);
        // Nothing to read yet: nothing resumes.
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(rx.try_recv().is_err());
        c1.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
        let (mut s, n) = rx.recv().await.unwrap();
        assert_eq!(n, 1);
        let mut buf = [0u8; 64];
        s.set_nonblocking(false).unwrap();
        let got = s.read(&mut buf).unwrap();
        assert_eq!(&buf[..got], b"GET / HTTP/1.1\r\n\r\n");
        assert_eq!(lot.len(), 1);
        // Bytes already there when parked resume it at once.
        let (mut c5, s5) = pair();
        c5.write_all(b"GET").unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        lot.park(s5, 5, keepalive);
        assert_eq!(rx.recv().await.unwrap().1, 5);
        // The other one idles past its keep-alive time: closed by the lot.
        assert_eq!(closed(c2).await.unwrap(), 0);
        assert_eq!(lot.len(), 0);
        // An empty lot times the next one parked too.
        let (c6, s6) = pair();
        lot.park(s6, 6, keepalive);
        assert_eq!(closed(c6).await.unwrap(), 0);
        // A connection parked later with a shorter keep-alive time expires first.
        let (c7, s7) = pair();
        lot.park(s7, 7, Duration::from_secs(30));
        let (c8, s8) = pair();
        let t = std::time::Instant::now();
        lot.park(s8, 8, Duration::from_millis(300));
        assert_eq!(closed(c8).await.unwrap(), 0);
        assert!(t.elapsed() < Duration::from_secs(3));
        assert_eq!(lot.len(), 1);
        drop(c7);
        // On stop every parked connection is closed and no more are taken.
        let (c3, s3) = pair();
        lot.park(s3, 3, keepalive);
        stop_tx.send(true).unwrap();
        assert_eq!(closed(c3).await.unwrap(), 0);
        let (_c4, s4) = pair();
        lot.park(s4, 4, keepalive);
        assert_eq!(lot.len(), 0);
    }
}
