//! Lexing and parsing a large file on two threads end to end: the file is cut after a newline
//! near its middle, each thread lexes its half and parses it at once, and the two item lists
//! are joined — no pause between lexing and parsing, no whole-file scans in between.
//!
//! The cut must fall between two items (at any depth), which the first half's tokens tell: it
//! ends with a newline, holds no unterminated string, never closes a block it did not open,
//! and its last significant token ends an item (`;`, `{`, `}`). The blocks still open at the
//! cut are closed there by stand-in `}` for the grammar. The second half's thread does not
//! wait for that: it splits its stream at each `}` that closes a block it did not open and
//! parses the runs of items between them; the stitch puts each run into its block, innermost
//! first, and gives the blocks their real `}`. Both halves must parse without error. Whenever a condition fails,
//! `None` sends the caller down the general path ([`super::parse_split`], then one piece), so
//! the tree is always the one a single parse gives: the grammar's `Item*` is a plain sequence.

use super::cst::{Body, Item, SyntaxError, TextRange};
use super::lexer::{self, Lexed, Tok, Token, TokenKind};
use super::parser::glued_error;

/// What the first half's thread made: its tokens (with room for the whole file's), its items,
/// how many blocks are still open at the cut, and its token-level errors.
struct FirstHalf {
    tokens: Vec<Token>,
    items: Vec<Item>,
    open: usize,
    errors: Vec<SyntaxError>,
}

/// What the second half's thread made: its tokens, and its parsed runs of items.
struct SecondHalf {
    tokens: Vec<Token>,
    errors: Vec<SyntaxError>,
    parsed: Option<Parsed>,
}

/// The second half split at the `}` that close blocks opened before the cut, innermost first:
/// `runs[k]` are the items before `closes[k]` (and after `closes[k - 1]`); the last run is
/// top-level.
struct Parsed {
    runs: Vec<Vec<Item>>,
    closes: Vec<(usize, usize)>,
}

/// Tokens (none when not `trivia`), items and token-level errors of `src`, or `None` when the
/// two-thread path does not apply (small file, Lua blocks, a cut that is not between items, a
/// syntax error anywhere).
pub fn parse(
    src: &str,
    grammar: fn(&[Tok]) -> Option<Vec<Item>>,
    trivia: bool,
) -> Option<(Vec<Token>, Vec<Item>, Vec<SyntaxError>)> {
    if src.len() < lexer::PARALLEL_MIN || lexer::has_raw_blocks(src) {
        return None;
    }
    let cut = lexer::middle_cut(src)?;
    let (first, second) = crate::par::join(
        || {
            let first = first_half(src, cut, grammar, trivia);
            crate::timings::mark("lexed and parsed the first half");
            first
        },
        || second_half(src, cut, grammar, trivia),
    );
    let FirstHalf {
        mut tokens,
        mut items,
        open,
        mut errors,
    } = first?;
    let mut parsed = second.parsed?;
    if parsed.closes.len() != open {
        return None; // unbalanced braces: the general path reports them
    }
    stitch(&mut items, 0, open, &mut parsed)?;
    tokens.extend_from_slice(&second.tokens);
    errors.extend(second.errors);
    Some((tokens, items, errors))
}

/// Appends the second half's runs to `items` (at nesting `level`) and, first, to the blocks
/// still open below it, whose stand-in `}` become the real ones.
fn stitch(items: &mut Vec<Item>, level: usize, depth: usize, parsed: &mut Parsed) -> Option<()> {
    if level < depth {
        let Some(Item::Directive(d)) = items.last_mut() else {
            return None;
        };
        let (start, end) = parsed.closes[depth - level - 1];
        let Body::Block(block) = &mut d.body else {
            return None;
        };
        stitch(&mut block.items, level + 1, depth, parsed)?;
        block.close = TextRange::new(start, end);
        block.closed = true;
        d.range.end = end as u32;
    }
    items.append(&mut parsed.runs[depth - level]);
    Some(())
}

/// Lexes and parses the first half; the blocks still open at the cut are closed there by
/// stand-in `}` for the grammar.
fn first_half(
    src: &str,
    cut: usize,
    grammar: fn(&[Tok]) -> Option<Vec<Item>>,
    trivia: bool,
) -> Option<FirstHalf> {
    let lexed = lexer::lex_from_with_stream(&src[..cut], 0, src.len() / 3, src.len() / 12, trivia);
    if !lexed.first_half_is_clean(true) {
        return None;
    }
    let Lexed {
        tokens,
        mut stream,
        glued,
        ..
    } = lexed;
    let mut depth = 0usize;
    for t in &stream {
        match t.kind {
            TokenKind::LBrace => depth += 1,
            TokenKind::RBrace => depth = depth.checked_sub(1)?,
            _ => {}
        }
    }
    let between_items = stream.last().is_none_or(|t| {
        matches!(
            t.kind,
            TokenKind::Semi | TokenKind::LBrace | TokenKind::RBrace | TokenKind::RawBlock
        )
    });
    if !between_items {
        return None;
    }
    stream.extend(std::iter::repeat_n(
        Token::empty(TokenKind::RBrace, cut),
        depth,
    ));
    let items = grammar(&stream)?;
    // The half ends with a newline: no quote is glued to the next half's first token.
    let errors = glued.iter().map(|t| glued_error(src, t)).collect();
    Some(FirstHalf {
        tokens,
        items,
        open: depth,
        errors,
    })
}

fn second_half(
    src: &str,
    cut: usize,
    grammar: fn(&[Tok]) -> Option<Vec<Item>>,
    trivia: bool,
) -> SecondHalf {
    let rest = src.len() - cut;
    let lexed = lexer::lex_from_with_stream(src, cut, rest / 3, rest / 6, trivia);
    let parsed = split_and_parse(&lexed.stream, grammar);
    let errors = match parsed {
        Some(_) => lexed.glued.iter().map(|t| glued_error(src, t)).collect(),
        None => Vec::new(),
    };
    crate::timings::mark("lexed and parsed the second half");
    SecondHalf {
        tokens: lexed.tokens,
        errors,
        parsed,
    }
}

/// Parses the second half's stream in runs split at each `}` that closes a block opened before
/// the cut.
fn split_and_parse(stream: &[Tok], grammar: fn(&[Tok]) -> Option<Vec<Item>>) -> Option<Parsed> {
    let mut depth = 0usize;
    let mut closes = Vec::new();
    let mut runs = Vec::new();
    let mut from = 0;
    for (i, t) in stream.iter().enumerate() {
        match t.kind {
            TokenKind::LBrace => depth += 1,
            TokenKind::RBrace if depth == 0 => {
                runs.push(grammar(&stream[from..i])?);
                closes.push((t.start as usize, t.end as usize));
                from = i + 1;
            }
            TokenKind::RBrace => depth -= 1,
            _ => {}
        }
    }
    if depth != 0 {
        return None; // a block left open at the end of the file
    }
    runs.push(grammar(&stream[from..])?);
    Some(Parsed { runs, closes })
}
