//! The nginx formatter. It walks the lossless token stream and rewrites only the trivia between
//! tokens: one directive per line, four spaces per block level, `{` on its directive's line,
//! `}` alone on a line, trailing comments after one space, at most one blank line kept.
//!
//! Argument lists that span lines (`log_format` continuations, a comment between arguments) and
//! raw `*_by_lua_block` bodies are kept verbatim. Before returning, the result is lexed again and
//! its tokens compared with the original's: a layout that would change what nginx reads is never
//! written.

use super::FmtError;
use crate::syntax::nginx::cst::{SyntaxError, TextRange};
use crate::syntax::nginx::lexer::{lex, Token, TokenKind};
use crate::syntax::nginx::parse;

const INDENT: &str = "    ";

/// Formats one nginx file; syntax errors leave it unformatted.
pub fn format(src: &str) -> Result<String, FmtError> {
    let tree = parse(src);
    if !tree.errors.is_empty() {
        return Err(FmtError::Syntax(tree.errors));
    }
    if let Some(t) = tree.tokens.iter().find(|t| t.kind == TokenKind::Error) {
        return Err(FmtError::Syntax(vec![SyntaxError {
            range: TextRange::new(t.start as usize, t.end as usize),
            message: "unexpected bytes".into(),
            label: "not a token".into(),
            help: None,
            related: None,
        }]));
    }
    if let Some(e) = glued_after_quote(src, &tree.tokens) {
        return Err(FmtError::Syntax(vec![e]));
    }
    let out = Formatter::new(src).run(&tree.tokens);
    if reading(src) != reading(&out) {
        return Err(FmtError::Internal(
            "the formatted text would read differently; left unchanged".into(),
        ));
    }
    Ok(out)
}

/// nginx wants a blank, `;`, `{` or `)` right after a closing quote and rejects the file
/// otherwise (`"a"b`, `"a"}`). The lexer reads on, so a space written there would turn a file
/// nginx refuses into one it accepts: such a file is reported, not formatted.
fn glued_after_quote(src: &str, tokens: &[Token]) -> Option<SyntaxError> {
    tokens.windows(2).find_map(|w| {
        let (quoted, next) = (w[0], w[1]);
        let ok = !matches!(quoted.kind, TokenKind::DString | TokenKind::SString)
            || matches!(next.kind, TokenKind::Whitespace | TokenKind::Newline)
            || matches!(next.kind, TokenKind::Semi | TokenKind::LBrace)
            || next.text(src).starts_with(')');
        (!ok).then(|| {
            let c = next.text(src).chars().next().unwrap_or(' ');
            SyntaxError {
                range: TextRange::new(next.start as usize, next.start as usize + c.len_utf8()),
                message: format!("unexpected `{c}` right after a quoted argument"),
                label: "nginx needs a space before this".into(),
                help: Some(
                    "add a space after the closing quote: nginx rejects the file as it is".into(),
                ),
                related: None,
            }
        })
    })
}

fn is_arg(k: TokenKind) -> bool {
    matches!(k, TokenKind::Word | TokenKind::DString | TokenKind::SString)
}

/// What the layout must keep: every token but whitespace, with its text, in order.
fn reading(src: &str) -> Vec<(TokenKind, &str)> {
    lex(src)
        .into_iter()
        .filter(|t| !matches!(t.kind, TokenKind::Whitespace | TokenKind::Newline))
        .map(|t| (t.kind, t.text(src)))
        .collect()
}

struct Formatter<'a> {
    src: &'a str,
    out: String,
    /// The line ending written: the file's own (`\r\n` when its first line ends so).
    nl: &'static str,
    depth: usize,
    /// Inside a statement: after its name, before its `;`, `{` or raw block.
    in_stmt: bool,
    /// Right after a `{`: no blank line follows.
    just_opened: bool,
    /// Nothing but a BOM written yet.
    empty: bool,
    /// Trivia since the last significant token.
    gap: Vec<Token>,
}

impl<'a> Formatter<'a> {
    fn new(src: &'a str) -> Self {
        let nl = match src.find('\n') {
            Some(i) if i > 0 && src.as_bytes()[i - 1] == b'\r' => "\r\n",
            _ => "\n",
        };
        Formatter {
            src,
            out: String::with_capacity(src.len()),
            nl,
            depth: 0,
            in_stmt: false,
            just_opened: false,
            empty: true,
            gap: Vec::new(),
        }
    }

    fn run(mut self, tokens: &[Token]) -> String {
        for &t in tokens {
            match t.kind {
                TokenKind::Bom => self.out.push_str(t.text(self.src)),
                TokenKind::Whitespace | TokenKind::Newline | TokenKind::Comment => self.gap.push(t),
                _ => self.token(t),
            }
        }
        self.between(None);
        if !self.empty {
            self.out.push_str(self.nl);
        }
        self.out
    }

    fn token(&mut self, t: Token) {
        let text = t.text(self.src);
        if self.in_stmt {
            self.inside(t.kind);
        } else {
            self.between(Some(t.kind));
        }
        self.gap.clear();
        self.out.push_str(text);
        match t.kind {
            TokenKind::Semi | TokenKind::RawBlock => self.in_stmt = false,
            TokenKind::LBrace => {
                self.in_stmt = false;
                self.depth += 1;
                self.just_opened = true;
            }
            TokenKind::RBrace => {}
            _ => self.in_stmt = true,
        }
    }

