//! The LVS front-end over `../shared/corpus/lvs` (DPVS scripts and tutorials, the ipvsadm man
//! page's examples and init script, a rules file, the Linux IPVS selftest) and the LVS seeds:
//! no panic, lossless tokens, an IR that survives YAML and JSON, and no `lvs/syntax` error on
//! well-formed files.

mod common;

use std::path::PathBuf;

use common::{files_in, root, shared};
use lbc::diagnostic::Severity;
use lbc::ir::{Algorithm, Format, Forwarding, Ir, Protocol};
use lbc::load::{load, LoadOptions};

fn lvs_options() -> LoadOptions {
    LoadOptions {
        from: Some(Format::Ipvsadm),
        ..LoadOptions::default()
    }
}

fn corpus() -> Vec<PathBuf> {
    files_in(&shared().join("corpus/lvs"))
}

/// Well-formed files that still get an `lvs/syntax` error, and why. None so far: DPVS's
/// dialect (`-b` full-NAT, `-j`, `-z`, `-F`, `-H`, `-J`, `-P`) is recognised from the file
/// mentioning `dpip`/`dpvs`.
const SYNTAX_EXCEPTIONS: &[(&str, &str)] = &[];

#[test]
fn corpus_lowers_losslessly_and_round_trips() {
    let files = corpus();
    assert!(files.len() >= 20, "corpus missing: {}", files.len());
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let tokens = lbc::syntax::lvs::tokens(&text);
        let rebuilt: String = tokens
            .iter()
            .map(|t| &text[t.start as usize..t.end as usize])
            .collect();
        assert_eq!(rebuilt, text, "{}: tokens are not lossless", path.display());

        let loaded = load(std::slice::from_ref(&path), &lvs_options())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let yaml = serde_yaml::to_string(&loaded.ir).unwrap();
        let back: Ir = serde_yaml::from_str(&yaml).unwrap();
        assert_eq!(back, loaded.ir, "{}: YAML round trip", path.display());
        let json = serde_json::to_string(&loaded.ir).unwrap();
        let back: Ir = serde_json::from_str(&json).unwrap();
        assert_eq!(back, loaded.ir, "{}: JSON round trip", path.display());

        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let errors: Vec<_> = loaded
            .check()
            .into_iter()
            .filter(|d| d.code == "lvs/syntax" && d.severity == Severity::Error)
            .collect();
        if SYNTAX_EXCEPTIONS.iter().all(|(n, _)| *n != name) {
            assert!(errors.is_empty(), "{name}: {errors:#?}");
        }
    }
}

fn load_one(rel: &str) -> lbc::load::Loaded {
    let path = root().join(rel);
    load(&[path], &LoadOptions::default()).unwrap()
}

#[test]
fn director_seed_has_one_dr_service() {
    let l = load_one("fixtures/seeds/lvs/000-lvs_dr.sh");
    let vs = &l.ir.virtual_services;
    assert_eq!(vs.len(), 1, "{vs:#?}");
    let s = &vs[0];
    assert_eq!(s.protocol, Protocol::Tcp);
    assert_eq!(s.address.as_deref(), Some("192.168.63.110"));
    assert_eq!(s.port, Some(80));
    assert_eq!(s.scheduler, Algorithm::Scheduler { name: "lc".into() });
    let rs: Vec<_> = s
        .real_servers
        .iter()
        .map(|r| (r.address.as_str(), r.port, r.forwarding, r.weight))
        .collect();
    assert_eq!(
        rs,
        vec![
            ("192.168.63.120", Some(80), Some(Forwarding::Dr), Some(1)),
            ("192.168.63.125", Some(80), Some(Forwarding::Dr), Some(1)),
        ]
    );
    // The VIP on the director's interface, its host route, and IP forwarding.
    assert_eq!(l.ir.interface_addresses[0].address, "192.168.63.110");
    assert_eq!(
        l.ir.interface_addresses[0].label.as_deref(),
        Some("ens33:0")
    );
    assert_eq!(l.ir.static_routes[0].destination, "192.168.63.110/32");
    assert_eq!(l.ir.sysctls[0].key, "net.ipv4.ip_forward");
    // The `stop` branch (`ipvsadm -C`) is not the configured state.
    assert!(l.check().is_empty());
}

