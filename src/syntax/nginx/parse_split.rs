//! Parsing a large file on two threads: the significant token stream is cut between two items
//! of the block that holds most of the file (usually `http {}`), and the grammar parses the two
//! runs of items at once — the outer part with that block left empty on one thread, the second
//! run on the other — before the items are put back in place. The grammar's `Item*` is
//! unambiguous, so on error-free input the result equals one parse of the whole stream; any
//! syntax error makes the caller parse the whole stream again with error recovery.

use super::cst::{Body, Item};
use super::lexer::TokenKind;

pub use super::lexer::Tok;

/// Streams shorter than this are parsed in one piece.
const PARALLEL_MIN: usize = 20_000;

/// Parses `stream` in two halves with `parse` (which returns `None` on a syntax error);
/// `None` when the stream is small, has no good cut, or either half has an error.
pub fn parse_in_two(stream: &[Tok], parse: fn(&[Tok]) -> Option<Vec<Item>>) -> Option<Vec<Item>> {
    if stream.len() < PARALLEL_MIN {
        return None;
    }
    let cut = find_cut(stream)?;
    match cut.block {
        None => {
            let (first, second) = both(|| parse(&stream[..cut.at]), || parse(&stream[cut.at..]));
            let mut items = first?;
            items.extend(second?);
            Some(items)
        }
        Some((open, close)) => {
            let mut outer = Vec::with_capacity(open + 1 + stream.len() - close);
            outer.extend_from_slice(&stream[..=open]);
            outer.extend_from_slice(&stream[close..]);
            let ((outer, first), second) = both(
                || (parse(&outer), parse(&stream[open + 1..cut.at])),
                || parse(&stream[cut.at..close]),
            );
            let mut outer = outer?;
            let mut inner = first?;
            inner.extend(second?);
            let block = find_block(&mut outer, stream[open].start as usize)?;
            *block = inner;
            Some(outer)
        }
    }
}

/// Runs `a` here and `b` on a second thread.
fn both<A: Send, B: Send>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B + Send) -> (A, B) {
    crate::par::join(
        || {
            let ra = a();
            crate::timings::mark("parsed the first run");
            ra
        },
        || {
            let rb = b();
            crate::timings::mark("parsed the second run");
            rb
        },
    )
}

/// Where to cut: before token `at`, between two items of the block whose `{` and `}` are at
/// `block` (the top level when `None`).
struct Cut {
    at: usize,
    block: Option<(usize, usize)>,
}

/// Descends from the top level into the item holding most of the stream until the items of a
/// block are small enough to cut between them near the middle of the stream.
fn find_cut(stream: &[Tok]) -> Option<Cut> {
    let close_of = matching_braces(stream)?;
    let middle = stream.len() / 2;
    let (mut lo, mut hi) = (0, stream.len());
    let mut block = None;
    loop {
        let ends = item_ends(stream, &close_of, lo, hi)?;
        let mut start = lo;
        let mut biggest = (0, lo, lo);
        for &end in &ends {
            if end - start > biggest.0 {
                biggest = (end - start, start, end);
            }
            start = end;
        }
        if biggest.0 * 10 <= (hi - lo) * 6 {
            let at = ends
                .iter()
                .copied()
                .filter(|&e| e > lo && e < hi)
                .min_by_key(|&e| e.abs_diff(middle))?;
            return Some(Cut { at, block });
        }
        // One item holds most of the region: cut inside its block, if it has one.
        let (_, s, e) = biggest;
        let open = (s..e).find(|&i| stream[i].kind == TokenKind::LBrace)?;
        let close = close_of[open];
        if close + 1 != e {
            return None;
        }
        block = Some((open, close));
        (lo, hi) = (open + 1, close);
    }
}

/// For each `{` the index of its `}` (the driver balanced the braces); `None` if unbalanced.
fn matching_braces(stream: &[Tok]) -> Option<Vec<usize>> {
    let mut close_of = vec![0; stream.len()];
    let mut open = Vec::new();
    for (i, t) in stream.iter().enumerate() {
        match t.kind {
            TokenKind::LBrace => open.push(i),
            TokenKind::RBrace => close_of[open.pop()?] = i,
            _ => {}
        }
    }
    open.is_empty().then_some(close_of)
}

/// The indices just past each item in `lo..hi`; `None` on anything unexpected there.
fn item_ends(stream: &[Tok], close_of: &[usize], lo: usize, hi: usize) -> Option<Vec<usize>> {
    let mut ends = Vec::new();
    let mut i = lo;
    let mut in_item = false;
    while i < hi {
        match stream[i].kind {
            TokenKind::Semi | TokenKind::RawBlock => {
                ends.push(i + 1);
                in_item = false;
            }
            TokenKind::LBrace => {
                i = close_of[i];
                ends.push(i + 1);
                in_item = false;
            }
            TokenKind::Word | TokenKind::DString | TokenKind::SString => in_item = true,
            _ => return None,
        }
        i += 1;
    }
    (!in_item).then_some(ends)
}

/// The items of the block whose `{` starts at byte `open`.
fn find_block(items: &mut [Item], open: usize) -> Option<&mut Vec<Item>> {
    for item in items {
        let Item::Directive(d) = item else { continue };
        let (start, end) = (d.range.start as usize, d.range.end as usize);
        if open < start || open >= end {
            continue;
        }
        let Body::Block(b) = &mut d.body else {
            return None;
        };
        if b.open.start as usize == open {
            return Some(&mut b.items);
        }
        return find_block(&mut b.items, open);
    }
    None
}
