//! Headers: `proxy_set_header` values compiled into templates of literal text and the nginx
//! variables the runtime knows, nginx's default `Host $proxy_host`, the hop-by-hop headers that
//! never cross a proxy; and on the response side `add_header` and `expires` (nginx's headers
//! filter: only for 200/201/204/206/301/302/303/304/307/308 unless `always`).

use std::sync::Arc;

use hyper::header::{HeaderMap, HeaderName, HeaderValue, CONNECTION, HOST};

use super::support::Findings;
use super::{upvars, uservars};
use crate::ir::Header;
use crate::serve::vars::{self, split as split_vars, Piece};

/// The request headers nginx's proxy does not pass on: its default `proxy_set_header`s clear
/// `TE`, `Keep-Alive`, `Expect` and `Upgrade` and set `Connection` (a `proxy_set_header` of
/// the configuration sets them afterwards), and the body goes with its own framing. The other
/// hop-by-hop headers (`Proxy-*`, `Trailer`, the names `Connection` lists) pass, as in nginx.
/// Names, not strings: a lookup by string parses the name first.
static CLEARED: [HeaderName; 6] = [
    hyper::header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    hyper::header::TE,
    hyper::header::UPGRADE,
    hyper::header::EXPECT,
    hyper::header::TRANSFER_ENCODING,
];

/// A header value: literal pieces and variables.
#[derive(Debug, Clone, Default)]
pub struct Template(Vec<Part>);

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Host,
    HttpHeader(HeaderName),
    RemoteAddr,
    ProxyAddXForwardedFor,
    Scheme,
    /// `$https`: `on` on a TLS listener, else empty.
    Https,
    ProxyHost,
    RequestUri,
    ServerPort,
    /// `$uri` (response side and `return` only).
    Uri,
    /// `$args` (response side and `return` only).
    Args,
    /// `$is_args`: `?` when there are arguments (response side and `return` only).
    IsArgs,
    /// `$arg_NAME`: the first argument of that name (without case), as sent.
    Arg(String),
    RemotePort,
    ServerAddr,
    Method,
    Protocol,
    /// `$request`: the request line (method, original URI, protocol).
    Request,
    ServerName,
    /// `$hostname`, `$pid`: facts of the process, fixed when compiled.
    Fixed(String),
    /// `$msec`, `$time_iso8601`, `$time_local`: the time when rendered.
    Time(super::log::Clock),
    /// `$cookie_NAME`.
    Cookie(String),
    /// `$upstream_addr` and the like (response side only).
    Upstream(upvars::Var),
    /// A `set` variable's slot (empty until set).
    Set(u32),
    Map(Arc<uservars::Map>),
    Geo(Arc<uservars::Geo>),
    Split(Arc<uservars::Split>),
    /// `$1`…`$9`: a group of the last regex match (empty when there is none, as in nginx).
    Capture(usize),
    /// `$sent_http_NAME`: a header of the response (empty before there is one, as in
    /// nginx: read by `add_header`, `expires` and the maps they read).
    Sent(HeaderName),
    RequestId,
    SslProtocol,
    SslCipher,
    SslServerName,
}

/// What a request has besides its head: the TLS session it came over and its `$request_id`.
#[derive(Debug, Default)]
pub struct Session {
    pub tls: Option<Arc<super::tls::Facts>>,
    /// 32 hex digits when some value reads `$request_id` (else empty).
    pub request_id: String,
}

/// Whether a value or log format of the plans read `$request_id` (then each request gets
/// one; set while planning).
pub static REQUEST_ID_READ: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

impl Session {
    /// The session of a request over `tls`: a fresh `$request_id` when one is read.
    pub fn new(tls: Option<Arc<super::tls::Facts>>) -> Session {
        let request_id = if REQUEST_ID_READ.load(std::sync::atomic::Ordering::Relaxed) {
            request_id()
        } else {
            String::new()
        };
        Session { tls, request_id }
    }

