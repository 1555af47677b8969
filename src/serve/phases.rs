//! The phases of one request, as nginx runs them for the location it picks: location matching
//! (nested and named locations, internal redirects from `index`, `try_files` and `error_page`,
//! `internal`), `client_max_body_size`, `return` (rewrite), `limit_req`/`limit_conn`
//! (preaccess, once per request), `allow`/`deny` (access), `try_files` (precontent), then the
//! content: static files, `stub_status` or the proxy.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use hyper::body::Incoming;
use hyper::header::HeaderMap;
use hyper::{Method, Request, Response, StatusCode};

use super::content::Scope;
use super::files::{self, Outcome};
use super::headers::{self, Extra, Vars};
use super::plan::{DynamicProxy, Handler, Host, Miss, ProxyTarget};
use super::proxy::{Context, Upstreams};
use super::respond::{self, Body};
use super::{acl, compress, head, limit, log, rewrite, status, upvars};

/// Where the next round of location matching starts.
enum Lookup {
    Uri,
    Named(String),
}

/// The per-request state that survives internal redirects.
struct Flow {
    /// The current URI, decoded and normalised.
    uri: String,
    args: Option<String>,
    method: Method,
    /// Limits run once per request, at the first location reached.
    limited: bool,
    /// The last internal redirect came from a location's rewrite (no server rewrites then).
    restart: bool,
    /// `auth_basic`'s challenge, kept on a 401 that `error_page` answers; `auth_request`'s,
    /// kept whatever answers (nginx set it on the response already).
    challenge: Option<hyper::header::HeaderValue>,
    challenge_kept: bool,
    slots: Vec<limit::ConnSlots>,
    /// The values of the `set` variables, by slot.
    set: Vec<String>,
    /// The groups of the last regex that ran (`$1`…).
    captures: Vec<String>,
    /// The `add_header` list of the `if` block the request is in, if it has its own.
    if_headers: Option<Arc<Vec<headers::AddHeader>>>,
    /// The response came from an upstream (`proxy_redirect` rewrites its `Location`).
    proxied: bool,
}

/// How a request arrived: its connection's addresses (`first`: the connection's first
/// request), the scheme, and the captures of the regex `server_name` that chose the server
/// (with the `set` slots of its named groups).
pub struct Arrival {
    pub remote: SocketAddr,
    pub local: SocketAddr,
    pub first: bool,
    pub scheme: &'static str,
    pub captured: Option<super::names::Captured>,
    /// The TLS session of the connection.
    pub tls: Option<Arc<super::tls::Facts>>,
}

/// What the handlers of a request need besides the request.
struct Cx<'a> {
    host: &'a Host,
    upstreams: &'a Upstreams,
    remote: SocketAddr,
    local: SocketAddr,
    /// The request is its connection's first.
    first: bool,
    host_var: &'a str,
    /// The port the request came in on, for absolute redirects.
    port: u16,
    request_uri: &'a str,
    /// `$scheme`: `https` on a TLS listener.
    scheme: &'static str,
    /// `$server_protocol`.
    protocol: &'static str,
    session: &'a headers::Session,
}

impl<'a> Cx<'a> {
    /// The variables of the request as the phases see it: its `request` headers, the `set`
    /// values and the method as they are now.
    fn vars<'v>(&'v self, request: &'v HeaderMap, set: &'v [String], method: &'v str) -> Vars<'v> {
        Vars {
            request,
            host: self.host_var,
            remote_addr: self.remote.ip(),
            proxy_host: "",
            request_uri: self.request_uri,
            server_port: self.local.port(),
            scheme: self.scheme,
            set,
            remote_port: self.remote.port(),
            server_addr: self.local.ip(),
            method,
            protocol: self.protocol,
            server_name: self.host.names.first().map_or("", String::as_str),
            session: self.session,
        }
    }
}

