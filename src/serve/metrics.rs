//! The live counters of `lbc serve` and their Prometheus text exposition (format 0.0.4), served
//! on the admin listener (`--admin ADDR`) at `/metrics`: connections, requests by listener and
//! status class, per-peer attempts / failures / active requests / check verdict, and reloads.
//! The counters survive reloads; the pool list is replaced with each new generation of tables.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, RwLock};

use super::plan::{Handler, ListenPlan, UpstreamPool};

/// Counters of one listen address, kept across reloads while the address stays configured.
#[derive(Debug)]
pub struct ListenerCounters {
    pub addr: SocketAddr,
    /// Requests answered, by status class: 1xx … 5xx.
    pub requests: [AtomicU64; 5],
    pub accepted: AtomicU64,
    /// Client connections open on this address.
    pub active: AtomicU64,
}

impl ListenerCounters {
    pub fn new(addr: SocketAddr) -> ListenerCounters {
        ListenerCounters {
            addr,
            requests: Default::default(),
            accepted: AtomicU64::new(0),
            active: AtomicU64::new(0),
        }
    }

    /// Counts one answered request with `status`.
    pub fn count(&self, status: u16) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.requests[class].fetch_add(1, Relaxed);
    }

    pub fn total_requests(&self) -> u64 {
        self.requests.iter().map(|r| r.load(Relaxed)).sum()
    }
}

/// Every counter of one running `lbc serve`.
#[derive(Default)]
pub struct Metrics {
    pub connections_accepted: AtomicU64,
    pub connections_active: AtomicU64,
    pub reloads_ok: AtomicU64,
    pub reloads_failed: AtomicU64,
    listeners: RwLock<Vec<Arc<ListenerCounters>>>,
    pools: RwLock<Vec<Arc<UpstreamPool>>>,
}

impl Metrics {
    /// The counters of `addr`, created on first use.
    pub fn listener(&self, addr: SocketAddr) -> Arc<ListenerCounters> {
        let mut all = self.listeners.write().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = all.iter().find(|c| c.addr == addr) {
            return c.clone();
        }
        let c = Arc::new(ListenerCounters::new(addr));
        all.push(c.clone());
        all.sort_by_key(|c| c.addr);
        c
    }

    /// Forgets the counters of a listen address the configuration no longer has.
    pub fn drop_listener(&self, addr: SocketAddr) {
        let mut all = self.listeners.write().unwrap_or_else(|e| e.into_inner());
        all.retain(|c| c.addr != addr);
    }

    pub fn listeners(&self) -> Vec<Arc<ListenerCounters>> {
        self.listeners
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Installs the pools of the current generation of tables.
    pub fn set_pools(&self, pools: Vec<Arc<UpstreamPool>>) {
        *self.pools.write().unwrap_or_else(|e| e.into_inner()) = pools;
    }

    pub fn pools(&self) -> Vec<Arc<UpstreamPool>> {
        self.pools.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The Prometheus text exposition of every counter.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let one = |v: &AtomicU64| [(String::new(), v.load(Relaxed))];
        family(
            &mut out,
            ("lbc_connections_accepted_total", "counter"),
            "Client connections accepted.",
            one(&self.connections_accepted),
        );
        family(
            &mut out,
            ("lbc_connections_active", "gauge"),
            "Client connections open.",
            one(&self.connections_active),
        );
        let listeners = self.listeners();
        family(
            &mut out,
            ("lbc_http_requests_total", "counter"),
            "Requests answered, by listen address and status class.",
            listeners.iter().flat_map(|l| {
                l.requests.iter().enumerate().map(|(i, c)| {
                    let labels = format!("listener=\"{}\",code=\"{}xx\"", l.addr, i + 1);
                    (labels, c.load(Relaxed))
                })
            }),
        );
        let pools = self.pools();
        type Read = fn(&super::peers::Peer) -> u64;
        let peer_families: [(&str, &str, &str, Read); 4] = [
            (
                "lbc_upstream_attempts_total",
                "counter",
                "Requests (or connections) sent to an upstream server.",
                |p| p.attempts.load(Relaxed),
            ),
            (
                "lbc_upstream_failures_total",
                "counter",
                "Attempts to an upstream server that failed.",
                |p| p.failures.load(Relaxed),
            ),
            (
                "lbc_upstream_active",
                "gauge",
                "Requests (or connections) in flight to an upstream server.",
                |p| u64::from(p.active.load(Relaxed)),
            ),
            (
                "lbc_upstream_up",
                "gauge",
                "1 when the server may take traffic (not `down`, active check passing).",
                |p| u64::from(!p.down && p.is_check_up()),
            ),
        ];
        for (name, kind, help, read) in peer_families {
            let samples = pools.iter().flat_map(|pool| {
                pool.peers.peers.iter().map(move |p| {
                    let labels = format!(
                        "pool=\"{}\",server=\"{}\",addr=\"{}\"",
                        escape(&pool.peers.name),
                        escape(&p.name),
                        p.addr
                    );
                    (labels, read(p))
                })
            });
            family(&mut out, (name, kind), help, samples);
        }
        family(
            &mut out,
            ("lbc_reloads_total", "counter"),
            "Configuration reloads, by result.",
            [
                ("result=\"ok\"".to_string(), self.reloads_ok.load(Relaxed)),
                (
                    "result=\"failed\"".to_string(),
                    self.reloads_failed.load(Relaxed),
                ),
            ],
        );
        out
    }
}

/// One metric family: its HELP and TYPE lines, then a line per (labels, value) sample.
fn family(
    out: &mut String,
    (name, kind): (&str, &str),
    help: &str,
    samples: impl IntoIterator<Item = (String, u64)>,
) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for (labels, value) in samples {
        if labels.is_empty() {
            let _ = writeln!(out, "{name} {value}");
        } else {
            let _ = writeln!(out, "{name}{{{labels}}} {value}");
        }
    }
}

