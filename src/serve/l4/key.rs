//! The hash key of an L4 pool (nginx `stream` `hash KEY [consistent]`): a template of text and
//! the stream variables known when a connection arrives (`$remote_addr`, `$binary_remote_addr`,
//! `$remote_port`, `$server_addr`, `$server_port`, `$protocol`), rendered per connection.

use crate::serve::vars::{split as split_vars, Piece};
use std::net::{IpAddr, SocketAddr};

/// What a key can be rendered from.
#[derive(Debug, Clone, Copy)]
pub struct Conn {
    pub client: SocketAddr,
    /// The local address the connection (or datagram) arrived on.
    pub local: SocketAddr,
    pub udp: bool,
}

impl Conn {
    /// A TCP connection from `ip` (port 0) to nowhere in particular, for tests.
    pub fn from_ip(ip: IpAddr) -> Conn {
        Conn {
            client: SocketAddr::new(ip, 0),
            local: SocketAddr::from(([0, 0, 0, 0], 0)),
            udp: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    RemoteAddr,
    BinaryRemoteAddr,
    RemotePort,
    ServerAddr,
    ServerPort,
    Protocol,
}

/// A compiled key template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key(Vec<Part>);

impl Key {
    /// Compiles `text`; `Err` names the variable the runtime cannot render.
    pub fn parse(text: &str) -> Result<Key, String> {
        let mut parts = Vec::new();
        for piece in split_vars(text).map_err(|_| format!("`{text}`"))? {
            let name = match piece {
                Piece::Text(t) => {
                    parts.push(Part::Text(t.to_string()));
                    continue;
                }
                Piece::Var(name) => name,
            };
            parts.push(match name {
                "remote_addr" => Part::RemoteAddr,
                "binary_remote_addr" => Part::BinaryRemoteAddr,
                "remote_port" => Part::RemotePort,
                "server_addr" => Part::ServerAddr,
                "server_port" => Part::ServerPort,
                "protocol" => Part::Protocol,
                other => return Err(format!("the variable `${other}` in a stream hash key")),
            });
        }
        Ok(Key(parts))
    }

    pub fn render(&self, c: &Conn) -> Vec<u8> {
        let mut out = Vec::new();
        for p in &self.0 {
            match p {
                Part::Text(t) => out.extend_from_slice(t.as_bytes()),
                Part::RemoteAddr => out.extend_from_slice(c.client.ip().to_string().as_bytes()),
                Part::BinaryRemoteAddr => match c.client.ip() {
                    IpAddr::V4(v4) => out.extend_from_slice(&v4.octets()),
                    IpAddr::V6(v6) => out.extend_from_slice(&v6.octets()),
                },
                Part::RemotePort => out.extend_from_slice(c.client.port().to_string().as_bytes()),
                Part::ServerAddr => out.extend_from_slice(c.local.ip().to_string().as_bytes()),
                Part::ServerPort => out.extend_from_slice(c.local.port().to_string().as_bytes()),
                Part::Protocol => out.extend_from_slice(if c.udp { b"UDP" } else { b"TCP" }),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_stream_variables() {
        let c = Conn {
            client: "10.0.0.7:5353".parse().unwrap(),
            local: "127.0.0.1:53".parse().unwrap(),
            udp: true,
        };
        let k = Key::parse("$remote_addr:${remote_port}-$protocol/$server_port").unwrap();
        assert_eq!(k.render(&c), b"10.0.0.7:5353-UDP/53");
        assert_eq!(
            Key::parse("$binary_remote_addr").unwrap().render(&c),
            [10, 0, 0, 7]
        );
        assert!(Key::parse("$ssl_preread_server_name").is_err());
    }
}
