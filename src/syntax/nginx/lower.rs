//! Lowering nginx trees to the IR: walks directives in their context, follows `include`s
//! (globs, cycles, missing files), infers the context of fragments, and records every directive
//! visited so context and arity rules can check it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::cst::{Arg, Directive, Item, SyntaxTree, TextRange};
use super::directives::{self as dt, Ctx};
use super::lexer::TokenKind;
use super::lower_items as items;
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::{self, Defaults, Ir, Opaque, Origin, Protocol, Service, Setting};
use crate::source::{FileId, SourceMap, Span};

/// Options of the nginx front-end.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Directory relative `include`s are resolved against (nginx's `--prefix`/conf dir);
    /// defaults to the main file's directory.
    pub prefix: Option<PathBuf>,
    /// Context of a fragment; inferred when `None`.
    pub context: Option<Ctx>,
    /// Directory absolute `include` paths are resolved under (a copy of a server's file tree);
    /// `None` reads them from this machine.
    pub root: Option<PathBuf>,
}

/// One directive as seen by the walk, with the context it appeared in.
#[derive(Debug, Clone)]
pub struct Visit {
    pub file: FileId,
    /// The name; borrowed from the directive table when known (most are), to save allocations.
    pub name: std::borrow::Cow<'static, str>,
    pub name_range: TextRange,
    /// From the name to the `;` or `{` that ends the statement (where nginx reports errors).
    pub head: TextRange,
    pub nargs: usize,
    pub has_block: bool,
    pub ctx: Ctx,
    /// What the directive table says of this name (empty when unknown).
    pub specs: &'static [dt::DirectiveSpec],
}

/// The result of lowering one nginx configuration (a main file and what it includes).
pub struct Lowered {
    pub main: FileId,
    /// The context the main file was read in.
    pub context: Ctx,
    pub trees: HashMap<FileId, Arc<SyntaxTree>>,
    pub visits: Vec<Visit>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses and lowers the file `main` (already in `sources`) and everything it includes into `ir`.
pub fn lower(sources: &mut SourceMap, main: FileId, opts: &Options, ir: &mut Ir) -> Lowered {
    let prefix = opts.prefix.clone().unwrap_or_else(|| {
        sources
            .get(main)
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    });
    let started = std::time::Instant::now();
    let tree = super::parse(&sources.get(main).text);
    if std::env::var_os("LBC_TIMINGS").is_some() {
        eprintln!(
            "lbc: parse {} {:?}",
            sources.get(main).name(),
            started.elapsed()
        );
    }
    let context = opts
        .context
        .unwrap_or_else(|| infer_context(&sources.get(main).text, &tree));
    // One visit per statement: `;`, `{` and raw-block tokens count them (includes add more).
    let statements = tree
        .tokens
        .iter()
        .filter(|t| {
            matches!(
                t.kind,
                TokenKind::Semi | TokenKind::LBrace | TokenKind::RawBlock
            )
        })
        .count();
    let mut w = Walker {
        sources,
        prefix,
        root: opts.root.clone(),
        trees: HashMap::new(),
        visits: Vec::with_capacity(statements),
        diagnostics: Vec::new(),
        stack: vec![main],
        ir,
    };
    w.add_tree(main, tree);
    w.lower_root(main, context);
    Lowered {
        main,
        context,
        trees: w.trees,
        visits: w.visits,
        diagnostics: w.diagnostics,
    }
}

/// Guesses where a fragment belongs from its top-level directives: a whole `nginx.conf`, the
/// inside of `http {}`, of a `server {}` or of a `location {}`.
pub fn infer_context(src: &str, tree: &SyntaxTree) -> Ctx {
    let names: Vec<(String, bool)> = tree
        .directives()
        .map(|d| (d.name.value(src), d.block().is_some()))
        .collect();
    let has = |n: &str| names.iter().any(|(m, _)| m == n);
    if names.is_empty()
        || [
            "http",
            "events",
            "stream",
            "mail",
            "worker_processes",
            "user",
            "pid",
        ]
        .iter()
        .any(|n| has(n))
    {
        return dt::MAIN;
    }
    if has("location") || has("listen") || has("server_name") {
        return dt::HTTP_SRV;
    }
    if has("server") || has("upstream") {
        // A bare `server { listen …; proxy_pass name; }` without locations is a stream server.
        let stream_server = tree.directives().any(|d| {
            d.name.value(src) == "server"
                && d.block().is_some()
                && d.children().any(|c| c.name.value(src) == "proxy_pass")
                && !d.children().any(|c| c.name.value(src) == "location")
        });
        return if stream_server { dt::STREAM } else { dt::HTTP };
    }
    // Otherwise the first context where every known directive is allowed.
    for ctx in [
        dt::HTTP,
        dt::HTTP_SRV,
        dt::HTTP_LOC,
        dt::MAIN,
        dt::STREAM,
        dt::STREAM_SRV,
    ] {
        let fits = names.iter().all(|(n, _)| {
            let specs = dt::lookup(n);
            specs.is_empty() || specs.iter().any(|s| s.contexts & ctx != 0)
        });
        if fits {
            return ctx;
        }
    }
    dt::HTTP
}

pub(super) struct Walker<'a> {
    pub sources: &'a mut SourceMap,
    prefix: PathBuf,
    root: Option<PathBuf>,
    trees: HashMap<FileId, Arc<SyntaxTree>>,
    visits: Vec<Visit>,
    pub diagnostics: Vec<Diagnostic>,
    /// Files being walked, outermost first: an include of one of them is a cycle.
    stack: Vec<FileId>,
    pub ir: &'a mut Ir,
}

