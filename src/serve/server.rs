//! The listeners of `lbc serve`: one tokio task per accepted connection, HTTP/1.1 with
//! keep-alive (hyper), virtual host selection, the swap of tables on reload (the HTTP
//! listeners here, the L4 services and every active health check through
//! [`super::l4::L4Runtime`]), and a graceful stop: on shutdown the listeners close and in-flight
//! requests get a few seconds to finish.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use hyper::body::{Body as _, Incoming};
use hyper::server::conn::http1;
use hyper::service::{service_fn, HttpService};
use hyper::{Request, Response};
use hyper_util::rt::TokioTimer;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::conn::{self, ConnState, Tracked};
use super::l4::{L4Plan, L4Runtime};
use super::metrics::{self, ListenerCounters, Metrics};
use super::park::Lot;
use super::plan::{Http2, ListenPlan, Plan, UpstreamPool};
use super::proxy::Upstreams;
use super::reload::{self, Control, Loader};
use super::respond;
use super::respond::Body;
use super::{h2, phases, status};

/// How long in-flight requests may run after the stop signal.
const GRACE: Duration = Duration::from_secs(5);

/// How `run` is started besides its plan.
#[derive(Default)]
pub struct Options {
    /// Re-reads the configuration on [`Control::Reload`]; without it reloads are refused.
    pub loader: Option<Loader>,
    /// The admin listener serving `/metrics`.
    pub admin: Option<SocketAddr>,
}

/// The tables one listen address currently serves, swapped whole by a reload: each request
/// reads the slot once and keeps that generation until it completes.
type Slot = Arc<RwLock<Arc<ListenPlan>>>;

