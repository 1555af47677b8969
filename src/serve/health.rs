//! Active health checks: one tokio task per checked peer probes it (TCP connect or HTTP GET)
//! and sets [`Peer::set_check_up`]. Two state machines reproduce the tools the checks come from:
//! HAProxy's `rise`/`fall` health counter (a server starts up but goes down at the first failed
//! check; once fully up it takes `fall` failures to go down and `rise` successes to come back)
//! and keepalived's checkers (a real server starts up, unless `alpha`; a failure is retried
//! `retry` times `delay_before_retry` apart before it goes down; one success brings it back).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::peers::Peer;
use super::plan::UpstreamPool;
use super::support::Findings;
use crate::ir::{CheckKind, HealthCheck};

/// HAProxy's defaults: `inter 2s rise 2 fall 3`.
const HAPROXY_INTER: Duration = Duration::from_secs(2);
const HAPROXY_RISE: u32 = 2;
const HAPROXY_FALL: u32 = 3;
/// keepalived's defaults: `delay_loop 60`, `connect_timeout 5`, `retry 1`,
/// `delay_before_retry 1`.
pub const KEEPALIVED_DELAY_LOOP: Duration = Duration::from_secs(60);
const KEEPALIVED_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const KEEPALIVED_RETRY: u32 = 1;
const KEEPALIVED_DELAY_BEFORE_RETRY: Duration = Duration::from_secs(1);

/// The checks of one peer (index into its pool's peers); the peer is up when all are.
#[derive(Debug, Clone)]
pub struct PeerChecks {
    pub peer: usize,
    pub checks: Vec<Check>,
}

/// One check of a peer.
#[derive(Debug, Clone)]
pub struct Check {
    pub probe: Probe,
    /// Where the check connects (the server, or its check port).
    pub addr: SocketAddr,
    pub interval: Duration,
    pub timeout: Duration,
    pub rule: Rule,
}

/// What one probe does.
#[derive(Debug, Clone)]
pub enum Probe {
    /// Success when the TCP connection is established.
    Tcp,
    /// Success when the status of the answer to `request` is one `expect` accepts (and, with
    /// keepalived's `digest`, the MD5 of its body is that lowercase hex string).
    Http {
        request: String,
        expect: Vec<(u16, u16)>,
        digest: Option<String>,
    },
}

/// How results turn into up and down.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    Haproxy {
        rise: u32,
        fall: u32,
    },
    Keepalived {
        retry: u32,
        delay_before_retry: Duration,
        alpha: bool,
    },
}

/// The live state of one check.
#[derive(Debug, Clone, Copy)]
pub struct State {
    rule: Rule,
    /// HAProxy's `health`, from 0 to `rise + fall - 1`; up from `rise`.
    health: u32,
    /// keepalived's `retry_it` and `has_run`.
    retries: u32,
    has_run: bool,
    pub up: bool,
}

impl State {
    pub fn new(rule: Rule) -> State {
        match rule {
            // HAProxy: "up, but will fall down at first failure".
            Rule::Haproxy { rise, .. } => State {
                rule,
                health: rise,
                retries: 0,
                has_run: false,
                up: true,
            },
            Rule::Keepalived { alpha, .. } => State {
                rule,
                health: 0,
                retries: 0,
                has_run: false,
                up: !alpha,
            },
        }
    }

    /// Records one probe result; returns the delay before the next probe (`None`: the
    /// regular interval).
    pub fn record(&mut self, ok: bool) -> Option<Duration> {
        match self.rule {
            Rule::Haproxy { rise, fall } => {
                let max = rise + fall - 1;
                if ok {
                    if self.health < max {
                        self.health += 1;
                        if self.health >= rise {
                            self.health = max;
                        }
                    }
                } else if self.health > 0 {
                    self.health -= 1;
                    if self.health < rise {
                        self.health = 0;
                    }
                }
                self.up = self.health >= rise;
                None
            }
            Rule::Keepalived {
                retry,
                delay_before_retry,
                ..
            } => {
                // keepalived retries only a checker that is up (or has not run yet).
                let retrying = self.up || !self.has_run;
                self.has_run = true;
                if ok {
                    self.retries = 0;
                    self.up = true;
                    None
                } else if retrying && self.retries < retry {
                    self.retries += 1;
                    Some(delay_before_retry)
                } else {
                    self.retries = 0;
                    self.up = false;
                    None
                }
            }
        }
    }
}

