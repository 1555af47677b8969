//! `ipvsadm -L [-n]` listings: the header lines, one line per virtual service
//! (`TCP  VIP:PORT SCHED [persistent N] [mask M] [ops]`, `FWM  MARK SCHED …`) and one per real
//! server (`  -> RIP:PORT  Route|Masq|Tunnel|Local WEIGHT ACTIVE INACTIVE`). Each line becomes the
//! `-A`/`-a` call that would create it, so rules read listings and scripts alike.

use super::cst::TextRange;
use super::ipvsadm::{Cmd, Fwd, Invocation, Proto, Service, Spanned};
use super::lexer::{Token, TokenKind};
use super::net::parse_endpoint;

/// Whether `text` is an ipvsadm listing rather than a script or a rules file.
pub fn is_listing(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .is_some_and(|l| {
            l.starts_with("IP Virtual Server version") || l.starts_with("Prot LocalAddress")
        })
}

/// Splits a listing into words, blanks and newlines (lossless).
pub fn lex(src: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let b = src.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let kind = match b[i] {
            b'\n' => {
                i += 1;
                TokenKind::Newline
            }
            b'\r' => {
                i += if b.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
                TokenKind::Newline
            }
            b' ' | b'\t' => {
                while i < b.len() && matches!(b[i], b' ' | b'\t') {
                    i += 1;
                }
                TokenKind::Whitespace
            }
            _ => {
                while i < b.len() && !matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
                    i += 1;
                }
                TokenKind::Word
            }
        };
        out.push(Token {
            kind,
            start: start as u32,
            end: i as u32,
        });
    }
    out
}

/// A problem with one line of a listing.
pub struct LineError {
    pub range: TextRange,
    pub message: String,
    pub label: String,
}

/// The calls a listing stands for, and the lines lbc could not read.
pub fn calls(src: &str, tokens: &[Token]) -> (Vec<(TextRange, Invocation)>, Vec<LineError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut service: Option<Spanned<Service>> = None;
    for line in tokens.split(|t| t.kind == TokenKind::Newline) {
        let words: Vec<Spanned<String>> = line
            .iter()
            .filter(|t| t.kind == TokenKind::Word)
            .map(|t| Spanned {
                value: t.text(src).to_string(),
                range: TextRange::new(t.start as usize, t.end as usize),
            })
            .collect();
        let Some(first) = words.first() else { continue };
        let whole = first.range.cover(words.last().unwrap().range);
        let w: Vec<&str> = words.iter().map(|w| w.value.as_str()).collect();
        let bad = |message: String, label: &str| LineError {
            range: whole,
            message,
            label: label.into(),
        };
        match w[0] {
            "IP" | "Prot" => continue,
            "->" if w.get(1) == Some(&"RemoteAddress:Port") => continue,
            "->" => {
                let Some(svc) = &service else {
                    errors.push(bad(
                        "a real server before any virtual service".into(),
                        "no service line above",
                    ));
                    continue;
                };
                let Some(addr) = words.get(1) else {
                    errors.push(bad(
                        "`->` without a real server address".into(),
                        "the address is missing",
                    ));
                    continue;
                };
                let endpoint = match parse_endpoint(&addr.value) {
                    Ok(e) => e,
                    Err(m) => {
                        errors.push(bad(
                            format!("bad real server address `{}`: {m}", addr.value),
                            "bad address",
                        ));
                        continue;
                    }
                };
                let mut inv = invocation(Cmd::AddServer, whole);
                inv.service = Some(svc.clone());
                inv.real_server = Some(Spanned {
                    value: endpoint,
                    range: addr.range,
                });
                if let Some(f) = words.get(2) {
                    let fwd = match f.value.as_str() {
                        "Route" => Fwd::Dr,
                        "Masq" => Fwd::Nat,
                        "Tunnel" => Fwd::Tun,
                        "Local" => Fwd::Local,
                        "FullNat" => Fwd::FullNat,
                        "SNAT" => Fwd::Snat,
                        other => {
                            errors.push(bad(
                                format!("unknown forwarding method `{other}`"),
                                "expected Route, Masq, Tunnel or Local",
                            ));
                            continue;
                        }
                    };
                    inv.forwarding = Some(Spanned {
                        value: fwd,
                        range: f.range,
                    });
                }
                if let Some(wt) = words.get(3) {
                    match wt.value.parse::<u32>() {
                        Ok(n) => {
                            inv.weight = Some(Spanned {
                                value: n,
                                range: wt.range,
                            })
                        }
                        Err(_) => errors.push(bad(
                            format!("bad weight `{}`", wt.value),
                            "expected a number",
                        )),
                    }
                } else {
                    errors.push(LineError {
                        range: whole,
                        message: "listing line cut short: no forwarding method or weight".into(),
                        label: "expected `ADDRESS:PORT FORWARD WEIGHT ACTIVECONN INACTCONN`".into(),
                    });
                }
                out.push((whole, inv));
            }
            p @ ("TCP" | "UDP" | "SCTP" | "FWM") => {
                let (Some(addr), Some(sched)) = (words.get(1), words.get(2)) else {
                    errors.push(bad(
                        "service line without an address and a scheduler".into(),
                        "expected `PROTO ADDRESS:PORT SCHEDULER`",
                    ));
                    continue;
                };
                let svc = if p == "FWM" {
                    match addr.value.parse::<u32>() {
                        Ok(m) => Service::Fwmark(m),
                        Err(_) => {
                            errors.push(bad(
                                format!("bad firewall mark `{}`", addr.value),
                                "expected a number",
                            ));
                            continue;
                        }
                    }
                } else {
                    let proto = match p {
                        "TCP" => Proto::Tcp,
                        "UDP" => Proto::Udp,
                        _ => Proto::Sctp,
                    };
                    match parse_endpoint(&addr.value) {
                        Ok(endpoint) => Service::Addr { proto, endpoint },
                        Err(m) => {
                            errors.push(bad(
                                format!("bad virtual service address `{}`: {m}", addr.value),
                                "bad address",
                            ));
                            continue;
                        }
                    }
                };
                let svc = Spanned {
                    value: svc,
                    range: addr.range,
                };
                let mut inv = invocation(Cmd::AddService, whole);
                inv.service = Some(svc.clone());
                inv.scheduler = Some(sched.clone());
                let mut k = 3;
                while k < words.len() {
                    let next = words.get(k + 1);
                    match (w[k], next) {
                        ("persistent", Some(n)) => {
                            inv.persistent = Some(Spanned {
                                value: n.value.parse().ok(),
                                range: n.range,
                            });
                            k += 1;
                        }
                        ("mask", Some(n)) => {
                            inv.netmask = Some(n.clone());
                            k += 1;
                        }
                        (flag, _) => inv.other.push(Spanned {
                            value: (flag.trim_matches(['(', ')']).to_string(), None),
                            range: words[k].range,
                        }),
                    }
                    k += 1;
                }
                service = Some(svc);
                out.push((whole, inv));
            }
            other => errors.push(bad(
                format!("`{other}` does not start a line of an `ipvsadm -L` listing"),
                "expected a service line (TCP, UDP, SCTP, FWM) or a real server line (->)",
            )),
        }
    }
    (out, errors)
}

fn invocation(cmd: Cmd, whole: TextRange) -> Invocation {
    Invocation {
        command: Spanned {
            value: cmd,
            range: whole,
        },
        service: None,
        scheduler: None,
        persistent: None,
        netmask: None,
        real_server: None,
        forwarding: None,
        weight: None,
        u_threshold: None,
        l_threshold: None,
        other: Vec::new(),
        positional: Vec::new(),
    }
}
