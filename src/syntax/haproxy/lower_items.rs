//! Lowering single HAProxy keywords: times, timeouts, options, checks, `balance`, `stats`,
//! `bind`, `acl`, `use_backend` and `server` lines.

use super::cst::Line;
use super::lower_proxy::{ProxyState, Walk};
use crate::ir::{
    Acl, Action, Algorithm, CheckKind, Duration, HealthCheck, Listener, MatchKind, Matcher, Origin,
    Route, Server, Setting, Settings,
};

/// HAProxy's time format: a number and an optional unit (`us`, `ms`, `s`, `m`, `h`, `d`);
/// a bare number is in milliseconds.
pub fn parse_time(s: &str) -> Option<Duration> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let n: u64 = s[..digits].parse().ok()?;
    let ms = match &s[digits..] {
        "" | "ms" => n,
        "us" => n.div_ceil(1000),
        "s" => n.checked_mul(1000)?,
        "m" => n.checked_mul(60_000)?,
        "h" => n.checked_mul(3_600_000)?,
        "d" => n.checked_mul(86_400_000)?,
        _ => return None,
    };
    Some(Duration(ms))
}

/// `timeout NAME VALUE`.
pub fn timeout(s: &mut Settings, name: &str, d: Duration, origin: Origin) -> bool {
    let t = s.timeouts.get_or_insert_with(Default::default);
    let slot = match name {
        "connect" => &mut t.connect,
        "client" => &mut t.client,
        "server" => &mut t.upstream_read,
        "http-request" => &mut t.http_request,
        "http-keep-alive" => &mut t.keepalive,
        "queue" => &mut t.queue,
        "check" => &mut t.check,
        "tunnel" => &mut t.idle,
        _ => return false,
    };
    *slot = Some(Setting::new(d, origin));
    true
}

/// `[no] option NAME …`: the options the IR models.
pub fn option(st: &mut ProxyState, words: &[String], no: bool, origin: Origin) -> bool {
    match words.get(1).map(String::as_str) {
        Some("redispatch") => {
            let p = st.settings.proxy.get_or_insert_with(Default::default);
            p.redispatch = Some(Setting::new(!no, origin));
            true
        }
        Some("httpchk") if !no => {
            // `option httpchk [METHOD] [URI] [VERSION]`; one argument is the URI.
            // `option httpchk [METHOD] [URI] [VERSION]`: one argument is the URI, two are the
            // method and the URI. Header lines may hide after the version (`HTTP/1.1\r\nHost:\ a`,
            // deprecated but common).
            let (method, path) = match words.len() {
                2 => (None, "/".to_string()),
                3 => (None, words[2].clone()),
                _ => (Some(words[2].clone()), words[3].clone()),
            };
            let mut headers = Vec::new();
            let version = words.get(4).map(|v| {
                let mut lines = v.split("\r\n");
                let version = lines.next().unwrap_or("").to_string();
                for l in lines.filter(|l| !l.is_empty()) {
                    let (n, v) = l.split_once(':').unwrap_or((l, ""));
                    headers.push((n.trim().to_string(), v.trim().to_string()));
                }
                version
            });
            let expect = match &st.health {
                Some(HealthCheck {
                    kind: CheckKind::Http { expect_status, .. },
                    ..
                }) => expect_status.clone(),
                _ => Vec::new(),
            };
            st.health = Some(HealthCheck {
                kind: CheckKind::Http {
                    method,
                    path,
                    expect_status: expect,
                    tls: false,
                    version,
                    headers,
                },
                origin,
                ..Default::default()
            });
            true
        }
        Some("tcp-check") if !no => {
            st.health = Some(HealthCheck {
                kind: CheckKind::Tcp,
                origin,
                ..Default::default()
            });
            false
        }
        _ => false,
    }
}

