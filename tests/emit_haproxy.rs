//! The HAProxy emitter against the real HAProxy: what lbc writes from every seed and corpus file
//! (nginx and HAProxy) that lbc loads without errors and that its own tool accepts must pass
//! `haproxy -c`; HAProxy input must read back into the same IR; snapshots of a few seeds.
//! Fails (rather than skipping) when haproxy or nginx is missing.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{files_in, root, shared};
use lbc::diagnostic::Severity;
use lbc::emit::{emit, Target};
use lbc::ir::Format;
use lbc::load::{load, LoadOptions};

/// Loads `paths` (absolute includes under an empty root); `None` when lbc reports an error.
fn load_ok(paths: &[PathBuf], from: Option<Format>) -> Option<lbc::load::Loaded> {
    let opts = LoadOptions {
        root: Some(PathBuf::from("fixtures/no-root")),
        from,
        ..LoadOptions::default()
    };
    let loaded = load(paths, &opts).ok()?;
    (!loaded
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error))
    .then_some(loaded)
}

/// Runs `haproxy -c` on `file` from `cwd`, with the variables VTest-derived files use;
/// `Err(message)` when HAProxy finds an error.
fn haproxy_c(file: &Path, cwd: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let mut cmd = Command::new("haproxy");
    cmd.arg("-c").arg("-f").arg(file).current_dir(cwd);
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
    let out = cmd.output().expect("haproxy is installed");
    let stdout = String::from_utf8_lossy(&out.stdout);
    // A file with nothing to listen on (an nginx file without servers) is valid, and says so.
    if out.status.success() || stdout.contains("has no error but will not start (no listener)") {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// `load_module` lines for nginx's dynamic modules (stream first).
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

fn nginx_t(file: &Path, modules: &str) -> bool {
    let file = file.canonicalize().unwrap();
    let dir = file.parent().unwrap();
    Command::new("nginx")
        .args(["-t", "-q", "-c"])
        .arg(&file)
        .arg("-p")
        .arg(format!("{}/", dir.display()))
        .args(["-e", "/dev/null", "-g", modules])
        .output()
        .expect("nginx is installed")
        .status
        .success()
}

fn to_haproxy(loaded: &lbc::load::Loaded) -> String {
    emit(&loaded.ir, Target::Haproxy).text
}

fn nginx_inputs() -> Vec<PathBuf> {
    let mut files = files_in(&shared().join("corpus/nginx"));
    files.extend(files_in(&shared().join("seeds/nginx")));
    files.extend(files_in(&root().join("fixtures/convert/haproxy")));
    files
}

fn haproxy_inputs() -> Vec<PathBuf> {
    let mut files = files_in(&shared().join("corpus/haproxy"));
    files.extend(files_in(&shared().join("seeds/haproxy")));
    files
}

#[test]
fn done_when_tomcat_seed_passes_haproxy_c() {
    let seed = shared().join("seeds/nginx/003-tomcat-web-pools.conf");
    let out = Command::new(env!("CARGO_BIN_EXE_lbc"))
        .args(["convert", seed.to_str().unwrap(), "--to", "haproxy"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("out.cfg");
    std::fs::write(&cfg, &out.stdout).unwrap();
    haproxy_c(&cfg, tmp.path()).unwrap();
}

#[test]
fn nginx_inputs_convert_to_configs_haproxy_accepts() {
    std::fs::create_dir_all("/tmp/nginx-test").unwrap();
    let modules = module_directives();
    let tmp = tempfile::tempdir().unwrap();
    let (mut checked, mut failures) = (0, Vec::new());
    for f in nginx_inputs() {
        let Some(loaded) = load_ok(std::slice::from_ref(&f), Some(Format::Nginx)) else {
            continue;
        };
        if !nginx_t(&f, &modules) {
            continue;
        }
        checked += 1;
        let cfg = tmp.path().join("out.cfg");
        std::fs::write(&cfg, to_haproxy(&loaded)).unwrap();
        if let Err(msg) = haproxy_c(&cfg, tmp.path()) {
            failures.push(format!("{}:\n{msg}", f.display()));
        }
    }
    eprintln!("{checked} nginx inputs converted and checked");
    assert!(checked > 50, "only {checked} nginx inputs checked");
    assert!(
        failures.is_empty(),
        "{} of {checked} rejected:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// HAProxy inputs lbc writes back in a form HAProxy rejects although it accepts the input, and
/// why.
const HAPROXY_EXCEPTIONS: &[(&str, &str)] = &[];

#[test]
fn haproxy_inputs_written_back_pass_haproxy_c() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut checked, mut failures) = (0, Vec::new());
    for f in haproxy_inputs() {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let copy = common::haproxy_prepared(&f, tmp.path());
        let cwd = f.parent().unwrap();
        if haproxy_c(&copy, cwd).is_err() {
            continue;
        }
        let Some(loaded) = load_ok(std::slice::from_ref(&copy), Some(Format::Haproxy)) else {
            continue;
        };
        checked += 1;
        let cfg = tmp.path().join("out.cfg");
        std::fs::write(&cfg, to_haproxy(&loaded)).unwrap();
        let result = haproxy_c(&cfg, cwd);
        let excepted = HAPROXY_EXCEPTIONS.iter().any(|(n, _)| *n == name);
        match result {
            Err(msg) if !excepted => failures.push(format!("{name}:\n{msg}")),
            Ok(()) if excepted => failures.push(format!("{name}: passes now, drop the exception")),
            _ => {}
        }
    }
    eprintln!("{checked} HAProxy inputs written back and checked");
    assert!(checked > 50, "only {checked} HAProxy inputs checked");
    assert!(
        failures.is_empty(),
        "{} of {checked}:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// HAProxy inputs that do not read back into the same IR, and why.
const ROUND_TRIP_EXCEPTIONS: &[(&str, &str)] = &[
    (
        "haproxy__haproxy__reg-tests_server_cli_set_fqdn.vtc__2.cfg",
        "`resolvers NAME` on a server: the IR keeps `resolve: true`, not the section's name",
    ),
    (
        "haproxytech__config-parser__tests_configs_haproxy_generated.cfg.go__generatedConfig.cfg",
        "a 222-word `default-server` line: the IR applies it to every server, whose lines then \
         exceed HAProxy's 64 words (HAProxy itself rejects the input for other reasons)",
    ),
];

/// The IR without origins, and without the `init-addr last,libc,none` lbc adds to servers
/// named by host name (so that `haproxy -c` does not depend on DNS).
fn comparable(ir: &lbc::ir::Ir) -> serde_json::Value {
    let mut ir = ir.clone();
    for p in &mut ir.pools {
        for s in &mut p.servers {
            if let Some(i) = s
                .other
                .windows(2)
                .position(|w| w[0] == "init-addr" && w[1] == "last,libc,none")
            {
                s.other.drain(i..i + 2);
            }
        }
    }
    lbc::ir::without_origins(&ir)
}

#[test]
fn haproxy_inputs_read_back_into_the_same_ir() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut checked, mut failures) = (0, Vec::new());
    for f in haproxy_inputs() {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let Some(first) = load_ok(std::slice::from_ref(&f), Some(Format::Haproxy)) else {
            continue;
        };
        checked += 1;
        let cfg = tmp.path().join("out.cfg");
        std::fs::write(&cfg, to_haproxy(&first)).unwrap();
        let second = load_ok(&[cfg], Some(Format::Haproxy));
        let same = second
            .as_ref()
            .is_some_and(|s| comparable(&s.ir) == comparable(&first.ir));
        let excepted = ROUND_TRIP_EXCEPTIONS.iter().any(|(n, _)| *n == name);
        if !same && !excepted {
            let a = serde_json::to_string_pretty(&comparable(&first.ir)).unwrap();
            let b = second.map_or("errors".into(), |s| {
                serde_json::to_string_pretty(&comparable(&s.ir)).unwrap()
            });
            let diff = similar::TextDiff::from_lines(&a, &b)
                .unified_diff()
                .context_radius(2)
                .to_string();
            failures.push(format!("{name}:\n{}", &diff[..diff.len().min(3000)]));
        } else if same && excepted {
            failures.push(format!("{name}: reads back now, drop the exception"));
        }
    }
    eprintln!("{checked} HAProxy inputs read back");
    assert!(checked > 50, "only {checked} HAProxy inputs checked");
    assert!(
        failures.is_empty(),
        "{} of {checked}:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn snapshots_of_seeds() {
    for seed in [
        "003-tomcat-web-pools.conf",
        "000-reverse-proxy-edu-vod.server.conf",
        "003-l7-two-apps.conf",
        "001-stream-only.conf",
        "vhosts.conf",
    ] {
        let f = [
            root().join("fixtures/convert/haproxy").join(seed),
            root().join("fixtures/seeds/nginx").join(seed),
        ]
        .into_iter()
        .find(|f| f.exists())
        .unwrap_or_else(|| shared().join("seeds/nginx").join(seed));
        let loaded = load_ok(&[f], Some(Format::Nginx)).expect("seed loads");
        let e = emit(&loaded.ir, Target::Haproxy);
        let diags = e
            .diagnostics
            .iter()
            .map(|d| format!("{}: {}", d.code, d.message))
            .collect::<Vec<_>>()
            .join("\n");
        insta::assert_snapshot!(
            format!("emit_haproxy__{seed}"),
            format!("{}\n--- diagnostics\n{diags}\n", e.text)
        );
    }
}

#[test]
fn tls_termination_with_placeholder_certificates() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for name in ["cert.pem", "cert-b.pem"] {
        let (crt, key) = (dir.join("c.tmp"), dir.join("k.tmp"));
        let ok = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            ])
            .args(["-subj", "/CN=example.com", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&crt)
            .output()
            .expect("openssl is installed")
            .status
            .success();
        assert!(ok);
        let pem = [std::fs::read(&crt).unwrap(), std::fs::read(&key).unwrap()].concat();
        std::fs::write(dir.join(name), pem).unwrap();
    }
    let conf = dir.join("tls.conf");
    std::fs::copy(root().join("fixtures/convert/haproxy/tls.conf"), &conf).unwrap();
    assert!(
        nginx_t(&conf, &module_directives()),
        "nginx accepts the fixture"
    );
    let loaded = load_ok(&[conf], Some(Format::Nginx)).unwrap();
    let e = emit(&loaded.ir, Target::Haproxy);
    assert!(
        e.text
            .contains("bind :443 ssl crt cert.pem crt cert-b.pem alpn h2,http/1.1"),
        "{}",
        e.text
    );
    let cfg = dir.join("out.cfg");
    std::fs::write(&cfg, &e.text).unwrap();
    haproxy_c(&cfg, dir).unwrap();
}
