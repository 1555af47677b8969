//! The keepalived lexer: a logos token stream that keeps every byte, following keepalived's own
//! line reader (`decomment` and `alloc_strvec_quoted_escaped` in lib/parser.c).

use logos::Logos;

/// One token kind. Concatenating the token texts gives back the source exactly.
#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    #[regex(r"[ \t\x0B\x0C]+")]
    Whitespace,
    #[regex(r"\r?\n|\r")]
    Newline,
    /// `!` or `#` outside quotes starts a comment anywhere on a line, even inside a word.
    #[regex(r"[#!][^\r\n]*")]
    Comment,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    /// A word: anything up to whitespace, a brace or a comment; `"…"` and `'…'` protect
    /// whitespace, `\` protects the next character. See [`word_tail`].
    #[regex(r#"[^ \t\x0B\x0C\r\n{}#!]"#, word_tail)]
    Word,
    /// The UTF-8 byte order mark at the start of a file.
    Bom,
    /// A word with an unterminated `"` (to the end of its line).
    Error,
}

impl TokenKind {
    pub fn is_trivia(self) -> bool {
        matches!(
            self,
            TokenKind::Whitespace | TokenKind::Newline | TokenKind::Comment | TokenKind::Bom
        )
    }
}

/// Extends a word. Double quotes also protect `#`, `!` and braces (keepalived's comment and
/// brace splitting honour them); single quotes only protect whitespace. An unterminated double
/// quote makes the rest of the line an error token.
fn word_tail(lex: &mut logos::Lexer<TokenKind>) -> Result<(), ()> {
    let all = lex.slice().as_bytes();
    let rest = lex.remainder().as_bytes();
    let mut quote = 0u8;
    let mut escaped = false;
    match all[0] {
        b'"' | b'\'' => quote = all[0],
        b'\\' => escaped = true,
        _ => {}
    }
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
        match (quote, c) {
            (_, b'\\') => escaped = true,
            (0, b' ' | b'\t' | 0x0B | 0x0C | b'{' | b'}' | b'#' | b'!') => break,
            (0, b'"' | b'\'') => quote = c,
            (b'"', b'"') | (b'\'', b'\'') => quote = 0,
            // keepalived strips comments and splits braces before it looks at single quotes,
            // so they end the word even inside one.
            (b'\'', b'{' | b'}' | b'#' | b'!') => break,
            _ => {}
        }
        i += 1;
    }
    lex.bump(i);
    if quote == b'"' {
        Err(())
    } else {
        Ok(())
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

/// Tokenizes a whole text. Never fails.
pub fn lex(src: &str) -> Vec<Token> {
    let mut tokens = Vec::with_capacity(src.len() / 4);
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
        tokens.push(Token {
            kind: res.unwrap_or(TokenKind::Error),
            start: (offset + span.start) as u32,
            end: (offset + span.end) as u32,
        });
    }
    tokens
}

/// The value keepalived sees for a word: quotes removed, escapes (`\n`, `\t`, `\x41`, `\"`…)
/// resolved.
pub fn unquote(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut quote: Option<char> = None;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some(o) => out.push(o),
                None => out.push('\\'),
            },
            '"' | '\'' if quote.is_none() => quote = Some(c),
            q if Some(q) == quote => quote = None,
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(TokenKind, &str)> {
        lex(src)
            .into_iter()
            .filter(|t| !t.kind.is_trivia() || t.kind == TokenKind::Comment)
            .map(|t| (t.kind, t.text(src)))
            .collect()
    }

    #[test]
    fn comments_braces_and_quotes() {
        use TokenKind::*;
        assert_eq!(
            kinds("authentication {#x\n a#b \"c #d\" }"),
            vec![
                (Word, "authentication"),
                (LBrace, "{"),
                (Comment, "#x"),
                (Word, "a"),
                (Comment, "#b \"c #d\" }"),
            ]
        );
        assert_eq!(
            kinds("script \"/bin/x y\""),
            vec![(Word, "script"), (Word, "\"/bin/x y\"")]
        );
        assert_eq!(
            kinds("a \"b\nc"),
            vec![(Word, "a"), (Error, "\"b"), (Word, "c")]
        );
        assert_eq!(unquote("\"/bin/x y\""), "/bin/x y");
        assert_eq!(unquote("a\\#b"), "a#b");
    }
}
