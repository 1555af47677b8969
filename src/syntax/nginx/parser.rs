//! The nginx parser driver: lexes, balances braces, runs the LALRPOP grammar with error
//! recovery and turns its errors into [`SyntaxError`]s. Parsing never fails.

use lalrpop_util::{lalrpop_mod, ErrorRecovery, ParseError};

use super::cst::{Block, Item, SyntaxError, SyntaxTree, TextRange};
use super::lexer::{self, Token, TokenKind};
use super::parse_split as split;

lalrpop_mod!(
    #[allow(clippy::all, unused)]
    grammar,
    "/nginx.rs"
);
lalrpop_mod!(
    #[allow(clippy::all, unused)]
    clean_grammar,
    "/nginx_clean.rs"
);

/// Parses one file into a lossless tree plus its syntax errors.
pub fn parse(src: &str) -> SyntaxTree {
    parse_with(src, true, true)
}

/// [`parse`], keeping the trivia tokens or not: without them the tree's `tokens` may be empty
/// (a large file read on two threads), which only a formatter would miss.
pub fn parse_tree(src: &str, trivia: bool) -> SyntaxTree {
    parse_with(src, true, trivia)
}

/// [`parse`], with or without the two-thread path for large files (the same tree either way).
fn parse_with(src: &str, parallel: bool, trivia: bool) -> SyntaxTree {
    if parallel {
        if let Some((tokens, items, mut errors)) =
            super::parse_fused::parse(src, clean_parse, trivia)
        {
            errors.sort_by_key(|e| (e.range.start, e.range.end));
            return SyntaxTree {
                tokens,
                items,
                errors,
            };
        }
    }
    let lexer::Lexed {
        tokens,
        mut stream,
        glued,
        ..
    } = if parallel {
        lexer::lex_for_parse(src)
    } else {
        lexer::lex_whole(src)
    };
    crate::timings::mark("lexed");
    let mut errors = Vec::new();
    // Drop each `}` that closes nothing (reported here), so that braces arrive balanced.
    let mut open: Vec<u32> = Vec::new();
    stream.retain(|t| match t.kind {
        TokenKind::LBrace => {
            open.push(t.start);
            true
        }
        TokenKind::RBrace if open.pop().is_none() => {
            errors.push(SyntaxError {
                range: TextRange::new(t.start as usize, t.end as usize),
                message: "unexpected `}`: no block is open here".into(),
                label: "this `}` closes nothing".into(),
                help: Some("remove it, or look for a block closed too early above".into()),
                related: None,
            });
            false
        }
        _ => true,
    });
    // Close what is still open with empty `}` at the end; `unclosed_blocks` reports them.
    let any_unclosed = !open.is_empty();
    for _ in &open {
        stream.push(Token::empty(TokenKind::RBrace, src.len()));
    }
    crate::timings::mark("braces checked");
    let split = if parallel {
        split::parse_in_two(&stream, clean_parse)
    } else {
        None
    };
    let items = match split {
        Some(items) => items,
        None => {
            let mut recovered: Vec<ErrorRecovery<usize, TokenKind, ()>> = Vec::new();
            let items = match grammar::FileParser::new()
                .parse(&mut recovered, stream.iter().map(|t| Ok(t.triple())))
            {
                Ok(items) => items,
                Err(e) => {
                    errors.push(convert(src, e));
                    Vec::new()
                }
            };
            for r in recovered {
                errors.push(convert(src, r.error));
            }
            items
        }
    };
    crate::timings::mark("grammar");
    errors.extend(glued.iter().map(|t| glued_error(src, t)));
    let mut tree = SyntaxTree {
        tokens,
        items,
        errors,
    };
    if any_unclosed {
        unclosed_blocks(src, &mut tree);
    }
    tree.errors.sort_by_key(|e| (e.range.start, e.range.end));
    tree
}

/// Parses `stream` with the grammar; `None` on any syntax error (the caller parses again with
/// error recovery and reporting).
fn clean_parse(stream: &[split::Tok]) -> Option<Vec<Item>> {
    clean_grammar::FileParser::new()
        .parse(stream.iter().map(|t| Ok(t.triple())))
        .ok()
}

