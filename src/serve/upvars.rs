//! nginx's upstream variables: the servers a proxied request tried, in order, with the status
//! and the times of each, rendered as `$upstream_addr`, `$upstream_status`,
//! `$upstream_connect_time`, `$upstream_header_time` and `$upstream_response_time` (values of
//! several tries separated by ", "; "-" for a time an attempt never reached).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Who a try went to: a server (formatted only when a variable is rendered) or, when no server
/// was live, the upstream group's name.
#[derive(Debug, Clone)]
pub enum Addr {
    Peer(std::net::SocketAddr),
    Group(String),
}

impl std::fmt::Display for Addr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Addr::Peer(a) => a.fmt(f),
            Addr::Group(g) => f.write_str(g),
        }
    }
}

/// One try: the server, the status it gave (502/504 when it failed), and its times.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub addr: Addr,
    pub status: u16,
    pub started: Instant,
    pub connect: Option<Duration>,
    pub header: Option<Duration>,
    /// Set when the try is over; the last one ends with the response body.
    pub response: Option<Duration>,
}

/// Which of the times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Time {
    Connect,
    Header,
    Response,
}

/// One of the upstream variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Var {
    Addr,
    Status,
    Time(Time),
}

impl Var {
    /// The variable called `name` (without `$`).
    pub fn parse(name: &str) -> Option<Var> {
        Some(match name {
            "upstream_addr" => Var::Addr,
            "upstream_status" => Var::Status,
            "upstream_connect_time" => Var::Time(Time::Connect),
            "upstream_header_time" => Var::Time(Time::Header),
            "upstream_response_time" => Var::Time(Time::Response),
            _ => return None,
        })
    }
}

/// The tries of one request, carried in the response's extensions from the proxy to the log
/// and the response filters. Recorded only where a location reads them (`Trail::off` keeps
/// nothing and costs nothing: the record is four allocations).
#[derive(Debug, Clone, Default)]
pub struct Trail(Option<Arc<Mutex<Vec<Attempt>>>>);

impl Trail {
    /// A trail that records the tries.
    pub fn new() -> Trail {
        Trail(Some(Arc::default()))
    }

    /// A trail that records nothing.
    pub fn off() -> Trail {
        Trail(None)
    }

    /// Whether it records the tries.
    pub fn is_on(&self) -> bool {
        self.0.is_some()
    }

    pub fn push(&self, a: Attempt) {
        if let Some(Ok(mut v)) = self.0.as_ref().map(|t| t.lock()) {
            v.push(a);
        }
    }

    /// Ends the last try now (its response body is done).
    pub fn finish(&self) {
        if let Some(Ok(mut v)) = self.0.as_ref().map(|t| t.lock()) {
            if let Some(last) = v.last_mut() {
                if last.response.is_none() {
                    last.response = Some(last.started.elapsed());
                }
            }
        }
    }

    fn join(&self, f: impl Fn(&Attempt) -> String) -> String {
        match self.0.as_ref().map(|t| t.lock()) {
            Some(Ok(v)) => v.iter().map(f).collect::<Vec<_>>().join(", "),
            _ => String::new(),
        }
    }

    pub fn addr(&self) -> String {
        self.join(|a| a.addr.to_string())
    }

    pub fn status(&self) -> String {
        self.join(|a| a.status.to_string())
    }

    /// The value of `var`; empty when no server was tried.
    pub fn render(&self, var: Var) -> String {
        match var {
            Var::Addr => self.addr(),
            Var::Status => self.status(),
            Var::Time(t) => self.time(t),
        }
    }

    pub fn time(&self, which: Time) -> String {
        self.join(|a| {
            let t = match which {
                Time::Connect => a.connect,
                Time::Header => a.header,
                Time::Response => Some(a.response.unwrap_or_else(|| a.started.elapsed())),
            };
            t.map_or_else(|| "-".to_string(), seconds)
        })
    }
}

/// nginx's `%T.%03M`.
pub fn seconds(d: Duration) -> String {
    format!("{}.{:03}", d.as_secs(), d.subsec_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_tries_are_comma_separated() {
        let t = Trail::new();
        let now = Instant::now();
        t.push(Attempt {
            addr: Addr::Peer(([127, 0, 0, 1], 1).into()),
            status: 502,
            started: now,
            connect: None,
            header: None,
            response: Some(Duration::from_millis(1)),
        });
        t.push(Attempt {
            addr: Addr::Peer(([127, 0, 0, 1], 2).into()),
            status: 200,
            started: now,
            connect: Some(Duration::from_millis(2)),
            header: Some(Duration::from_millis(1500)),
            response: None,
        });
        t.finish();
        assert_eq!(t.addr(), "127.0.0.1:1, 127.0.0.1:2");
        assert_eq!(t.status(), "502, 200");
        assert_eq!(t.time(Time::Connect), "-, 0.002");
        assert_eq!(t.time(Time::Header), "-, 1.500");
        assert!(t.time(Time::Response).starts_with("0.001, 0."));
        let off = Trail::off();
        off.push(Attempt {
            addr: Addr::Group("g".into()),
            status: 502,
            started: now,
            connect: None,
            header: None,
            response: None,
        });
        assert_eq!(off.addr(), "");
    }
}
