//! The ipvsadm command line, parsed the way ipvsadm's popt table does: short options that can be
//! combined (`-at`, `-Ln`) or take their value attached (`-t10.0.0.1:80`), long options
//! (`--tcp-service ADDR`, `--weight=3`), and the checks ipvsadm makes before it talks to the
//! kernel (one command, the options that command allows, addresses, ports, number ranges).
//!
//! Two dialects: stock ipvsadm, and DPVS's fork (`-b` is full-NAT there, not `--sched-flags`;
//! it adds `-J`, `-H`, `-j`, `-z`, `-F`, `-P`/`-Q`/`-G` and more).

use super::cst::TextRange;
use super::net::{parse_endpoint, Endpoint};

/// One argument after expansion, with the word it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub text: String,
    pub range: TextRange,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    #[default]
    Standard,
    Dpvs,
}

/// An ipvsadm command (the upper-case ones maintain services, the lower-case ones servers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmd {
    AddService,
    EditService,
    DeleteService,
    Clear,
    Restore,
    Save,
    AddServer,
    EditServer,
    DeleteServer,
    List,
    Zero,
    Set,
    StartDaemon,
    StopDaemon,
    Help,
    Version,
    /// DPVS: local addresses and blacklists.
    Dpvs(&'static str),
}

impl Cmd {
    /// Whether the command changes the virtual server table.
    pub fn changes_state(self) -> bool {
        matches!(
            self,
            Cmd::AddService
                | Cmd::EditService
                | Cmd::DeleteService
                | Cmd::Clear
                | Cmd::Restore
                | Cmd::AddServer
                | Cmd::EditServer
                | Cmd::DeleteServer
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
    Sctp,
    Icmp,
}

/// What a command names as its virtual service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Service {
    Addr {
        proto: Proto,
        endpoint: Endpoint,
    },
    Fwmark(u32),
    /// DPVS `-H proto=…,src-range=…` (SNAT).
    Match(String),
}

/// A packet-forwarding method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fwd {
    Dr,
    Nat,
    Tun,
    /// DPVS full-NAT (`-b`).
    FullNat,
    /// DPVS source NAT (`-J`).
    Snat,
    /// Set by the kernel for local real servers (listings only).
    Local,
}

/// A value and the word it was written in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub range: TextRange,
}

/// A parsed ipvsadm call. Options that are not written are `None`: ipvsadm's defaults (wlc,
/// weight 1, direct routing, 300 s persistence) are applied when the call is evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub command: Spanned<Cmd>,
    pub service: Option<Spanned<Service>>,
    pub scheduler: Option<Spanned<String>>,
    /// `-p [timeout]`: the timeout in seconds when given.
    pub persistent: Option<Spanned<Option<u32>>>,
    pub netmask: Option<Spanned<String>>,
    pub real_server: Option<Spanned<Endpoint>>,
    pub forwarding: Option<Spanned<Fwd>>,
    pub weight: Option<Spanned<u32>>,
    pub u_threshold: Option<Spanned<u32>>,
    pub l_threshold: Option<Spanned<u32>>,
    /// Other options, by long name, with their value (`sched-flags`, `pe`, `ops`, `synproxy` …).
    pub other: Vec<Spanned<(String, Option<String>)>>,
    pub positional: Vec<Spanned<String>>,
}

/// Why ipvsadm would refuse the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgError {
    pub message: String,
    pub label: String,
    pub range: TextRange,
    pub help: Option<String>,
}

#[path = "ipvsadm_table.rs"]
mod table;
use table::{Class as C, Kind as K, Only, Opt, OPTIONS};

fn find_short(c: char, dialect: Dialect) -> Option<&'static Opt> {
    OPTIONS
        .iter()
        .find(|o| o.short == Some(c) && allowed(o, dialect))
}

fn find_long(name: &str, dialect: Dialect) -> Option<&'static Opt> {
    OPTIONS
        .iter()
        .find(|o| o.long == name && allowed(o, dialect))
}

fn allowed(o: &Opt, dialect: Dialect) -> bool {
    match o.only {
        Only::Both => true,
        Only::Standard => dialect == Dialect::Standard,
        Only::Dpvs => dialect == Dialect::Dpvs,
    }
}

fn err(range: TextRange, message: String, label: &str, help: Option<String>) -> ArgError {
    ArgError {
        message,
        label: label.into(),
        range,
        help,
    }
}

