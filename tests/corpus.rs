//! The real-world corpus (`../shared/corpus/nginx`): every file parses, lowers and goes through
//! every rule without a panic, and files that are well-formed produce no `nginx/syntax` error.

mod common;

use common::{files_in, shared};
use lbc::load::{load, LoadOptions};
use lbc::syntax::nginx::parse;

/// Corpus files that are not well-formed on purpose, with the reason. Each must still produce
/// the syntax error (so the list cannot silently go stale).
const MALFORMED: &[(&str, &str)] = &[
    (
        "nginxinc__crossplane__tests_configs_quote-behavior_nginx.conf",
        "crossplane's quote test: text glued after a closing quote (`\"left\"-quote`), which nginx -t rejects with `unexpected \"-\"`",
    ),
    (
        "nginxinc__crossplane__tests_configs_includes-globbed_servers_locations_not-included.conf",
        "crossplane's include test: a file of junk that must never be included",
    ),
    (
        "nginxinc__crossplane__tests_configs_includes-regular_conf.d_bar.conf",
        "crossplane's include test: junk text that must never be included",
    ),
    (
        "nginxinc__crossplane__tests_configs_includes-regular_conf.d_foo.conf",
        "crossplane's include test: junk text that must never be included",
    ),
    (
        "nginxinc__crossplane__tests_configs_missing-semicolon_broken-above.conf",
        "crossplane's missing-semicolon error test",
    ),
    (
        "nginxinc__crossplane__tests_configs_missing-semicolon_broken-below.conf",
        "crossplane's missing-semicolon error test",
    ),
    (
        "nginxinc__nginx-go-crossplane__testdata_configs_braces_extra-brace.conf",
        "go-crossplane's unbalanced-brace error test",
    ),
    (
        "nginxinc__nginx-go-crossplane__testdata_configs_braces_missing-brace.conf",
        "go-crossplane's unbalanced-brace error test",
    ),
    (
        "nginxinc__nginx-go-crossplane__testdata_configs_missing-semicolon-above_nginx.conf",
        "go-crossplane's missing-semicolon error test",
    ),
    (
        "nginxinc__nginx-go-crossplane__testdata_configs_missing-semicolon-below_nginx.conf",
        "go-crossplane's missing-semicolon error test",
    ),
    (
        "nginxinc__nginx-go-crossplane__testdata_configs_premature-eof_nginx.conf",
        "go-crossplane's premature end-of-file error test",
    ),
];

#[test]
fn corpus_parses_without_syntax_errors() {
    let dir = shared().join("corpus/nginx");
    let files = files_in(&dir);
    assert!(files.len() > 300, "corpus not found at {}", dir.display());
    let mut unexpected = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let (text, _) = lbc::source::decode(std::fs::read(path).unwrap());
        let tree = parse(&text);
        // Lossless: the tokens cover the file exactly.
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
    for path in files_in(&shared().join("corpus/nginx")) {
        let loaded = load(std::slice::from_ref(&path), &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let diags = loaded.check();
        // Rendering must work for every diagnostic (spans inside their files).
        let _ = lbc::diagnostic::render_human(&loaded.sources, &diags, false, 100);
        // The IR round-trips through YAML and JSON unchanged.
        let yaml = serde_yaml::to_string(&loaded.ir).unwrap();
        let back: lbc::ir::Ir = serde_yaml::from_str(&yaml)
            .unwrap_or_else(|e| panic!("{}: {e}\n{yaml}", path.display()));
        assert_eq!(back, loaded.ir, "{}: YAML round trip", path.display());
        let json = serde_json::to_string(&loaded.ir).unwrap();
        let back: lbc::ir::Ir = serde_json::from_str(&json).unwrap();
        assert_eq!(back, loaded.ir, "{}: JSON round trip", path.display());
    }
}
