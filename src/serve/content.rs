//! The content settings of one location after nginx's inheritance (http → server → location,
//! the innermost level that sets a value wins; a level with any `add_header`, `error_page`,
//! `limit_req`, `limit_conn`, `allow`/`deny` or `types` replaces the outer list): static files,
//! `expires`/`add_header`, `error_page`, gzip, limits, access rules and the access log.

use std::sync::Arc;

use super::access::Rules;
use super::autoindex::{Format as ListFormat, Style};
use super::compress::Gzip;
use super::files::{Files, GzipStatic, IfModifiedSince, Types};
use super::headers::{self, AddHeader, ExpiresRule};
use super::limit::{ConnLimit, RateLimit, Zones};
use super::log::{AccessLog, Format, Logs, Writer, COMBINED};
use super::support::Findings;
use crate::ir::{ErrorPage, Ir, Opaque, Protocol, Settings, ZoneKind};

/// Opaque directives this module reads itself (the others stay with [`Findings::opaque`]).
pub const READ_HERE: &[&str] = &[
    "client_header_buffer_size",
    "large_client_header_buffers",
    "connection_pool_size",
    "types",
    "log_format",
    "limit_req_status",
    "limit_conn_status",
    "limit_req_dry_run",
    "limit_conn_dry_run",
    "internal",
    "autoindex_format",
    "autoindex_exact_size",
    "autoindex_localtime",
    "set_real_ip_from",
    "real_ip_header",
    "real_ip_recursive",
    "absolute_redirect",
    "port_in_redirect",
    "server_name_in_redirect",
    "etag",
    "if_modified_since",
    "auth_basic_user_file",
    "rewrite",
    "if",
    "break",
    "return",
    "set",
    "map",
    "geo",
    "split_clients",
    "charset_types",
    "auth_request",
    // Read where a `proxy_pass` with variables is planned.
    "resolver",
    "resolver_timeout",
    "sub_filter",
    "sub_filter_once",
    "sub_filter_types",
    "sub_filter_last_modified",
    "auth_request_set",
    "proxy_pass_request_body",
    // Read where the location's handler is planned.
    "proxy_redirect",
    // Read where the server's listeners are planned.
    "http2",
    "http2_max_concurrent_streams",
];

/// How redirects to a path are made absolute.
#[derive(Debug, Clone, Copy)]
pub struct Redirects {
    /// `absolute_redirect` (default on).
    pub absolute: bool,
    /// `port_in_redirect` (default on).
    pub port: bool,
    /// `server_name_in_redirect` (default off).
    pub server_name: bool,
}

/// The effective content settings of a location (or of a server, for requests no location
/// takes).
pub struct Scope {
    /// Static files, when `root` or `alias` is set somewhere in the chain.
    pub files: Option<Arc<Files>>,
    pub default_type: String,
    /// `charset` (not `off`).
    pub charset: Option<String>,
    /// `charset_types` (nginx's defaults when `None`; `*` is any type).
    pub charset_types: Option<Vec<String>>,
    pub expires: Option<ExpiresRule>,
    pub add_headers: Vec<AddHeader>,
    pub error_pages: Vec<ErrorPage>,
    pub gzip: Option<Gzip>,
    pub rate: Vec<RateLimit>,
    pub rate_status: u16,
    /// `limit_req_dry_run on`: counted, never rejected nor delayed.
    pub rate_dry_run: bool,
    pub conn: Vec<ConnLimit>,
    pub conn_status: u16,
    pub conn_dry_run: bool,
    pub access: Rules,
    /// `auth_basic` with its user file.
    pub auth: Option<super::auth::Auth>,
    /// `auth_request`: a subrequest decides before the content.
    pub auth_request: Option<Arc<super::subrequest::AuthRequest>>,
    /// `sub_filter`: strings replaced in response bodies.
    pub sub_filter: Option<Arc<super::subfilter::SubFilter>>,
    /// `proxy_pass_request_body` (on unless `off`).
    pub pass_body: bool,
    /// The rewrite directives of this level (`rewrite`, `if`, `break`, `return`).
    pub rewrite: Option<super::rewrite::Program>,
    /// The innermost `valid_referers`, for `$invalid_referer`.
    pub referers: Option<Arc<super::referer::Referers>>,
    pub log: Option<AccessLog>,
    /// `client_max_body_size` (nginx's 1m when absent in an nginx file; `None`: no limit).
    pub max_body: Option<u64>,
    /// `internal`: only internal redirects reach this location (else 404).
    pub internal: bool,
    pub redirects: Redirects,
    /// `keepalive_timeout`: how long the connection may idle after a request answered here
    /// (nginx's 75 s by default; zero closes it after the response).
    pub keepalive: std::time::Duration,
    /// nginx's `proxy_redirect` rules for what the location proxies.
    pub proxy_redirect: Option<Arc<super::redirect::Rules>>,
}

