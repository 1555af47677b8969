//! The nginx emitter: reading back what it writes gives the same IR (a property over the whole
//! nginx corpus and the seeds), the real `nginx -t` accepts what it writes (from nginx and from
//! HAProxy), and snapshots of a few conversions.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{files_in, root, shared};
use lbc::diagnostic::Severity;
use lbc::emit::{self, Emitter, Target};
use lbc::ir::{without_origins, Format};
use lbc::load::{load, LoadOptions, Loaded};

/// Loads one file as `format`; `None` when lbc reports an error while reading it.
fn load_clean(path: &Path, format: Format, opts: LoadOptions) -> Option<Loaded> {
    let opts = LoadOptions {
        from: Some(format),
        ..opts
    };
    let loaded = load(&[path.to_path_buf()], &opts).ok()?;
    let errors = loaded
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error);
    (!errors).then_some(loaded)
}

fn nginx_files() -> Vec<PathBuf> {
    let mut files = files_in(&shared().join("corpus/nginx"));
    files.extend(files_in(&root().join("fixtures/seeds/nginx")));
    files.extend(convert_fixtures("conf"));
    files
}

/// The fixtures written for this emitter, by extension.
fn convert_fixtures(ext: &str) -> Vec<PathBuf> {
    files_in(&root().join("fixtures/convert/nginx"))
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == ext))
        .collect()
}

fn haproxy_files() -> Vec<PathBuf> {
    let mut files = files_in(&shared().join("corpus/haproxy"));
    files.extend(files_in(&root().join("fixtures/seeds/haproxy")));
    files.extend(convert_fixtures("cfg"));
    files
}

/// Absolute includes resolve under an empty root, so the result does not depend on this
/// machine; relative ones resolve beside the file and are inlined by the emitter (the IR holds
/// their contents), so files with includes need no special case.
fn fixed_root() -> LoadOptions {
    LoadOptions {
        root: Some(root().join("fixtures/no-root")),
        ..LoadOptions::default()
    }
}