/// A bound listen address and its accept loop.
struct Running {
    slot: Slot,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// Binds every listener of `plan` (HTTP and L4) and starts its health checks, then serves until
/// told to stop on `control`: a reload swaps the tables (binding new addresses, closing removed
/// ones, restarting the checks on the new pools), a drain closes the listeners and lets requests
/// and connections in flight finish, a quit returns at once.
pub async fn run(
    plan: Plan,
    opts: Options,
    mut control: mpsc::UnboundedReceiver<Control>,
) -> std::io::Result<()> {
    let upstreams = Arc::new(Upstreams::default());
    let metrics = Arc::new(Metrics::default());
    let mut running: BTreeMap<SocketAddr, Running> = BTreeMap::new();
    let mut draining: Vec<JoinHandle<()>> = Vec::new();
    let shared = Shared {
        upstreams: upstreams.clone(),
        metrics: metrics.clone(),
    };
    let Plan {
        listeners,
        l4: l4_plan,
        health,
    } = plan;
    let mut generation = Generation::of(&listeners, &l4_plan);
    let bound = bind_new(listeners, &running).await?;
    let mut l4 = L4Runtime::start(&l4_plan, &health).await?;
    metrics.set_pools(generation.all());
    for (lp, listener) in bound {
        if let Some(listener) = listener {
            running.insert(lp.addr, shared.start(listener, lp));
        }
    }
    let admin = match opts.admin {
        Some(addr) => match metrics::spawn_admin(addr, metrics.clone()).await {
            Ok(a) => Some(a),
            Err(e) => {
                l4.halt();
                return Err(e);
            }
        },
        None => None,
    };
    let quit = loop {
        match control.recv().await {
            Some(Control::Reload) => {
                let Some(loader) = opts.loader.clone() else {
                    eprintln!("lbc serve: this instance cannot reload");
                    continue;
                };
                eprintln!("lbc serve: reloading the configuration");
                let new = tokio::task::spawn_blocking(move || loader())
                    .await
                    .ok()
                    .flatten();
                let Some(new) = new else {
                    metrics.reloads_failed.fetch_add(1, Relaxed);
                    eprintln!(
                        "lbc serve: reload rejected; the previous configuration keeps serving"
                    );
                    continue;
                };
                match shared
                    .swap(new, &mut generation, &mut running, &mut l4, &mut draining)
                    .await
                {
                    Ok(()) => {
                        metrics.reloads_ok.fetch_add(1, Relaxed);
                        eprintln!("lbc serve: reloaded");
                    }
                    Err(e) => {
                        metrics.reloads_failed.fetch_add(1, Relaxed);
                        eprintln!("lbc serve: reload rejected ({e}); the previous configuration keeps serving");
                    }
                }
            }
            Some(Control::Drain) | None => break false,
            Some(Control::Quit) => break true,
        }
    };
    if let Some(a) = admin {
        a.abort();
    }
    if quit {
        eprintln!("lbc serve: stopping now");
        l4.halt();
        return Ok(());
    }
    eprintln!("lbc serve: stopping");
    for r in running.values() {
        let _ = r.stop.send(true);
    }
    draining.extend(running.into_values().map(|r| r.task));
    // The L4 sockets close and the checks stop alongside; both sides' connections in flight
    // get their grace period.
    let drained = async {
        let http = async {
            for t in draining {
                let _ = t.await;
            }
        };
        tokio::join!(http, l4.stop());
    };
    tokio::pin!(drained);
    loop {
        tokio::select! {
            _ = &mut drained => break,
            c = control.recv() => match c {
                // Dropping the drain drops the L4 runtime: its sockets and checks stop.
                Some(Control::Quit) => {
                    eprintln!("lbc serve: stopping now");
                    break;
                }
                // A reload or a second drain while draining changes nothing.
                Some(_) => continue,
                None => {
                    let _ = (&mut drained).await;
                    break;
                }
            },
        }
    }
    Ok(())
}

/// The pools of the running generation, HTTP and L4 apart (a reload carries counters over
/// within each side only: an nginx `http` and a `stream` upstream may share a name).
struct Generation {
    http: Vec<Arc<UpstreamPool>>,
    l4: Vec<Arc<UpstreamPool>>,
}

impl Generation {
    fn of(listeners: &[ListenPlan], l4: &L4Plan) -> Generation {
        let mut l4_pools: Vec<Arc<UpstreamPool>> = Vec::new();
        for s in &l4.services {
            for pool in s.pools() {
                if !l4_pools.iter().any(|p| Arc::ptr_eq(p, pool)) {
                    l4_pools.push(pool.clone());
                }
            }
        }
        Generation {
            http: metrics::pools_of(listeners),
            l4: l4_pools,
        }
    }

    /// Every pool, for `/metrics` and the statistics page.
    fn all(&self) -> Vec<Arc<UpstreamPool>> {
        self.http.iter().chain(&self.l4).cloned().collect()
    }
}

/// Binds the addresses of `listeners` that are not already bound; fails (closing what it
/// bound) when one cannot be.
async fn bind_new(
    listeners: Vec<ListenPlan>,
    running: &BTreeMap<SocketAddr, Running>,
) -> std::io::Result<Vec<(ListenPlan, Option<TcpListener>)>> {
    let mut out = Vec::new();
    for lp in listeners {
        let listener = if running.contains_key(&lp.addr) {
            None
        } else {
            let l = TcpListener::bind(lp.addr).await.map_err(|e| {
                std::io::Error::new(e.kind(), format!("cannot listen on {}: {e}", lp.addr))
            })?;
            eprintln!("lbc serve: listening on {}", lp.addr);
            Some(l)
        };
        out.push((lp, listener));
    }
    Ok(out)
}

/// What every accept loop shares, across reloads.
struct Shared {
    upstreams: Arc<Upstreams>,
    metrics: Arc<Metrics>,
}

impl Shared {
    fn start(&self, listener: TcpListener, lp: ListenPlan) -> Running {
        let addr = lp.addr;
        let slot: Slot = Arc::new(RwLock::new(Arc::new(lp)));
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(
            listener,
            slot.clone(),
            self.upstreams.clone(),
            self.metrics.clone(),
            self.metrics.listener(addr),
            stop_rx,
        ));
        Running { slot, stop, task }
    }

