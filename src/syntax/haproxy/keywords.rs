//! HAProxy 2.6 keyword tables, per section, built from its `configuration.txt` (the proxy
//! keywords matrix of section 4.1, the global keyword list of section 3, the keywords of the
//! other sections) and from `haproxy -dKcfg`; plus the keywords HAProxy removed, with what
//! replaces them.

use std::collections::HashMap;

/// Section keywords HAProxy 2.6 knows.
pub const SECTIONS: &[&str] = &[
    "global",
    "defaults",
    "frontend",
    "backend",
    "listen",
    "userlist",
    "resolvers",
    "peers",
    "cache",
    "program",
    "http-errors",
    "ring",
    "mailers",
    "log-forward",
    "fcgi-app",
];

pub fn is_section(word: &str) -> bool {
    SECTIONS.contains(&word)
}

/// Proxy capabilities: where a proxy keyword is allowed.
pub const D: u8 = 1;
pub const F: u8 = 2;
pub const L: u8 = 4;
pub const B: u8 = 8;

/// Keywords of `defaults`, `frontend`, `listen` and `backend` sections, with the sections
/// where each is allowed (HAProxy warns and ignores a keyword in a proxy without the
/// capability).
pub const PROXY: &[(&str, u8)] = &[
    ("acl", D | F | L | B),
    ("backlog", D | F | L),
    ("balance", D | L | B),
    ("bind", F | L),
    ("bind-process", D | F | L | B),
    ("capture", F | L),
    ("clitcpka-cnt", D | F | L),
    ("clitcpka-idle", D | F | L),
    ("clitcpka-intvl", D | F | L),
    ("compression", D | F | L | B),
    ("cookie", D | L | B),
    ("declare", F | L),
    ("default-server", D | L | B),
    ("default_backend", D | F | L),
    ("description", F | L | B),
    ("disabled", D | F | L | B),
    ("dispatch", L | B),
    ("dynamic-cookie-key", D | L | B),
    ("email-alert", D | F | L | B),
    ("enabled", D | F | L | B),
    ("error-log-format", D | F | L),
    ("errorfile", D | F | L | B),
    ("errorfiles", D | F | L | B),
    ("errorloc", D | F | L | B),
    ("errorloc302", D | F | L | B),
    ("errorloc303", D | F | L | B),
    ("external-check", D | L | B),
    ("filter", F | L | B),
    ("force-persist", L | B),
    ("fullconn", D | L | B),
    ("hash-balance-factor", D | L | B),
    ("hash-type", D | L | B),
    ("http-after-response", D | F | L | B),
    ("http-check", D | L | B),
    ("http-error", D | F | L | B),
    ("http-request", D | F | L | B),
    ("http-response", D | F | L | B),
    ("http-reuse", D | L | B),
    ("http-send-name-header", D | L | B),
    ("id", F | L | B),
    ("ignore-persist", L | B),
    ("load-server-state-from-file", D | L | B),
    ("log", D | F | L | B),
    ("log-format", D | F | L),
    ("log-format-sd", D | F | L),
    ("log-tag", D | F | L | B),
    ("max-keep-alive-queue", D | L | B),
    ("max-session-srv-conns", D | F | L),
    ("maxconn", D | F | L),
    ("mode", D | F | L | B),
    ("monitor", F | L),
    ("monitor-uri", D | F | L),
    ("option", D | F | L | B),
    ("persist", D | L | B),
    ("rate-limit", D | F | L),
    ("redirect", F | L | B),
    ("retries", D | L | B),
    ("retry-on", D | L | B),
    ("server", L | B),
    ("server-state-file-name", D | L | B),
    ("server-template", L | B),
    ("source", D | L | B),
    ("srvtcpka-cnt", D | L | B),
    ("srvtcpka-idle", D | L | B),
    ("srvtcpka-intvl", D | L | B),
    ("stats", D | F | L | B),
    ("stick", L | B),
    ("stick-table", F | L | B),
    ("tcp-check", D | L | B),
    ("tcp-request", D | F | L | B),
    ("tcp-response", D | L | B),
    ("timeout", D | F | L | B),
    ("transparent", D | L | B),
    ("unique-id-format", D | F | L),
    ("unique-id-header", D | F | L),
    ("use-fcgi-app", L | B),
    ("use-server", L | B),
    ("use_backend", F | L),
];

