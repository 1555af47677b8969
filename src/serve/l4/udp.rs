//! The UDP side of the L4 balancer: a session table keyed by the client's address. The first
//! datagram of a client picks a server and opens a session (its own upstream socket); later
//! datagrams of that client follow it; answers go back from the listening socket. A session
//! ends after the idle timeout, after nginx's `proxy_responses` answers or `proxy_requests`
//! datagrams; the next datagram then opens a new session (and picks a server again).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};

use super::script::{Conn, Session, Try};
use super::select::{Active, Choice, Target};
use super::{current, L4Service, Route, Slot};

/// Sessions without an idle timeout still end after this long without traffic.
const IDLE_CAP: Duration = Duration::from_secs(600);

type Sessions = Arc<Mutex<HashMap<SocketAddr, mpsc::Sender<Vec<u8>>>>>;

/// Receives datagrams until `stop`.
pub async fn serve(socket: UdpSocket, slot: Slot, mut stop: watch::Receiver<bool>) {
    let socket = Arc::new(socket);
    let sessions: Sessions = Arc::default();
    let mut buf = vec![0u8; 65536];
    loop {
        let (n, client) = tokio::select! {
            r = socket.recv_from(&mut buf) => match r {
                Ok(x) => x,
                Err(_) => continue,
            },
            _ = stop.changed() => return,
        };
        let datagram = buf[..n].to_vec();
        // New sessions take the service of the current generation; a reload swaps it.
        let Some(s) = current(&slot) else { continue };
        let existing = sessions.lock().ok().and_then(|m| m.get(&client).cloned());
        if let Some(tx) = existing {
            match tx.try_send(datagram) {
                Ok(()) => continue,
                Err(mpsc::error::TrySendError::Full(_)) => continue,
                Err(mpsc::error::TrySendError::Closed(d)) => {
                    open(&socket, &sessions, client, d, &s).await;
                }
            }
        } else {
            open(&socket, &sessions, client, datagram, &s).await;
        }
    }
}

/// A new session for `client`, starting with `first`.
async fn open(
    socket: &Arc<UdpSocket>,
    sessions: &Sessions,
    client: SocketAddr,
    first: Vec<u8>,
    s: &Arc<L4Service>,
) {
    let conn = Conn {
        client,
        local: s.addr,
        udp: true,
    };
    let mut vars = Session::new(conn);
    s.sets.run(&mut vars);
    let target = match &s.route {
        Route::Pool(t) => t.clone(),
        Route::Dynamic(d) => match d.choose(&mut vars) {
            Ok(t) => t,
            Err(why) => {
                eprintln!("lbc serve: {}: {client}: {why}", s.label);
                finish(s, &mut vars, 500);
                return;
            }
        },
        Route::Return(v) => {
            // nginx answers the datagram with the value and ends the session.
            vars.bytes_received = first.len() as u64;
            let text = v.render(&mut vars);
            if !text.is_empty() && socket.send_to(&text, client).await.is_ok() {
                vars.bytes_sent = text.len() as u64;
            }
            finish(s, &mut vars, 200);
            return;
        }
    };
    let peers = &target.pool.peers.peers;
    let (addr, peer) = match target.pick(&mut vars, &[]) {
        Some(Choice::Peer(i)) if i < peers.len() => (peers[i].addr, Some(i)),
        Some(Choice::Sorry(a)) => (a, None),
        _ => {
            eprintln!("lbc serve: {}: no server can take {client}", s.label);
            finish(s, &mut vars, 502);
            return;
        }
    };
    let local = match addr.ip() {
        IpAddr::V4(_) => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
        IpAddr::V6(_) => SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)),
    };
    let upstream = match UdpSocket::bind(local).await {
        Ok(u) if u.connect(addr).await.is_ok() => u,
        _ => {
            eprintln!("lbc serve: {}: cannot open a socket to {addr}", s.label);
            finish(s, &mut vars, 502);
            return;
        }
    };
    let (tx, rx) = mpsc::channel(256);
    if let Ok(mut m) = sessions.lock() {
        m.insert(client, tx.clone());
    }
    let _ = tx.try_send(first);
    drop(tx);
    tokio::spawn(session(
        socket.clone(),
        sessions.clone(),
        client,
        upstream,
        rx,
        s.clone(),
        Flow {
            vars,
            addr,
            peer: peer.map(|i| (target.clone(), i)),
        },
    ));
}

/// Ends session `vars` with `status`: its access-log line.
fn finish(s: &L4Service, vars: &mut Session, status: u16) {
    vars.status = status;
    if let Some(log) = &s.log {
        log.write(vars);
    }
}

/// A session's variables, its server's address and the peer it counts against.
struct Flow {
    vars: Session,
    addr: SocketAddr,
    peer: Option<(Arc<Target>, usize)>,
}

async fn session(
    socket: Arc<UdpSocket>,
    sessions: Sessions,
    client: SocketAddr,
    upstream: UdpSocket,
    mut rx: mpsc::Receiver<Vec<u8>>,
    s: Arc<L4Service>,
    flow: Flow,
) {
    let Flow {
        mut vars,
        addr,
        peer,
    } = flow;
    let started = Instant::now();
    let (mut sent, mut received) = (0u64, 0u64);
    let mut first_byte = None;
    let _active = peer
        .as_ref()
        .and_then(|(t, i)| t.pool.peers.peers.get(*i).map(Active::new));
    let idle = s.idle_timeout.unwrap_or(IDLE_CAP);
    let (mut requests, mut responses) = (0u64, 0u64);
    // After `proxy_requests` datagrams the client's next datagram opens a new session; this
    // one still waits for its answers.
    let mut released = false;
    let mut buf = vec![0u8; 65536];
    loop {
        tokio::select! {
            d = rx.recv(), if !released => {
                let Some(d) = d else { break };
                if upstream.send(&d).await.is_err() {
                    break;
                }
                sent += d.len() as u64;
                requests += 1;
                let last = s.udp_requests.is_some_and(|r| requests >= r);
                if s.udp_responses == Some(0) && (last || s.udp_requests.is_none()) {
                    break;
                }
                if last {
                    released = true;
                    rx.close();
                    if let Ok(mut m) = sessions.lock() {
                        if m.get(&client).is_some_and(|tx| tx.is_closed()) {
                            m.remove(&client);
                        }
                    }
                }
            }
            r = upstream.recv(&mut buf) => {
                let Ok(n) = r else { break };
                let _ = socket.send_to(&buf[..n], client).await;
                received += n as u64;
                first_byte.get_or_insert_with(|| started.elapsed());
                responses += 1;
                let expected = s.udp_responses.map(|per| per * requests.max(1));
                if expected.is_some_and(|e| responses >= e) {
                    break;
                }
            }
            _ = tokio::time::sleep(idle) => break,
        }
    }
    rx.close();
    if let Ok(mut m) = sessions.lock() {
        if m.get(&client).is_some_and(|tx| tx.is_closed()) {
            m.remove(&client);
        }
    }
    vars.bytes_received = sent;
    vars.bytes_sent = received;
    vars.tries.push(Try {
        addr,
        connect: Some(Duration::ZERO),
        first_byte,
        session: started.elapsed(),
        sent,
        received,
    });
    finish(&s, &mut vars, 200);
}
