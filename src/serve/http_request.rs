//! A HAProxy frontend's `http-request` rules and `redirect` rules, run as HAProxy 2.6 runs
//! them before it picks a backend: the `http-request` rules in order, then the `redirect`
//! ones; a rule whose condition fails is skipped, the first answering one (`deny`,
//! `redirect`, `return`) answers. `set-header`, `add-header` and `del-header` change the
//! request the backend gets. Before them all, `monitor-uri` answers 200 (503 under a
//! `monitor fail` condition). Answers are HAProxy's, page for page.

use hyper::header::{HeaderName, HeaderValue, CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use std::net::SocketAddr;

use hyper::{Request, Response, StatusCode};

use crate::ir::{Opaque, Origin};

use super::acl::{Acls, Condition, Sample};
use super::respond::{full, Body};
use super::support::Findings;

/// The rule keywords read here.
pub const READ: &[&str] = &[
    "http-request",
    "redirect",
    "monitor-uri",
    "monitor",
    "http-response",
];

/// A frontend's `http-response` rules: header changes on the responses of its servers (not on
/// HAProxy's or lbc's own answers), in order. Conditions are refused (they may read the
/// response, which lbc's ACLs do not).
pub struct ResponseRules(Vec<Action>);

/// The rules a section runs where HAProxy runs a backend's (or a named defaults section's):
/// `http-request` and `redirect` on the request, `http-response` on the response.
#[derive(Default)]
pub struct BackendRules {
    pub request: Option<Rules>,
    pub response: Option<ResponseRules>,
}

impl BackendRules {
    /// The rules among `opaque`, with `acls`, after those of the named `defaults` section
    /// the section inherits (compiled with that section's own ACLs).
    pub fn compile(
        inherited: Option<&crate::ir::Defaults>,
        acls: &[crate::ir::Acl],
        opaque: &[Opaque],
        f: &mut Findings,
    ) -> BackendRules {
        let first = match inherited {
            Some(d) => BackendRules::compile(None, &d.acls, &d.settings.opaque, f),
            None => BackendRules::default(),
        };
        let conditions = Rules::conditions(opaque);
        let conditions: Vec<&str> = conditions.iter().map(String::as_str).collect();
        let acls = Acls::compile(acls, &conditions, f);
        BackendRules {
            request: Rules::then(first.request, Rules::compile(opaque, &acls, f)),
            response: ResponseRules::then(first.response, ResponseRules::compile(opaque, f)),
        }
    }
}

impl ResponseRules {
    /// `first`'s rules, then `then`'s.
    pub fn then(
        first: Option<ResponseRules>,
        then: Option<ResponseRules>,
    ) -> Option<ResponseRules> {
        match (first, then) {
            (Some(mut a), Some(b)) => {
                a.0.extend(b.0);
                Some(a)
            }
            (a, b) => a.or(b),
        }
    }

    pub fn compile(opaque: &[Opaque], f: &mut Findings) -> Option<ResponseRules> {
        let mut rules = Vec::new();
        for o in opaque.iter().filter(|o| o.name == "http-response") {
            let args: Vec<&str> = o.args.iter().map(String::as_str).collect();
            if args.iter().any(|a| *a == "if" || *a == "unless") {
                f.refuse(o.origin, "`http-response` with a condition");
                continue;
            }
            let action = match args[..] {
                ["set-header" | "add-header" | "del-header", ..] => {
                    compile_action(&args, o.origin, f)
                }
                _ => {
                    let what = args.first().copied().unwrap_or("");
                    f.refuse(o.origin, format!("`http-response {what}`"));
                    None
                }
            };
            rules.extend(action);
        }
        (!rules.is_empty()).then_some(ResponseRules(rules))
    }

    /// Changes the headers of a server's response to the client at `remote` (accepted on
    /// `local`).
    pub fn run(&self, headers: &mut hyper::HeaderMap, remote: SocketAddr, local: SocketAddr) {
        for a in &self.0 {
            a.edit(headers, remote, local);
        }
    }
}

impl Action {
    /// Applies a header change (`set-header`, `add-header`, `del-header`) to `headers`; the
    /// other actions change nothing there.
    fn edit(&self, headers: &mut hyper::HeaderMap, remote: SocketAddr, local: SocketAddr) {
        match self {
            Action::SetHeader(n, v) => {
                headers.insert(n.clone(), v.render(remote, local));
            }
            Action::AddHeader(n, v) => {
                headers.append(n.clone(), v.render(remote, local));
            }
            Action::DelHeader(n) => {
                headers.remove(n);
            }
            _ => {}
        }
    }
}

enum Action {
    SetHeader(HeaderName, Value),
    AddHeader(HeaderName, Value),
    DelHeader(HeaderName),
    Deny(u16),
    Redirect {
        code: u16,
        to: Target,
        drop_query: bool,
    },
    Return {
        status: u16,
        content_type: Option<HeaderValue>,
        body: String,
        headers: Vec<(HeaderName, HeaderValue)>,
    },
}

enum Target {
    Scheme(String),
    Location(String),
    Prefix(String),
}

/// A frontend's rules, in HAProxy's order.
pub struct Rules {
    /// `monitor-uri`: the target answered 200 (503 when a `monitor fail` condition holds)
    /// before any rule runs.
    monitor: Option<(String, Vec<Condition>)>,
    rules: Vec<(Option<Condition>, Action)>,
}

impl Rules {
    /// The `http-request` and `redirect` entries among a frontend's `opaque` ones; `None` when
    /// it has none. A rule lbc cannot run is refused.
    pub fn compile(opaque: &[Opaque], acls: &Acls, f: &mut Findings) -> Option<Rules> {
        let http_request = opaque.iter().filter(|o| o.name == "http-request");
        let redirects = opaque.iter().filter(|o| o.name == "redirect");
        let mut rules = Vec::new();
        let mut monitor = None;
        let mut fails = Vec::new();
        for o in opaque.iter().filter(|o| o.name.starts_with("monitor")) {
            match (o.name.as_str(), &o.args[..]) {
                ("monitor-uri", [uri]) => monitor = Some(uri.clone()),
                ("monitor", [fail, rest @ ..]) if fail == "fail" && !rest.is_empty() => {
                    if let Some(c) = Condition::compile(&rest.join(" "), acls, o.origin, f) {
                        fails.push(c);
                    }
                }
                _ => f.refuse(o.origin, format!("`{} {}`", o.name, o.args.join(" "))),
            }
        }
        for o in http_request.chain(redirects) {
            let args: Vec<&str> = o.args.iter().map(String::as_str).collect();
            let (action, cond) = match args.iter().position(|a| *a == "if" || *a == "unless") {
                Some(i) => (&args[..i], Some(args[i..].join(" "))),
                None => (&args[..], None),
            };
            let action = if o.name == "redirect" {
                redirect(action, o.origin, f)
            } else {
                compile_action(action, o.origin, f)
            };
            let cond = match cond {
                Some(text) => match Condition::compile(&text, acls, o.origin, f) {
                    Some(c) => Some(c),
                    None => continue,
                },
                None => None,
            };
            if let Some(a) = action {
                rules.push((cond, a));
            }
        }
        let monitor = monitor.map(|uri| (uri, fails));
        (monitor.is_some() || !rules.is_empty()).then_some(Rules { monitor, rules })
    }

    /// `first`'s rules, then `then`'s (a named defaults section's before its proxy's); the
    /// proxy's `monitor-uri` over the inherited one.
    pub fn then(first: Option<Rules>, then: Option<Rules>) -> Option<Rules> {
        match (first, then) {
            (Some(mut a), Some(b)) => {
                a.rules.extend(b.rules);
                a.monitor = b.monitor.or(a.monitor);
                Some(a)
            }
            (a, b) => a.or(b),
        }
    }

    /// The conditions of every rule, for [`Acls::compile`] to know which ACLs are used.
    pub fn conditions(opaque: &[Opaque]) -> Vec<String> {
        opaque
            .iter()
            .filter(|o| READ.contains(&o.name.as_str()))
            .filter_map(|o| {
                let i = o.args.iter().position(|a| a == "if" || a == "unless")?;
                Some(o.args[i..].join(" "))
            })
            .collect()
    }

    /// Runs the rules over `req` (changing its headers): the answer of the first answering
    /// rule whose condition holds, if any.
    pub fn run<B>(
        &self,
        req: &mut Request<B>,
        remote: SocketAddr,
        local: SocketAddr,
        tls: bool,
    ) -> Option<Response<Body>> {
        let src = remote.ip();
        if let Some((uri, fails)) = &self.monitor {
            if req
                .uri()
                .path_and_query()
                .is_some_and(|p| p.as_str() == uri)
            {
                let sample = Sample::of(req, src, tls);
                let failed = fails.iter().any(|c| c.holds(&sample));
                return Some(page(if failed { 503 } else { 200 }));
            }
        }
        for (cond, action) in &self.rules {
            if let Some(c) = cond {
                if !c.holds(&Sample::of(req, src, tls)) {
                    continue;
                }
            }
            match action {
                Action::SetHeader(..) | Action::AddHeader(..) | Action::DelHeader(_) => {
                    action.edit(req.headers_mut(), remote, local);
                }
                Action::Deny(status) => return Some(page(*status)),
                Action::Redirect {
                    code,
                    to,
                    drop_query,
                } => {
                    let target = req.uri().path_and_query().map_or("/", |p| p.as_str());
                    let path = if *drop_query {
                        target.split('?').next().unwrap_or("/")
                    } else {
                        target
                    };
                    let location = match to {
                        Target::Location(url) => url.clone(),
                        Target::Prefix(p) => format!("{}{path}", p.trim_end_matches('/')),
                        Target::Scheme(s) => {
                            let host = req
                                .headers()
                                .get(hyper::header::HOST)
                                .and_then(|h| h.to_str().ok())
                                .unwrap_or("");
                            format!("{s}://{host}{path}")
                        }
                    };
                    let mut r = answer(*code, full(""));
                    if let Ok(v) = HeaderValue::from_str(&location) {
                        r.headers_mut().insert(LOCATION, v);
                    }
                    if matches!(code, 302 | 303 | 307) {
                        r.headers_mut()
                            .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
                    }
                    return Some(r);
                }
                Action::Return {
                    status,
                    content_type,
                    body,
                    headers,
                } => {
                    let mut r = answer(*status, full(body.clone()));
                    if let Some(ct) = content_type {
                        r.headers_mut().insert(CONTENT_TYPE, ct.clone());
                    }
                    for (n, v) in headers {
                        r.headers_mut().append(n.clone(), v.clone());
                    }
                    return Some(r);
                }
            }
        }
        None
    }
}

fn header_name(n: &str, origin: Origin, f: &mut Findings) -> Option<HeaderName> {
    let name = HeaderName::from_bytes(n.as_bytes()).ok();
    if name.is_none() {
        f.refuse(origin, format!("the header name `{n}`"));
    }
    name
}

/// A `set-header`/`add-header` value: HAProxy log-format text with the connection's
/// addresses (`%[src]`, `%[src_port]`, `%[dst]`, `%[dst_port]` and their short forms `%ci`,
/// `%cp`, `%fi`, `%fp`); other expressions are refused.
enum Value {
    Fixed(HeaderValue),
    Format(Vec<Piece>),
}

#[derive(Clone)]
enum Piece {
    Text(String),
    Src,
    SrcPort,
    Dst,
    DstPort,
}

/// The log-format forms lbc evaluates (`None`: a literal `%`).
const FORMS: &[(&str, Option<Piece>)] = &[
    ("%%", None),
    ("%[src]", Some(Piece::Src)),
    ("%[src_port]", Some(Piece::SrcPort)),
    ("%[dst]", Some(Piece::Dst)),
    ("%[dst_port]", Some(Piece::DstPort)),
    ("%ci", Some(Piece::Src)),
    ("%cp", Some(Piece::SrcPort)),
    ("%fi", Some(Piece::Dst)),
    ("%fp", Some(Piece::DstPort)),
];

impl Value {
    fn compile(v: &str, origin: Origin, f: &mut Findings) -> Option<Value> {
        if !v.replace("%%", "").contains('%') {
            return literal(v, origin, f).map(Value::Fixed);
        }
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut rest = v;
        while let Some(i) = rest.find('%') {
            text.push_str(&rest[..i]);
            rest = &rest[i..];
            let Some((form, piece)) = FORMS.iter().find(|(form, _)| rest.starts_with(form)) else {
                f.refuse(origin, format!("the log-format value `{v}`"));
                return None;
            };
            match piece {
                None => text.push('%'),
                Some(p) => {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                    pieces.push(p.clone());
                }
            }
            rest = &rest[form.len()..];
        }
        text.push_str(rest);
        pieces.push(Piece::Text(text));
        Some(Value::Format(pieces))
    }

    fn render(&self, remote: SocketAddr, local: SocketAddr) -> HeaderValue {
        match self {
            Value::Fixed(v) => v.clone(),
            Value::Format(pieces) => {
                let mut out = String::new();
                for p in pieces {
                    match p {
                        Piece::Text(t) => out.push_str(t),
                        Piece::Src => out.push_str(&remote.ip().to_string()),
                        Piece::SrcPort => out.push_str(&remote.port().to_string()),
                        Piece::Dst => out.push_str(&local.ip().to_string()),
                        Piece::DstPort => out.push_str(&local.port().to_string()),
                    }
                }
                HeaderValue::from_str(&out).unwrap_or(HeaderValue::from_static(""))
            }
        }
    }
}

/// A literal value: log-format expressions (`%[…]`, `%ci`, …) are not evaluated.
fn literal(v: &str, origin: Origin, f: &mut Findings) -> Option<HeaderValue> {
    if v.replace("%%", "").contains('%') {
        f.refuse(origin, format!("the log-format value `{v}`"));
        return None;
    }
    let v = HeaderValue::from_str(&v.replace("%%", "%")).ok();
    if v.is_none() {
        f.refuse(origin, "this header value");
    }
    v
}

fn compile_action(args: &[&str], origin: Origin, f: &mut Findings) -> Option<Action> {
    match args {
        ["set-header", n, v] => Some(Action::SetHeader(
            header_name(n, origin, f)?,
            Value::compile(v, origin, f)?,
        )),
        ["add-header", n, v] => Some(Action::AddHeader(
            header_name(n, origin, f)?,
            Value::compile(v, origin, f)?,
        )),
        ["del-header", n] => Some(Action::DelHeader(header_name(n, origin, f)?)),
        ["deny"] => Some(Action::Deny(403)),
        ["deny", "deny_status", s] => match s
            .parse()
            .ok()
            .filter(|s| haproxy_page(*s).is_some_and(|(_, text)| !text.is_empty()))
        {
            Some(s) => Some(Action::Deny(s)),
            None => {
                f.refuse(
                    origin,
                    format!("`deny_status {s}` (no HAProxy page for it)"),
                );
                None
            }
        },
        ["redirect", rest @ ..] => redirect(rest, origin, f),
        ["return", rest @ ..] => return_action(rest, origin, f),
        _ => {
            let what = args.first().copied().unwrap_or("");
            f.refuse(origin, format!("`http-request {what}`"));
            None
        }
    }
}

/// `scheme|location|prefix TO [code N] [drop-query]`.
fn redirect(args: &[&str], origin: Origin, f: &mut Findings) -> Option<Action> {
    let (to, mut rest) = match args {
        ["scheme", s, rest @ ..] => (Target::Scheme(s.to_string()), rest),
        ["location", l, rest @ ..] => (Target::Location(l.to_string()), rest),
        ["prefix", p, rest @ ..] => (Target::Prefix(p.to_string()), rest),
        _ => {
            f.refuse(origin, format!("`redirect {}`", args.join(" ")));
            return None;
        }
    };
    let (mut code, mut drop_query) = (302, false);
    while let Some((first, tail)) = rest.split_first() {
        match (*first, tail) {
            ("code", [c, t @ ..]) if matches!(*c, "301" | "302" | "303" | "307" | "308") => {
                code = c.parse().unwrap_or(302);
                rest = t;
            }
            ("drop-query", t) => {
                drop_query = true;
                rest = t;
            }
            _ => {
                f.refuse(origin, format!("the redirect option `{first}`"));
                return None;
            }
        }
    }
    let (Target::Scheme(v) | Target::Location(v) | Target::Prefix(v)) = &to;
    if v.contains('%') {
        f.refuse(origin, format!("the log-format value `{v}`"));
        return None;
    }
    Some(Action::Redirect {
        code,
        to,
        drop_query,
    })
}

/// `[status N] [content-type T] [string TEXT] [hdr NAME VALUE]…`.
fn return_action(mut args: &[&str], origin: Origin, f: &mut Findings) -> Option<Action> {
    let (mut status, mut content_type, mut body, mut headers) = (200, None, None, Vec::new());
    while let Some((first, tail)) = args.split_first() {
        match (*first, tail) {
            ("status", [s, t @ ..]) => {
                let Some(code) = s.parse().ok().filter(|s| (200..600).contains(s)) else {
                    f.refuse(origin, format!("`return status {s}`"));
                    return None;
                };
                status = code;
                args = t;
            }
            ("content-type", [c, t @ ..]) => {
                content_type = Some(literal(c, origin, f)?);
                args = t;
            }
            ("string", [s, t @ ..]) => {
                body = Some(s.to_string());
                args = t;
            }
            ("hdr", [n, v, t @ ..]) => {
                headers.push((header_name(n, origin, f)?, literal(v, origin, f)?));
                args = t;
            }
            _ => {
                f.refuse(origin, format!("the return option `{first}`"));
                return None;
            }
        }
    }
    if body.is_some() && content_type.is_none() {
        f.refuse(
            origin,
            "`return … string` without `content-type` (HAProxy refuses it too)",
        );
        return None;
    }
    Some(Action::Return {
        status,
        content_type,
        body: body.unwrap_or_default(),
        headers,
    })
}

/// A response with HAProxy's reason phrase for `status`.
fn answer(status: u16, body: Body) -> Response<Body> {
    let mut r = Response::new(body);
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    if let Some((reason, _)) = haproxy_page(status) {
        r.extensions_mut()
            .insert(hyper::ext::ReasonPhrase::from_static(reason.as_bytes()));
    }
    r.extensions_mut().insert(super::respond::OwnAnswer);
    r
}

/// HAProxy's own page for `status`, as `http-request deny` sends it.
fn page(status: u16) -> Response<Body> {
    let (reason, text) = haproxy_page(status).unwrap_or(("Forbidden", ""));
    let body = format!("<html><body><h1>{status} {reason}</h1>\n{text}\n</body></html>\n");
    let mut r = answer(status, full(body));
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
    if matches!(status, 400 | 408) {
        r.headers_mut()
            .insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
    }
    r
}

/// HAProxy 2.6's reason phrases and page texts (`http_err_msgs`).
/// HAProxy's own page for `status` as it writes it on the wire (for answers written outside
/// hyper, such as the 408 to a late request head).
pub fn raw_page(status: u16) -> Vec<u8> {
    let (reason, text) = haproxy_page(status).unwrap_or(("Error", ""));
    let body = format!("<html><body><h1>{status} {reason}</h1>\n{text}\n</body></html>\n");
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-length: {}\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn haproxy_page(status: u16) -> Option<(&'static str, &'static str)> {
    Some(match status {
        200 => ("OK", "Service ready."),
        301 => ("Moved Permanently", ""),
        302 => ("Found", ""),
        303 => ("See Other", ""),
        307 => ("Temporary Redirect", ""),
        308 => ("Permanent Redirect", ""),
        400 => ("Bad request", "Your browser sent an invalid request."),
        401 => ("Unauthorized", "You need a valid user and password to access this content."),
        403 => ("Forbidden", "Request forbidden by administrative rules."),
        404 => ("Not Found", "The resource could not be found."),
        405 => (
            "Method Not Allowed",
            "A request was made of a resource using a request method not supported by that resource",
        ),
        407 => ("Unauthorized", "You need a valid user and password to access this content."),
        408 => ("Request Time-out", "Your browser didn't send a complete request in time."),
        410 => (
            "Gone",
            "The resource is no longer available and will not be available again.",
        ),
        413 => ("Payload Too Large", "The request entity exceeds the maximum allowed."),
        425 => ("Too Early", "Your browser sent early data."),
        429 => (
            "Too Many Requests",
            "You have sent too many requests in a given amount of time.",
        ),
        500 => ("Internal Server Error", "An internal server error occurred."),
        501 => (
            "Not Implemented",
            ".The server does not support the functionality required to fulfill the request.",
        ),
        502 => (
            "Bad Gateway",
            "The server returned an invalid or incomplete response.",
        ),
        503 => (
            "Service Unavailable",
            "No server is available to handle this request.",
        ),
        504 => ("Gateway Time-out", "The server didn't respond in time."),
        _ => return None,
    })
}