impl Scope {
    /// The request headers the response filters and the log read, which must be kept before
    /// the request is handed to a proxy.
    pub fn needed_headers(&self, out: &mut Vec<hyper::header::HeaderName>) {
        use hyper::header::{ACCEPT_ENCODING, AUTHORIZATION};
        for a in &self.add_headers {
            out.extend(a.reads());
        }
        if let Some(p) = &self.rewrite {
            out.extend(p.header_reads());
        }
        if let Some(r) = &self.proxy_redirect {
            out.extend(r.header_reads());
        }
        if self.gzip.is_some() {
            out.extend([ACCEPT_ENCODING, AUTHORIZATION]);
            out.push(hyper::header::HeaderName::from_static("via"));
        }
        if let Some(l) = &self.log {
            out.extend(
                l.format
                    .headers()
                    .iter()
                    .filter_map(|h| hyper::header::HeaderName::from_bytes(h.as_bytes()).ok()),
            );
        }
    }

    /// The `error_page` for `status`: (the URI, the status to answer with; `None` for `=`).
    pub fn error_page(&self, status: u16) -> Option<(&str, Option<u16>)> {
        let e = self
            .error_pages
            .iter()
            .find(|e| e.codes.contains(&status))?;
        let code = match e.response_code.as_deref() {
            None => Some(status),
            Some("") => None,
            Some(c) => Some(c.parse().unwrap_or(status)),
        };
        Some((e.uri.as_str(), code))
    }
}

/// What every scope of a plan shares: the limit zones and the log formats and files.
#[derive(Default)]
pub struct Shared {
    pub zones: Zones,
    pub logs: Logs,
    /// Whether the server being planned was written for nginx, whose defaults apply
    /// (`client_max_body_size 1m`); set by the planner for each server.
    pub nginx: bool,
    /// What relative paths (`root html`, `access_log logs/access.log`) are resolved against:
    /// `--prefix`, else the main file's directory, as nginx resolves them against its prefix.
    pub prefix: std::path::PathBuf,
    /// The request-head limits of the HAProxy `global` section (nginx's are per server).
    pub haproxy_head: Option<super::head::HeadLimits>,
}

impl Shared {
    /// The writer of the access log at `path` (one per file, shared by every level and by
    /// the stream side); refused, at `origin`, when the file cannot be opened.
    pub fn writer(
        &mut self,
        path: &str,
        origin: crate::ir::Origin,
        f: &mut Findings,
    ) -> Option<Arc<Writer>> {
        let path = self.resolve(path);
        if let Some(w) = self.logs.writers.get(&path) {
            return Some(w.clone());
        }
        match Writer::open(&path) {
            Ok(w) => {
                let w = Arc::new(w);
                self.logs.writers.insert(path, w.clone());
                Some(w)
            }
            Err(e) => {
                f.refuse(
                    origin,
                    format!("an access log it cannot open (`{path}`: {e})"),
                );
                None
            }
        }
    }

    /// `path` as nginx reads it: absolute ones as they are, others under the prefix.
    pub fn resolve(&self, path: &str) -> String {
        if path.starts_with('/') || self.prefix.as_os_str().is_empty() {
            path.to_string()
        } else {
            self.prefix.join(path).to_string_lossy().into_owned()
        }
    }
}