/// `http-check expect [!] status CODE` and `http-check send [meth M] [uri U] [ver V] [hdr N V]…`.
pub fn http_check(st: &mut ProxyState, words: &[String], origin: Origin) -> bool {
    let Some(HealthCheck {
        kind:
            CheckKind::Http {
                method,
                path,
                expect_status,
                version,
                headers,
                ..
            },
        ..
    }) = &mut st.health
    else {
        // Without `option httpchk`, HAProxy ignores the rules (and says so).
        return false;
    };
    let _ = origin;
    match words.get(1).map(String::as_str) {
        Some("expect") if words.get(2).map(String::as_str) == Some("status") => {
            if let Some(codes) = words.get(3) {
                expect_status.clear();
                expect_status.extend(codes.split(',').map(str::to_string));
                return true;
            }
            false
        }
        Some("send") => {
            let mut i = 2;
            while i + 1 < words.len() {
                match words[i].as_str() {
                    "meth" => *method = Some(words[i + 1].clone()),
                    "uri" => *path = words[i + 1].clone(),
                    "ver" => *version = Some(words[i + 1].clone()),
                    "hdr" if i + 2 < words.len() => {
                        headers.push((words[i + 1].clone(), words[i + 2].clone()));
                        i += 1;
                    }
                    _ => return false,
                }
                i += 2;
            }
            i == words.len()
        }
        _ => false,
    }
}

/// `balance ALGO [ARGS]`.
pub fn balance(args: &[String]) -> Option<Algorithm> {
    let algo = args.first()?.as_str();
    let hash = |key: String| Algorithm::Hash {
        key,
        consistent: false,
    };
    Some(match algo {
        "roundrobin" => Algorithm::RoundRobin,
        "static-rr" => Algorithm::StaticRoundRobin,
        "leastconn" => Algorithm::LeastConn,
        "first" => Algorithm::First,
        "source" => Algorithm::SourceHash,
        "uri" => hash("uri".into()),
        "url_param" => hash(format!("url_param({})", args.get(1)?)),
        "hash" => hash(args.get(1)?.clone()),
        a if a.starts_with("hdr(") || a.starts_with("rdp-cookie") => hash(a.to_string()),
        a if a == "random" || a.starts_with("random(") => {
            let draws = a
                .strip_prefix("random(")
                .and_then(|r| r.strip_suffix(')'))
                .and_then(|n| n.parse::<u32>().ok())
                .unwrap_or(2);
            Algorithm::Random {
                two: draws == 2,
                method: None,
            }
        }
        _ => return None,
    })
}

/// `stats …` lines.
pub fn stats(st: &mut ProxyState, words: &[String], origin: Origin) -> bool {
    let s = st.settings.stats.get_or_insert_with(Default::default);
    let arg = words.get(2).cloned();
    let rest = || words[2..].join(" ");
    match (words.get(1).map(String::as_str), arg) {
        (Some("enable"), _) => s.enabled = Some(Setting::new(true, origin)),
        (Some("uri"), Some(u)) => s.uri = Some(Setting::new(u, origin)),
        (Some("realm"), Some(_)) => s.realm = Some(Setting::new(rest(), origin)),
        (Some("auth"), Some(a)) => s.auth.push(Setting::new(a, origin)),
        (Some("refresh"), Some(r)) => match parse_refresh(&r) {
            Some(d) => s.refresh = Some(Setting::new(d, origin)),
            None => return false,
        },
        (Some("admin"), Some(_)) => s.admin = Some(Setting::new(rest(), origin)),
        _ => return false,
    }
    true
}

/// `stats refresh` takes seconds by default.
fn parse_refresh(s: &str) -> Option<Duration> {
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<u64>().ok()?.checked_mul(1000).map(Duration);
    }
    parse_time(s)
}

/// `bind ADDR[,ADDR…] [PARAMS]`.
pub fn bind(st: &mut ProxyState, words: &[String], origin: Origin) {
    let Some(addrs) = words.get(1) else { return };
    let params = &words[2..];
    let tls = params.iter().any(|p| p == "ssl");
    let http2 = params
        .windows(2)
        .any(|w| w[0] == "alpn" && w[1].split(',').any(|p| p == "h2"));
    let proxy_protocol = params.iter().any(|p| p == "accept-proxy");
    let options: Vec<String> = params
        .iter()
        .filter(|p| !matches!(p.as_str(), "ssl" | "accept-proxy"))
        .cloned()
        .collect();
    for a in addrs.split(',') {
        let (address, port, unix) = split_address(a);
        st.listeners.push(Listener {
            address,
            port,
            unix,
            tls,
            http2,
            proxy_protocol,
            options: options.clone(),
            origin,
            ..Default::default()
        });
    }
}

