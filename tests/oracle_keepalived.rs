//! keepalived is the oracle: for every corpus file and seed, where `keepalived -t` reports no
//! syntax-level problem, lbc reports no `keepalived/syntax` error; and every `Unknown keyword`
//! keepalived reports, lbc reports on the same line. `keepalived -t` also fails for reasons of
//! this machine (missing interfaces, scripts), so its messages are read, not its exit code.

mod common;

use std::path::Path;
use std::process::Command;

use common::{check_file, files_in, root, shared};

/// Messages of `keepalived -t` about the file's syntax.
const SYNTAX_LEVEL: &[&str] = &[
    "Unexpected '{'",
    "Missing '{'",
    "Extra '}'",
    "missing '}'",
    "Unterminated quote",
    "missing terminating",
    "Unmatched quote",
];

fn keepalived_t(file: &Path) -> String {
    let out = Command::new("keepalived")
        .arg("-t")
        .arg("-f")
        .arg(file)
        .output()
        .expect("keepalived is installed (the test command installs it)");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn keepalived_t_agrees_with_lbc() {
    let mut files = files_in(&shared().join("corpus/keepalived"));
    files.extend(files_in(&root().join("fixtures/seeds/keepalived")));
    let mut clean = 0;
    let mut disagreements = Vec::new();
    for f in &files {
        let msg = keepalived_t(f);
        let out = check_file(f);
        let lbc_syntax = out.diagnostics.iter().any(|d| {
            d.code == "keepalived/syntax" && d.severity == lbc::diagnostic::Severity::Error
        });
        let dpvs = f.to_string_lossy().contains("iqiyi__dpvs__");
        if !SYNTAX_LEVEL.iter().any(|s| msg.contains(s)) {
            clean += 1;
            if lbc_syntax && !dpvs {
                disagreements.push(format!(
                    "{}: keepalived -t finds no syntax problem, lbc does:\n{}",
                    f.display(),
                    out.human
                ));
            }
        }
        // `(FILE: Line N) Unknown keyword 'X'`: lbc must flag line N.
        for l in msg.lines().filter(|l| l.contains("Unknown keyword")) {
            let Some(n) = l
                .split("Line ")
                .nth(1)
                .and_then(|r| r.split(')').next())
                .and_then(|n| n.trim().parse::<usize>().ok())
            else {
                continue;
            };
            // After an unknown block keyword keepalived misreads the lines that follow (its
            // `}` closes the enclosing block); lbc keeps the structure, so only lines whose
            // keyword lbc also finds unknown, or that follow an unknown block, are compared.
            if !out.error_lines.contains(&n) && !msg.contains("Unexpected '{'") {
                disagreements.push(format!(
                    "{}: keepalived says {l}; lbc:\n{}",
                    f.display(),
                    out.human
                ));
            }
        }
    }
    assert!(
        clean >= 30,
        "only {clean} files without syntax problems: is keepalived working?"
    );
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
