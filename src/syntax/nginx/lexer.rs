//! The nginx lexer: a logos token stream that keeps every byte (trivia included), following the
//! word rules of nginx's own `ngx_conf_read_token`.

use logos::Logos;

/// One token kind. Trivia (whitespace, newlines, comments, a BOM) is kept so the token stream
/// covers the whole file: concatenating the token texts gives back the source exactly.
#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    #[regex(r"[ \t\x0B\x0C]+")]
    Whitespace,
    #[regex(r"\r?\n|\r")]
    Newline,
    #[regex(r"#[^\r\n]*")]
    Comment,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token(";")]
    Semi,
    /// A double-quoted string, escapes included (`"a \" b"`).
    #[regex(r#""([^"\\]|\\(.|\n))*""#)]
    DString,
    /// A single-quoted string.
    #[regex(r#"'([^'\\]|\\(.|\n))*'"#)]
    SString,
    /// An unquoted word. Starts with anything that is not trivia, a brace, `;`, a quote or `#`;
    /// continues as nginx does (see [`word_tail`]).
    #[regex(r#"[^ \t\x0B\x0C\r\n;{}"'#]"#, word_tail)]
    Word,
    /// The body of a `*_by_lua_block { … }`, braces included; produced by [`lex`], not logos.
    RawBlock,
    /// The UTF-8 byte order mark at the start of a file.
    Bom,
    /// Bytes that form no token: an unterminated quoted string.
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

/// Extends a word the way nginx does: it ends at whitespace, `;` or `{`, except that `{` right
/// after `$` belongs to the word (`${var}`); `\` protects the next byte; quotes and `}` inside a
/// word are ordinary characters.
fn word_tail(lex: &mut logos::Lexer<TokenKind>) {
    let first = lex.slice().as_bytes()[0];
    let rest = lex.remainder().as_bytes();
    let mut i = 0;
    let mut after_dollar = first == b'$';
    let mut escaped = first == b'\\';
    loop {
        if !escaped && !after_dollar {
            // The common case: skip ordinary bytes with one table lookup each.
            while i < rest.len() && !WORD_SPECIAL[rest[i] as usize] {
                i += 1;
            }
        }
        let Some(&c) = rest.get(i) else { break };
        if escaped {
            escaped = false;
            after_dollar = false;
            i += 1;
            continue;
        }
        match c {
            b' ' | b'\t' | b'\r' | b'\n' | 0x0B | 0x0C | b';' => break,
            b'{' if !after_dollar => break,
            b'\\' => escaped = true,
            _ => {}
        }
        after_dollar = c == b'$';
        i += 1;
    }
    // Never split a UTF-8 sequence: `i` only stops on ASCII bytes or the end.
    lex.bump(i);
}

/// Bytes [`word_tail`] must look at: the ends of a word, `{`, and the `\` and `$` that change
/// what the next byte means.
const WORD_SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let special = b" \t\r\n\x0B\x0C;{\\$";
    let mut i = 0;
    while i < special.len() {
        t[special[i] as usize] = true;
        i += 1;
    }
    t
};

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

    fn span(kind: TokenKind, start: usize, end: usize) -> Token {
        Token {
            kind,
            start: start as u32,
            end: end as u32,
        }
    }

    /// An empty token at byte `at` (a stand-in `}` for the grammar).
    pub fn empty(kind: TokenKind, at: usize) -> Token {
        Token::span(kind, at, at)
    }

    /// The token as the grammar reads it: start, kind, end.
    pub fn triple(&self) -> (usize, TokenKind, usize) {
        (self.start as usize, self.kind, self.end as usize)
    }
}

/// Directives whose `{ … }` holds foreign code (Lua) rather than nginx directives.
pub fn is_raw_block_directive(name: &str) -> bool {
    name.ends_with("_by_lua_block")
        || name == "lua_block"
        || name == "init_by_lua_block"
        || name == "perl_block"
}

/// Files at least this large are lexed in two halves on two threads.
pub(super) const PARALLEL_MIN: usize = 256 * 1024;

/// Tokenizes a whole file. Never fails: bytes that form no token become [`TokenKind::Error`].
///
/// A large file is cut after a newline near its middle and the halves are lexed in parallel.
/// The cut is kept only when it cannot change a token: the first half must end with a newline
/// token and hold no error token (so no quoted string runs across the cut), and the file must
/// have no raw (Lua) blocks, the only tokens whose extent depends on what came before.
/// Otherwise the file is lexed again in one piece.
pub fn lex(src: &str) -> Vec<Token> {
    if src.len() >= PARALLEL_MIN && !has_raw_blocks(src) {
        if let Some(lexed) = lex_halves(src, false) {
            return lexed.tokens;
        }
    }
    lex_from(src, 0, src.len() / 3, true)
}

/// A significant token, one the grammar reads ([`Token::triple`] gives it its shape).
pub type Tok = Token;