#[test]
fn round_trip_gives_the_same_ir() {
    let tmp = tempfile::tempdir().unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    for f in nginx_files() {
        let Some(first) = load_clean(&f, Format::Nginx, fixed_root()) else {
            continue;
        };
        let ctx = first.nginx[0].context;
        let mut e = Emitter::default();
        emit::nginx::emit_in(&first.ir, ctx, &mut e);
        let out = tmp.path().join(f.file_name().unwrap());
        std::fs::write(&out, &e.out.text).unwrap();
        let opts = LoadOptions {
            context: Some(ctx),
            ..fixed_root()
        };
        let Some(second) = load_clean(&out, Format::Nginx, opts) else {
            failures.push(format!("{}: the output does not load cleanly", f.display()));
            continue;
        };
        checked += 1;
        let (a, b) = (without_origins(&first.ir), without_origins(&second.ir));
        if a != b {
            let a = serde_yaml::to_string(&a).unwrap();
            let b = serde_yaml::to_string(&b).unwrap();
            let diff: Vec<String> = a
                .lines()
                .zip(b.lines())
                .filter(|(x, y)| x != y)
                .take(3)
                .map(|(x, y)| format!("  - {x}\n  + {y}"))
                .collect();
            failures.push(format!("{}:\n{}", f.display(), diff.join("\n")));
        }
    }
    eprintln!("round trip: {checked} files read back to the same IR");
    assert!(checked >= 200, "only {checked} files round-tripped");
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `load_module` directives for every dynamic module shipped (stream first), as the oracle.
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

/// `nginx -t` on `file` with `prefix` as nginx's prefix; `Err(message)` when rejected.
fn nginx_t(file: &Path, prefix: &Path, modules: &str) -> Result<(), String> {
    let out = Command::new("nginx")
        .arg("-t")
        .arg("-q")
        .arg("-c")
        .arg(file.canonicalize().unwrap())
        .arg("-p")
        .arg(format!("{}/", prefix.canonicalize().unwrap().display()))
        .arg("-e")
        .arg("/dev/null")
        .arg("-g")
        .arg(modules)
        .output()
        .expect("nginx is installed");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn nginx_accepts_what_lbc_writes_from_nginx() {
    std::fs::create_dir_all("/tmp/nginx-test").unwrap();
    let modules = module_directives();
    let tmp = tempfile::tempdir().unwrap();
    let (mut accepted, mut failures) = (0, Vec::new());
    for f in nginx_files() {
        let dir = f.parent().unwrap();
        if nginx_t(&f, dir, &modules).is_err() {
            continue;
        }
        // As nginx reads it: absolute includes from this machine.
        let Some(loaded) = load_clean(&f, Format::Nginx, LoadOptions::default()) else {
            continue;
        };
        accepted += 1;
        let text = emit::emit(&loaded.ir, Target::Nginx).text;
        let out = tmp.path().join(f.file_name().unwrap());
        std::fs::write(&out, &text).unwrap();
        // Same prefix as the original, so relative paths (certificates, html) resolve alike.
        if let Err(msg) = nginx_t(&out, dir, &modules) {
            failures.push(format!("{}: {msg}", f.display()));
        }
    }
    eprintln!("nginx -t: {accepted} nginx files accepted, their outputs checked");
    assert!(accepted >= 60, "only {accepted} files accepted by nginx -t");
    assert!(
        failures.is_empty(),
        "nginx -t rejects {} of {accepted} outputs:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Rejections that depend on this machine, not on the output: addresses it does not have, host
/// names its resolver does not know, certificate files (HAProxy `crt`) that are not here.
const ENVIRONMENT: &[&str] = &[
    "Cannot assign requested address",
    "host not found in upstream",
    "cannot load certificate",
];

#[test]
fn nginx_accepts_what_lbc_writes_from_haproxy() {
    let modules = module_directives();
    let tmp = tempfile::tempdir().unwrap();
    let (mut converted, mut environment, mut failures) = (0, 0, Vec::new());
    for f in haproxy_files() {
        let Some(loaded) = load_clean(&f, Format::Haproxy, fixed_root()) else {
            continue;
        };
        converted += 1;
        let text = emit::emit(&loaded.ir, Target::Nginx).text;
        let out = tmp.path().join(f.file_name().unwrap());
        std::fs::write(&out, &text).unwrap();
        // lbc reads its own output without error, and writing that again changes nothing but
        // the comments naming HAProxy sections.
        let again = load_clean(&out, Format::Nginx, fixed_root())
            .unwrap_or_else(|| panic!("{}: lbc cannot read its output:\n{text}", f.display()));
        let uncommented = |t: &str| {
            t.lines()
                .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
                .collect::<Vec<_>>()
                .join("\n")
        };
        let second = emit::emit(&again.ir, Target::Nginx).text;
        if uncommented(&second) != uncommented(&text) {
            failures.push(format!(
                "{}: not a fixpoint:\n{text}\n----\n{second}",
                f.display()
            ));
        }
        match nginx_t(&out, tmp.path(), &modules) {
            Err(msg) if ENVIRONMENT.iter().any(|m| msg.contains(m)) => environment += 1,
            Err(msg) => failures.push(format!("{}: {msg}\n{text}", f.display())),
            Ok(()) => {}
        }
    }
    eprintln!("HAProxy: {converted} converted, {environment} rejected for this machine's reasons");
    assert!(converted >= 50, "only {converted} HAProxy files converted");
    assert!(
        environment * 10 <= converted,
        "{environment} of {converted} rejected for this machine's reasons: too many to trust"
    );
    assert!(
        failures.is_empty(),
        "nginx -t rejects {} of {converted} outputs:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The output and the account of a conversion: the nginx text, then one line per diagnostic
/// (`code line: message`) and the summary.
fn converted(path: &Path, format: Format) -> String {
    let loaded = load_clean(path, format, fixed_root()).expect("the input loads cleanly");
    let out = emit::emit(&loaded.ir, Target::Nginx);
    let mut s = out.text;
    s.push_str("\n# ---- diagnostics ----\n");
    for d in &out.diagnostics {
        let line = loaded
            .sources
            .line_col(d.primary.span.file, d.primary.span.start)
            .line;
        s.push_str(&format!("# {} line {line}: {}\n", d.code, d.message));
    }
    let n = out.summary;
    s.push_str(&format!(
        "# {} carried over, {} approximated, {} dropped\n",
        n.carried, n.approximated, n.dropped
    ));
    s
}

#[test]
fn snapshots() {
    let cases = [
        ("fixtures/seeds/nginx/000-seckill-full.conf", Format::Nginx),
        (
            "fixtures/seeds/nginx/003-l4-and-vhosts-full.conf",
            Format::Nginx,
        ),
        // The HAProxy seed with its two banner lines commented out (HAProxy rejects them).
        (
            "fixtures/convert/nginx/003-l4-and-l7.haproxy.cfg",
            Format::Haproxy,
        ),
        ("fixtures/convert/nginx/quoting.conf", Format::Nginx),
        // IPVS virtual services become stream proxies (approximated).
        ("fixtures/seeds/lvs/000-ipvsadm-ln.txt", Format::Ipvsadm),
    ];
    for (file, format) in cases {
        let name = Path::new(file).file_name().unwrap().to_string_lossy();
        insta::assert_snapshot!(name.to_string(), converted(&root().join(file), format));
    }
}
