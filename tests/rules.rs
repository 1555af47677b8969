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

/// `nginx/upstream-keepalive-unused`, one configuration per case: the rule must flag exactly
/// the `proxy_pass` lines marked `# flagged`, whether the proxy targets are linked to their
/// pools (`lbc convert`, `lbc serve`) or left for the rules to resolve (`lbc check`).
#[test]
fn upstream_keepalive_unused_cases() {
    const RULE: &str = "nginx/upstream-keepalive-unused";
    const UPSTREAMS: &str = "
    upstream ka { server 10.0.0.1:8080; keepalive 8; }
    upstream plain { server 10.0.0.2:8080; }";
    let cases: &[(&str, &str)] = &[
        (
            "nginx's defaults: HTTP/1.0, Connection: close",
            "server { listen 80;
                location / { proxy_pass http://ka; } # flagged
            }",
        ),
        (
            "HTTP/1.1 without a Connection header",
            "server { listen 80;
                location / { proxy_http_version 1.1; proxy_pass http://ka/api/; } # flagged
            }",
        ),
        (
            "Connection set to close",
            "server { listen 80; proxy_http_version 1.1;
                location / { proxy_set_header Connection \"close\"; proxy_pass http://ka; } # flagged
            }",
        ),
        (
            "Connection: keep-alive, close",
            "server { listen 80; proxy_http_version 1.1;
                location / { proxy_set_header connection \"keep-alive, Close\"; proxy_pass http://ka; } # flagged
            }",
        ),
        (
            "Connection \"\" but HTTP/1.0 set explicitly",
            "server { listen 80;
                location / { proxy_http_version 1.0; proxy_set_header Connection \"\"; proxy_pass http://ka; } # flagged
            }",
        ),
        (
            "the recipe in the location",
            "server { listen 80;
                location / { proxy_http_version 1.1; proxy_set_header Connection \"\"; proxy_pass http://ka; }
            }",
        ),
        (
            "the recipe inherited from the server",
            "server { listen 80; proxy_http_version 1.1; proxy_set_header Connection \"\";
                location / { proxy_pass http://ka; }
            }",
        ),
        (
            "the recipe inherited from http",
            "proxy_http_version 1.1; proxy_set_header Connection \"\";
            server { listen 80;
                location / { location /a/ { proxy_pass http://ka; } }
            }",
        ),
        (
            "the recipe inherited from an enclosing location",
            "server { listen 80;
                location / { proxy_http_version 1.1; proxy_set_header Connection \"\";
                    location /a/ { proxy_pass http://ka; }
                }
            }",
        ),
        (
            "a header of the location's own hides the inherited Connection",
            "proxy_http_version 1.1; proxy_set_header Connection \"\";
            server { listen 80;
                location / { proxy_pass http://ka; }
                location /a/ { proxy_set_header X-Foo bar; proxy_pass http://ka; } # flagged
            }",
        ),
        (
            "a server-level header list hides the http-level Connection",
            "proxy_http_version 1.1; proxy_set_header Connection \"\";
            server { listen 80; proxy_set_header Host $host;
                location / { proxy_pass http://ka; } # flagged
            }",
        ),
        (
            "Connection from a variable",
            "map $http_upgrade $connection_upgrade { default upgrade; \"\" \"\"; }
            server { listen 80; proxy_http_version 1.1;
                location / { proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade; proxy_pass http://ka; }
            }",
        ),
        (
            "Connection set to upgrade, not close",
            "server { listen 80; proxy_http_version 1.1;
                location / { proxy_set_header Connection \"upgrade\"; proxy_pass http://ka; }
            }",
        ),
        (
            "an upstream without keepalive",
            "server { listen 80;
                location / { proxy_pass http://plain; }
            }",
        ),
        (
            "a host and port, not an upstream",
            "server { listen 80;
                location / { proxy_pass http://10.0.0.1:8080; }
                location /a/ { proxy_pass http://ka:8080; }
            }",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (i, (name, body)) in cases.iter().enumerate() {
        let text = format!("events {{}}\nhttp {{{UPSTREAMS}\n    {body}\n}}\n");
        let path = dir.path().join(format!("case-{i}.conf"));
        for check_only in [false, true] {
            let opts = lbc::load::LoadOptions {
                check_only,
                ..Default::default()
            };
            assert_flags(
                &path,
                &text,
                RULE,
                &opts,
                &format!("{name} (check_only: {check_only})"),
            );
        }
    }
}

/// `haproxy/mode-mismatch`, one configuration per case: the rule must flag exactly the
/// `default_backend`/`use_backend` lines marked `# flagged`, which are the ones `haproxy -c`
/// (2.6) names in its `tries to use incompatible tcp backend` alerts.
#[test]
fn mode_mismatch_cases() {
    const RULE: &str = "haproxy/mode-mismatch";
    const TIMEOUTS: &str = "timeout connect 5s\n    timeout client 30s\n    timeout server 30s";
    let cases: &[(&str, &str)] = &[
        (
            "http from defaults, the backend's own mode tcp",
            "defaults
    mode http
    TIMEOUTS
frontend web
    bind :80
    default_backend app # flagged
backend app
    mode tcp
    server a1 10.0.0.1:8080",
        ),
        (
            "explicit mode http, a backend without mode and without defaults",
            "frontend web
    mode http
    bind :80
    TIMEOUTS
    default_backend app # flagged
backend app
    TIMEOUTS
    server a1 10.0.0.1:8080",
        ),
        (
            "use_backend to a tcp backend, default_backend to an http one",
            "defaults
    mode http
    TIMEOUTS
frontend web
    bind :80
    acl is_db path_beg /db
    use_backend db if is_db # flagged
    use_backend %[req.hdr(host),lower]
    default_backend app
backend app
    server a1 10.0.0.1:8080
backend db
    mode tcp
    server d1 10.0.0.2:5432",
        ),
        (
            "a tcp frontend may use an http backend: HAProxy upgrades the connection",
            "defaults
    TIMEOUTS
frontend raw
    bind :80
    default_backend app
backend app
    mode http
    server a1 10.0.0.1:8080",
        ),
        (
            "an http listen",
            "defaults
    TIMEOUTS
listen web
    mode http
    bind :80
    default_backend app # flagged
backend app
    server a1 10.0.0.1:8080",
        ),
        (
            "an http listen with servers of its own, and a tcp listen used by name",
            "defaults
    mode http
    TIMEOUTS
listen web
    bind :80
    server w1 10.0.0.3:8080
listen raw
    mode tcp
    bind :81
    server r1 10.0.0.4:8080
frontend front
    bind :82
    default_backend raw # flagged",
        ),
        (
            "both inherit mode http from defaults",
            "defaults
    mode http
    TIMEOUTS
frontend web
    bind :80
    default_backend app
backend app
    server a1 10.0.0.1:8080",
        ),
        (
            "a second defaults section sets mode http for the sections after it",
            "defaults
    mode tcp
    TIMEOUTS
backend db
    server d1 10.0.0.2:5432
defaults
    mode http
    TIMEOUTS
frontend web
    bind :80
    default_backend app
backend app
    server a1 10.0.0.1:8080",
        ),
        (
            "a second defaults section sets mode tcp for the backend after it",
            "defaults
    mode http
    TIMEOUTS
frontend web
    bind :80
    default_backend app # flagged
defaults
    mode tcp
    TIMEOUTS
backend app
    server a1 10.0.0.1:8080",
        ),
        (
            "named defaults chosen with from",
            "defaults web
    mode http
    TIMEOUTS
defaults raw
    mode tcp
    TIMEOUTS
frontend front from web
    bind :80
    acl is_b path_beg /b
    use_backend b if is_b
    default_backend a # flagged
backend a from raw
    server a1 10.0.0.1:8080
backend b from web
    server b1 10.0.0.2:8080",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (i, (name, body)) in cases.iter().enumerate() {
        let text = format!("{}\n", body.replace("TIMEOUTS", TIMEOUTS));
        let path = dir.path().join(format!("case-{i}.cfg"));
        assert_flags(&path, &text, RULE, &Default::default(), name);
    }
}

/// Writes `text` to `path`, checks it with `opts` and asserts that `rule` flags exactly the
/// lines marked `# flagged` (in order); `what` names the case.
fn assert_flags(
    path: &std::path::Path,
    text: &str,
    rule: &str,
    opts: &lbc::load::LoadOptions,
    what: &str,
) {
    let want: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("# flagged"))
        .map(|(n, _)| n + 1)
        .collect();
    std::fs::write(path, text).unwrap();
    let loaded = lbc::load::load(std::slice::from_ref(&path.to_path_buf()), opts).unwrap();
    let diags = loaded.check();
    let got: Vec<usize> = diags
        .iter()
        .filter(|d| d.code == rule)
        .map(|d| {
            let s = d.primary.span;
            loaded.sources.line_col(s.file, s.start).line
        })
        .collect();
    assert_eq!(
        got,
        want,
        "{what}:\n{text}\n{}",
        lbc::diagnostic::render_human(&loaded.sources, &diags, false, 100)
    );
}