    /// Installs a new generation of tables: new HTTP addresses are bound first, then the L4
    /// side reloads (binding its new sockets first); a failure of either leaves everything as
    /// it was. Then kept HTTP addresses get their new tables in place, removed ones stop
    /// accepting and drain; the L4 side has swapped its services and restarted the active
    /// checks (HTTP pools' included) on the new pools, the old checks stopped.
    async fn swap(
        &self,
        plan: Plan,
        generation: &mut Generation,
        running: &mut BTreeMap<SocketAddr, Running>,
        l4: &mut L4Runtime,
        draining: &mut Vec<JoinHandle<()>>,
    ) -> std::io::Result<()> {
        let Plan {
            listeners,
            l4: l4_plan,
            health,
        } = plan;
        let new = Generation::of(&listeners, &l4_plan);
        // Dropped (closed again) if the L4 side cannot reload.
        let bound = bind_new(listeners, running).await?;
        // Before the new checks start, so that their verdicts are the last word.
        reload::inherit(&generation.http, &new.http);
        reload::inherit(&generation.l4, &new.l4);
        l4.reload(&l4_plan, &health).await?;
        self.metrics.set_pools(new.all());
        *generation = new;
        let keep: Vec<SocketAddr> = bound.iter().map(|(lp, _)| lp.addr).collect();
        for (lp, listener) in bound {
            match (running.get(&lp.addr), listener) {
                (Some(r), _) => {
                    *r.slot.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(lp);
                }
                (None, Some(listener)) => {
                    running.insert(lp.addr, self.start(listener, lp));
                }
                // bind_new binds every address not running.
                (None, None) => {}
            }
        }
        let gone: Vec<SocketAddr> = running
            .keys()
            .filter(|a| !keep.contains(a))
            .copied()
            .collect();
        for addr in gone {
            if let Some(r) = running.remove(&addr) {
                eprintln!("lbc serve: closing {addr}");
                let _ = r.stop.send(true);
                draining.push(r.task);
                self.metrics.drop_listener(addr);
            }
        }
        draining.retain(|t| !t.is_finished());
        Ok(())
    }
}

/// What every connection of one listener shares (one allocation per listener, so that a
/// connection's task, parked or not, holds a pointer rather than copies).
struct Listener {
    slot: Slot,
    upstreams: Arc<Upstreams>,
    metrics: Arc<Metrics>,
    counters: Arc<ListenerCounters>,
    builder: http1::Builder,
    stop: watch::Receiver<bool>,
    /// The connections idle between requests.
    lot: Arc<Lot<Ticket>>,
    /// Every connection holds the listener; the channel closes when the last one ends.
    _live: mpsc::Sender<()>,
}

/// A client connection's place in the listener and in the counts, given up when the connection
/// ends — in its task or in the lot of parked ones.
struct Ticket {
    l: Arc<Listener>,
    _counted: status::ConnectionGuard,
    remote: SocketAddr,
    local: SocketAddr,
    /// Requests served before the connection was parked.
    served: u32,
    /// The connection's place under the listener's `maxconn`.
    _slot: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.l.metrics.connections_active.fetch_sub(1, Relaxed);
        self.l.counters.active.fetch_sub(1, Relaxed);
    }
}

