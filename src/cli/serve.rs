//! `lbc serve`: runs the configuration in the built-in HTTP runtime (`--check` only plans it,
//! `--reload` signals the running instance to re-read its files).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::mpsc;

use super::{InputArgs, EXIT_FAILURE, EXIT_FINDINGS, EXIT_OK};
use crate::diagnostic::{self, Severity};
use crate::ir::Workers;
use crate::load::{load, LoadOptions};
use crate::serve::reload::{self, Control, PidFile};
use crate::serve::server::{self, Options};
use crate::serve::Plan;

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Files (or directories) that make up the deployment; none runs the bundled demo.
    pub files: Vec<PathBuf>,
    /// Where the demo listens (only without files).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Only compile the runtime tables: exit 0 when `serve` would start, 1 when it would refuse.
    #[arg(long)]
    pub check: bool,
    /// Serve the virtual servers of a keepalived file and only warn about its VRRP instances
    /// (lbc serve is not a VRRP speaker: the VIPs must already be addresses of this host).
    #[arg(long)]
    pub ignore_vrrp: bool,
    /// Ask the running instance (found through the pid file) to re-read the files it was
    /// started with.
    #[arg(long, conflicts_with = "check")]
    pub reload: bool,
    /// The pid file written at start and read by `--reload` [default: $XDG_RUNTIME_DIR/lbc-serve.pid,
    /// else /tmp/lbc-serve.pid].
    #[arg(long, value_name = "PATH")]
    pub pid_file: Option<PathBuf>,
    /// Serve Prometheus metrics at http://ADDR:PORT/metrics.
    #[arg(long, value_name = "ADDR:PORT")]
    pub admin: Option<SocketAddr>,
    /// Worker threads [default: `worker_processes` of the configuration, else one per core].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub input: InputArgs,
}

pub fn run(a: &ServeArgs) -> i32 {
    let pid_file = a.pid_file.clone().unwrap_or_else(reload::default_pid_file);
    if a.reload {
        if !a.files.is_empty() {
            eprintln!("lbc serve: the running instance re-reads the files it was started with");
        }
        return match reload::signal_reload(&pid_file) {
            Ok(pid) => {
                eprintln!("lbc serve: asked process {pid} to reload");
                EXIT_OK
            }
            Err(e) => {
                eprintln!("error: {e}");
                EXIT_FAILURE
            }
        };
    }
    if a.files.is_empty() {
        return demo(a, &pid_file);
    }
    let options = a.input.load_options();
    let l4 = crate::serve::l4::Options {
        ignore_vrrp: a.ignore_vrrp,
    };
    let Some((plan, workers)) = compile(&a.files, &options, &l4) else {
        eprintln!("lbc serve: refusing to start");
        return EXIT_FINDINGS;
    };
    if a.check {
        eprintln!("lbc serve: the configuration can be served");
        return EXIT_OK;
    }
    let files = a.files.clone();
    // A reload re-plans with the same L4 choices (`--ignore-vrrp`).
    let loader: reload::Loader = Arc::new(move || {
        let (plan, new_workers) = compile(&files, &options, &l4)?;
        if new_workers != workers {
            eprintln!("lbc serve: a new worker count applies after a restart, not a reload");
        }
        Some(plan)
    });
    let opts = Options {
        loader: Some(loader),
        admin: a.admin,
    };
    serve(a.threads.or(workers), &pid_file, |control| {
        server::run(plan, opts, control)
    })
}

