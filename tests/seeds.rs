//! The seed configurations (cut from the tutorials, defects included) with snapshots of what
//! `lbc check` says about each, plus the findings the seeds' README promises users.

mod common;

use std::path::PathBuf;

use common::{check_file, files_in, root};

fn seed(name: &str) -> PathBuf {
    PathBuf::from("fixtures/seeds/nginx").join(name)
}

fn codes(name: &str) -> Vec<(&'static str, usize)> {
    std::env::set_current_dir(root()).unwrap();
    let out = check_file(&seed(name));
    out.json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let code = out
                .diagnostics
                .iter()
                .find(|x| x.code == d["code"].as_str().unwrap())
                .unwrap()
                .code;
            (code, d["line"].as_u64().unwrap() as usize)
        })
        .collect()
}

/// The seed files of one format, grouped as `lbc check` should see them: the two halves of an
/// HA pair (`*-pair-master`, `*-pair-backup`) together, every other file alone.
fn seed_groups(format: &str) -> Vec<(String, Vec<PathBuf>)> {
    let dir = PathBuf::from("fixtures/seeds").join(format);
    let mut groups: Vec<(String, Vec<PathBuf>)> = Vec::new();
    for path in files_in(&root().join(&dir)) {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let rel = dir.join(&name);
        let key = match name.find("-pair-") {
            Some(i) => format!("{}-pair", &name[..i]),
            None => name.clone(),
        };
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, files)) => files.push(rel),
            None => groups.push((key, vec![rel])),
        }
    }
    groups
}

#[test]
fn seed_snapshots() {
    std::env::set_current_dir(root()).unwrap();
    for format in ["nginx", "haproxy", "keepalived", "lvs", "scripts"] {
        let loaded_ok =
            |f: &PathBuf| lbc::load::load(std::slice::from_ref(f), &Default::default()).is_ok();
        for (name, files) in seed_groups(format) {
            // Formats whose front-end is not there yet are refused by `load` (tested in cli.rs).
            if !files.iter().all(loaded_ok) {
                continue;
            }
            let out = common::check(&files);
            let snap = if format == "nginx" {
                format!("seed__{name}")
            } else {
                format!("seed__{format}__{name}")
            };
            insta::assert_snapshot!(snap, out.human);
        }
    }
}

#[test]
fn location_never_closed() {
    // `location /` is never closed: the error names it, not just the end of the file.
    let c = codes("000-load-balance-myserver.conf");
    assert!(c.contains(&("nginx/syntax", 16)), "{c:?}");
}

#[test]
fn seckill_stray_dots_and_optional_group() {
    let c = codes("000-seckill-full.conf");
    assert!(c.contains(&("nginx/unknown-directive", 1)), "{c:?}");
    assert!(
        c.iter()
            .any(|(code, line)| *code == "nginx/regex-optional-suffix" && *line == 92),
        "{c:?}"
    );
}

#[test]
fn seckill_static_files_close_keepalive_connections() {
    // `upstream myserver` has `keepalive 200`. `location /` proxies with HTTP/1.1 and
    // `Connection: upgrade`; the static-files location with nginx's defaults (HTTP/1.0,
    // `Connection: close`), so only its `proxy_pass` (line 99) is flagged.
    let c = codes("000-seckill-full.conf");
    let flagged: Vec<usize> = c
        .iter()
        .filter(|(code, _)| *code == "nginx/upstream-keepalive-unused")
        .map(|(_, line)| *line)
        .collect();
    assert_eq!(flagged, [99], "{c:?}");
}

#[test]
fn vod_glued_modifier_is_a_regex() {
    std::env::set_current_dir(root()).unwrap();
    let loaded = lbc::load::load(
        &[seed("000-reverse-proxy-edu-vod.server.conf")],
        &Default::default(),
    )
    .unwrap();
    let routes = &loaded.ir.services[0].routes;
    assert_eq!(routes[1].matcher.kind, lbc::ir::MatchKind::Regex);
    assert_eq!(routes[1].matcher.pattern, "/vod/");
}

#[test]
fn two_apps_undefined_upstream() {
    let c = codes("003-l7-two-apps.conf");
    assert!(c.contains(&("nginx/undefined-upstream", 25)), "{c:?}");
}

#[test]
fn tomcat_pool_cut_regex() {
    let c = codes("004-tomcat-pool-full.conf");
    assert!(c.contains(&("nginx/argument-count", 76)), "{c:?}");
    assert!(c.contains(&("nginx/invalid-regex", 76)), "{c:?}");
}

#[test]
fn typos_get_suggestions() {
    std::env::set_current_dir(root()).unwrap();
    let out = check_file(&seed("002-gzip.http.conf"));
    assert!(
        out.human.contains("did you mean `gzip_comp_level`?"),
        "{}",
        out.human
    );
    let out = check_file(&seed("002-location-regex.server.conf"));
    assert!(
        out.human.contains("did you mean `location`?"),
        "{}",
        out.human
    );
}

#[test]
fn stream_and_http_share_port_80() {
    let c = codes("001-stream-and-http.conf");
    assert!(
        c.iter().any(|(code, _)| *code == "nginx/listen-conflict"),
        "{c:?}"
    );
}