    fn ssl(&self, f: impl Fn(&super::tls::Facts) -> &str) -> &str {
        self.tls.as_deref().map_or("", f)
    }
}

/// 16 random bytes in hex (nginx's `$request_id`): SipHash with the process's random keys
/// over a per-thread counter.
fn request_id() -> String {
    use std::cell::Cell;
    use std::hash::{BuildHasher, Hasher};
    thread_local! {
        static KEYS: (std::collections::hash_map::RandomState, Cell<u64>) =
            (std::collections::hash_map::RandomState::new(), Cell::new(0));
    }
    KEYS.with(|(keys, n)| {
        let mut out = String::with_capacity(32);
        for half in 0..2u64 {
            let mut h = keys.build_hasher();
            h.write_u64(n.get());
            h.write_u64(half);
            let _ = std::fmt::Write::write_fmt(&mut out, format_args!("{:016x}", h.finish()));
        }
        n.set(n.get().wrapping_add(1));
        out
    })
}

/// The variables only some phases know.
#[derive(Default, Clone, Copy)]
pub struct Extra<'a> {
    pub uri: &'a str,
    pub args: &'a str,
    /// The servers the proxy tried, if it ran.
    pub upstream: Option<&'a upvars::Trail>,
    /// `$1`…`$9`: the groups of the last regex that ran (the regex location, then each `if`
    /// or `rewrite` regex; a `map` regex for its own value), as nginx keeps them.
    pub captures: &'a [String],
    /// The response's headers, once there is a response (the headers filter).
    pub response: Option<&'a HeaderMap>,
}

/// What variables expand to for one request.
pub struct Vars<'a> {
    pub request: &'a HeaderMap,
    /// `$host`: the Host header without port, lowercased, else the first server name.
    pub host: &'a str,
    /// `$remote_addr`, formatted only where a template reads it.
    pub remote_addr: std::net::IpAddr,
    pub proxy_host: &'a str,
    pub request_uri: &'a str,
    pub server_port: u16,
    /// `$scheme`: `http`, or `https` on a TLS listener.
    pub scheme: &'a str,
    /// The values of the `set` variables, by slot.
    pub set: &'a [String],
    pub remote_port: u16,
    /// `$server_addr`: the address the connection came in on.
    pub server_addr: std::net::IpAddr,
    /// `$request_method`.
    pub method: &'a str,
    /// `$server_protocol`: `HTTP/1.1`, …
    pub protocol: &'static str,
    /// `$server_name`: the virtual host's first name.
    pub server_name: &'a str,
    pub session: &'a Session,
}

/// `$server_protocol` of a request.
pub fn protocol(v: hyper::Version) -> &'static str {
    match v {
        hyper::Version::HTTP_10 => "HTTP/1.0",
        hyper::Version::HTTP_2 => "HTTP/2.0",
        _ => "HTTP/1.1",
    }
}

impl Template {
    /// A value without variables.
    pub fn literal(text: &str) -> Template {
        Template(vec![Part::Text(text.to_string())])
    }

    /// The request headers the template reads (`$http_NAME`, `$proxy_add_x_forwarded_for`),
    /// through the maps it reads too.
    pub fn header_names(&self) -> Vec<HeaderName> {
        let mut out = Vec::new();
        self.visit(&mut |p| match p {
            Part::HttpHeader(n) => out.push(n.clone()),
            Part::ProxyAddXForwardedFor => out.push(HeaderName::from_static("x-forwarded-for")),
            Part::Cookie(_) => out.push(hyper::header::COOKIE),
            _ => {}
        });
        out
    }

    /// Calls `f` with every part, and the parts of the maps and geos it reads.
    fn visit(&self, f: &mut impl FnMut(&Part)) {
        for p in &self.0 {
            f(p);
            match p {
                Part::Map(m) => m.templates().for_each(|t| t.visit(f)),
                Part::Geo(g) => g.source().into_iter().for_each(|t| t.visit(f)),
                Part::Split(s) => s.source().visit(f),
                _ => {}
            }
        }
    }

