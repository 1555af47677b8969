//! Lowering keepalived trees to the IR: walks lines in their block, checks every keyword
//! against keepalived's table for that block, follows `include`s (globs, cycles, missing
//! files) and hands each block to the VRRP or LVS lowering. What the IR does not model is kept
//! as [`Opaque`] entries.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::cst::{Item, Line, SyntaxTree, TextRange};
use super::keywords::{Ctx, Kind};
use super::parser::{self, Defs};
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::{Ir, Opaque, Origin};
use crate::source::{FileId, SourceMap, Span};

/// The result of lowering one keepalived configuration (a main file and what it includes):
/// one node of an HA pair.
pub struct Lowered {
    pub file: FileId,
    pub diagnostics: Vec<Diagnostic>,
    /// The files read: the main file, then includes.
    pub files: Vec<FileId>,
    /// Indices into `Ir::vrrp_instances` of this node's instances.
    pub instances: Vec<usize>,
    /// Indices into `Ir::vrrp_scripts` of this node's scripts.
    pub scripts: Vec<usize>,
    /// Every `@ID` a conditional line names (lines lbc keeps as opaque entries).
    pub config_ids: Vec<String>,
}

/// Parses and lowers `file` (already in `sources`) and its includes into `ir`.
pub fn lower(sources: &mut SourceMap, file: FileId, ir: &mut Ir) -> Lowered {
    let mut w = Walker {
        sources,
        ir,
        diagnostics: Vec::new(),
        trees: HashMap::new(),
        stack: vec![file],
        defs: Defs::new(),
        files: vec![file],
        instances: Vec::new(),
        scripts: Vec::new(),
        config_ids: Vec::new(),
    };
    let tree = parser::parse_with(&w.sources.get(file).text, &mut w.defs);
    let tree = w.add_tree(file, tree);
    w.walk(file, &tree, &tree.items, Ctx::Top, &mut |w, at, kind| {
        super::lower_vrrp::top(w, at, kind)
    });
    Lowered {
        file,
        diagnostics: w.diagnostics,
        files: w.files,
        instances: w.instances,
        scripts: w.scripts,
        config_ids: w.config_ids,
    }
}

/// One line being lowered, with the tree it belongs to.
#[derive(Clone, Copy)]
pub(super) struct At<'t> {
    pub file: FileId,
    pub tree: &'t Arc<SyntaxTree>,
    pub line: &'t Line,
}

impl<'t> At<'t> {
    pub fn name(&self) -> &'t str {
        &self.tree.words[self.line.name as usize].text
    }
    pub fn arg(&self, i: usize) -> Option<&'t str> {
        self.line
            .args
            .get(i)
            .map(|w| self.tree.words[*w as usize].text.as_str())
    }
    pub fn args(&self) -> Vec<String> {
        (0..self.line.args.len())
            .filter_map(|i| self.arg(i).map(str::to_string))
            .collect()
    }
    pub fn name_origin(&self) -> Origin {
        self.range_origin(self.tree.words[self.line.name as usize].range)
    }
    pub fn origin(&self) -> Origin {
        self.range_origin(self.line.head_range(self.tree))
    }
    /// The whole line, block included.
    pub fn full_origin(&self) -> Origin {
        self.range_origin(self.line.range.cover(self.line.head_range(self.tree)))
    }
    pub fn arg_origin(&self, i: usize) -> Origin {
        match self.line.args.get(i) {
            Some(w) => self.range_origin(self.tree.words[*w as usize].range),
            None => self.origin(),
        }
    }
    pub fn range_origin(&self, r: TextRange) -> Origin {
        Origin {
            file: self.file.0,
            start: r.start,
            end: r.end,
        }
    }
    pub fn cond(&self) -> Option<&'t str> {
        self.tree.words[self.line.name as usize].cond.as_deref()
    }
    /// The lines of this line's block.
    pub fn children(&self) -> impl Iterator<Item = At<'t>> + 't {
        let (file, tree) = (self.file, self.tree);
        self.line
            .block
            .iter()
            .flat_map(|b| b.lines())
            .map(move |line| At { file, tree, line })
    }
    /// Opaque copy of the line and its block.
    pub fn opaque(&self, context: Option<String>) -> Opaque {
        Opaque {
            name: self.name().to_string(),
            args: self.args(),
            children: self.children().map(|c| c.opaque(None)).collect(),
            context,
            block: self.line.block.is_some(),
            origin: self.full_origin(),
        }
    }
}

/// A callback that lowers one checked line of a block; `kind` is `None` for a keyword the
/// block does not know (already reported) and for conditional lines.
pub(super) type Visit<'f> = dyn FnMut(&mut Walker, At, Option<Kind>) + 'f;