impl Listener {
    /// The tables in force (a reload swaps them).
    fn plan(&self) -> Arc<ListenPlan> {
        self.slot.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Answers one request of a connection from `remote` accepted on `local`. The request
    /// stays in this future's state and is lent down the phases: moved through them by value
    /// it was copied (its 250 bytes) a dozen times per request.
    async fn answer(
        self: Arc<Self>,
        mut req: Request<Incoming>,
        st: Arc<ConnState>,
        remote: SocketAddr,
        local: SocketAddr,
    ) -> Result<Response<Tracked<Body>>, respond::Closed> {
        // One generation of tables per request, however the slot changes meanwhile.
        let lp = self.plan();
        h2::as_http1(&mut req);
        st.request(!req.body().is_end_stream());
        st.reading.head_parsed();
        let first = st.served() == 1;
        let (resp, keepalive) = match lp.stats.as_ref().filter(|p| p.matches(req.uri())) {
            Some(page) => {
                let _writing = status::RequestGuard::started();
                (page.answer(req.headers(), &self.metrics), conn::KEEPALIVE)
            }
            None => {
                let tls = st.tls.clone();
                let (req, addrs) = (&mut Some(req), (remote, local));
                handle(&lp, &self.upstreams, req, addrs, first, tls).await
            }
        };
        st.set_keepalive(keepalive);
        st.reading.answered();
        self.counters.count(resp.status().as_u16());
        if let Some(switch) = resp.extensions().get::<conn::Switch>() {
            st.switch_to(switch);
        }
        if resp.extensions().get::<respond::Close>().is_some() {
            // Logged as the response drops; hyper closes the connection.
            return Err(respond::Closed);
        }
        Ok(resp.map(|b| Tracked::new(b, st)))
    }
}

async fn accept_loop(
    listener: TcpListener,
    slot: Slot,
    upstreams: Arc<Upstreams>,
    metrics: Arc<Metrics>,
    counters: Arc<ListenerCounters>,
    mut stop: watch::Receiver<bool>,
) {
    let mut builder = http1::Builder::new();
    // The head's time limit is the connection driver's (`conn`), one timer per connection
    // rather than hyper's one per request.
    builder
        .keep_alive(true)
        .timer(TokioTimer::new())
        .header_read_timeout(None)
        .max_headers(super::head::MAX_LINES);
    let (live, mut all_done) = mpsc::channel::<()>(1);
    let resume = |stream, ticket| {
        if let Ok(stream) = tokio::net::TcpStream::from_std(stream) {
            tokio::spawn(connection(stream, ticket, true));
        }
    };
    let lot = match Lot::start(stop.clone(), resume) {
        Ok(lot) => lot,
        Err(e) => {
            eprintln!("lbc serve: cannot watch idle connections: {e}");
            return;
        }
    };
    let shared = Arc::new(Listener {
        slot,
        upstreams,
        metrics: metrics.clone(),
        counters: counters.clone(),
        builder,
        stop: stop.clone(),
        lot,
        _live: live,
    });
    // `maxconn`: a connection is accepted only with a place free (set when the listener
    // starts; a reload keeps it).
    let places = shared
        .plan()
        .max_conns
        .map(|n| Arc::new(tokio::sync::Semaphore::new(n)));
    loop {
        let slot = match &places {
            None => None,
            Some(p) => tokio::select! {
                permit = p.clone().acquire_owned() => permit.ok(),
                _ = stop.changed() => break,
            },
        };
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, remote) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of descriptors and the like: back off instead of spinning.
                        eprintln!("lbc serve: accept: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let local = stream.local_addr().unwrap_or(remote);
                // stub_status counts the connection until its task ends (parked or not).
                let counted = status::ConnectionGuard::accepted();
                let _ = stream.set_nodelay(true);
                metrics.connections_accepted.fetch_add(1, Relaxed);
                metrics.connections_active.fetch_add(1, Relaxed);
                counters.accepted.fetch_add(1, Relaxed);
                counters.active.fetch_add(1, Relaxed);
                let ticket = Ticket { l: shared.clone(), _counted: counted, remote, local, served: 0, _slot: slot };
                tokio::spawn(connection(stream, ticket, false));
            }
            _ = stop.changed() => break,
        }
    }
    drop(listener);
    drop(shared);
    let _ = tokio::time::timeout(GRACE, all_done.recv()).await;
}

