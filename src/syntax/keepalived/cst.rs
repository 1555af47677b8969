//! The keepalived syntax tree: lines (a keyword and its words) and `{ … }` blocks, with byte
//! ranges into the file. With the token stream it is lossless; words produced by `$NAME`
//! expansion carry the range of the `$NAME` they came from and their expanded text.

pub use crate::syntax::text::{SyntaxError, TextRange};

use super::lexer::Token;

/// A parsed file.
#[derive(Debug, Clone, Default)]
pub struct SyntaxTree {
    pub tokens: Vec<Token>,
    /// Every word the grammar saw, indexed by [`WordId`].
    pub words: Vec<Word>,
    pub items: Vec<Item>,
    pub errors: Vec<SyntaxError>,
    /// `$NAME=value` definitions, in order.
    pub definitions: Vec<Definition>,
}

/// Index into [`SyntaxTree::words`].
pub type WordId = u32;

/// One word as keepalived sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Where it is written (for an expanded word: the `$NAME` it came from).
    pub range: TextRange,
    /// The value: quotes removed, escapes and `$NAME`s resolved.
    pub text: String,
    /// The `@ID` (or `@^ID`) that makes its line conditional.
    pub cond: Option<String>,
    pub expanded: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    pub name: String,
    pub value: String,
    pub range: TextRange,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Line(Box<Line>),
    Error(TextRange),
}

/// `keyword word…` and optionally its `{ … }` block (on the same line or the next).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub name: WordId,
    pub args: Vec<WordId>,
    pub block: Option<Block>,
    pub range: TextRange,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub open: TextRange,
    pub items: Vec<Item>,
    pub close: TextRange,
    pub closed: bool,
}

impl Line {
    /// From the keyword to its last word: where labels point.
    pub fn head_range(&self, tree: &SyntaxTree) -> TextRange {
        let first = tree.words[self.name as usize].range;
        self.args
            .iter()
            .fold(first, |r, a| r.cover(tree.words[*a as usize].range))
    }
}

impl Block {
    pub fn lines(&self) -> impl Iterator<Item = &Line> {
        self.items.iter().filter_map(|i| match i {
            Item::Line(l) => Some(&**l),
            Item::Error(_) => None,
        })
    }
}
