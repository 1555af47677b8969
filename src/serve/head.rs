//! How large a request head may be, as the proxy a configuration was written for decides it:
//! nginx's header buffers (`client_header_buffer_size`, `large_client_header_buffers`) and
//! HAProxy's buffer (`tune.bufsize` less `tune.maxrewrite`, counted as HTX stores the head,
//! and `tune.http.maxhdr`).
//!
//! hyper parses the head; the limits are then replayed over what it parsed. A line's length
//! is taken as `name: value` with one space and CRLF, the form clients send (a head written
//! otherwise can be judged a byte or two off at the boundary).

use hyper::header::{HeaderValue, CONNECTION};
use hyper::{Request, Response, StatusCode, Version};

use crate::ir::{Opaque, Settings, Size};

use super::respond::{self, Body};
use super::support::Findings;

/// The most header lines hyper is prepared to parse. nginx has no count limit (its buffers
/// are), HAProxy's default is 101; a head with more lines than this is answered 431 by hyper
/// itself. Above 100 hyper keeps the parser's table on the heap, one allocation per head.
pub const MAX_LINES: usize = 2048;

/// Keeps one block of the parser table's size allocated on the calling thread for its
/// lifetime. hyper allocates two such tables per head and frees them at once; without a block
/// that stays, the allocator's page for that size empties and is set up again for every head
/// (callgrind: 19,111 instructions per proxied request instead of 18,6xx).
pub fn hold_parser_pages() {
    thread_local! {
        static HELD: Vec<[usize; 4]> = Vec::with_capacity(MAX_LINES);
    }
    HELD.with(|h| std::hint::black_box(h.capacity()));
}

/// HAProxy's HTX bookkeeping: each block (the start line, each header, the end of headers)
/// costs 8 bytes besides its text, and the message itself 46 (measured against HAProxy 2.6:
/// the largest accepted head satisfies `text + 8 × blocks = bufsize − maxrewrite − 46` for
/// buffer sizes 16384 and 32768 and 2 to 97 headers).
const HTX_BLOCK: usize = 8;

/// The `global` keywords read here.
pub const HAPROXY_TUNES: &[&str] = &["tune.bufsize", "tune.maxrewrite", "tune.http.maxhdr"];
const HTX_MESSAGE: usize = 46;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadLimits {
    /// nginx: the head is read into a `first`-byte buffer, then into at most `count` buffers of
    /// `large` bytes; a line never spans two buffers.
    Nginx {
        first: usize,
        large: usize,
        count: usize,
    },
    /// HAProxy: the head as HTX must fit in `room` bytes, with at most `lines` header lines.
    Haproxy { room: usize, lines: usize },
}

/// Why a head was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TooLarge {
    /// nginx: the request line does not fit a large buffer, or no buffer is left for it (414).
    RequestLine,
    /// nginx: a header line does not fit, or the buffers ran out (400, "Request Header Or
    /// Cookie Too Large").
    Header,
    /// HAProxy: 400.
    Buffer,
}

impl HeadLimits {
    /// nginx's defaults: `client_header_buffer_size 1k`, `large_client_header_buffers 4 8k`.
    pub const NGINX: HeadLimits = HeadLimits::Nginx {
        first: 1024,
        large: 8192,
        count: 4,
    };