    /// Whether it reads something of the response side (`$upstream_*`).
    fn reads_upstream(&self) -> bool {
        let mut found = false;
        self.visit(&mut |p| found |= matches!(p, Part::Upstream(_)));
        found
    }

    /// Renders the value with the request's variables and those only some phases know.
    pub fn render_ext(&self, v: &Vars, x: &Extra) -> String {
        let mut out = String::new();
        self.render_into(v, x, &mut out);
        out
    }

    pub fn render_into(&self, v: &Vars, x: &Extra, out: &mut String) {
        for p in &self.0 {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Host => out.push_str(v.host),
                Part::HttpHeader(name) => out.push_str(
                    v.request
                        .get(name)
                        .and_then(|h| h.to_str().ok())
                        .unwrap_or(""),
                ),
                Part::RemoteAddr => {
                    let _ = std::fmt::Write::write_fmt(out, format_args!("{}", v.remote_addr));
                }
                Part::ProxyAddXForwardedFor => {
                    let previous: Vec<&str> = v
                        .request
                        .get_all("x-forwarded-for")
                        .iter()
                        .filter_map(|h| h.to_str().ok())
                        .collect();
                    for p in previous {
                        out.push_str(p);
                        out.push_str(", ");
                    }
                    let _ = std::fmt::Write::write_fmt(out, format_args!("{}", v.remote_addr));
                }
                Part::Scheme => out.push_str(v.scheme),
                Part::Https if v.scheme == "https" => out.push_str("on"),
                Part::Https => {}
                Part::ProxyHost => out.push_str(v.proxy_host),
                Part::RequestUri => out.push_str(v.request_uri),
                Part::ServerPort => out.push_str(&v.server_port.to_string()),
                Part::Uri => out.push_str(x.uri),
                Part::Args => out.push_str(x.args),
                Part::IsArgs if !x.args.is_empty() => out.push('?'),
                Part::IsArgs => {}
                Part::Arg(name) => out.push_str(vars::arg(x.args, name).unwrap_or("")),
                Part::RemotePort => out.push_str(&v.remote_port.to_string()),
                Part::ServerAddr => out.push_str(&v.server_addr.to_string()),
                Part::Method => out.push_str(v.method),
                Part::Protocol => out.push_str(v.protocol),
                Part::Request => {
                    let _ = std::fmt::Write::write_fmt(
                        out,
                        format_args!("{} {} {}", v.method, v.request_uri, v.protocol),
                    );
                }
                Part::ServerName => out.push_str(v.server_name),
                Part::Fixed(text) => out.push_str(text),
                Part::Time(clock) => out.push_str(&clock.now()),
                Part::Cookie(name) => out.push_str(vars::cookie(v.request, name).unwrap_or("")),
                Part::Upstream(var) => {
                    if let Some(t) = x.upstream {
                        out.push_str(&t.render(*var));
                    }
                }
                Part::Set(i) => out.push_str(v.set.get(*i as usize).map_or("", String::as_str)),
                Part::Map(m) => m.render(v, x, out),
                Part::Geo(g) => g.render(v, x, out),
                Part::Split(s) => s.render(v, x, out),
                Part::Capture(n) => out.push_str(x.captures.get(*n).map_or("", String::as_str)),
                Part::RequestId => out.push_str(&v.session.request_id),
                Part::SslProtocol => out.push_str(v.session.ssl(|t| t.protocol)),
                Part::SslCipher => out.push_str(v.session.ssl(|t| t.cipher)),
                Part::SslServerName => out.push_str(v.session.ssl(|t| &t.server_name)),
                Part::Sent(name) => out.push_str(
                    x.response
                        .and_then(|h| h.get(name))
                        .and_then(|h| h.to_str().ok())
                        .unwrap_or(""),
                ),
            }
        }
    }
}

