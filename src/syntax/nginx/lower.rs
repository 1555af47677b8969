//! Lowering nginx trees to the IR: walks directives in their context, follows `include`s
//! (globs, cycles, missing files), infers the context of fragments, and records every directive
//! visited so context and arity rules can check it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::cst::{Arg, Directive, Item, SyntaxTree, TextRange};
use super::directives::{self as dt, Ctx};
use super::lower_items as items;
use super::parse_tree as parse;
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
    /// Lower on one thread even when a large block could be split (tests compare both ways).
    pub single_thread: bool,
    /// Keep the trivia tokens in the syntax trees (see [`parse`]).
    pub trivia: bool,
}

/// One directive as seen by the walk, with the context it appeared in. There is one per
/// directive of the configuration, so it holds no string of its own (48 bytes): the name is the
/// table's or, for an unknown directive, the source's ([`Visit::name`]).
#[derive(Debug, Clone)]
pub struct Visit {
    pub file: FileId,
    pub name_range: TextRange,
    /// From the name to the `;` or `{` that ends the statement (where nginx reports errors).
    pub head: TextRange,
    pub nargs: u32,
    pub ctx: Ctx,
    pub has_block: bool,
    /// What the directive table says of this name (empty when unknown).
    pub specs: &'static [dt::DirectiveSpec],
}

impl Visit {
    /// The table's name when the directive is known (the common case: no allocation), else
    /// the name as nginx reads it from the source.
    pub fn name<'s>(&self, sources: &'s SourceMap) -> std::borrow::Cow<'s, str> {
        if let Some(spec) = self.specs.first() {
            return spec.name.into();
        }
        let text = &sources.get(self.file).text;
        let kind = match text.as_bytes().get(self.name_range.start as usize) {
            Some(b'"') => super::cst::ArgKind::DoubleQuoted,
            Some(b'\'') => super::cst::ArgKind::SingleQuoted,
            _ => super::cst::ArgKind::Word,
        };
        super::cst::Arg {
            kind,
            range: self.name_range,
        }
        .value_cow(text)
    }
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
    let tree = parse(&sources.get(main).text, opts.trivia);
    crate::timings::mark(format_args!("parsed {}", sources.get(main).name()));
    let context = opts
        .context
        .unwrap_or_else(|| infer_context(&sources.get(main).text, &tree));
    // One visit per statement: `;` and `{` bound them (quoted or commented ones only add
    // room; includes add more). Counting bytes is faster than counting tokens.
    let statements = statement_bound(&sources.get(main).text);
    let mut w = Walker {
        sources: Sources::Mut(sources),
        prefix,
        root: opts.root.clone(),
        trees: HashMap::new(),
        visits: Vec::with_capacity(statements),
        diagnostics: Vec::new(),
        stack: vec![main],
        single_thread: opts.single_thread,
        trivia: opts.trivia,
        ir,
    };
    w.add_tree(main, tree);
    w.lower_root(main, context);
    crate::timings::mark("lowered");
    Lowered {
        main,
        context,
        trees: w.trees,
        visits: w.visits,
        diagnostics: w.diagnostics,
    }
}

/// At least the number of statements in `text`: its `;` and `{` bytes.
fn statement_bound(text: &str) -> usize {
    // In runs short enough for a byte counter, which the compiler vectorizes.
    text.as_bytes()
        .chunks(255)
        .map(|run| {
            run.iter()
                .map(|&c| u8::from(c == b';') + u8::from(c == b'{'))
                .sum::<u8>() as usize
        })
        .sum()
}

/// The source text from the first of `items` to the end of the last (empty for no items).
fn items_text<'t>(text: &'t str, items: &[Item]) -> &'t str {
    match (items.first(), items.last()) {
        (Some(first), Some(last)) => text
            .get(first.range().start as usize..last.range().end as usize)
            .unwrap_or(""),
        _ => "",
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
    sources: Sources<'a>,
    prefix: PathBuf,
    root: Option<PathBuf>,
    trees: HashMap<FileId, Arc<SyntaxTree>>,
    visits: Vec<Visit>,
    pub diagnostics: Vec<Diagnostic>,
    /// Files being walked, outermost first: an include of one of them is a cycle.
    stack: Vec<FileId>,
    single_thread: bool,
    trivia: bool,
    pub ir: &'a mut Ir,
}

/// The source files, writable (includes load more) or, on the threads lowering the halves of a
/// large block without includes, shared.
enum Sources<'a> {
    Mut(&'a mut SourceMap),
    Shared(&'a SourceMap),
}

impl Sources<'_> {
    fn map(&self) -> &SourceMap {
        match self {
            Sources::Mut(m) => m,
            Sources::Shared(m) => m,
        }
    }
}

