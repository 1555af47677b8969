//! Lowering of scope settings (static content, proxying, timeouts, headers, compression,
//! caching, access, limits) and of `listen`.

use super::cst::Directive;
use super::lower::Walker;
use crate::ir::{
    AccessRule, CacheValid, Compression, Duration, ErrorPage, Header, LimitConn, LimitReq,
    Listener, Protocol, Setting, Settings, Size,
};
use crate::source::FileId;
use std::borrow::Cow;

/// Applies a setting directive; false when it is not one lbc models (the caller keeps it as
/// opaque). Malformed values are also left opaque: the argument rules report them.
pub fn apply(w: &Walker, file: FileId, d: &Directive, name: &str, s: &mut Settings) -> bool {
    // Borrowed from the source where no escape needs undoing: only stored values are copied.
    let args = w.args_cow(file, d);
    let origin = w.origin(file, d.range);
    let one: Option<&str> = args.first().map(|a| &**a);
    let owned = |v: Option<&str>| v.map(str::to_string);
    let flag = |v: Option<&str>| match v {
        Some("on") => Some(true),
        Some("off") => Some(false),
        _ => None,
    };
    let dur = |v: Option<&str>| v.and_then(|v| Duration::parse_nginx(v, 1000));
    // Sets `s.GROUP.FIELD`, creating the group only when the value is valid.
    macro_rules! put {
        ($group:ident . $field:ident, $value:expr) => {{
            match $value {
                Some(v) => {
                    s.$group.get_or_insert_with(Default::default).$field =
                        Some(Setting::new(v, origin));
                    true
                }
                None => false,
            }
        }};
    }
    let handled = match name {
        "root" => put!(content.root, owned(one)),
        "alias" => put!(content.alias, owned(one)),
        "index" => put!(content.index, Some(strings(args))),
        "autoindex" => put!(content.autoindex, flag(one)),
        "try_files" => put!(content.try_files, Some(strings(args))),
        "expires" => put!(content.expires, Some(args.join(" "))),
        "default_type" => put!(content.default_type, owned(one)),
        "proxy_connect_timeout" => put!(timeouts.connect, dur(one)),
        "proxy_read_timeout" => put!(timeouts.upstream_read, dur(one)),
        "proxy_send_timeout" => put!(timeouts.upstream_send, dur(one)),
        "proxy_timeout" => put!(timeouts.idle, dur(one)),
        "send_timeout" => put!(timeouts.client, dur(one)),
        "client_header_timeout" => put!(timeouts.client_header, dur(one)),
        "client_body_timeout" => put!(timeouts.client_body, dur(one)),
        "keepalive_timeout" if args.len() == 1 => put!(timeouts.keepalive, dur(one)),
        "proxy_http_version" => put!(proxy.http_version, owned(one)),
        "proxy_next_upstream" => put!(proxy.next_upstream, Some(strings(args))),
        "proxy_next_upstream_tries" => {
            put!(proxy.next_upstream_tries, one.and_then(|v| v.parse().ok()))
        }
        "proxy_buffering" => put!(proxy.buffering, flag(one)),
        "proxy_set_header" if args.len() == 2 => {
            s.proxy
                .get_or_insert_with(Default::default)
                .headers
                .push(Header {
                    name: args[0].to_string(),
                    value: args[1].to_string(),
                    always: false,
                    origin,
                });
            true
        }
        "proxy_hide_header" if args.len() == 1 => {
            s.proxy
                .get_or_insert_with(Default::default)
                .hide_headers
                .push(Setting::new(args[0].to_string(), origin));
            true
        }
        "add_header" if args.len() == 2 || (args.len() == 3 && args[2] == "always") => {
            s.response_headers.push(Header {
                name: args[0].to_string(),
                value: args[1].to_string(),
                always: args.len() == 3,
                origin,
            });
            true
        }
        "error_page" => error_page(&args, origin)
            .map(|e| s.error_pages.push(e))
            .is_some(),
        "charset" => put!(content.charset, owned(one)),
        "client_max_body_size" => put!(client.max_body_size, one.and_then(Size::parse_nginx)),
        "keepalive_requests" => put!(client.keepalive_requests, one.and_then(|v| v.parse().ok())),
        "access_log" => put!(client.access_log, Some(strings(args))),
        "allow" | "deny" if args.len() == 1 => {
            s.access
                .get_or_insert_with(Default::default)
                .rules
                .push(AccessRule {
                    allow: name == "allow",
                    source: args[0].to_string(),
                    origin,
                });
            true
        }
        "valid_referers" => put!(access.valid_referers, Some(strings(args))),
        "auth_basic" => put!(access.auth_basic, owned(one)),
        "limit_req" => {
            let mut l = LimitReq {
                zone: String::new(),
                burst: 0,
                nodelay: false,
                delay: None,
                origin,
            };
            for a in &args {
                if let Some(z) = a.strip_prefix("zone=") {
                    l.zone = z.to_string();
                } else if let Some(b) = a.strip_prefix("burst=") {
                    let Ok(b) = b.parse() else { return false };
                    l.burst = b;
                } else if let Some(b) = a.strip_prefix("delay=") {
                    let Ok(b) = b.parse() else { return false };
                    l.delay = Some(b);
                } else if a == "nodelay" {
                    l.nodelay = true;
                } else {
                    return false;
                }
            }
            if l.zone.is_empty() {
                return false;
            }
            s.limit_req.push(l);
            true
        }
        "limit_conn" if args.len() == 2 => match args[1].parse() {
            Ok(limit) => {
                s.limit_conn.push(LimitConn {
                    zone: args[0].to_string(),
                    limit,
                    origin,
                });
                true
            }
            Err(_) => false,
        },
        "proxy_cache" => put!(cache.zone, owned(one)),
        "proxy_cache_key" => put!(cache.key, owned(one)),
        "proxy_cache_valid" => {
            let Some((time, codes)) = args.split_last() else {
                return false;
            };
            let Some(time) = Duration::parse_nginx(time, 1000) else {
                return false;
            };
            s.cache
                .get_or_insert_with(Default::default)
                .valid
                .push(CacheValid {
                    codes: codes.iter().map(|c| c.to_string()).collect(),
                    time,
                    origin,
                });
            true
        }
        _ if name.starts_with("gzip") => {
            let on = flag(one);
            gzip(
                s.compression.get_or_insert_with(Default::default),
                name,
                strings(args),
                origin,
                on,
            )
        }
        _ => false,
    };
    // A malformed gzip/cache directive must not leave an empty block behind.
    if s.compression
        .as_ref()
        .is_some_and(|c| **c == Compression::default())
    {
        s.compression = None;
    }
    if s.cache.as_ref().is_some_and(|c| **c == Default::default()) {
        s.cache = None;
    }
    handled
}