/// The HTTP statuses a check accepts: `N` or `N-M` items; `default` when there are none.
fn expect_ranges(items: &[String], default: (u16, u16)) -> Result<Vec<(u16, u16)>, String> {
    let mut out = Vec::new();
    for item in items {
        for part in item.split(',').filter(|p| !p.is_empty()) {
            let range = match part.split_once('-') {
                Some((a, b)) => a.parse().ok().zip(b.parse().ok()),
                None => part.parse().ok().map(|n| (n, n)),
            };
            match range {
                Some(r) => out.push(r),
                None => return Err(format!("the expected status `{part}`")),
            }
        }
    }
    if out.is_empty() {
        out.push(default);
    }
    Ok(out)
}

fn target(addr: SocketAddr, port: Option<u16>) -> SocketAddr {
    SocketAddr::new(addr.ip(), port.unwrap_or(addr.port()))
}

/// A HAProxy `check` (TCP, or HTTP with `option httpchk`) on a server at `addr`; `timeout` is
/// `timeout check` when set (else the interval bounds the whole check, as in HAProxy).
pub fn haproxy(
    c: &HealthCheck,
    addr: SocketAddr,
    timeout: Option<Duration>,
    f: &mut Findings,
) -> Option<Check> {
    let interval = c
        .interval
        .map_or(HAPROXY_INTER, |d| Duration::from_millis(d.0.max(1)));
    let rule = Rule::Haproxy {
        rise: c.rise.unwrap_or(HAPROXY_RISE).max(1),
        fall: c.fall.unwrap_or(HAPROXY_FALL).max(1),
    };
    let probe = match &c.kind {
        CheckKind::Tcp => Probe::Tcp,
        CheckKind::Http {
            method,
            path,
            expect_status,
            tls: false,
            version,
            headers,
        } => {
            // `option httpchk` sends `OPTIONS / HTTP/1.0` by default; 2xx and 3xx pass.
            let expect = match expect_ranges(expect_status, (200, 399)) {
                Ok(e) => e,
                Err(what) => {
                    f.refuse(c.origin, what);
                    return None;
                }
            };
            let method = method.as_deref().unwrap_or("OPTIONS");
            Probe::Http {
                request: haproxy_request(method, path, version.as_deref(), headers),
                expect,
                digest: None,
            }
        }
        _ => {
            f.refuse(c.origin, "this kind of health check");
            return None;
        }
    };
    Some(Check {
        probe,
        addr: target(addr, c.port),
        interval,
        timeout: timeout.unwrap_or(interval),
        rule,
    })
}

/// The request of a HAProxy HTTP check as HAProxy 2.6 writes it (seen on the wire): the
/// request line, the configured header fields (names in lower case), `content-length: 0` for
/// a method other than GET, HEAD, OPTIONS and DELETE, and `connection: close` for HTTP/1.1.
fn haproxy_request(
    method: &str,
    path: &str,
    version: Option<&str>,
    headers: &[(String, String)],
) -> String {
    let version = version.unwrap_or("HTTP/1.0");
    let mut r = format!("{method} {path} {version}\r\n");
    for (n, v) in headers {
        r.push_str(&format!("{}: {v}\r\n", n.to_ascii_lowercase()));
    }
    if !matches!(method, "GET" | "HEAD" | "OPTIONS" | "DELETE") {
        r.push_str("content-length: 0\r\n");
    }
    if version == "HTTP/1.1" {
        r.push_str("connection: close\r\n");
    }
    r.push_str("\r\n");
    r
}

/// keepalived's checker settings outside the IR check itself.
#[derive(Debug, Clone, Default)]
pub struct KeepalivedTiming {
    pub delay_loop: Duration,
    pub delay_before_retry: Option<Duration>,
    pub alpha: bool,
    /// `virtualhost`: the `Host` of HTTP_GET requests (else the checked address).
    pub virtualhost: Option<String>,
    /// `digest` of the url this check comes from.
    pub digest: Option<String>,
}

