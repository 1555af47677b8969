//! The concrete syntax tree of a shell script: statements, pipelines, simple commands and the
//! compound commands (`case`, `if`, loops, groups, functions), with byte ranges into the file.
//! Together with the token stream it is lossless.

use super::lexer::Token;
pub use crate::syntax::text::TextRange;

/// A parsed script: every token (trivia included), the statements and the syntax errors.
#[derive(Debug, Clone, Default)]
pub struct Script {
    pub tokens: Vec<Token>,
    pub stmts: Vec<Stmt>,
    pub errors: Vec<SyntaxError>,
}

/// A syntax error with the range it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub range: TextRange,
    pub message: String,
    pub label: String,
    pub help: Option<String>,
}

/// One word exactly as written (quotes and expansions included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Word {
    pub range: TextRange,
}

impl Word {
    pub fn raw<'a>(&self, src: &'a str) -> &'a str {
        &src[self.range.start as usize..self.range.end as usize]
    }
}

/// `&&` or `||` between two pipelines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListOp {
    And,
    Or,
}

/// An and-or list: `a && b || c`, possibly run in the background (`&`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stmt {
    pub first: Pipeline,
    pub rest: Vec<(ListOp, Pipeline)>,
    pub background: bool,
    pub range: TextRange,
}

/// `[!] cmd | cmd …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipeline {
    pub negated: bool,
    pub commands: Vec<Command>,
    pub range: TextRange,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Simple(Simple),
    Case(Case),
    If(If),
    Loop(Loop),
    /// `{ …; }` or `( … )`.
    Group(Group),
    Function(Function),
    /// Tokens skipped to recover from a syntax error.
    Error(TextRange),
}

/// Words (assignments first, then the command and its arguments) and redirections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Simple {
    pub words: Vec<Word>,
    pub redirects: Vec<Redirect>,
    pub range: TextRange,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    pub op: TextRange,
    pub target: Option<Word>,
}

/// `case WORD in PATTERN) … ;; esac`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub keyword: TextRange,
    pub subject: Option<Word>,
    pub arms: Vec<CaseArm>,
    pub range: TextRange,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseArm {
    pub patterns: Vec<Word>,
    pub body: Vec<Stmt>,
    pub range: TextRange,
}

/// `if … then … [elif … then …] [else …] fi`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct If {
    pub keyword: TextRange,
    /// Each condition with its body.
    pub branches: Vec<(Vec<Stmt>, Vec<Stmt>)>,
    pub else_body: Vec<Stmt>,
    pub range: TextRange,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopKind {
    For,
    While,
    Until,
}

impl LoopKind {
    pub fn keyword(self) -> &'static str {
        match self {
            LoopKind::For => "for",
            LoopKind::While => "while",
            LoopKind::Until => "until",
        }
    }
}

/// `for NAME in WORDS; do …; done`, `while …; do …; done`, `until …; do …; done`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loop {
    pub kind: LoopKind,
    pub keyword: TextRange,
    /// The loop variable and its words (`for`).
    pub var: Option<Word>,
    pub items: Vec<Word>,
    /// The condition (`while`, `until`).
    pub condition: Vec<Stmt>,
    pub body: Vec<Stmt>,
    pub range: TextRange,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub subshell: bool,
    pub body: Vec<Stmt>,
    pub range: TextRange,
}

/// `name() { … }` or `function name { … }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub name: Word,
    pub body: Box<Command>,
    pub range: TextRange,
}

impl Command {
    pub fn range(&self) -> TextRange {
        match self {
            Command::Simple(s) => s.range,
            Command::Case(c) => c.range,
            Command::If(i) => i.range,
            Command::Loop(l) => l.range,
            Command::Group(g) => g.range,
            Command::Function(f) => f.range,
            Command::Error(r) => *r,
        }
    }

    /// Every simple command inside, in source order (nested ones included).
    pub fn simple_commands<'a>(&'a self, out: &mut Vec<&'a Simple>) {
        let stmts = |v: &'a [Stmt], out: &mut Vec<&'a Simple>| {
            for s in v {
                s.simple_commands(out);
            }
        };
        match self {
            Command::Simple(s) => out.push(s),
            Command::Case(c) => c.arms.iter().for_each(|a| stmts(&a.body, out)),
            Command::If(i) => {
                for (c, b) in &i.branches {
                    stmts(c, out);
                    stmts(b, out);
                }
                stmts(&i.else_body, out);
            }
            Command::Loop(l) => {
                stmts(&l.condition, out);
                stmts(&l.body, out);
            }
            Command::Group(g) => stmts(&g.body, out),
            Command::Function(f) => f.body.simple_commands(out),
            Command::Error(_) => {}
        }
    }
}

impl Stmt {
    pub fn pipelines(&self) -> impl Iterator<Item = &Pipeline> {
        std::iter::once(&self.first).chain(self.rest.iter().map(|(_, p)| p))
    }

    pub fn simple_commands<'a>(&'a self, out: &mut Vec<&'a Simple>) {
        for p in self.pipelines() {
            for c in &p.commands {
                c.simple_commands(out);
            }
        }
    }
}
