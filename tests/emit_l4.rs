//! The keepalived and ipvsadm emitters: `keepalived -t` accepts what lbc writes (judged on its
//! messages, as in `oracle_keepalived.rs`), and keepalived → IR → keepalived and ipvsadm →
//! IR → ipvsadm give the same IR again.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{files_in, root, shared};
use lbc::emit::{emit, Target};
use lbc::ir::without_origins;
use lbc::load::{load, LoadOptions};

fn opts() -> LoadOptions {
    LoadOptions {
        root: Some(PathBuf::from("fixtures/no-root")),
        ..LoadOptions::default()
    }
}

fn convert(path: &Path, target: Target) -> (serde_json::Value, String) {
    let loaded = load(&[path.to_path_buf()], &opts()).expect("loads");
    let text = emit(&loaded.ir, target).text;
    (without_origins(&loaded.ir), text)
}

/// Reads `text` back as `name` (the extension picks the format).
fn reread(text: &str, name: &str) -> serde_json::Value {
    let dir = std::env::temp_dir().join(format!("lbc-emit-l4-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    let loaded = load(&[p], &opts()).expect("loads");
    without_origins(&loaded.ir)
}

/// Messages of `keepalived -t` that mean the file is wrong, not the machine.
const SYNTAX_LEVEL: &[&str] = &[
    "Unexpected '{'",
    "Missing '{'",
    "Extra '}'",
    "missing '}'",
    "Unterminated quote",
    "missing terminating",
    "Unmatched quote",
    "Unknown keyword",
];

fn keepalived_t(text: &str, name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("lbc-emit-l4-kt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    let out = Command::new("keepalived")
        .arg("-t")
        .arg("-f")
        .arg(&p)
        .output()
        .expect("keepalived is installed");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn syntax_messages(msg: &str) -> Vec<String> {
    msg.lines()
        .filter(|l| SYNTAX_LEVEL.iter().any(|s| l.contains(s)))
        .map(|l| l.split(") ").last().unwrap_or(l).to_string())
        .collect()
}

fn keepalived_files() -> Vec<PathBuf> {
    let mut files = files_in(&shared().join("corpus/keepalived"));
    files.extend(files_in(&root().join("fixtures/seeds/keepalived")));
    files
}

fn lvs_files() -> Vec<PathBuf> {
    let mut files = files_in(&shared().join("corpus/lvs"));
    files.extend(files_in(&root().join("fixtures/seeds/lvs")));
    files
}

#[test]
fn keepalived_t_accepts_the_keepalived_output() {
    let mut problems = Vec::new();
    let mut files = keepalived_files();
    files.extend(
        lvs_files()
            .into_iter()
            .filter(|f| f.extension().is_none_or(|e| e != "txt")),
    );
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let before = syntax_messages(&keepalived_t(&std::fs::read_to_string(f).unwrap(), &name));
        let is_keepalived = f.to_string_lossy().contains("keepalived");
        if is_keepalived && !before.is_empty() {
            continue;
        }
        let (_, text) = convert(f, Target::Keepalived);
        let after = syntax_messages(&keepalived_t(&text, &format!("{name}.out.conf")));
        if !after.is_empty() {
            problems.push(format!("{}: {after:?}\n{text}", f.display()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// Every keepalived file, DPVS dialect and `@` conditionals included, reads back the same.
#[test]
fn keepalived_round_trip() {
    let mut problems = Vec::new();
    for f in keepalived_files() {
        let (ir, text) = convert(&f, Target::Keepalived);
        let again = reread(&text, "roundtrip.keepalived.conf");
        if ir != again {
            problems.push(format!(
                "{}:\n{}\n--- IR before:\n{}\n--- after:\n{}",
                f.display(),
                text,
                serde_yaml::to_string(&ir).unwrap(),
                serde_yaml::to_string(&again).unwrap()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

fn field(v: &serde_json::Value, k: &str) -> serde_json::Value {
    v.get(k).cloned().unwrap_or(serde_json::Value::Null)
}

#[test]
fn ipvsadm_round_trip() {
    let mut problems = Vec::new();
    for f in lvs_files() {
        // `ipvsadm -L` listings leave weights and methods unknown; they are not rule files.
        if f.extension().is_some_and(|e| e == "txt") {
            continue;
        }
        let (ir, rules) = convert(&f, Target::Ipvsadm);
        // DPVS options ipvsadm has no flag for (fullnat, synproxy, match …) are kept as
        // opaque entries and reported as not carried over.
        if field(&ir, "virtual_services")
            .to_string()
            .contains("\"opaque\"")
        {
            continue;
        }
        let again = reread(&rules, "roundtrip.rules");
        if field(&ir, "virtual_services") != field(&again, "virtual_services") {
            problems.push(format!("{} (restore):\n{rules}", f.display()));
        }
        let (_, script) = convert(&f, Target::IpvsadmScript);
        let again = reread(&script, "roundtrip.sh");
        for k in [
            "virtual_services",
            "interface_addresses",
            "static_routes",
            "sysctls",
        ] {
            if field(&ir, k) != field(&again, k) {
                problems.push(format!(
                    "{} (script, {k}):\n{script}\n{}\n{}",
                    f.display(),
                    field(&ir, k),
                    field(&again, k)
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn lvs_dr_script_becomes_a_keepalived_virtual_server() {
    let (_, text) = convert(
        &root().join("fixtures/seeds/lvs/000-lvs_dr.sh"),
        Target::Keepalived,
    );
    assert!(
        text.contains("virtual_server 192.168.63.110 80 {"),
        "{text}"
    );
    assert!(text.contains("lb_algo lc"), "{text}");
    assert!(text.contains("lb_kind DR"), "{text}");
    assert_eq!(text.matches("real_server ").count(), 2, "{text}");
    let msg = keepalived_t(&text, "lvs_dr.conf");
    assert!(syntax_messages(&msg).is_empty(), "{msg}");
}

fn snap(path: &str, target: Target) -> String {
    convert(Path::new(path), target).1
}

#[test]
fn snapshots() {
    insta::assert_snapshot!(
        "lvs_dr_to_keepalived",
        snap("fixtures/seeds/lvs/000-lvs_dr.sh", Target::Keepalived)
    );
    insta::assert_snapshot!(
        "lvs_dr_to_ipvsadm_script",
        snap("fixtures/seeds/lvs/000-lvs_dr.sh", Target::IpvsadmScript)
    );
    insta::assert_snapshot!(
        "pair_master_to_keepalived",
        snap(
            "fixtures/seeds/keepalived/001-pair-master.keepalived.conf",
            Target::Keepalived
        )
    );
    insta::assert_snapshot!(
        "lvs_master_to_ipvsadm",
        snap(
            "fixtures/seeds/keepalived/000-lvs-master.keepalived.conf",
            Target::Ipvsadm
        )
    );
}
