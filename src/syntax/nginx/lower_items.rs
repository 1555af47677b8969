//! Lowering of individual nginx directives: what each block's directives become in the IR.

use super::cst::Directive;
use super::directives::{self as dt, Ctx};
use super::lower::{Target, Walker};
use crate::ir::{
    self, Action, Algorithm, MatchKind, Matcher, NameKind, Origin, Pool, Protocol, Route, Server,
    ServerName, Service, Workers, Zone, ZoneKind,
};
use crate::source::FileId;

/// Blocks whose bodies are data, not directives.
pub const FREE_FORM_BLOCKS: &[&str] = &[
    "map",
    "geo",
    "types",
    "split_clients",
    "match",
    "charset_map",
];

pub fn new_service(protocol: Protocol, origin: Origin) -> Service {
    Service {
        name: None,
        protocol,
        listeners: Vec::new(),
        server_names: Vec::new(),
        settings: Default::default(),
        action: None,
        routes: Vec::new(),
        origin,
        ..Default::default()
    }
}

/// Lowers one directive `d` (named `name`) found in context `ctx` into `target`.
pub fn directive(
    w: &mut Walker,
    file: FileId,
    d: &Directive,
    name: &str,
    ctx: Ctx,
    target: &mut Target,
) {
    let block_items = d.block().map(|b| b.items.as_slice());
    // Free-form blocks are kept whole; their bodies are not directives.
    if (FREE_FORM_BLOCKS.contains(&name) || dt::has_freeform_body(name)) && block_items.is_some() {
        push_opaque(w, file, d, target);
        return;
    }
    match target {
        Target::Main => main(w, file, d, name, block_items),
        Target::Events => events(w, file, d, name),
        Target::Family(i) => {
            let i = *i;
            family(w, file, d, name, ctx, i, block_items)
        }
        Target::Service(svc) => service(w, file, d, name, ctx, svc, block_items),
        Target::Route(route) => route_item(w, file, d, name, ctx, route, block_items),
        Target::Pool(pool) => pool_item(w, file, d, name, pool),
        Target::Nowhere => {
            if let Some(items) = block_items {
                w.walk(file, items, ctx, name, &mut Target::Nowhere);
            }
        }
    }
}

fn push_opaque(w: &mut Walker, file: FileId, d: &Directive, target: &mut Target) {
    let o = w.opaque(file, d, None);
    match target {
        Target::Main => w.ir.opaque.push(o),
        Target::Events => w.ir.opaque.push(Opaque {
            context: Some("events".into()),
            ..o
        }),
        Target::Family(i) => w.ir.defaults[*i].settings.opaque.push(o),
        Target::Service(s) => s.settings.opaque.push(o),
        Target::Route(r) => r.settings.opaque.push(o),
        Target::Pool(p) => p.opaque.push(o),
        Target::Nowhere => {}
    }
}

use crate::ir::Opaque;

fn first(w: &Walker, file: FileId, d: &Directive) -> String {
    d.args.first().map(|a| w.value(file, a)).unwrap_or_default()
}

fn main(
    w: &mut Walker,
    file: FileId,
    d: &Directive,
    name: &str,
    items: Option<&[super::cst::Item]>,
) {
    let arg = first(w, file, d);
    match (name, items) {
        ("events", Some(items)) => w.walk(file, items, dt::EVENTS, name, &mut Target::Events),
        ("http", Some(items)) => {
            let i = w.family(Protocol::Http, w.origin(file, d.range));
            w.walk_family(file, items, dt::HTTP, name, i);
        }
        ("stream", Some(items)) => {
            let i = w.family(Protocol::Tcp, w.origin(file, d.range));
            w.walk_family(file, items, dt::STREAM, name, i);
        }
        ("mail", Some(items)) => {
            w.walk(file, items, dt::MAIL, name, &mut Target::Nowhere);
            let o = w.opaque(file, d, None);
            w.ir.opaque.push(o);
        }
        ("worker_processes", None) => {
            let v = if arg == "auto" {
                Some(Workers::Auto)
            } else {
                arg.parse().ok().map(Workers::Count)
            };
            match v {
                Some(v) => w.ir.process.workers = Some(w.setting(file, d, v)),
                None => push_opaque(w, file, d, &mut Target::Main),
            }
        }
        ("worker_rlimit_nofile", None) => match arg.parse() {
            Ok(n) => w.ir.process.rlimit_nofile = Some(w.setting(file, d, n)),
            Err(_) => push_opaque(w, file, d, &mut Target::Main),
        },
        ("user", None) => w.ir.process.user = Some(w.setting(file, d, w.args(file, d).join(" "))),
        ("pid", None) => w.ir.process.pid_file = Some(w.setting(file, d, arg)),
        ("error_log", None) => {
            let s = w.setting(file, d, w.args(file, d));
            w.ir.process.error_logs.push(s)
        }
        _ => push_opaque(w, file, d, &mut Target::Main),
    }
}