/// The tokens of `tokens` the grammar reads (trivia dropped).
pub fn significant(tokens: &[Token]) -> Vec<Tok> {
    let mut stream = Vec::with_capacity(tokens.len() / 2);
    stream.extend(tokens.iter().filter(|t| !t.kind.is_trivia()));
    stream
}

/// [`lex`] with the significant tokens and those glued to a quote picked in the same pass:
/// on a large file, each half's on the thread that lexed it.
pub(super) fn lex_for_parse(src: &str) -> Lexed {
    if src.len() >= PARALLEL_MIN && !has_raw_blocks(src) {
        if let Some(lexed) = lex_halves(src, true) {
            return lexed;
        }
    }
    lex_whole(src)
}

/// [`lex_for_parse`] in one piece, whatever the size.
pub(super) fn lex_whole(src: &str) -> Lexed {
    lex_from_impl::<true, true, true>(src, 0, src.len() / 3, src.len() / 6)
}

pub(super) fn has_raw_blocks(src: &str) -> bool {
    src.contains("lua_block") || src.contains("perl_block")
}

/// Where a large file is cut for two threads: just after the first newline past its middle.
pub(super) fn middle_cut(src: &str) -> Option<usize> {
    Some(src.len() / 2 + src[src.len() / 2..].find('\n')? + 1)
}

/// What lexing (part of) a file gives: every token when trivia is kept, the significant tokens
/// when asked for, the tokens glued to a closing quote ([`glued_after_quote`]), and the kind
/// of the very last token, trivia or not.
#[derive(Debug, Default)]
pub(super) struct Lexed {
    pub tokens: Vec<Token>,
    pub stream: Vec<Tok>,
    pub glued: Vec<Token>,
    pub last: Option<TokenKind>,
    /// The previous token, when it is a quoted string.
    quote: Option<Token>,
}

impl Lexed {
    /// Whether the tokens of a file's first half, lexed on their own, are those a whole-file
    /// lex gives: they end with a newline and hold no unterminated string (which could run on
    /// past the cut). Lua blocks, the other token that can span lines, are ruled out by the
    /// callers. Error tokens are significant: with a stream, only it is searched.
    pub(super) fn first_half_is_clean(&self, streamed: bool) -> bool {
        let all = if streamed { &self.stream } else { &self.tokens };
        self.last == Some(TokenKind::Newline) && all.iter().all(|t| t.kind != TokenKind::Error)
    }
}

/// nginx wants whitespace, `;` or `{` right after a closing quote (`)` too, for `if`
/// conditions): `"a"b`, `"a"}` and `"a"#c` are errors there, though the tokens split cleanly.
/// Whether `next`, which starts where the quoted string `q` ends, is such a token.
pub(super) fn glued_after_quote(src: &str, q: &Token, next: &Token) -> bool {
    if !matches!(q.kind, TokenKind::DString | TokenKind::SString) || q.end != next.start {
        return false;
    }
    match next.kind {
        TokenKind::Word => !next.text(src).starts_with(')'),
        TokenKind::DString | TokenKind::SString | TokenKind::RBrace | TokenKind::Comment => true,
        _ => false,
    }
}

/// Lexes the two halves of `src` at once (and picks their significant tokens when `stream`);
/// `None` when the cut could have changed a token.
pub(super) fn lex_halves(src: &str, stream: bool) -> Option<Lexed> {
    let cut = middle_cut(src)?;
    // `capacity` tokens and `room` significant ones (a byte makes at most a third of a token,
    // a sixth of a significant one, in any real configuration).
    let half = |from: usize, to: usize, capacity: usize, room: usize| {
        if stream {
            lex_from_with_stream(&src[..to], from, capacity, room, true)
        } else {
            lex_from_impl::<false, false, true>(&src[..to], from, capacity, 0)
        }
    };
    let (mut first, second) = crate::par::join(
        || {
            // Room for the whole file's tokens, so that appending the second half does not
            // copy the first.
            let first = half(0, cut, src.len() / 3, src.len() / 6);
            crate::timings::mark("lexed the first half");
            first
        },
        || {
            let rest = src.len() - cut;
            let t = half(cut, src.len(), rest / 3, rest / 6);
            crate::timings::mark("lexed the second half");
            t
        },
    );
    if !first.first_half_is_clean(stream) {
        return None;
    }
    first.tokens.extend_from_slice(&second.tokens);
    first.stream.extend_from_slice(&second.stream);
    // The first half ends with a newline: nothing is glued across the cut.
    first.glued.extend_from_slice(&second.glued);
    first.last = second.last;
    Some(first)
}

/// Tokenizes `src` from byte `offset` (at the start of a token, outside any directive).
///
/// `raw` says whether the file may hold raw (Lua) blocks; without them the lexer skips the
/// directive-name bookkeeping that finds them (one instantiation each).
pub(super) fn lex_from(src: &str, offset: usize, capacity: usize, raw: bool) -> Vec<Token> {
    if raw {
        lex_from_impl::<true, false, true>(src, offset, capacity, 0).tokens
    } else {
        lex_from_impl::<false, false, true>(src, offset, capacity, 0).tokens
    }
}

