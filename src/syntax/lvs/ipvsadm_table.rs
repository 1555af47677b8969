//! ipvsadm's option table (stock ipvsadm 1.31 and DPVS's fork): each option's short and long
//! names, whether it takes a value, which commands it goes with and which dialect has it.

use super::Cmd;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Command(Cmd),
    /// A command that takes a value (`--start-daemon master`).
    CommandArg(Cmd),
    Flag,
    Arg,
    /// `-p [timeout]`.
    OptArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Only {
    Both,
    Standard,
    Dpvs,
}

/// Which commands an option goes with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Class {
    Command,
    Service,
    /// Options of `-A`/`-E`.
    ServiceOpt,
    RealServer,
    /// Options of `-a`/`-e`.
    ServerOpt,
    /// Options of `-L`/`-S`.
    ListOpt,
    DaemonOpt,
    /// DPVS local-address options.
    LaddrOpt,
}

pub(super) struct Opt {
    pub(super) short: Option<char>,
    pub(super) long: &'static str,
    pub(super) kind: Kind,
    pub(super) class: Class,
    pub(super) only: Only,
}

const fn o(short: Option<char>, long: &'static str, kind: Kind, class: Class, only: Only) -> Opt {
    Opt {
        short,
        long,
        kind,
        class,
        only,
    }
}

use Class as C;
use Kind as K;
use Only as D;