/// One client connection's task, until the connection ends or is parked in the listener's lot
/// (`readable`: it was parked and has bytes again).
async fn connection(stream: tokio::net::TcpStream, mut ticket: Ticket, readable: bool) {
    let l = ticket.l.clone();
    // Read once; not held while the connection lasts (a reload frees the old plan).
    let (head, late, tls, nginx, http2, streams) = {
        let p = l.plan();
        (
            p.header_timeout(),
            p.late(),
            p.tls.clone(),
            p.nginx,
            p.http2,
            p.h2_streams,
        )
    };
    let addrs = (ticket.remote, ticket.local);
    if !readable {
        // A new connection has the head's time limit for its first bytes, as in nginx.
        let limit = head.unwrap_or(conn::KEEPALIVE);
        match conn::wait_readable(&stream, &mut l.stop.clone(), limit).await {
            conn::First::Readable => {}
            conn::First::Late => {
                let mut stream = stream;
                late.answer(&mut stream, true).await;
                return;
            }
            conn::First::Gone => return,
        }
        if tls.is_none() && http2 != Http2::No {
            if h2::starts_with_preface(&stream, limit).await {
                let state = Arc::new(ConnState::after(0));
                let service = service(&l, &state, addrs);
                let builder = h2::builder(streams);
                // Boxed: the HTTP/2 state is large, and every HTTP/1 connection's future
                // would carry its size.
                Box::pin(h2::serve(stream, &builder, service, state, l.stop.clone())).await;
                return;
            }
            if http2 == Http2::Only {
                return;
            }
        }
    }
    if let Some(tls) = tls {
        let h2 = (http2 == Http2::Only, streams);
        serve_tls_client(stream, &l, tls, head, (nginx, h2), addrs).await;
        return;
    }
    let served = ticket.served;
    if let Some((idle, keepalive, served)) =
        serve_client(stream, &l, ticket.remote, ticket.local, served).await
    {
        ticket.served = served;
        if let Ok(idle) = idle.into_std() {
            l.lot.park(idle, ticket, keepalive);
        }
    }
}

/// Serves a connection that has bytes to read (after `served` requests), until it ends
/// (`None`) or is parked: then the socket, how long it may idle (the last request's
/// `keepalive_timeout`) and the requests it has served.
async fn serve_client(
    stream: tokio::net::TcpStream,
    l: &Arc<Listener>,
    remote: SocketAddr,
    local: SocketAddr,
    served: u32,
) -> Option<(tokio::net::TcpStream, Duration, u32)> {
    let state = Arc::new(ConnState::after(served));
    let service = service(l, &state, (remote, local));
    // The head's time limit comes from the plan in force, which a reload may have changed.
    let limits = {
        let p = l.plan();
        conn::Limits {
            head: p.header_timeout(),
            late: p.late(),
        }
    };
    let idle = conn::serve(
        stream,
        &l.builder,
        service,
        state.clone(),
        l.stop.clone(),
        limits,
    )
    .await?;
    Some((idle, state.keepalive(), state.served()))
}