/// Answers one request for the virtual host `host` (`name`: the host it asked for): the
/// phases, then the response filters (`add_header`/`expires`, `charset`, gzip) and, when the
/// body is done, the access log line and the `limit_conn` slots.
// The connection's facts are plain parameters: bundled in a tuple, they made the compiler
// copy this future (10 KB) once per request (book: benchmarks).
#[allow(clippy::too_many_arguments)]
pub async fn serve(
    host: &Host,
    name: Option<String>,
    upstreams: &Upstreams,
    request: &mut Option<Request<Incoming>>,
    at: Arrival,
) -> (Response<Body>, Duration) {
    let Arrival {
        remote,
        local,
        first,
        scheme,
        captured,
        tls,
    } = at;
    let session = headers::Session::new(tls);
    let Some(req) = request.as_ref() else {
        return (
            respond::error(StatusCode::INTERNAL_SERVER_ERROR),
            host.scope.keepalive,
        );
    };
    let started = if host.logs {
        SystemTime::now()
    } else {
        SystemTime::UNIX_EPOCH
    };
    let remote = match &host.realip {
        Some(r) => r.client(remote, req.headers()),
        None => remote,
    };
    let host_var = name
        .or_else(|| host.names.first().cloned())
        .unwrap_or_default();
    let port = local.port();
    let version = req.version();
    let request_uri = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    // Only what the filters and the log read survives the hand-over to a proxy.
    let mut headers = HeaderMap::new();
    for name in &host.keeps_headers {
        for v in req.headers().get_all(name) {
            headers.append(name.clone(), v.clone());
        }
    }
    let mut flow = Flow {
        uri: String::new(),
        args: req.uri().query().map(str::to_string),
        method: req.method().clone(),
        limited: false,
        restart: false,
        challenge: None,
        challenge_kept: false,
        slots: Vec::new(),
        set: Vec::new(),
        captures: Vec::new(),
        if_headers: None,
        proxied: false,
    };
    // A regex `server_name`'s groups are the first captures; its named ones variables.
    if let Some(c) = captured {
        super::uservars::assign_named(&mut flow.set, &c.named, &c.groups);
        flow.captures = c.groups;
    }
    let method = flow.method.clone();
    let cx = Cx {
        host,
        upstreams,
        remote,
        local,
        first,
        host_var: &host_var,
        port,
        request_uri: &request_uri,
        scheme,
        protocol: headers::protocol(version),
        session: &session,
    };
    // A head larger than the proxy's buffers is answered before anything else, as the proxy
    // answers it while reading.
    let (mut resp, scope, status_override) =
        match (host.head.check(req), files::normalize(req.uri().path())) {
            (Some(why), _) => (head::answer(why), host.scope.clone(), None),
            (None, None) => (
                respond::error(StatusCode::BAD_REQUEST),
                host.scope.clone(),
                None,
            ),
            (None, Some(uri)) => {
                flow.uri = uri;
                route(&cx, &mut flow, request).await
            }
        };
    if let Some(code) = status_override.and_then(|c| StatusCode::from_u16(c).ok()) {
        *resp.status_mut() = code;
        if code != StatusCode::OK {
            resp.headers_mut().remove(hyper::header::ACCEPT_RANGES);
        }
        // The reason phrase follows the new status (a proxied one keeps the upstream's).
        respond::set_reason(&mut resp);
    }
    // `keepalive_timeout 0` (of the location that answered) closes the connection after the
    // response, as nginx does.
    let keepalive = scope.keepalive;
    if keepalive.is_zero() {
        resp.headers_mut().insert(
            hyper::header::CONNECTION,
            hyper::header::HeaderValue::from_static("close"),
        );
    }
    let status = resp.status().as_u16();
    if let Some(v) = flow
        .challenge
        .take()
        .filter(|_| status == 401 || flow.challenge_kept)
    {
        resp.headers_mut()
            .insert(hyper::header::WWW_AUTHENTICATE, v);
    }
    let trail = resp.extensions().get::<upvars::Trail>().cloned();
    // nginx's header filter sends `Last-Modified` with 200, 206 and 304 only.
    if !matches!(status, 200 | 206 | 304) {
        resp.headers_mut().remove(hyper::header::LAST_MODIFIED);
    }
    let add_headers = flow.if_headers.as_deref().unwrap_or(&scope.add_headers);
    let redirect = scope
        .proxy_redirect
        .as_ref()
        .filter(|r| flow.proxied && r.applies(resp.headers()));
    let header_filters = scope.expires.is_some() || !add_headers.is_empty() || redirect.is_some();
    // The headers kept for the response side; the method as the client sent it.
    let vars = (header_filters || scope.sub_filter.is_some())
        .then(|| cx.vars(&headers, &flow.set, method.as_str()));
    let extra = Extra {
        uri: &flow.uri,
        args: flow.args.as_deref().unwrap_or(""),
        upstream: trail.as_ref(),
        captures: &flow.captures,
        response: None,
    };
    if let Some(vars) = vars.as_ref().filter(|_| header_filters) {
        // As the upstream's headers are copied, before the header filters.
        if let Some(rules) = redirect {
            let base = || redirect_base(&cx, &scope);
            rules.apply(resp.headers_mut(), base, vars, &extra);
        }
        headers::filter_response(
            resp.headers_mut(),
            status,
            scope.expires.as_ref(),
            add_headers,
            vars,
            &extra,
        );
    }
    if let Some(cs) = &scope.charset {
        let own_redirect =
            (300..400).contains(&status) && resp.extensions().get::<respond::OwnAnswer>().is_some();
        let types = scope.charset_types.as_deref();
        headers::add_charset(resp.headers_mut(), cs, types, own_redirect);
    }
    // Body filters: `sub_filter`, then gzip.
    if let (Some(sf), Some(vars)) = (&scope.sub_filter, &vars) {
        resp = sf.apply(resp, vars, &extra);
    }
    if let Some(g) = &scope.gzip {
        let side = compress::RequestSide {
            headers: &headers,
            version,
            head: method == Method::HEAD,
        };
        resp = g.apply(&side, resp).await;
    }
    if scope.log.is_none() && flow.slots.is_empty() {
        return (resp, keepalive);
    }
    let slots = std::mem::take(&mut flow.slots);
    let log = scope.log.as_ref().map(|l| {
        let entry = log::Entry {
            remote_addr: remote.ip().to_string(),
            method: method.to_string(),
            request_uri: request_uri.clone(),
            uri: flow.uri.clone(),
            protocol: headers::protocol(version),
            status,
            body_bytes: 0,
            header_bytes: 0,
            started,
            host: host_var.clone(),
            server_name: host.names.first().cloned().unwrap_or_default(),
            server_port: port,
            scheme,
            upstream: trail.clone(),
            headers: l
                .format
                .headers()
                .into_iter()
                .filter_map(|h| {
                    let v = headers.get(h.as_str())?.to_str().ok()?.to_string();
                    Some((h, v))
                })
                .collect(),
            request_id: session.request_id.clone(),
            tls: session.tls.clone(),
        };
        (l.writer.clone(), l.format.clone(), entry)
    });
    let (parts, body) = resp.into_parts();
    let body = respond::Tracked::wrap(
        body,
        Box::new(move |bytes| {
            drop(slots);
            if let Some((writer, format, mut entry)) = log {
                entry.body_bytes = bytes;
                if let Some(t) = &entry.upstream {
                    t.finish();
                }
                writer.write(format.render(&entry));
            }
        }),
    );
    (Response::from_parts(parts, body), keepalive)
}

