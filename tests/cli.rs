//! The `lbc` binary end to end: exit codes, the JSON report shape, `convert` and `rule`.

use std::path::PathBuf;
use std::process::Command;

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
fn exit_codes() {
    assert_eq!(
        lbc(&["check", "fixtures/rules/nginx/ip-hash-backup/pass.conf"]).0,
        0
    );
    assert_eq!(
        lbc(&["check", "fixtures/rules/nginx/ip-hash-backup/fail.conf"]).0,
        1
    );
    // Warnings only: 0, unless --deny-warnings.
    assert_eq!(
        lbc(&["check", "fixtures/rules/nginx/ip-hash-weight/fail.conf"]).0,
        0
    );
    assert_eq!(
        lbc(&[
            "check",
            "--deny-warnings",
            "fixtures/rules/nginx/ip-hash-weight/fail.conf"
        ])
        .0,
        1
    );
    // lbc could not run: unreadable file, bad usage.
    let (code, _, err) = lbc(&["check", "fixtures/does-not-exist.conf"]);
    assert_eq!(code, 2);
    assert!(err.contains("does-not-exist.conf"), "{err}");
    assert_eq!(lbc(&["check"]).0, 2);
    assert_eq!(lbc(&["check", "--format", "xml", "x.conf"]).0, 2);
}

#[test]
fn json_shape() {
    let (code, out, _) = lbc(&[
        "check",
        "--format",
        "json",
        "fixtures/rules/nginx/ip-hash-backup/fail.conf",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let d = &v["diagnostics"][0];
    let keys: Vec<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
    let mut want = vec![
        "code",
        "severity",
        "message",
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "help",
    ];
    want.sort();
    let mut got = keys.clone();
    got.sort();
    assert_eq!(got, want);
    assert_eq!(d["code"], "nginx/ip-hash-backup");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["file"], "fixtures/rules/nginx/ip-hash-backup/fail.conf");
    // `backup` on line 6, column 30 (1-based), one word long.
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(6), Some(30))
    );
    assert_eq!(
        (d["end_line"].as_u64(), d["end_column"].as_u64()),
        (Some(6), Some(36))
    );
    assert_eq!(
        v["summary"],
        serde_json::json!({"errors": 2, "warnings": 0, "infos": 0, "files": 1})
    );
}

#[test]
fn convert_round_trips_through_yaml_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("ir.yaml");
    let json1 = dir.path().join("ir1.json");
    let json2 = dir.path().join("ir2.json");
    let src = "fixtures/seeds/nginx/000-seckill-full.conf";
    assert_eq!(
        lbc(&["convert", src, "--to", "yaml", "-o", yaml.to_str().unwrap()]).0,
        0
    );
    assert_eq!(
        lbc(&[
            "convert",
            src,
            "--to",
            "json",
            "-o",
            json1.to_str().unwrap()
        ])
        .0,
        0
    );
    assert_eq!(
        lbc(&[
            "convert",
            yaml.to_str().unwrap(),
            "--to",
            "json",
            "-o",
            json2.to_str().unwrap()
        ])
        .0,
        0
    );
    let a: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json1).unwrap()).unwrap();
    let b: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json2).unwrap()).unwrap();
    assert_eq!(a, b);
    // And the YAML carries what the file says.
    let text = std::fs::read_to_string(&yaml).unwrap();
    assert!(text.contains("name: myserver"), "{text}");
    assert!(text.contains("fail_timeout: 30s"), "{text}");
}

#[test]
fn convert_refuses_broken_input() {
    let (code, out, err) = lbc(&[
        "convert",
        "fixtures/seeds/nginx/000-load-balance-myserver.conf",
        "--to",
        "yaml",
    ]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("never closed"), "{err}");
}

#[test]
fn fragment_context_flag() {
    // A bare list of location-level directives: inferred, or forced with --context.
    let f = "fixtures/seeds/nginx/002-valid-referers.location.conf";
    assert_eq!(lbc(&["check", f]).0, 0);
    assert_eq!(lbc(&["check", "--context", "location", f]).0, 0);
    let (code, out, _) = lbc(&["check", "--context", "main", f]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("nginx/directive-context"), "{out}");
}

#[test]
fn rule_docs() {
    let (code, out, _) = lbc(&["rule", "nginx/ip-hash-weight"]);
    assert_eq!(code, 0);
    assert!(out.contains("/24"), "{out}");
    let (code, out, _) = lbc(&["rule"]);
    assert_eq!(code, 0);
    assert!(out.lines().count() >= 15, "{out}");
    assert_eq!(lbc(&["rule", "nginx/nope"]).0, 2);
}

