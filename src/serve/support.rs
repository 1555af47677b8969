//! What `lbc serve` cannot honour: every IR element outside the supported subset becomes a
//! `serve/unsupported` error (the runtime refuses to start) or, for directives judged cosmetic,
//! a warning. Nothing is ignored silently.

use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::{Opaque, Origin, Settings};
use crate::rules::serve::UNSUPPORTED;

/// Opaque directives that change nothing in how requests are routed or answered.
const COSMETIC: &[&str] = &[
    "access_log",
    "error_log",
    "log_format",
    "charset",
    "default_type",
    "include",
    "types",
    "sendfile",
    "tcp_nopush",
    "tcp_nodelay",
    "server_tokens",
    "types_hash_max_size",
    "server_names_hash_bucket_size",
    "worker_connections",
    "multi_accept",
    "use",
    "limit_req_log_level",
    "limit_conn_log_level",
    "gzip_buffers",
    "open_file_cache",
    "open_file_cache_valid",
    "open_file_cache_min_uses",
    "open_file_cache_errors",
    "open_log_file_cache",
    "log_not_found",
    "sendfile_max_chunk",
    "output_buffers",
    "keepalive_disable",
    // HTTP/2 buffer sizes and the directives nginx 1.19.7 made obsolete (it warns and
    // ignores them too); server push, which browsers have dropped.
    "http2_chunk_size",
    "http2_body_preread_size",
    "http2_recv_buffer_size",
    "http2_max_field_size",
    "http2_max_header_size",
    "http2_idle_timeout",
    "http2_recv_timeout",
    "http2_max_requests",
    "http2_push",
    "http2_push_preload",
    // HAProxy: headers kept for the log line only.
    "capture",
    // Buffer sizing: memory, not answers.
    "client_body_buffer_size",
    // How the nginx process runs (`lbc serve` stays in the foreground, one process).
    "daemon",
    "master_process",
    "worker_priority",
    "worker_cpu_affinity",
    "worker_rlimit_core",
    "timer_resolution",
    "pcre_jit",
    "lock_file",
    "working_directory",
    "debug_points",
    // Hash table sizing (`map`, variables): memory, not answers.
    "map_hash_max_size",
    "map_hash_bucket_size",
    "variables_hash_max_size",
    "variables_hash_bucket_size",
];

/// HAProxy `global` keywords that set up the process (logging, privileges, the runtime API,
/// TLS defaults for `bind … ssl`, which is refused where it appears) and change nothing in how
/// requests are routed or answered; `maxconn`, `user` and `nbthread` are read where the IR
/// keeps them.
const HAPROXY_GLOBAL: &[&str] = &[
    "log",
    "log-send-hostname",
    "log-tag",
    "chroot",
    "daemon",
    "master-worker",
    "pidfile",
    "user",
    "group",
    "uid",
    "gid",
    "node",
    "description",
    "ca-base",
    "crt-base",
    "stats",
    "nbproc",
    "cpu-map",
    "ulimit-n",
    "quiet",
    "hard-stop-after",
    "strict-limits",
    "thread-groups",
    "set-dumpable",
    "insecure-fork-wanted",
    "insecure-setuid-wanted",
    "busy-polling",
    "noepoll",
    "nopoll",
    "nosplice",
    "noreuseport",
    "numa-cpu-mapping",
    "profiling.tasks",
    "profiling.memory",
    "expose-experimental-directives",
    "zero-warning",
    "mworker-max-reloads",
    "spread-checks",
    "max-spread-checks",
    "localpeer",
    "unix-bind",
    "grace",
    // Only servers with `ssl` read it, and those are refused.
    "ssl-server-verify",
    // DHE parameters: rustls negotiates no DHE cipher suite.
    "ssl-dh-param-file",
];

/// HAProxy `option`s that only shape the logs.
const HAPROXY_LOG_OPTIONS: &[&str] = &[
    "httplog",
    "httpslog",
    "tcplog",
    "dontlognull",
    "dontlog-normal",
    "log-health-checks",
    "log-separate-errors",
    "logasap",
];

/// HAProxy `option`s the runtime honours where it plans the proxy that reads them
/// (`super::plan::ServerOptions`), or that say what it does anyway (`http-keep-alive`).
const HAPROXY_OPTIONS_HONOURED: &[&str] = &[
    "forwardfor",
    "http-server-close",
    "httpclose",
    "http-keep-alive",
    // Read where the listeners are planned (`super::plan::Http2`, `super::conn::Late`).
    "disable-h2-upgrade",
    "http-ignore-probes",
];

/// Collects the findings of one planning run.
#[derive(Default)]
pub struct Findings {
    pub diags: Vec<Diagnostic>,
}

