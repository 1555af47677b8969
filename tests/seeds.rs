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

#[test]
fn seed_snapshots() {
    std::env::set_current_dir(root()).unwrap();
    for path in files_in(&root().join("fixtures/seeds/nginx")) {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let out = check_file(&seed(&name));
        insta::assert_snapshot!(format!("seed__{name}"), out.human);
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
