//! The HAProxy parser driver: lexes, runs the LALRPOP grammar with error recovery and collects
//! the errors HAProxy's line reader raises (unclosed quotes, bad escapes and variable names,
//! lines out of any section, a missing final newline). Parsing never fails.

use lalrpop_util::{lalrpop_mod, ErrorRecovery, ParseError};

use super::cst::{SyntaxError, SyntaxTree, TextRange, WordKind};
use super::lexer::{lex, TokenKind};

lalrpop_mod!(
    #[allow(clippy::all, unused)]
    grammar,
    "/haproxy.rs"
);

/// The most words HAProxy accepts on one line (`MAX_LINE_ARGS`).
pub const MAX_WORDS: usize = 64;

/// Parses one file into a lossless tree plus its syntax errors.
pub fn parse(src: &str) -> SyntaxTree {
    let tokens = lex(src);
    let mut errors = Vec::new();
    let significant = |t: &&super::lexer::Token| !t.kind.is_trivia();
    let last = tokens.iter().rfind(significant).map(|t| t.kind);
    // HAProxy refuses a last line without its newline ("file might have been truncated"); the
    // grammar gets one anyway so the line is still read.
    let mut extra = None;
    if last.is_some_and(|k| k != TokenKind::Newline) {
        let end = src.len();
        let start = src[..end].rfind('\n').map_or(0, |i| i + 1);
        errors.push(SyntaxError {
            range: TextRange::new(start, end),
            message: "missing newline at the end of the file".into(),
            label: "this last line has no line feed".into(),
            help: Some("end the file with a newline: HAProxy refuses a last line without one, taking the file for truncated".into()),
        });
        extra = Some((src.len(), TokenKind::Newline, src.len()));
    }
    let stream = tokens
        .iter()
        .filter(significant)
        .map(|t| (t.start as usize, t.kind, t.end as usize))
        .chain(extra)
        .map(Ok);
    let mut recovered: Vec<ErrorRecovery<usize, TokenKind, ()>> = Vec::new();
    let (preamble, sections) = match grammar::FileParser::new().parse(&mut recovered, stream) {
        Ok(v) => v,
        Err(e) => {
            errors.push(convert(e));
            Default::default()
        }
    };
    for r in recovered {
        errors.push(convert(r.error));
    }
    let mut tree = SyntaxTree {
        tokens,
        preamble,
        sections,
        errors,
    };
    check_lines(src, &mut tree);
    tree.errors.sort_by_key(|e| (e.range.start, e.range.end));
    tree
}

fn convert(e: ParseError<usize, TokenKind, ()>) -> SyntaxError {
    let (s, e) = match e {
        ParseError::InvalidToken { location } => (location, location + 1),
        ParseError::UnrecognizedEof { location, .. } => (location, location),
        ParseError::UnrecognizedToken {
            token: (s, _, e), ..
        }
        | ParseError::ExtraToken { token: (s, _, e) } => (s, e),
        ParseError::User { .. } => (0, 0),
    };
    SyntaxError {
        range: TextRange::new(s, e),
        message: "unexpected token".into(),
        label: "unexpected here".into(),
        help: None,
    }
}

/// The line-level errors of HAProxy's reader, one per line at most (it skips the rest of a
/// line after its first error).
fn check_lines(src: &str, tree: &mut SyntaxTree) {
    let mut errors = Vec::new();
    // `.if`/`.else`/`.endif` and `.diag`-style directives are HAProxy's reader's own and may
    // stand anywhere; lines inside a `.if` block may be meant for another HAProxy version.
    let mut depth = 0usize;
    for line in &tree.preamble {
        let w = &line.words[0];
        match w.raw(src) {
            ".if" => depth += 1,
            ".endif" => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > 0 || w.raw(src).starts_with('.') {
            continue;
        }
        errors.push(SyntaxError {
            range: line.range,
            message: format!("`{}` is outside any section", w.value(src)),
            label: "no section header precedes this line".into(),
            help: Some(format!(
                "put it inside a section (`global`, `defaults`, `frontend NAME`, `backend NAME`, `listen NAME`, …) or comment it out with `#`; HAProxy rejects it with \"unknown keyword '{}' out of section\"",
                w.value(src)
            )),
        });
    }
    let lines = tree.preamble.iter().chain(
        tree.sections
            .iter()
            .flat_map(|s| std::iter::once(&s.header).chain(&s.lines)),
    );
    for line in lines {
        if let Some(e) = line_error(src, line) {
            errors.push(e);
        }
    }
    tree.errors.extend(errors);
}

fn line_error(src: &str, line: &super::cst::Line) -> Option<SyntaxError> {
    for w in &line.words {
        if w.kind == WordKind::Unterminated {
            let raw = w.raw(src);
            let at = w.range.start as usize + raw.find(['"', '\'']).unwrap_or(0);
            let quote = &src[at..at + 1];
            return Some(SyntaxError {
                range: TextRange::new(at, w.range.end as usize),
                message: format!("unterminated string: no closing {quote} on this line"),
                label: "this quote is never closed".into(),
                help: Some("close the quote on the same line (HAProxy reads one line at a time), or escape it as `\\\"`/`\\'`".into()),
            });
        }
        if let Some(e) = w.error(src) {
            let at = w.range.start as usize + e.at;
            return Some(SyntaxError {
                range: TextRange::new(at, (at + e.len).min(w.range.end as usize)),
                message: e.message.into(),
                label: "HAProxy cannot read this".into(),
                help: Some(e.help.into()),
            });
        }
    }
    if line.words.len() > MAX_WORDS {
        let w = &line.words[MAX_WORDS];
        return Some(SyntaxError {
            range: TextRange::new(w.range.start as usize, line.range.end as usize),
            message: format!(
                "too many words on one line: {} (HAProxy reads at most {MAX_WORDS})",
                line.words.len()
            ),
            label: "HAProxy rejects the line from here".into(),
            help: Some("split the line (several `acl` lines with the same name are OR-ed), or load long lists from a file with `-f`".into()),
        });
    }
    None
}