/// A keepalived `TCP_CHECK` or one `url` of an `HTTP_GET` on a real server at `addr`.
pub fn keepalived(
    c: &HealthCheck,
    addr: SocketAddr,
    timing: &KeepalivedTiming,
    f: &mut Findings,
) -> Option<Check> {
    let rule = Rule::Keepalived {
        // The IR's `fall` is keepalived's first failure plus its `retry` retries.
        retry: c.fall.map_or(KEEPALIVED_RETRY, |n| n.saturating_sub(1)),
        delay_before_retry: timing
            .delay_before_retry
            .unwrap_or(KEEPALIVED_DELAY_BEFORE_RETRY),
        alpha: timing.alpha,
    };
    let target = target(addr, c.port);
    let probe = match &c.kind {
        CheckKind::Tcp => Probe::Tcp,
        CheckKind::Http {
            path,
            expect_status,
            tls: false,
            ..
        } => {
            // keepalived's HTTP_GET: any 2xx passes unless `status_code` says otherwise.
            let host = timing
                .virtualhost
                .clone()
                .unwrap_or_else(|| target.to_string());
            let expect = match expect_ranges(expect_status, (200, 299)) {
                Ok(e) => e,
                Err(what) => {
                    f.refuse(c.origin, what);
                    return None;
                }
            };
            Probe::Http {
                request: format!(
                    "GET {path} HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: {host}\r\n\r\n"
                ),
                expect,
                digest: timing.digest.as_ref().map(|d| d.to_ascii_lowercase()),
            }
        }
        _ => {
            f.refuse(
                c.origin,
                "this kind of checker (`MISC_CHECK`, `DNS_CHECK`, `SSL_GET`)",
            );
            return None;
        }
    };
    Some(Check {
        probe,
        addr: target,
        interval: c
            .interval
            .map_or(timing.delay_loop, |d| Duration::from_millis(d.0.max(1))),
        timeout: c.timeout.map_or(KEEPALIVED_CONNECT_TIMEOUT, |d| {
            Duration::from_millis(d.0.max(1))
        }),
        rule,
    })
}

/// The most of an answer an HTTP check reads (keepalived digests whole pages).
const MAX_ANSWER: usize = 4 << 20;

/// One probe: `true` when the peer passes.
pub async fn probe(check: &Check) -> bool {
    let run = async {
        let mut conn = TcpStream::connect(check.addr).await.ok()?;
        let Probe::Http {
            request,
            expect,
            digest,
        } = &check.probe
        else {
            return Some(true);
        };
        conn.write_all(request.as_bytes()).await.ok()?;
        let mut answer = Vec::new();
        let mut buf = [0u8; 4096];
        // The status line is enough, unless the body's digest is checked.
        while (digest.is_some() || !answer.contains(&b'\n')) && answer.len() < MAX_ANSWER {
            let n = conn.read(&mut buf).await.ok()?;
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
        }
        let line_end = answer.iter().position(|b| *b == b'\n')?;
        let line = String::from_utf8_lossy(&answer[..line_end]);
        let mut words = line.split_whitespace();
        let version = words.next()?;
        let status: u16 = words.next()?.parse().ok()?;
        let status_ok =
            version.starts_with("HTTP/") && expect.iter().any(|(a, b)| (*a..=*b).contains(&status));
        let digest_ok = match digest {
            None => true,
            Some(want) => {
                let body = answer
                    .windows(4)
                    .position(|w| w == b"\r\n\r\n")
                    .map_or(&[][..], |i| &answer[i + 4..]);
                md5::hex(body) == *want
            }
        };
        Some(status_ok && digest_ok)
    };
    matches!(
        tokio::time::timeout(check.timeout, run).await,
        Ok(Some(true))
    )
}

/// Runs the checks of one peer until `stop`.
async fn run(pool: Arc<UpstreamPool>, checks: PeerChecks, mut stop: watch::Receiver<bool>) {
    let Some(peer) = pool.peers.peers.get(checks.peer) else {
        return;
    };
    let mut states: Vec<State> = checks.checks.iter().map(|c| State::new(c.rule)).collect();
    publish(peer, &states);
    let start = tokio::time::Instant::now();
    // HAProxy spreads the first checks over the interval; a short fixed delay does the same
    // job here (the listeners are up before the first verdict).
    let mut due: Vec<tokio::time::Instant> = checks
        .checks
        .iter()
        .enumerate()
        .map(|(i, _)| start + Duration::from_millis(10 * i as u64))
        .collect();
    loop {
        let Some((i, &when)) = due.iter().enumerate().min_by_key(|(_, t)| **t) else {
            return;
        };
        tokio::select! {
            _ = tokio::time::sleep_until(when) => {}
            _ = stop.changed() => return,
        }
        let check = &checks.checks[i];
        // A stop (drain, reload) does not wait for a probe in progress.
        let ok = tokio::select! {
            ok = probe(check) => ok,
            _ = stop.changed() => return,
        };
        let was = states[i].up;
        let delay = states[i].record(ok).unwrap_or(check.interval);
        if was != states[i].up {
            eprintln!(
                "lbc serve: health check of {} ({}) in pool {}: {}",
                peer.name,
                check.addr,
                pool.peers.name,
                if states[i].up { "UP" } else { "DOWN" }
            );
        }
        publish(peer, &states);
        due[i] = tokio::time::Instant::now() + delay;
    }
}

fn publish(peer: &Peer, states: &[State]) {
    peer.set_check_up(states.iter().all(|s| s.up));
}