impl Findings {
    /// Something the runtime cannot honour: `serve` refuses to start.
    pub fn refuse(&mut self, origin: Origin, what: impl AsRef<str>) {
        let what = what.as_ref();
        self.diags.push(
            Diagnostic::new(
                UNSUPPORTED.code,
                Severity::Error,
                format!("`lbc serve` does not support {what}"),
                origin.span(),
            )
            .label("not supported by the built-in runtime")
            .help("remove it, or run the configuration in the proxy it was written for"),
        );
    }

    /// Something the runtime ignores without changing routing or answers (once per place:
    /// a directive inherited by many locations is read for each).
    pub fn ignore(&mut self, origin: Origin, what: impl AsRef<str>) {
        let message = format!("`lbc serve` ignores {}", what.as_ref());
        if self
            .diags
            .iter()
            .any(|d| d.primary.span == origin.span() && d.message == message)
        {
            return;
        }
        self.diags.push(
            Diagnostic::new(UNSUPPORTED.code, Severity::Warning, message, origin.span())
                .label("ignored by the built-in runtime"),
        );
    }

    pub fn has_errors(&self) -> bool {
        self.diags.iter().any(|d| d.severity == Severity::Error)
    }

    /// Opaque entries: cosmetic ones are warnings, the others refused.
    pub fn opaque(&mut self, entries: &[Opaque]) {
        for o in entries {
            if o.name == "events" && o.block {
                self.opaque(&o.children);
            } else if o.name == "global" && o.block {
                self.haproxy_global(&o.children);
            } else if o.name == "option" {
                self.haproxy_option(o);
            } else if o.name == "no"
                && o.args.len() == 2
                && o.args[0] == "option"
                && ["disable-h2-upgrade", "http-ignore-probes"].contains(&o.args[1].as_str())
            {
                // Read with `option disable-h2-upgrade|http-ignore-probes`.
            } else if o.name == "http-reuse" {
                // `safe`, `aggressive` and `always` are honoured
                // (`super::plan::ServerOptions`), `never` refused there.
            } else if o.name == "log" {
                self.ignore(o.origin, "`log` (logging)");
            } else if o.name == "errorfile" {
                self.ignore(o.origin, "`errorfile` (its own error pages are served)");
            } else if super::tls::NGINX_TUNING.contains(&o.name.as_str()) {
                self.ignore(
                    o.origin,
                    format!("`{}` (TLS tuning: rustls's own choices are used)", o.name),
                );
            } else if COSMETIC.contains(&o.name.as_str()) {
                self.ignore(o.origin, format!("`{}`", o.name));
            } else {
                self.refuse(o.origin, format!("`{}`", o.name));
            }
        }
    }

    /// A HAProxy `global` section's keywords.
    fn haproxy_global(&mut self, entries: &[Opaque]) {
        for o in entries {
            let name = o.name.as_str();
            if super::head::HAPROXY_TUNES.contains(&name) {
                // honoured (`super::head`)
            } else if HAPROXY_GLOBAL.contains(&name)
                || name.starts_with("ssl-default-")
                || name.starts_with("tune.")
            {
                self.ignore(o.origin, format!("`{name}` (a process setting)"));
            } else {
                self.refuse(o.origin, format!("`{name}` in `global`"));
            }
        }
    }

    /// A HAProxy `option` (named by its first argument).
    fn haproxy_option(&mut self, o: &Opaque) {
        let which = o.args.first().map_or("", String::as_str);
        if HAPROXY_OPTIONS_HONOURED.contains(&which) {
            return;
        }
        if HAPROXY_LOG_OPTIONS.contains(&which) {
            self.ignore(o.origin, format!("`option {which}` (logging)"));
        } else {
            self.refuse(o.origin, format!("`option {}`", o.args.join(" ")));
        }
    }

    /// A settings scope outside the content phase (pools): `proxy_set_header`, upstream
    /// timeouts and retries are implemented, client timeouts are ignored with a warning, the
    /// rest is refused.
    pub fn settings(&mut self, s: &Settings) {
        self.settings_of(s, false);
    }

    /// The settings of an http, server or location level: what [`super::content`] honours
    /// (static files, `add_header`, `error_page`, gzip, limits, `allow`/`deny`, access log)
    /// is accepted there.
    pub fn scope_settings(&mut self, s: &Settings) {
        self.settings_of(s, true);
    }

