//! The real-world HAProxy corpus (`../shared/corpus/haproxy`): every file parses losslessly,
//! lowers and goes through every rule without a panic, its IR round-trips through YAML and
//! JSON, and files that are well-formed produce no `haproxy/syntax` error.

mod common;

use common::{files_in, shared};
use lbc::load::{load, LoadOptions};
use lbc::syntax::haproxy::parse;

/// Corpus files HAProxy's line reader rejects, with the reason. Each must still produce a
/// syntax error (so the list cannot silently go stale).
const MALFORMED: &[(&str, &str)] = &[(
    "haproxytech__config-parser__tests_configs_haproxy_basic.cfg.go__configBasicMissingNewLineOnEnd.cfg",
    "no newline after the last line: HAProxy 2.6 refuses it (`Missing LF on last line`)",
)];

#[test]
fn corpus_parses_losslessly() {
    let dir = shared().join("corpus/haproxy");
    let files = files_in(&dir);
    assert!(files.len() > 150, "corpus not found at {}", dir.display());
    let mut unexpected = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let (text, _) = lbc::source::decode(std::fs::read(path).unwrap());
        let tree = parse(&text);
        let rebuilt: String = tree.tokens.iter().map(|t| t.text(&text)).collect();
        assert_eq!(rebuilt, text, "{name}: tokens do not cover the file");
        let expected = MALFORMED.iter().any(|(n, _)| *n == name);
        match (tree.errors.is_empty(), expected) {
            (true, false) | (false, true) => {}
            (false, false) => unexpected.push(format!(
                "{name}: {:?}",
                tree.errors.iter().map(|e| &e.message).collect::<Vec<_>>()
            )),
            (true, true) => {
                unexpected.push(format!("{name}: listed as malformed but parses cleanly"))
            }
        }
    }
    assert!(
        unexpected.is_empty(),
        "unexpected results:\n{}",
        unexpected.join("\n")
    );
}

#[test]
fn corpus_goes_through_every_rule() {
    let opts = LoadOptions {
        from: Some(lbc::ir::Format::Haproxy),
        ..LoadOptions::default()
    };
    for path in files_in(&shared().join("corpus/haproxy")) {
        let loaded = load(std::slice::from_ref(&path), &opts)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let diags = loaded.check();
        let _ = lbc::diagnostic::render_human(&loaded.sources, &diags, false, 100);
        let yaml = serde_yaml::to_string(&loaded.ir).unwrap();
        let back: lbc::ir::Ir = serde_yaml::from_str(&yaml)
            .unwrap_or_else(|e| panic!("{}: {e}\n{yaml}", path.display()));
        assert_eq!(back, loaded.ir, "{}: YAML round trip", path.display());
        let json = serde_json::to_string(&loaded.ir).unwrap();
        let back: lbc::ir::Ir = serde_json::from_str(&json).unwrap();
        assert_eq!(back, loaded.ir, "{}: JSON round trip", path.display());
    }
}

/// What the seeds' README promises users of `003-annotated-full.haproxy.cfg`: the three
/// timeouts removed in 2.1 and the guessable `stats auth admin:admin`, on their lines.
#[test]
fn seed_readme_findings() {
    std::env::set_current_dir(common::root()).unwrap();
    let out = common::check_file(std::path::Path::new(
        "fixtures/seeds/haproxy/003-annotated-full.haproxy.cfg",
    ));
    let found: Vec<(String, u64)> = out.json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    for (code, line) in [
        ("haproxy/removed-keyword", 31),
        ("haproxy/removed-keyword", 32),
        ("haproxy/removed-keyword", 33),
        ("haproxy/weak-stats-auth", 43),
    ] {
        assert!(
            found.contains(&(code.to_string(), line)),
            "{code} on line {line} missing: {found:?}"
        );
    }
    assert!(out.human.contains("use `timeout connect`"), "{}", out.human);
}

/// Defaults inheritance is applied in the IR: a backend without its own timeouts or mode
/// carries those of the `defaults` section before it, and `from` picks a named one.
#[test]
fn defaults_inheritance_in_the_ir() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("haproxy.cfg");
    std::fs::write(
        &path,
        "defaults base\n    mode http\n    timeout connect 5s\n    timeout server 1m\n\
         defaults tcp\n    mode tcp\n    timeout connect 2s\n\
         backend app from base\n    server a 10.0.0.1:80\n\
         backend db\n    server d 10.0.0.2:5432\n",
    )
    .unwrap();
    let loaded = load(&[path], &LoadOptions::default()).unwrap();
    let app = &loaded.ir.pools[0];
    assert_eq!(app.protocol, lbc::ir::Protocol::Http);
    assert_eq!(app.defaults.as_deref(), Some("base"));
    let t = app.settings.timeouts.as_ref().unwrap();
    assert_eq!(t.upstream_read.as_ref().unwrap().value.0, 60_000);
    let db = &loaded.ir.pools[1];
    assert_eq!(db.protocol, lbc::ir::Protocol::Tcp);
    let t = db.settings.timeouts.as_ref().unwrap();
    assert_eq!(t.connect.as_ref().unwrap().value.0, 2000);
    assert!(t.upstream_read.is_none());
}
