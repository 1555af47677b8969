//! Bad input never panics: seeds of every format, mutated at random (bytes deleted, duplicated,
//! replaced by syntax characters), go through loading, every rule, every emitter and
//! rendering. Deterministic (a fixed xorshift seed), so a failure reproduces.

mod common;

use std::path::PathBuf;

use common::{files_in, root};
use lbc::emit::{self, Target};
use lbc::load::{load, LoadOptions};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SYNTAX: &[u8] = b"{};\"'#\\$!@ \n\t()~*^=/:-0";

fn mutate(rng: &mut Rng, text: &[u8]) -> Vec<u8> {
    let mut v = text.to_vec();
    for _ in 0..1 + rng.below(6) {
        if v.is_empty() {
            v.push(b'{');
        }
        let at = rng.below(v.len());
        match rng.below(4) {
            0 => {
                let end = (at + 1 + rng.below(40)).min(v.len());
                v.drain(at..end);
            }
            1 => {
                let end = (at + 1 + rng.below(40)).min(v.len());
                let chunk = v[at..end].to_vec();
                v.splice(at..at, chunk);
            }
            2 => v[at] = SYNTAX[rng.below(SYNTAX.len())],
            _ => v.insert(at, SYNTAX[rng.below(SYNTAX.len())]),
        }
    }
    v
}

#[test]
fn mutated_seeds_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let dir = tempfile::tempdir().unwrap();
    let mut seeds: Vec<PathBuf> = Vec::new();
    for format in ["nginx", "haproxy", "keepalived", "lvs"] {
        seeds.extend(files_in(&root().join("fixtures/seeds").join(format)));
    }
    let targets = [
        Target::Nginx,
        Target::Haproxy,
        Target::Keepalived,
        Target::Ipvsadm,
        Target::IpvsadmScript,
    ];
    let mut runs = 0;
    for seed in &seeds {
        let original = std::fs::read(seed).unwrap();
        for round in 0..24 {
            // Keep the name: it drives format detection like the original's.
            let path = dir.path().join(format!(
                "{round}-{}",
                seed.file_name().unwrap().to_string_lossy()
            ));
            std::fs::write(&path, mutate(&mut rng, &original)).unwrap();
            let opts = LoadOptions {
                root: Some(dir.path().join("no-root")),
                ..LoadOptions::default()
            };
            let Ok(loaded) = load(std::slice::from_ref(&path), &opts) else {
                continue;
            };
            let diags = loaded.check();
            let _ = lbc::diagnostic::render_human(&loaded.sources, &diags, false, 100);
            let _ = lbc::diagnostic::render_json(&loaded.sources, &diags, 1);
            for t in targets {
                if emit::available(t) {
                    let out = emit::emit(&loaded.ir, t);
                    let _ = lbc::diagnostic::render_human(
                        &loaded.sources,
                        &out.diagnostics,
                        false,
                        100,
                    );
                }
            }
            runs += 1;
        }
    }
    assert!(runs > 200, "only {runs} mutated files were loaded");
}

#[test]
fn files_ending_inside_a_construct_are_diagnosed() {
    // Found by the mutation test: a shell `case` whose pattern runs into the end of the file.
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("a.sh", "#!/bin/sh\nipvsadm -C\ncase $1 in\nstart"),
        ("b.sh", "#!/bin/sh\nipvsadm -C\ncase $1 in\n(start|"),
        ("c.conf", "http { server { location / {"),
        (
            "d.keepalived.conf",
            "vrrp_instance VI_1 {\n  authentication {",
        ),
        (
            "e.haproxy.cfg",
            "frontend fe\n    bind :80\n    use_backend b if {",
        ),
    ];
    for (name, text) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let loaded = load(std::slice::from_ref(&path), &LoadOptions::default()).unwrap();
        let diags = loaded.check();
        assert!(
            diags
                .iter()
                .any(|d| d.severity == lbc::diagnostic::Severity::Error),
            "{name}: no error for a file cut short"
        );
    }
}