/// Compiles `proxy_set_header` entries, adding nginx's `Host $proxy_host` unless `Host` is set.
/// `None` (with a refusal) when a value uses a variable the runtime does not know.
/// One `proxy_set_header` as the requests of a target get it: fixed when its value reads no
/// request variable (nginx's defaults `Host $proxy_host` and `Connection close`, and
/// `Connection ""`), rendered per request otherwise.
#[derive(Debug, Clone)]
pub enum SetHeader {
    /// An empty value: the header is removed, as in nginx.
    Remove,
    Fixed(HeaderValue),
    Render(Template),
}

/// Compiles a target's `proxy_set_header` list (nginx's `Host $proxy_host` and `Connection
/// close` added when it has none), fixing what `proxy_host` (the target's `$proxy_host`) settles.
pub fn compile(
    headers: &[Header],
    proxy_host: &str,
    f: &mut Findings,
) -> Option<Vec<(HeaderName, SetHeader)>> {
    compile_with(headers, Some(proxy_host), f)
}

/// Compiles a `proxy_set_header` list whose `$proxy_host` is known per request only
/// (`proxy_pass` with variables).
pub fn compile_per_request(
    headers: &[Header],
    f: &mut Findings,
) -> Option<Vec<(HeaderName, SetHeader)>> {
    compile_with(headers, None, f)
}

fn compile_with(
    headers: &[Header],
    proxy_host: Option<&str>,
    f: &mut Findings,
) -> Option<Vec<(HeaderName, SetHeader)>> {
    let mut out = Vec::new();
    let mut ok = true;
    for h in headers {
        let Ok(name) = HeaderName::from_bytes(h.name.as_bytes()) else {
            f.refuse(h.origin, format!("the header name `{}`", h.name));
            ok = false;
            continue;
        };
        match template(&h.value) {
            Ok(t) if t.reads_upstream() => {
                f.refuse(h.origin, "`$upstream_*` in `proxy_set_header`");
                ok = false;
            }
            Ok(t) => out.push((name, t)),
            Err(var) => {
                f.refuse(h.origin, format!("the variable `${var}`"));
                ok = false;
            }
        }
    }
    if !out.iter().any(|(n, _)| n == HOST) {
        out.insert(0, (HOST, Template(vec![Part::ProxyHost])));
    }
    // nginx's default `proxy_set_header Connection close`: a kept-alive upstream connection
    // takes `proxy_set_header Connection ""` (and `proxy_http_version 1.1`).
    if !out.iter().any(|(n, _)| n == CONNECTION) {
        out.insert(1, (CONNECTION, Template(vec![Part::Text("close".into())])));
    }
    let fixed = |t: Template| {
        let mut text = String::new();
        for p in &t.0 {
            match p {
                Part::Text(s) => text.push_str(s),
                Part::ProxyHost => match proxy_host {
                    Some(h) => text.push_str(h),
                    None => return SetHeader::Render(t),
                },
                _ => return SetHeader::Render(t),
            }
        }
        if text.is_empty() {
            return SetHeader::Remove;
        }
        // A value no header can carry is dropped per request, as before.
        HeaderValue::from_str(&text).map_or(SetHeader::Render(t), SetHeader::Fixed)
    };
    ok.then(|| out.into_iter().map(|(n, t)| (n, fixed(t))).collect())
}

