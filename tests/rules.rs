//! Every rule has a fixture that triggers it (snapshot of the rendered diagnostics) and one that
//! does not: `fixtures/rules/<format>/<name>/{fail,pass}.<ext>`, or `fail/` and `pass/`
//! directories whose files are checked together as one deployment (cross-file rules).

mod common;

use std::path::{Path, PathBuf};

use common::{check, files_in, root};

/// The inputs of the `fail` or `pass` case of a rule: one file, or every file of a directory.
fn case(code: &str, which: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from("fixtures/rules").join(code);
    let abs = root().join(&dir);
    let entry = std::fs::read_dir(&abs)
        .unwrap_or_else(|e| panic!("{}: {e}", abs.display()))
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().to_string())
        .find(|n| n == which || n.starts_with(&format!("{which}.")))
        .unwrap_or_else(|| panic!("{code} has no `{which}` fixture in {}", dir.display()));
    let path = dir.join(&entry);
    if root().join(&path).is_dir() {
        files_in(&root().join(&path))
            .into_iter()
            .map(|f| path.join(f.file_name().unwrap()))
            .collect()
    } else {
        vec![path]
    }
}

fn in_root(paths: &[PathBuf]) -> Vec<PathBuf> {
    // Relative paths keep snapshots independent of where the checkout lives.
    std::env::set_current_dir(root()).unwrap();
    paths.iter().map(|p| Path::new(p).to_path_buf()).collect()
}

/// Rules `lbc check` reports (conversion diagnostics are tested with the emitters, serve
/// diagnostics in tests/serve.rs).
fn check_rules() -> impl Iterator<Item = &'static lbc::rules::Rule> {
    lbc::rules::all()
        .into_iter()
        .filter(|r| !r.code.starts_with("convert/") && !r.code.starts_with("serve/"))
}

#[test]
fn fail_fixtures_trigger_their_rule() {
    for rule in check_rules() {
        let inputs = in_root(&case(rule.code, "fail"));
        let out = check(&inputs);
        assert!(
            out.diagnostics.iter().any(|d| d.code == rule.code),
            "{inputs:?} does not trigger {}:\n{}",
            rule.code,
            out.human
        );
        let name = rule.code.replace('/', "__");
        insta::assert_snapshot!(name, out.human);
    }
}

#[test]
fn pass_fixtures_are_clean() {
    for rule in check_rules() {
        let inputs = in_root(&case(rule.code, "pass"));
        let out = check(&inputs);
        let own: Vec<_> = out
            .diagnostics
            .iter()
            .filter(|d| d.code == rule.code)
            .collect();
        assert!(
            own.is_empty(),
            "{inputs:?} triggers {}:\n{}",
            rule.code,
            out.human
        );
        let errors: Vec<_> = out
            .diagnostics
            .iter()
            .filter(|d| d.severity == lbc::diagnostic::Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{inputs:?} has errors:\n{}", out.human);
    }
}
