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
    /// Success when the status of the answer to `request` is one `expect` accepts.
    Http {
        request: String,
        expect: Vec<(u16, u16)>,
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
                request: format!("{method} {path} HTTP/1.0\r\n\r\n"),
                expect,
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

/// keepalived's checker settings outside the IR check itself.
#[derive(Debug, Clone, Copy)]
pub struct KeepalivedTiming {
    pub delay_loop: Duration,
    pub delay_before_retry: Option<Duration>,
    pub alpha: bool,
}

/// A keepalived `TCP_CHECK` or one `url` of an `HTTP_GET` on a real server at `addr`.
pub fn keepalived(
    c: &HealthCheck,
    addr: SocketAddr,
    timing: KeepalivedTiming,
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
            let expect = match expect_ranges(expect_status, (200, 299)) {
                Ok(e) => e,
                Err(what) => {
                    f.refuse(c.origin, what);
                    return None;
                }
            };
            Probe::Http {
                request: format!(
                    "GET {path} HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: {target}\r\n\r\n"
                ),
                expect,
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

/// One probe: `true` when the peer passes.
pub async fn probe(check: &Check) -> bool {
    let run = async {
        let mut conn = TcpStream::connect(check.addr).await.ok()?;
        let Probe::Http { request, expect } = &check.probe else {
            return Some(true);
        };
        conn.write_all(request.as_bytes()).await.ok()?;
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.contains(&b'\n') && head.len() < 8192 {
            let n = conn.read(&mut buf).await.ok()?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        let line = String::from_utf8_lossy(&head);
        let mut words = line.split_whitespace();
        let version = words.next()?;
        let status: u16 = words.next()?.parse().ok()?;
        Some(
            version.starts_with("HTTP/") && expect.iter().any(|(a, b)| (*a..=*b).contains(&status)),
        )
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
        let ok = probe(check).await;
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
    fn expected_statuses() {
        assert_eq!(expect_ranges(&[], (200, 399)), Ok(vec![(200, 399)]));
        assert_eq!(
            expect_ranges(&["200".into(), "301-302".into()], (200, 299)),
            Ok(vec![(200, 200), (301, 302)])
        );
        assert!(expect_ranges(&["2xx".into()], (200, 299)).is_err());
    }
}