/// The error for `next`, glued to the closing quote before it ([`lexer::glued_after_quote`]).
pub(super) fn glued_error(src: &str, next: &Token) -> SyntaxError {
    let shown: String = next.text(src).chars().take(1).collect();
    SyntaxError {
        range: TextRange::new(next.start as usize, next.end as usize),
        message: format!("unexpected `{shown}` right after a quoted string"),
        label: "nginx needs a space, `;` or `{` after the closing quote".into(),
        help: Some("add a space before it (or end the directive with `;`)".into()),
        related: None,
    }
}

fn describe(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Word => "a word",
        TokenKind::DString | TokenKind::SString => "a quoted string",
        TokenKind::LBrace => "`{`",
        TokenKind::RBrace => "`}`",
        TokenKind::Semi => "`;`",
        TokenKind::RawBlock => "a raw block",
        _ => "an invalid token",
    }
}

fn convert(src: &str, e: ParseError<usize, TokenKind, ()>) -> SyntaxError {
    let simple =
        |s: usize, e: usize, message: String, label: &str, help: Option<&str>| SyntaxError {
            range: TextRange::new(s, e),
            message,
            label: label.into(),
            help: help.map(Into::into),
            related: None,
        };
    match e {
        ParseError::UnrecognizedToken {
            token: (s, TokenKind::Error, e),
            ..
        }
        | ParseError::InvalidToken { location: s @ e } => {
            let quote = src[s..].chars().next().unwrap_or('"');
            simple(
                s,
                e.max(s + 1),
                format!("unterminated string: no closing {quote}"),
                "this string is never closed",
                Some("close the quote on the same line; nginx would read to the end of the file looking for it"),
            )
        }
        ParseError::UnrecognizedToken {
            token: (s, tok, e),
            expected,
        } => {
            let wants_semi = expected.iter().any(|x| x == "\";\"");
            if s == src.len() && e == s {
                // The `}` the driver added to close blocks at the end of the file.
                return simple(
                    s.saturating_sub(1),
                    s,
                    "unexpected end of file, expecting `;`".into(),
                    "the file ends inside a directive",
                    Some("end the last directive with `;`"),
                );
            }
            match tok {
                TokenKind::RBrace | TokenKind::Word | TokenKind::DString | TokenKind::SString
                    if wants_semi =>
                {
                    simple(
                        s,
                        e,
                        format!("unexpected {}, expecting `;`", describe(tok)),
                        "the directive before this is not terminated",
                        Some("end the directive with `;`"),
                    )
                }
                TokenKind::Semi | TokenKind::LBrace | TokenKind::RawBlock => simple(
                    s,
                    e,
                    format!("unexpected {}: a directive name is missing", describe(tok)),
                    "expected a directive name before this",
                    None,
                ),
                _ => simple(
                    s,
                    e,
                    format!("unexpected {}", describe(tok)),
                    "unexpected here",
                    None,
                ),
            }
        }
        ParseError::UnrecognizedEof { location, .. } => simple(
            location.saturating_sub(1),
            location,
            "unexpected end of file, expecting `;` or `}`".into(),
            "the file ends inside a directive",
            Some("end the last directive with `;`"),
        ),
        ParseError::ExtraToken { token: (s, tok, e) } => simple(
            s,
            e,
            format!("unexpected {}", describe(tok)),
            "unexpected here",
            None,
        ),
        ParseError::User { .. } => simple(0, 0, "parse error".into(), "here", None),
    }
}

/// The last non-blank character of the file (where "the file ends" is worth pointing).
fn last_char(src: &str) -> TextRange {
    let trimmed = src.trim_end();
    let start = trimmed.char_indices().last().map_or(0, |(i, _)| i);
    TextRange::new(start, trimmed.len())
}