/// A label value as the exposition format writes it.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Binds the admin listener and serves `GET /metrics` on it (404 for anything else).
pub async fn spawn_admin(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        std::io::Error::new(e.kind(), format!("cannot listen on {addr} (admin): {e}"))
    })?;
    eprintln!("lbc serve: metrics on http://{addr}/metrics");
    Ok(tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            };
            let m = metrics.clone();
            let service = hyper::service::service_fn(move |req: hyper::Request<_>| {
                let m = m.clone();
                async move {
                    let resp = if req.uri().path() == "/metrics" {
                        let mut r = hyper::Response::new(super::respond::full(m.render()));
                        r.headers_mut().insert(
                            hyper::header::CONTENT_TYPE,
                            hyper::header::HeaderValue::from_static(
                                "text/plain; version=0.0.4; charset=utf-8",
                            ),
                        );
                        r
                    } else {
                        super::respond::error(hyper::StatusCode::NOT_FOUND)
                    };
                    Ok::<_, std::convert::Infallible>(resp)
                }
            });
            tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            });
        }
    }))
}

/// Every HTTP pool the listeners of one generation reach, each once, in first-seen order.
pub fn pools_of<'a>(listeners: impl IntoIterator<Item = &'a ListenPlan>) -> Vec<Arc<UpstreamPool>> {
    let mut out: Vec<Arc<UpstreamPool>> = Vec::new();
    for lp in listeners {
        for host in &lp.hosts {
            let handlers = host
                .server_return
                .iter()
                .chain(host.locations.handlers.iter());
            for h in handlers {
                let targets: Vec<&Arc<super::plan::ProxyTarget>> = match h {
                    Handler::Proxy(t) => vec![t],
                    Handler::ProxyDynamic(d) => d.upstreams.values().collect(),
                    _ => Vec::new(),
                };
                for t in targets {
                    if !out.iter().any(|p| Arc::ptr_eq(p, &t.pool)) {
                        out.push(t.pool.clone());
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_classes_and_exposition() {
        let m = Metrics::default();
        let l = m.listener("127.0.0.1:8080".parse().unwrap());
        for s in [200, 204, 404, 502, 99, 700] {
            l.count(s);
        }
        m.connections_accepted.fetch_add(3, Relaxed);
        let text = m.render();
        assert!(
            text.contains("lbc_connections_accepted_total 3\n"),
            "{text}"
        );
        assert!(
            text.contains("lbc_http_requests_total{listener=\"127.0.0.1:8080\",code=\"2xx\"} 2\n"),
            "{text}"
        );
        // Out-of-range codes land in the nearest class rather than panicking.
        assert!(text.contains("code=\"1xx\"} 1\n"), "{text}");
        assert!(text.contains("code=\"5xx\"} 2\n"), "{text}");
        assert!(
            text.contains("# TYPE lbc_reloads_total counter\n"),
            "{text}"
        );
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
