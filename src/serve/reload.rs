//! Operating a running `lbc serve`, nginx-style: signals become [`Control`] messages (SIGHUP
//! reloads, SIGTERM/SIGINT drain, SIGQUIT stops at once), a pid file lets `lbc serve --reload`
//! find the running instance, and a reload carries the live state of the servers that remain
//! over to the new tables.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::plan::{Plan, UpstreamPool};

/// What the running server is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Re-read the configuration and swap the tables (SIGHUP).
    Reload,
    /// Close the listeners, let requests in flight finish, then exit (SIGTERM, SIGINT).
    Drain,
    /// Exit at once (SIGQUIT).
    Quit,
}

/// Re-reads the configuration: the new plan, or `None` (the diagnostics already reported)
/// when it cannot be served.
pub type Loader = Arc<dyn Fn() -> Option<Plan> + Send + Sync>;

/// Forwards the process's signals as [`Control`] messages until the receiver goes away.
pub async fn signals(tx: mpsc::UnboundedSender<Control>) {
    use tokio::signal::unix::{signal, SignalKind};
    let kinds = [
        (SignalKind::hangup(), Control::Reload),
        (SignalKind::terminate(), Control::Drain),
        (SignalKind::interrupt(), Control::Drain),
        (SignalKind::quit(), Control::Quit),
    ];
    for (kind, control) in kinds {
        match signal(kind) {
            Ok(mut s) => {
                let tx = tx.clone();
                tokio::spawn(async move {
                    while s.recv().await.is_some() {
                        if tx.send(control).is_err() {
                            break;
                        }
                    }
                });
            }
            Err(e) => eprintln!("lbc serve: cannot handle {control:?} signals: {e}"),
        }
    }
}

/// Copies the counters of the servers that remain (same pool name, same address) from the
/// old tables into the new ones, so metrics and health verdicts do not restart from zero.
/// Requests in flight keep counting on the old peers, which they still hold.
pub fn inherit(old: &[Arc<UpstreamPool>], new: &[Arc<UpstreamPool>]) {
    for n in new {
        let Some(o) = old.iter().find(|o| o.peers.name == n.peers.name) else {
            continue;
        };
        for np in &n.peers.peers {
            let Some(op) = o.peers.peers.iter().find(|op| op.addr == np.addr) else {
                continue;
            };
            np.attempts.store(op.attempts.load(Relaxed), Relaxed);
            np.failures.store(op.failures.load(Relaxed), Relaxed);
            np.set_check_up(op.is_check_up());
        }
    }
}

/// Where the pid file goes without `--pid-file`: `$XDG_RUNTIME_DIR/lbc-serve.pid`, else
/// `/tmp/lbc-serve.pid`.
pub fn default_pid_file() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir).join("lbc-serve.pid"),
        None => PathBuf::from("/tmp/lbc-serve.pid"),
    }
}

/// The pid file of this process, removed on drop unless another instance has replaced it.
pub struct PidFile {
    path: PathBuf,
    pid: u32,
}

impl PidFile {
    pub fn create(path: &Path) -> std::io::Result<PidFile> {
        let pid = std::process::id();
        std::fs::write(path, format!("{pid}\n"))?;
        Ok(PidFile {
            path: path.to_path_buf(),
            pid,
        })
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        if read_pid(&self.path).ok() == Some(self.pid) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn read_pid(path: &Path) -> Result<u32, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the pid file {}: {e}", path.display()))?;
    text.trim()
        .parse()
        .map_err(|_| format!("the pid file {} holds no process id", path.display()))
}

/// Sends SIGHUP to the instance named by the pid file (`lbc serve --reload`).
pub fn signal_reload(pid_file: &Path) -> Result<u32, String> {
    let pid = read_pid(pid_file)?;
    let status = std::process::Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()
        .map_err(|e| format!("cannot run kill: {e}"))?;
    if status.success() {
        Ok(pid)
    } else {
        Err(format!(
            "no lbc serve process {pid} (from {}) could be signalled",
            pid_file.display()
        ))
    }
}