fn events(w: &mut Walker, file: FileId, d: &Directive, name: &str) {
    let arg = first(w, file, d);
    match name {
        "worker_connections" if arg.parse::<u64>().is_ok() => {
            w.ir.process.worker_connections = Some(w.setting(file, d, arg.parse().unwrap_or(0)))
        }
        "use" => w.ir.process.event_method = Some(w.setting(file, d, arg)),
        "multi_accept" => w.ir.process.multi_accept = Some(w.setting(file, d, arg == "on")),
        _ => push_opaque(w, file, d, &mut Target::Events),
    }
}

fn family(
    w: &mut Walker,
    file: FileId,
    d: &Directive,
    name: &str,
    ctx: Ctx,
    i: usize,
    items: Option<&[super::cst::Item]>,
) {
    let protocol = w.ir.defaults[i].protocol;
    let (srv_ctx, ups_ctx) = if ctx == dt::HTTP {
        (dt::HTTP_SRV, dt::HTTP_UPS)
    } else {
        (dt::STREAM_SRV, dt::STREAM_UPS)
    };
    match (name, items) {
        ("server", Some(items)) => {
            let mut svc = new_service(protocol, w.origin(file, d.range));
            w.walk(file, items, srv_ctx, name, &mut Target::Service(&mut svc));
            w.ir.services.push(svc);
        }
        ("upstream", Some(items)) => {
            let mut pool = Pool {
                name: first(w, file, d),
                protocol,
                algorithm: Algorithm::RoundRobin,
                algorithm_origin: None,
                servers: Vec::new(),
                keepalive: None,
                zone: None,
                health_checks: Vec::new(),
                opaque: Vec::new(),
                origin: w.origin(file, d.range),
                ..Default::default()
            };
            w.walk(file, items, ups_ctx, name, &mut Target::Pool(&mut pool));
            w.ir.pools.push(pool);
        }
        ("limit_req_zone" | "limit_conn_zone" | "proxy_cache_path", None) => {
            match zone(w, file, d, name) {
                Some(z) => w.ir.zones.push(z),
                None => push_opaque(w, file, d, &mut Target::Family(i)),
            }
        }
        (_, items) => {
            let mut settings = std::mem::take(&mut w.ir.defaults[i].settings);
            let handled =
                items.is_none() && super::lower_settings::apply(w, file, d, name, &mut settings);
            w.ir.defaults[i].settings = settings;
            if !handled {
                push_opaque(w, file, d, &mut Target::Family(i));
            }
        }
    }
}

fn zone(w: &Walker, file: FileId, d: &Directive, name: &str) -> Option<Zone> {
    let args = w.args(file, d);
    let param = |key: &str| {
        args.iter()
            .find_map(|a| a.strip_prefix(key).map(str::to_string))
    };
    let zone_arg = if name == "proxy_cache_path" {
        param("keys_zone=")?
    } else {
        param("zone=")?
    };
    let (zname, size) = match zone_arg.split_once(':') {
        Some((n, s)) => (n.to_string(), ir::Size::parse_nginx(s)),
        None => (zone_arg.clone(), None),
    };
    let kind = match name {
        "limit_req_zone" => {
            let rate = param("rate=")?;
            let per_second = if let Some(r) = rate.strip_suffix("r/s") {
                r.parse::<f64>().ok()?
            } else {
                rate.strip_suffix("r/m")?.parse::<f64>().ok()? / 60.0
            };
            ZoneKind::RequestRate {
                key: args.first()?.clone(),
                rate_per_second: per_second,
            }
        }
        "limit_conn_zone" => ZoneKind::Connections {
            key: args.first()?.clone(),
        },
        _ => ZoneKind::Cache {
            path: args.first()?.clone(),
            levels: param("levels="),
            inactive: param("inactive=").and_then(|v| ir::Duration::parse_nginx(&v, 1000)),
            max_size: param("max_size=").and_then(|v| ir::Size::parse_nginx(&v)),
        },
    };
    Some(Zone {
        name: zname,
        size,
        kind,
        origin: w.origin(file, d.range),
    })
}