/// Serves a connection to a TLS address: the handshake (within the head's time limit `head`,
/// as nginx gives it `client_header_timeout`), then its requests until it ends; `nginx`: the
/// address answers plain HTTP with nginx's page; `h2`: whether it speaks HTTP/2 whatever ALPN
/// said, and the streams an HTTP/2 connection may run at once.
async fn serve_tls_client(
    stream: tokio::net::TcpStream,
    l: &Arc<Listener>,
    tls: Arc<tokio_rustls::rustls::ServerConfig>,
    head: Option<Duration>,
    (nginx, (h2_only, streams)): (bool, (bool, u32)),
    (remote, local): (SocketAddr, SocketAddr),
) {
    let limit = head.unwrap_or(conn::KEEPALIVE);
    // A TLS connection starts with a handshake record; nginx answers anything else (a plain
    // HTTP request) with a page of its own, HAProxy closes the connection.
    let mut first = [0u8; 1];
    if matches!(stream.peek(&mut first).await, Ok(1) if first[0] != 0x16) {
        if nginx {
            plain_on_tls(stream, &l.builder).await;
        } else {
            // What arrived is read first, so that the close is not a reset.
            let mut sink = [0u8; 4096];
            while matches!(stream.try_read(&mut sink), Ok(n) if n > 0) {}
        }
        return;
    }
    let handshake = tokio_rustls::TlsAcceptor::from(tls).accept(stream);
    let Ok(Ok(stream)) = tokio::time::timeout(limit, handshake).await else {
        return;
    };
    let state = Arc::new(ConnState::over_tls(super::tls::Facts::of(
        stream.get_ref().1,
    )));
    let service = service(l, &state, (remote, local));
    if h2_only || stream.get_ref().1.alpn_protocol() == Some(b"h2") {
        let builder = h2::builder(streams);
        Box::pin(h2::serve(stream, &builder, service, state, l.stop.clone())).await;
        return;
    }
    let limits = conn::Limits {
        head,
        late: l.plan().late(),
    };
    conn::serve_tls(stream, &l.builder, service, state, l.stop.clone(), limits).await;
}

/// The service of one client connection (`remote` to `local`) of listener `l`, reporting to
/// `state`.
fn service(
    l: &Arc<Listener>,
    state: &Arc<ConnState>,
    (remote, local): (SocketAddr, SocketAddr),
) -> impl HttpService<
    Incoming,
    ResBody = Tracked<Body>,
    Error = respond::Closed,
    Future: Send + 'static,
> + Clone
       + Send
       + 'static {
    let (l, st) = (l.clone(), state.clone());
    service_fn(move |req: Request<Incoming>| l.clone().answer(req, st.clone(), remote, local))
}

/// nginx's answer to a plain HTTP request on a TLS address: 400, and the connection closed.
async fn plain_on_tls(stream: tokio::net::TcpStream, builder: &http1::Builder) {
    let service = service_fn(|_req: Request<Incoming>| async {
        let mut r = respond::error_titled(
            hyper::StatusCode::BAD_REQUEST,
            "400 The plain HTTP request was sent to HTTPS port",
            "The plain HTTP request was sent to HTTPS port",
        );
        r.headers_mut().insert(
            hyper::header::CONNECTION,
            hyper::header::HeaderValue::from_static("close"),
        );
        Ok::<_, std::convert::Infallible>(r)
    });
    let _ = builder
        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
        .await;
}

/// The host name a request asks for: the Host header without port and trailing dot.
fn requested_host(req: &Request<Incoming>) -> Option<String> {
    let raw = req
        .headers()
        .get(hyper::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or(req.uri().host())?;
    let name = match raw.rsplit_once(':') {
        Some((h, port)) if !h.ends_with(']') || port.is_empty() => h,
        _ => raw,
    };
    Some(name.trim_end_matches('.').to_ascii_lowercase())
}

async fn handle(
    lp: &ListenPlan,
    upstreams: &Upstreams,
    req: &mut Option<Request<Incoming>>,
    (remote, local): (SocketAddr, SocketAddr),
    first: bool,
    tls: Option<Arc<super::tls::Facts>>,
) -> (Response<Body>, Duration) {
    let _writing = status::RequestGuard::started();
    let name = req.as_ref().and_then(requested_host);
    // One server without regex names answers every name: no lookup.
    let found = if lp.hosts.len() == 1 && !lp.names.has_regex() {
        None
    } else {
        lp.names.find(name.as_deref().unwrap_or(""))
    };
    let (host, captured) = match found {
        Some(f) => (&lp.hosts[f.server], f.captured),
        None => (&lp.hosts[lp.default], None),
    };
    let scheme = if lp.tls.is_some() { "https" } else { "http" };
    let at = phases::Arrival {
        remote,
        local,
        first,
        scheme,
        captured,
        tls,
    };
    phases::serve(host, name, upstreams, req, at).await
}
