//! The shell lexer of the LVS front-end: a logos token stream over the POSIX-shell subset that
//! LVS scripts use. It keeps every byte (trivia included): concatenating the token texts gives
//! back the source exactly.

use logos::Logos;

/// One token kind. A word is one shell word with its quotes, expansions and escapes inside
/// (`"$vip":80`, `${A}/b`, `$(cmd arg)`); [`crate::syntax::lvs::expand`] gives its value.
#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    #[regex(r"[ \t\x0B\x0C]+")]
    Whitespace,
    #[regex(r"\r?\n|\r")]
    Newline,
    /// A backslash-newline: the command goes on on the next line.
    #[regex(r"\\\r?\n")]
    LineContinuation,
    #[regex(r"#[^\r\n]*")]
    Comment,
    /// `;;` (and bash's `;&`, `;;&`) ending a `case` branch.
    #[token(";;")]
    #[token(";&")]
    #[token(";;&")]
    DoubleSemi,
    #[token(";")]
    Semi,
    #[token("&&")]
    AndAnd,
    #[token("||")]
    OrOr,
    #[token("|")]
    #[token("|&")]
    Pipe,
    #[token("&")]
    Amp,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    /// A redirection operator with its optional file-descriptor number (`>`, `2>`, `>>`,
    /// `2>&`, `<`, `&>`); the target is the next word.
    #[regex(r"<<-|<<<|<<|<>|<&|<|>>|>&|>\||>|&>>?")]
    Redirect,
    /// A shell word; see [`word_tail`].
    #[regex(r#"[^ \t\x0B\x0C\r\n;&|()<>#]"#, word_tail)]
    Word,
    /// The UTF-8 byte order mark at the start of a file.
    Bom,
    /// Bytes that form no token: an unterminated quote or substitution (to the end of its line).
    Error,
}

impl TokenKind {
    pub fn is_trivia(self) -> bool {
        matches!(
            self,
            TokenKind::Whitespace
                | TokenKind::LineContinuation
                | TokenKind::Comment
                | TokenKind::Bom
        )
    }
}

/// A token: its kind and byte span in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub start: u32,
    pub end: u32,
}

impl Token {
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        &src[self.start as usize..self.end as usize]
    }
}

/// Extends a word from its first byte. A word ends at unquoted blanks, newlines and operators
/// (`; & | ( ) < >`); quotes, `$( … )`, `${ … }`, `$[ … ]`, backquotes and `NAME=( … )` array
/// assignments are taken whole, newlines included. Returns false (an error token running to the
/// end of the line) when one of them is never closed.
fn word_tail(lex: &mut logos::Lexer<TokenKind>) -> bool {
    let start = lex.span().start;
    let src = lex.source();
    match scan_word(src.as_bytes(), start) {
        Some(end) => {
            lex.bump(end - lex.span().end);
            true
        }
        None => {
            let eol = src[start..]
                .find(['\r', '\n'])
                .map_or(src.len(), |i| start + i);
            lex.bump(eol.max(lex.span().end) - lex.span().end);
            false
        }
    }
}

/// The end of the word starting at `start`, or `None` when a quote or substitution is open at
/// the end of the file.
pub fn scan_word(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | 0x0B | 0x0C | b'\r' | b'\n' | b';' | b'&' | b'|' | b'(' | b')'
            | b'<' | b'>' => break,
            b'\\' => {
                // A backslash-newline is a token of its own (the word ends before it).
                match b.get(i + 1) {
                    Some(b'\n') => break,
                    Some(b'\r') if b.get(i + 2) == Some(&b'\n') => break,
                    Some(_) => i += 2,
                    None => i += 1,
                }
            }
            b'\'' => i = b[i + 1..].iter().position(|&c| c == b'\'')? + i + 2,
            b'"' => i = scan_double(b, i + 1)?,
            b'`' => i = scan_backquote(b, i + 1)?,
            b'$' => match b.get(i + 1) {
                Some(b'(') => i = scan_balanced(b, i + 1, b'(', b')')?,
                Some(b'{') => i = scan_balanced(b, i + 1, b'{', b'}')?,
                Some(b'[') => i = scan_balanced(b, i + 1, b'[', b']')?,
                _ => i += 1,
            },
            b'=' if b.get(i + 1) == Some(&b'(') && is_name(&b[start..i]) => {
                i = scan_balanced(b, i + 1, b'(', b')')?;
            }
            _ => i += 1,
        }
    }
    Some(i.min(b.len()))
}

