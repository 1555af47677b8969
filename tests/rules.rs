//! Every rule has a fixture that triggers it (snapshot of the rendered diagnostics) and one that
//! does not: `fixtures/rules/<format>/<name>/{fail,pass}.conf`.

mod common;

use std::path::PathBuf;

use common::{check_file, root};

fn fixture_dir(code: &str) -> PathBuf {
    root().join("fixtures/rules").join(code)
}

#[test]
fn every_rule_has_fixtures() {
    for rule in lbc::rules::all() {
        let dir = fixture_dir(rule.code);
        assert!(
            dir.join("fail.conf").is_file(),
            "{} has no fail.conf in {}",
            rule.code,
            dir.display()
        );
        assert!(
            dir.join("pass.conf").is_file(),
            "{} has no pass.conf",
            rule.code
        );
    }
}

#[test]
fn fail_fixtures_trigger_their_rule() {
    for rule in lbc::rules::all() {
        // Relative paths keep snapshots independent of where the checkout lives.
        let rel = PathBuf::from("fixtures/rules")
            .join(rule.code)
            .join("fail.conf");
        std::env::set_current_dir(root()).unwrap();
        let out = check_file(&rel);
        assert!(
            out.diagnostics.iter().any(|d| d.code == rule.code),
            "{} does not trigger {}:\n{}",
            rel.display(),
            rule.code,
            out.human
        );
        for d in &out.diagnostics {
            if d.code == rule.code {
                assert_eq!(d.severity.max(rule.severity), d.severity.max(rule.severity));
            }
        }
        let name = rule.code.replace('/', "__");
        insta::assert_snapshot!(name, out.human);
    }
}

#[test]
fn pass_fixtures_are_clean() {
    for rule in lbc::rules::all() {
        let path = fixture_dir(rule.code).join("pass.conf");
        let out = check_file(&path);
        let own: Vec<_> = out
            .diagnostics
            .iter()
            .filter(|d| d.code == rule.code)
            .collect();
        assert!(
            own.is_empty(),
            "{} triggers {}:\n{}",
            path.display(),
            rule.code,
            out.human
        );
        let errors: Vec<_> = out
            .diagnostics
            .iter()
            .filter(|d| d.severity == lbc::diagnostic::Severity::Error)
            .collect();
        assert!(
            errors.is_empty(),
            "{} has errors:\n{}",
            path.display(),
            out.human
        );
    }
}