/// Splits a value into text and variables (`$name` or `${name}`); `Err` names an unknown one.
pub fn template(value: &str) -> Result<Template, String> {
    let mut parts = Vec::new();
    for piece in split_vars(value).map_err(str::to_string)? {
        let name = match piece {
            Piece::Text(t) => {
                parts.push(Part::Text(t.to_string()));
                continue;
            }
            Piece::Var(name) => name,
        };
        parts.push(match name {
            "host" => Part::Host,
            "remote_addr" => Part::RemoteAddr,
            "proxy_add_x_forwarded_for" => Part::ProxyAddXForwardedFor,
            "scheme" => Part::Scheme,
            "https" => Part::Https,
            "proxy_host" => Part::ProxyHost,
            "request_uri" => Part::RequestUri,
            "server_port" => Part::ServerPort,
            "uri" | "document_uri" => Part::Uri,
            "args" | "query_string" => Part::Args,
            "is_args" => Part::IsArgs,
            n if upvars::Var::parse(n).is_some() => {
                Part::Upstream(upvars::Var::parse(n).ok_or_else(|| n.to_string())?)
            }
            "remote_port" => Part::RemotePort,
            "server_addr" => Part::ServerAddr,
            "request_method" => Part::Method,
            "server_protocol" => Part::Protocol,
            "request" => Part::Request,
            "server_name" => Part::ServerName,
            "request_id" => {
                REQUEST_ID_READ.store(true, std::sync::atomic::Ordering::Relaxed);
                Part::RequestId
            }
            "ssl_protocol" => Part::SslProtocol,
            "ssl_cipher" => Part::SslCipher,
            "ssl_server_name" => Part::SslServerName,
            "hostname" => Part::Fixed(super::log::hostname()),
            "pid" => Part::Fixed(std::process::id().to_string()),
            "content_type" => Part::HttpHeader(hyper::header::CONTENT_TYPE),
            "content_length" => Part::HttpHeader(hyper::header::CONTENT_LENGTH),
            n if super::log::Clock::parse(n).is_some() => {
                Part::Time(super::log::Clock::parse(n).ok_or_else(|| n.to_string())?)
            }
            n if n.starts_with("arg_") => Part::Arg(n["arg_".len()..].to_string()),
            n if n.starts_with("cookie_") => Part::Cookie(n["cookie_".len()..].to_string()),
            n if n.starts_with("http_") => {
                let header = n["http_".len()..].replace('_', "-");
                Part::HttpHeader(
                    HeaderName::from_bytes(header.as_bytes()).map_err(|_| n.to_string())?,
                )
            }
            n if n.starts_with("sent_http_") || n.starts_with("upstream_http_") => {
                let header = n.split_once("http_").map_or("", |x| x.1).replace('_', "-");
                Part::Sent(HeaderName::from_bytes(header.as_bytes()).map_err(|_| n.to_string())?)
            }
            n => match uservars::lookup(n) {
                Some(uservars::Var::Set(i)) => Part::Set(i),
                Some(uservars::Var::Map(m)) => Part::Map(m),
                Some(uservars::Var::Geo(g)) => Part::Geo(g),
                Some(uservars::Var::Split(s)) => Part::Split(s),
                None => match n.parse::<usize>() {
                    Ok(i) if (1..=9).contains(&i) => Part::Capture(i),
                    _ => return Err(n.to_string()),
                },
            },
        });
    }
    Ok(Template(parts))
}

/// The protocol an HTTP/1.1 request asks to switch to (`Upgrade`, with `upgrade` among the
/// `Connection` tokens).
pub fn asked_upgrade<B>(req: &hyper::Request<B>) -> Option<&HeaderValue> {
    let connection_says = req
        .headers()
        .get_all(CONNECTION)
        .iter()
        .any(|v| super::connect::has_token(v, "upgrade"));
    (req.version() == hyper::Version::HTTP_11 && connection_says)
        .then(|| req.headers().get(hyper::header::UPGRADE))
        .flatten()
}

/// Where `name` stands in [`CLEARED`]: one match on the name's text (a length switch and a
/// compare), not six `HeaderName` comparisons.
fn cleared(name: &str) -> Option<usize> {
    Some(match name {
        "connection" => 0,
        "keep-alive" => 1,
        "te" => 2,
        "upgrade" => 3,
        "expect" => 4,
        "transfer-encoding" => 5,
        _ => return None,
    })
}

/// Removes from a request's headers what nginx does not pass upstream ([`CLEARED`]): one pass
/// over the request's few names finds which are there.
pub fn strip_for_upstream(h: &mut HeaderMap) {
    let mut present = 0u8;
    for name in h.keys() {
        if let Some(i) = cleared(name.as_str()) {
            present |= 1 << i;
        }
    }
    for (i, n) in CLEARED.iter().enumerate() {
        if present & (1 << i) != 0 {
            h.remove(n);
        }
    }
}