/// `option NAME`s of proxies.
pub const OPTIONS: &[&str] = &[
    "abortonclose",
    "accept-invalid-http-request",
    "accept-invalid-http-response",
    "allbackups",
    "checkcache",
    "clitcpka",
    "contstats",
    "disable-h2-upgrade",
    "dontlog-normal",
    "dontlognull",
    "external-check",
    "forwardfor",
    "h1-case-adjust-bogus-client",
    "h1-case-adjust-bogus-server",
    "http-buffer-request",
    "http-ignore-probes",
    "http-keep-alive",
    "http-no-delay",
    "http-pretend-keepalive",
    "http-restrict-req-hdr-names",
    "http-server-close",
    "http-use-proxy-header",
    "httpchk",
    "httpclose",
    "httplog",
    "httpslog",
    "idle-close-on-response",
    "independent-streams",
    "ldap-check",
    "log-health-checks",
    "log-separate-errors",
    "logasap",
    "mysql-check",
    "nolinger",
    "originalto",
    "persist",
    "pgsql-check",
    "prefer-last-server",
    "redis-check",
    "redispatch",
    "smtpchk",
    "socket-stats",
    "splice-auto",
    "splice-request",
    "splice-response",
    "spop-check",
    "srvtcpka",
    "ssl-hello-chk",
    "tcp-check",
    "tcp-smart-accept",
    "tcp-smart-connect",
    "tcpka",
    "tcplog",
    "transparent",
];

/// `timeout NAME`s of proxies.
pub const TIMEOUTS: &[&str] = &[
    "check",
    "client",
    "client-fin",
    "connect",
    "http-keep-alive",
    "http-request",
    "queue",
    "server",
    "server-fin",
    "tarpit",
    "tunnel",
];