    /// The nginx limits of a server: its `scopes` (http, server), outermost first.
    pub fn nginx(scopes: &[&Settings], f: &mut Findings) -> HeadLimits {
        let (mut first, mut large, mut count) = (1024, 8192, 4);
        // nginx's `connection_pool_size` on 64-bit systems.
        let mut pool = 512;
        let (mut large_origin, mut pool_origin) = (None, None);
        for o in scopes.iter().flat_map(|s| s.opaque.iter()) {
            match (o.name.as_str(), &o.args[..]) {
                ("client_header_buffer_size", [size]) => match positive_size(size) {
                    Some(s) => first = s,
                    None => f.refuse(o.origin, format!("`client_header_buffer_size {size}`")),
                },
                ("large_client_header_buffers", [n, size]) => {
                    match (
                        n.parse::<usize>().ok().filter(|n| *n > 0),
                        positive_size(size),
                    ) {
                        (Some(n), Some(s)) => (count, large) = (n, s),
                        _ => f.refuse(
                            o.origin,
                            format!("`large_client_header_buffers {n} {size}`"),
                        ),
                    }
                }
                ("client_header_buffer_size" | "large_client_header_buffers", _) => {
                    f.refuse(o.origin, format!("`{}` with these arguments", o.name));
                }
                ("connection_pool_size", [size]) => {
                    pool = positive_size(size).unwrap_or(pool);
                    pool_origin = Some(o.origin);
                }
                _ => {}
            }
            if o.name == "large_client_header_buffers" {
                large_origin = Some(o.origin);
            }
        }
        // nginx refuses to start on buffers smaller than the connection's pool.
        if large < pool {
            if let Some(origin) = large_origin.or(pool_origin) {
                f.refuse(
                    origin,
                    format!(
                        "`large_client_header_buffers` of {large} bytes, below `connection_pool_size` ({pool}); nginx refuses it too"
                    ),
                );
            }
        }
        HeadLimits::Nginx {
            first,
            large,
            count,
        }
    }

    /// The HAProxy limits of a configuration: `tune.bufsize` (16384), `tune.maxrewrite` (1024,
    /// at most half the buffer) and `tune.http.maxhdr` (101) of its `global` section.
    pub fn haproxy(top: &[Opaque], f: &mut Findings) -> HeadLimits {
        let (mut bufsize, mut maxrewrite, mut lines) = (16384usize, 1024usize, 101usize);
        let global = top
            .iter()
            .filter(|o| o.name == "global" && o.block)
            .flat_map(|o| o.children.iter());
        for o in global {
            let slot = match o.name.as_str() {
                "tune.bufsize" => &mut bufsize,
                "tune.maxrewrite" => &mut maxrewrite,
                "tune.http.maxhdr" => &mut lines,
                _ => continue,
            };
            match &o.args[..] {
                [v] if v.parse::<usize>().is_ok_and(|v| v > 0) => *slot = v.parse().unwrap_or(0),
                _ => f.refuse(o.origin, format!("`{} {}`", o.name, o.args.join(" "))),
            }
        }
        let maxrewrite = maxrewrite.min(bufsize / 2);
        HeadLimits::Haproxy {
            room: bufsize.saturating_sub(maxrewrite + HTX_MESSAGE),
            lines,
        }
    }

    /// Whether `req`'s head is too large.
    pub fn check<B>(&self, req: &Request<B>) -> Option<TooLarge> {
        if req.version() > Version::HTTP_11 {
            return None;
        }
        let method = req.method().as_str().len();
        let uri = req.uri();
        let target = uri.scheme_str().map_or(0, |s| s.len() + 3)
            + uri.authority().map_or(0, |a| a.as_str().len())
            + uri.path_and_query().map_or(0, |p| p.as_str().len());
        let version = "HTTP/1.1".len();
        match *self {
            HeadLimits::Nginx {
                first,
                large,
                count,
            } => {
                let mut buffers = Buffers {
                    room: first,
                    large,
                    left: count,
                };
                if !buffers.place(method + 1 + target + 1 + version + 2) {
                    return Some(TooLarge::RequestLine);
                }
                let lines = req
                    .headers()
                    .iter()
                    .map(|(n, v)| n.as_str().len() + v.len() + 4);
                for len in lines.chain(std::iter::once(2)) {
                    if !buffers.place(len) {
                        return Some(TooLarge::Header);
                    }
                }
                None
            }
            HeadLimits::Haproxy { room, lines } => {
                let headers = req.headers();
                if headers.len() > lines {
                    return Some(TooLarge::Buffer);
                }
                let text: usize = headers
                    .iter()
                    .map(|(n, v)| n.as_str().len() + v.len())
                    .sum();
                let htx = method + target + version + text + HTX_BLOCK * (headers.len() + 2);
                (htx > room).then_some(TooLarge::Buffer)
            }
        }
    }
}

/// nginx's header buffers as a head's lines fill them.
struct Buffers {
    /// Bytes left in the current buffer.
    room: usize,
    large: usize,
    /// Large buffers not yet taken.
    left: usize,
}