/// Renders the values of `set` that depend on the request, in order, to [`set`] them (before
/// the request's own headers are stripped of hop-by-hop ones, which `$http_upgrade` may read).
pub fn render(set: &[(HeaderName, SetHeader)], v: &Vars, x: &Extra) -> Vec<String> {
    set.iter()
        .filter_map(|(_, s)| match s {
            SetHeader::Render(t) => Some(t.render_ext(v, x)),
            _ => None,
        })
        .collect()
}

/// Sets `set`'s headers, `rendered` holding what [`render`] made of the request's: an empty
/// value removes the header, as in nginx.
pub fn set(h: &mut HeaderMap, set: &[(HeaderName, SetHeader)], rendered: Vec<String>) {
    let mut rendered = rendered.into_iter();
    for (name, s) in set {
        match s {
            SetHeader::Remove => {
                h.remove(name);
            }
            SetHeader::Fixed(v) => {
                h.insert(name.clone(), v.clone());
            }
            SetHeader::Render(_) => match rendered.next() {
                Some(v) if v.is_empty() => {
                    h.remove(name);
                }
                Some(v) => {
                    if let Ok(v) = HeaderValue::from_str(&v) {
                        h.insert(name.clone(), v);
                    }
                }
                None => {}
            },
        }
    }
}

/// One `add_header NAME VALUE [always]`.
#[derive(Debug, Clone)]
pub struct AddHeader {
    name: HeaderName,
    value: Template,
    always: bool,
}

impl AddHeader {
    /// The request headers its value reads.
    pub fn reads(&self) -> Vec<HeaderName> {
        self.value.header_names()
    }
}

/// The statuses nginx's headers filter touches without `always`.
fn headers_filter_status(status: u16) -> bool {
    matches!(
        status,
        200 | 201 | 204 | 206 | 301 | 302 | 303 | 304 | 307 | 308
    )
}

/// Compiles the `add_header` list of a scope (unknown variables are refused).
pub fn compile_add(headers: &[Header], f: &mut Findings) -> Vec<AddHeader> {
    let mut out = Vec::new();
    for h in headers {
        let Ok(name) = HeaderName::from_bytes(h.name.as_bytes()) else {
            f.refuse(h.origin, format!("the header name `{}`", h.name));
            continue;
        };
        match template(&h.value) {
            Ok(value) => out.push(AddHeader {
                name,
                value,
                always: h.always,
            }),
            Err(var) => f.refuse(h.origin, format!("the variable `${var}` in `add_header`")),
        }
    }
    out
}

/// An `expires` directive: its value, or a value with variables parsed per response (nginx
/// 1.7.9+; `$sent_http_content_type` through a `map` is the usual one).
#[derive(Debug, Clone)]
pub enum ExpiresRule {
    Fixed(Expires),
    Vary(Template),
}

impl ExpiresRule {
    /// `None` for a fixed value that is not one (or a value with unknown variables).
    pub fn compile(text: &str) -> Option<ExpiresRule> {
        if !text.contains('$') {
            return Expires::parse(text).map(ExpiresRule::Fixed);
        }
        template(text).ok().map(ExpiresRule::Vary)
    }

    fn apply(&self, h: &mut HeaderMap, v: &Vars, x: &Extra) {
        match self {
            ExpiresRule::Fixed(e) => e.apply(h),
            ExpiresRule::Vary(t) => {
                let text = t.render_ext(
                    v,
                    &Extra {
                        response: Some(h),
                        ..*x
                    },
                );
                match Expires::parse(&text) {
                    Some(e) => e.apply(h),
                    // nginx fails the response; lbc sends it without `Expires`.
                    None => eprintln!("lbc serve: invalid expires value \"{text}\""),
                }
            }
        }
    }
}

/// `expires`: how `Expires` and `Cache-Control` are set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Expires {
    Off,
    Epoch,
    Max,
    /// Seconds from now (negative: in the past).
    After(i64),
    /// Seconds from the file's modification time.
    Modified(i64),
}