fn service(
    w: &mut Walker,
    file: FileId,
    d: &Directive,
    name: &str,
    ctx: Ctx,
    svc: &mut Service,
    items: Option<&[super::cst::Item]>,
) {
    match (name, items) {
        ("listen", None) => {
            if let Some(l) = super::lower_settings::listener(w, file, d, svc.protocol) {
                svc.listeners.push(l);
            }
        }
        ("server_name", None) => {
            for a in &d.args {
                let n = w.value(file, a);
                let kind = if n.starts_with('~') {
                    NameKind::Regex
                } else if n.starts_with("*.") || n.starts_with('.') {
                    NameKind::LeadingWildcard
                } else if n.ends_with(".*") {
                    NameKind::TrailingWildcard
                } else {
                    NameKind::Exact
                };
                svc.server_names.push(ServerName {
                    name: n,
                    kind,
                    origin: w.origin(file, a.range),
                });
            }
        }
        ("location", Some(items)) => {
            let mut route = new_route(w, file, d);
            w.walk(
                file,
                items,
                dt::HTTP_LOC,
                name,
                &mut Target::Route(&mut route),
            );
            svc.routes.push(route);
        }
        ("if", Some(items)) => {
            w.walk(file, items, dt::HTTP_SIF, name, &mut Target::Nowhere);
            svc.settings.opaque.push(w.opaque(file, d, None));
        }
        (_, None) if svc.action.is_none() && is_action(name) => match action(w, file, d, name) {
            Some(a) => svc.action = Some(a),
            None => svc.settings.opaque.push(w.opaque(file, d, None)),
        },
        (_, items) => {
            let handled = items.is_none()
                && super::lower_settings::apply(w, file, d, name, &mut svc.settings);
            if !handled {
                if let Some(items) = items.filter(|_| allowed(name, ctx)) {
                    w.walk(file, items, ctx, name, &mut Target::Nowhere);
                }
                svc.settings.opaque.push(w.opaque(file, d, None));
            }
        }
    }
}

fn route_item(
    w: &mut Walker,
    file: FileId,
    d: &Directive,
    name: &str,
    _ctx: Ctx,
    route: &mut Route,
    items: Option<&[super::cst::Item]>,
) {
    match (name, items) {
        ("location", Some(items)) => {
            let mut nested = new_route(w, file, d);
            w.walk(
                file,
                items,
                dt::HTTP_LOC,
                name,
                &mut Target::Route(&mut nested),
            );
            route.routes.push(nested);
        }
        ("if" | "limit_except", Some(items)) => {
            let ctx = if name == "if" {
                dt::HTTP_LIF
            } else {
                dt::HTTP_LMT
            };
            w.walk(file, items, ctx, name, &mut Target::Nowhere);
            route.settings.opaque.push(w.opaque(file, d, None));
        }
        (_, None) if route.action.is_none() && is_action(name) => match action(w, file, d, name) {
            Some(a) => route.action = Some(a),
            None => route.settings.opaque.push(w.opaque(file, d, None)),
        },
        (_, items) => {
            let handled = items.is_none()
                && super::lower_settings::apply(w, file, d, name, &mut route.settings);
            if !handled {
                if let Some(items) = items.filter(|_| allowed(name, dt::HTTP_LOC)) {
                    w.walk(file, items, dt::HTTP_LOC, name, &mut Target::Nowhere);
                }
                route.settings.opaque.push(w.opaque(file, d, None));
            }
        }
    }
}

