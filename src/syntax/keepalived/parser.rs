//! The keepalived parser driver: lexes, applies keepalived's line preprocessing (`@ID`
//! conditional lines, `$NAME=value` definitions and `$NAME`/`${NAME}` expansion, `~SEQ`
//! repetition), marks where lines end, balances braces and runs the LALRPOP grammar with error
//! recovery. Parsing never fails.

use std::collections::HashMap;

use lalrpop_util::{lalrpop_mod, ErrorRecovery, ParseError};

use super::cst::{Definition, SyntaxError, SyntaxTree, TextRange, Word, WordId};
use super::lexer::{lex, unquote, Token, TokenKind};

lalrpop_mod!(
    #[allow(clippy::all, unused)]
    grammar,
    "/keepalived.rs"
);

/// A token of the grammar: words are indices into [`SyntaxTree::words`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    Word(WordId),
    /// The end of a line of words.
    Nl,
    LBrace,
    RBrace,
    Error,
}

/// `$NAME` definitions in force (they carry over into included files).
pub type Defs = HashMap<String, String>;

/// Parses one file with no definitions in force.
pub fn parse(src: &str) -> SyntaxTree {
    parse_with(src, &mut Defs::new())
}

struct Builder<'a> {
    src: &'a str,
    words: Vec<Word>,
    out: Vec<(usize, Tok, usize)>,
    errors: Vec<SyntaxError>,
}

impl Builder<'_> {
    fn word(&mut self, range: TextRange, text: String, cond: &Option<String>, expanded: bool) {
        let id = self.words.len() as WordId;
        self.words.push(Word {
            range,
            text,
            cond: cond.clone(),
            expanded,
        });
        self.out
            .push((range.start as usize, Tok::Word(id), range.end as usize));
    }

    fn token(&mut self, t: &Token, cond: &Option<String>) {
        let (s, e) = (t.start as usize, t.end as usize);
        match t.kind {
            TokenKind::Word => {
                let raw = &self.src[s..e];
                self.word(TextRange::new(s, e), unquote(raw), cond, false)
            }
            TokenKind::LBrace => self.out.push((s, Tok::LBrace, e)),
            TokenKind::RBrace => self.out.push((s, Tok::RBrace, e)),
            TokenKind::Error => self.out.push((s, Tok::Error, e)),
            _ => {}
        }
    }

    /// Emits the tokens of text produced by an expansion, all at `range`.
    fn expanded(&mut self, text: &str, range: TextRange, cond: &Option<String>) {
        let (s, e) = (range.start as usize, range.end as usize);
        for t in lex(text) {
            match t.kind {
                TokenKind::Word => self.word(range, unquote(t.text(text)), cond, true),
                TokenKind::LBrace => self.out.push((s, Tok::LBrace, e)),
                TokenKind::RBrace => self.out.push((s, Tok::RBrace, e)),
                TokenKind::Newline => self.out.push((e, Tok::Nl, e)),
                TokenKind::Error => self.out.push((s, Tok::Error, e)),
                _ => {}
            }
        }
    }
}

