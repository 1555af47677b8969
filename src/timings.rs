//! A timeline of one run for `LBC_TIMINGS=1`: each phase prints when it ended, in milliseconds
//! since the process started, on which thread, and the process's resident memory then — where a
//! slow check spends its wall time (memory is time: fresh pages are zeroed by the kernel).

use std::sync::OnceLock;
use std::time::Instant;

static START: OnceLock<Option<Instant>> = OnceLock::new();

/// Starts the clock (call first thing in `main`); a no-op unless `LBC_TIMINGS` is set.
pub fn start() {
    START.get_or_init(|| std::env::var_os("LBC_TIMINGS").map(|_| Instant::now()));
}

/// Whether timings are printed.
pub fn enabled() -> bool {
    matches!(START.get(), Some(Some(_)))
}

/// Prints `what` with the time since [`start`].
pub fn mark(what: impl std::fmt::Display) {
    if let Some(Some(t)) = START.get() {
        let thread = std::thread::current();
        eprintln!(
            "lbc: {:8.3} ms {:>6.1} MB  [{}] {what}",
            t.elapsed().as_secs_f64() * 1000.0,
            resident_mb(),
            thread.name().unwrap_or("worker")
        );
    }
}

/// The process's resident memory in MB (0 where `/proc/self/statm` cannot be read).
fn resident_mb() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / 1e6
}
