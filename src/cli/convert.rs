//! `lbc convert`: reads files into the IR and writes it in another format, reporting what the
//! target cannot express.

use std::path::PathBuf;

use clap::ValueEnum;

use super::{InputArgs, EXIT_FAILURE, EXIT_FINDINGS, EXIT_OK};
use crate::diagnostic::{self, Severity};
use crate::emit;
use crate::load::load;

#[derive(clap::Args, Debug)]
pub struct ConvertArgs {
    /// Files to convert together.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Target format.
    #[arg(long, value_enum)]
    pub to: Target,
    /// Write to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Write nothing: print the unified diff from this file to the generated text (exit 0 when
    /// they are the same, 1 when they differ).
    #[arg(long, value_name = "EXISTING", conflicts_with = "output")]
    pub diff: Option<PathBuf>,
    /// Treat anything dropped or approximated as an error (exit 1, nothing written).
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Nginx,
    Haproxy,
    Keepalived,
    /// An `ipvsadm-restore` rules file.
    Ipvsadm,
    /// A commented shell script that calls `ipvsadm`.
    IpvsadmScript,
    Yaml,
    Json,
}

impl Target {
    fn emit_target(self) -> emit::Target {
        match self {
            Target::Nginx => emit::Target::Nginx,
            Target::Haproxy => emit::Target::Haproxy,
            Target::Keepalived => emit::Target::Keepalived,
            Target::Ipvsadm => emit::Target::Ipvsadm,
            Target::IpvsadmScript => emit::Target::IpvsadmScript,
            Target::Yaml => emit::Target::Yaml,
            Target::Json => emit::Target::Json,
        }
    }
}

pub fn run(a: &ConvertArgs) -> i32 {
    let target = a.to.emit_target();
    if !emit::available(target) {
        eprintln!("error: lbc cannot write {:?} yet", a.to);
        return EXIT_FAILURE;
    }
    let loaded = match load(&a.files, &a.input.load_options()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_FAILURE;
        }
    };
    let mut diags = loaded.diagnostics.clone();
    if diags.iter().any(|d| d.severity == Severity::Error) {
        diagnostic::sort(&mut diags);
        eprint!(
            "{}",
            diagnostic::render_human(&loaded.sources, &diags, false, 100)
        );
        eprintln!("error: not converting: the input has errors");
        return EXIT_FINDINGS;
    }
    let emitted = emit::emit(&loaded.ir, target);
    diags.extend(emitted.diagnostics.iter().map(|d| {
        let mut d = d.clone();
        if a.strict {
            d.severity = Severity::Error;
        }
        d
    }));
    diagnostic::sort(&mut diags);
    if !diags.is_empty() {
        eprint!(
            "{}",
            diagnostic::render_human(&loaded.sources, &diags, false, 100)
        );
    }
    let s = emitted.summary;
    if !matches!(target, emit::Target::Yaml | emit::Target::Json) {
        eprintln!(
            "lbc: {} carried over, {} approximated, {} dropped",
            s.carried, s.approximated, s.dropped
        );
    }
    if diags.iter().any(|d| d.severity == Severity::Error) {
        eprintln!("error: not writing: --strict and the conversion is not exact");
        return EXIT_FINDINGS;
    }
    if let Some(existing) = &a.diff {
        return diff_with(existing, &emitted.text);
    }
    match &a.output {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &emitted.text) {
                eprintln!("error: cannot write {}: {e}", path.display());
                return EXIT_FAILURE;
            }
        }
        None => super::out(&emitted.text),
    }
    EXIT_OK
}

/// `--diff`: the unified diff from `existing` to `generated`, headed by the existing file's name
/// on both sides so that `patch -p0` applies it.
fn diff_with(existing: &std::path::Path, generated: &str) -> i32 {
    let old = match std::fs::read(existing) {
        Ok(b) => crate::source::decode(b).0,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", existing.display());
            return EXIT_FAILURE;
        }
    };
    if old == generated {
        return EXIT_OK;
    }
    super::out(&super::fmt::diff(
        &old,
        generated,
        &existing.display().to_string(),
    ));
    EXIT_FINDINGS
}
