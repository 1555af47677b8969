//! Rules: the registry, the context every rule reads, and the runner. One rule per file, each
//! with its documentation as its doc comment (printed by `lbc rule CODE` and in the book).

pub mod convert;
pub mod haproxy;
pub mod keepalived;
pub mod lvs;
pub mod nginx;
pub mod serve;

use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::Ir;
use crate::source::SourceMap;
use crate::syntax;

/// What rules read: the sources, the IR and the format-specific views that front-ends keep.
pub struct RuleContext<'a> {
    pub sources: &'a SourceMap,
    pub ir: &'a Ir,
    pub nginx: &'a [syntax::nginx::Lowered],
    pub haproxy: &'a [syntax::haproxy::Lowered],
    pub keepalived: &'a [syntax::keepalived::Lowered],
    pub lvs: &'a [syntax::lvs::Lowered],
}

/// Whether an IR node was lowered from an nginx file (or from an IR document whose sources do
/// not say otherwise). nginx rules that read the shared IR use it to leave other formats' nodes
/// alone.
pub(crate) fn from_nginx(ir: &Ir, origin: crate::ir::Origin) -> bool {
    ir.sources
        .get(origin.file as usize)
        .is_none_or(|s| s.format == crate::ir::Format::Nginx)
}

/// A registered rule.
pub struct Rule {
    pub code: &'static str,
    pub severity: Severity,
    /// The doc comment's first paragraph: what the rule flags.
    pub summary: &'static str,
    /// The full documentation (Markdown): what it does, why it matters, examples.
    pub doc: &'static str,
    /// Runs the rule. Rules reported by a front-end while parsing have none.
    pub check: Option<fn(&RuleContext, &mut Vec<Diagnostic>)>,
}

/// Declares a rule from its doc comment: `declare_rule!(/// docs… pub NAME, "code", severity, check)`.
#[macro_export]
macro_rules! declare_rule {
    ($(#[doc = $doc:literal])* pub $name:ident, $code:literal, $sev:ident, $check:expr) => {
        $(#[doc = $doc])*
        pub static $name: $crate::rules::Rule = $crate::rules::Rule {
            code: $code,
            severity: $crate::diagnostic::Severity::$sev,
            summary: first_line(concat!($($doc, "\n"),*)),
            doc: concat!($($doc, "\n"),*),
            check: $check,
        };
    };
}

/// The first paragraph of a doc comment (usable in statics); see [`Rule::summary_text`].
pub const fn first_line(doc: &'static str) -> &'static str {
    let bytes = doc.as_bytes();
    let mut end = 0;
    while end < bytes.len()
        && !(bytes[end] == b'\n' && end + 1 < bytes.len() && bytes[end + 1] == b'\n')
    {
        end += 1;
    }
    let (head, _) = bytes.split_at(end);
    match std::str::from_utf8(head) {
        Ok(s) => s,
        Err(_) => "",
    }
}

impl Rule {
    /// The summary on one line, whitespace normalized.
    pub fn summary_text(&self) -> String {
        self.summary
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Every rule, in code order.
pub fn all() -> Vec<&'static Rule> {
    let mut v = nginx::RULES.to_vec();
    v.extend_from_slice(haproxy::RULES);
    v.extend_from_slice(keepalived::RULES);
    v.extend_from_slice(lvs::RULES);
    v.extend_from_slice(convert::RULES);
    v.extend_from_slice(serve::RULES);
    v.sort_by_key(|r| r.code);
    v
}

pub fn find(code: &str) -> Option<&'static Rule> {
    all().into_iter().find(|r| r.code == code)
}

/// The slowest rules on a large nginx config, slowest first (`LBC_RULE_TIMINGS=1` times each).
const HEAVY: &[&str] = &[
    "nginx/undefined-upstream",
    "nginx/unreachable-location",
    "nginx/argument-count",
    "nginx/invalid-regex",
    "nginx/duplicate-location",
    "nginx/listen-conflict",
];

/// Runs every rule, on two threads: rules only read the context, and large configs are where
/// a linter's speed shows.
pub fn run(cx: &RuleContext) -> Vec<Diagnostic> {
    if std::env::var_os("LBC_RULE_TIMINGS").is_some() {
        // One thread, each rule timed: where a slow check spends its time.
        let mut out = Vec::new();
        for rule in all() {
            if let Some(check) = rule.check {
                let t = std::time::Instant::now();
                check(cx, &mut out);
                eprintln!("lbc: rule {} {:?}", rule.code, t.elapsed());
            }
        }
        return out;
    }
    // Longest first: the rules that visit every directive or location of a large config
    // start at once, so neither thread is left with a long one at the end.
    let mut rules = all();
    rules.sort_by_key(|r| {
        HEAVY
            .iter()
            .position(|&h| h == r.code)
            .unwrap_or(HEAVY.len())
    });
    let checks: Vec<_> = rules.into_iter().filter_map(|r| r.check).collect();
    // Each thread takes the next rule not yet taken; one rule's findings stay together and in
    // order, and the caller sorts, so the result does not depend on the scheduling.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let worker = || {
        let mut out = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(check) = checks.get(i) else {
                crate::timings::mark("rules done");
                return out;
            };
            check(cx, &mut out);
        }
    };
    let (mut out, other) = crate::par::join(worker, worker);
    out.extend(other);
    out
}

/// The part of `span` on its first line: for labels on a whole block, its header.
pub fn header_span(sources: &SourceMap, span: crate::source::Span) -> crate::source::Span {
    let text = sources.slice(span);
    let len = text.find('\n').unwrap_or(text.len());
    let len = text[..len]
        .trim_end_matches(['{', ' ', '\t', '\r'])
        .len()
        .max(1);
    crate::source::Span {
        end: span.start + len as u32,
        ..span
    }
}

/// A doc comment's text without the single leading space rustdoc keeps on each line.
pub fn unindent(doc: &str) -> String {
    doc.lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}
