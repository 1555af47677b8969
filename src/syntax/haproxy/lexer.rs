//! The HAProxy lexer: a logos token stream that keeps every byte (trivia included), following
//! the word rules of HAProxy's own `parse_line()` (one line at a time, `#` comments, `\`
//! escapes, single and double quotes that may be glued to other text inside one word).

use logos::Logos;

/// One token kind. Concatenating the token texts gives back the source exactly.
#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// Spaces and tabs (and the other blanks `isspace` accepts, except line ends).
    #[regex(r"[ \t\x0B\x0C]+")]
    Whitespace,
    #[regex(r"\r?\n|\r")]
    Newline,
    /// From an unquoted, unescaped `#` to the end of the line (even in the middle of a word,
    /// as HAProxy reads it).
    #[regex(r"#[^\r\n]*")]
    Comment,
    /// A word: unquoted text, `\` escapes and complete quoted parts, glued together
    /// (`foo"bar baz"'qux'`). Quotes never span lines.
    #[regex(r"[^ \t\x0B\x0C\r\n#]", word_tail)]
    Word,
    /// The first word of a line that opens a section (`global`, `frontend`, …); set by [`lex`].
    Section,
    /// The UTF-8 byte order mark at the start of a file.
    Bom,
    /// A word whose quote is never closed on its line: from the start of the word to the end
    /// of the line.
    Error,
}

impl TokenKind {
    pub fn is_trivia(self) -> bool {
        matches!(
            self,
            TokenKind::Whitespace | TokenKind::Comment | TokenKind::Bom
        )
    }
}

/// Extends a word the way `parse_line()` reads it: blanks and `#` end it outside quotes, `\`
/// protects the next byte (except in single quotes), and a line end always ends it. Fails
/// (an [`TokenKind::Error`] token) when a quote is still open at the end of the line.
fn word_tail(lex: &mut logos::Lexer<TokenKind>) -> bool {
    let first = lex.slice().as_bytes()[0];
    let rest = lex.remainder().as_bytes();
    let (mut squote, mut dquote) = (first == b'\'', first == b'"');
    let mut escaped = first == b'\\';
    let mut i = 0;
    while i < rest.len() {
        let c = rest[i];
        if c == b'\n' || c == b'\r' {
            break;
        }
        if escaped {
            escaped = false;
            i += 1;
            continue;
        }
        match c {
            b' ' | b'\t' | 0x0B | 0x0C | b'#' if !squote && !dquote => break,
            b'\\' if !squote => escaped = true,
            b'"' if !squote => dquote = !dquote,
            b'\'' if !dquote => squote = !squote,
            _ => {}
        }
        i += 1;
    }
    // Never splits a UTF-8 sequence: `i` only stops on ASCII bytes or the end.
    lex.bump(i);
    !squote && !dquote
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

/// Tokenizes a whole file. Never fails: an unterminated quote makes an [`TokenKind::Error`]
/// token that runs to the end of its line (HAProxy rejects the whole line). The first word of
/// each line is marked [`TokenKind::Section`] when it names a section.
pub fn lex(src: &str) -> Vec<Token> {
    let mut tokens: Vec<Token> = Vec::with_capacity(src.len() / 6);
    let mut offset = 0usize;
    if src.starts_with('\u{FEFF}') {
        tokens.push(Token {
            kind: TokenKind::Bom,
            start: 0,
            end: 3,
        });
        offset = 3;
    }
    let mut line_start = true;
    'outer: while offset < src.len() {
        let mut lexer = TokenKind::lexer(&src[offset..]);
        while let Some(res) = lexer.next() {
            let span = lexer.span();
            let (start, end) = (offset + span.start, offset + span.end);
            let mut kind = res.unwrap_or(TokenKind::Error);
            if kind == TokenKind::Error {
                // Only an unclosed quote fails to lex. The word it belongs to may have begun
                // before it: merge that part, and run to the end of the line.
                let eol = src[start..]
                    .find(['\r', '\n'])
                    .map_or(src.len(), |i| start + i);
                let mut from = start;
                if let Some(prev) = tokens.last() {
                    if prev.kind == TokenKind::Word && prev.end as usize == start {
                        from = prev.start as usize;
                        tokens.pop();
                    }
                }
                tokens.push(Token {
                    kind,
                    start: from as u32,
                    end: eol as u32,
                });
                line_start = false;
                offset = eol;
                continue 'outer;
            }
            if kind == TokenKind::Word && line_start {
                if super::keywords::is_section(&src[start..end]) {
                    kind = TokenKind::Section;
                }
                line_start = false;
            }
            if kind == TokenKind::Newline {
                line_start = true;
            }
            tokens.push(Token {
                kind,
                start: start as u32,
                end: end as u32,
            });
        }
        break;
    }
    tokens
}