impl Shared {
    /// The zones (`limit_req_zone`, `limit_conn_zone`; caches are refused) and `log_format`s.
    pub fn new(ir: &Ir, f: &mut Findings) -> Shared {
        let mut s = Shared::default();
        for z in &ir.zones {
            match &z.kind {
                ZoneKind::RequestRate {
                    key,
                    rate_per_second,
                } => s
                    .zones
                    .add_rate(&z.name, key, *rate_per_second, z.origin, f),
                ZoneKind::Connections { key } => s.zones.add_conn(&z.name, key, z.origin, f),
                ZoneKind::Cache { .. } => {
                    f.refuse(z.origin, format!("the cache zone `{}`", z.name))
                }
            }
        }
        if let Ok(c) = Format::compile(COMBINED) {
            s.logs.formats.insert("combined".into(), Arc::new(c));
        }
        for d in ir.defaults.iter().filter(|d| d.protocol == Protocol::Http) {
            for o in d.settings.opaque.iter().filter(|o| o.name == "log_format") {
                let Some((name, rest)) = o.args.split_first() else {
                    continue;
                };
                let rest: Vec<&String> =
                    rest.iter().filter(|a| !a.starts_with("escape=")).collect();
                if o.args
                    .iter()
                    .any(|a| a.starts_with("escape=") && a != "escape=default")
                {
                    f.refuse(o.origin, "`log_format` escaping other than `default`");
                    continue;
                }
                let text: String = rest.iter().map(|s| s.as_str()).collect();
                match Format::compile(&text) {
                    Ok(fmt) => {
                        s.logs.formats.insert(name.clone(), Arc::new(fmt));
                    }
                    Err(var) => {
                        f.refuse(o.origin, format!("the variable `${var}` in `log_format`"))
                    }
                }
            }
        }
        s
    }
}

fn content(s: &Settings) -> Option<&crate::ir::Content> {
    s.content.as_deref()
}

fn compression(s: &Settings) -> Option<&crate::ir::Compression> {
    s.compression.as_deref()
}

/// The innermost value `get` finds in `chain` (outermost first).
fn inner<'a, T>(chain: &[&'a Settings], get: impl Fn(&'a Settings) -> Option<T>) -> Option<T> {
    chain.iter().rev().find_map(|s| get(s))
}

/// The innermost non-empty list.
fn inner_list<'a, T>(chain: &[&'a Settings], get: impl Fn(&'a Settings) -> &'a [T]) -> &'a [T] {
    chain
        .iter()
        .rev()
        .map(|s| get(s))
        .find(|l| !l.is_empty())
        .unwrap_or(&[])
}

/// The entries named `name` of the innermost level that has any, as nginx inherits array
/// directives (`set_real_ip_from`, `ssl_certificate`).
pub fn innermost<'a>(chain: &[&'a Settings], name: &str) -> Vec<&'a Opaque> {
    chain
        .iter()
        .rev()
        .map(|s| {
            s.opaque
                .iter()
                .filter(|o| o.name == name)
                .collect::<Vec<_>>()
        })
        .find(|l| !l.is_empty())
        .unwrap_or_default()
}

fn opaque<'a>(s: &'a Settings, name: &'a str) -> impl Iterator<Item = &'a Opaque> + 'a {
    s.opaque.iter().filter(move |o| o.name == name)
}

/// A `*_status` code: 400–599 as nginx allows.
fn status_setting(chain: &[&Settings], name: &str, f: &mut Findings) -> u16 {
    let Some(o) = inner(chain, |s| opaque(s, name).last()) else {
        return 503;
    };
    match o.args.first().and_then(|a| a.parse::<u16>().ok()) {
        Some(c) if (400..=599).contains(&c) => c,
        _ => {
            f.refuse(o.origin, format!("this `{name}`"));
            503
        }
    }
}

/// `autoindex_format` and `autoindex_exact_size`; `autoindex_localtime on` and `jsonp` are
/// refused.
fn listing(chain: &[&Settings], f: &mut Findings) -> Style {
    let mut style = Style::default();
    if let Some(o) = inner(chain, |s| opaque(s, "autoindex_format").last()) {
        match o.args.first().map(String::as_str) {
            Some("html") => {}
            Some("json") => style.format = ListFormat::Json,
            Some("xml") => style.format = ListFormat::Xml,
            _ => f.refuse(o.origin, "this `autoindex_format`"),
        }
    }
    if let Some(o) = inner(chain, |s| opaque(s, "autoindex_exact_size").last()) {
        match o.args.first().map(String::as_str) {
            Some("on") => {}
            Some("off") => style.exact_size = false,
            _ => f.refuse(o.origin, "this `autoindex_exact_size`"),
        }
    }
    if flag_setting(chain, "autoindex_localtime", f) {
        if let Some(o) = inner(chain, |s| opaque(s, "autoindex_localtime").last()) {
            f.refuse(o.origin, "`autoindex_localtime on` (listings are in UTC)");
        }
    }
    style
}

