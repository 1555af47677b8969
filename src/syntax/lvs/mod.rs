//! The LVS front-end: ipvsadm shell scripts (a POSIX-shell subset, evaluated in order),
//! `ipvsadm-save`/`ipvsadm -Sn` rules files (read as scripts whose lines are ipvsadm calls) and
//! `ipvsadm -L [-n]` listings. All three become `Ir.virtual_services`; scripts also give
//! interface addresses, routes and kernel settings. Format page: `book/src/formats/lvs.md`.

pub mod cst;
pub mod eval;
pub mod expand;
pub mod ipvsadm;
pub mod lexer;
pub mod listing;
pub mod net;
pub mod parser;
pub mod state;

use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::Ir;
use crate::source::{FileId, SourceMap, Span};
use cst::TextRange;
use ipvsadm::{Dialect, Invocation};

pub use parser::parse;

/// Whether this front-end can read files; `load` reports the format as unsupported otherwise.
pub const AVAILABLE: bool = true;

/// What kind of LVS file it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A shell script or a rules file.
    Script,
    /// An `ipvsadm -L` listing.
    Listing,
}

/// One ipvsadm call lbc evaluated (for listings, the call each line stands for).
#[derive(Debug, Clone)]
pub struct Call {
    /// The whole command (or listing line).
    pub range: TextRange,
    pub inv: Invocation,
    pub listing: bool,
}

/// What the front-end keeps for rules besides the IR.
pub struct Lowered {
    pub file: FileId,
    pub kind: Kind,
    pub dialect: Dialect,
    /// Every token of the file; their texts concatenated give the file back.
    pub tokens: Vec<lexer::Token>,
    /// The calls that changed the IPVS table, in order.
    pub calls: Vec<Call>,
    /// Real servers added to a service that already had them.
    pub duplicates: Vec<state::Duplicate>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Lowered {
    pub fn span(&self, r: TextRange) -> Span {
        Span::new(self.file, r.start, r.end)
    }
}

/// DPVS's ipvsadm is assumed when the file mentions DPVS's tools or its options.
fn dialect(text: &str) -> Dialect {
    let t = text.to_lowercase();
    if ["dpip", "dpvs", "--add-laddr", "--fullnat"]
        .iter()
        .any(|k| t.contains(k))
    {
        Dialect::Dpvs
    } else {
        Dialect::Standard
    }
}

/// The tokens of a file, as the front-end lexes it (listing or shell).
pub fn tokens(text: &str) -> Vec<lexer::Token> {
    if listing::is_listing(text) {
        listing::lex(text)
    } else {
        lexer::lex(text)
    }
}

/// The closest of `names` to `name`, if close enough to be a likely typo.
pub fn did_you_mean<'a>(name: &str, names: &[&'a str]) -> Option<&'a str> {
    names
        .iter()
        .map(|n| (strsim::jaro_winkler(name, n), *n))
        .filter(|(s, _)| *s > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n)
}

/// Parses `file` and lowers it into `ir`.
pub fn lower(sources: &mut SourceMap, file: FileId, ir: &mut Ir) -> Lowered {
    let text = sources.get(file).text.clone();
    let dialect = dialect(&text);
    let mut diagnostics = Vec::new();
    let syntax = |r: TextRange, message: String, label: String, sev: Severity| {
        Diagnostic::new("lvs/syntax", sev, message, Span::new(file, r.start, r.end)).label(label)
    };
    if listing::is_listing(&text) {
        let tokens = listing::lex(&text);
        let (lines, errors) = listing::calls(&text, &tokens);
        for e in errors {
            diagnostics.push(syntax(e.range, e.message, e.label, Severity::Warning));
        }
        let mut table = state::Table::new(file);
        let mut calls = Vec::new();
        for (range, inv) in lines {
            diagnostics.extend(table.apply(&inv, range, true));
            calls.push(Call {
                range,
                inv,
                listing: true,
            });
        }
        let duplicates = std::mem::take(&mut table.duplicates);
        ir.virtual_services.extend(table.into_services());
        return Lowered {
            file,
            kind: Kind::Listing,
            dialect,
            tokens,
            calls,
            duplicates,
            diagnostics,
        };
    }
    let script = parser::parse(&text);
    for e in &script.errors {
        let mut d = syntax(e.range, e.message.clone(), e.label.clone(), Severity::Error);
        if let Some(h) = &e.help {
            d = d.help(h.clone());
        }
        diagnostics.push(d);
    }
    let mut out = eval::evaluate(&text, file, &script, dialect);
    diagnostics.append(&mut out.diagnostics);
    let duplicates = std::mem::take(&mut out.table.duplicates);
    ir.virtual_services.extend(out.table.into_services());
    ir.interface_addresses.append(&mut out.addresses);
    ir.static_routes.append(&mut out.routes);
    ir.sysctls.append(&mut out.sysctls);
    ir.opaque.append(&mut out.opaque);
    Lowered {
        file,
        kind: Kind::Script,
        dialect,
        tokens: script.tokens,
        calls: out.calls,
        duplicates,
        diagnostics,
    }
}
