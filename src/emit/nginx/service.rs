//! Services as `server {}` blocks: listeners, names, settings, the action and the routes
//! (`location`s); HAProxy frontends arrive here too (bind → listen, path ACLs → locations).

use super::{dir, is_http, key, lua_lost, quote, Cx, Key, Part};
use crate::ir::{Action, Listener, MatchKind, Origin, Protocol, Route, Service};
use crate::syntax::nginx::lexer::is_raw_block_directive;

impl Cx<'_> {
    pub(super) fn service(&mut self, s: &Service) {
        let parts = self.service_parts(s);
        let has = |p: &str| {
            parts
                .iter()
                .any(|(_, x)| matches!(x, Part::Line(l) if l.starts_with(p)))
        };
        let stream = !is_http(s.protocol);
        if stream
            && self.foreign(s.origin)
            && (!has("listen ") || !(has("proxy_pass ") || has("return ")))
        {
            // nginx refuses a stream server without either.
            self.e.unsupported(
                s.origin,
                "a TCP service without a listening address or a destination",
                "nginx needs `listen` and `proxy_pass` in every stream server",
            );
            return;
        }
        self.e.line("server {");
        self.e.indent();
        self.write(parts);
        self.e.dedent();
        self.e.line("}");
    }

    pub(super) fn service_parts<'p>(&mut self, s: &'p Service) -> Vec<(Key, Part<'p>)> {
        let mut parts = Vec::new();
        let foreign = self.foreign(s.origin);
        if let (Some(name), true) = (&s.name, foreign) {
            parts.push(((0, 0, 0), Part::Comment(format!("# {name}"))));
        }
        let mut seen = Vec::new();
        if foreign {
            // HAProxy's `crt` PEM holds the certificate and its key.
            if let Some((l, crt)) = s.listeners.iter().find_map(|l| Some((l, certificate(l)?))) {
                parts.push((key(l.origin), Part::Line(dir("ssl_certificate", &[crt]))));
                parts.push((
                    key(l.origin),
                    Part::Line(dir("ssl_certificate_key", &[crt])),
                ));
            }
        }
        for l in &s.listeners {
            if let Some(line) = self.listen(l, foreign) {
                // HAProxy may bind `0.0.0.0:80` and `:80`: one socket for nginx.
                let norm = line
                    .replace("listen 0.0.0.0:", "listen ")
                    .replace("listen *:", "listen ");
                if !seen.contains(&norm) {
                    seen.push(norm);
                    parts.push((key(l.origin), Part::Line(line)));
                }
            }
        }
        if let Some(first) = s.server_names.first() {
            let names: Vec<&str> = s.server_names.iter().map(|n| n.name.as_str()).collect();
            parts.push((key(first.origin), Part::Line(dir("server_name", &names))));
        }
        self.settings_parts(&s.settings, s.protocol, s.origin, &mut parts);
        if foreign && is_http(s.protocol) {
            // The defaults' headers, unless the server sets the same header itself.
            let header = |l: &str| l.split(' ').take(2).collect::<Vec<_>>().join(" ");
            let own: Vec<String> = parts
                .iter()
                .filter_map(|(_, p)| match p {
                    Part::Line(l) => Some(header(l)),
                    _ => None,
                })
                .collect();
            for l in self.default_headers.clone() {
                if !own.contains(&header(&l)) {
                    parts.push(((0, 0, 0), Part::Line(l)));
                }
            }
        }
        if let Some(a) = &s.action {
            let root = s.routes.iter().any(|r| {
                r.matcher.kind == MatchKind::Prefix
                    && (r.matcher.pattern == "/" || (foreign && r.matcher.pattern.is_empty()))
                    && r.condition.is_none()
            });
            if foreign && is_http(s.protocol) && matches!(a, Action::Proxy { .. }) {
                // An HTTP `proxy_pass` lives in a location: the default backend takes `/`.
                if !root {
                    let mut inner = Vec::new();
                    self.action_parts(a, s.protocol, &mut inner);
                    parts.push((key(a.origin()), Part::Block("location /".into(), inner)));
                }
            } else {
                self.action_parts(a, s.protocol, &mut parts);
            }
        }
        let mut root_taken = false;
        let n = parts.len();
        for r in &s.routes {
            let catch_all = foreign && r.condition.is_none() && r.matcher.pattern.is_empty();
            if catch_all && root_taken {
                self.e.unsupported(
                    r.origin,
                    "a rule never reached: an earlier one takes every request",
                    "remove it, or give it a condition",
                );
                continue;
            }
            root_taken |= catch_all;
            self.route_part(r, s.protocol, &mut parts);
        }
        super::monotonic(&mut parts, n);
        if foreign {
            super::canonical(&mut parts);
        }
        parts
    }

    /// `listen …`, or `None` (with a diagnostic) for an address nginx cannot listen on.
    fn listen(&mut self, l: &Listener, foreign: bool) -> Option<String> {
        let address = l.address.as_deref().filter(|a| !a.is_empty());
        if foreign
            && (address.is_some_and(|a| a.contains('$')) || (l.port.is_none() && l.unix.is_none()))
        {
            self.e.unsupported(
                l.origin,
                "a listening address lbc cannot resolve (environment variable or no port)",
                "write the address nginx should listen on by hand",
            );
            return None;
        }
        let addr = if let Some(u) = &l.unix {
            format!("unix:{u}")
        } else {
            match (address, l.port) {
                (Some(a), _) if foreign && a.contains('@') => {
                    self.e.unsupported(
                        l.origin,
                        format!("the listening address `{a}`"),
                        "nginx listens on addresses, ports and unix sockets only",
                    );
                    return None;
                }
                (Some(a), Some(p)) if a.contains(':') => format!("[{a}]:{p}"),
                (Some(a), Some(p)) => format!("{a}:{p}"),
                (Some(a), None) => a.to_string(),
                (None, Some(p)) => p.to_string(),
                (None, None) => "80".into(),
            }
        };
        let mut args = vec![addr];
        if l.default_server {
            args.push("default_server".into());
        }
        if l.tls {
            args.push("ssl".into());
        }
        if l.http2 {
            args.push("http2".into());
        }
        if l.proxy_protocol {
            args.push("proxy_protocol".into());
        }
        if l.protocol == Protocol::Udp {
            args.push("udp".into());
        }
        if foreign {
            let mut rest = Vec::new();
            let mut words = l.options.iter();
            while let Some(w) = words.next() {
                match w.as_str() {
                    // Written as `ssl_certificate` by the service; `alpn h2` is `http2`.
                    "crt" | "alpn" => {
                        words.next();
                    }
                    _ => rest.push(w.as_str()),
                }
            }
            if !rest.is_empty() {
                self.e.unsupported(
                    l.origin,
                    format!("bind options `{}`", rest.join(" ")),
                    "set the matching nginx directives (`ssl_protocols`, `ssl_ciphers` …) by hand",
                );
            }
            if l.tls && certificate(l).is_none() {
                self.e.unsupported(
                    l.origin,
                    "TLS without a certificate (`crt`)",
                    "set `ssl_certificate` and `ssl_certificate_key`; the listener is written without `ssl`",
                );
                args.retain(|a| a != "ssl");
            }
        } else {
            args.extend(l.options.iter().cloned());
        }
        Some(dir("listen", &args))
    }

    fn route_part<'p>(
        &mut self,
        r: &'p Route,
        protocol: Protocol,
        parts: &mut Vec<(Key, Part<'p>)>,
    ) {
        if !is_http(protocol) {
            self.e.unsupported(
                r.origin,
                "a content-based route in a TCP service",
                "nginx's stream module has no routes; use `map` on `$ssl_preread_server_name` by hand",
            );
            return;
        }
        if let Some(c) = &r.condition {
            if r.matcher.pattern.is_empty() {
                self.e.unsupported(
                    r.origin,
                    format!("the condition `{c}` selects a backend by something else than the path"),
                    "nginx locations match the path only; use `map` and a variable `proxy_pass` by hand",
                );
                return;
            }
            self.e.approximated(
                r.origin,
                format!("the condition `{c}` becomes `location {}`", r.matcher.display()),
                "HAProxy takes the first matching rule; nginx the exact, then the longest prefix, then the first regex",
            );
        }
        parts.push((key(r.origin), Part::Route(r, protocol)));
    }

    pub(super) fn route(&mut self, r: &Route, protocol: Protocol) {
        let m = &r.matcher;
        let head = match m.kind {
            MatchKind::Named => format!("location @{}", m.pattern),
            MatchKind::Prefix => format!("location {}", quote(&self.route_path(r))),
            k => format!("location {} {}", k.modifier(), quote(&m.pattern)),
        };
        let parts = self.route_parts(r, protocol);
        self.e.line(format!("{head} {{"));
        self.e.indent();
        self.write(parts);
        self.e.dedent();
        self.e.line("}");
    }

    /// A prefix's path; a HAProxy stats URI loses its query (`/haproxy?stats` → `/haproxy`),
    /// as nginx locations never see the query string.
    fn route_path(&mut self, r: &Route) -> String {
        let p = &r.matcher.pattern;
        if p.is_empty() && self.foreign(r.origin) {
            return "/".into();
        }
        match p.split_once('?') {
            Some((path, _)) if self.foreign(r.origin) => {
                self.e.approximated(
                    r.matcher.origin,
                    format!("`{p}` becomes the location `{path}`"),
                    "nginx locations match the path without the query string",
                );
                if path.is_empty() {
                    "/".into()
                } else {
                    path.into()
                }
            }
            _ => p.clone(),
        }
    }

    pub(super) fn route_parts<'p>(
        &mut self,
        r: &'p Route,
        protocol: Protocol,
    ) -> Vec<(Key, Part<'p>)> {
        let mut parts = Vec::new();
        self.settings_parts(&r.settings, protocol, r.origin, &mut parts);
        if let Some(a) = &r.action {
            self.action_parts(a, protocol, &mut parts);
        }
        let from = parts.len();
        for n in &r.routes {
            self.route_part(n, protocol, &mut parts);
        }
        super::monotonic(&mut parts, from);
        parts
    }

    /// The content handler, and for a HAProxy backend the timeouts it sets on the way.
    fn action_parts<'p>(
        &mut self,
        a: &'p Action,
        protocol: Protocol,
        parts: &mut Vec<(Key, Part<'p>)>,
    ) {
        let origin = a.origin();
        let foreign = self.foreign(origin);
        let line = match a {
            Action::Proxy { target, pool, .. } => {
                if !foreign {
                    dir("proxy_pass", &[target])
                } else {
                    let name = pool.as_deref().unwrap_or(target);
                    match self.usable_pool(name, protocol) {
                        Some(true) => {}
                        Some(false) => {
                            self.e.approximated(
                                origin,
                                format!("`{name}` has no usable server: requests get a 503"),
                                "HAProxy answers 503 when a backend has no server; so does this `return`",
                            );
                            parts.push((key(origin), Part::Line(dir("return", &["503"]))));
                            return;
                        }
                        None => {
                            self.e.unsupported(
                                origin,
                                format!("the backend `{name}` is not defined"),
                                "define the backend, or write the destination by hand",
                            );
                            return;
                        }
                    }
                    self.pool_settings_parts(name, protocol, origin, parts);
                    if is_http(protocol) {
                        dir("proxy_pass", &[format!("http://{name}")])
                    } else {
                        dir("proxy_pass", &[name])
                    }
                }
            }
            Action::Return {
                status,
                body_or_url,
                ..
            } => match body_or_url {
                // The stream `return` sends one value.
                Some(b) if !is_http(protocol) => dir("return", &[b]),
                _ => {
                    let mut args = vec![status.to_string()];
                    args.extend(body_or_url.iter().cloned());
                    dir("return", &args)
                }
            },
            Action::Status { .. } => {
                if foreign {
                    self.e.approximated(
                        origin,
                        "the statistics page becomes `stub_status`",
                        "nginx's stub_status shows connection and request counters only, not per-server state",
                    );
                }
                dir::<&str>("stub_status", &[])
            }
            Action::Other {
                directive, args, ..
            } => {
                if foreign {
                    self.e.unsupported(
                        origin,
                        format!("the handler `{directive}`"),
                        "write the nginx handler by hand",
                    );
                    return;
                }
                if is_raw_block_directive(directive) {
                    lua_lost(self, origin, directive);
                    let mut head = dir(directive, args);
                    head.pop();
                    format!("{head} {{ }}")
                } else {
                    dir(directive, args)
                }
            }
        };
        parts.push((key(origin), Part::Line(line)));
    }

    /// The timeouts of a HAProxy backend, written where a request is passed to it (an nginx
    /// upstream holds no timeouts).
    fn pool_settings_parts(
        &mut self,
        name: &str,
        protocol: Protocol,
        at: Origin,
        parts: &mut Vec<(Key, Part<'_>)>,
    ) {
        let ir = self.ir;
        let Some(p) = ir
            .pools
            .iter()
            .find(|p| p.name == name && is_http(p.protocol) == is_http(protocol))
        else {
            return;
        };
        let mut inner = Vec::new();
        let t = p.settings.timeouts.clone().unwrap_or_default();
        let t = crate::ir::Settings {
            proxy: p.settings.proxy.clone(),
            timeouts: Some(Box::new(crate::ir::Timeouts {
                connect: t.connect.clone(),
                upstream_read: t.upstream_read.clone(),
                upstream_send: t.upstream_send.clone(),
                idle: t.idle.clone(),
                ..Default::default()
            })),
            ..Default::default()
        };
        self.settings_parts(&t, protocol, p.origin, &mut inner);
        let name = |l: &str| l.split(' ').next().unwrap_or("").to_string();
        let set: Vec<String> = parts
            .iter()
            .filter_map(|(_, x)| match x {
                Part::Line(l) => Some(name(l)),
                _ => None,
            })
            .collect();
        for (_, part) in inner {
            match part {
                // What the service itself sets wins over the backend's.
                Part::Line(l) if !set.contains(&name(&l)) => {
                    parts.push(((at.file, at.start, 0), Part::Line(l)))
                }
                _ => {}
            }
        }
    }
}

/// The PEM file of a HAProxy `bind … ssl crt FILE` (not one named by an environment variable).
fn certificate(l: &Listener) -> Option<&str> {
    let i = l.options.iter().position(|o| o == "crt")?;
    l.options
        .get(i + 1)
        .map(String::as_str)
        .filter(|c| !c.contains('$'))
}
