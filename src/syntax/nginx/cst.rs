//! The nginx concrete syntax tree: directives, arguments and blocks with byte ranges into the
//! file. Together with the token stream it is lossless: every byte of the source is covered.

pub use crate::syntax::text::{SyntaxError, TextRange};

use super::lexer::Token;

/// A parsed file: the full token stream (trivia included), the top-level items and the syntax
/// errors found while building them.
#[derive(Debug, Clone, Default)]
pub struct SyntaxTree {
    pub tokens: Vec<Token>,
    pub items: Vec<Item>,
    pub errors: Vec<SyntaxError>,
}

/// One entry of a block: a directive, or bytes the parser skipped to recover from an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Directive(Box<Directive>),
    Error(TextRange),
}

impl Item {
    /// The bytes the item covers.
    pub fn range(&self) -> TextRange {
        match self {
            Item::Directive(d) => d.range,
            Item::Error(r) => *r,
        }
    }
}

/// `name arg… ;`, `name arg… { … }` or `name arg… { raw }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub name: Arg,
    pub args: Vec<Arg>,
    pub body: Body,
    pub range: TextRange,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Ended by `;`.
    Semi(TextRange),
    Block(Block),
    /// A foreign-language block (`content_by_lua_block { … }`), kept verbatim.
    Raw(TextRange),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub open: TextRange,
    pub items: Vec<Item>,
    /// The closing brace; an empty range at the end of the file when the block was never closed.
    pub close: TextRange,
    pub closed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    Word,
    DoubleQuoted,
    SingleQuoted,
}

/// One argument (or directive name) exactly as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arg {
    pub kind: ArgKind,
    pub range: TextRange,
}

impl Arg {
    /// The source text, quotes included.
    pub fn raw<'a>(&self, src: &'a str) -> &'a str {
        &src[self.range.start as usize..self.range.end as usize]
    }

    pub fn is_quoted(&self) -> bool {
        self.kind != ArgKind::Word
    }

    /// The value nginx sees: quotes removed and `\"`, `\'`, `\\`, `\t`, `\r`, `\n` unescaped
    /// (other backslashes stay, which keeps regexes such as `\.php` intact).
    pub fn value(&self, src: &str) -> String {
        let raw = self.raw(src);
        let inner = match self.kind {
            ArgKind::Word => raw,
            _ => &raw[1..raw.len().saturating_sub(1).max(1)],
        };
        unescape(inner)
    }

    /// Like [`Arg::value`], without allocating for the common unquoted word.
    pub fn value_cow<'a>(&self, src: &'a str) -> std::borrow::Cow<'a, str> {
        let raw = self.raw(src);
        if self.kind == ArgKind::Word && !has_backslash(raw) {
            std::borrow::Cow::Borrowed(raw)
        } else {
            std::borrow::Cow::Owned(self.value(src))
        }
    }

    /// The range of the value without its quotes.
    pub fn value_range(&self) -> TextRange {
        match self.kind {
            ArgKind::Word => self.range,
            _ => TextRange {
                start: self.range.start + 1,
                end: self.range.end.saturating_sub(1),
            },
        }
    }
}

/// Whether `s` holds a `\\`: a plain loop, faster than `memchr` on words this short.
fn has_backslash(s: &str) -> bool {
    s.bytes().any(|b| b == b'\\')
}

/// nginx's escape handling in `ngx_conf_read_token`.
pub fn unescape(s: &str) -> String {
    if !has_backslash(s) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some(&q @ ('"' | '\'' | '\\')) => {
                    out.push(q);
                    chars.next();
                    continue;
                }
                Some('t') => {
                    out.push('\t');
                    chars.next();
                    continue;
                }
                Some('r') => {
                    out.push('\r');
                    chars.next();
                    continue;
                }
                Some('n') => {
                    out.push('\n');
                    chars.next();
                    continue;
                }
                _ => {}
            }
        }
        out.push(c);
    }
    out
}

impl Directive {
    pub fn block(&self) -> Option<&Block> {
        match &self.body {
            Body::Block(b) => Some(b),
            _ => None,
        }
    }

    /// Directives inside this one's block (errors skipped).
    pub fn children(&self) -> impl Iterator<Item = &Directive> {
        self.block().into_iter().flat_map(|b| b.directives())
    }

    /// From the name to the token that ends the statement (`;`, `{`, or a raw block's start).
    pub fn statement_range(&self) -> TextRange {
        let end = match &self.body {
            Body::Semi(r) => *r,
            Body::Block(b) => b.open,
            Body::Raw(r) => TextRange {
                start: r.start,
                end: r.start + 1,
            },
        };
        self.name.range.cover(end)
    }

    /// From the start of the name to the end of the last argument: where labels point.
    pub fn head_range(&self) -> TextRange {
        self.args
            .last()
            .map_or(self.name.range, |a| self.name.range.cover(a.range))
    }
}

impl Block {
    pub fn directives(&self) -> impl Iterator<Item = &Directive> {
        self.items.iter().filter_map(|i| match i {
            Item::Directive(d) => Some(&**d),
            Item::Error(_) => None,
        })
    }
}

impl SyntaxTree {
    pub fn directives(&self) -> impl Iterator<Item = &Directive> {
        self.items.iter().filter_map(|i| match i {
            Item::Directive(d) => Some(&**d),
            Item::Error(_) => None,
        })
    }
}
