//! `lbc fmt`: rewrites nginx and HAProxy files in place in the canonical layout, or (`--check`) shows the
//! diff and fails, for CI.

use std::path::{Path, PathBuf};

use super::{FormatArg, EXIT_FAILURE, EXIT_FINDINGS, EXIT_OK};
use crate::diagnostic::{self, Diagnostic, Severity};
use crate::fmt::{self, FmtError};
use crate::ir::Format;
use crate::source::{decode, SourceMap, Span};

#[derive(clap::Args, Debug)]
pub struct FmtArgs {
    /// Files to format in place; a directory stands for the files directly inside it.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Write nothing; print a diff for each file that is not formatted and exit 1.
    #[arg(long)]
    pub check: bool,
    /// Print the formatted text instead of writing it.
    #[arg(long, conflicts_with = "check")]
    pub stdout: bool,
    /// Input format (detected from the name and content when not given).
    #[arg(long, value_enum)]
    pub from: Option<FormatArg>,
}

pub fn run(a: &FmtArgs) -> i32 {
    let files = match crate::load::expand(&a.files) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_FAILURE;
        }
    };
    files.iter().map(|f| one(a, f)).max().unwrap_or(EXIT_OK)
}

fn one(a: &FmtArgs, path: &Path) -> i32 {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            return EXIT_FAILURE;
        }
    };
    let (old, latin1) = decode(bytes);
    let format = match a.from {
        Some(FormatArg::Nginx) => Format::Nginx,
        Some(FormatArg::Haproxy) => Format::Haproxy,
        Some(FormatArg::Keepalived) => Format::Keepalived,
        Some(FormatArg::Ipvsadm) => Format::Ipvsadm,
        Some(FormatArg::Yaml) => Format::Yaml,
        Some(FormatArg::Json) => Format::Json,
        None => crate::load::detect(path, &old),
    };
    let formatted = match format {
        Format::Nginx => fmt::nginx::format(&old),
        Format::Haproxy => fmt::haproxy::format(&old),
        _ => {
            eprintln!(
                "error: {}: this is a {format} file; lbc fmt formats nginx and HAProxy files only",
                path.display()
            );
            return EXIT_FAILURE;
        }
    };
    let new = match formatted {
        Ok(n) => n,
        Err(FmtError::Syntax(errors)) => {
            report_syntax(path, old, &errors, format);
            eprintln!(
                "error: {}: not formatted: the file has syntax errors",
                path.display()
            );
            return EXIT_FINDINGS;
        }
        Err(FmtError::Internal(m)) => {
            eprintln!("error: {}: {m}", path.display());
            return EXIT_FAILURE;
        }
    };
    if a.check {
        if new == old {
            return EXIT_OK;
        }
        super::out(&diff(&old, &new, &path.display().to_string()));
        return EXIT_FINDINGS;
    }
    if a.stdout {
        // Latin-1 bytes go out as they came in.
        use std::io::Write;
        let _ = std::io::stdout()
            .lock()
            .write_all(&fmt::encode(&new, latin1));
        return EXIT_OK;
    }
    if new != old {
        if let Err(e) = std::fs::write(path, fmt::encode(&new, latin1)) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return EXIT_FAILURE;
        }
    }
    EXIT_OK
}

/// A unified diff from `old` to `new`, both headers naming `name`.
pub(super) fn diff(old: &str, new: &str, name: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .header(name, name)
        .to_string()
}

/// Renders syntax errors the way `lbc check` does, on stderr.
fn report_syntax(
    path: &Path,
    text: String,
    errors: &[crate::syntax::nginx::cst::SyntaxError],
    format: Format,
) {
    let code = match format {
        Format::Haproxy => "haproxy/syntax",
        _ => "nginx/syntax",
    };
    let mut sources = SourceMap::new();
    let file = sources.add(path, text);
    let mut diags: Vec<Diagnostic> = errors
        .iter()
        .map(|e| {
            let span = Span::new(file, e.range.start, e.range.end);
            let mut d = Diagnostic::new(code, Severity::Error, e.message.clone(), span)
                .label(e.label.clone());
            if let Some((r, m)) = &e.related {
                d = d.with_secondary(Span::new(file, r.start, r.end), m.clone());
            }
            if let Some(h) = &e.help {
                d = d.help(h.clone());
            }
            d
        })
        .collect();
    diagnostic::sort(&mut diags);
    eprint!("{}", diagnostic::render_human(&sources, &diags, false, 100));
}