/// Location matching and the phases, internal redirects included: (the response, the scope
/// whose filters apply, the status an `error_page` imposes).
async fn route(
    cx: &Cx<'_>,
    flow: &mut Flow,
    req: &mut Option<Request<Incoming>>,
) -> (Response<Body>, Arc<Scope>, Option<u16>) {
    let host = cx.host;
    // HAProxy's `http-request` and `redirect` rules, before a backend is picked.
    if let (Some(rules), Some(r)) = (&host.http_request, req.as_mut()) {
        if let Some(answer) = rules.run(r, cx.remote, cx.local, cx.scheme == "https") {
            return (answer, host.scope.clone(), None);
        }
    }
    let mut lookup = Lookup::Uri;
    let mut error_status: Option<Option<u16>> = None;
    let original_uri = flow.uri.clone();
    let mut handler_scope = None;
    // Server rewrites run first, and again after internal redirects (not after a location's
    // rewrite, nor for named locations).
    let mut server_rewrites = true;
    // nginx allows 10 internal redirects.
    for _ in 0..11 {
        if std::mem::take(&mut server_rewrites) && matches!(lookup, Lookup::Uri) {
            if let Some(p) = &host.scope.rewrite {
                let headers = req.as_ref().map(|r| r.headers());
                if let Some(outcome) = rewrite(cx, flow, p, &host.scope, headers, false) {
                    handler_scope = Some(host.scope.clone());
                    match outcome {
                        Outcome::Response(r) => {
                            return (r, host.scope.clone(), error_status.flatten())
                        }
                        Outcome::Error(code) => {
                            let status = StatusCode::from_u16(code)
                                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                            return (respond::error(status), host.scope.clone(), None);
                        }
                        _ => {}
                    }
                }
            }
        }
        // HAProxy's `use_backend` rules pick before the default backend.
        let switched = match (&lookup, &host.switch, req.as_ref()) {
            (Lookup::Uri, Some(sw), Some(r)) => {
                sw.pick(&acl::Sample::of(r, cx.remote.ip(), cx.scheme == "https"))
            }
            _ => None,
        };
        let (handler, scope) = match (switched, &lookup, &host.server_return) {
            (Some(h), _, _) => (h, &host.scope),
            (None, Lookup::Uri, Some(h))
                if handler_scope.is_none() && host.scope.rewrite.is_none() =>
            {
                (h, &host.scope)
            }
            (None, Lookup::Uri, _) => match host.locations.find(&flow.uri) {
                Some(i) => {
                    // A regex location's groups are the request's captures now.
                    if let Some(groups) = host.locations.captures(i, &flow.uri, &mut flow.set) {
                        flow.captures = groups;
                    }
                    (&host.locations.handlers[i], &host.locations.scopes[i])
                }
                None => (&Handler::Static, &host.scope),
            },
            (None, Lookup::Named(n), _) => match host.locations.named(n) {
                Some(i) => (&host.locations.handlers[i], &host.locations.scopes[i]),
                None => {
                    eprintln!("lbc serve: no named location @{n}");
                    let r = respond::error(StatusCode::INTERNAL_SERVER_ERROR);
                    return (r, host.scope.clone(), None);
                }
            },
        };
        // Only internal redirects reach an `internal` location.
        let outcome = if scope.internal && handler_scope.is_none() {
            Outcome::Error(404)
        } else {
            phases(cx, flow, handler, scope, req, &original_uri).await
        };
        handler_scope = Some(scope.clone());
        let code = match outcome {
            Outcome::Response(r) => {
                return (r, scope.clone(), error_status.flatten());
            }
            Outcome::Redirect(uri) => {
                let (path, args) = match uri.split_once('?') {
                    Some((p, a)) => (p.to_string(), Some(a.to_string())),
                    None => (uri, None),
                };
                match files::normalize(&path) {
                    Some(p) => flow.uri = p,
                    None => flow.uri = path,
                }
                if args.is_some() {
                    flow.args = args;
                }
                server_rewrites = !std::mem::take(&mut flow.restart);
                lookup = Lookup::Uri;
                continue;
            }
            Outcome::Named(n) => {
                lookup = Lookup::Named(n);
                continue;
            }
            Outcome::Error(code) => code,
        };
        if error_status.is_none() {
            if let Some((page, status)) = scope.error_page(code) {
                error_status = Some(status);
                if flow.method != Method::HEAD {
                    flow.method = Method::GET;
                }
                if let Some(n) = page.strip_prefix('@') {
                    lookup = Lookup::Named(n.to_string());
                } else if page.starts_with("http://") || page.starts_with("https://") {
                    let r = respond::answer(302, Some(page), "text/html", "");
                    return (r, scope.clone(), None);
                } else {
                    let (path, args) = match page.split_once('?') {
                        Some((p, a)) => (p.to_string(), Some(a.to_string())),
                        None => (page.to_string(), None),
                    };
                    flow.uri = path;
                    flow.args = args;
                    server_rewrites = true;
                    lookup = Lookup::Uri;
                }
                continue;
            }
        }
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return (respond::error(status), scope.clone(), None);
    }
    eprintln!(
        "lbc serve: rewrite or internal redirection cycle for {}",
        cx.request_uri
    );
    let scope = handler_scope.unwrap_or_else(|| host.scope.clone());
    (
        respond::error(StatusCode::INTERNAL_SERVER_ERROR),
        scope,
        None,
    )
}