/// Loads and plans `files`, reporting diagnostics on stderr: the plan and the configured worker
/// count, or `None` when the configuration cannot be served.
fn compile(
    files: &[PathBuf],
    options: &LoadOptions,
    l4: &crate::serve::l4::Options,
) -> Option<(Plan, Option<usize>)> {
    let loaded = match load(files, options) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return None;
        }
    };
    let mut diags: Vec<_> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .cloned()
        .collect();
    let (plan, findings) = crate::serve::plan_in(&loaded.ir, l4, options.prefix.as_deref());
    diags.extend(findings);
    diagnostic::sort(&mut diags);
    if !diags.is_empty() {
        eprint!(
            "{}",
            diagnostic::render_human(&loaded.sources, &diags, false, 100)
        );
    }
    let refused = diags.iter().any(|d| d.severity == Severity::Error);
    let workers = loaded.ir.process.workers.as_ref().map(|w| match w.value {
        Workers::Count(n) => n.max(1) as usize,
        Workers::Auto => std::thread::available_parallelism().map_or(1, |n| n.get()),
    });
    plan.filter(|_| !refused).map(|p| (p, workers))
}

/// Runs `server` on a runtime of `threads` workers with signals wired to its control channel
/// and the pid file in place, then stops the runtime without waiting for stray tasks.
fn serve<F, Fut>(threads: Option<usize>, pid_file: &Path, server: F) -> i32
where
    F: FnOnce(mpsc::UnboundedReceiver<Control>) -> Fut,
    Fut: std::future::Future<Output = std::io::Result<()>>,
{
    // One worker needs no work stealing: a current-thread runtime, like one nginx worker.
    let mut builder = match threads {
        Some(1) => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    };
    builder
        .enable_all()
        .on_thread_start(crate::serve::hold_parser_pages);
    crate::serve::hold_parser_pages();
    if let Some(n) = threads.filter(|n| *n > 1) {
        builder.worker_threads(n);
    }
    let runtime = match builder.build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_FAILURE;
        }
    };
    let _pid = match PidFile::create(pid_file) {
        Ok(p) => Some(p),
        Err(e) => {
            eprintln!(
                "lbc serve: warning: cannot write the pid file {}: {e}",
                pid_file.display()
            );
            None
        }
    };
    let result = runtime.block_on(async {
        let (tx, rx) = mpsc::unbounded_channel();
        reload::signals(tx).await;
        server(rx).await
    });
    // Upstream pool reapers and connections cut by SIGQUIT must not delay the exit.
    runtime.shutdown_background();
    match result {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_FAILURE
        }
    }
}

/// `lbc serve` with no file: two built-in backends behind a round-robin pool.
fn demo(a: &ServeArgs, pid_file: &Path) -> i32 {
    let listen = a.listen;
    serve(a.threads, pid_file, |control| async move {
        let b1 = crate::serve::demo::backend("backend-1").await?;
        let b2 = crate::serve::demo::backend("backend-2").await?;
        let text = crate::serve::demo::config(listen, [b1, b2]);
        let plan = demo_plan(&text)?;
        eprintln!("lbc serve demo: http://{listen} balances over backend-1 ({b1}) and backend-2 ({b2}); configuration:\n\n{text}");
        // A reload re-plans the same text: the demo has no file to re-read.
        let loader: reload::Loader = Arc::new(move || demo_plan(&text).ok());
        let opts = Options {
            loader: Some(loader),
            admin: a.admin,
        };
        server::run(plan, opts, control).await
    })
}

fn demo_plan(text: &str) -> std::io::Result<Plan> {
    let mut sources = crate::source::SourceMap::new();
    let id = sources.add("demo.conf", text.to_string());
    let mut ir = crate::ir::Ir {
        schema_version: crate::ir::SCHEMA_VERSION,
        ..Default::default()
    };
    let lowered = crate::syntax::nginx::lower(&mut sources, id, &Default::default(), &mut ir);
    crate::load::link_pools(&mut ir);
    let (plan, findings) = crate::serve::plan(&ir);
    let problems: Vec<_> = lowered
        .diagnostics
        .into_iter()
        .chain(findings)
        .filter(|d| d.severity == Severity::Error)
        .collect();
    match plan.filter(|_| problems.is_empty()) {
        Some(p) => Ok(p),
        None => {
            eprint!(
                "{}",
                diagnostic::render_human(&sources, &problems, false, 100)
            );
            Err(std::io::Error::other(
                "the demo configuration cannot be served",
            ))
        }
    }
}
