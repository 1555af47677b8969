//! `lbc serve` against real HAProxy on a configuration that reads its environment as HAProxy
//! does: `"${NAME}"`, `"${NAME-default}"`, `"${NAME[*]}"` and `${.SECTION}` in double quotes,
//! `setenv`/`presetenv`/`unsetenv` in `global`, and `.if`/`.elif`/`.else`/`.endif` blocks
//! whose conditions read it. Both run with the same environment; the answers must be the same.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::serve::{backend, free_port, get, wait_ready, Guard};

const CONFIG: &str = r#"global
    setenv WHERE "in ${.SECTION}"
    presetenv PRE from-config
    unsetenv DROPPED
.if defined(BLUE)
    setenv PICK blue
.else
    setenv PICK green
.endif

defaults
    mode http
    timeout client "${T-5s}"
    timeout server "${T-5s}"
    timeout connect "${T-1s}"

frontend f
    bind "127.0.0.1:${PORT}"
    http-request return status 200 content-type text/plain string "${PRE}|${WHERE}|${.SECTION}|${DROPPED-gone}" if { path /info }
.if streq("${PICK}",blue)
    default_backend blue
.elif version_atleast(2.4) && feature(THREAD)
    default_backend green
.else
    default_backend missing
.endif

backend blue
    server s "${BLUE_SERVER[*]}"

backend green
    server s "127.0.0.1:${GREEN_PORT}"
"#;

/// Starts `program args… FILE` with `env` (and nothing else of the test's environment that
/// the configuration reads).
fn start(program: &str, args: &[&str], file: &Path, env: &[(&str, String)], log: &Path) -> Guard {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .arg(file)
        .env_remove("BLUE")
        .env_remove("PRE")
        .env_remove("T")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap());
    Guard(cmd.spawn().unwrap())
}

/// The answers to `/` and `/info` of HAProxy and of `lbc serve` run with `env`.
fn answers(env: &[(&str, String)]) -> [Vec<(u16, String)>; 2] {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("haproxy.cfg");
    std::fs::write(&file, CONFIG).unwrap();
    let mut out: [Vec<(u16, String)>; 2] = Default::default();
    for (i, (program, args)) in [
        ("haproxy", vec!["-db", "-f"]),
        (env!("CARGO_BIN_EXE_lbc"), vec!["serve"]),
    ]
    .into_iter()
    .enumerate()
    {
        let port = free_port();
        let mut env = env.to_vec();
        env.push(("PORT", port.to_string()));
        env.push(("DROPPED", "still here".to_string()));
        let log = dir.path().join(format!("{i}.log"));
        let _guard = start(program, &args, &file, &env, &log);
        wait_ready(port);
        out[i] = vec![get(port, "/"), get(port, "/info")];
    }
    out
}

#[test]
fn environment_and_conditional_blocks_read_as_haproxy_reads_them() {
    let (blue, green) = (backend("blue"), backend("green"));
    let base = vec![
        ("GREEN_PORT", green.to_string()),
        ("BLUE_SERVER", format!("127.0.0.1:{blue}  maxconn 10")),
    ];
    // Without BLUE: the `.else` of `global` sets PICK=green, the `.elif` takes `green`.
    let [real, lbc] = answers(&base);
    assert_eq!(real[0], (200, "green /".to_string()));
    assert_eq!(real[1].1, "from-config|in global|f|gone");
    assert_eq!(lbc, real);
    // With BLUE, PRE and T set: the first branches; `presetenv` keeps the process's PRE.
    let mut env = base.clone();
    env.extend([
        ("BLUE", "1".to_string()),
        ("PRE", "from-env".to_string()),
        ("T", "3s".to_string()),
    ]);
    let [real, lbc] = answers(&env);
    assert_eq!(real[0], (200, "blue /".to_string()));
    assert_eq!(real[1].1, "from-env|in global|f|gone");
    assert_eq!(lbc, real);
}
