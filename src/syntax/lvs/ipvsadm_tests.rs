//! Table tests of ipvsadm option parsing: short and long forms, combined options, attached
//! values, IPv6, firewall marks, and the calls ipvsadm refuses.

use super::*;

fn fields(line: &str) -> Vec<Field> {
    let mut pos = 0;
    line.split(' ')
        .map(|w| {
            let f = Field {
                text: w.to_string(),
                range: TextRange::new(pos, pos + w.len()),
            };
            pos += w.len() + 1;
            f
        })
        .collect()
}

fn run(line: &str, dialect: Dialect) -> Result<Invocation, ArgError> {
    parse(&fields(line), dialect, TextRange::new(0, line.len()))
}

/// A one-line summary of what a call sets.
fn summary(inv: &Invocation) -> String {
    let mut s = format!("{:?}", inv.command.value);
    match inv.service.as_ref().map(|s| &s.value) {
        Some(Service::Addr { proto, endpoint }) => {
            s += &format!(" {proto:?} {}:{:?}", endpoint.host, endpoint.port)
        }
        Some(Service::Fwmark(m)) => s += &format!(" fwmark {m}"),
        Some(Service::Match(m)) => s += &format!(" match {m}"),
        None => {}
    }
    if let Some(x) = &inv.scheduler {
        s += &format!(" sched={}", x.value);
    }
    if let Some(p) = &inv.persistent {
        s += &format!(" persistent={:?}", p.value);
    }
    if let Some(m) = &inv.netmask {
        s += &format!(" mask={}", m.value);
    }
    if let Some(r) = &inv.real_server {
        s += &format!(" rs={}:{:?}", r.value.host, r.value.port);
    }
    if let Some(f) = &inv.forwarding {
        s += &format!(" fwd={:?}", f.value);
    }
    if let Some(w) = &inv.weight {
        s += &format!(" w={}", w.value);
    }
    if let Some(x) = &inv.u_threshold {
        s += &format!(" x={}", x.value);
    }
    if let Some(y) = &inv.l_threshold {
        s += &format!(" y={}", y.value);
    }
    for o in &inv.other {
        s += &format!(" {}={:?}", o.value.0, o.value.1);
    }
    s
}

#[test]
fn accepted_calls() {
    use Dialect::*;
    let cases: &[(&str, Dialect, &str)] = &[
        ("-A -t 10.0.0.1:80 -s rr", Standard, "AddService Tcp 10.0.0.1:Some(80) sched=rr"),
        ("--add-service --tcp-service 10.0.0.1:80 --scheduler wrr", Standard, "AddService Tcp 10.0.0.1:Some(80) sched=wrr"),
        ("--add-service --udp-service=10.0.0.1:53 --scheduler=sh", Standard, "AddService Udp 10.0.0.1:Some(53) sched=sh"),
        ("-At 10.0.0.1:80", Standard, "AddService Tcp 10.0.0.1:Some(80)"),
        ("-A -t10.0.0.1:443 -p 600 -M 255.255.255.0", Standard, "AddService Tcp 10.0.0.1:Some(443) persistent=Some(600) mask=255.255.255.0"),
        ("-A -t 10.0.0.1:0 -p", Standard, "AddService Tcp 10.0.0.1:Some(0) persistent=None"),
        ("-A -t 10.0.0.1 -p -s lc", Standard, "AddService Tcp 10.0.0.1:None sched=lc persistent=None"),
        ("--add-service --tcp-service 10.0.0.1:80 --persistent 60 --netmask 255.255.0.0", Standard, "AddService Tcp 10.0.0.1:Some(80) persistent=Some(60) mask=255.255.0.0"),
        ("-E -t 10.0.0.1:80 -s wlc", Standard, "EditService Tcp 10.0.0.1:Some(80) sched=wlc"),
        ("-D -t 10.0.0.1:80", Standard, "DeleteService Tcp 10.0.0.1:Some(80)"),
        ("-C", Standard, "Clear"),
        ("--clear", Standard, "Clear"),
        ("-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 3", Standard, "AddServer Tcp 10.0.0.1:Some(80) rs=10.0.0.2:Some(80) fwd=Dr w=3"),
        ("-at 10.0.0.1:80 -r 10.0.0.2 -m", Standard, "AddServer Tcp 10.0.0.1:Some(80) rs=10.0.0.2:None fwd=Nat"),
        ("--add-server --tcp-service 10.0.0.1:80 --real-server 10.0.0.2:8080 --masquerading --weight 2", Standard, "AddServer Tcp 10.0.0.1:Some(80) rs=10.0.0.2:Some(8080) fwd=Nat w=2"),
        ("-a -t 10.0.0.1:80 -r 10.0.0.2 --ipip -x 100 -y 50", Standard, "AddServer Tcp 10.0.0.1:Some(80) rs=10.0.0.2:None fwd=Tun x=100 y=50"),
        ("-a -t 10.0.0.1:80 -r 10.0.0.2 --gatewaying --u-threshold 9 --l-threshold 3", Standard, "AddServer Tcp 10.0.0.1:Some(80) rs=10.0.0.2:None fwd=Dr x=9 y=3"),
        ("-e -t 10.0.0.1:80 -r 10.0.0.2:80 -w 0", Standard, "EditServer Tcp 10.0.0.1:Some(80) rs=10.0.0.2:Some(80) w=0"),
        ("-d -t 10.0.0.1:80 -r 10.0.0.2:80", Standard, "DeleteServer Tcp 10.0.0.1:Some(80) rs=10.0.0.2:Some(80)"),
        ("-A -t [2001:db8::80]:80 -s rr", Standard, "AddService Tcp 2001:db8::80:Some(80) sched=rr"),
        ("-a -t [2001:db8::80]:80 -r [2001:db8::a0a0]:80 -m", Standard, "AddServer Tcp 2001:db8::80:Some(80) rs=2001:db8::a0a0:Some(80) fwd=Nat"),
        ("-A -f 1 -s rr", Standard, "AddService fwmark 1 sched=rr"),
        ("--add-service --fwmark-service 7", Standard, "AddService fwmark 7"),
        ("-a -f 1 -r 192.168.10.1:0 -m", Standard, "AddServer fwmark 1 rs=192.168.10.1:Some(0) fwd=Nat"),
        ("-A -t www.example.com:http -s rr", Standard, "AddService Tcp www.example.com:Some(80) sched=rr"),
        ("-A -u 10.0.0.1:53 -o", Standard, "AddService Udp 10.0.0.1:Some(53) ops=None"),
        ("-A -t 10.0.0.1:80 -s sh -b sh-port,sh-fallback", Standard, "AddService Tcp 10.0.0.1:Some(80) sched=sh sched-flags=Some(\"sh-port,sh-fallback\")"),
        ("-Ln", Standard, "List numeric=None"),
        ("-L -n --stats", Standard, "List numeric=None stats=None"),
        ("-Sn", Standard, "Save numeric=None"),
        ("--set 900 120 300", Standard, "Set"),
        ("-a -t 10.0.0.100:80 -r 192.168.100.2 -b", Dpvs, "AddServer Tcp 10.0.0.100:Some(80) rs=192.168.100.2:None fwd=FullNat"),
        ("-A -t [2001::1]:8080 -j enable", Dpvs, "AddService Tcp 2001::1:Some(8080) synproxy=Some(\"enable\")"),
        ("-Pt [2001::1]:8080 -z 2001::1:11 -F dpdk0", Dpvs, "Dpvs(\"add-laddr\") Tcp 2001::1:Some(8080) laddr=Some(\"2001::1:11\") ifname=Some(\"dpdk0\")"),
    ];
    for (line, dialect, want) in cases {
        match run(line, *dialect) {
            Ok(inv) => assert_eq!(summary(&inv), *want, "{line}"),
            Err(e) => panic!("{line}: {}", e.message),
        }
    }
}

