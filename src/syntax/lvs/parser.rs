//! The shell parser: recursive descent over the token stream. Reserved words (`case`, `if`,
//! `do`, `esac`, …) are keywords only where a command starts, which is why this parser is
//! written by hand rather than generated. Parsing never fails: an error skips to the end of the
//! line and parsing goes on.

use super::cst::*;
use super::lexer::{lex, Token, TokenKind};

/// Parses one script into a lossless tree plus its syntax errors.
pub fn parse(src: &str) -> Script {
    let tokens = lex(src);
    let toks: Vec<Token> = tokens
        .iter()
        .copied()
        .filter(|t| !t.kind.is_trivia())
        .collect();
    let mut p = Parser {
        src,
        toks,
        pos: 0,
        errors: Vec::new(),
    };
    let stmts = p.list(&[], false);
    // Whatever a nested list left (a stray `)`, `;;`, `fi`, `done`, `}`) is reported here.
    while p.pos < p.toks.len() {
        let t = p.toks[p.pos];
        p.error(
            t,
            format!("unexpected `{}`", t.text(src)),
            "nothing open here ends with this",
            Some("remove it, or look for what was closed too early above"),
        );
        p.pos += 1;
        let more = p.list(&[], false);
        let _ = more;
    }
    let mut script = Script {
        tokens,
        stmts,
        errors: p.errors,
    };
    script.errors.sort_by_key(|e| (e.range.start, e.range.end));
    script
}

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    errors: Vec<SyntaxError>,
}