/// Parses one file; `defs` are the definitions in force, updated by the file's own.
pub fn parse_with(src: &str, defs: &mut Defs) -> SyntaxTree {
    let tokens = lex(src);
    let mut b = Builder {
        src,
        words: Vec::new(),
        out: Vec::new(),
        errors: Vec::new(),
    };
    let mut definitions = Vec::new();
    // Physical lines of significant tokens.
    let mut lines: Vec<Vec<Token>> = vec![Vec::new()];
    for t in &tokens {
        match t.kind {
            TokenKind::Newline => lines.push(Vec::new()),
            k if k.is_trivia() => {}
            _ => lines.last_mut().expect("one line").push(*t),
        }
    }
    // A multi-line definition being read: its index in `definitions`.
    let mut multiline: Option<usize> = None;
    for line in &lines {
        let Some(first) = line.first() else { continue };
        let last = line.last().expect("non-empty");
        let text = &src[first.start as usize..last.end as usize];
        if let Some(i) = multiline {
            let d: &mut Definition = &mut definitions[i];
            let (part, more) = strip_continuation(text);
            d.value.push('\n');
            d.value.push_str(part);
            d.range = d
                .range
                .cover(TextRange::new(first.start as usize, last.end as usize));
            defs.insert(d.name.clone(), d.value.clone());
            if !more {
                multiline = None;
            }
            continue;
        }
        let mut rest: &[Token] = line;
        let mut cond = None;
        if first.kind == TokenKind::Word && first.text(src).starts_with('@') {
            cond = Some(first.text(src)[1..].to_string());
            rest = &line[1..];
        }
        let Some(head) = rest.first() else { continue };
        let text = &src[head.start as usize..last.end as usize];
        let range = TextRange::new(head.start as usize, last.end as usize);
        if let Some((name, value)) = definition(text) {
            let (value, more) = strip_continuation(value);
            defs.insert(name.to_string(), value.to_string());
            definitions.push(Definition {
                name: name.to_string(),
                value: value.to_string(),
                range,
            });
            if more {
                multiline = Some(definitions.len() - 1);
            }
            continue;
        }
        if text.starts_with("~SEQ") {
            match sequence(text) {
                Some((var, values, body)) => {
                    for v in values {
                        defs.insert(var.to_string(), v.to_string());
                        let line = expand(body, defs);
                        b.expanded(&line, range, &cond);
                        b.out
                            .push((range.end as usize, Tok::Nl, range.end as usize));
                    }
                }
                None => b.errors.push(SyntaxError {
                    range,
                    message: "invalid `~SEQ` specification".into(),
                    label: "expected `~SEQ(VAR, START, STEP, END) TEXT`".into(),
                    help: None,
                    related: None,
                }),
            }
            continue;
        }
        for t in rest {
            let raw = t.text(src);
            if t.kind == TokenKind::Word && raw.contains('$') && !defs.is_empty() {
                let x = expand(raw, defs);
                if x != raw {
                    b.expanded(&x, TextRange::new(t.start as usize, t.end as usize), &cond);
                    continue;
                }
            }
            b.token(t, &cond);
        }
        b.out.push((last.end as usize, Tok::Nl, last.end as usize));
    }
    let stream = normalize(src, std::mem::take(&mut b.out), &mut b.errors);
    let mut recovered: Vec<ErrorRecovery<usize, Tok, ()>> = Vec::new();
    let items = match grammar::FileParser::new().parse(&mut recovered, stream.into_iter().map(Ok)) {
        Ok(items) => items,
        Err(e) => {
            b.errors.push(convert(src, e));
            Vec::new()
        }
    };
    for r in recovered {
        b.errors.push(convert(src, r.error));
    }
    let mut tree = SyntaxTree {
        tokens,
        words: b.words,
        items,
        errors: b.errors,
        definitions,
    };
    unclosed(&mut tree);
    tree.errors.sort_by_key(|e| (e.range.start, e.range.end));
    tree
}

/// A line ending in `\` continues a multi-line definition.
fn strip_continuation(s: &str) -> (&str, bool) {
    match s.strip_suffix('\\') {
        Some(v) => (v.trim_end(), true),
        None => (s, false),
    }
}

/// `$NAME=value` (spaces allowed around `=`): the name and the value.
fn definition(text: &str) -> Option<(&str, &str)> {
    let body = text.strip_prefix('$')?;
    let end = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(body.len());
    let name = &body[..end];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let after = body[end..].trim_start_matches([' ', '\t']);
    let value = after.strip_prefix('=')?;
    Some((name, value.trim_matches([' ', '\t'])))
}