/// Whether nginx allows `name` in `ctx`; the children of a misplaced block are not walked, as
/// their context would be wrong and only add noise to the one real error.
fn allowed(name: &str, ctx: Ctx) -> bool {
    dt::lookup(name).iter().any(|s| s.contexts & ctx != 0)
}

/// Content handlers lbc does not model beyond their name (`fastcgi_pass`, Lua, njs, …).
const OTHER_HANDLERS: &[&str] = &[
    "fastcgi_pass",
    "uwsgi_pass",
    "scgi_pass",
    "grpc_pass",
    "memcached_pass",
    "empty_gif",
    "content_by_lua",
    "content_by_lua_block",
    "content_by_lua_file",
    "js_content",
    "perl",
    "dav_methods",
    "mp4",
    "flv",
    "pass",
];

/// Directives that install a content handler (see [`action`]).
fn is_action(name: &str) -> bool {
    matches!(name, "proxy_pass" | "return" | "stub_status") || OTHER_HANDLERS.contains(&name)
}

/// The content handler a directive installs, if it is one.
fn action(w: &Walker, file: FileId, d: &Directive, name: &str) -> Option<Action> {
    let origin = w.origin(file, d.range);
    let args = w.args_cow(file, d);
    match name {
        "proxy_pass" => Some(Action::Proxy {
            target: args.first()?.to_string(),
            pool: None,
            origin,
        }),
        "return" => {
            let (status, rest) = match args.first()?.parse::<u16>() {
                Ok(code) => (code, args.get(1).map(|a| a.to_string())),
                // `return URL` is a 302.
                Err(_) => (302, args.first().map(|a| a.to_string())),
            };
            Some(Action::Return {
                status,
                body_or_url: rest,
                origin,
            })
        }
        "stub_status" => Some(Action::Status { origin }),
        _ if OTHER_HANDLERS.contains(&name) => Some(Action::Other {
            directive: name.to_string(),
            args: args.iter().map(|a| a.to_string()).collect(),
            origin,
        }),
        _ => None,
    }
}

/// `location [=|~|~*|^~] pattern`, including the modifier glued to the pattern (`~/vod/`).
fn new_route(w: &Walker, file: FileId, d: &Directive) -> Route {
    let args = w.args_cow(file, d);
    let head = d.args.first().map_or(d.name.range, |a| a.range);
    let head = d.args.last().map_or(head, |l| head.cover(l.range));
    let (kind, pattern) = split_location(&args);
    Route {
        matcher: Matcher {
            kind,
            pattern,
            origin: w.origin(file, head),
        },
        action: None,
        settings: Default::default(),
        routes: Vec::new(),
        origin: w.origin(file, d.range),
        ..Default::default()
    }
}

/// The modifier and pattern of a location's arguments, as nginx reads them.
pub fn split_location<S: AsRef<str>>(args: &[S]) -> (MatchKind, String) {
    let join = |args: &[S]| args.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(" ");
    let modifier = |m: &str| match m {
        "=" => Some(MatchKind::Exact),
        "~" => Some(MatchKind::Regex),
        "~*" => Some(MatchKind::RegexCaseless),
        "^~" => Some(MatchKind::PrefixNoRegex),
        _ => None,
    };
    match args {
        [] => (MatchKind::Prefix, String::new()),
        [one] => {
            let one = one.as_ref();
            for (m, k) in [
                ("^~", MatchKind::PrefixNoRegex),
                ("~*", MatchKind::RegexCaseless),
                ("~", MatchKind::Regex),
                ("=", MatchKind::Exact),
            ] {
                if let Some(rest) = one.strip_prefix(m) {
                    return (k, rest.to_string());
                }
            }
            match one.strip_prefix('@') {
                Some(n) => (MatchKind::Named, n.to_string()),
                None => (MatchKind::Prefix, one.to_string()),
            }
        }
        [m, rest @ ..] => match modifier(m.as_ref()) {
            Some(k) => (k, join(rest)),
            None => (MatchKind::Prefix, join(args)),
        },
    }
}