fn is_name(b: &[u8]) -> bool {
    !b.is_empty()
        && !b[0].is_ascii_digit()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// Past the closing `"` of a double-quoted string whose content starts at `i`.
fn scan_double(b: &[u8], mut i: usize) -> Option<usize> {
    while i < b.len() {
        match b[i] {
            b'"' => return Some(i + 1),
            b'\\' => i += 2,
            b'`' => i = scan_backquote(b, i + 1)?,
            b'$' if b.get(i + 1) == Some(&b'(') => i = scan_balanced(b, i + 1, b'(', b')')?,
            b'$' if b.get(i + 1) == Some(&b'{') => i = scan_balanced(b, i + 1, b'{', b'}')?,
            _ => i += 1,
        }
    }
    None
}

fn scan_backquote(b: &[u8], mut i: usize) -> Option<usize> {
    while i < b.len() {
        match b[i] {
            b'`' => return Some(i + 1),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    None
}

/// Past the `close` matching the `open` at `i`, skipping quoted text inside.
fn scan_balanced(b: &[u8], mut i: usize, open: u8, close: u8) -> Option<usize> {
    let mut depth = 0usize;
    while i < b.len() {
        let c = b[i];
        if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth == 0 {
                return Some(i + 1);
            }
        } else {
            match c {
                b'\\' => i += 1,
                b'\'' if open == b'(' => {
                    i += b[i + 1..].iter().position(|&c| c == b'\'')? + 1;
                }
                b'"' => {
                    i = scan_double(b, i + 1)?;
                    continue;
                }
                b'`' => {
                    i = scan_backquote(b, i + 1)?;
                    continue;
                }
                _ => {}
            }
        }
        i += 1;
    }
    None
}

/// Tokenizes a whole file. Never fails: bytes that form no token become [`TokenKind::Error`].
pub fn lex(src: &str) -> Vec<Token> {
    let mut tokens = Vec::with_capacity(src.len() / 3);
    let mut offset = 0usize;
    if src.starts_with('\u{FEFF}') {
        tokens.push(Token {
            kind: TokenKind::Bom,
            start: 0,
            end: 3,
        });
        offset = 3;
    }
    let mut lexer = TokenKind::lexer(&src[offset..]);
    while let Some(res) = lexer.next() {
        let span = lexer.span();
        let kind = res.unwrap_or(TokenKind::Error);
        let start = (offset + span.start) as u32;
        // A file-descriptor number glued to a redirection (`2>`) belongs to it.
        if let Some(prev) = tokens.last_mut().filter(|p: &&mut Token| {
            kind == TokenKind::Redirect
                && p.kind == TokenKind::Word
                && p.end == start
                && p.text(src).bytes().all(|b| b.is_ascii_digit())
        }) {
            prev.kind = TokenKind::Redirect;
            prev.end = (offset + span.end) as u32;
            continue;
        }
        tokens.push(Token {
            kind,
            start,
            end: (offset + span.end) as u32,
        });
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(TokenKind, &str)> {
        lex(src)
            .into_iter()
            .filter(|t| t.kind != TokenKind::Whitespace)
            .map(|t| (t.kind, t.text(src)))
            .collect()
    }

    #[test]
    fn words_keep_quotes_and_substitutions() {
        use TokenKind::*;
        let src = "a=\"x y\" $(ls -l | wc) ${v:-d}:80 'q'r >/dev/null 2>&1 # c\n";
        assert_eq!(
            kinds(src),
            vec![
                (Word, "a=\"x y\""),
                (Word, "$(ls -l | wc)"),
                (Word, "${v:-d}:80"),
                (Word, "'q'r"),
                (Redirect, ">"),
                (Word, "/dev/null"),
                (Redirect, "2>&"),
                (Word, "1"),
                (Comment, "# c"),
                (Newline, "\n"),
            ]
        );
    }

    #[test]
    fn arrays_case_and_errors() {
        use TokenKind::*;
        assert_eq!(
            kinds("L=('a' 'b') ;; start)"),
            vec![
                (Word, "L=('a' 'b')"),
                (DoubleSemi, ";;"),
                (Word, "start"),
                (RParen, ")")
            ]
        );
        assert_eq!(
            kinds("echo \"open\nx"),
            vec![
                (Word, "echo"),
                (Error, "\"open"),
                (Newline, "\n"),
                (Word, "x")
            ]
        );
        let src = "echo \"multi\nline\" \\\n  next\n";
        let text: String = lex(src).iter().map(|t| t.text(src)).collect();
        assert_eq!(text, src);
    }
}