/// The long names of every option of the dialect, for "did you mean".
pub fn long_names(dialect: Dialect) -> Vec<&'static str> {
    OPTIONS
        .iter()
        .filter(|o| allowed(o, dialect))
        .map(|o| o.long)
        .collect()
}

/// An option as written, its value and the word it is in.
type ParsedOpt = (&'static Opt, String, Option<Spanned<String>>, TextRange);

/// Splits the arguments (program name excluded) into options as popt does.
fn tokenize(
    args: &[Field],
    dialect: Dialect,
) -> Result<(Vec<ParsedOpt>, Vec<Spanned<String>>), ArgError> {
    let mut opts = Vec::new();
    let mut positional = Vec::new();
    let mut i = 0;
    let value_after = |i: &mut usize, optional: bool| -> Option<Spanned<String>> {
        let next = args.get(*i + 1)?;
        if optional && next.text.starts_with('-') {
            return None;
        }
        *i += 1;
        Some(Spanned {
            value: next.text.clone(),
            range: next.range,
        })
    };
    while i < args.len() {
        let a = &args[i];
        let t = a.text.as_str();
        if t == "--" {
            positional.extend(args[i + 1..].iter().map(|f| Spanned {
                value: f.text.clone(),
                range: f.range,
            }));
            break;
        }
        if let Some(long) = t.strip_prefix("--").filter(|l| !l.is_empty()) {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            let Some(opt) = find_long(name, dialect) else {
                let names = long_names(dialect);
                let help =
                    super::did_you_mean(name, &names).map(|s| format!("did you mean `--{s}`?"));
                return Err(err(
                    a.range,
                    format!("unknown option `--{name}`"),
                    "ipvsadm does not know this option",
                    help,
                ));
            };
            let value = match opt.kind {
                K::Arg | K::CommandArg(_) => match inline {
                    Some(v) => Some(Spanned {
                        value: v,
                        range: a.range,
                    }),
                    None => Some(value_after(&mut i, false).ok_or_else(|| {
                        err(
                            a.range,
                            format!("`--{name}` needs a value"),
                            "the value is missing",
                            None,
                        )
                    })?),
                },
                K::OptArg => match inline {
                    Some(v) => Some(Spanned {
                        value: v,
                        range: a.range,
                    }),
                    None => value_after(&mut i, true),
                },
                _ => None,
            };
            opts.push((opt, format!("--{name}"), value, a.range));
        } else if t.len() > 1 && t.starts_with('-') {
            let chars: Vec<char> = t[1..].chars().collect();
            let mut j = 0;
            while j < chars.len() {
                let c = chars[j];
                let Some(opt) = find_short(c, dialect) else {
                    return Err(err(
                        a.range,
                        format!("unknown option `-{c}`"),
                        "ipvsadm does not know this option",
                        (dialect == Dialect::Standard && "bzFHJjPQGq".contains(c)).then(|| {
                            format!("`-{c}` is an option of DPVS's ipvsadm, not of the stock one")
                        }),
                    ));
                };
                let rest: String = chars[j + 1..].iter().collect();
                match opt.kind {
                    K::Arg | K::CommandArg(_) | K::OptArg => {
                        let value = if !rest.is_empty() {
                            Some(Spanned {
                                value: rest,
                                range: a.range,
                            })
                        } else if opt.kind == K::OptArg {
                            value_after(&mut i, true)
                        } else {
                            Some(value_after(&mut i, false).ok_or_else(|| {
                                err(
                                    a.range,
                                    format!("`-{c}` needs a value"),
                                    "the value is missing",
                                    None,
                                )
                            })?)
                        };
                        opts.push((opt, format!("-{c}"), value, a.range));
                        break;
                    }
                    _ => opts.push((opt, format!("-{c}"), None, a.range)),
                }
                j += 1;
            }
        } else {
            positional.push(Spanned {
                value: a.text.clone(),
                range: a.range,
            });
        }
        i += 1;
    }
    Ok((opts, positional))
}

fn number(v: &Spanned<String>, what: &str, max: u64) -> Result<u32, ArgError> {
    match v.value.parse::<u64>() {
        Ok(n) if n <= max => Ok(n as u32),
        _ => Err(err(
            v.range,
            format!(
                "illegal {what} `{}`: expected an integer from 0 to {max}",
                v.value
            ),
            "not a valid value",
            None,
        )),
    }
}

/// Parses the arguments of one ipvsadm call (without the program name).
pub fn parse(args: &[Field], dialect: Dialect, whole: TextRange) -> Result<Invocation, ArgError> {
    let (opts, positional) = tokenize(args, dialect)?;
    let mut command: Option<(Spanned<Cmd>, String)> = None;
    for (opt, how, _, range) in &opts {
        if let K::Command(c) | K::CommandArg(c) = opt.kind {
            if let Some((first, first_how)) = &command {
                if first.value != c {
                    return Err(err(
                        *range,
                        format!("two commands in one call: `{first_how}` and `{how}`"),
                        "a second command",
                        Some("ipvsadm runs one command per call; split it in two".into()),
                    ));
                }
            }
            command = Some((
                Spanned {
                    value: c,
                    range: *range,
                },
                how.clone(),
            ));
        }
    }
    let Some((command, cmd_how)) = command else {
        return Err(err(
            whole,
            "ipvsadm call without a command".into(),
            "no -A, -E, -D, -C, -a, -e, -d, -L or -S here",
            None,
        ));
    };
    let cmd = command.value;
    let mut inv = Invocation {
        command,
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
        positional,
    };
    for (opt, how, value, range) in opts {
        let ok = match opt.class {
            C::Command => true,
            C::Service => !matches!(
                cmd,
                Cmd::Clear
                    | Cmd::Restore
                    | Cmd::Save
                    | Cmd::Set
                    | Cmd::StartDaemon
                    | Cmd::StopDaemon
            ),
            C::ServiceOpt => matches!(cmd, Cmd::AddService | Cmd::EditService),
            C::RealServer => matches!(cmd, Cmd::AddServer | Cmd::EditServer | Cmd::DeleteServer),
            C::ServerOpt => matches!(cmd, Cmd::AddServer | Cmd::EditServer),
            C::ListOpt => {
                matches!(cmd, Cmd::List | Cmd::Save) || (how == "-n" && matches!(cmd, Cmd::Dpvs(_)))
            }
            C::DaemonOpt => matches!(cmd, Cmd::StartDaemon | Cmd::StopDaemon),
            C::LaddrOpt => matches!(cmd, Cmd::Dpvs(_)),
        };
        if !ok {
            return Err(err(
                range,
                format!("`{how}` ({}) cannot be used with `{cmd_how}`", opt.long),
                "not an option of this command",
                None,
            ));
        }
        let long = opt.long;
        let sp = |v: Spanned<String>| v;
        match (long, value) {
            ("tcp-service" | "udp-service" | "sctp-service" | "icmp-service", Some(v)) => {
                let proto = match long {
                    "tcp-service" => Proto::Tcp,
                    "udp-service" => Proto::Udp,
                    "sctp-service" => Proto::Sctp,
                    _ => Proto::Icmp,
                };
                let endpoint = parse_endpoint(&v.value).map_err(|m| {
                    err(
                        v.range,
                        format!("illegal virtual server address `{}`: {m}", v.value),
                        "bad address",
                        Some("write HOST[:PORT], with IPv6 in brackets: [2001:db8::1]:80".into()),
                    )
                })?;
                inv.service = Some(Spanned {
                    value: Service::Addr { proto, endpoint },
                    range: v.range,
                });
            }
            ("fwmark-service", Some(v)) => {
                let mark = v
                    .value
                    .parse::<u32>()
                    .ok()
                    .filter(|m| *m > 0)
                    .ok_or_else(|| {
                        err(
                            v.range,
                            format!(
                                "illegal firewall mark `{}`: expected an integer greater than zero",
                                v.value
                            ),
                            "bad firewall mark",
                            None,
                        )
                    })?;
                inv.service = Some(Spanned {
                    value: Service::Fwmark(mark),
                    range: v.range,
                });
            }
            ("match", Some(v)) => {
                inv.service = Some(Spanned {
                    value: Service::Match(v.value.clone()),
                    range: v.range,
                })
            }
            ("scheduler", Some(v)) => inv.scheduler = Some(sp(v)),
            ("persistent", v) => {
                let timeout = match v {
                    Some(v) => match v.value.parse::<u32>() {
                        Ok(n) if (1..=86400 * 31).contains(&n) => Some(n),
                        _ => return Err(err(v.range, format!("illegal persistence timeout `{}`: expected seconds from 1 to 2678400", v.value), "bad timeout", None)),
                    },
                    None => None,
                };
                inv.persistent = Some(Spanned {
                    value: timeout,
                    range,
                });
            }
            ("netmask", Some(v)) => {
                let ok = v.value.parse::<std::net::Ipv4Addr>().is_ok()
                    || v.value.parse::<u8>().is_ok_and(|n| (1..=128).contains(&n));
                if !ok {
                    return Err(err(
                        v.range,
                        format!("illegal persistence netmask `{}`", v.value),
                        "bad netmask",
                        Some(
                            "write a dotted IPv4 mask (255.255.255.0) or an IPv6 prefix length"
                                .into(),
                        ),
                    ));
                }
                inv.netmask = Some(v);
            }
            ("real-server", Some(v)) => {
                let endpoint = parse_endpoint(&v.value).map_err(|m| {
                    err(
                        v.range,
                        format!("illegal real server address `{}`: {m}", v.value),
                        "bad address",
                        Some("write HOST[:PORT], with IPv6 in brackets: [2001:db8::1]:80".into()),
                    )
                })?;
                inv.real_server = Some(Spanned {
                    value: endpoint,
                    range: v.range,
                });
            }
            (f @ ("gatewaying" | "ipip" | "masquerading" | "fullnat" | "snat"), _) => {
                let fwd = match f {
                    "gatewaying" => Fwd::Dr,
                    "ipip" => Fwd::Tun,
                    "masquerading" => Fwd::Nat,
                    "fullnat" => Fwd::FullNat,
                    _ => Fwd::Snat,
                };
                inv.forwarding = Some(Spanned { value: fwd, range });
            }
            ("weight", Some(v)) => {
                inv.weight = Some(Spanned {
                    value: number(&v, "weight", 65535)?,
                    range: v.range,
                })
            }
            ("u-threshold", Some(v)) => {
                inv.u_threshold = Some(Spanned {
                    value: number(&v, "upper threshold", i32::MAX as u64)?,
                    range: v.range,
                })
            }
            ("l-threshold", Some(v)) => {
                inv.l_threshold = Some(Spanned {
                    value: number(&v, "lower threshold", i32::MAX as u64)?,
                    range: v.range,
                })
            }
            (_, value) if opt.class != C::Command => inv.other.push(Spanned {
                value: (long.to_string(), value.map(|v| v.value)),
                range,
            }),
            _ => {}
        }
    }
    check(&inv, &cmd_how, whole, dialect)?;
    Ok(inv)
}

/// The checks ipvsadm makes once the options are read.
fn check(inv: &Invocation, how: &str, whole: TextRange, dialect: Dialect) -> Result<(), ArgError> {
    let cmd = inv.command.value;
    let needs_service = matches!(
        cmd,
        Cmd::AddService
            | Cmd::EditService
            | Cmd::DeleteService
            | Cmd::AddServer
            | Cmd::EditServer
            | Cmd::DeleteServer
    );
    if needs_service && inv.service.is_none() {
        return Err(err(
            whole,
            format!("`{how}` needs a virtual service"),
            "no -t, -u or -f here",
            Some("name the service: -t VIP:PORT, -u VIP:PORT or -f FWMARK".into()),
        ));
    }
    if matches!(cmd, Cmd::AddServer | Cmd::EditServer | Cmd::DeleteServer)
        && inv.real_server.is_none()
    {
        return Err(err(
            whole,
            format!("`{how}` needs a real server"),
            "no -r here",
            Some("name the real server: -r HOST[:PORT]".into()),
        ));
    }
    if matches!(cmd, Cmd::AddService | Cmd::EditService) {
        if let Some(Spanned {
            value: Service::Addr { endpoint, proto },
            range,
        }) = &inv.service
        {
            if endpoint.port.unwrap_or(0) == 0 && inv.persistent.is_none() {
                return Err(err(*range, "zero port specified for a non-persistent service".into(), "no port (or port 0) here", Some("give the port (VIP:80), or make the service persistent with -p to accept every port".into())));
            }
            if *proto != Proto::Udp && inv.other.iter().any(|o| o.value.0 == "ops") {
                return Err(err(
                    *range,
                    "one-packet scheduling (-o) is only for UDP virtual services".into(),
                    "not a UDP service",
                    None,
                ));
            }
        }
    }
    if cmd == Cmd::Set && inv.positional.len() != 3 {
        return Err(err(
            whole,
            "`--set` needs 3 timeout values (tcp tcpfin udp)".into(),
            "here",
            None,
        ));
    }
    if cmd != Cmd::Set {
        if let Some(p) = inv.positional.first() {
            let _ = dialect;
            return Err(err(
                p.range,
                format!("unexpected argument `{}`", p.value),
                "ipvsadm does not expect a bare word here",
                None,
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "ipvsadm_tests.rs"]
mod tests;