impl Expires {
    /// `off`, `epoch`, `max`, `[modified] [-]TIME`; `None` for what is not supported (`@`).
    pub fn parse(text: &str) -> Option<Expires> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let (modified, value) = match words.as_slice() {
            ["modified", v] => (true, *v),
            [v] => (false, *v),
            _ => return None,
        };
        match value {
            "off" if !modified => return Some(Expires::Off),
            "epoch" if !modified => return Some(Expires::Epoch),
            "max" if !modified => return Some(Expires::Max),
            _ => {}
        }
        let (neg, v) = match value.strip_prefix('-') {
            Some(v) => (true, v),
            None => (false, value.strip_prefix('+').unwrap_or(value)),
        };
        let secs = i64::try_from(crate::ir::Duration::parse_nginx(v, 1000)?.0 / 1000).ok()?;
        let secs = if neg { -secs } else { secs };
        Some(if modified {
            Expires::Modified(secs)
        } else {
            Expires::After(secs)
        })
    }

    fn apply(self, h: &mut HeaderMap) {
        use std::time::{Duration, SystemTime, UNIX_EPOCH};
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs() as i64;
        let (expires, cache_control) = match self {
            Expires::Off => return,
            Expires::Epoch => (1, "no-cache".to_string()),
            Expires::Max => (2145916555, "max-age=315360000".to_string()),
            Expires::After(s) => (now.saturating_add(s), max_age(s)),
            Expires::Modified(s) => {
                let lm = h
                    .get(hyper::header::LAST_MODIFIED)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| httpdate::parse_http_date(v).ok())
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .map(|d| d.as_secs() as i64);
                let Some(lm) = lm else { return };
                let at = lm.saturating_add(s);
                (at, max_age(at.saturating_sub(now)))
            }
        };
        // HTTP dates end with the year 9999.
        let at = UNIX_EPOCH + Duration::from_secs(expires.clamp(0, 253_402_300_799) as u64);
        if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(at)) {
            h.insert(hyper::header::EXPIRES, v);
        }
        if let Ok(v) = HeaderValue::from_str(&cache_control) {
            h.insert(hyper::header::CACHE_CONTROL, v);
        }
    }
}

fn max_age(secs: i64) -> String {
    if secs < 0 {
        "no-cache".to_string()
    } else {
        format!("max-age={secs}")
    }
}

/// nginx's default `charset_types`.
const CHARSET_TYPES: &[&str] = &[
    "text/html",
    "text/xml",
    "text/plain",
    "text/vnd.wap.wml",
    "application/javascript",
    "application/rss+xml",
];

/// nginx's charset filter: `; charset=NAME` on a `Content-Type` of `charset_types` (`types`
/// and `text/html`, else nginx's default list; `*` is any) that names none (nginx's own redirect pages
/// excepted).
pub fn add_charset(h: &mut HeaderMap, charset: &str, types: Option<&[String]>, own_redirect: bool) {
    let Some(ct) = h
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return;
    };
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let listed = match types {
        // nginx always counts `text/html` in.
        Some(t) => mime == "text/html" || t.iter().any(|t| t == "*" || *t == mime),
        None => CHARSET_TYPES.contains(&mime.as_str()),
    };
    if own_redirect || ct.contains("charset=") || !listed {
        return;
    }
    if let Ok(v) = HeaderValue::from_str(&format!("{ct}; charset={charset}")) {
        h.insert(hyper::header::CONTENT_TYPE, v);
    }
}