/// Keywords of the `global` section.
pub const GLOBAL: &[&str] = &[
    "51degrees-cache-size",
    "51degrees-data-file",
    "51degrees-property-name-list",
    "51degrees-property-separator",
    "busy-polling",
    "ca-base",
    "chroot",
    "close-spread-time",
    "cluster-secret",
    "cpu-map",
    "crt-base",
    "daemon",
    "default-path",
    "description",
    "deviceatlas-json-file",
    "deviceatlas-log-level",
    "deviceatlas-properties-cookie",
    "deviceatlas-separator",
    "expose-experimental-directives",
    "external-check",
    "fd-hard-limit",
    "gid",
    "grace",
    "group",
    "h1-accept-payload-with-any-method",
    "h1-case-adjust",
    "h1-case-adjust-file",
    "h2-workaround-bogus-websocket-clients",
    "hard-stop-after",
    "httpclient.resolvers.id",
    "httpclient.resolvers.prefer",
    "httpclient.ssl.ca-file",
    "httpclient.ssl.verify",
    "insecure-fork-wanted",
    "insecure-setuid-wanted",
    "issuers-chain-path",
    "localpeer",
    "log",
    "log-send-hostname",
    "log-tag",
    "lua-load",
    "lua-load-per-thread",
    "lua-prepend-path",
    "master-worker",
    "max-spread-checks",
    "maxcompcpuusage",
    "maxcomprate",
    "maxconn",
    "maxconnrate",
    "maxpipes",
    "maxsessrate",
    "maxsslconn",
    "maxsslrate",
    "maxzlibmem",
    "mworker-max-reloads",
    "nbthread",
    "no-memory-trimming",
    "node",
    "noepoll",
    "noevports",
    "nogetaddrinfo",
    "nokqueue",
    "nopoll",
    "noreuseport",
    "nosplice",
    "numa-cpu-mapping",
    "pidfile",
    "pp2-never-send-local",
    "presetenv",
    "profiling.tasks",
    "quiet",
    "resetenv",
    "server-state-base",
    "server-state-file",
    "set-dumpable",
    "set-var",
    "set-var-fmt",
    "setenv",
    "spread-checks",
    "ssl-default-bind-ciphers",
    "ssl-default-bind-ciphersuites",
    "ssl-default-bind-curves",
    "ssl-default-bind-options",
    "ssl-default-server-ciphers",
    "ssl-default-server-ciphersuites",
    "ssl-default-server-options",
    "ssl-dh-param-file",
    "ssl-engine",
    "ssl-load-extra-del-ext",
    "ssl-load-extra-files",
    "ssl-mode-async",
    "ssl-propquery",
    "ssl-provider",
    "ssl-provider-path",
    "ssl-server-verify",
    "ssl-skip-self-issued-ca",
    "stats",
    "strict-limits",
    "thread-group",
    "thread-groups",
    "tune.buffers.limit",
    "tune.buffers.reserve",
    "tune.bufsize",
    "tune.comp.maxlevel",
    "tune.fail-alloc",
    "tune.fd.edge-triggered",
    "tune.h2.header-table-size",
    "tune.h2.initial-window-size",
    "tune.h2.max-concurrent-streams",
    "tune.h2.max-frame-size",
    "tune.http.cookielen",
    "tune.http.logurilen",
    "tune.http.maxhdr",
    "tune.idle-pool.shared",
    "tune.idletimer",
    "tune.listener.multi-queue",
    "tune.lua.forced-yield",
    "tune.lua.maxmem",
    "tune.lua.service-timeout",
    "tune.lua.session-timeout",
    "tune.lua.task-timeout",
    "tune.maxaccept",
    "tune.maxpollevents",
    "tune.maxrewrite",
    "tune.pattern.cache-size",
    "tune.peers.max-updates-at-once",
    "tune.pipesize",
    "tune.pool-high-fd-ratio",
    "tune.pool-low-fd-ratio",
    "tune.quic.frontend.conn-tx-buffers.limit",
    "tune.quic.frontend.max-idle-timeout",
    "tune.quic.frontend.max-streams-bidi",
    "tune.quic.retry-threshold",
    "tune.rcvbuf.client",
    "tune.rcvbuf.server",
    "tune.recv_enough",
    "tune.runqueue-depth",
    "tune.sched.low-latency",
    "tune.sndbuf.client",
    "tune.sndbuf.server",
    "tune.ssl.cachesize",
    "tune.ssl.capture-buffer-size",
    "tune.ssl.capture-cipherlist-size",
    "tune.ssl.default-dh-param",
    "tune.ssl.force-private-cache",
    "tune.ssl.hard-maxrecord",
    "tune.ssl.keylog",
    "tune.ssl.lifetime",
    "tune.ssl.maxrecord",
    "tune.ssl.ssl-ctx-cache-size",
    "tune.vars.check-max-size",
    "tune.vars.global-max-size",
    "tune.vars.proc-max-size",
    "tune.vars.reqres-max-size",
    "tune.vars.sess-max-size",
    "tune.vars.txn-max-size",
    "tune.zlib.memlevel",
    "tune.zlib.windowsize",
    "uid",
    "ulimit-n",
    "unix-bind",
    "unsetenv",
    "user",
    "wurfl-cache-size",
    "wurfl-data-file",
    "wurfl-information-list",
    "wurfl-information-list-separator",
    "zero-warning",
];