/// An `on`/`off` opaque directive, innermost level first (default off).
fn flag_setting(chain: &[&Settings], name: &str, f: &mut Findings) -> bool {
    let Some(o) = inner(chain, |s| opaque(s, name).last()) else {
        return false;
    };
    match o.args.first().map(String::as_str) {
        Some("on") => true,
        Some("off") => false,
        _ => {
            f.refuse(o.origin, format!("this `{name}`"));
            false
        }
    }
}

/// Builds the scope of `chain` (http, server[, location]); `prefix` is the location's
/// literal prefix (for `alias`), `location` whether the last level is a location.
pub fn scope(
    chain: &[&Settings],
    prefix: Option<&str>,
    location: bool,
    shared: &mut Shared,
    f: &mut Findings,
) -> Scope {
    let types_level = chain
        .iter()
        .rev()
        .find(|s| opaque(s, "types").next().is_some());
    let types = match types_level {
        Some(level) => {
            let mut t = Types::default();
            for block in opaque(level, "types") {
                for entry in &block.children {
                    t.add(&entry.name, &entry.args);
                }
            }
            t
        }
        None => Types::nginx_builtin(),
    };
    let default_type = inner(chain, |s| content(s)?.default_type.as_ref())
        .map(|d| d.value.clone())
        .unwrap_or_else(|| "text/plain".into());
    // nginx's default `root` is `html` under its prefix.
    let root = inner(chain, |s| content(s)?.root.as_ref())
        .map(|r| shared.resolve(&r.value))
        .or_else(|| shared.nginx.then(|| shared.resolve("html")));
    let last = chain.last().copied();
    let alias = last
        .and_then(|s| content(s)?.alias.as_ref())
        .filter(|_| location);
    let alias = match (alias, prefix) {
        (None, _) => None,
        (Some(a), Some(p)) => Some((p.to_string(), shared.resolve(&a.value))),
        (Some(a), None) => {
            f.refuse(a.origin, "`alias` in a regex location");
            None
        }
    };
    for (name, value) in [
        ("root", root.as_deref()),
        ("alias", alias.as_ref().map(|a| a.1.as_str())),
    ] {
        if value.is_some_and(|v| v.contains('$')) {
            if let Some(o) = inner(chain, |s| {
                let c = content(s)?;
                if name == "root" {
                    c.root.as_ref()
                } else {
                    c.alias.as_ref()
                }
            }) {
                f.refuse(o.origin, format!("variables in `{name}`"));
            }
        }
    }
    // `try_files` is not inherited: only the innermost level's counts.
    let try_files = last
        .and_then(|s| content(s)?.try_files.as_ref())
        .map(|t| t.value.clone())
        .unwrap_or_default();
    let index = inner(chain, |s| content(s)?.index.as_ref())
        .map(|i| i.value.clone())
        .unwrap_or_else(|| vec!["index.html".into()]);
    if let Some(i) = inner(chain, |s| content(s)?.index.as_ref()) {
        if i.value.iter().any(|v| v.contains('$')) {
            f.refuse(i.origin, "variables in `index`");
        }
    }
    let autoindex = inner(chain, |s| content(s)?.autoindex.as_ref())
        .map(|a| a.value)
        .unwrap_or(false);
    let charset = inner(chain, |s| content(s)?.charset.as_ref())
        .map(|c| c.value.clone())
        .filter(|c| c != "off");
    let charset_types = inner(chain, |s| opaque(s, "charset_types").last())
        .map(|o| o.args.iter().map(|a| a.to_ascii_lowercase()).collect());
    let files = (root.is_some() || alias.is_some()).then(|| {
        Arc::new(Files {
            root,
            alias,
            index,
            autoindex,
            listing: listing(chain, f),
            try_files,
            types: Arc::new(types),
            default_type: default_type.clone(),
            utf8: charset
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case("utf-8")),
            gzip_static: gzip_static(chain, f),
            etag: inner(chain, |s| opaque(s, "etag").last()).is_none()
                || flag_setting(chain, "etag", f),
            if_modified_since: if_modified_since(chain, f),
            gzip_vary: inner(chain, |s| compression(s)?.vary.as_ref()).is_some_and(|v| v.value),
        })
    });
    let expires = inner(chain, |s| content(s)?.expires.as_ref()).and_then(|e| {
        let parsed = ExpiresRule::compile(&e.value);
        if parsed.is_none() {
            f.refuse(e.origin, format!("`expires {}`", e.value));
        }
        parsed
    });
    let add_headers = headers::compile_add(inner_list(chain, |s| &s.response_headers), f);
    let error_pages = inner_list(chain, |s| &s.error_pages).to_vec();
    for e in &error_pages {
        if e.uri.contains('$') {
            f.refuse(e.origin, "variables in `error_page`");
        }
    }
    let gzip = gzip(chain, f);
    let mut rate = Vec::new();
    for l in inner_list(chain, |s| &s.limit_req) {
        match shared.zones.rate.get(&l.zone) {
            Some(z) => rate.push(RateLimit::new(z.clone(), l.burst, l.nodelay, l.delay)),
            None => f.refuse(
                l.origin,
                format!("`limit_req` of the unknown zone `{}`", l.zone),
            ),
        }
    }
    let mut conn = Vec::new();
    for l in inner_list(chain, |s| &s.limit_conn) {
        match shared.zones.conn.get(&l.zone) {
            Some(z) => conn.push(ConnLimit {
                zone: z.clone(),
                limit: l.limit,
            }),
            None => f.refuse(
                l.origin,
                format!("`limit_conn` of the unknown zone `{}`", l.zone),
            ),
        }
    }
    let rate_status = status_setting(chain, "limit_req_status", f);
    let conn_status = status_setting(chain, "limit_conn_status", f);
    let rate_dry_run = flag_setting(chain, "limit_req_dry_run", f);
    let conn_dry_run = flag_setting(chain, "limit_conn_dry_run", f);
    let access = Rules::compile(
        inner_list(chain, |s| {
            s.access
                .as_deref()
                .map(|a| a.rules.as_slice())
                .unwrap_or(&[])
        }),
        f,
    );
    let log = access_log(chain, shared, f);
    let auth = super::auth::compile(chain, |p| shared.resolve(p), f);
    let auth_request = super::subrequest::compile(chain, f);
    let pass_body = inner(chain, |s| opaque(s, "proxy_pass_request_body").last())
        .is_none_or(|o| o.args.first().is_none_or(|a| a != "off"));
    let rewrite = last
        .and_then(|s| super::rewrite::Program::compile(&s.opaque, f))
        .filter(|p| !p.is_empty());
    let referers = inner(chain, |s| s.access.as_ref()?.valid_referers.as_ref())
        .and_then(|v| super::referer::Referers::compile(&v.value, v.origin, f))
        .map(Arc::new);
    // nginx's default is 1m; 0 lifts the limit.
    let max_body = match inner(chain, |s| s.client.as_deref()?.max_body_size.as_ref()) {
        Some(m) => Some(m.value.0),
        None if shared.nginx => Some(1024 * 1024),
        None => None,
    }
    .filter(|m| *m > 0);
    // `internal` is not inherited: only the location's own level counts.
    let internal = location && last.is_some_and(|s| opaque(s, "internal").next().is_some());
    let on = |name: &str, f: &mut Findings| {
        inner(chain, |s| opaque(s, name).last()).is_none() || flag_setting(chain, name, f)
    };
    let redirects = Redirects {
        absolute: on("absolute_redirect", f),
        port: on("port_in_redirect", f),
        server_name: flag_setting(chain, "server_name_in_redirect", f),
    };
    let keepalive = inner(chain, |s| s.timeouts.as_ref()?.keepalive.as_ref())
        .map_or(super::conn::KEEPALIVE, |k| {
            std::time::Duration::from_millis(k.value.0)
        });
    Scope {
        files,
        default_type,
        charset,
        charset_types,
        expires,
        add_headers,
        error_pages,
        gzip,
        rate,
        rate_status,
        rate_dry_run,
        conn,
        conn_status,
        conn_dry_run,
        access,
        log,
        max_body,
        auth,
        auth_request,
        sub_filter: super::subfilter::compile(chain, f),
        pass_body,
        rewrite,
        referers,
        internal,
        redirects,
        keepalive,
        proxy_redirect: None,
    }
}

