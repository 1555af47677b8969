//! The real HAProxy is the oracle: every corpus file and seed that `haproxy -c` (2.6) accepts
//! must get no error from `lbc check` (as must each rule's `pass.cfg` it accepts), and where
//! HAProxy rejects a seed or a rule's `fail.cfg`, lbc must report an error on the line HAProxy
//! names. Fails (rather than skipping) when haproxy is missing.
//!
//! Corpus files cut from HAProxy's reg-tests still hold VTest macros. Unquoted ones
//! (`${s1_addr}:${s1_port}`) are plain words to HAProxy; quoted ones are environment variables,
//! so the test sets `NAME_addr`, `NAME_port`, `testdir` and `tmpdir`, and rewrites
//! `"fd@${NAME}"` (a socket VTest passes in) to `"127.0.0.1:0"` in a copy that both tools read.

mod common;

use std::path::Path;
use std::process::Command;

use common::{check_file, files_in, root, shared};
use lbc::diagnostic::Severity;

/// Runs `haproxy -c` on `file`; `Err(message)` when rejected.
fn haproxy_c(file: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let mut cmd = Command::new("haproxy");
    cmd.arg("-c").arg("-f").arg(file);
    for (i, var) in text.match_indices("${").enumerate() {
        let name: String = text[var.0 + 2..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name.ends_with("_addr") {
            cmd.env(&name, "127.0.0.1");
        } else if name.ends_with("_port") {
            cmd.env(&name, (20000 + i).to_string());
        } else if name == "testdir" || name == "tmpdir" {
            cmd.env(&name, "/tmp");
        }
    }
    let out = cmd
        .output()
        .expect("haproxy is installed (the test command installs it)");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Files HAProxy accepts where lbc still reports an error, with the reason.
const EXCEPTIONS: &[(&str, &str)] = &[];

#[test]
fn accepted_by_haproxy_means_no_lbc_error() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files = files_in(&shared().join("corpus/haproxy"));
    files.extend(files_in(&root().join("fixtures/seeds/haproxy")));
    files.extend(rule_fixtures("pass.cfg"));
    let (mut accepted, mut rejected) = (0, 0);
    let mut disagreements = Vec::new();
    for f in &files {
        let copy = common::haproxy_prepared(f, tmp.path());
        if haproxy_c(&copy).is_err() {
            rejected += 1;
            continue;
        }
        accepted += 1;
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let out = check_file(&copy);
        let syntax = out.diagnostics.iter().any(|d| d.code == "haproxy/syntax");
        let errors = out
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error);
        let excused = EXCEPTIONS.iter().any(|(n, _)| *n == name);
        if syntax || (errors && !excused) {
            disagreements.push(format!("{name}:\n{}", out.human));
        }
    }
    eprintln!("haproxy -c accepted {accepted} files and rejected {rejected}");
    // Guard against a broken environment making this test vacuous (55 when written; most
    // rejections are keywords newer than 2.6 and hosts that do not resolve here).
    assert!(
        accepted >= 50,
        "only {accepted} files accepted by haproxy -c: is haproxy working?"
    );
    assert!(
        disagreements.is_empty(),
        "haproxy -c accepts, lbc reports errors:\n{}",
        disagreements.join("\n")
    );
}

/// The `name` file (`fail.cfg`, `pass.cfg`) of every HAProxy rule's fixtures.
fn rule_fixtures(name: &str) -> Vec<std::path::PathBuf> {
    let dir = root().join("fixtures/rules/haproxy");
    let mut rules: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures/rules/haproxy")
        .map(|e| e.unwrap().path().join(name))
        .filter(|p| p.exists())
        .collect();
    rules.sort();
    rules
}

/// Where HAProxy rejects a seed or a rule's fixture, lbc reports an error on each line it names.
#[test]
fn rejected_seeds_get_an_error_on_that_line() {
    let mut checked = 0;
    let mut files = files_in(&root().join("fixtures/seeds/haproxy"));
    files.extend(rule_fixtures("fail.cfg"));
    for seed in files {
        let Err(msg) = haproxy_c(&seed) else { continue };
        let out = check_file(&seed);
        // HAProxy reports `parsing [FILE:LINE]` for each line-level alert.
        for line in msg.lines().filter(|l| l.contains("[ALERT]")) {
            let Some(n) = line
                .split("parsing [")
                .nth(1)
                .and_then(|r| r.split(']').next())
                .and_then(|r| r.rsplit(':').next())
                .and_then(|n| n.parse::<usize>().ok())
            else {
                continue;
            };
            // errorfile contents are on the machine HAProxy runs on, not in the config.
            if line.contains("error opening file") {
                continue;
            }
            assert!(
                out.error_lines.contains(&n),
                "{}: haproxy says {line}\nlbc reports errors on lines {:?}:\n{}",
                seed.display(),
                out.error_lines,
                out.human
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} HAProxy alerts compared");
}

/// HAProxy reads its files in order with one parser state: a `defaults` section of the first
/// file is what the proxies of the next inherit (`-f 00-defaults.cfg -f 10-web.cfg`). Where
/// `haproxy -c` gives a verdict on such a split, `lbc check` on the same files in the same
/// order gives the same (no finding at all when HAProxy says nothing).
#[test]
fn defaults_carry_from_one_file_to_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let timeouts =
        "    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n";
    let proxies = |from: &str| {
        format!(
            "frontend fe{from}\n    bind 127.0.0.1:8080\n    default_backend be\n\
             backend be{from}\n    server s1 127.0.0.1:8081\n"
        )
    };
    for (defaults, from) in [("defaults\n", ""), ("defaults web\n", " from web")] {
        let files = [
            write("00-defaults.cfg", &format!("{defaults}{timeouts}")),
            write("10-web.cfg", &proxies(from)),
        ];
        let status = Command::new("haproxy")
            .args(["-c", "-f"])
            .arg(&files[0])
            .arg("-f")
            .arg(&files[1])
            .output()
            .expect("haproxy is installed");
        assert!(status.status.success(), "{status:?}");
        let said = String::from_utf8_lossy(&status.stderr).into_owned();
        assert!(
            !said.contains("WARNING") && !said.contains("ALERT"),
            "{said}"
        );
        let out = common::check(&files);
        assert!(out.diagnostics.is_empty(), "{from:?}:\n{}", out.human);
    }
}