#[test]
fn prefix_resolves_includes() {
    let dir = tempfile::tempdir().unwrap();
    let conf = PathBuf::from(dir.path()).join("conf");
    std::fs::create_dir_all(conf.join("sites")).unwrap();
    std::fs::write(conf.join("mime.types"), "types { text/html html; }\n").unwrap();
    std::fs::write(
        conf.join("sites/a.conf"),
        "server { listen 80; location / { proxy_pas http://x; } }\n",
    )
    .unwrap();
    let main = dir.path().join("nginx.conf");
    std::fs::write(
        &main,
        "events {}\nhttp {\n    include mime.types;\n    include sites/*.conf;\n}\n",
    )
    .unwrap();
    let (code, out, _) = lbc(&[
        "check",
        "--format",
        "json",
        "--prefix",
        conf.to_str().unwrap(),
        main.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "nginx/unknown-directive");
    // The diagnostic points into the included file.
    assert!(d["file"].as_str().unwrap().ends_with("sites/a.conf"), "{d}");
    assert_eq!(d["help"], "did you mean `proxy_pass`?");
}

#[test]
fn formats_are_detected_from_content() {
    use lbc::ir::Format;
    use lbc::load::detect;
    use std::path::Path;
    let cases = [
        (
            "x.conf",
            "global\n    maxconn 100\ndefaults\n    mode http\n",
            Format::Haproxy,
        ),
        (
            "x.conf",
            "vrrp_instance VI_1 {\n    state MASTER\n}\n",
            Format::Keepalived,
        ),
        (
            "x.txt",
            "IP Virtual Server version 1.2.1 (size=4096)\n",
            Format::Ipvsadm,
        ),
        (
            "rules",
            "-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1\n",
            Format::Ipvsadm,
        ),
        (
            "x.sh",
            "#!/bin/sh\nipvsadm -A -t $VIP:80 -s wlc\n",
            Format::Ipvsadm,
        ),
        (
            "nginx.conf",
            "events {}\nhttp { server { listen 80; } }\n",
            Format::Nginx,
        ),
        ("site", "server {\n    listen 80;\n}\n", Format::Nginx),
        ("x.yaml", "schema_version: 1\n", Format::Yaml),
    ];
    for (name, text, want) in cases {
        assert_eq!(detect(Path::new(name), text), want, "{name}: {text:?}");
    }
}

#[test]
fn an_input_included_by_another_is_lowered_once_in_place() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("conf.d")).unwrap();
    std::fs::write(
        dir.path().join("conf.d/app.conf"),
        "server { listen 80; location / { proxy_pass http://app; } }\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("nginx.conf"), "events {}\nhttp {\n    upstream app { server 127.0.0.1:1; }\n    include conf.d/*.conf;\n}\n").unwrap();
    let app = dir.path().join("conf.d/app.conf");
    let main = dir.path().join("./nginx.conf");
    // The include first on the command line, spelled differently: no panic, one service.
    let loaded = lbc::load::load(&[app, main], &Default::default()).unwrap();
    assert_eq!(loaded.ir.services.len(), 1);
    assert_eq!(loaded.nginx.len(), 1);
    assert!(loaded.check().is_empty(), "{:?}", loaded.check());
}

#[test]
fn checking_an_ir_document_points_into_the_original_files() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("ir.yaml");
    let src = "fixtures/rules/nginx/ip-hash-backup/fail.conf";
    assert_eq!(
        lbc(&["convert", src, "--to", "yaml", "-o", yaml.to_str().unwrap()]).0,
        0
    );
    let (code, out, _) = lbc(&["check", "--format", "json", yaml.to_str().unwrap()]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let d = &v["diagnostics"][0];
    assert_eq!(d["file"], src);
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(6), Some(30))
    );
}

#[test]
fn lua_blocks_are_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("lua.conf");
    std::fs::write(
        &f,
        "http { server { listen 80; location / { content_by_lua_block { ngx.say(\"}\") } } } }\n",
    )
    .unwrap();
    let (code, out, _) = lbc(&["check", f.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn output_to_a_closed_pipe_does_not_panic() {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_lbc"))
        .args(["rule"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn directories_expand_recursively_and_empty_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
    std::fs::write(
        dir.path().join("a/b/site.conf"),
        "server { listen 80; location / { proxy_pas http://x; } }\n",
    )
    .unwrap();
    let (code, out, _) = lbc(&["check", "--format", "json", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["summary"]["files"], 1);
    let empty = tempfile::tempdir().unwrap();
    let (code, _, err) = lbc(&["check", empty.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("no files"), "{err}");
}