fn pool_item(w: &mut Walker, file: FileId, d: &Directive, name: &str, pool: &mut Pool) {
    let args = w.args_cow(file, d);
    let origin = Some(w.origin(file, d.range));
    match name {
        "server" => match server(w, file, d) {
            Some(s) => pool.servers.push(s),
            None => pool.opaque.push(w.opaque(file, d, None)),
        },
        "ip_hash" => (pool.algorithm, pool.algorithm_origin) = (Algorithm::IpHash, origin),
        "least_conn" => (pool.algorithm, pool.algorithm_origin) = (Algorithm::LeastConn, origin),
        "hash" if !args.is_empty() => {
            let consistent = args.get(1).is_some_and(|a| a == "consistent");
            (pool.algorithm, pool.algorithm_origin) = (
                Algorithm::Hash {
                    key: args[0].to_string(),
                    consistent,
                },
                origin,
            )
        }
        "random" => {
            let two = args.first().is_some_and(|a| a == "two");
            let method = if two {
                args.get(1).map(|a| a.to_string())
            } else {
                None
            };
            (pool.algorithm, pool.algorithm_origin) = (Algorithm::Random { two, method }, origin)
        }
        "keepalive" if args.first().and_then(|a| a.parse::<u32>().ok()).is_some() => {
            pool.keepalive = args.first().and_then(|a| a.parse().ok());
            pool.keepalive_origin = origin;
        }
        "zone" if !args.is_empty() => pool.zone = Some(args[0].to_string()),
        _ => pool.opaque.push(w.opaque(file, d, None)),
    }
}

/// `server ADDRESS [weight=N] [max_fails=N] [fail_timeout=T] [backup] [down] …` in an upstream.
fn server(w: &Walker, file: FileId, d: &Directive) -> Option<Server> {
    let args = w.args_cow(file, d);
    let (address, port) = split_host_port(args.first()?);
    let mut s = Server {
        address,
        port,
        name: None,
        weight: None,
        weight_origin: None,
        max_fails: None,
        fail_timeout: None,
        max_conns: None,
        slow_start: None,
        backup: false,
        backup_origin: None,
        down: false,
        resolve: false,
        other: Vec::new(),
        origin: w.origin(file, d.range),
        ..Default::default()
    };
    for (a, raw) in args.iter().zip(&d.args).skip(1) {
        let o = Some(w.origin(file, raw.range));
        let (key, val) = a.split_once('=').unwrap_or((a, ""));
        let ok = match key {
            "weight" => val
                .parse()
                .ok()
                .map(|v| (s.weight, s.weight_origin) = (Some(v), o))
                .is_some(),
            "max_fails" => val.parse().ok().map(|v| s.max_fails = Some(v)).is_some(),
            "max_conns" => val.parse().ok().map(|v| s.max_conns = Some(v)).is_some(),
            "fail_timeout" => ir::Duration::parse_nginx(val, 1000)
                .map(|v| s.fail_timeout = Some(v))
                .is_some(),
            "slow_start" => ir::Duration::parse_nginx(val, 1000)
                .map(|v| s.slow_start = Some(v))
                .is_some(),
            "backup" if val.is_empty() => {
                (s.backup, s.backup_origin) = (true, o);
                true
            }
            "down" if val.is_empty() => {
                s.down = true;
                true
            }
            "resolve" if val.is_empty() => {
                s.resolve = true;
                true
            }
            _ => false,
        };
        if !ok {
            s.other.push(a.to_string());
        }
    }
    Some(s)
}

/// Splits `host:port`, `[v6]:port`, `unix:/path` and bare hosts.
pub fn split_host_port(s: &str) -> (String, Option<u16>) {
    if s.starts_with("unix:") {
        return (s.to_string(), None);
    }
    if let Some(rest) = s.strip_prefix('[') {
        if let Some((host, tail)) = rest.split_once(']') {
            let port = tail.strip_prefix(':').and_then(|p| p.parse().ok());
            return (host.to_string(), port);
        }
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => match p.parse() {
            Ok(port) => (h.to_string(), Some(port)),
            Err(_) => (s.to_string(), None),
        },
        _ => (s.to_string(), None),
    }
}