/// An HAProxy address: `[FAMILY@]HOST:PORT`, `:PORT`, `*:PORT`, a unix socket path, or an
/// `fd@`/`sockpair@` reference kept as written. Returns address, port and unix path; the last
/// colon separates the port (so IPv6 addresses need no brackets).
pub fn split_address(a: &str) -> (Option<String>, Option<u16>, Option<String>) {
    let (family, rest) = match a.split_once('@') {
        Some((f, r)) => (Some(f), r),
        None => (None, a),
    };
    if matches!(family, Some("unix" | "abns")) || (family.is_none() && rest.starts_with('/')) {
        return (None, None, Some(rest.to_string()));
    }
    if matches!(family, Some("fd" | "sockpair")) {
        return (Some(a.to_string()), None, None);
    }
    match rest.rsplit_once(':') {
        Some((host, port)) => {
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let host = (!host.is_empty() && host != "*" && host != "::").then(|| host.to_string());
            match port.parse::<u16>() {
                Ok(p) => (host, Some(p), None),
                // A port range, an offset or a variable: keep the text as the address.
                Err(_) => (Some(rest.to_string()), None, None),
            }
        }
        None => (Some(rest.to_string()), None, None),
    }
}

/// Flags of an ACL that belong to its criterion (`-i`, `-m beg`, `-f file` …).
fn acl_flag_args(flag: &str) -> Option<usize> {
    match flag {
        "-i" | "-n" | "--" => Some(0),
        "-m" | "-f" | "-M" | "-u" => Some(1),
        _ => None,
    }
}

/// `acl NAME CRITERION [FLAGS] [VALUES]`: flags stay with the criterion.
pub fn acl(words: &[String], origin: Origin) -> Acl {
    let mut criterion = words[2].clone();
    let mut i = 3;
    while i < words.len() {
        let Some(n) = acl_flag_args(&words[i]) else {
            break;
        };
        let end = (i + 1 + n).min(words.len());
        for w in &words[i..end] {
            criterion.push(' ');
            criterion.push_str(w);
        }
        i = end;
        if words[i - 1 - n] == "--" {
            break;
        }
    }
    Acl {
        name: words[1].clone(),
        criterion,
        values: words[i..].to_vec(),
        origin,
    }
}

/// `use_backend NAME [if|unless COND]`: a route whose matcher is derived from the condition
/// when it is a single, positive `path_beg`/`path`/`path_reg` test (named or anonymous),
/// and an empty prefix (every request) otherwise.
pub fn use_backend(w: &Walk, line: &Line, ki: usize, st: &ProxyState, origin: Origin) -> Route {
    let words = w.values(line, ki);
    let cond_at = words.iter().position(|x| x == "if" || x == "unless");
    let target_end = cond_at.unwrap_or(words.len());
    let target = words[1..target_end].join(" ");
    let (condition, cond_origin) = match cond_at {
        Some(i) => {
            // An environment variable may have made more words than were written.
            let first = line.words.get(ki + i).unwrap_or(&line.words[ki]).range;
            let last = line.words.last().map_or(first, |l| l.range);
            (Some(words[i..].join(" ")), w.origin(first.cover(last)))
        }
        None => (None, origin),
    };
    let matcher = cond_at
        .and_then(|i| derive_matcher(&words[i..], st))
        .map_or(
            Matcher {
                kind: MatchKind::Prefix,
                pattern: String::new(),
                origin: cond_origin,
            },
            |(kind, pattern)| Matcher {
                kind,
                pattern,
                origin: cond_origin,
            },
        );
    Route {
        matcher,
        condition,
        action: Some(Action::Proxy {
            target,
            pool: None,
            origin,
        }),
        origin,
        ..Default::default()
    }
}

