//! HAProxy lines the IR keeps opaque but nginx can still express: `option forwardfor`, header
//! rewrites with literal values, and the logging and connection options whose nginx
//! counterpart is a default (reported as approximated).

use super::{dir, key, Cx, Key, Part};
use crate::ir::Opaque;

const LOG_OPTIONS: &[&str] = &[
    "httplog",
    "tcplog",
    "dontlognull",
    "logasap",
    "log-separate-errors",
    "log-health-checks",
    "dontlog-normal",
    "httpslog",
];

const CONNECTION_OPTIONS: &[&str] = &[
    "http-server-close",
    "httpclose",
    "http-keep-alive",
    "forceclose",
    "http-pretend-keepalive",
    "abortonclose",
];

impl Cx<'_> {
    /// Writes the nginx form of a HAProxy line; false when there is none.
    pub(super) fn haproxy_line(&mut self, o: &Opaque, parts: &mut Vec<(Key, Part<'_>)>) -> bool {
        let args: Vec<&str> = o.args.iter().map(String::as_str).collect();
        let literal = |v: &str| !v.contains('%');
        let http = self.http_scope;
        match (o.name.as_str(), args.as_slice()) {
            ("option", ["forwardfor", rest @ ..]) if http => {
                let header = match rest {
                    ["header", h, ..] => h,
                    _ => "X-Forwarded-For",
                };
                if rest.contains(&"except") || rest.contains(&"if-none") {
                    self.e.approximated(
                        o.origin,
                        "`option forwardfor` exceptions are not kept",
                        "nginx adds the client address for every request",
                    );
                }
                let line = dir("proxy_set_header", &[header, "$proxy_add_x_forwarded_for"]);
                parts.push((key(o.origin), Part::Line(line)));
                true
            }
            ("option", [opt]) if LOG_OPTIONS.contains(opt) => {
                self.e.approximated(
                    o.origin,
                    format!("`option {opt}` becomes nginx's default access log"),
                    "nginx logs each request with `access_log` (combined format); set `log_format` to change it",
                );
                true
            }
            ("log", _) => {
                self.e.approximated(
                    o.origin,
                    "HAProxy logging becomes nginx's default logs",
                    "nginx writes `error_log` and `access_log` files; send them to syslog with `syslog:server=ADDRESS`",
                );
                true
            }
            ("option", [opt]) if CONNECTION_OPTIONS.contains(opt) => {
                self.e.approximated(
                    o.origin,
                    format!("`option {opt}` becomes nginx's connection handling"),
                    "nginx keeps client connections alive (`keepalive_timeout`) and opens one upstream connection per request unless the upstream has `keepalive`",
                );
                true
            }
            ("http-request", ["set-header" | "add-header", h, v]) if http && literal(v) => {
                let line = dir("proxy_set_header", &[h, v]);
                parts.push((key(o.origin), Part::Line(line)));
                true
            }
            ("http-response", ["set-header" | "add-header", h, v]) if http && literal(v) => {
                let line = dir("add_header", &[h, v, "always"]);
                parts.push((key(o.origin), Part::Line(line)));
                true
            }
            _ => false,
        }
    }
}