/// nginx's headers filter on a response: `expires`, then `add_header` (an empty value adds
/// nothing).
pub fn filter_response(
    h: &mut HeaderMap,
    status: u16,
    expires: Option<&ExpiresRule>,
    add: &[AddHeader],
    v: &Vars,
    x: &Extra,
) {
    let normal = headers_filter_status(status);
    if normal {
        if let Some(e) = expires {
            e.apply(h, v, x);
        }
    }
    for a in add {
        if !(normal || a.always) {
            continue;
        }
        // `$sent_http_…` reads the response as the earlier lines left it.
        let value = a.value.render_ext(
            v,
            &Extra {
                response: Some(h),
                ..*x
            },
        );
        if value.is_empty() {
            continue;
        }
        if let Ok(value) = HeaderValue::from_str(&value) {
            h.append(a.name.clone(), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_expand_variables() {
        let mut req = HeaderMap::new();
        req.insert("x-forwarded-for", HeaderValue::from_static("10.0.0.1"));
        req.insert("user-agent", HeaderValue::from_static("t"));
        let v = Vars {
            request: &req,
            host: "example.com",
            remote_addr: std::net::Ipv4Addr::LOCALHOST.into(),
            proxy_host: "app",
            request_uri: "/x?y",
            server_port: 8080,
            scheme: "http",
            set: &[],
            remote_port: 5000,
            server_addr: std::net::Ipv4Addr::LOCALHOST.into(),
            method: "GET",
            protocol: "HTTP/1.1",
            server_name: "example.com",
            session: &Session::default(),
        };
        let t = template("$proxy_add_x_forwarded_for").unwrap();
        assert_eq!(t.render_ext(&v, &Extra::default()), "10.0.0.1, 127.0.0.1");
        let t = template("${host}:$server_port $http_user_agent").unwrap();
        assert_eq!(t.render_ext(&v, &Extra::default()), "example.com:8080 t");
        assert_eq!(
            template("$upstream_cache_status").unwrap_err(),
            "upstream_cache_status"
        );
    }

    #[test]
    fn what_nginx_clears_goes_and_the_rest_passes() {
        let mut h = HeaderMap::new();
        for (n, v) in [
            ("connection", "close, X-Session"),
            ("keep-alive", "timeout=5"),
            ("te", "trailers"),
            ("transfer-encoding", "chunked"),
            ("expect", "100-continue"),
            ("upgrade", "h2c"),
            ("proxy-authorization", "Basic eA=="),
            ("trailer", "X-T"),
            ("x-session", "1"),
            ("host", "a"),
        ] {
            h.append(n, HeaderValue::from_static(v));
        }
        strip_for_upstream(&mut h);
        let mut left: Vec<&str> = h.keys().map(|k| k.as_str()).collect();
        left.sort();
        assert_eq!(
            left,
            ["host", "proxy-authorization", "trailer", "x-session"]
        );
        let mut none = HeaderMap::new();
        none.insert("x-a", HeaderValue::from_static("1"));
        strip_for_upstream(&mut none);
        assert_eq!(none.len(), 1);
    }

    #[test]
    fn the_name_match_agrees_with_the_table() {
        for (i, n) in CLEARED.iter().enumerate() {
            assert_eq!(cleared(n.as_str()), Some(i), "{n}");
        }
        for n in [
            "host",
            "connectio",
            "x-connection",
            "trailer",
            "upgrade-insecure-requests",
        ] {
            assert_eq!(cleared(n), None, "{n}");
        }
    }
}

#[cfg(test)]
mod response_tests {
    use super::*;

    #[test]
    fn expires_forms() {
        assert_eq!(Expires::parse("1h"), Some(Expires::After(3600)));
        assert_eq!(Expires::parse("-1"), Some(Expires::After(-1)));
        assert_eq!(
            Expires::parse("modified +1d"),
            Some(Expires::Modified(86400))
        );
        assert_eq!(Expires::parse("max"), Some(Expires::Max));
        assert_eq!(Expires::parse("@15h"), None);
        let mut h = HeaderMap::new();
        Expires::Epoch.apply(&mut h);
        assert_eq!(h["expires"], "Thu, 01 Jan 1970 00:00:01 GMT");
        assert_eq!(h["cache-control"], "no-cache");
        Expires::Max.apply(&mut h);
        assert_eq!(h["expires"], "Thu, 31 Dec 2037 23:55:55 GMT");
    }
}