/// Replaces `$NAME` and `${NAME}` the way keepalived's `replace_param` does: `$NAME` must be
/// followed by the end, whitespace, `,` or `)`; unknown names stay as written.
pub fn expand(s: &str, defs: &Defs) -> String {
    let mut cur = s.to_string();
    for _ in 0..16 {
        let mut out = String::with_capacity(cur.len());
        let mut changed = false;
        let mut i = 0;
        let bytes = cur.as_bytes();
        while i < bytes.len() {
            if bytes[i] == b'$' {
                let braced = bytes.get(i + 1) == Some(&b'{');
                let start = i + 1 + braced as usize;
                let len = cur[start..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(cur.len() - start);
                let name = &cur[start..start + len];
                let next = cur.as_bytes().get(start + len).copied();
                let ok = if braced {
                    next == Some(b'}')
                } else {
                    matches!(next, None | Some(b' ' | b'\t' | b',' | b')'))
                };
                if let (true, Some(v)) = (ok && !name.is_empty(), defs.get(name)) {
                    out.push_str(v);
                    i = start + len + braced as usize;
                    changed = true;
                    continue;
                }
            }
            let ch = cur[i..].chars().next().expect("in bounds");
            out.push(ch);
            i += ch.len_utf8();
        }
        if !changed {
            return out;
        }
        cur = out;
    }
    cur
}

/// `~SEQ(VAR, END)`, `~SEQ(VAR, START, END)` or `~SEQ(VAR, START, STEP, END)` and the text to
/// repeat (at most 4096 times).
fn sequence(text: &str) -> Option<(&str, Vec<i64>, &str)> {
    let rest = text
        .strip_prefix("~SEQ")?
        .trim_start_matches('x')
        .trim_start();
    let rest = rest.strip_prefix('(')?;
    let close = rest.find(')')?;
    let parts: Vec<&str> = rest[..close].split(',').map(str::trim).collect();
    let var = *parts.first()?;
    let nums: Vec<i64> = parts[1..]
        .iter()
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let (start, step, end) = match nums[..] {
        [end] => (
            if end < 0 { -1 } else { 1 },
            if end < 1 { -1 } else { 1 },
            end,
        ),
        [start, end] => (start, if start <= end { 1 } else { -1 }, end),
        [start, step, end] => (start, step, end),
        _ => return None,
    };
    if step == 0 || (start < end && step < 0) || (start > end && step > 0) {
        return None;
    }
    let mut values = Vec::new();
    let mut v = start;
    while (step > 0 && v <= end) || (step < 0 && v >= end) {
        values.push(v);
        if values.len() >= 4096 {
            break;
        }
        v += step;
    }
    Some((var, values, rest[close + 1..].trim()))
}

/// Keeps one `nl` after each line of words (also before a `}` that follows a word), drops
/// stray `}`s with an error, and closes blocks left open at the end of the file.
fn normalize(
    src: &str,
    raw: Vec<(usize, Tok, usize)>,
    errors: &mut Vec<SyntaxError>,
) -> Vec<(usize, Tok, usize)> {
    let mut out: Vec<(usize, Tok, usize)> = Vec::with_capacity(raw.len());
    let mut depth = 0usize;
    let after_word = |out: &Vec<(usize, Tok, usize)>| {
        matches!(out.last(), Some((_, Tok::Word(_) | Tok::Error, _)))
    };
    for (s, t, e) in raw {
        match t {
            Tok::Nl => {
                if after_word(&out) {
                    let end = out.last().map_or(s, |x| x.2);
                    out.push((end, Tok::Nl, end));
                }
                continue;
            }
            Tok::RBrace => {
                if depth == 0 {
                    errors.push(SyntaxError {
                        range: TextRange::new(s, e),
                        message: "extra `}`: no block is open here".into(),
                        label: "this `}` closes nothing".into(),
                        help: Some("remove it, or look for a block closed too early above".into()),
                        related: None,
                    });
                    continue;
                }
                depth -= 1;
                if after_word(&out) {
                    let end = out.last().map_or(s, |x| x.2);
                    out.push((end, Tok::Nl, end));
                }
            }
            Tok::LBrace => depth += 1,
            _ => {}
        }
        out.push((s, t, e));
    }
    if after_word(&out) {
        out.push((src.len(), Tok::Nl, src.len()));
    }
    for _ in 0..depth {
        out.push((src.len(), Tok::RBrace, src.len()));
    }
    out
}

fn convert(src: &str, e: ParseError<usize, Tok, ()>) -> SyntaxError {
    let simple = |s: usize, e: usize, message: &str, label: &str, help: Option<&str>| SyntaxError {
        range: TextRange::new(s, e.max(s)),
        message: message.into(),
        label: label.into(),
        help: help.map(Into::into),
        related: None,
    };
    match e {
        ParseError::UnrecognizedToken {
            token: (s, Tok::Error, e),
            ..
        } => simple(
            s,
            e,
            "unterminated string: no closing `\"` on this line",
            "this string is never closed",
            Some("close the quote on the same line"),
        ),
        ParseError::UnrecognizedToken {
            token: (s, Tok::LBrace, e),
            ..
        } => simple(
            s,
            e,
            "unexpected `{`: no keyword opens this block",
            "keepalived ignores this `{`, and the `}` that matches it closes the enclosing block",
            Some("put the `{` after the keyword it belongs to, or remove it"),
        ),
        ParseError::UnrecognizedToken {
            token: (s, _, e), ..
        }
        | ParseError::ExtraToken { token: (s, _, e) } => {
            simple(s, e, "unexpected token", "unexpected here", None)
        }
        ParseError::InvalidToken { location } | ParseError::UnrecognizedEof { location, .. } => {
            let l = location.min(src.len());
            simple(
                l.saturating_sub(1),
                l,
                "unexpected end of file",
                "here",
                None,
            )
        }
        ParseError::User { .. } => simple(0, 0, "parse error", "here", None),
    }
}

/// Reports the outermost block left open at the end of the file.
fn unclosed(tree: &mut SyntaxTree) {
    fn find(items: &[super::cst::Item]) -> Option<&super::cst::Line> {
        items.iter().find_map(|i| match i {
            super::cst::Item::Line(l) => match &l.block {
                Some(b) if !b.closed => Some(&**l),
                Some(b) => find(&b.items),
                None => None,
            },
            super::cst::Item::Error(_) => None,
        })
    }
    let Some(line) = find(&tree.items) else {
        return;
    };
    let head = line.head_range(tree);
    let name = tree.words[line.name as usize].text.clone();
    tree.errors.push(SyntaxError {
        range: head,
        message: format!("missing `}}`: the `{name}` block is never closed"),
        label: "this block is never closed".into(),
        help: Some(
            "add the missing `}`; keepalived reports `There are 1 missing '}'s or extra '{'s`"
                .into(),
        ),
        related: None,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion_follows_keepalived() {
        let defs: Defs = [("A".to_string(), "1".to_string())].into_iter().collect();
        assert_eq!(expand("$A", &defs), "1");
        assert_eq!(expand("x${A}y", &defs), "x1y");
        assert_eq!(expand("$A/x", &defs), "$A/x");
        assert_eq!(expand("$B", &defs), "$B");
    }

    #[test]
    fn lines_and_blocks() {
        let t = parse(
            "vrrp_instance VI_1\n{\n state MASTER }\nvirtual_ipaddress { 10.0.0.1/24 dev eth0 }\n",
        );
        assert!(t.errors.is_empty(), "{:?}", t.errors);
        assert_eq!(t.items.len(), 2);
        let t = parse("@main $P=100\npriority $P\n~SEQ(i, 2) x$i\n");
        assert!(t.errors.is_empty(), "{:?}", t.errors);
        let texts: Vec<&str> = t.words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["priority", "100", "x1", "x2"]);
    }
}
