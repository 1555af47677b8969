//! The bundled demo of `lbc serve` with no file: two built-in backends that answer with their
//! own name, behind an nginx configuration that round-robins over them, so a newcomer sees the
//! runtime balance traffic in one command.

use std::convert::Infallible;
use std::net::SocketAddr;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::Response;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use super::respond;

/// The demo configuration, with the two backends' addresses and the listen address filled in.
pub fn config(listen: SocketAddr, backends: [SocketAddr; 2]) -> String {
    format!(
        "# The lbc serve demo: two built-in backends behind a round-robin pool.\n\
         events {{ }}\n\
         http {{\n    \
             upstream demo {{\n        \
                 server {};\n        \
                 server {};\n    \
             }}\n    \
             server {{\n        \
                 listen {listen};\n        \
                 location = /health {{ return 200 \"ok\\n\"; }}\n        \
                 location / {{ proxy_pass http://demo; }}\n    \
             }}\n\
         }}\n",
        backends[0], backends[1]
    )
}

/// Starts a backend on an ephemeral loopback port that answers every request with `name`.
pub async fn backend(name: &'static str) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let service = service_fn(
                move |req: hyper::Request<hyper::body::Incoming>| async move {
                    let body = format!("{name} answered {}\n", req.uri().path());
                    Ok::<_, Infallible>(Response::new(respond::full(body)))
                },
            );
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(addr)
}