/// Column (in characters) of the first non-blank character of the line holding `pos`.
fn indent_of_line(src: &str, pos: usize) -> usize {
    let line_start = src[..pos].rfind('\n').map_or(0, |i| i + 1);
    src[line_start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .map(|c| if c == '\t' { 4 } else { 1 })
        .sum()
}

fn header(src: &str, d: &super::cst::Directive) -> String {
    let mut s = d.name.raw(src).to_string();
    for a in &d.args {
        s.push(' ');
        s.push_str(a.raw(src));
    }
    s
}

/// Reports blocks left open at the end of the file. nginx only says "unexpected end of file,
/// expecting }"; the indentation usually tells which block lost its brace: the first nested
/// block whose `}` sits left of its own header borrowed the brace of an outer block.
fn unclosed_blocks(src: &str, tree: &mut SyntaxTree) {
    fn walk<'a>(
        src: &str,
        items: &'a [Item],
        unclosed: &mut Vec<&'a super::cst::Directive>,
        suspect: &mut Option<&'a super::cst::Directive>,
    ) {
        for item in items {
            let Item::Directive(d) = item else { continue };
            let Some(b) = d.block() else { continue };
            if !b.closed {
                unclosed.push(d);
            } else if suspect.is_none()
                && !unclosed.is_empty()
                && indent_of_line(src, b.close.start as usize)
                    < indent_of_line(src, d.range.start as usize)
            {
                *suspect = Some(d);
            }
            walk(src, &b.items, unclosed, suspect);
        }
    }
    let mut unclosed = Vec::new();
    let mut suspect = None;
    walk(src, &tree.items, &mut unclosed, &mut suspect);
    let Some(outer) = unclosed.first() else {
        return;
    };
    let err = match suspect {
        Some(d) => {
            let b: &Block = d.block().expect("suspect has a block");
            let line = src[..b.close.start as usize].matches('\n').count() + 1;
            SyntaxError {
                range: d.head_range(),
                message: format!(
                    "unexpected end of file, expecting `}}`: `{}` is never closed",
                    header(src, d)
                ),
                label: "this block is missing its `}`".into(),
                help: Some(format!(
                    "add `}}` to close `{}` before line {line}",
                    header(src, d)
                )),
                related: Some((
                    b.close,
                    format!(
                        "this `}}` is indented like `{}`, the block it was meant to close",
                        header(src, outer)
                    ),
                )),
            }
        }
        None => SyntaxError {
            range: outer.head_range(),
            message: format!(
                "unexpected end of file, expecting `}}`: `{}` is never closed",
                header(src, outer)
            ),
            label: "this block is never closed".into(),
            help: Some("add the missing `}`".into()),
            related: Some((
                last_char(src),
                "the file ends here, inside this block".into(),
            )),
        },
    };
    tree.errors.push(err);
}

#[cfg(test)]
mod tests {
    use super::parse_with;

    /// A configuration large enough for the two-thread path, with nested blocks, quotes,
    /// comments and regexes.
    fn big(servers: usize) -> String {
        let mut s = String::from(
            "# generated\nworker_processes 2;\nevents { worker_connections 1024; }\nhttp {\n",
        );
        for i in 0..servers {
            s.push_str(&format!(
                "  upstream u{i} {{ server 10.0.{}.{}:80 weight=2; server b{i}.example:8080 backup; }}\n  server {{\n    listen 80; server_name \"s{i}.example\" 'alt{i}';\n    location ~ ^/a{i}/(.*)\\.php$ {{ proxy_pass http://u{i}; }} # c\n    location / {{ if ($x = \"y;{{\") {{ return 301 /z; }} }}\n  }}\n",
                i / 250,
                i % 250
            ));
        }
        s.push_str("}\n");
        s
    }

    #[test]
    fn two_threads_build_the_same_tree() {
        let src = big(3000);
        assert!(src.len() > 256 * 1024);
        let (a, b) = (parse_with(&src, true, true), parse_with(&src, false, true));
        assert!(b.errors.is_empty(), "{:?}", b.errors);
        assert_eq!(a.tokens, b.tokens);
        assert_eq!(a.items, b.items);
        // The two-thread paths were taken (not the fallback).
        assert!(super::super::lexer::lex_halves(&src, true).is_some());
        let stream: Vec<_> = a
            .tokens
            .iter()
            .filter(|t| !t.kind.is_trivia())
            .copied()
            .collect();
        assert!(super::split::parse_in_two(&stream, super::clean_parse).is_some());
    }