/// What a redirect to a path is prefixed with: `http://host[:port]` as nginx's
/// `absolute_redirect`, `port_in_redirect` and `server_name_in_redirect` say.
fn redirect_base(cx: &Cx, scope: &Scope) -> String {
    let r = scope.redirects;
    if !r.absolute {
        return String::new();
    }
    let host = match cx.host.names.first() {
        Some(n) if r.server_name => n.as_str(),
        _ => cx.host_var,
    };
    // nginx leaves out the scheme's own port.
    let own = if cx.scheme == "https" { 443 } else { 80 };
    if cx.port == own || !r.port {
        format!("{}://{host}", cx.scheme)
    } else {
        format!("{}://{host}:{}", cx.scheme, cx.port)
    }
}

/// Percent-encodes what a request path cannot hold as is.
fn encode_path(uri: &str) -> String {
    let mut out = String::with_capacity(uri.len());
    for b in uri.bytes() {
        if b <= b' ' || b >= 0x7f || b"\"#%<>?\\^`{|}".contains(&b) {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(b as char);
        }
    }
    out
}

/// nginx's phases for one location: `return` (rewrite), `limit_req`/`limit_conn` (preaccess,
/// once per request), `allow`/`deny` (access), `try_files` (precontent), then the content.
async fn phases(
    cx: &Cx<'_>,
    flow: &mut Flow,
    handler: &Handler,
    scope: &Arc<Scope>,
    req: &mut Option<Request<Incoming>>,
    original_uri: &str,
) -> Outcome {
    let empty = HeaderMap::new();
    // `client_max_body_size` is checked on the declared length when the location is found,
    // before `return`, as nginx's find-config phase does.
    if let (Some(max), Some(r)) = (scope.max_body, req.as_ref()) {
        let declared = r
            .headers()
            .get(hyper::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|len| len > max) {
            return Outcome::Error(413);
        }
    }
    let mut broke = false;
    // A new location: the request is in none of its `if` blocks yet.
    flow.if_headers = None;
    if let Some(p) = &scope.rewrite {
        let headers = req.as_ref().map(|r| r.headers());
        match rewrite(cx, flow, p, scope, headers, true) {
            Some(Outcome::Named(_)) => broke = true,
            Some(o) => return o,
            None => {}
        }
    }
    if let (Handler::Return { status, text }, false) = (handler, broke) {
        let text = text.as_ref().map(|t| render(cx, flow, req, t));
        if text.is_none() && *status >= 400 {
            return Outcome::Error(*status);
        }
        return Outcome::Response(respond::answer(
            *status,
            text.as_deref(),
            &scope.default_type,
            &redirect_base(cx, scope),
        ));
    }
    if !flow.limited {
        flow.limited = true;
        let key = limit::KeyInput {
            client: cx.remote.ip(),
            server_name: cx.host.names.first().map_or("", |n| n.as_str()),
            host: cx.host_var,
            uri: &flow.uri,
            request_uri: cx.request_uri,
        };
        if !scope.rate.is_empty() {
            match limit::check_rate(&scope.rate, &key) {
                limit::RateVerdict::Pass => {}
                _ if scope.rate_dry_run => {}
                limit::RateVerdict::Delay(d) => tokio::time::sleep(d).await,
                limit::RateVerdict::Reject => return Outcome::Error(scope.rate_status),
            }
        }
        if !scope.conn.is_empty() {
            match limit::acquire_conn(&scope.conn, &key) {
                Some(slots) => flow.slots.push(slots),
                None if scope.conn_dry_run => {}
                None => return Outcome::Error(scope.conn_status),
            }
        }
    }
    if !scope.access.is_empty() && !scope.access.allows(cx.remote.ip()) {
        return Outcome::Error(403);
    }
    if let Some(auth) = &scope.auth {
        let headers = req.as_ref().map_or(&empty, |r| r.headers());
        if let Some(r) = auth.check(headers) {
            let status = r.status().as_u16();
            if scope.error_page(status).is_none() {
                return Outcome::Response(r);
            }
            flow.challenge = r.headers().get(hyper::header::WWW_AUTHENTICATE).cloned();
            return Outcome::Error(status);
        }
    }
    if let Some(ar) = &scope.auth_request {
        // Boxed: its state (a whole proxied exchange) would otherwise make every request's
        // future larger, and futures are moved.
        if let Some(status) = Box::pin(auth_request(cx, flow, req, ar)).await {
            return Outcome::Error(status);
        }
    }
    if let Some(files) = scope.files.as_ref().filter(|f| !f.try_files.is_empty()) {
        match files.try_files(&flow.uri, flow.args.as_deref()) {
            Ok(uri) => flow.uri = uri,
            Err(o) => return *o,
        }
    }
    let dynamic;
    let (target, uri) = match handler {
        // After `break`, the location's `return` does not run: its files are served.
        Handler::Return { .. } if broke => return static_files(cx, flow, scope, req),
        Handler::Return { .. } => return Outcome::Error(500),
        Handler::Status => return Outcome::Response(status::respond()),
        Handler::Static => return static_files(cx, flow, scope, req),
        Handler::Proxy(target) => (&**target, None),
        Handler::ProxyDynamic(d) => match Box::pin(dynamic_target(cx, flow, req, d)).await {
            Ok(found) => {
                dynamic = found;
                (&*dynamic.0, dynamic.1.as_deref())
            }
            Err(code) => return Outcome::Error(code),
        },
    };
    proxy(cx, flow, scope, req, target, uri, original_uri).await
}

