//! nginx's `ssl_preread`: before a TCP connection goes anywhere, read the TLS ClientHello
//! without terminating TLS and keep its server name (SNI), its ALPN protocols and the version
//! it offers for `$ssl_preread_server_name`, `$ssl_preread_alpn_protocols` and
//! `$ssl_preread_protocol`. The bytes read are forwarded to the upstream first. As nginx:
//! data that is not a TLS handshake leaves the variables empty and the connection goes on;
//! a full buffer (`preread_buffer_size`), the client closing or `preread_timeout` end it.

use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// nginx's `preread_buffer_size` and `preread_timeout` defaults.
pub const BUFFER: usize = 16 * 1024;
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Why a preread closed the connection when the buffer filled (nginx logs status 400).
pub const FULL: &str = "preread buffer full";

/// What a ClientHello told.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hello {
    /// `client_version`, or 3.4 when it lists `supported_versions` (TLS 1.3).
    pub version: [u8; 2],
    /// The first SNI host name, as sent.
    pub server_name: Vec<u8>,
    /// The ALPN protocols, comma-separated.
    pub alpn: Vec<u8>,
}

impl Hello {
    /// `$ssl_preread_protocol`, in OpenSSL's names (empty for what it does not name).
    pub fn protocol(&self) -> &'static str {
        match self.version {
            [0, 2] => "SSLv2",
            [3, 0] => "SSLv3",
            [3, 1] => "TLSv1",
            [3, 2] => "TLSv1.1",
            [3, 3] => "TLSv1.2",
            [3, 4] => "TLSv1.3",
            _ => "",
        }
    }
}

/// The verdict on the bytes read so far.
#[derive(Debug, PartialEq, Eq)]
pub enum Read {
    Hello(Hello),
    /// Not a TLS ClientHello (or a malformed one): go on without the variables.
    NotTls,
    /// More bytes are needed.
    More,
}