const RESERVED: &[&str] = &[
    "case", "esac", "if", "then", "elif", "else", "fi", "for", "while", "until", "do", "done", "{",
    "}", "function", "!", "in",
];

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<Token> {
        self.toks.get(self.pos).copied()
    }

    fn kind(&self) -> Option<TokenKind> {
        self.peek().map(|t| t.kind)
    }

    fn text(&self, t: Token) -> &'a str {
        t.text(self.src)
    }

    /// The reserved word at the current position (a command starts here).
    fn keyword(&self) -> Option<&'a str> {
        let t = self.peek()?;
        (t.kind == TokenKind::Word && RESERVED.contains(&self.text(t))).then(|| self.text(t))
    }

    fn at_keyword(&self, kw: &str) -> bool {
        self.keyword() == Some(kw)
    }

    fn error(&mut self, t: Token, message: String, label: &str, help: Option<&str>) {
        self.errors.push(SyntaxError {
            range: TextRange::new(t.start as usize, t.end as usize),
            message,
            label: label.into(),
            help: help.map(Into::into),
        });
    }

    fn end_of_prev(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.toks.get(i))
            .map_or(0, |t| t.end as usize)
    }

    fn skip_newlines(&mut self) {
        while self.kind() == Some(TokenKind::Newline) {
            self.pos += 1;
        }
    }

    /// Statements until one of `terminators` (reserved words), a `)` or `;;` (when `in_parens`
    /// or in a case branch; the caller decides) or the end of the file.
    fn list(&mut self, terminators: &[&str], stop_at_paren: bool) -> Vec<Stmt> {
        let mut out = Vec::new();
        loop {
            while matches!(self.kind(), Some(TokenKind::Newline | TokenKind::Semi)) {
                self.pos += 1;
            }
            let Some(t) = self.peek() else { break };
            if let Some(kw) = self.keyword() {
                if terminators.contains(&kw) {
                    break;
                }
                if matches!(
                    kw,
                    "esac" | "then" | "elif" | "else" | "fi" | "do" | "done" | "}" | "in"
                ) {
                    // A terminator of an enclosing construct, or a stray one: the caller decides.
                    break;
                }
            }
            match t.kind {
                TokenKind::DoubleSemi => break,
                TokenKind::RParen if stop_at_paren => break,
                TokenKind::RParen => break,
                _ => {}
            }
            let before = self.pos;
            if let Some(s) = self.stmt(terminators) {
                out.push(s);
            }
            if self.pos == before {
                // No progress: report the token and skip it.
                self.error(
                    t,
                    format!("unexpected `{}`", self.text(t)),
                    "a command was expected here",
                    None,
                );
                self.pos += 1;
            }
        }
        out
    }

    fn stmt(&mut self, terminators: &[&str]) -> Option<Stmt> {
        let first = self.pipeline(terminators)?;
        let start = first.range.start as usize;
        let mut rest = Vec::new();
        loop {
            let op = match self.kind() {
                Some(TokenKind::AndAnd) => ListOp::And,
                Some(TokenKind::OrOr) => ListOp::Or,
                _ => break,
            };
            let op_tok = self.peek().unwrap();
            self.pos += 1;
            self.skip_newlines();
            match self.pipeline(terminators) {
                Some(p) => rest.push((op, p)),
                None => {
                    self.error(
                        op_tok,
                        format!("`{}` is not followed by a command", self.text(op_tok)),
                        "a command must follow",
                        None,
                    );
                    break;
                }
            }
        }
        let mut background = false;
        match self.kind() {
            Some(TokenKind::Amp) => {
                background = true;
                self.pos += 1;
            }
            Some(TokenKind::Semi | TokenKind::Newline) | None => {}
            Some(TokenKind::DoubleSemi | TokenKind::RParen) => {}
            Some(_) if self.keyword().is_some() => {}
            Some(_) => {
                let t = self.peek().unwrap();
                self.error(
                    t,
                    format!("unexpected `{}` after a command", self.text(t)),
                    "unexpected here",
                    Some("end the command with a newline or `;`"),
                );
                self.recover();
            }
        }
        let end = self.end_of_prev();
        Some(Stmt {
            first,
            rest,
            background,
            range: TextRange::new(start, end),
        })
    }

    /// Skips to the end of the line.
    fn recover(&mut self) {
        while let Some(k) = self.kind() {
            if k == TokenKind::Newline {
                break;
            }
            self.pos += 1;
        }
    }

    fn pipeline(&mut self, terminators: &[&str]) -> Option<Pipeline> {
        let start = self.peek()?.start as usize;
        let mut negated = false;
        if self.at_keyword("!") {
            negated = true;
            self.pos += 1;
        }
        let mut commands = vec![self.command(terminators)?];
        while self.kind() == Some(TokenKind::Pipe) {
            let bar = self.peek().unwrap();
            self.pos += 1;
            self.skip_newlines();
            match self.command(terminators) {
                Some(c) => commands.push(c),
                None => {
                    self.error(
                        bar,
                        "`|` is not followed by a command".into(),
                        "a command must follow",
                        None,
                    );
                    break;
                }
            }
        }
        Some(Pipeline {
            negated,
            commands,
            range: TextRange::new(start, self.end_of_prev()),
        })
    }

    fn command(&mut self, terminators: &[&str]) -> Option<Command> {
        let t = self.peek()?;
        let cmd = match self.keyword() {
            Some(kw) if terminators.contains(&kw) => return None,
            Some("case") => Command::Case(self.case()),
            Some("if") => Command::If(self.if_()),
            Some("for") => Command::Loop(self.for_()),
            Some(kw @ ("while" | "until")) => {
                let kind = if kw == "while" {
                    LoopKind::While
                } else {
                    LoopKind::Until
                };
                Command::Loop(self.while_(kind))
            }
            Some("{") => Command::Group(self.group()),
            Some("function") => self.function_kw()?,
            Some(_) => return None,
            None => match t.kind {
                TokenKind::LParen => Command::Group(self.subshell()),
                TokenKind::Word
                    if self.toks.get(self.pos + 1).map(|t| t.kind) == Some(TokenKind::LParen)
                        && self.toks.get(self.pos + 2).map(|t| t.kind)
                            == Some(TokenKind::RParen) =>
                {
                    let name = Word {
                        range: TextRange::new(t.start as usize, t.end as usize),
                    };
                    self.pos += 3;
                    self.function_body(name, t.start as usize)?
                }
                TokenKind::Word | TokenKind::Redirect | TokenKind::Error => {
                    Command::Simple(self.simple())
                }
                _ => return None,
            },
        };
        // Redirections after a compound command (`done > log`, `} 2>&1`).
        if !matches!(cmd, Command::Simple(_)) {
            while self.kind() == Some(TokenKind::Redirect) {
                self.pos += 1;
                if self.kind() == Some(TokenKind::Word) {
                    self.pos += 1;
                }
            }
        }
        Some(cmd)
    }

    fn simple(&mut self) -> Simple {
        let start = self.peek().unwrap().start as usize;
        let mut words = Vec::new();
        let mut redirects = Vec::new();
        while let Some(t) = self.peek() {
            match t.kind {
                TokenKind::Word => {
                    words.push(Word {
                        range: TextRange::new(t.start as usize, t.end as usize),
                    });
                    self.pos += 1;
                }
                TokenKind::Redirect => {
                    self.pos += 1;
                    let target = match self.peek() {
                        Some(w) if w.kind == TokenKind::Word => {
                            self.pos += 1;
                            Some(Word {
                                range: TextRange::new(w.start as usize, w.end as usize),
                            })
                        }
                        _ => {
                            self.error(
                                t,
                                format!("`{}` has no target", self.text(t)),
                                "a file name or descriptor must follow",
                                None,
                            );
                            None
                        }
                    };
                    redirects.push(Redirect {
                        op: TextRange::new(t.start as usize, t.end as usize),
                        target,
                    });
                }
                TokenKind::Error => {
                    let quote = self.text(t).chars().next().unwrap_or('"');
                    let what = match quote {
                        '\'' | '"' | '`' => format!("unterminated string: no closing {quote}"),
                        _ => "unterminated substitution: no closing bracket".to_string(),
                    };
                    self.error(
                        t,
                        what,
                        "this is never closed",
                        Some(
                            "close it; the shell would read to the end of the file looking for it",
                        ),
                    );
                    self.pos += 1;
                }
                _ => break,
            }
        }
        Simple {
            words,
            redirects,
            range: TextRange::new(start, self.end_of_prev()),
        }
    }

    /// Expects the reserved word `kw`; reports `opener` as never closed otherwise.
    fn expect(&mut self, kw: &str, opener: Token) -> bool {
        if self.at_keyword(kw) {
            self.pos += 1;
            return true;
        }
        let found = self.peek();
        let (range, found_text) = match found {
            Some(t) => (t, format!("`{}`", self.text(t))),
            None => (
                Token {
                    kind: TokenKind::Newline,
                    start: self.src.len() as u32,
                    end: self.src.len() as u32,
                },
                "the end of the file".into(),
            ),
        };
        let _ = range;
        self.errors.push(SyntaxError {
            range: TextRange::new(opener.start as usize, opener.end as usize),
            message: format!(
                "`{}` is never closed: expected `{kw}`, found {found_text}",
                self.text(opener)
            ),
            label: format!("this `{}` needs its `{kw}`", self.text(opener)),
            help: Some(format!("add `{kw}`")),
        });
        false
    }

    fn case(&mut self) -> Case {
        let kw = self.peek().unwrap();
        self.pos += 1;
        let subject = match self.peek() {
            Some(t) if t.kind == TokenKind::Word => {
                self.pos += 1;
                Some(Word {
                    range: TextRange::new(t.start as usize, t.end as usize),
                })
            }
            _ => {
                self.error(
                    kw,
                    "`case` has no word to match".into(),
                    "expected a word after this",
                    None,
                );
                None
            }
        };
        self.skip_newlines();
        let mut arms = Vec::new();
        if self.expect("in", kw) {
            loop {
                self.skip_newlines();
                if self.at_keyword("esac") || self.peek().is_none() {
                    break;
                }
                let arm_start = self.peek().unwrap().start as usize;
                if self.kind() == Some(TokenKind::LParen) {
                    self.pos += 1;
                }
                let mut patterns = Vec::new();
                loop {
                    match self.peek() {
                        Some(t) if t.kind == TokenKind::Word => {
                            patterns.push(Word {
                                range: TextRange::new(t.start as usize, t.end as usize),
                            });
                            self.pos += 1;
                        }
                        _ => break,
                    }
                    if self.kind() == Some(TokenKind::Pipe) {
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                if self.kind() != Some(TokenKind::RParen) || patterns.is_empty() {
                    // The file ends inside the pattern: `expect("esac")` below reports it.
                    let Some(t) = self.peek() else { break };
                    self.error(
                        t,
                        format!("unexpected `{}` in a `case` pattern", self.text(t)),
                        "expected `PATTERN)`",
                        None,
                    );
                    self.recover();
                    continue;
                }
                self.pos += 1;
                let body = self.list(&["esac"], false);
                if self.kind() == Some(TokenKind::DoubleSemi) {
                    self.pos += 1;
                }
                arms.push(CaseArm {
                    patterns,
                    body,
                    range: TextRange::new(arm_start, self.end_of_prev()),
                });
                if self.kind() == Some(TokenKind::RParen) {
                    // A stray `)` after the branch; reported and skipped.
                    let t = self.peek().unwrap();
                    self.error(t, "unexpected `)`".into(), "unexpected here", None);
                    self.pos += 1;
                }
            }
            self.expect("esac", kw);
        }
        Case {
            keyword: TextRange::new(kw.start as usize, kw.end as usize),
            subject,
            arms,
            range: TextRange::new(kw.start as usize, self.end_of_prev()),
        }
    }

    fn if_(&mut self) -> If {
        let kw = self.peek().unwrap();
        self.pos += 1;
        let mut branches = Vec::new();
        let mut else_body = Vec::new();
        loop {
            let cond = self.list(&["then"], false);
            if !self.expect("then", kw) {
                branches.push((cond, Vec::new()));
                break;
            }
            let body = self.list(&["elif", "else", "fi"], false);
            branches.push((cond, body));
            if self.at_keyword("elif") {
                self.pos += 1;
                continue;
            }
            if self.at_keyword("else") {
                self.pos += 1;
                else_body = self.list(&["fi"], false);
            }
            self.expect("fi", kw);
            break;
        }
        If {
            keyword: TextRange::new(kw.start as usize, kw.end as usize),
            branches,
            else_body,
            range: TextRange::new(kw.start as usize, self.end_of_prev()),
        }
    }

    fn do_done(&mut self, kw: Token) -> Vec<Stmt> {
        self.skip_newlines();
        if !self.expect("do", kw) {
            return Vec::new();
        }
        let body = self.list(&["done"], false);
        self.expect("done", kw);
        body
    }

    fn for_(&mut self) -> Loop {
        let kw = self.peek().unwrap();
        self.pos += 1;
        let mut var = None;
        let mut items = Vec::new();
        if let Some(t) = self.peek().filter(|t| t.kind == TokenKind::Word) {
            var = Some(Word {
                range: TextRange::new(t.start as usize, t.end as usize),
            });
            self.pos += 1;
        }
        self.skip_newlines();
        if self.at_keyword("in") {
            self.pos += 1;
            while let Some(t) = self.peek().filter(|t| t.kind == TokenKind::Word) {
                items.push(Word {
                    range: TextRange::new(t.start as usize, t.end as usize),
                });
                self.pos += 1;
            }
        }
        if self.kind() == Some(TokenKind::Semi) {
            self.pos += 1;
        }
        let body = self.do_done(kw);
        Loop {
            kind: LoopKind::For,
            keyword: TextRange::new(kw.start as usize, kw.end as usize),
            var,
            items,
            condition: Vec::new(),
            body,
            range: TextRange::new(kw.start as usize, self.end_of_prev()),
        }
    }

    fn while_(&mut self, kind: LoopKind) -> Loop {
        let kw = self.peek().unwrap();
        self.pos += 1;
        let condition = self.list(&["do"], false);
        let body = self.do_done(kw);
        Loop {
            kind,
            keyword: TextRange::new(kw.start as usize, kw.end as usize),
            var: None,
            items: Vec::new(),
            condition,
            body,
            range: TextRange::new(kw.start as usize, self.end_of_prev()),
        }
    }

    fn group(&mut self) -> Group {
        let kw = self.peek().unwrap();
        self.pos += 1;
        let body = self.list(&["}"], false);
        self.expect("}", kw);
        Group {
            subshell: false,
            body,
            range: TextRange::new(kw.start as usize, self.end_of_prev()),
        }
    }

    fn subshell(&mut self) -> Group {
        let open = self.peek().unwrap();
        self.pos += 1;
        let body = self.list(&[], true);
        if self.kind() == Some(TokenKind::RParen) {
            self.pos += 1;
        } else {
            self.error(
                open,
                "`(` is never closed".into(),
                "this `(` needs its `)`",
                Some("add `)`"),
            );
        }
        Group {
            subshell: true,
            body,
            range: TextRange::new(open.start as usize, self.end_of_prev()),
        }
    }

    fn function_kw(&mut self) -> Option<Command> {
        let kw = self.peek().unwrap();
        self.pos += 1;
        let Some(t) = self.peek().filter(|t| t.kind == TokenKind::Word) else {
            self.error(
                kw,
                "`function` has no name".into(),
                "expected a name after this",
                None,
            );
            return Some(Command::Error(TextRange::new(
                kw.start as usize,
                kw.end as usize,
            )));
        };
        self.pos += 1;
        if self.kind() == Some(TokenKind::LParen)
            && self.toks.get(self.pos + 1).map(|t| t.kind) == Some(TokenKind::RParen)
        {
            self.pos += 2;
        }
        let name = Word {
            range: TextRange::new(t.start as usize, t.end as usize),
        };
        self.function_body(name, kw.start as usize)
    }

    fn function_body(&mut self, name: Word, start: usize) -> Option<Command> {
        self.skip_newlines();
        let before = self.pos;
        match self.command(&[]) {
            Some(body) if !matches!(body, Command::Simple(_)) => {
                Some(Command::Function(Function {
                    name,
                    body: Box::new(body),
                    range: TextRange::new(start, self.end_of_prev()),
                }))
            }
            _ => {
                self.pos = before;
                let t = self.peek().unwrap_or(Token {
                    kind: TokenKind::Newline,
                    start: self.src.len() as u32,
                    end: self.src.len() as u32,
                });
                self.error(
                    t,
                    "a function body must be a compound command (`{ …; }`)".into(),
                    "expected `{` here",
                    None,
                );
                Some(Command::Error(TextRange::new(start, self.end_of_prev())))
            }
        }
    }
}