    #[test]
    fn lexing_and_parsing_each_half_on_its_thread_builds_the_same_tree() {
        // Different sizes put the middle of the file at different depths: inside `http`,
        // an `upstream`, a `server`, a `location` or an `if` block, or mid-directive.
        let mut depths = std::collections::BTreeSet::new();
        let mut taken = 0;
        for n in 3000..3024 {
            let src = big(n);
            let b = parse_with(&src, false, true);
            let Some((tokens, items, _)) =
                super::super::parse_fused::parse(&src, super::clean_parse, true)
            else {
                continue;
            };
            taken += 1;
            assert_eq!(tokens, b.tokens, "{n} servers");
            assert_eq!(items, b.items, "{n} servers");
            // Without trivia: no tokens kept, the same items.
            let (lean, lean_items, _) =
                super::super::parse_fused::parse(&src, super::clean_parse, false).unwrap();
            assert!(lean.is_empty());
            assert_eq!(lean_items, b.items, "{n} servers, no trivia");
            let cut = super::super::lexer::middle_cut(&src).unwrap();
            let depth = src[..cut].matches('{').count() - src[..cut].matches('}').count();
            depths.insert(depth);
        }
        assert!(
            taken >= 12,
            "the two-thread path was taken {taken} times of 24"
        );
        assert!(depths.len() >= 3, "cuts only at depths {depths:?}");
        // Unbalanced braces or a syntax error send the file down the general path.
        let mut src = big(3000);
        let line = src.len() * 3 / 4 + src[src.len() * 3 / 4..].find('\n').unwrap();
        src.insert_str(line, "\n}\n");
        assert!(super::super::parse_fused::parse(&src, super::clean_parse, true).is_none());
        let mut src = big(3000);
        src.insert_str(line, "\n;\n");
        assert!(!parse_with(&src, false, true).errors.is_empty());
        assert!(super::super::parse_fused::parse(&src, super::clean_parse, true).is_none());
    }

    #[test]
    fn quotes_glued_to_text_are_reported_in_both_halves_with_or_without_trivia() {
        let mut src = big(3000);
        for at in [src.len() * 3 / 4, src.len() / 4] {
            let line = at + src[at..].find('\n').unwrap() + 1;
            src.insert_str(line, "add_header X \"a\"b;\n");
        }
        let one = parse_with(&src, false, true);
        assert_eq!(one.errors.len(), 2, "{:?}", one.errors);
        for trivia in [true, false] {
            let two = parse_with(&src, true, trivia);
            assert_eq!(two.errors, one.errors);
            assert_eq!(two.items, one.items);
            assert_eq!(two.tokens.is_empty(), !trivia);
        }
    }

    #[test]
    fn the_fast_path_grammar_builds_the_trees_of_the_recovering_one() {
        // Both grammars on every error-free file of the nginx corpus (and the seeds).
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in [root.join("../shared/corpus/nginx"), root.join("fixtures")] {
            let mut stack = vec![dir];
            while let Some(d) = stack.pop() {
                let Ok(entries) = std::fs::read_dir(&d) else {
                    continue;
                };
                for e in entries.flatten() {
                    let p = e.path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if p.extension().is_some_and(|x| x == "conf") {
                        files.push(p);
                    }
                }
            }
        }
        let mut compared = 0;
        for f in &files {
            let Ok(src) = std::fs::read_to_string(f) else {
                continue;
            };
            let tree = parse_with(&src, false, true);
            if !tree.errors.is_empty() {
                continue;
            }
            let stream = super::super::lexer::significant(&tree.tokens);
            assert_eq!(
                super::clean_parse(&stream).as_ref(),
                Some(&tree.items),
                "{}",
                f.display()
            );
            compared += 1;
        }
        assert!(compared >= 100, "only {compared} files compared");
    }

    #[test]
    fn errors_in_a_large_file_are_the_same_as_in_one_piece() {
        let mut src = big(3000);
        // A missing `;` late in the file, a stray `}` and an unterminated quote early on.
        let late = src.len() * 3 / 4;
        let at = late + src[late..].find("weight=2;").unwrap() + "weight=2".len();
        src.replace_range(at..at + 1, "");
        src.insert_str(200, "\n}\n");
        src.insert_str(100, "\nset $a \"open;\n");
        let (a, b) = (parse_with(&src, true, true), parse_with(&src, false, true));
        assert!(b.errors.len() >= 2, "{:?}", b.errors);
        assert_eq!(a.errors, b.errors);
        assert_eq!(a.tokens, b.tokens);
        assert_eq!(a.items, b.items);
    }
}
