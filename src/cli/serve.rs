//! `lbc serve`: runs the configuration in the built-in HTTP runtime (`--check` only plans it).

use std::path::PathBuf;

use super::{InputArgs, EXIT_FAILURE, EXIT_FINDINGS, EXIT_OK};
use crate::diagnostic::{self, Severity};
use crate::load::load;

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Files (or directories) that make up the deployment; none runs the bundled demo.
    pub files: Vec<PathBuf>,
    /// Where the demo listens (only without files).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// Only compile the runtime tables: exit 0 when `serve` would start, 1 when it would refuse.
    #[arg(long)]
    pub check: bool,
    /// Serve the virtual servers of a keepalived file and only warn about its VRRP instances
    /// (lbc serve is not a VRRP speaker: the VIPs must already be addresses of this host).
    #[arg(long)]
    pub ignore_vrrp: bool,
    #[command(flatten)]
    pub input: InputArgs,
}

pub fn run(a: &ServeArgs) -> i32 {
    if a.files.is_empty() {
        return demo(a);
    }
    let loaded = match load(&a.files, &a.input.load_options()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_FAILURE;
        }
    };
    let mut diags: Vec<_> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .cloned()
        .collect();
    let l4 = crate::serve::l4::Options {
        ignore_vrrp: a.ignore_vrrp,
    };
    let (plan, findings) = crate::serve::plan_in(&loaded.ir, &l4, a.input.prefix.as_deref());
    diags.extend(findings);
    diagnostic::sort(&mut diags);
    if !diags.is_empty() {
        eprint!(
            "{}",
            diagnostic::render_human(&loaded.sources, &diags, false, 100)
        );
    }
    let refused = diags.iter().any(|d| d.severity == Severity::Error);
    let plan = match plan {
        Some(p) if !refused => p,
        _ => {
            eprintln!("lbc serve: refusing to start");
            return EXIT_FINDINGS;
        }
    };
    if a.check {
        eprintln!("lbc serve: the configuration can be served");
        return EXIT_OK;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_FAILURE;
        }
    };
    let result = runtime.block_on(crate::serve::server::run(plan, stop_signal()));
    match result {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_FAILURE
        }
    }
}

/// `lbc serve` with no file: two built-in backends behind a round-robin pool.
fn demo(a: &ServeArgs) -> i32 {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let b1 = crate::serve::demo::backend("backend-1").await?;
        let b2 = crate::serve::demo::backend("backend-2").await?;
        let text = crate::serve::demo::config(a.listen, [b1, b2]);
        let mut sources = crate::source::SourceMap::new();
        let id = sources.add("demo.conf", text.clone());
        let mut ir = crate::ir::Ir { schema_version: crate::ir::SCHEMA_VERSION, ..Default::default() };
        let lowered = crate::syntax::nginx::lower(&mut sources, id, &Default::default(), &mut ir);
        crate::load::link_pools(&mut ir);
        let (plan, findings) = crate::serve::plan(&ir);
        let problems: Vec<_> = lowered.diagnostics.into_iter().chain(findings).filter(|d| d.severity == Severity::Error).collect();
        let Some(plan) = plan.filter(|_| problems.is_empty()) else {
            eprint!("{}", diagnostic::render_human(&sources, &problems, false, 100));
            return Err(std::io::Error::other("the demo configuration cannot be served"));
        };
        eprintln!("lbc serve demo: http://{} balances over backend-1 ({b1}) and backend-2 ({b2}); configuration:\n\n{text}", a.listen);
        crate::serve::server::run(plan, stop_signal()).await
    });
    match result {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_FAILURE
        }
    }
}

/// Completes on SIGTERM or SIGINT.
async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