/// nginx's `auth_request`: a subrequest to `ar`'s URI (`GET`, the client's headers, no
/// body) through the location it finds; its `auth_request_set`s are kept; `Some` is the
/// status the request is answered with instead of going on (401 with the subrequest's
/// `WWW-Authenticate`).
async fn auth_request(
    cx: &Cx<'_>,
    flow: &mut Flow,
    req: &Option<Request<Incoming>>,
    ar: &super::subrequest::AuthRequest,
) -> Option<u16> {
    let r = req.as_ref()?;
    let (path, args) = match ar.uri.split_once('?') {
        Some((p, a)) => (p, a),
        None => (ar.uri.as_str(), ""),
    };
    let locations = &cx.host.locations;
    let found = locations.find(path);
    let resp = match found.map(|i| (&locations.handlers[i], &locations.scopes[i])) {
        Some((Handler::Proxy(target), scope)) => {
            let mut sub = Request::new(http_body_util::Empty::<bytes::Bytes>::new());
            *sub.method_mut() = Method::GET;
            *sub.uri_mut() = ar.uri.parse().ok()?;
            *sub.version_mut() = r.version();
            *sub.headers_mut() = r.headers().clone();
            let pcx = Context {
                remote: cx.remote,
                local: cx.local,
                first: false,
                scheme: cx.scheme,
                host: cx.host_var,
                max_body: scope.max_body,
                pass_body: false,
                trail: !ar.sets.is_empty(),
                uri: path,
                args,
                set: &flow.set,
                captures: &flow.captures,
                server_name: cx.host.names.first().map_or("", String::as_str),
                request_uri: cx.request_uri,
                session: cx.session,
            };
            cx.upstreams.forward(target, &mut sub, pcx).await
        }
        Some((Handler::Return { status, .. }, _)) => {
            let mut resp = Response::new(Body::default());
            *resp.status_mut() = StatusCode::from_u16(*status).unwrap_or(StatusCode::OK);
            resp
        }
        _ => {
            eprintln!("lbc serve: auth request to {path}: not a proxied location");
            return Some(500);
        }
    };
    if !ar.sets.is_empty() {
        let vars = cx.vars(r.headers(), &flow.set, flow.method.as_str());
        let trail = resp.extensions().get::<upvars::Trail>();
        let extra = Extra {
            uri: &flow.uri,
            args: flow.args.as_deref().unwrap_or(""),
            upstream: trail,
            captures: &flow.captures,
            response: Some(resp.headers()),
        };
        let values: Vec<(u32, String)> = ar
            .sets
            .iter()
            .map(|(slot, t)| (*slot, t.render_ext(&vars, &extra)))
            .collect();
        for (slot, value) in values {
            super::uservars::assign(&mut flow.set, slot, value);
        }
    }
    let status = super::subrequest::verdict(resp.status().as_u16())?;
    if status == 401 {
        flow.challenge = resp.headers().get(hyper::header::WWW_AUTHENTICATE).cloned();
        flow.challenge_kept = true;
    }
    Some(status)
}