#[test]
fn real_server_seed_sets_arp_sysctls() {
    let l = load_one("fixtures/seeds/lvs/000-lvs_rs.sh");
    assert!(l.ir.virtual_services.is_empty());
    let keys: Vec<_> =
        l.ir.sysctls
            .iter()
            .map(|s| format!("{}={}", s.key, s.value))
            .collect();
    assert_eq!(
        keys,
        [
            "net.ipv4.conf.lo.arp_ignore=1",
            "net.ipv4.conf.lo.arp_announce=2",
            "net.ipv4.conf.all.arp_ignore=1",
            "net.ipv4.conf.all.arp_announce=2"
        ]
    );
}

#[test]
fn listing_and_script_agree() {
    let script = load_one("fixtures/seeds/lvs/000-lvs_dr.sh");
    let listing = load_one("fixtures/seeds/lvs/000-ipvsadm-ln.txt");
    let strip = |ir: &Ir| {
        let mut v = ir.virtual_services.clone();
        for s in &mut v {
            s.origin = Default::default();
            for r in &mut s.real_servers {
                r.origin = Default::default();
            }
        }
        v
    };
    assert_eq!(strip(&script.ir), strip(&listing.ir));
}

#[test]
fn evaluation_follows_edits_deletes_and_clears() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lvs.sh");
    std::fs::write(
        &path,
        "ipvsadm -A -t 10.0.0.1:80 -s rr\n\
         ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.2 -m -w 5\n\
         ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.3 -m\n\
         ipvsadm -e -t 10.0.0.1:80 -r 10.0.0.2 -m -w 7\n\
         ipvsadm -d -t 10.0.0.1:80 -r 10.0.0.3\n\
         ipvsadm -E -t 10.0.0.1:80 -p 60\n\
         ipvsadm -A -u 10.0.0.1:53 -s sh\n\
         ipvsadm -D -u 10.0.0.1:53\n\
         ipvsadm -A -f 3 -s wrr\n\
         ipvsadm -C\n\
         ipvsadm -A -t 10.0.0.9:443 -s wrr -p\n\
         ipvsadm -a -t 10.0.0.9:443 -r 10.0.0.2 -m -w 5\n\
         ipvsadm -e -t 10.0.0.9:443 -r 10.0.0.2:443 -w 7\n",
    )
    .unwrap();
    let l = load(&[path], &LoadOptions::default()).unwrap();
    assert!(l.check().is_empty(), "{:#?}", l.check());
    let vs = &l.ir.virtual_services;
    assert_eq!(vs.len(), 1);
    assert_eq!(vs[0].scheduler, Algorithm::RoundRobin);
    assert_eq!(vs[0].persistence, Some(lbc::ir::Duration(300_000)));
    // `-e` redefines the server: without -m it is back to direct routing.
    let r = &vs[0].real_servers[0];
    assert_eq!((r.weight, r.forwarding), (Some(7), Some(Forwarding::Dr)));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lvs.sh");
    std::fs::write(
        &path,
        "ipvsadm -A -t 10.0.0.1:80 -s rr\nipvsadm -E -t 10.0.0.1:80 -p 60\n",
    )
    .unwrap();
    let l = load(&[path], &LoadOptions::default()).unwrap();
    // `-E` without -s resets the scheduler to ipvsadm's default, wlc.
    let s = &l.ir.virtual_services[0];
    assert_eq!(s.scheduler, Algorithm::LeastConn);
    assert_eq!(s.persistence, Some(lbc::ir::Duration(60_000)));
}

#[test]
fn dpvs_dialect_and_man_page_examples() {
    let corpus = shared().join("corpus/lvs");
    let l = load(
        &[corpus.join("iqiyi__dpvs__tools_ipvsadm_ipvsadm.8__EXAMPLE1_restore.sh")],
        &lvs_options(),
    )
    .unwrap();
    // `echo "…" | ipvsadm -R`: the echoed rules are evaluated.
    assert_eq!(l.ir.virtual_services[0].real_servers.len(), 5);
    let l = load(
        &[corpus.join("iqiyi__dpvs__tools_ipvsadm_ipvsadm.8__EXAMPLE2_fwmark.sh")],
        &lvs_options(),
    )
    .unwrap();
    assert_eq!(l.ir.virtual_services[0].fwmark, Some(1));
    assert_eq!(l.ir.virtual_services[0].real_servers[0].port, Some(0));
    let l = load(
        &[corpus.join("iqiyi__dpvs__test_release_v1.7.2_checklist_setup.sh")],
        &lvs_options(),
    )
    .unwrap();
    assert_eq!(l.ir.virtual_services.len(), 18);
    assert_eq!(l.ir.virtual_services[0].address.as_deref(), Some("2001::1"));
}
