//! Connections that switched protocols (WebSocket and other `Upgrade`s): once the upstream
//! answered `101 Switching Protocols` to a request that asked to upgrade, the client's and the
//! server's sockets are joined and bytes flow both ways until one side closes or fails (nginx
//! closes the other then; HAProxy lets the other direction finish) or the upstream stays
//! silent longer than the read timeout (`proxy_read_timeout`, `timeout server`).

use std::io;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::conn::Duplex;

/// When a tunnel ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ends {
    /// As soon as one side closes (nginx).
    Together,
    /// Each direction when its sender closes: a half-closed side still receives (HAProxy).
    Apart,
}

/// Joins `client` and `upstream`: `early` (what the client sent after its request) goes to
/// the upstream first, `pending` (what the upstream sent after its 101 head) to the client.
pub async fn join(
    client: Box<dyn Duplex>,
    early: Bytes,
    mut upstream: TcpStream,
    pending: Bytes,
    read_timeout: Duration,
    ends: Ends,
) {
    let (mut client_read, mut client_write) = tokio::io::split(client);
    let (mut up_read, mut up_write) = upstream.split();
    let to_upstream = async {
        up_write.write_all(&early).await?;
        pump(&mut client_read, &mut up_write, None).await
    };
    let to_client = async {
        client_write.write_all(&pending).await?;
        client_write.flush().await?;
        pump(&mut up_read, &mut client_write, Some(read_timeout)).await
    };
    match ends {
        // Once one side has closed (and what it sent is delivered), both are closed.
        Ends::Together => tokio::select! {
            _ = to_upstream => {}
            _ = to_client => {}
        },
        // A failure ends both directions; a close only its own.
        Ends::Apart => {
            let _ = tokio::try_join!(to_upstream, to_client);
        }
    }
}

/// Copies `from` to `to` until `from` ends (then `to` is shut down for writing), fails, or
/// stays silent longer than `idle`.
async fn pump<R, W>(from: &mut R, to: &mut W, idle: Option<Duration>) -> io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match idle {
            Some(limit) => tokio::time::timeout(limit, from.read(&mut buf))
                .await
                .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??,
            None => from.read(&mut buf).await?,
        };
        if n == 0 {
            return to.shutdown().await;
        }
        to.write_all(&buf[..n]).await?;
        to.flush().await?;
    }
}