/// `t` with the request's values as the phases have them now (`return`, `proxy_pass`).
fn render(
    cx: &Cx<'_>,
    flow: &Flow,
    req: &Option<Request<Incoming>>,
    t: &super::headers::Template,
) -> String {
    let empty = HeaderMap::new();
    let request = req.as_ref().map_or(&empty, |r| r.headers());
    let vars = cx.vars(request, &flow.set, flow.method.as_str());
    let extra = Extra {
        uri: &flow.uri,
        args: flow.args.as_deref().unwrap_or(""),
        captures: &flow.captures,
        ..Extra::default()
    };
    t.render_ext(&vars, &extra)
}

/// The target of a `proxy_pass` with variables for this request, and the URI its URL gives
/// (`Err`: nginx's status for a URL it cannot use).
async fn dynamic_target(
    cx: &Cx<'_>,
    flow: &Flow,
    req: &Option<Request<Incoming>>,
    d: &DynamicProxy,
) -> Result<(Arc<ProxyTarget>, Option<String>), u16> {
    let url = render(cx, flow, req, &d.url);
    let (authority, uri) = split_url(&url)?;
    let target = match d.target(authority) {
        Ok(t) => t,
        Err(Miss::Status(s)) => return Err(s),
        Err(Miss::Resolve) => d.resolve(authority).await?,
    };
    Ok((target, uri.map(str::to_string)))
}

