//! `lbc fmt`: formatting is idempotent, keeps the IR, the findings and every comment over the
//! whole nginx and HAProxy corpus and the seeds; a snapshot of an ugly fixture; `--check` and `convert --diff` end to end.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{files_in, root, shared};
use lbc::fmt::{self, FmtError};
use lbc::ir::{without_origins, Format};
use lbc::load::{load, LoadOptions, Loaded};
use lbc::source::decode;

fn format(text: &str) -> Result<String, FmtError> {
    fmt::nginx::format(text)
}

/// Formats `text` as `format`.
fn format_as(format: Format, text: &str) -> Result<String, FmtError> {
    match format {
        Format::Nginx => fmt::nginx::format(text),
        _ => fmt::haproxy::format(text),
    }
}

/// Every file of the corpus and the seeds in `format` that parses: path, text, formatted text.
fn formattable(format: Format) -> Vec<(PathBuf, String, String)> {
    let dir = if format == Format::Nginx {
        "nginx"
    } else {
        "haproxy"
    };
    let mut files = files_in(&shared().join("corpus").join(dir));
    files.extend(files_in(&root().join("fixtures/seeds").join(dir)));
    files
        .into_iter()
        .filter_map(|f| {
            let (text, _) = decode(std::fs::read(&f).unwrap());
            let formatted = format_as(format, &text).ok()?;
            Some((f, text, formatted))
        })
        .collect()
}

const FORMATS: [(Format, usize); 2] = [(Format::Nginx, 300), (Format::Haproxy, 190)];

#[test]
fn formatting_twice_changes_nothing() {
    for (format, at_least) in FORMATS {
        let files = formattable(format);
        let failures: Vec<String> = files
            .iter()
            .filter(|(_, _, once)| format_as(format, once).ok().as_deref() != Some(once.as_str()))
            .map(|(f, _, _)| f.display().to_string())
            .collect();
        eprintln!("idempotence: {} {format} files", files.len());
        assert!(
            files.len() >= at_least,
            "only {} {format} files formatted",
            files.len()
        );
        assert!(
            failures.is_empty(),
            "not idempotent:\n{}",
            failures.join("\n")
        );
    }
}

/// The comments of a file, sorted (a multiset).
fn comments(format: Format, src: &str) -> Vec<&str> {
    let mut v: Vec<&str> = if format == Format::Nginx {
        use lbc::syntax::nginx::lexer::{lex, TokenKind};
        lex(src)
            .into_iter()
            .filter(|t| t.kind == TokenKind::Comment)
            .map(|t| t.text(src))
            .collect()
    } else {
        use lbc::syntax::haproxy::lexer::{lex, TokenKind};
        lex(src)
            .into_iter()
            .filter(|t| t.kind == TokenKind::Comment)
            .map(|t| t.text(src))
            .collect()
    };
    v.sort_unstable();
    v
}

#[test]
fn every_comment_is_kept() {
    for (format, _) in FORMATS {
        for (f, text, formatted) in formattable(format) {
            assert_eq!(
                comments(format, &text),
                comments(format, &formatted),
                "{}: comments changed",
                f.display()
            );
        }
    }
}

/// Loads one file with absolute includes under an empty root and relative ones beside `dir`
/// (the original's directory, also for the formatted copy).
fn load_in(
    format: Format,
    path: &Path,
    dir: &Path,
    context: Option<lbc::syntax::nginx::directives::Ctx>,
) -> Loaded {
    let opts = LoadOptions {
        from: Some(format),
        root: Some(root().join("fixtures/no-root")),
        prefix: Some(dir.to_path_buf()),
        context,
        ..LoadOptions::default()
    };
    load(&[path.to_path_buf()], &opts).unwrap()
}

/// The findings, without their places (which move).
fn findings(l: &Loaded) -> Vec<(&'static str, String)> {
    let mut c: Vec<_> = l
        .check()
        .iter()
        .map(|d| (d.code, d.message.clone()))
        .collect();
    c.sort();
    c
}