/// Keywords of the other sections.
pub const OTHER: &[(&str, &[&str])] = &[
    ("userlist", &["group", "user"]),
    (
        "peers",
        &[
            "bind",
            "default-bind",
            "default-server",
            "disabled",
            "enabled",
            "log",
            "peer",
            "server",
            "shards",
            "table",
        ],
    ),
    ("mailers", &["mailer", "timeout"]),
    ("program", &["command", "group", "option", "user"]),
    ("http-errors", &["errorfile"]),
    (
        "ring",
        &[
            "backing-file",
            "description",
            "format",
            "maxlen",
            "server",
            "size",
            "timeout",
        ],
    ),
    (
        "log-forward",
        &["backlog", "bind", "dgram-bind", "log", "maxconn", "timeout"],
    ),
    (
        "resolvers",
        &[
            "accepted_payload_size",
            "hold",
            "nameserver",
            "parse-resolv-conf",
            "resolve_retries",
            "timeout",
        ],
    ),
    (
        "cache",
        &[
            "max-age",
            "max-object-size",
            "max-secondary-entries",
            "process-vary",
            "total-max-size",
        ],
    ),
    (
        "fcgi-app",
        &[
            "acl",
            "docroot",
            "index",
            "log-stderr",
            "option",
            "pass-header",
            "path-info",
            "set-param",
        ],
    ),
];

/// The keywords of a section kind; `None` for proxy sections (see [`PROXY`]).
pub fn section_keywords(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "global" => Some(GLOBAL),
        _ => OTHER.iter().find(|(k, _)| *k == kind).map(|(_, v)| *v),
    }
}

pub fn is_proxy(kind: &str) -> bool {
    matches!(kind, "defaults" | "frontend" | "backend" | "listen")
}

/// The capability bit of a proxy section kind.
pub fn cap(kind: &str) -> u8 {
    match kind {
        "defaults" => D,
        "frontend" => F,
        "listen" => L,
        _ => B,
    }
}

pub fn proxy_keyword(name: &str) -> Option<u8> {
    PROXY.iter().find(|(k, _)| *k == name).map(|(_, c)| *c)
}

/// The `option`s a frontend does not take (section 4.1's matrix: defaults, listen and backend
/// only): in a `listen`, they belong to its backend side.
const BACKEND_OPTIONS: &[&str] = &[
    "abortonclose",
    "accept-invalid-http-response",
    "allbackups",
    "checkcache",
    "external-check",
    "http-pretend-keepalive",
    "httpchk",
    "ldap-check",
    "log-health-checks",
    "mysql-check",
    "persist",
    "pgsql-check",
    "prefer-last-server",
    "redis-check",
    "redispatch",
    "smtpchk",
    "spop-check",
    "srvtcpka",
    "ssl-hello-chk",
    "tcp-check",
    "transparent",
];

/// Where `option NAME` may stand (as [`proxy_keyword`] tells for keywords).
pub fn option_caps(name: &str) -> u8 {
    if BACKEND_OPTIONS.contains(&name) {
        D | L | B
    } else {
        D | F | L | B
    }
}

/// A keyword HAProxy no longer accepts: the version that removed it and what to write instead.
pub struct Removed {
    pub keyword: &'static str,
    /// `global` or `proxy` (defaults/frontend/backend/listen).
    pub section: &'static str,
    /// The version that removed it; empty when HAProxy does not say.
    pub since: &'static str,
    pub instead: &'static str,
}