/// Passes the request to `target` (`uri`: the whole URI to send, from a `proxy_pass` with
/// variables); the proxy's own error pages go through `error_page`.
async fn proxy(
    cx: &Cx<'_>,
    flow: &mut Flow,
    scope: &Arc<Scope>,
    req: &mut Option<Request<Incoming>>,
    target: &ProxyTarget,
    uri: Option<&str>,
    original_uri: &str,
) -> Outcome {
    let Some(r) = req.as_mut() else {
        return Outcome::Error(500);
    };
    if let Some(uri) = uri {
        match uri.parse() {
            Ok(u) => *r.uri_mut() = u,
            Err(_) => {
                eprintln!("lbc serve: cannot send the URI \"{uri}\" upstream");
                return Outcome::Error(500);
            }
        }
    } else if flow.uri != original_uri {
        let mut text = encode_path(&flow.uri);
        if let Some(a) = &flow.args {
            text.push('?');
            text.push_str(a);
        }
        if let Ok(u) = text.parse() {
            *r.uri_mut() = u;
        }
    }
    // A HAProxy backend's `http-request` rules, once the frontend picked it.
    if let Some(rules) = &target.pool.rules.request {
        if let Some(answer) = rules.run(r, cx.remote, cx.local, cx.scheme == "https") {
            return Outcome::Response(answer);
        }
    }
    let pcx = Context {
        remote: cx.remote,
        local: cx.local,
        first: cx.first,
        scheme: cx.scheme,
        host: cx.host_var,
        max_body: scope.max_body,
        pass_body: scope.pass_body,
        trail: scope.log.is_some() || !scope.add_headers.is_empty() || flow.if_headers.is_some(),
        uri: &flow.uri,
        args: flow.args.as_deref().unwrap_or(""),
        set: &flow.set,
        captures: &flow.captures,
        server_name: cx.host.names.first().map_or("", String::as_str),
        request_uri: cx.request_uri,
        session: cx.session,
    };
    let mut r = cx.upstreams.forward(target, r, pcx).await;
    // The request went to the proxy (its headers and body with it).
    *req = None;
    // HAProxy runs the backend's `http-response` rules, then the frontend's, on what a
    // server sent.
    if r.extensions().get::<respond::OwnAnswer>().is_none() {
        let backend = target.pool.rules.response.as_ref();
        for rules in backend.into_iter().chain(cx.host.http_response.as_ref()) {
            rules.run(r.headers_mut(), cx.remote, cx.local);
        }
    }
    let status = r.status().as_u16();
    flow.proxied = r.extensions().get::<respond::OwnAnswer>().is_none();
    // The proxy's own error pages (502, 504) go through `error_page`.
    if r.extensions().get::<respond::OwnAnswer>().is_some()
        && status >= 400
        && scope.error_page(status).is_some()
    {
        return Outcome::Error(status);
    }
    Outcome::Response(r)
}