/// Where the directives of the block being walked go.
pub(super) enum Target<'t> {
    Main,
    Events,
    Family(usize),
    Service(&'t mut Service),
    Route(&'t mut ir::Route),
    Pool(&'t mut ir::Pool),
    /// Walked for checks only (`if`, `limit_except` bodies): modelled as opaque by the parent.
    Nowhere,
}

impl<'a> Walker<'a> {
    fn add_tree(&mut self, file: FileId, tree: SyntaxTree) {
        for e in &tree.errors {
            let span = Span::new(file, e.range.start, e.range.end);
            let mut d = Diagnostic::new("nginx/syntax", Severity::Error, e.message.clone(), span)
                .label(e.label.clone());
            if let Some((r, m)) = &e.related {
                d = d.with_secondary(Span::new(file, r.start, r.end), m.clone());
            }
            if let Some(h) = &e.help {
                d = d.help(h.clone());
            }
            self.diagnostics.push(d);
        }
        self.trees.insert(file, Arc::new(tree));
    }

    pub fn origin(&self, file: FileId, r: TextRange) -> Origin {
        Origin {
            file: file.0,
            start: r.start,
            end: r.end,
        }
    }

    pub fn text(&self, file: FileId) -> &str {
        &self.sources.get(file).text
    }

    pub fn value(&self, file: FileId, a: &Arg) -> String {
        a.value(self.text(file))
    }

    pub fn args(&self, file: FileId, d: &Directive) -> Vec<String> {
        d.args.iter().map(|a| self.value(file, a)).collect()
    }

    fn lower_root(&mut self, main: FileId, ctx: Ctx) {
        let tree = Arc::clone(&self.trees[&main]);
        let items = &tree.items;
        let whole = self.origin(main, TextRange::new(0, self.text(main).len()));
        match ctx {
            dt::MAIN => self.walk(main, items, ctx, "", &mut Target::Main),
            dt::HTTP | dt::STREAM => {
                let protocol = if ctx == dt::HTTP {
                    Protocol::Http
                } else {
                    Protocol::Tcp
                };
                let i = self.family(protocol, whole);
                self.walk(main, items, ctx, "", &mut Target::Family(i));
            }
            dt::HTTP_SRV | dt::STREAM_SRV => {
                let protocol = if ctx == dt::HTTP_SRV {
                    Protocol::Http
                } else {
                    Protocol::Tcp
                };
                let mut svc = items::new_service(protocol, whole);
                self.walk(main, items, ctx, "", &mut Target::Service(&mut svc));
                self.ir.services.push(svc);
            }
            _ => {
                let mut svc = items::new_service(Protocol::Http, whole);
                let mut route = ir::Route {
                    matcher: ir::Matcher {
                        kind: ir::MatchKind::Prefix,
                        pattern: "/".into(),
                        origin: whole,
                    },
                    action: None,
                    settings: Default::default(),
                    routes: Vec::new(),
                    origin: whole,
                    ..Default::default()
                };
                self.walk(main, items, ctx, "", &mut Target::Route(&mut route));
                svc.routes.push(route);
                self.ir.services.push(svc);
            }
        }
    }

    /// The index of the `Defaults` of a protocol family, created on first use.
    pub fn family(&mut self, protocol: Protocol, origin: Origin) -> usize {
        if let Some(i) = self.ir.defaults.iter().position(|d| d.protocol == protocol) {
            return i;
        }
        self.ir.defaults.push(Defaults {
            protocol,
            name: None,
            settings: Default::default(),
            origin,
            ..Default::default()
        });
        self.ir.defaults.len() - 1
    }

    /// Walks the items of a block in context `ctx`.
    pub fn walk(
        &mut self,
        file: FileId,
        items: &[Item],
        ctx: Ctx,
        parent: &str,
        target: &mut Target,
    ) {
        for item in items {
            let Item::Directive(d) = item else { continue };
            let text = &self.sources.get(file).text;
            let name = d.name.value_cow(text);
            let specs = dt::lookup(&name);
            let name: std::borrow::Cow<'static, str> = match specs.first() {
                Some(s) => s.name.into(),
                None => name.into_owned().into(),
            };
            self.visits.push(Visit {
                file,
                name: name.clone(),
                name_range: d.name.range,
                head: d.statement_range(),
                nargs: d.args.len(),
                has_block: !matches!(d.body, super::cst::Body::Semi(_)),
                ctx,
                specs,
            });
            if name == "include" {
                self.include(file, d, ctx, parent, target);
                continue;
            }
            items::directive(self, file, d, &name, ctx, target);
        }
    }

    /// Opaque copy of a directive and its block.
    pub fn opaque(&self, file: FileId, d: &Directive, context: Option<&str>) -> Opaque {
        let children = d.children().map(|c| self.opaque(file, c, None)).collect();
        Opaque {
            name: self.value(file, &d.name),
            args: self.args(file, d),
            children,
            context: context.map(str::to_string),
            block: !matches!(d.body, super::cst::Body::Semi(_)),
            origin: self.origin(file, d.range),
        }
    }

    pub fn setting<T>(&self, file: FileId, d: &Directive, value: T) -> Setting<T> {
        Setting::new(value, self.origin(file, d.range))
    }

    fn include(
        &mut self,
        file: FileId,
        d: &Directive,
        ctx: Ctx,
        parent: &str,
        target: &mut Target,
    ) {
        let Some(arg) = d.args.first() else { return };
        let pattern = self.value(file, arg);
        let span = Span::new(file, arg.range.start, arg.range.end);
        let path = if Path::new(&pattern).is_absolute() {
            match &self.root {
                Some(root) => root.join(pattern.trim_start_matches('/')),
                None => PathBuf::from(&pattern),
            }
        } else {
            self.prefix.join(&pattern)
        };
        let is_glob = pattern.contains(['*', '?', '[']);
        let paths: Vec<PathBuf> = if is_glob {
            match glob::glob(&path.to_string_lossy()) {
                Ok(paths) => {
                    let mut v: Vec<PathBuf> = paths
                        .filter_map(Result::ok)
                        .filter(|p| p.is_file())
                        .collect();
                    v.sort();
                    v
                }
                Err(e) => {
                    self.diagnostics.push(
                        Diagnostic::new(
                            "nginx/include-not-found",
                            Severity::Error,
                            format!("invalid include pattern `{pattern}`: {}", e.msg),
                            span,
                        )
                        .label("this pattern"),
                    );
                    return;
                }
            }
        } else {
            vec![path.clone()]
        };
        for p in paths {
            let id = match self.sources.find(&p) {
                Some(id) => id,
                None => match self.sources.load(&p) {
                    Ok(id) => id,
                    Err(err) => {
                        self.diagnostics
                            .push(include_not_found(&pattern, &p, &err, span));
                        continue;
                    }
                },
            };
            // The file may have been loaded as another input of the run: parse it once here.
            if !self.trees.contains_key(&id) {
                let tree = super::parse(&self.sources.get(id).text);
                self.add_tree(id, tree);
            }
            if let Some(pos) = self.stack.iter().position(|f| *f == id) {
                let chain: Vec<String> = self.stack[pos..]
                    .iter()
                    .chain(std::iter::once(&id))
                    .map(|f| self.sources.get(*f).name())
                    .collect();
                self.diagnostics.push(
                    Diagnostic::new(
                        "nginx/include-cycle",
                        Severity::Error,
                        format!("include cycle: {}", chain.join(" → ")),
                        span,
                    )
                    .label("this include leads back to a file being included")
                    .help("remove one of the includes in the cycle; nginx would recurse until it runs out of file descriptors"),
                );
                continue;
            }
            self.stack.push(id);
            let tree = Arc::clone(&self.trees[&id]);
            self.walk(id, &tree.items, ctx, parent, target);
            self.stack.pop();
        }
    }
}

/// Files nginx ships in its configuration directory: their absence next to a checked file
/// usually means the config was copied without them, not that it is broken.
const STOCK_FILES: &[&str] = &[
    "mime.types",
    "fastcgi_params",
    "fastcgi.conf",
    "scgi_params",
    "uwsgi_params",
    "koi-utf",
    "koi-win",
    "win-utf",
    "proxy_params",
    "snippets/fastcgi-php.conf",
];

fn include_not_found(pattern: &str, path: &Path, err: &std::io::Error, span: Span) -> Diagnostic {
    let stock = STOCK_FILES.iter().any(|s| pattern.ends_with(s));
    let absolute = Path::new(pattern).is_absolute();
    let severity = if stock {
        Severity::Info
    } else if absolute {
        Severity::Warning
    } else {
        Severity::Error
    };
    let d = Diagnostic::new(
        "nginx/include-not-found",
        severity,
        format!(
            "included file `{pattern}` not found ({}: {err})",
            path.display()
        ),
        span,
    )
    .label("this file cannot be read");
    if stock {
        d.help("nginx ships this file in its configuration directory; pass `--prefix DIR` pointing at it to check its contents too")
    } else if absolute {
        d.help("the path is absolute and does not exist on this machine; its contents were not checked")
    } else {
        d.help("relative includes are resolved against the main file's directory; use `--prefix DIR` to point lbc at nginx's configuration directory")
    }
}
