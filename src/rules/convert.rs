//! The diagnostics of `lbc convert`: what a target format cannot express, or only approximately.

use crate::declare_rule;
use crate::rules::first_line;

declare_rule! {
    /// Something of the source that the target format cannot express: it is left out of the
    /// converted file.
    ///
    /// ## What it does
    /// `lbc convert --to FORMAT` reports every IR element the emitter of FORMAT has no way to
    /// write (an nginx `map` when writing HAProxy, an L7 route when writing ipvsadm, a directive
    /// lbc keeps as opaque), pointing at the source. `--strict` makes these errors and writes
    /// nothing. The summary line counts what was carried over, approximated and dropped.
    ///
    /// ## Why it matters
    /// A migration must never lose configuration silently; each of these needs a decision.
    pub UNSUPPORTED, "convert/unsupported", Warning, None
}

declare_rule! {
    /// Something of the source written with different semantics in the target format.
    ///
    /// ## What it does
    /// Reports conversions that keep the idea but not the exact behaviour: nginx `ip_hash`
    /// (first three octets) as HAProxy `balance source` (whole address), passive `max_fails`
    /// as active `check fall`, IPVS `sh` as either. `--strict` makes these errors.
    ///
    /// ## Why it matters
    /// The converted file is valid but behaves differently in the way the message describes;
    /// check it is acceptable before switching traffic.
    pub APPROXIMATED, "convert/approximated", Info, None
}

pub static RULES: &[&crate::rules::Rule] = &[&UNSUPPORTED, &APPROXIMATED];