pub(super) struct Walker<'a> {
    pub sources: &'a mut SourceMap,
    pub ir: &'a mut Ir,
    pub diagnostics: Vec<Diagnostic>,
    trees: HashMap<FileId, Arc<SyntaxTree>>,
    stack: Vec<FileId>,
    defs: Defs,
    files: Vec<FileId>,
    pub instances: Vec<usize>,
    pub scripts: Vec<usize>,
    config_ids: Vec<String>,
}

impl Walker<'_> {
    fn add_tree(&mut self, file: FileId, tree: SyntaxTree) -> Arc<SyntaxTree> {
        for e in &tree.errors {
            let span = Span::new(file, e.range.start, e.range.end);
            let mut d = Diagnostic::new(
                "keepalived/syntax",
                Severity::Error,
                e.message.clone(),
                span,
            )
            .label(e.label.clone());
            if let Some((r, m)) = &e.related {
                d = d.with_secondary(Span::new(file, r.start, r.end), m.clone());
            }
            if let Some(h) = &e.help {
                d = d.help(h.clone());
            }
            self.diagnostics.push(d);
        }
        let tree = Arc::new(tree);
        self.trees.insert(file, Arc::clone(&tree));
        tree
    }

    pub fn error(&mut self, code: &'static str, origin: Origin, message: String, label: &str) {
        self.diagnostics
            .push(Diagnostic::new(code, Severity::Error, message, origin.span()).label(label));
    }

    /// An invalid value: reported as `keepalived/syntax`, as `keepalived -t` does.
    pub fn bad_value(&mut self, at: &At, i: usize, what: &str) {
        let value = at.arg(i).unwrap_or("");
        let message = if at.arg(i).is_none() {
            format!("`{}` is missing its {what}", at.name())
        } else {
            format!("invalid {what} `{value}` for `{}`", at.name())
        };
        let d = Diagnostic::new(
            "keepalived/syntax",
            Severity::Error,
            message,
            at.arg_origin(i).span(),
        )
        .label(format!("expected {what}"));
        self.diagnostics.push(d);
    }

    /// Walks the lines of a block in `ctx`, following includes, checking keywords, and calls
    /// `f` for each line.
    pub fn walk(
        &mut self,
        file: FileId,
        tree: &Arc<SyntaxTree>,
        items: &[Item],
        ctx: Ctx,
        f: &mut Visit,
    ) {
        for item in items {
            let Item::Line(line) = item else { continue };
            let at = At { file, tree, line };
            let name = at.name();
            if name == "include" && at.cond().is_none() {
                self.include(&at, ctx, f);
                continue;
            }
            let kind = ctx
                .keywords()
                .binary_search_by(|(k, _)| (*k).cmp(name))
                .ok()
                .map(|i| ctx.keywords()[i].1);
            match kind {
                None => self.unknown(&at, ctx),
                Some(Kind::Plain) if line.block.is_some() => {
                    let b = line.block.as_ref().expect("has a block");
                    let o = at.range_origin(b.open);
                    self.error(
                        "keepalived/syntax",
                        o,
                        format!("`{name}` does not take a block"),
                        "unexpected `{`",
                    );
                }
                Some(Kind::Block(_)) if line.block.is_none() => self.error(
                    "keepalived/syntax",
                    at.origin(),
                    format!("missing `{{` after `{name}`"),
                    "keepalived expects a `{ … }` block here",
                ),
                _ => {}
            }
            if let Some(id) = at.cond() {
                if !self.config_ids.iter().any(|c| c == id) {
                    self.config_ids.push(id.to_string());
                }
                f(self, at, None);
                continue;
            }
            f(self, at, kind);
        }
    }

    fn unknown(&mut self, at: &At, ctx: Ctx) {
        let name = at.name();
        let mut d = Diagnostic::new(
            "keepalived/unknown-keyword",
            Severity::Error,
            format!("unknown keyword `{name}` in {}", ctx_name(ctx)),
            at.name_origin().span(),
        )
        .label("keepalived does not know this keyword here");
        let text = &self.sources.get(at.file).text;
        let start = at.tree.words[at.line.name as usize].range.start as usize;
        let wrapped = wrapped_comment(text, start);
        if let (Some(c), false) = (wrapped, name.is_ascii()) {
            d = d
                .with_secondary(
                    Span::new(at.file, c.0 as u32, c.1 as u32),
                    "this comment was wrapped onto the next line",
                )
                .help("the word is the end of the comment above; join the lines, or start this one with `#`");
        } else if let Some(s) = suggest(name, ctx.keywords().iter().map(|(k, _)| *k)) {
            d = d.help(format!("did you mean `{s}`?"));
        } else if let Some(home) = home_of(name) {
            d = d.help(format!("`{name}` belongs in {}", ctx_name(home)));
        } else {
            d = d.help("keepalived -t reports `Unknown keyword` and ignores the line");
        }
        self.diagnostics.push(d);
    }

    fn include(&mut self, at: &At, ctx: Ctx, f: &mut Visit) {
        let Some(pattern) = at.arg(0) else {
            self.bad_value(at, 0, "file name");
            return;
        };
        let base = self
            .sources
            .get(at.file)
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let path = base.join(pattern);
        let mut paths: Vec<PathBuf> = match glob::glob(&path.to_string_lossy()) {
            Ok(g) => g.filter_map(Result::ok).filter(|p| p.is_file()).collect(),
            Err(_) => Vec::new(),
        };
        paths.sort();
        if paths.is_empty() {
            let d = Diagnostic::new(
                "keepalived/syntax",
                Severity::Warning,
                format!("no file matches include `{pattern}`"),
                at.arg_origin(0).span(),
            )
            .label("nothing is included from here")
            .help("keepalived skips it silently (an error only with `-e`); relative paths are resolved against the including file's directory");
            self.diagnostics.push(d);
            return;
        }
        for p in paths {
            let id = match self.sources.find(&p) {
                Some(id) => id,
                None => match self.sources.load(&p) {
                    Ok(id) => {
                        let tree = parser::parse_with(&self.sources.get(id).text, &mut self.defs);
                        self.add_tree(id, tree);
                        self.files.push(id);
                        id
                    }
                    Err(e) => {
                        let o = at.arg_origin(0);
                        self.error(
                            "keepalived/syntax",
                            o,
                            format!("cannot read included file {}: {e}", p.display()),
                            "included here",
                        );
                        continue;
                    }
                },
            };
            if self.stack.contains(&id) {
                let o = at.arg_origin(0);
                self.error(
                    "keepalived/syntax",
                    o,
                    format!(
                        "include cycle: {} includes itself",
                        self.sources.get(id).name()
                    ),
                    "this include leads back to a file being read",
                );
                continue;
            }
            let Some(tree) = self.trees.get(&id).cloned() else {
                continue;
            };
            self.stack.push(id);
            self.walk(id, &tree, &tree.items, ctx, f);
            self.stack.pop();
        }
    }
}