/// `if_modified_since off | exact | before`.
fn if_modified_since(chain: &[&Settings], f: &mut Findings) -> IfModifiedSince {
    let Some(o) = inner(chain, |s| opaque(s, "if_modified_since").last()) else {
        return IfModifiedSince::Exact;
    };
    match o.args.first().map(String::as_str) {
        Some("off") => IfModifiedSince::Off,
        Some("exact") => IfModifiedSince::Exact,
        Some("before") => IfModifiedSince::Before,
        _ => {
            f.refuse(o.origin, "this `if_modified_since`");
            IfModifiedSince::Exact
        }
    }
}

/// `gzip_static off | on | always`.
fn gzip_static(chain: &[&Settings], f: &mut Findings) -> GzipStatic {
    let Some(st) = inner(chain, |s| compression(s)?.static_files.as_ref()) else {
        return GzipStatic::Off;
    };
    match st.value.as_str() {
        "off" => GzipStatic::Off,
        "on" => GzipStatic::On,
        "always" => GzipStatic::Always,
        _ => {
            f.refuse(st.origin, format!("`gzip_static {}`", st.value));
            GzipStatic::Off
        }
    }
}

fn gzip(chain: &[&Settings], f: &mut Findings) -> Option<Gzip> {
    use compression as c;
    let enabled = inner(chain, |s| c(s)?.enabled.as_ref()).is_some_and(|e| e.value);
    if let Some(d) = inner(chain, |s| c(s)?.disable.as_ref()) {
        f.ignore(d.origin, "`gzip_disable` (no client is excluded)");
    }
    let http10 = match inner(chain, |s| c(s)?.http_version.as_ref()) {
        None => false,
        Some(v) if v.value == "1.1" => false,
        Some(v) if v.value == "1.0" => true,
        Some(v) => {
            f.refuse(v.origin, format!("`gzip_http_version {}`", v.value));
            false
        }
    };
    if !enabled {
        return None;
    }
    let level = inner(chain, |s| c(s)?.level.as_ref()).map_or(1, |l| l.value);
    let min_length = inner(chain, |s| c(s)?.min_length.as_ref()).map_or(20, |l| l.value.0);
    let types = inner(chain, |s| c(s)?.types.as_ref())
        .map(|t| t.value.iter().map(|x| x.to_ascii_lowercase()).collect())
        .unwrap_or_default();
    let vary = inner(chain, |s| c(s)?.vary.as_ref()).is_some_and(|v| v.value);
    let proxied = inner(chain, |s| c(s)?.proxied.as_ref())
        .map(|p| p.value.clone())
        .unwrap_or_else(|| vec!["off".into()]);
    Some(Gzip {
        level,
        min_length,
        types,
        vary,
        proxied,
        http10,
    })
}

/// `access_log off | PATH [FORMAT [buffer=… flush=…]]`; the innermost level wins.
fn access_log(chain: &[&Settings], shared: &mut Shared, f: &mut Findings) -> Option<AccessLog> {
    let setting = inner(chain, |s| s.client.as_deref()?.access_log.as_ref())?;
    let args = &setting.value;
    let path = args.first()?;
    if path == "off" {
        return None;
    }
    if path.contains('$') || path.starts_with("syslog:") || path.starts_with("memory:") {
        f.refuse(setting.origin, format!("the access log target `{path}`"));
        return None;
    }
    let format_name = args.get(1).map_or("combined", |s| s.as_str());
    for extra in args.iter().skip(2) {
        if !(extra.starts_with("buffer=") || extra.starts_with("flush=")) {
            f.refuse(setting.origin, format!("`access_log` parameter `{extra}`"));
            return None;
        }
    }
    let Some(format) = shared.logs.formats.get(format_name).cloned() else {
        f.refuse(
            setting.origin,
            format!("the unknown log format `{format_name}`"),
        );
        return None;
    };
    let writer = shared.writer(path, setting.origin, f)?;
    Some(AccessLog { writer, format })
}