#[test]
fn refused_calls() {
    let cases: &[(&str, &str)] = &[
        ("-A -t 10.0.0.1:80 -s", "`-s` needs a value"),
        ("-A -t 10.0.0.1:80 -k rr", "unknown option `-k`"),
        (
            "--add-service --tcp-servic 10.0.0.1:80",
            "unknown option `--tcp-servic`",
        ),
        ("-A -a -t 10.0.0.1:80", "two commands in one call"),
        ("-t 10.0.0.1:80 -s rr", "ipvsadm call without a command"),
        ("-A -s rr", "needs a virtual service"),
        ("-a -t 10.0.0.1:80", "needs a real server"),
        (
            "-a -t 10.0.0.1:80 -r 10.0.0.2 -s rr",
            "cannot be used with `-a`",
        ),
        ("-A -t 10.0.0.1:80 -w 2", "cannot be used with `-A`"),
        ("-A -t 10.0.0.300:80", "is not an IPv4 address"),
        ("-A -t 10.0.0.1:99999", "out of range"),
        ("-A -t [2001:db8::1:80", "without its `]`"),
        ("-A -t 10.0.0.1", "zero port specified"),
        ("-A -f 0", "illegal firewall mark"),
        ("-a -t 10.0.0.1:80 -r 10.0.0.2 -w 70000", "illegal weight"),
        ("-A -t 10.0.0.1:80 -p 0", "illegal persistence timeout"),
        (
            "-A -t 10.0.0.1:80 -M 300.0.0.0",
            "illegal persistence netmask",
        ),
        ("-A -t 10.0.0.1:80 stray", "unexpected argument `stray`"),
        ("-a -t 10.0.0.1:80 -r 10.0.0.2 -b", "`-b` needs a value"),
        ("--set 900 120", "needs 3 timeout values"),
    ];
    for (line, want) in cases {
        match run(line, Dialect::Standard) {
            Ok(inv) => panic!("{line}: accepted as {}", summary(&inv)),
            Err(e) => assert!(e.message.contains(want), "{line}: {}", e.message),
        }
    }
}

#[test]
fn error_ranges_point_at_the_word() {
    let e = run("-A -t 10.0.0.300:80", Dialect::Standard).unwrap_err();
    assert_eq!((e.range.start, e.range.end), (6, 19));
}