/// Starts one task per checked peer of every pool in `pools`.
pub fn spawn(pools: &[Arc<UpstreamPool>], stop: &watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    let mut tasks = Vec::new();
    for pool in pools {
        for pc in &pool.checks {
            if pc.checks.is_empty() {
                continue;
            }
            tasks.push(tokio::spawn(run(pool.clone(), pc.clone(), stop.clone())));
        }
    }
    tasks
}

/// MD5 (RFC 1321), for keepalived's `digest`: a check, not a security measure.
mod md5 {
    const SHIFTS: [u32; 64] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5,
        9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10,
        15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ];

    pub fn digest(data: &[u8]) -> [u8; 16] {
        // K[i] = floor(|sin(i + 1)| * 2^32), as the RFC defines it.
        let k: Vec<u32> = (0..64)
            .map(|i| ((f64::from(i + 1)).sin().abs() * 4_294_967_296.0) as u32)
            .collect();
        let mut state = [0x6745_2301u32, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];
        let mut msg = data.to_vec();
        let bits = (data.len() as u64).wrapping_mul(8);
        msg.push(0x80);
        while msg.len() % 64 != 56 {
            msg.push(0);
        }
        msg.extend_from_slice(&bits.to_le_bytes());
        for chunk in msg.chunks_exact(64) {
            let mut m = [0u32; 16];
            for (w, b) in m.iter_mut().zip(chunk.chunks_exact(4)) {
                *w = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            }
            let [mut a, mut b, mut c, mut d] = state;
            for i in 0..64 {
                let (f, g) = match i / 16 {
                    0 => ((b & c) | (!b & d), i),
                    1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                    2 => (b ^ c ^ d, (3 * i + 5) % 16),
                    _ => (c ^ (b | !d), (7 * i) % 16),
                };
                let f = f.wrapping_add(a).wrapping_add(k[i]).wrapping_add(m[g]);
                a = d;
                d = c;
                c = b;
                b = b.wrapping_add(f.rotate_left(SHIFTS[i]));
            }
            for (s, v) in state.iter_mut().zip([a, b, c, d]) {
                *s = s.wrapping_add(v);
            }
        }
        let mut out = [0u8; 16];
        for (o, s) in out.chunks_exact_mut(4).zip(state) {
            o.copy_from_slice(&s.to_le_bytes());
        }
        out
    }

    pub fn hex(data: &[u8]) -> String {
        digest(data).iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(rule: Rule, results: &str) -> String {
        let mut s = State::new(rule);
        results
            .chars()
            .map(|c| {
                s.record(c == '+');
                if s.up {
                    'U'
                } else {
                    'D'
                }
            })
            .collect()
    }

    #[test]
    fn haproxy_goes_down_at_the_first_failure_after_start() {
        let r = Rule::Haproxy { rise: 2, fall: 3 };
        assert!(State::new(r).up);
        assert_eq!(run(r, "-"), "D");
        // Two successes bring it back, then three failures take it down.
        assert_eq!(run(r, "-++---"), "DDUUUD");
        // Once fully up, a failure then a success keep it up.
        assert_eq!(run(r, "+--+---"), "UUUUUUD");
    }

    #[test]
    fn keepalived_retries_before_going_down_and_one_success_restores() {
        let r = Rule::Keepalived {
            retry: 2,
            delay_before_retry: Duration::from_millis(5),
            alpha: false,
        };
        let mut s = State::new(r);
        assert!(s.up);
        assert_eq!(s.record(false), Some(Duration::from_millis(5)));
        assert_eq!(s.record(false), Some(Duration::from_millis(5)));
        assert_eq!(s.record(false), None);
        assert!(!s.up);
        assert_eq!(run(r, "--+---+"), "UUUUUDU");
        // A checker that is down is not retried: the next failure is just another failure.
        assert_eq!(s.record(false), None);
        assert!(!s.up);
        let alpha = Rule::Keepalived {
            retry: 1,
            delay_before_retry: Duration::from_millis(5),
            alpha: true,
        };
        assert!(!State::new(alpha).up);
    }

    #[test]
    fn md5_test_vectors() {
        assert_eq!(md5::hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5::hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
        let long =
            b"12345678901234567890123456789012345678901234567890123456789012345678901234567890";
        assert_eq!(md5::hex(long), "57edf4a22be3c955ac49da2e2107b67a");
    }

    #[test]
    fn expected_statuses() {
        assert_eq!(expect_ranges(&[], (200, 399)), Ok(vec![(200, 399)]));
        assert_eq!(
            expect_ranges(&["200".into(), "301-302".into()], (200, 299)),
            Ok(vec![(200, 200), (301, 302)])
        );
        assert!(expect_ranges(&["2xx".into()], (200, 299)).is_err());
    }
}
