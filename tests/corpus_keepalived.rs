//! The keepalived corpus (`../shared/corpus/keepalived`): every file parses losslessly without
//! a panic, goes through every rule, and its IR round-trips through YAML and JSON. Stock
//! keepalived files produce no `keepalived/syntax` error.

mod common;

use common::{files_in, shared};
use lbc::load::{load, LoadOptions};
use lbc::syntax::keepalived::parse;

/// DPVS ships a keepalived fork with keywords of its own (`local_address_group`,
/// `dpdk_interface`, `lb_kind FNAT`, `syn_proxy` …). lbc reads stock keepalived: those keywords
/// are reported as unknown (as stock `keepalived -t` does), but the files are well-formed.
fn is_dpvs(name: &str) -> bool {
    name.starts_with("iqiyi__dpvs__")
}

/// Stock files that keepalived 2.2.7 itself rejects with `Unknown keyword`, and why. Each must
/// still get the diagnostic, so the list cannot go stale.
const UNKNOWN_EXPECTED: &[(&str, &str)] = &[
    ("acassen__keepalived__doc_samples_keepalived.conf.vrrp.lvs_syncd", "`vrrp_sync_group` lists instances without `group { }` (keepalived -t: Unknown keyword 'VI_2')"),
    ("acassen__keepalived__www_docs_articles_vrrp-hmac-authentication.md__block10.conf", "`auth_hmac` is newer than keepalived 2.2.7"),
    ("acassen__keepalived__www_docs_articles_vrrp-hmac-authentication.md__block2.conf", "`auth_hmac` is newer than keepalived 2.2.7"),
    ("acassen__keepalived__www_docs_articles_vrrp-hmac-authentication.md__block3.conf", "`auth_hmac` is newer than keepalived 2.2.7"),
    ("acassen__keepalived__www_docs_articles_vrrp-hmac-authentication.md__block8.conf", "`auth_hmac` is newer than keepalived 2.2.7"),
];

#[test]
fn corpus_parses_losslessly_and_round_trips() {
    let dir = shared().join("corpus/keepalived");
    let files = files_in(&dir);
    assert!(files.len() >= 40, "corpus not found at {}", dir.display());
    let mut unexpected = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let (text, _) = lbc::source::decode(std::fs::read(path).unwrap());
        let tree = parse(&text);
        let rebuilt: String = tree.tokens.iter().map(|t| t.text(&text)).collect();
        assert_eq!(rebuilt, text, "{name}: tokens do not cover the file");
        let opts = LoadOptions {
            from: Some(lbc::ir::Format::Keepalived),
            ..LoadOptions::default()
        };
        let loaded = load(std::slice::from_ref(path), &opts).unwrap();
        let diags = loaded.check();
        let _ = lbc::diagnostic::render_human(&loaded.sources, &diags, false, 100);
        let syntax: Vec<_> = diags
            .iter()
            .filter(|d| {
                d.code == "keepalived/syntax" && d.severity == lbc::diagnostic::Severity::Error
            })
            .map(|d| d.message.clone())
            .collect();
        // DPVS values (`lb_kind FNAT`, `virtual_server match SNAT`) are invalid for stock
        // keepalived, which rejects them too.
        if !syntax.is_empty() && !is_dpvs(&name) {
            unexpected.push(format!("{name}: {syntax:?}"));
        }
        if !is_dpvs(&name) {
            let unknown: Vec<_> = diags
                .iter()
                .filter(|d| d.code == "keepalived/unknown-keyword")
                .map(|d| d.message.clone())
                .collect();
            let expected = UNKNOWN_EXPECTED.iter().any(|(n, _)| *n == name);
            if unknown.is_empty() == expected {
                unexpected.push(format!("{name}: {unknown:?} (expected: {expected})"));
            }
        }
        let yaml = serde_yaml::to_string(&loaded.ir).unwrap();
        let back: lbc::ir::Ir =
            serde_yaml::from_str(&yaml).unwrap_or_else(|e| panic!("{name}: {e}\n{yaml}"));
        assert_eq!(back, loaded.ir, "{name}: YAML round trip");
        let json = serde_json::to_string(&loaded.ir).unwrap();
        let back: lbc::ir::Ir = serde_json::from_str(&json).unwrap();
        assert_eq!(back, loaded.ir, "{name}: JSON round trip");
    }
    assert!(
        unexpected.is_empty(),
        "unexpected diagnostics:\n{}",
        unexpected.join("\n")
    );
}

#[test]
fn dpvs_keywords_are_unknown_not_syntax_errors() {
    let path = shared().join("corpus/keepalived/iqiyi__dpvs__doc_tutorial.md__block16.conf");
    let loaded = load(&[path], &LoadOptions::default()).unwrap();
    let diags = loaded.check();
    assert!(diags.iter().any(
        |d| d.code == "keepalived/unknown-keyword" && d.message.contains("local_address_group")
    ));
    assert_eq!(loaded.ir.vrrp_instances.len(), 1);
}

/// The findings the seeds' README promises for keepalived.
#[test]
fn seed_findings() {
    let seeds = common::root().join("fixtures/seeds/keepalived");
    let out = common::check(&[
        seeds.join("004-pair-master.keepalived.conf"),
        seeds.join("004-pair-backup.keepalived.conf"),
    ]);
    assert!(
        out.human.contains("did you mean `smtp_connect_timeout`?"),
        "{}",
        out.human
    );
    let weight = out
        .diagnostics
        .iter()
        .find(|d| d.code == "keepalived/track-weight-ineffective")
        .unwrap_or_else(|| panic!("{}", out.human));
    // 100/99 with weight 2: failover works, by one point (99 + 2 = 101 > 100).
    assert!(
        weight.message.contains("drops to 100") && weight.message.contains("101"),
        "{}",
        weight.message
    );
    let out = common::check_file(&seeds.join("000-lvs-master.keepalived.conf"));
    let stray = out
        .diagnostics
        .iter()
        .find(|d| d.code == "keepalived/unknown-keyword")
        .unwrap_or_else(|| panic!("{}", out.human));
    assert!(stray.message.contains("常通信") && stray.message.contains("authentication"));
    assert_eq!(out.json["diagnostics"][0]["line"], 19);
}