fn gzip(
    c: &mut Compression,
    name: &str,
    args: Vec<String>,
    origin: crate::ir::Origin,
    flag: Option<bool>,
) -> bool {
    let one = args.first().cloned();
    macro_rules! put {
        ($field:expr, $value:expr) => {{
            match $value {
                Some(v) => {
                    $field = Some(Setting::new(v, origin));
                    true
                }
                None => false,
            }
        }};
    }
    match name {
        "gzip" => put!(c.enabled, flag),
        "gzip_comp_level" => put!(c.level, one.and_then(|v| v.parse().ok())),
        "gzip_min_length" => put!(c.min_length, one.and_then(|v| Size::parse_nginx(&v))),
        "gzip_types" => put!(c.types, Some(args)),
        "gzip_vary" => put!(c.vary, flag),
        "gzip_proxied" => put!(c.proxied, Some(args)),
        "gzip_http_version" => put!(c.http_version, one),
        "gzip_static" => put!(c.static_files, one),
        "gzip_disable" => put!(c.disable, Some(args)),
        _ => false,
    }
}

/// Owned copies of borrowed arguments, for the IR.
fn strings(args: Vec<Cow<'_, str>>) -> Vec<String> {
    args.into_iter().map(Cow::into_owned).collect()
}

fn error_page(args: &[Cow<'_, str>], origin: crate::ir::Origin) -> Option<ErrorPage> {
    let (uri, rest) = args.split_last()?;
    let mut codes = Vec::new();
    let mut response_code = None;
    for a in rest {
        if let Some(r) = a.strip_prefix('=') {
            response_code = Some(r.to_string());
        } else {
            codes.push(a.parse().ok()?);
        }
    }
    if codes.is_empty() {
        return None;
    }
    Some(ErrorPage {
        codes,
        response_code,
        uri: uri.to_string(),
        origin,
    })
}

/// `listen ADDRESS[:PORT] [default_server] [ssl] [http2] [proxy_protocol] [udp] …`.
pub fn listener(w: &Walker, file: FileId, d: &Directive, protocol: Protocol) -> Option<Listener> {
    let args = w.args(file, d);
    let first = args.first()?;
    let mut l = Listener {
        address: None,
        port: None,
        unix: None,
        protocol,
        tls: false,
        http2: false,
        default_server: false,
        proxy_protocol: false,
        options: Vec::new(),
        origin: w.origin(file, d.range),
    };
    if let Some(path) = first.strip_prefix("unix:") {
        l.unix = Some(path.to_string());
    } else if let Ok(port) = first.parse::<u16>() {
        l.port = Some(port);
    } else {
        let (host, port) = super::lower_items::split_host_port(first);
        l.port = Some(port.unwrap_or(80));
        if host != "*" {
            l.address = Some(host);
        }
    }
    for a in &args[1..] {
        match a.as_str() {
            "default_server" | "default" => l.default_server = true,
            "ssl" => l.tls = true,
            "http2" => l.http2 = true,
            "proxy_protocol" => l.proxy_protocol = true,
            "udp" => l.protocol = Protocol::Udp,
            _ => l.options.push(a.clone()),
        }
    }
    Some(l)
}