    fn settings_of(&mut self, s: &Settings, content: bool) {
        if let Some(c) = s.content.as_ref().filter(|_| !content) {
            let refused = [
                ("root", c.root.as_ref().map(|x| x.origin)),
                ("alias", c.alias.as_ref().map(|x| x.origin)),
                ("index", c.index.as_ref().map(|x| x.origin)),
                ("autoindex", c.autoindex.as_ref().map(|x| x.origin)),
                ("try_files", c.try_files.as_ref().map(|x| x.origin)),
                ("expires", c.expires.as_ref().map(|x| x.origin)),
            ];
            for (name, origin) in refused {
                if let Some(o) = origin {
                    self.refuse(o, format!("`{name}` (static files)"));
                }
            }
            if let Some(o) = c.default_type.as_ref().map(|x| x.origin) {
                self.ignore(o, "`default_type`");
            }
        }
        if let Some(o) = s
            .content
            .as_ref()
            .filter(|_| !content)
            .and_then(|c| c.charset.as_ref())
            .map(|x| x.origin)
        {
            self.ignore(o, "`charset`");
        }
        // Upstream timeouts (`connect`, `upstream_read`, `upstream_send`) are honoured by the
        // proxy (`super::retry`), the time to send a request's head (`client_header_timeout`,
        // HAProxy `timeout http-request`, else `timeout client`) by the listener
        // (`super::plan::ListenPlan::header_timeout`), the keep-alive time
        // (`keepalive_timeout`, HAProxy `timeout http-keep-alive`) by the connection
        // (`super::content::Scope::keepalive`); the other client-side ones are not yet.
        if let Some(t) = &s.timeouts {
            for o in [&t.idle, &t.client_body, &t.queue, &t.check]
                .into_iter()
                .flatten()
            {
                self.ignore(o.origin, "timeouts (fixed defaults are used)");
            }
            if let Some(o) = &t.client {
                self.ignore(
                    o.origin,
                    "this client timeout while a request body or a response is under way (fixed defaults are used)",
                );
            }
        }
        if let Some(p) = &s.proxy {
            if let Some(v) = &p.buffering {
                self.ignore(v.origin, "`proxy_buffering` (responses are streamed)");
            }
            // `proxy_next_upstream[_tries]`, `retries` and `option redispatch` are checked
            // where a proxied location compiles its policy (`super::retry`).
            for h in &p.hide_headers {
                self.refuse(h.origin, "`proxy_hide_header`");
            }
        }
        if let Some(c) = &s.client {
            if let Some(v) = c.access_log.as_ref().filter(|_| !content) {
                self.ignore(v.origin, "`access_log`");
            }
            if let Some(v) = &c.keepalive_requests {
                self.ignore(v.origin, "`keepalive_requests`");
            }
            if let Some(v) = c.max_body_size.as_ref().filter(|_| !content) {
                self.refuse(v.origin, "`client_max_body_size`");
            }
            // A frontend's (or the defaults') `maxconn` is honoured by its listener.
            if let Some(v) = c.max_connections.as_ref().filter(|_| !content) {
                self.refuse(v.origin, "`maxconn`");
            }
        }
        if let Some(c) = s.compression.as_ref().filter(|_| !content) {
            let origin = [
                c.enabled.as_ref().map(|x| x.origin),
                c.level.as_ref().map(|x| x.origin),
            ];
            if let Some(o) = origin.into_iter().flatten().next() {
                self.refuse(o, "compression (`gzip*`)");
            }
        }
        if let Some(c) = &s.cache {
            if let Some(o) = c
                .zone
                .as_ref()
                .map(|x| x.origin)
                .or(c.key.as_ref().map(|x| x.origin))
            {
                self.refuse(o, "caching (`proxy_cache*`)");
            }
        }
        if let Some(a) = &s.access {
            for r in a.rules.iter().filter(|_| !content) {
                self.refuse(r.origin, if r.allow { "`allow`" } else { "`deny`" });
            }
            if let Some(v) = a.valid_referers.as_ref().filter(|_| !content) {
                self.refuse(v.origin, "`valid_referers`");
            }
            if let Some(v) = a.auth_basic.as_ref().filter(|_| !content) {
                self.refuse(v.origin, "`auth_basic`");
            }
        }
        // `stats …`: the page is served where a frontend enables it (see `super::stats`).
        if !content {
            for h in &s.response_headers {
                self.refuse(h.origin, "`add_header`");
            }
            for e in &s.error_pages {
                self.refuse(e.origin, "`error_page`");
            }
            for l in &s.limit_req {
                self.refuse(l.origin, "`limit_req`");
            }
            for l in &s.limit_conn {
                self.refuse(l.origin, "`limit_conn`");
            }
        }
        // `proxy_next_upstream_timeout` is honoured by the proxy (`super::retry`); in content
        // scopes, what `super::content` reads is honoured there.
        let rest: Vec<Opaque> = s
            .opaque
            .iter()
            .filter(|o| o.name != "proxy_next_upstream_timeout")
            .filter(|o| {
                !(content
                    && (super::content::READ_HERE.contains(&o.name.as_str())
                        || super::tls::NGINX_READ.contains(&o.name.as_str())
                        || super::http_request::READ.contains(&o.name.as_str())))
            })
            .cloned()
            .collect();
        self.opaque(&rest);
    }
}
