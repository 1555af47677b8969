//! The real nginx is the oracle: every corpus file and seed that `nginx -t` accepts must get no
//! error from `lbc check`, and where `nginx -t` rejects a complete seed for a syntax-level
//! reason, lbc must report an error on the same line. The test command installs nginx; this
//! test fails (rather than skipping) when it is missing.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{check_file, files_in, root, shared};
use lbc::diagnostic::Severity;

/// `-g` directives loading every dynamic module the distribution ships (stream first: the
/// others depend on it), so configs using them are judged on their syntax.
fn module_directives() -> String {
    let dir = Path::new("/usr/lib/nginx/modules");
    let mut mods: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    mods.sort_by_key(|p| !p.ends_with("ngx_stream_module.so"));
    mods.iter()
        .map(|m| format!("load_module {};", m.display()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `nginx -t` on `file` as nginx would read it in place; `Err(message)` when rejected.
fn nginx_t(file: &Path, modules: &str) -> Result<(), String> {
    let file = file.canonicalize().unwrap();
    let dir = file.parent().unwrap();
    let out = Command::new("nginx")
        .arg("-t")
        .arg("-q")
        .arg("-c")
        .arg(&file)
        .arg("-p")
        .arg(format!("{}/", dir.display()))
        .arg("-e")
        .arg("/dev/null")
        .arg("-g")
        .arg(modules)
        .output()
        .expect("nginx is installed (the test command installs it)");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn accepted_by_nginx_means_no_lbc_error() {
    // nginx-tests configs write under this directory.
    std::fs::create_dir_all("/tmp/nginx-test").unwrap();
    let modules = module_directives();
    let mut files = files_in(&shared().join("corpus/nginx"));
    files.extend(files_in(&root().join("fixtures/seeds/nginx")));
    let mut accepted = 0;
    let mut disagreements = Vec::new();
    for f in &files {
        if nginx_t(f, &modules).is_err() {
            continue;
        }
        accepted += 1;
        let out = check_file(f);
        let errors: Vec<_> = out
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        if !errors.is_empty() {
            disagreements.push(format!("{}:\n{}", f.display(), out.human));
        }
    }
    // Guard against a broken environment making this test vacuous (83 were accepted when written).
    assert!(
        accepted >= 60,
        "only {accepted} files accepted by nginx -t: is nginx working?"
    );
    assert!(
        disagreements.is_empty(),
        "nginx -t accepts, lbc reports errors:\n{}",
        disagreements.join("\n")
    );
}

#[test]
fn rejected_by_nginx_means_lbc_error_on_that_line() {
    let modules = module_directives();
    let syntax_level = [
        "unexpected",
        "unknown directive",
        "invalid number of arguments",
        "invalid location modifier",
        "has no opening",
    ];
    let mut checked = 0;
    let tmp = tempfile::tempdir().unwrap();
    // The stock files nginx ships beside its config, so nginx gets past `include mime.types`.
    std::fs::copy("/etc/nginx/mime.types", tmp.path().join("mime.types")).unwrap();
    for seed in files_in(&root().join("fixtures/seeds/nginx")) {
        let f = tmp.path().join(seed.file_name().unwrap());
        std::fs::copy(&seed, &f).unwrap();
        let Err(msg) = nginx_t(&f, &modules) else {
            continue;
        };
        if !syntax_level.iter().any(|s| msg.contains(s)) {
            continue;
        }
        // nginx reports `… in /path/file.conf:LINE`.
        let line: usize = msg
            .lines()
            .find(|l| l.contains("[emerg]"))
            .and_then(|l| l.rsplit(':').next())
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no line in {msg}"));
        let out = check_file(&f);
        let lines = &out.error_lines;
        assert!(
            lines.contains(&line),
            "{}: nginx says {msg}\nlbc reports errors on lines {lines:?}:\n{}",
            f.display(),
            out.human
        );
        checked += 1;
    }
    // 000-load-balance (unclosed block), 000-seckill (`...`), 004-tomcat (split regex) when written.
    assert!(
        checked >= 3,
        "only {checked} seeds rejected for syntax reasons"
    );
}