/// [`lex_from`] without raw blocks, also picking the significant tokens (room for `room`) in
/// the same pass; with `trivia` false only those are kept (`lbc check` reads no trivia).
pub(super) fn lex_from_with_stream(
    src: &str,
    offset: usize,
    capacity: usize,
    room: usize,
    trivia: bool,
) -> Lexed {
    if trivia {
        lex_from_impl::<false, true, true>(src, offset, capacity, room)
    } else {
        lex_from_impl::<false, true, false>(src, offset, 0, room)
    }
}

/// The lexer proper: `RAW` finds Lua blocks, `STREAM` picks the significant tokens, `TRIVIA`
/// keeps every token.
fn lex_from_impl<const RAW: bool, const STREAM: bool, const TRIVIA: bool>(
    src: &str,
    mut offset: usize,
    capacity: usize,
    room: usize,
) -> Lexed {
    let mut out = Lexed {
        tokens: Vec::with_capacity(capacity),
        stream: Vec::with_capacity(room),
        ..Lexed::default()
    };
    if offset == 0 && src.starts_with('\u{FEFF}') {
        out.push::<STREAM, TRIVIA>(src, Token::span(TokenKind::Bom, 0, 3));
        offset = 3;
    }
    // Whether the next token starts a directive, and whether the current directive's name asks
    // for a raw block (`set_by_lua_block $res { … }`, `"rewrite_by_lua_block" { … }`).
    let mut at_name = true;
    let mut raw_pending = false;
    'outer: while offset < src.len() {
        let mut lexer = TokenKind::lexer(&src[offset..]);
        while let Some(res) = lexer.next() {
            let span = lexer.span();
            let start = offset + span.start;
            let end = offset + span.end;
            let kind = res.unwrap_or(TokenKind::Error);
            if RAW && kind == TokenKind::LBrace && raw_pending {
                let close = scan_lua_block(src, start);
                out.push::<STREAM, TRIVIA>(src, Token::span(TokenKind::RawBlock, start, close));
                offset = close;
                raw_pending = false;
                at_name = true;
                continue 'outer;
            }
            if RAW {
                match kind {
                    TokenKind::Semi | TokenKind::LBrace | TokenKind::RBrace => {
                        at_name = true;
                        raw_pending = false;
                    }
                    TokenKind::Word | TokenKind::DString | TokenKind::SString if at_name => {
                        let text = src[start..end].trim_matches(['"', '\'']);
                        raw_pending = is_raw_block_directive(text);
                        at_name = false;
                    }
                    _ => {}
                }
            }
            if kind == TokenKind::Error && matches!(src.as_bytes()[start], b'"' | b'\'') {
                // An unterminated quote: nginx reads to the end of the file looking for its
                // twin. Stop the error at the end of the line instead, so the lines after it
                // are still checked.
                let eol = src[start..]
                    .find(['\r', '\n'])
                    .map_or(src.len(), |i| start + i);
                out.push::<STREAM, TRIVIA>(src, Token::span(kind, start, eol));
                offset = eol;
                continue 'outer;
            }
            out.push::<STREAM, TRIVIA>(src, Token::span(kind, start, end));
        }
        break;
    }
    out
}

impl Lexed {
    #[inline(always)]
    fn push<const STREAM: bool, const TRIVIA: bool>(&mut self, src: &str, t: Token) {
        if let Some(q) = self.quote {
            if glued_after_quote(src, &q, &t) {
                self.glued.push(t);
            }
        }
        self.quote = matches!(t.kind, TokenKind::DString | TokenKind::SString).then_some(t);
        self.last = Some(t.kind);
        if STREAM && !t.kind.is_trivia() {
            self.stream.push(t);
        }
        if TRIVIA {
            self.tokens.push(t);
        }
    }
}

/// Finds the end (exclusive) of a Lua block starting at the `{` at `open`, skipping Lua strings,
/// long brackets and comments. Unterminated blocks run to the end of the file.
fn scan_lua_block(src: &str, open: usize) -> usize {
    let b = src.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            q @ (b'"' | b'\'') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                i += 2;
                if let Some(end) = long_bracket_end(b, i) {
                    i = end;
                    continue;
                }
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'[' => {
                if let Some(end) = long_bracket_end(b, i) {
                    i = end;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// If a Lua long bracket (`[[`, `[==[`) opens at `i`, returns the index just past its closing.
fn long_bracket_end(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'[') {
        return None;
    }
    let mut j = i + 1;
    while b.get(j) == Some(&b'=') {
        j += 1;
    }
    if b.get(j) != Some(&b'[') {
        return None;
    }
    let level = j - i - 1;
    let mut k = j + 1;
    while k < b.len() {
        if b[k] == b']' {
            let mut m = k + 1;
            while b.get(m) == Some(&b'=') {
                m += 1;
            }
            if m - k - 1 == level && b.get(m) == Some(&b']') {
                return Some(m + 1);
            }
        }
        k += 1;
    }
    Some(b.len())
}