/// Removed keywords, as HAProxy 2.6 reports them (it rejects each with this advice).
pub const REMOVED: &[Removed] = &[
    r("contimeout", "proxy", "2.1", "use `timeout connect` (same value, in milliseconds unless a unit is given)"),
    r("clitimeout", "proxy", "2.1", "use `timeout client`"),
    r("srvtimeout", "proxy", "2.1", "use `timeout server`"),
    r("redispatch", "proxy", "2.1", "use `option redispatch`"),
    r("redisp", "proxy", "2.1", "use `option redispatch`"),
    r("block", "proxy", "2.1", "use `http-request deny`, which takes the same condition"),
    r("reqadd", "proxy", "2.1", "use `http-request add-header`"),
    r("reqallow", "proxy", "2.1", "use `http-request allow`"),
    r("reqiallow", "proxy", "2.1", "use `http-request allow`"),
    r("reqdel", "proxy", "2.1", "use `http-request del-header`"),
    r("reqidel", "proxy", "2.1", "use `http-request del-header`"),
    r("reqdeny", "proxy", "2.1", "use `http-request deny`"),
    r("reqideny", "proxy", "2.1", "use `http-request deny`"),
    r("reqpass", "proxy", "2.1", "remove it: it had no effect other than stopping the other `req*` rules"),
    r("reqipass", "proxy", "2.1", "remove it: it had no effect other than stopping the other `req*` rules"),
    r("reqrep", "proxy", "2.1", "use `http-request replace-path`, `http-request replace-uri` or `http-request replace-header`"),
    r("reqirep", "proxy", "2.1", "use `http-request replace-header`"),
    r("reqtarpit", "proxy", "2.1", "use `http-request tarpit`"),
    r("reqitarpit", "proxy", "2.1", "use `http-request tarpit`"),
    r("rspadd", "proxy", "2.1", "use `http-response add-header`"),
    r("rspdel", "proxy", "2.1", "use `http-response del-header`"),
    r("rspidel", "proxy", "2.1", "use `http-response del-header`"),
    r("rspdeny", "proxy", "2.1", "use `http-response deny`"),
    r("rspideny", "proxy", "2.1", "use `http-response deny`"),
    r("rsprep", "proxy", "2.1", "use `http-response replace-header`"),
    r("rspirep", "proxy", "2.1", "use `http-response replace-header`"),
    r("cliexp", "proxy", "2.1", "use `http-request replace-path`, `http-request replace-uri` or `http-request replace-header`"),
    r("srvexp", "proxy", "2.1", "use `http-response replace-header`"),
    r("appsession", "proxy", "1.6", "use `cookie NAME insert` or a stick-table on the cookie"),
    r("monitor-net", "proxy", "2.4", "use `http-request return status 200 if { src NETWORK }`"),
    r("option forceclose", "proxy", "2.0", "remove it, or use `option httpclose` if it is really needed"),
    r("option http-tunnel", "proxy", "2.1", "remove it: HAProxy no longer needs it"),
    r("option http_proxy", "proxy", "2.5", "combine `http-request set-dst` and `http-request set-uri` (and `http-request do-resolve` for DNS)"),
    r("mode health", "proxy", "2.4", "use `http-request return status 200`"),
    r("nbproc", "global", "2.5", "remove it: HAProxy uses threads on multi-processor machines (see `nbthread`)"),
    r("tune.chksize", "global", "", "remove it: `tune.bufsize` is used instead"),
];

const fn r(
    keyword: &'static str,
    section: &'static str,
    since: &'static str,
    instead: &'static str,
) -> Removed {
    Removed {
        keyword,
        section,
        since,
        instead,
    }
}

/// The removed keyword a line starts with (one word, or `option X`/`mode X`), in `kind`:
/// `words` holds at least the line's first two values (more are ignored).
pub fn removed(kind: &str, words: &[String]) -> Option<&'static Removed> {
    let section = if kind == "global" { "global" } else { "proxy" };
    if section == "proxy" && !is_proxy(kind) {
        return None;
    }
    let first = words.first()?.as_str();
    let second = words.get(1).map(String::as_str);
    // The entries by their first word: a line costs one hash lookup, not a scan of the table.
    static BY_FIRST: std::sync::OnceLock<HashMap<&'static str, Vec<&'static Removed>>> =
        std::sync::OnceLock::new();
    let by_first = BY_FIRST.get_or_init(|| {
        let mut m: HashMap<&'static str, Vec<&'static Removed>> = HashMap::new();
        for r in REMOVED {
            let head = r.keyword.split(' ').next().unwrap_or(r.keyword);
            m.entry(head).or_default().push(r);
        }
        m
    });
    by_first.get(first)?.iter().copied().find(|r| {
        r.section == section
            && match r.keyword.split_once(' ') {
                Some((_, b)) => Some(b) == second,
                None => true,
            }
    })
}