    /// The gap inside a statement, before the token `next`.
    fn inside(&mut self, next: TokenKind) {
        let has = |k: TokenKind| self.gap.iter().any(|t| t.kind == k);
        let verbatim = match next {
            // An argument list that spans lines (or holds a comment) stays as written.
            k if is_arg(k) => has(TokenKind::Newline) || has(TokenKind::Comment),
            // A comment before `;` or `{` cannot move past them without changing the layout
            // around it much; the rare case keeps its lines.
            _ => has(TokenKind::Comment),
        };
        if self.gap.is_empty() && !matches!(next, TokenKind::LBrace | TokenKind::RawBlock) {
            // Glued to the token before (`"b")` in an `if`): nginx reads it so, keep it so.
        } else if verbatim && is_arg(next) {
            let text: String = self.gap.iter().map(|t| t.text(self.src)).collect();
            self.out.push_str(&text);
        } else if verbatim {
            // A comment before `;` or `{`: its lines stay, the terminator goes on its own line
            // at the statement's indentation.
            let last_nl = self.gap.iter().rposition(|t| t.kind == TokenKind::Newline);
            let kept = last_nl.map_or(&self.gap[..], |i| &self.gap[..=i]);
            let text: String = kept.iter().map(|t| t.text(self.src)).collect();
            self.out.push_str(&text);
            for _ in 0..self.depth {
                self.out.push_str(INDENT);
            }
        } else if next != TokenKind::Semi {
            self.out.push(' ');
        }
    }

    /// The gap between statements, before `next` (`None` at the end of the file): a trailing
    /// comment, comments on their own lines, blank lines, then the indentation of `next`.
    fn between(&mut self, next: Option<TokenKind>) {
        let gap = std::mem::take(&mut self.gap);
        let mut newlines = 0usize;
        for t in &gap {
            match t.kind {
                TokenKind::Newline => newlines += 1,
                TokenKind::Comment if newlines == 0 && !self.empty => {
                    self.out.push(' ');
                    self.out.push_str(t.text(self.src));
                }
                TokenKind::Comment => {
                    self.line(newlines);
                    self.out.push_str(t.text(self.src));
                    newlines = 0;
                }
                _ => {}
            }
        }
        match next {
            None => {}
            Some(TokenKind::RBrace) => {
                self.depth = self.depth.saturating_sub(1);
                self.line(1);
            }
            Some(_) => self.line(newlines),
        }
    }

    /// Starts a new line at the current depth, after one blank line when the source had one
    /// (`newlines` ≥ 2) and the previous line does not open a block.
    fn line(&mut self, newlines: usize) {
        if !self.empty {
            self.out.push_str(self.nl);
            if newlines >= 2 && !self.just_opened {
                self.out.push_str(self.nl);
            }
        }
        for _ in 0..self.depth {
            self.out.push_str(INDENT);
        }
        self.empty = false;
        self.just_opened = false;
    }
}

#[cfg(test)]
mod tests {
    use super::format;

    fn fmt(s: &str) -> String {
        format(s).unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn layout() {
        let cases = [
            ("a 1;b 2;", "a 1;\nb 2;\n"),
            (
                "http{server{listen 80 ;}}",
                "http {\n    server {\n        listen 80;\n    }\n}\n",
            ),
            ("a;  # c\n\n\n# d\nb;\n", "a; # c\n\n# d\nb;\n"),
            ("http {\n\n  a;\n\n}\n", "http {\n    a;\n}\n"),
            ("a\n  'x'\n  'y';", "a\n  'x'\n  'y';\n"),
            ("a;\r\nb;\r\n", "a;\r\nb;\r\n"),
            ("\u{FEFF}a;", "\u{FEFF}a;\n"),
            ("s\n{\n}\n", "s {\n}\n"),
            (
                "h {\n  s # c\n  {\n  a;\n  }\n}",
                "h {\n    s # c\n    {\n        a;\n    }\n}\n",
            ),
            (
                "x_by_lua_block {\n  ngx.say(1)\n    }",
                "x_by_lua_block {\n  ngx.say(1)\n    }\n",
            ),
            ("", ""),
            ("x_by_lua_block{ a }", "x_by_lua_block { a }\n"),
            ("# only\n", "# only\n"),
        ];
        for (input, want) in cases {
            assert_eq!(fmt(input), want, "input: {input:?}");
            assert_eq!(fmt(want), want, "not idempotent: {want:?}");
        }
    }

    #[test]
    fn text_glued_to_a_quote_is_an_error() {
        for bad in ["a \"x\"b;", "a 'x'\"y\";", "s { a \"x\"}", "a \"x\"#c\n;"] {
            assert!(format(bad).is_err(), "{bad:?}");
        }
        assert_eq!(fmt("if ($a = \"b\") {}"), "if ($a = \"b\") {\n}\n");
        assert_eq!(fmt("a \"x\";b \"y\"{}"), "a \"x\";\nb \"y\" {\n}\n");
    }
}