/// If the line before `pos` ends with a comment, its byte range.
fn wrapped_comment(text: &str, pos: usize) -> Option<(usize, usize)> {
    let line_start = text[..pos].rfind('\n')?;
    let before = text[..line_start].trim_end_matches('\r');
    let prev_start = before.rfind('\n').map_or(0, |i| i + 1);
    let prev = &text[prev_start..before.len()];
    if !text[line_start + 1..pos].trim().is_empty() {
        return None;
    }
    let lexed = super::lexer::lex(prev);
    let c = lexed
        .iter()
        .rev()
        .find(|t| t.kind != super::lexer::TokenKind::Whitespace)?;
    (c.kind == super::lexer::TokenKind::Comment)
        .then(|| (prev_start + c.start as usize, prev_start + c.end as usize))
}

/// The known keyword closest to `name`, when it is close enough to be a typo.
pub fn suggest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = match name.len() {
        0..=4 => 1,
        5..=10 => 2,
        _ => 4,
    };
    candidates
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

const ALL: &[Ctx] = &[
    Ctx::Top,
    Ctx::GlobalDefs,
    Ctx::VrrpInstance,
    Ctx::VrrpScript,
    Ctx::VrrpSyncGroup,
    Ctx::VirtualServer,
    Ctx::RealServer,
    Ctx::HttpGet,
    Ctx::Url,
];

/// The block where a keyword is valid, for keywords written in the wrong one.
fn home_of(name: &str) -> Option<Ctx> {
    ALL.iter()
        .copied()
        .find(|c| c.keywords().iter().any(|(k, _)| *k == name))
}

/// How messages name a block.
pub fn ctx_name(ctx: Ctx) -> String {
    match ctx {
        Ctx::Top => "the top level".into(),
        Ctx::List => "a list".into(),
        other => {
            let s = format!("{other:?}");
            let name = match s.as_str() {
                "TcpCheck" => "TCP_CHECK",
                "HttpGet" => "HTTP_GET",
                "MiscCheck" => "MISC_CHECK",
                "DnsCheck" => "DNS_CHECK",
                "SmtpCheck" => "SMTP_CHECK",
                "UdpCheck" => "UDP_CHECK",
                "PingCheck" => "PING_CHECK",
                "FileCheck" => "FILE_CHECK",
                "BfdCheck" => "BFD_CHECK",
                "GlobalDefs" => "global_defs",
                "VrrpInstance" => "vrrp_instance",
                "VrrpScript" => "vrrp_script",
                "VrrpSyncGroup" => "vrrp_sync_group",
                "VirtualServer" => "virtual_server",
                "RealServer" => "real_server",
                "Authentication" => "authentication",
                "TrackProcess" => "vrrp_track_process",
                "TrackFile" => "vrrp_track_file",
                "Url" => "url",
                "SmtpHost" => "host",
                "GarpGroup" => "garp_group",
                "TrackGroup" => "track_group",
                "BfdInstance" => "bfd_instance",
                _ => "a block",
            };
            format!("`{name}`")
        }
    }
}
