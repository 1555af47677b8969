//! Passing a request to an upstream: a pooled keep-alive hyper client, the URI nginx sends,
//! `proxy_set_header` with nginx's default `Host $proxy_host`, hop-by-hop headers removed both
//! ways, the next server tried when connecting fails (nginx's `proxy_next_upstream error`), and a
//! 502 when no server can be reached.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode, Version};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::balance::PickRequest;
use super::headers::{self, Vars};
use super::plan::ProxyTarget;
use super::respond::{self, Body};

/// The connection pool to every upstream server.
pub struct Upstreams {
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Default for Upstreams {
    fn default() -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(Duration::from_secs(60)));
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            // Bounded like nginx's `keepalive N`: a burst of clients must not leave thousands
            // of idle upstream connections (and their buffers) behind.
            .pool_max_idle_per_host(64)
            .build(connector);
        Upstreams { client }
    }
}

/// What one request to a proxied location carries besides the request itself.
pub struct Context<'a> {
    pub remote: SocketAddr,
    pub local: SocketAddr,
    /// `$host`.
    pub host: &'a str,
}

impl Upstreams {
    pub async fn forward(
        &self,
        target: &ProxyTarget,
        req: Request<Incoming>,
        cx: Context<'_>,
    ) -> Response<Body> {
        let (parts, body) = req.into_parts();
        let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
            return respond::error(StatusCode::BAD_REQUEST);
        };
        let request_uri = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let uri = match &target.rewrite {
            Some((prefix, replacement)) if parts.uri.path().starts_with(prefix.as_str()) => {
                let rest = &parts.uri.path()[prefix.len()..];
                match parts.uri.query() {
                    Some(q) => format!("{replacement}{rest}?{q}"),
                    None => format!("{replacement}{rest}"),
                }
            }
            _ => request_uri.to_string(),
        };
        let mut headers = parts.headers.clone();
        headers::strip_hop_by_hop(&mut headers);
        let vars = Vars {
            request: &parts.headers,
            host: cx.host,
            remote_addr: cx.remote.ip().to_string(),
            proxy_host: &target.proxy_host,
            request_uri,
            server_port: cx.local.port(),
        };
        headers::apply(&mut headers, &target.headers, &vars);
        let pool = &target.pool;
        let peers = &pool.peers.peers;
        let mut tried = vec![false; peers.len()];
        let pick = PickRequest {
            client: cx.remote.ip(),
            key: None,
        };
        while let Some(i) = pool.balancer.pick(&pool.peers, &pick, &tried) {
            tried[i] = true;
            let mut up = Request::new(Full::new(body.clone()));
            *up.method_mut() = parts.method.clone();
            *up.version_mut() = Version::HTTP_11;
            *up.headers_mut() = headers.clone();
            let Ok(u) = format!("http://{}{uri}", peers[i].addr).parse() else {
                return respond::error(StatusCode::BAD_REQUEST);
            };
            *up.uri_mut() = u;
            match self.client.request(up).await {
                Ok(resp) => {
                    let (mut parts, body) = resp.into_parts();
                    headers::strip_hop_by_hop(&mut parts.headers);
                    return Response::from_parts(parts, body.boxed());
                }
                Err(e) if e.is_connect() => {
                    eprintln!(
                        "lbc serve: connecting to {} of pool {}: {e}",
                        peers[i].addr, pool.peers.name
                    );
                }
                Err(e) => {
                    eprintln!("lbc serve: upstream {}: {e}", peers[i].addr);
                    return respond::error(StatusCode::BAD_GATEWAY);
                }
            }
        }
        respond::error(StatusCode::BAD_GATEWAY)
    }
}
