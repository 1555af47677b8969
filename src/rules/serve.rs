//! The diagnostics of `lbc serve`: configuration the built-in runtime cannot honour.

use crate::declare_rule;
use crate::rules::first_line;

declare_rule! {
    /// Something of the configuration that the built-in runtime of `lbc serve` cannot honour.
    ///
    /// ## What it does
    /// `lbc serve` (and `lbc serve --check`) compiles the configuration into its runtime tables
    /// and reports every directive outside what the runtime implements (static files, `ip_hash`
    /// and other algorithms, `backup` servers, TLS listeners, stream services, limits, …),
    /// pointing at the directive. Any such error makes `serve` refuse to start; directives that
    /// change nothing in routing or answers (`access_log`, `charset`, timeouts) are warnings.
    ///
    /// ## Why it matters
    /// A proxy that silently skips part of its configuration answers differently from the one
    /// the configuration was written for; refusing to start is the only safe choice.
    pub UNSUPPORTED, "serve/unsupported", Error, None
}

pub static RULES: &[&crate::rules::Rule] = &[&UNSUPPORTED];