fn derive_matcher(cond: &[String], st: &ProxyState) -> Option<(MatchKind, String)> {
    if cond[0] != "if" {
        return None;
    }
    let (criterion, values): (String, Vec<String>) = match &cond[1..] {
        [name] if !name.starts_with('!') => {
            // Several `acl` lines with one name are OR-ed: not one matcher.
            match st.acl_index.get(name).map(Vec::as_slice) {
                Some([i]) => (st.acls[*i].criterion.clone(), st.acls[*i].values.clone()),
                _ => return None,
            }
        }
        [open, crit, rest @ .., close] if open == "{" && close == "}" => {
            (crit.clone(), rest.to_vec())
        }
        _ => return None,
    };
    let [value] = values.as_slice() else {
        return None;
    };
    match criterion.as_str() {
        "path_beg" => Some((MatchKind::Prefix, value.clone())),
        "path" => Some((MatchKind::Exact, value.clone())),
        "path_reg" => Some((MatchKind::Regex, value.clone())),
        "path_reg -i" => Some((MatchKind::RegexCaseless, value.clone())),
        _ => None,
    }
}

/// Server parameters that take one argument (from `haproxy -dKcfg`).
const SERVER_ARG1: &[&str] = &[
    "addr",
    "agent-addr",
    "agent-inter",
    "agent-port",
    "agent-send",
    "alpn",
    "ca-file",
    "check-alpn",
    "check-proto",
    "check-sni",
    "ciphers",
    "ciphersuites",
    "cookie",
    "crl-file",
    "crt",
    "downinter",
    "error-limit",
    "fall",
    "fastinter",
    "id",
    "init-addr",
    "inter",
    "log-proto",
    "max-reuse",
    "maxconn",
    "maxqueue",
    "minconn",
    "namespace",
    "npn",
    "observe",
    "on-error",
    "on-marked-down",
    "on-marked-up",
    "pool-low-conn",
    "pool-max-conn",
    "pool-purge-delay",
    "port",
    "proto",
    "proxy-v2-options",
    "redir",
    "resolve-net",
    "resolve-opts",
    "resolve-prefer",
    "resolvers",
    "rise",
    "slowstart",
    "sni",
    "socks4",
    "source",
    "ssl-max-ver",
    "ssl-min-ver",
    "tcp-ut",
    "track",
    "usesrc",
    "verify",
    "verifyhost",
    "weight",
    "ws",
];

/// `server NAME ADDR [PARAMS]`, with the `default-server` parameters applied first.
pub fn server(defaults: &[String], words: &[String], origin: Origin) -> Server {
    let (address, port, unix) = split_address(&words[2]);
    let mut s = Server {
        name: Some(words[1].clone()),
        address: match unix {
            Some(u) => format!("unix:{u}"),
            None => address.unwrap_or_else(|| "*".into()),
        },
        port,
        origin,
        ..Default::default()
    };
    let mut check = false;
    let (mut inter, mut rise, mut fall, mut check_port) = (None, None, None, None);
    let params = defaults.iter().chain(&words[3..]).collect::<Vec<_>>();
    let mut i = 0;
    while i < params.len() {
        let p = params[i].as_str();
        let val = params.get(i + 1).map(|v| v.as_str());
        let takes = SERVER_ARG1.contains(&p);
        match (p, val) {
            ("check", _) => check = true,
            ("no-check", _) => check = false,
            ("backup", _) => {
                s.backup = true;
                s.backup_origin = Some(origin);
            }
            ("no-backup", _) => s.backup = false,
            ("disabled", _) => s.down = true,
            ("enabled", _) => s.down = false,
            ("weight", Some(v)) => {
                s.weight = v.parse().ok();
                s.weight_origin = Some(origin);
            }
            ("maxconn", Some(v)) => s.max_conns = v.parse().ok(),
            ("cookie", Some(v)) => s.cookie = Some(v.to_string()),
            ("slowstart", Some(v)) => s.slow_start = parse_time(v),
            ("resolvers", Some(_)) => s.resolve = true,
            ("inter", Some(v)) => inter = parse_time(v),
            ("rise", Some(v)) => rise = v.parse().ok(),
            ("fall", Some(v)) => fall = v.parse().ok(),
            ("port", Some(v)) => check_port = v.parse().ok(),
            _ => {
                s.other.push(p.to_string());
                if takes {
                    if let Some(v) = val {
                        s.other.push(v.to_string());
                    }
                }
            }
        }
        i += if takes { 2 } else { 1 };
    }
    if check {
        s.check = Some(HealthCheck {
            kind: CheckKind::Tcp,
            interval: inter,
            rise,
            fall,
            port: check_port,
            origin,
            ..Default::default()
        });
    }
    s
}
