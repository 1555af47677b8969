//! Emitters: the IR written in each target format, with a diagnostic for everything the target
//! cannot express (`convert/unsupported`) or expresses only approximately
//! (`convert/approximated`), and a count of what was carried over.

pub mod haproxy;
pub mod ipvsadm;
pub mod keepalived;
pub mod nginx;

use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::{Ir, Origin};

/// A format lbc writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Nginx,
    Haproxy,
    Keepalived,
    /// An `ipvsadm-restore` rules file.
    Ipvsadm,
    /// A commented shell script calling `ipvsadm`.
    IpvsadmScript,
    Yaml,
    Json,
}

/// What one conversion carried over, approximated and dropped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub carried: usize,
    pub approximated: usize,
    pub dropped: usize,
}

/// The output of an emitter.
#[derive(Debug, Default)]
pub struct Emitted {
    pub text: String,
    pub diagnostics: Vec<Diagnostic>,
    pub summary: Summary,
}

/// What emitters write into: the text, and the account of what did not fit.
#[derive(Debug, Default)]
pub struct Emitter {
    pub out: Emitted,
    indent: usize,
}

impl Emitter {
    /// Appends one line at the current indentation (four spaces a level).
    pub fn line(&mut self, text: impl AsRef<str>) {
        let text = text.as_ref();
        if !text.is_empty() {
            for _ in 0..self.indent {
                self.out.text.push_str("    ");
            }
            self.out.text.push_str(text);
        }
        self.out.text.push('\n');
    }

    pub fn blank(&mut self) {
        if !self.out.text.is_empty() && !self.out.text.ends_with("\n\n") {
            self.out.text.push('\n');
        }
    }

    pub fn indent(&mut self) {
        self.indent += 1;
    }

    pub fn dedent(&mut self) {
        self.indent = self.indent.saturating_sub(1);
    }

    /// Counts an element written faithfully.
    pub fn carried(&mut self) {
        self.out.summary.carried += 1;
    }

    /// Reports an element the target cannot express; it is left out of the output.
    pub fn unsupported(
        &mut self,
        origin: Origin,
        what: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.out.summary.dropped += 1;
        self.out.diagnostics.push(
            Diagnostic::new(
                "convert/unsupported",
                Severity::Warning,
                what,
                origin.span(),
            )
            .label("not carried over")
            .help(help),
        );
    }

    /// Reports an element written with different semantics in the target.
    pub fn approximated(
        &mut self,
        origin: Origin,
        what: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.out.summary.approximated += 1;
        self.out.diagnostics.push(
            Diagnostic::new("convert/approximated", Severity::Info, what, origin.span())
                .label("approximated")
                .help(help),
        );
    }
}

/// Writes `ir` in `target`.
pub fn emit(ir: &Ir, target: Target) -> Emitted {
    let mut e = Emitter::default();
    match target {
        Target::Yaml => e.out.text = serde_yaml::to_string(ir).expect("the IR serializes"),
        Target::Json => {
            e.out.text = serde_json::to_string_pretty(ir).expect("the IR serializes") + "\n"
        }
        Target::Nginx => nginx::emit(ir, &mut e),
        Target::Haproxy => haproxy::emit(ir, &mut e),
        Target::Keepalived => keepalived::emit(ir, &mut e),
        Target::Ipvsadm => ipvsadm::emit(ir, &mut e, false),
        Target::IpvsadmScript => ipvsadm::emit(ir, &mut e, true),
    }
    e.out
}

/// Whether the emitter for `target` exists yet.
pub fn available(target: Target) -> bool {
    match target {
        Target::Yaml | Target::Json => true,
        Target::Nginx => nginx::AVAILABLE,
        Target::Haproxy => haproxy::AVAILABLE,
        Target::Keepalived => keepalived::AVAILABLE,
        Target::Ipvsadm | Target::IpvsadmScript => ipvsadm::AVAILABLE,
    }
}