impl Buffers {
    /// Puts a line of `len` bytes (CRLF included): where it does not fit the rest of the
    /// current buffer, nginx moves it to a fresh large buffer, and refuses the head when none
    /// is left or the line is longer than one.
    fn place(&mut self, len: usize) -> bool {
        if len <= self.room {
            self.room -= len;
            return true;
        }
        if len > self.large || self.left == 0 {
            return false;
        }
        self.left -= 1;
        self.room = self.large - len;
        true
    }
}

/// The answer to a head too large, closing the connection as nginx and HAProxy do.
pub fn answer(why: TooLarge) -> Response<Body> {
    let mut r = match why {
        TooLarge::RequestLine => respond::error(StatusCode::URI_TOO_LONG),
        TooLarge::Header => respond::error_titled(
            StatusCode::BAD_REQUEST,
            "400 Request Header Or Cookie Too Large",
            "Request Header Or Cookie Too Large",
        ),
        TooLarge::Buffer => respond::error(StatusCode::BAD_REQUEST),
    };
    r.headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    r
}

fn positive_size(s: &str) -> Option<usize> {
    Size::parse_nginx(s)
        .filter(|s| s.0 > 0)
        .and_then(|s| usize::try_from(s.0).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(target: &str, headers: &[(&str, String)]) -> Request<()> {
        let mut b = Request::builder().uri(target);
        for (n, v) in headers {
            b = b.header(*n, v.as_str());
        }
        b.body(()).unwrap()
    }

    #[test]
    fn nginx_lines_up_to_a_large_buffer_pass() {
        // "GET " + target + " HTTP/1.1\r\n": 8192 bytes fit, 8193 do not.
        let fits = format!("/{}", "a".repeat(8192 - 16));
        let over = format!("/{}", "a".repeat(8193 - 16));
        let l = HeadLimits::NGINX;
        assert_eq!(l.check(&request(&fits, &[])), None);
        assert_eq!(l.check(&request(&over, &[])), Some(TooLarge::RequestLine));
        // "x-a: " + value + "\r\n"
        let fits = [("x-a", "b".repeat(8192 - 7))];
        let over = [("x-a", "b".repeat(8193 - 7))];
        assert_eq!(l.check(&request("/", &fits)), None);
        assert_eq!(l.check(&request("/", &over)), Some(TooLarge::Header));
    }

    #[test]
    fn nginx_runs_out_of_buffers() {
        // Lines of 5,000 bytes: one per large buffer, so the fifth has none left.
        let line = |i: usize| (["h1", "h2", "h3", "h4", "h5"][i], "v".repeat(5000 - 8));
        let four: Vec<_> = (0..4).map(line).collect();
        let five: Vec<_> = (0..5).map(line).collect();
        let l = HeadLimits::NGINX;
        assert_eq!(l.check(&request("/", &four)), None);
        assert_eq!(l.check(&request("/", &five)), Some(TooLarge::Header));
    }

    #[test]
    fn haproxy_counts_lines_and_htx_bytes() {
        let l = HeadLimits::Haproxy {
            room: 16384 - 1024 - HTX_MESSAGE,
            lines: 101,
        };
        let names: Vec<String> = (0..102).map(|i| format!("x-{i}")).collect();
        let many: Vec<_> = names
            .iter()
            .map(|n| (n.as_str(), "v".to_string()))
            .collect();
        assert_eq!(l.check(&request("/", &many[..101])), None);
        assert_eq!(l.check(&request("/", &many)), Some(TooLarge::Buffer));
        // Measured: a request line of 15,266 bytes with `Host: x` and `Connection: close`
        // passes, one more byte does not.
        let host = [
            ("host", "x".to_string()),
            ("connection", "close".to_string()),
        ];
        let fits = format!("/{}", "a".repeat(15266 - 16));
        let over = format!("/{}", "a".repeat(15267 - 16));
        assert_eq!(l.check(&request(&fits, &host)), None);
        assert_eq!(l.check(&request(&over, &host)), Some(TooLarge::Buffer));
    }
}