/// A `proxy_pass` URL rendered per request: its host and port, and its URI part (`None`
/// without one; a bare `?…` gets a `/`), or nginx's status for a URL it cannot use.
fn split_url(url: &str) -> Result<(&str, Option<&str>), u16> {
    let Some(rest) = url.strip_prefix("http://") else {
        eprintln!("lbc serve: invalid URL prefix in \"{url}\"");
        return Err(if url.starts_with("https://") {
            502
        } else {
            500
        });
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, uri) = rest.split_at(end);
    if authority.is_empty() {
        eprintln!("lbc serve: no host in \"{url}\"");
        return Err(500);
    }
    Ok((authority, (!uri.is_empty()).then_some(uri)))
}

fn static_files(
    cx: &Cx<'_>,
    flow: &Flow,
    scope: &Scope,
    req: &Option<Request<Incoming>>,
) -> Outcome {
    let Some(files) = &scope.files else {
        return Outcome::Error(404);
    };
    let empty = HeaderMap::new();
    let r = files::Request {
        method: &flow.method,
        headers: req.as_ref().map_or(&empty, |r| r.headers()),
        args: flow.args.as_deref(),
        base: &redirect_base(cx, scope),
    };
    files.serve(&r, &flow.uri)
}

/// Runs a level's rewrite directives. `None`: go on; an answer or an error; `Redirect` (the
/// location is looked up again: `last`, or a location's URI changed); `Named` stands for
/// `break` in a location (its `return` is skipped).
fn rewrite(
    cx: &Cx<'_>,
    flow: &mut Flow,
    program: &rewrite::Program,
    scope: &Scope,
    headers: Option<&HeaderMap>,
    location: bool,
) -> Option<Outcome> {
    let empty = HeaderMap::new();
    // The program reads the `set` values as it writes them.
    let vars = cx.vars(headers.unwrap_or(&empty), &[], flow.method.as_str());
    let input = rewrite::Input {
        vars: &vars,
        method: flow.method.as_str(),
        referers: scope.referers.as_deref(),
        server_names: &cx.host.names,
    };
    let before = flow.uri.clone();
    let mut state = rewrite::State {
        uri: &mut flow.uri,
        args: &mut flow.args,
        set: &mut flow.set,
        captures: &mut flow.captures,
        headers: &mut flow.if_headers,
    };
    let verdict = program.run(&mut state, &input);
    let changed = flow.uri != before;
    let restart = |flow: &mut Flow| {
        flow.restart = true;
        Some(Outcome::Redirect(flow.uri.clone()))
    };
    match verdict {
        rewrite::Verdict::Return(status, text) => {
            if text.is_none() && status >= 400 {
                return Some(Outcome::Error(status));
            }
            Some(Outcome::Response(respond::answer(
                status,
                text.as_deref(),
                &scope.default_type,
                &redirect_base(cx, scope),
            )))
        }
        rewrite::Verdict::Redirect(status, location) => Some(Outcome::Response(respond::answer(
            status,
            Some(&location),
            &scope.default_type,
            &redirect_base(cx, scope),
        ))),
        rewrite::Verdict::Last if location => restart(flow),
        rewrite::Verdict::Done if location && changed => restart(flow),
        rewrite::Verdict::Break if location => Some(Outcome::Named(String::new())),
        _ => None,
    }
}