/// Blocks with fewer items are walked on one thread.
const PARALLEL_MIN_ITEMS: usize = 2_000;

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
        &self.sources.map().get(file).text
    }

    pub fn value(&self, file: FileId, a: &Arg) -> String {
        a.value(self.text(file))
    }

    pub fn args(&self, file: FileId, d: &Directive) -> Vec<String> {
        d.args.iter().map(|a| self.value(file, a)).collect()
    }

    /// [`Walker::args`], borrowing the arguments that need no unescaping.
    pub fn args_cow(&self, file: FileId, d: &Directive) -> Vec<std::borrow::Cow<'_, str>> {
        let text = self.text(file);
        d.args.iter().map(|a| a.value_cow(text)).collect()
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
                self.walk_family(main, items, ctx, "", i);
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
            let text = &self.sources.map().get(file).text;
            let name = d.name.value_cow(text);
            let specs = dt::lookup(&name);
            let name: std::borrow::Cow<'static, str> = match specs.first() {
                Some(s) => s.name.into(),
                None => name.into_owned().into(),
            };
            self.visits.push(Visit {
                file,
                name_range: d.name.range,
                head: d.statement_range(),
                nargs: d.args.len().try_into().unwrap_or(u32::MAX),
                ctx,
                has_block: !matches!(d.body, super::cst::Body::Semi(_)),
                specs,
            });
            if name == "include" {
                self.include(file, d, ctx, parent, target);
                continue;
            }
            items::directive(self, file, d, &name, ctx, target);
        }
    }

    /// Walks the body of an `http {}` or `stream {}` block (protocol family `i`). A large body
    /// without includes whose second half is only `server {}` and `upstream {}` blocks is
    /// walked in two halves on two threads: those blocks add only services, pools, visits and
    /// diagnostics, which are appended after the first half's, so the result is the one a
    /// single walk gives.
    pub fn walk_family(&mut self, file: FileId, items: &[Item], ctx: Ctx, parent: &str, i: usize) {
        match self.parallel_cut(file, items) {
            Some(cut) => self.walk_in_two(file, items.split_at(cut), ctx, parent, i),
            None => self.walk(file, items, ctx, parent, &mut Target::Family(i)),
        }
    }

    /// Where to cut `items` for [`Walker::walk_family`], if it is worth it and safe.
    fn parallel_cut(&self, file: FileId, items: &[Item]) -> Option<usize> {
        if self.single_thread || items.len() < PARALLEL_MIN_ITEMS {
            return None;
        }
        let text = self.text(file);
        let is_name = |d: &Directive, n: &str| d.name.value_cow(text) == n;
        fn has_include(text: &str, items: &[Item]) -> bool {
            items.iter().any(|item| match item {
                Item::Directive(d) => {
                    d.name.value_cow(text) == "include"
                        || d.block().is_some_and(|b| has_include(text, &b.items))
                }
                Item::Error(_) => false,
            })
        }
        // Walking every directive's name costs a millisecond on a large file; most files do
        // not even hold the word.
        let may_include = || items_text(text, items).contains("include");
        let servers_from = items
            .iter()
            .rposition(|item| match item {
                Item::Directive(d) => {
                    !((is_name(d, "server") || is_name(d, "upstream")) && d.block().is_some())
                }
                Item::Error(_) => true,
            })
            .map_or(0, |p| p + 1);
        let cut = servers_from.max(items.len() / 2);
        if items.len() - cut < PARALLEL_MIN_ITEMS / 4 || (may_include() && has_include(text, items))
        {
            return None;
        }
        Some(cut)
    }

    fn walk_in_two(
        &mut self,
        file: FileId,
        (first, second): (&[Item], &[Item]),
        ctx: Ctx,
        parent: &str,
        i: usize,
    ) {
        #[cfg(test)]
        tests::SPLITS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        crate::timings::mark("lowering in two halves");
        // The second half lowers into a scratch IR with the same families.
        let mut scratch = Ir {
            defaults: self
                .ir
                .defaults
                .iter()
                .map(|d| Defaults {
                    protocol: d.protocol,
                    origin: d.origin,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        // Room for everything up front: growing these vectors copies them, and fresh memory
        // is the dearest part of a large run. The first half pushes its visits straight into
        // the walker's (sized for every statement of the file), the second into its own.
        let text = &self.sources.map().get(file).text;
        let blocks = |items: &[Item], name: &str| {
            items
                .iter()
                .filter(|i| matches!(i, Item::Directive(d) if d.name.value_cow(text) == name))
                .count()
        };
        let (servers, upstreams) = (blocks(second, "server"), blocks(second, "upstream"));
        self.ir.services.reserve(blocks(first, "server") + servers);
        self.ir.pools.reserve(blocks(first, "upstream") + upstreams);
        scratch.services.reserve(servers);
        scratch.pools.reserve(upstreams);
        let shared: &SourceMap = self.sources.map();
        let statements =
            |items: &[Item]| statement_bound(items_text(&shared.get(file).text, items));
        let half = |ir, visits| Walker {
            sources: Sources::Shared(shared),
            prefix: self.prefix.clone(),
            root: self.root.clone(),
            trees: HashMap::new(),
            visits,
            diagnostics: Vec::new(),
            stack: self.stack.clone(),
            single_thread: true,
            trivia: self.trivia,
            ir,
        };
        let mut a = half(&mut *self.ir, std::mem::take(&mut self.visits));
        let mut b = half(&mut scratch, Vec::new());
        let ((va, da), (vb, db)) = crate::par::join(
            || {
                a.walk(file, first, ctx, parent, &mut Target::Family(i));
                crate::timings::mark("lowered the first half");
                (a.visits, a.diagnostics)
            },
            move || {
                b.visits.reserve(statements(second));
                b.walk(file, second, ctx, parent, &mut Target::Family(i));
                crate::timings::mark("lowered the second half");
                (b.visits, b.diagnostics)
            },
        );
        debug_assert!(scratch.zones.is_empty() && scratch.opaque.is_empty());
        self.ir.services.append(&mut scratch.services);
        self.ir.pools.append(&mut scratch.pools);
        self.visits = va;
        self.visits.extend(vb);
        self.diagnostics.extend(da);
        self.diagnostics.extend(db);
        crate::timings::mark("merged the halves");
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
            let Sources::Mut(sources) = &mut self.sources else {
                // Blocks with includes are never walked on shared sources.
                debug_assert!(false, "include on shared sources");
                return;
            };
            let id = match sources.find(&p) {
                Some(id) => id,
                None => match sources.load(&p) {
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
                let tree = parse(&self.sources.map().get(id).text, self.trivia);
                self.add_tree(id, tree);
            }
            if let Some(pos) = self.stack.iter().position(|f| *f == id) {
                let chain: Vec<String> = self.stack[pos..]
                    .iter()
                    .chain(std::iter::once(&id))
                    .map(|f| self.sources.map().get(*f).name())
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

#[cfg(test)]
mod tests {
    use super::{lower, Options};
    use crate::ir::Ir;
    use crate::source::SourceMap;

    /// How many blocks were walked in two halves (the test checks the path was taken).
    pub(super) static SPLITS: std::sync::atomic::AtomicUsize =
        std::sync::atomic::AtomicUsize::new(0);

    /// A large `http {}` of settings, servers with locations of every kind, and upstreams.
    fn big(servers: usize) -> String {
        let mut s = String::from("events { worker_connections 512; }\nhttp {\n  gzip on;\n  limit_req_zone $binary_remote_addr zone=z:10m rate=5r/s;\n");
        for i in 0..servers {
            s.push_str(&format!(
                "  upstream u{i} {{ hash $request_uri consistent; server 10.0.0.{}:80 weight=2 max_fails=3; server b.example backup; keepalive 8; }}\n  server {{\n    listen {}; server_name s{i}.example *.w{i}.example;\n    proxy_set_header Host $host; add_header X-A b;\n    location / {{ proxy_pass http://u{i}; limit_req zone=z burst=5; }}\n    location ~* \\.(css|js)$ {{ root /srv; expires 1d; }}\n    location = /x {{ return 301 /y; }}\n    location @n {{ bogus_directive 1; if ($a) {{ return 403; }} }}\n  }}\n",
                i % 250,
                8000 + i % 1000
            ));
        }
        s.push_str("}\n");
        s
    }

    fn run(text: &str, single_thread: bool) -> (Ir, String, String) {
        let mut sources = SourceMap::new();
        let main = sources.add("big.conf", text.to_string());
        let mut ir = Ir::default();
        let opts = Options {
            single_thread,
            ..Options::default()
        };
        let lowered = lower(&mut sources, main, &opts, &mut ir);
        let visits = format!("{:?}", lowered.visits);
        let diags = format!("{:?}", lowered.diagnostics);
        (ir, visits, diags)
    }

    #[test]
    fn two_threads_lower_the_same_ir() {
        let text = big(1500);
        let (a, b) = (run(&text, false), run(&text, true));
        assert!(SPLITS.load(std::sync::atomic::Ordering::Relaxed) > 0);
        assert_eq!(a.0.services.len(), 1500);
        assert_eq!(a.0, b.0);
        assert_eq!(a.1, b.1);
        assert_eq!(a.2, b.2);
    }
}
