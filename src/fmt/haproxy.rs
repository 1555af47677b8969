//! The HAProxy formatter, line by line: section keywords at column 0, every other line indented
//! four spaces, one space between words, a trailing comment after one space, at most one blank
//! line in a row. Words keep their text (quotes and escapes untouched) and stay on their line.
//!
//! A comment on its own line takes the indentation of the line that follows it, or of the line
//! before it when a blank line separates it from what follows (a disabled `server` line at the
//! end of a section stays inside the section).

use super::FmtError;
use crate::syntax::haproxy::lexer::{lex, Token, TokenKind};
use crate::syntax::haproxy::parse;
use crate::syntax::nginx::cst as ncst;

const INDENT: &str = "    ";

/// One source line without its blanks and line end.
struct Line {
    tokens: Vec<Token>,
}

impl Line {
    fn is_blank(&self) -> bool {
        self.tokens.is_empty()
    }
    fn is_comment(&self) -> bool {
        self.tokens.len() == 1 && self.tokens[0].kind == TokenKind::Comment
    }
    fn is_section(&self) -> bool {
        self.tokens
            .first()
            .is_some_and(|t| t.kind == TokenKind::Section)
    }
}

/// Formats one HAProxy file; syntax errors leave it unformatted.
pub fn format(src: &str) -> Result<String, FmtError> {
    let tree = parse(src);
    if !tree.errors.is_empty() || tree.tokens.iter().any(|t| t.kind == TokenKind::Error) {
        // Reported in the nginx error shape, which `lbc fmt` renders for both formats.
        let errors = tree
            .errors
            .iter()
            .map(|e| ncst::SyntaxError {
                range: ncst::TextRange {
                    start: e.range.start,
                    end: e.range.end,
                },
                message: e.message.clone(),
                label: e.label.clone(),
                help: e.help.clone(),
                related: None,
            })
            .collect();
        return Err(FmtError::Syntax(errors));
    }
    let nl = match src.find('\n') {
        Some(i) if i > 0 && src.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    };
    let mut out = String::with_capacity(src.len());
    let mut lines = vec![Line { tokens: Vec::new() }];
    for t in &tree.tokens {
        match t.kind {
            TokenKind::Bom => out.push_str(t.text(src)),
            TokenKind::Newline => lines.push(Line { tokens: Vec::new() }),
            TokenKind::Whitespace => {}
            _ => lines.last_mut().expect("one line").tokens.push(*t),
        }
    }
    // Sections and what precedes the first one (`.if` blocks, comments) sit at column 0.
    let mut in_section = false;
    let code: Vec<&'static str> = lines
        .iter()
        .map(|l| {
            in_section |= l.is_section();
            if l.is_section() || !in_section {
                ""
            } else {
                INDENT
            }
        })
        .collect();
    let mut written = 0usize;
    let mut blank_pending = false;
    for (i, line) in lines.iter().enumerate() {
        if line.is_blank() {
            blank_pending = written > 0;
            continue;
        }
        let indent = if line.is_comment() {
            comment_indent(&lines, i, &code)
        } else {
            code[i]
        };
        if blank_pending {
            out.push_str(nl);
        }
        blank_pending = false;
        out.push_str(indent);
        let words: Vec<&str> = line.tokens.iter().map(|t| t.text(src)).collect();
        out.push_str(&words.join(" "));
        out.push_str(nl);
        written += 1;
    }
    if reading(src) != reading(&out) {
        return Err(FmtError::Internal(
            "the formatted text would read differently; left unchanged".into(),
        ));
    }
    Ok(out)
}

/// The indentation of the comment line `i`: that of the next code line when no blank line comes
/// first, else that of the previous code line (column 0 before any).
fn comment_indent(lines: &[Line], i: usize, code: &[&'static str]) -> &'static str {
    for (j, l) in lines.iter().enumerate().skip(i + 1) {
        if l.is_blank() {
            break;
        }
        if !l.is_comment() {
            return code[j];
        }
    }
    (0..i)
        .rev()
        .find(|&j| !lines[j].is_blank() && !lines[j].is_comment())
        .map_or("", |j| code[j])
}

/// What the layout must keep: the words and comments of each non-blank line, in order.
fn reading(src: &str) -> Vec<Vec<(TokenKind, &str)>> {
    let mut lines = vec![Vec::new()];
    for t in lex(src) {
        match t.kind {
            TokenKind::Newline => lines.push(Vec::new()),
            TokenKind::Whitespace => {}
            k => lines.last_mut().expect("one line").push((k, t.text(src))),
        }
    }
    lines.retain(|l| !l.is_empty());
    lines
}

#[cfg(test)]
mod tests {
    use super::format;

    #[test]
    fn layout() {
        let cases = [
            (
                "\n\nglobal\n  daemon   # bg\n\n\n\n# web\nfrontend  web\nbind :80\n\n  # server x\n\nbackend b\n",
                "global\n    daemon # bg\n\n# web\nfrontend web\n    bind :80\n\n    # server x\n\nbackend b\n",
            ),
            ("defaults\r\n\tmode http\r\n", "defaults\r\n    mode http\r\n"),
            (
                "  .if defined(X)\n  global\n  .endif\n",
                ".if defined(X)\nglobal\n    .endif\n",
            ),
            ("listen x\n  acl a path_beg \"/a b\"\\ c\n", "listen x\n    acl a path_beg \"/a b\"\\ c\n"),
        ];
        for (input, want) in cases {
            let got = format(input).unwrap_or_else(|e| panic!("{e:?}"));
            assert_eq!(got, want, "input: {input:?}");
            assert_eq!(format(want).unwrap(), want, "not idempotent: {want:?}");
        }
    }
}
