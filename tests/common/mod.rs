//! Shared helpers for the integration tests: run `lbc check` in-process and render its output
//! deterministically (no colour, fixed width).
#![allow(dead_code)]

pub mod serve;

use std::path::{Path, PathBuf};

use lbc::diagnostic::{self, Diagnostic};
use lbc::load::{load, LoadOptions};

pub struct Checked {
    pub diagnostics: Vec<Diagnostic>,
    pub human: String,
    pub json: serde_json::Value,
    /// Every line covered by a label (primary or secondary) of an error, in the checked files.
    pub error_lines: Vec<usize>,
}

pub fn check(paths: &[PathBuf]) -> Checked {
    // Absolute includes (`/etc/nginx/mime.types`) resolve under an empty root, so results do
    // not depend on what this machine has installed.
    let opts = LoadOptions {
        root: Some(PathBuf::from("fixtures/no-root")),
        ..LoadOptions::default()
    };
    let loaded = load(paths, &opts).expect("fixture loads");
    let diags = loaded.check();
    let human = diagnostic::render_human(&loaded.sources, &diags, false, 100);
    let json = serde_json::from_str(&diagnostic::render_json(
        &loaded.sources,
        &diags,
        loaded.inputs,
    ))
    .unwrap();
    let mut error_lines = Vec::new();
    for d in diags
        .iter()
        .filter(|d| d.severity == lbc::diagnostic::Severity::Error)
    {
        for l in std::iter::once(&d.primary).chain(&d.secondary) {
            let a = loaded.sources.line_col(l.span.file, l.span.start).line;
            let b = loaded.sources.line_col(l.span.file, l.span.end).line;
            error_lines.extend(a..=b);
        }
    }
    Checked {
        diagnostics: diags,
        human,
        json,
        error_lines,
    }
}

pub fn check_file(path: &Path) -> Checked {
    check(&[path.to_path_buf()])
}

/// The repository root (tests run from the package directory).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared`, where the corpus and the seeds live (next to the checkout, also in CI).
pub fn shared() -> PathBuf {
    root().join("..").join("shared")
}

/// Files of a directory, sorted.
pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    v
}

/// A copy of an HAProxy file (in `dir`) where VTest's `"fd@${NAME}"` sockets are ordinary
/// addresses, so the real `haproxy -c` and lbc read the same reg-test configurations.
pub fn haproxy_prepared(file: &Path, dir: &Path) -> PathBuf {
    let (text, _) = lbc::source::decode(std::fs::read(file).unwrap());
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find("\"fd@${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 6..];
        match after.find("}\"") {
            Some(j) => {
                out.push_str("\"127.0.0.1:0\"");
                rest = &after[j + 2..];
            }
            None => {
                out.push_str(&rest[i..i + 6]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    let copy = dir.join(file.file_name().unwrap());
    std::fs::write(&copy, out).unwrap();
    copy
}