/// How a connection's preread ended.
pub enum Outcome {
    /// Go on; `Some` when a ClientHello was read.
    Go(Option<Hello>),
    /// Close the connection (timeout, client gone, buffer full).
    Close(&'static str),
}

/// Reads from `client` into `buf` until the ClientHello is complete or shown not to be one,
/// within `timeout` and `limit` bytes.
pub async fn preread(
    client: &mut TcpStream,
    buf: &mut Vec<u8>,
    limit: usize,
    timeout: Duration,
) -> Outcome {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut chunk = vec![0u8; limit.min(BUFFER)];
    loop {
        match parse(buf) {
            Read::Hello(h) => return Outcome::Go(Some(h)),
            Read::NotTls => return Outcome::Go(None),
            Read::More => {}
        }
        let room = limit.saturating_sub(buf.len());
        if room == 0 {
            return Outcome::Close(FULL);
        }
        let want = room.min(chunk.len());
        match tokio::time::timeout_at(deadline, client.read(&mut chunk[..want])).await {
            Err(_) => return Outcome::Close("preread timed out"),
            Ok(Ok(0)) | Ok(Err(_)) => return Outcome::Close("client closed during preread"),
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Reads TLS records from the start of `data` until the ClientHello they carry is complete.
pub fn parse(data: &[u8]) -> Read {
    let mut handshake = Vec::new();
    let mut p = data;
    while p.len() >= 5 {
        // An SSLv2-framed ClientHello: only its version is read.
        if p[0] & 0x80 != 0 && p[2] == 1 && (p[3] == 0 || p[3] == 3) {
            return Read::Hello(Hello {
                version: [p[3], p[4]],
                ..Hello::default()
            });
        }
        if p[0] != 0x16 || p[1] != 3 {
            return Read::NotTls;
        }
        let len = usize::from(u16::from_be_bytes([p[3], p[4]]));
        if p.len() < len + 5 {
            break;
        }
        handshake.extend_from_slice(&p[5..5 + len]);
        p = &p[5 + len..];
        if handshake.len() >= 4 {
            if handshake[0] != 1 {
                return Read::NotTls;
            }
            let body = usize::from(handshake[1]) << 16
                | usize::from(handshake[2]) << 8
                | usize::from(handshake[3]);
            if handshake.len() >= 4 + body {
                return client_hello(&handshake[4..4 + body]).map_or(Read::NotTls, Read::Hello);
            }
        }
    }
    Read::More
}

/// A cursor over a ClientHello; every read past its end fails.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<usize> {
        self.take(1).map(|b| usize::from(b[0]))
    }

    fn u16(&mut self) -> Option<usize> {
        self.take(2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
    }

    /// A vector with a one- or two-byte length.
    fn vec8(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()?;
        self.take(n)
    }

    fn vec16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.take(n)
    }
}

fn client_hello(body: &[u8]) -> Option<Hello> {
    let mut c = Cursor(body);
    let version = c.take(2)?;
    let mut hello = Hello {
        version: [version[0], version[1]],
        ..Hello::default()
    };
    c.take(32)?; // random
    c.vec8()?; // session id
    c.vec16()?; // cipher suites
    c.vec8()?; // compression methods
    if c.0.is_empty() {
        return Some(hello);
    }
    let mut exts = Cursor(c.vec16()?);
    let (mut sni_seen, mut alpn_seen) = (false, false);
    while !exts.0.is_empty() {
        let kind = exts.u16()?;
        let mut data = Cursor(exts.vec16()?);
        match kind {
            0 if !sni_seen => {
                sni_seen = true;
                let mut list = Cursor(data.vec16()?);
                // Only the first name counts; it must be a DNS host name.
                if list.u8()? != 0 {
                    return None;
                }
                hello.server_name = list.vec16()?.to_vec();
            }
            16 if !alpn_seen => {
                alpn_seen = true;
                let mut list = Cursor(data.vec16()?);
                while !list.0.is_empty() {
                    let proto = list.vec8()?;
                    if proto.is_empty() {
                        return None;
                    }
                    if !hello.alpn.is_empty() {
                        hello.alpn.push(b',');
                    }
                    hello.alpn.extend_from_slice(proto);
                }
            }
            43 => hello.version = [3, 4],
            _ => {}
        }
    }
    Some(hello)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ClientHello record with `exts` (type, data) as extensions.
    fn record(version: [u8; 2], exts: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut body = version.to_vec();
        body.extend([7u8; 32]);
        body.push(0); // session id
        body.extend([0, 2, 0x13, 0x01]); // one cipher suite
        body.extend([1, 0]); // null compression
        let mut e = Vec::new();
        for (t, d) in exts {
            e.extend(t.to_be_bytes());
            e.extend((d.len() as u16).to_be_bytes());
            e.extend(d);
        }
        body.extend((e.len() as u16).to_be_bytes());
        body.extend(e);
        let mut hs = vec![1, 0];
        hs.extend((body.len() as u16).to_be_bytes());
        hs.extend(body);
        let mut rec = vec![0x16, 3, 1];
        rec.extend((hs.len() as u16).to_be_bytes());
        rec.extend(hs);
        rec
    }

    fn sni(name: &str) -> Vec<u8> {
        let mut entry = vec![0];
        entry.extend((name.len() as u16).to_be_bytes());
        entry.extend(name.as_bytes());
        let mut d = (entry.len() as u16).to_be_bytes().to_vec();
        d.extend(entry);
        d
    }

    fn alpn(protos: &[&str]) -> Vec<u8> {
        let mut list = Vec::new();
        for p in protos {
            list.push(p.len() as u8);
            list.extend(p.as_bytes());
        }
        let mut d = (list.len() as u16).to_be_bytes().to_vec();
        d.extend(list);
        d
    }

    #[test]
    fn reads_sni_alpn_and_version() {
        let r = record(
            [3, 3],
            &[(0, sni("example.com")), (16, alpn(&["h2", "http/1.1"]))],
        );
        let Read::Hello(h) = parse(&r) else {
            panic!("no hello")
        };
        assert_eq!(h.server_name, b"example.com");
        assert_eq!(h.alpn, b"h2,http/1.1");
        assert_eq!(h.protocol(), "TLSv1.2");
        let r = record([3, 3], &[(43, vec![2, 3, 4])]);
        assert!(matches!(parse(&r), Read::Hello(h) if h.protocol() == "TLSv1.3"));
    }

    #[test]
    fn waits_for_the_whole_hello_and_declines_the_rest() {
        let r = record([3, 3], &[(0, sni("a.test"))]);
        for cut in [0, 3, 5, r.len() - 1] {
            assert_eq!(parse(&r[..cut]), Read::More, "cut at {cut}");
        }
        assert_eq!(parse(b"GET / HTTP/1.1\r\n\r\n"), Read::NotTls);
        // A hello split over two records.
        let hs = &r[5..];
        let mut two = vec![0x16, 3, 1, 0, 10];
        two.extend(&hs[..10]);
        two.extend([0x16, 3, 1]);
        two.extend(((hs.len() - 10) as u16).to_be_bytes());
        two.extend(&hs[10..]);
        assert!(matches!(parse(&two), Read::Hello(h) if h.server_name == b"a.test"));
        // An empty ALPN protocol makes the hello unreadable.
        let bad = record([3, 3], &[(16, vec![0, 1, 0])]);
        assert_eq!(parse(&bad), Read::NotTls);
    }
}