#[test]
fn formatting_keeps_the_ir_and_the_findings() {
    let tmp = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for (format, _) in FORMATS {
        let mut checked = 0;
        for (f, _, formatted) in formattable(format) {
            let dir = f.parent().unwrap();
            let first = load_in(format, &f, dir, None);
            let out = tmp.path().join(f.file_name().unwrap());
            std::fs::write(&out, &formatted).unwrap();
            let context = first.nginx.first().map(|n| n.context);
            let second = load_in(format, &out, dir, context);
            checked += 1;
            if without_origins(&first.ir) != without_origins(&second.ir) {
                failures.push(format!("{}: the IR differs", f.display()));
            } else if findings(&first) != findings(&second) {
                failures.push(format!("{}: the findings differ", f.display()));
            }
        }
        eprintln!("IR kept: {checked} {format} files");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn ugly_fixture() {
    let (text, _) = decode(std::fs::read(root().join("fixtures/fmt/ugly.conf")).unwrap());
    insta::assert_snapshot!("fmt_ugly", format(&text).unwrap());
    let (text, _) = decode(std::fs::read(root().join("fixtures/fmt/ugly.cfg")).unwrap());
    insta::assert_snapshot!("fmt_ugly_haproxy", fmt::haproxy::format(&text).unwrap());
}

fn lbc(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lbc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("lbc runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_passes_on_formatted_files() {
    let (code, out, _) = lbc(&[
        "fmt",
        "--check",
        "fixtures/fmt/clean.conf",
        "fixtures/fmt/clean.cfg",
    ]);
    assert_eq!((code, out.as_str()), (0, ""));
}

#[test]
fn check_shows_the_diff_and_fails() {
    let (code, out, _) = lbc(&[
        "fmt",
        "--check",
        "fixtures/fmt/clean.conf",
        "fixtures/fmt/ugly.conf",
    ]);
    assert_eq!(code, 1);
    assert!(
        out.starts_with("--- fixtures/fmt/ugly.conf\n+++ fixtures/fmt/ugly.conf\n"),
        "{out}"
    );
    assert!(
        out.contains("\n-worker_processes   auto ;   # trailing comment\n"),
        "{out}"
    );
    assert!(
        out.contains("\n+worker_processes auto; # trailing comment\n"),
        "{out}"
    );
    // A directory stands for its files.
    let (code, out, _) = lbc(&["fmt", "--check", "fixtures/fmt"]);
    assert_eq!(code, 1);
    let headers: Vec<&str> = out.lines().filter(|l| l.starts_with("--- ")).collect();
    assert_eq!(
        headers,
        ["--- fixtures/fmt/ugly.cfg", "--- fixtures/fmt/ugly.conf"]
    );
}

#[test]
fn fmt_rewrites_in_place_and_keeps_crlf_and_latin1() {
    let tmp = tempfile::tempdir().unwrap();
    let crlf = tmp.path().join("crlf.conf");
    std::fs::write(&crlf, "\u{FEFF}a  1 ;\r\nb {c;}\r\n").unwrap();
    let latin1 = tmp.path().join("latin1.conf");
    std::fs::write(&latin1, b"# caf\xe9\nserver_name  caf\xe9;\n").unwrap();
    let (code, _, err) = lbc(&["fmt", crlf.to_str().unwrap(), latin1.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(&crlf).unwrap(),
        "\u{FEFF}a 1;\r\nb {\r\n    c;\r\n}\r\n"
    );
    assert_eq!(
        std::fs::read(&latin1).unwrap(),
        b"# caf\xe9\nserver_name caf\xe9;\n"
    );
    assert_eq!(lbc(&["fmt", "--check", crlf.to_str().unwrap()]).0, 0);
}

#[test]
fn fmt_leaves_broken_and_foreign_files_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let broken = tmp.path().join("broken.conf");
    std::fs::write(&broken, "http {\n  server {\n").unwrap();
    let (code, _, err) = lbc(&["fmt", broken.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("is never closed") && err.contains("syntax errors"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&broken).unwrap(),
        "http {\n  server {\n"
    );
    let (code, _, err) = lbc(&["fmt", "--from", "keepalived", "fixtures/fmt/clean.conf"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("formats nginx and HAProxy files only"),
        "{err}"
    );
}

#[test]
fn stdout_prints_instead_of_writing() {
    let (code, out, _) = lbc(&["fmt", "--stdout", "fixtures/fmt/ugly.conf"]);
    assert_eq!(code, 0);
    let (text, _) = decode(std::fs::read(root().join("fixtures/fmt/ugly.conf")).unwrap());
    assert_eq!(out, format(&text).unwrap());
}

#[test]
fn convert_diff_compares_with_an_existing_file() {
    let src = "fixtures/convert/nginx/quoting.conf";
    let (code, generated, _) = lbc(&["convert", src, "--to", "nginx"]);
    assert_eq!(code, 0);
    let tmp = tempfile::tempdir().unwrap();
    let same = tmp.path().join("same.conf");
    std::fs::write(&same, &generated).unwrap();
    let same = same.to_str().unwrap();
    assert_eq!(lbc(&["convert", src, "--to", "nginx", "--diff", same]).0, 0);
    let changed = tmp.path().join("changed.conf");
    std::fs::write(
        &changed,
        generated.replacen("worker_processes 2;", "worker_processes 4;", 1),
    )
    .unwrap();
    let changed = changed.to_str().unwrap();
    let (code, out, _) = lbc(&["convert", src, "--to", "nginx", "--diff", changed]);
    assert_eq!(code, 1);
    assert!(
        out.starts_with(&format!("--- {changed}\n+++ {changed}\n")),
        "{out}"
    );
    assert!(
        out.contains("\n-worker_processes 4;\n+worker_processes 2;\n"),
        "{out}"
    );
    // Nothing is written with --diff, and it cannot be combined with --output.
    assert_eq!(
        lbc(&["convert", src, "--to", "nginx", "--diff", same, "-o", same]).0,
        2
    );
}