/// ipvsadm 1.31's popt table, plus DPVS's additions.
pub(super) static OPTIONS: &[Opt] = &[
    o(
        Some('A'),
        "add-service",
        K::Command(Cmd::AddService),
        C::Command,
        D::Both,
    ),
    o(
        Some('E'),
        "edit-service",
        K::Command(Cmd::EditService),
        C::Command,
        D::Both,
    ),
    o(
        Some('D'),
        "delete-service",
        K::Command(Cmd::DeleteService),
        C::Command,
        D::Both,
    ),
    o(
        Some('C'),
        "clear",
        K::Command(Cmd::Clear),
        C::Command,
        D::Both,
    ),
    o(
        Some('R'),
        "restore",
        K::Command(Cmd::Restore),
        C::Command,
        D::Both,
    ),
    o(
        Some('S'),
        "save",
        K::Command(Cmd::Save),
        C::Command,
        D::Both,
    ),
    o(
        Some('a'),
        "add-server",
        K::Command(Cmd::AddServer),
        C::Command,
        D::Both,
    ),
    o(
        Some('e'),
        "edit-server",
        K::Command(Cmd::EditServer),
        C::Command,
        D::Both,
    ),
    o(
        Some('d'),
        "delete-server",
        K::Command(Cmd::DeleteServer),
        C::Command,
        D::Both,
    ),
    o(
        Some('L'),
        "list",
        K::Command(Cmd::List),
        C::Command,
        D::Both,
    ),
    o(
        Some('l'),
        "list",
        K::Command(Cmd::List),
        C::Command,
        D::Both,
    ),
    o(
        Some('Z'),
        "zero",
        K::Command(Cmd::Zero),
        C::Command,
        D::Both,
    ),
    o(None, "set", K::Command(Cmd::Set), C::Command, D::Both),
    o(
        None,
        "start-daemon",
        K::CommandArg(Cmd::StartDaemon),
        C::Command,
        D::Both,
    ),
    o(
        None,
        "stop-daemon",
        K::CommandArg(Cmd::StopDaemon),
        C::Command,
        D::Both,
    ),
    o(
        Some('h'),
        "help",
        K::Command(Cmd::Help),
        C::Command,
        D::Both,
    ),
    o(
        Some('v'),
        "version",
        K::Command(Cmd::Version),
        C::Command,
        D::Both,
    ),
    o(
        Some('P'),
        "add-laddr",
        K::Command(Cmd::Dpvs("add-laddr")),
        C::Command,
        D::Dpvs,
    ),
    o(
        Some('Q'),
        "del-laddr",
        K::Command(Cmd::Dpvs("del-laddr")),
        C::Command,
        D::Dpvs,
    ),
    o(
        Some('G'),
        "get-laddr",
        K::Command(Cmd::Dpvs("get-laddr")),
        C::Command,
        D::Dpvs,
    ),
    o(
        Some('U'),
        "add-blklst",
        K::Command(Cmd::Dpvs("add-blklst")),
        C::Command,
        D::Dpvs,
    ),
    o(
        Some('V'),
        "del-blklst",
        K::Command(Cmd::Dpvs("del-blklst")),
        C::Command,
        D::Dpvs,
    ),
    o(
        Some('B'),
        "get-blklst",
        K::Command(Cmd::Dpvs("get-blklst")),
        C::Command,
        D::Dpvs,
    ),
    o(Some('t'), "tcp-service", K::Arg, C::Service, D::Both),
    o(Some('u'), "udp-service", K::Arg, C::Service, D::Both),
    o(None, "sctp-service", K::Arg, C::Service, D::Standard),
    o(Some('q'), "icmp-service", K::Arg, C::Service, D::Dpvs),
    o(Some('f'), "fwmark-service", K::Arg, C::Service, D::Both),
    o(Some('H'), "match", K::Arg, C::Service, D::Dpvs),
    o(Some('s'), "scheduler", K::Arg, C::ServiceOpt, D::Both),
    o(Some('p'), "persistent", K::OptArg, C::ServiceOpt, D::Both),
    o(Some('M'), "netmask", K::Arg, C::ServiceOpt, D::Both),
    o(Some('b'), "sched-flags", K::Arg, C::ServiceOpt, D::Standard),
    o(None, "pe", K::Arg, C::ServiceOpt, D::Both),
    o(Some('o'), "ops", K::Flag, C::ServiceOpt, D::Both),
    o(Some('6'), "ipv6", K::Flag, C::ServiceOpt, D::Both),
    o(Some('j'), "synproxy", K::Arg, C::ServiceOpt, D::Dpvs),
    o(Some('Y'), "hash-target", K::Arg, C::ServiceOpt, D::Dpvs),
    o(Some('r'), "real-server", K::Arg, C::RealServer, D::Both),
    o(Some('g'), "gatewaying", K::Flag, C::ServerOpt, D::Both),
    o(Some('i'), "ipip", K::Flag, C::ServerOpt, D::Both),
    o(Some('m'), "masquerading", K::Flag, C::ServerOpt, D::Both),
    o(Some('b'), "fullnat", K::Flag, C::ServerOpt, D::Dpvs),
    o(Some('J'), "snat", K::Flag, C::ServerOpt, D::Dpvs),
    o(Some('w'), "weight", K::Arg, C::ServerOpt, D::Both),
    o(Some('x'), "u-threshold", K::Arg, C::ServerOpt, D::Both),
    o(Some('y'), "l-threshold", K::Arg, C::ServerOpt, D::Both),
    o(None, "tun-type", K::Arg, C::ServerOpt, D::Standard),
    o(None, "tun-port", K::Arg, C::ServerOpt, D::Standard),
    o(None, "tun-nocsum", K::Flag, C::ServerOpt, D::Standard),
    o(None, "tun-csum", K::Flag, C::ServerOpt, D::Standard),
    o(None, "tun-remcsum", K::Flag, C::ServerOpt, D::Standard),
    o(Some('n'), "numeric", K::Flag, C::ListOpt, D::Both),
    o(Some('c'), "connection", K::Flag, C::ListOpt, D::Both),
    o(None, "timeout", K::Flag, C::ListOpt, D::Both),
    o(None, "daemon", K::Flag, C::ListOpt, D::Both),
    o(None, "stats", K::Flag, C::ListOpt, D::Both),
    o(None, "rate", K::Flag, C::ListOpt, D::Both),
    o(None, "thresholds", K::Flag, C::ListOpt, D::Both),
    o(None, "persistent-conn", K::Flag, C::ListOpt, D::Both),
    o(None, "tun-info", K::Flag, C::ListOpt, D::Standard),
    o(None, "sort", K::Flag, C::ListOpt, D::Both),
    o(None, "nosort", K::Flag, C::ListOpt, D::Both),
    o(Some('X'), "exact", K::Flag, C::ListOpt, D::Both),
    o(None, "sockpair", K::Arg, C::ListOpt, D::Dpvs),
    o(None, "mcast-interface", K::Arg, C::DaemonOpt, D::Both),
    o(None, "syncid", K::Arg, C::DaemonOpt, D::Both),
    o(None, "mcast-group", K::Arg, C::DaemonOpt, D::Standard),
    o(None, "mcast-port", K::Arg, C::DaemonOpt, D::Standard),
    o(None, "mcast-ttl", K::Arg, C::DaemonOpt, D::Standard),
    o(None, "sync-maxlen", K::Arg, C::DaemonOpt, D::Standard),
    o(Some('z'), "laddr", K::Arg, C::LaddrOpt, D::Dpvs),
    o(Some('k'), "blklst", K::Arg, C::LaddrOpt, D::Dpvs),
    o(Some('F'), "ifname", K::Arg, C::LaddrOpt, D::Dpvs),
];
