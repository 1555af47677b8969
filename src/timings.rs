//! A timeline of one run for `LBC_TIMINGS=1`: each phase prints when it ended, in milliseconds
//! since the process started, and on which thread — where a slow check spends its wall time.

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
            "lbc: {:8.3} ms  [{}] {what}",
            t.elapsed().as_secs_f64() * 1000.0,
            thread.name().unwrap_or("worker")
        );
    }
}
