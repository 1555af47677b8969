//! The book's rule pages are generated from the rules' doc comments: this test fails when a
//! page is missing or stale (run with `LBC_UPDATE_BOOK=1` to rewrite them), and checks that
//! SUMMARY.md and the rules index link every page.

use std::path::PathBuf;

fn page(rule: &lbc::rules::Rule) -> String {
    format!(
        "# `{}`\n\nDefault severity: **{}**. Print this page with `lbc rule {}`.\n\n{}",
        rule.code,
        rule.severity,
        rule.code,
        lbc::rules::unindent(rule.doc).trim_end().to_string() + "\n"
    )
}

#[test]
fn rule_pages_are_current() {
    let book = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("book/src");
    let summary = std::fs::read_to_string(book.join("SUMMARY.md")).unwrap();
    let index = std::fs::read_to_string(book.join("rules/index.md")).unwrap();
    let update = std::env::var_os("LBC_UPDATE_BOOK").is_some();
    let mut stale = Vec::new();
    for rule in lbc::rules::all() {
        let rel = format!("rules/{}.md", rule.code);
        let path = book.join(&rel);
        let want = page(rule);
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &want).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(want.as_str()) {
            stale.push(rel.clone());
        }
        if !summary.contains(&format!("({rel})")) {
            stale.push(format!("SUMMARY.md does not link {rel}"));
        }
        if !index.contains(&format!("[`{}`]({}.md)", rule.code, rule.code)) {
            stale.push(format!("rules/index.md does not list {}", rule.code));
        }
    }
    assert!(
        stale.is_empty(),
        "stale rule pages (run LBC_UPDATE_BOOK=1 cargo test --test book): {stale:?}"
    );
}
