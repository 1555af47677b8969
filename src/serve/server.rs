//! The listeners of `lbc serve`: one tokio task per accepted connection, HTTP/1.1 with
//! keep-alive (hyper), virtual host and location selection, and a graceful stop: on shutdown the
//! listeners close and in-flight requests get a few seconds to finish.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::plan::{ListenPlan, Plan};
use super::proxy::Upstreams;
use super::respond::Body;
use super::{phases, reading, status};

/// How long in-flight requests may run after the stop signal.
const GRACE: Duration = Duration::from_secs(5);

/// Binds every listener of `plan`, then serves until `shutdown` completes.
pub async fn run(plan: Plan, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
    let upstreams = Arc::new(Upstreams::default());
    let mut bound = Vec::new();
    for lp in plan.listeners {
        let listener = TcpListener::bind(lp.addr).await.map_err(|e| {
            std::io::Error::new(e.kind(), format!("cannot listen on {}: {e}", lp.addr))
        })?;
        eprintln!("lbc serve: listening on {}", lp.addr);
        bound.push((listener, Arc::new(lp)));
    }
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = super::l4::spawn(&plan.l4, &stop_rx).await?;
    tasks.extend(super::health::spawn(&plan.health, &stop_rx));
    for (listener, lp) in bound {
        tasks.push(tokio::spawn(accept_loop(
            listener,
            lp,
            upstreams.clone(),
            stop_rx.clone(),
        )));
    }
    shutdown.await;
    eprintln!("lbc serve: stopping");
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = t.await;
    }
    Ok(())
}

async fn accept_loop(
    listener: TcpListener,
    lp: Arc<ListenPlan>,
    upstreams: Arc<Upstreams>,
    mut stop: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, remote)) = accepted else { continue };
                let local = stream.local_addr().unwrap_or(lp.addr);
                let counted = status::ConnectionGuard::accepted();
                let _ = stream.set_nodelay(true);
                let (lp, upstreams) = (lp.clone(), upstreams.clone());
                let reading = Arc::new(reading::ReadState::default());
                let state = reading.clone();
                let service = service_fn(move |req| {
                    let (lp, upstreams, state) = (lp.clone(), upstreams.clone(), state.clone());
                    state.head_parsed();
                    async move {
                        let r = handle(&lp, &upstreams, req, remote, local).await;
                        state.answered();
                        Ok::<_, Infallible>(r)
                    }
                });
                let stream = reading::Watched::new(stream, reading);
                let conn = http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                    drop(counted);
                });
            }
            _ = stop.changed() => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(GRACE, graceful.shutdown()).await;
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
    req: Request<Incoming>,
    remote: SocketAddr,
    local: SocketAddr,
) -> Response<Body> {
    let _writing = status::RequestGuard::started();
    let name = requested_host(&req);
    let host = name
        .as_ref()
        .and_then(|n| lp.hosts.iter().find(|h| h.names.contains(n)))
        .unwrap_or(&lp.hosts[lp.default]);
    phases::serve(host, name, upstreams, req, remote, local).await
}
