//! Lowering HAProxy trees to the IR: `global` to the process settings, `defaults` to
//! [`Defaults`], frontends and listens to services, backends and listens to pools, everything
//! else kept as [`Opaque`]. Defaults inheritance (the last `defaults` before a proxy, or the one
//! its `from` names) is applied here: every service and pool carries its effective mode and the
//! timeouts, retries and stats it inherits, with origins pointing at the `defaults` lines.

use std::cell::RefCell;
use std::collections::HashMap;

use super::cond::{Blocks, Level};
use super::cst::{Line, Section, SyntaxTree, TextRange};
use super::lower_proxy::{ProxyState, Walk};
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::{Defaults, Ir, Opaque, Origin, Protocol, Setting, Workers};
use crate::source::{FileId, SourceMap, Span};

/// What the front-end keeps for rules besides the IR.
pub struct Lowered {
    pub file: FileId,
    pub diagnostics: Vec<Diagnostic>,
    /// The syntax tree of the file.
    pub tree: SyntaxTree,
    /// Every proxy section (defaults, frontend, backend, listen) with its effective state.
    pub proxies: Vec<ProxyInfo>,
    /// The start of every line HAProxy's reader skips: `.if`-family directives and the lines
    /// of branches not taken.
    pub skipped: std::collections::HashSet<u32>,
}

/// A proxy section as rules see it.
#[derive(Debug, Clone)]
pub struct ProxyInfo {
    /// `defaults`, `frontend`, `backend` or `listen`.
    pub kind: String,
    pub name: Option<String>,
    /// The header line.
    pub header: TextRange,
    /// Effective mode after inheritance (HAProxy's default is `tcp`).
    pub protocol: Protocol,
    /// The defaults section it inherits from (its header, maybe in an earlier file), if any.
    pub inherits: Option<Span>,
    /// The name its header gives with `from`, found or not.
    pub from: Option<String>,
}

/// The environment HAProxy reads as it parses (`"${NAME}"` in double quotes): the process's,
/// with `HAPROXY_LOCALPEER` and `HAPROXY_CFGFILES` set as HAProxy sets them, changed by the
/// `setenv`, `presetenv`, `unsetenv` and `resetenv` lines of `global` as they come. It also
/// carries the `defaults` sections read so far from one file to the next, as HAProxy does
/// (`-f 00-defaults.cfg -f 10-web.cfg`).
pub struct Env {
    /// Values set (`Some`) or removed (`None`) by the configuration.
    set: RefCell<HashMap<String, Option<String>>>,
    /// After `resetenv NAME…`: the process variables still visible.
    kept: RefCell<Option<Vec<String>>>,
    read: Box<super::cst::Lookup<'static>>,
    defaults: RefCell<Carried>,
}

/// The `defaults` sections read so far: by name (`None` once two share the name: HAProxy
/// finds the name ambiguous), and the last one (what a proxy without `from` uses).
#[derive(Default)]
struct Carried {
    named: HashMap<String, Option<(ProxyState, Span)>>,
    last: Option<(ProxyState, Span)>,
}

impl Env {
    /// The environment of this process, for the configuration files `files` (what
    /// `HAPROXY_CFGFILES` lists).
    pub fn process(files: &[String]) -> Env {
        let env = Env::with(|name| std::env::var(name).ok());
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_default();
        env.preset("HAPROXY_LOCALPEER", &host);
        env.preset("HAPROXY_CFGFILES", &files.join(";"));
        env
    }

    /// An environment whose variables `read` gives.
    pub fn with(read: impl Fn(&str) -> Option<String> + 'static) -> Env {
        Env {
            set: RefCell::default(),
            kept: RefCell::default(),
            read: Box::new(read),
            defaults: RefCell::default(),
        }
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<String> {
        if let Some(v) = self.set.borrow().get(name) {
            return v.clone();
        }
        if let Some(kept) = &*self.kept.borrow() {
            if !kept.iter().any(|k| k == name) {
                return None;
            }
        }
        (self.read)(name)
    }

    fn preset(&self, name: &str, value: &str) {
        if self.get(name).is_none() {
            self.set
                .borrow_mut()
                .insert(name.to_string(), Some(value.to_string()));
        }
    }

    /// Runs a `setenv`-family line of `global`; false when it is not one (or is malformed).
    fn run(&self, args: &[String]) -> bool {
        let mut set = self.set.borrow_mut();
        match (args[0].as_str(), &args[1..]) {
            ("setenv", [name, value]) => {
                set.insert(name.clone(), Some(value.clone()));
            }
            ("presetenv", [name, value]) => {
                drop(set);
                self.preset(name, value);
            }
            ("unsetenv", names) if !names.is_empty() => {
                for n in names {
                    set.insert(n.clone(), None);
                }
            }
            ("resetenv", names) => {
                set.retain(|k, _| names.contains(k));
                *self.kept.borrow_mut() = Some(names.to_vec());
            }
            _ => return false,
        }
        true
    }
}

/// Parses `file` and lowers it into `ir`, reading environment variables from `env`.
pub fn lower(sources: &mut SourceMap, file: FileId, ir: &mut Ir, env: &Env) -> Lowered {
    let src = sources.get(file).text.clone();
    let path = sources.get(file).path.display().to_string();
    let tree = super::parse(&src);
    let mut diagnostics = Vec::new();
    for e in &tree.errors {
        let span = Span::new(file, e.range.start, e.range.end);
        let mut d = Diagnostic::new("haproxy/syntax", Severity::Error, e.message.clone(), span)
            .label(e.label.clone());
        if let Some(h) = &e.help {
            d = d.help(h.clone());
        }
        diagnostics.push(d);
    }
    let (words, blocks) = read(&src, &path, env, &tree);
    for m in &blocks.messages {
        let span = Span::new(file, m.range.start, m.range.end);
        let (severity, label) = match m.level {
            Level::Info => (Severity::Info, "HAProxy prints this as it reads the file"),
            Level::Warning => (
                Severity::Warning,
                "HAProxy warns with this as it reads the file",
            ),
            Level::Error => (Severity::Error, "`haproxy -c` fails here"),
        };
        diagnostics
            .push(Diagnostic::new("haproxy/reader", severity, m.text.clone(), span).label(label));
    }
    let w = Walk {
        src: &src,
        file,
        words,
        skipped: blocks.skipped,
    };
    let mut proxies = Vec::new();
    let Carried {
        mut named,
        mut last,
    } = std::mem::take(&mut *env.defaults.borrow_mut());
    let header = |s: &Section| Span::new(file, s.header.range.start, s.header.range.end);
    for section in &tree.sections {
        if w.skips(&section.header) {
            continue;
        }
        let kind = section.kind(&src);
        let origin = w.origin(section.range());
        match kind {
            "global" => global(&w, section, ir),
            "defaults" | "frontend" | "backend" | "listen" => {
                let name = section.name(&src);
                let from = from_clause(&w, section);
                let parent = match &from {
                    Some(f) => named.get(f).cloned().flatten(),
                    None if kind == "defaults" => None,
                    None => last.clone(),
                };
                let mut state = parent
                    .as_ref()
                    .map(|(p, _)| p.inherit())
                    .unwrap_or_default();
                // What `from` names (the IR's link); without it, the last defaults before.
                state.defaults_name = from.clone().filter(|_| kind != "defaults");
                state.name.clone_from(&name);
                w.proxy_lines(kind, section, &mut state);
                proxies.push(ProxyInfo {
                    kind: kind.to_string(),
                    name: name.clone(),
                    header: section.header.range,
                    protocol: state.protocol(),
                    inherits: parent.as_ref().map(|(_, r)| *r),
                    from: from.clone(),
                });
                if kind == "defaults" {
                    ir.defaults.push(Defaults {
                        protocol: state.protocol(),
                        name: name.clone(),
                        from: from.clone(),
                        settings: state.defaults_settings(),
                        acls: state.acls.clone(),
                        origin,
                    });
                    if let Some(n) = &name {
                        let entry = (state.clone(), header(section));
                        named
                            .entry(n.clone())
                            .and_modify(|e| *e = None)
                            .or_insert(Some(entry));
                    }
                    last = Some((state, header(section)));
                } else {
                    state.finish(&w, kind, origin, ir);
                }
            }
            _ => ir.opaque.push(opaque_section(&w, section)),
        }
    }
    *env.defaults.borrow_mut() = Carried { named, last };
    link_backends(ir, file);
    Lowered {
        file,
        diagnostics,
        tree,
        proxies,
        skipped: w.skipped,
    }
}

/// `defaults NAME from OTHER`, `frontend NAME from OTHER`: the defaults section named.
fn from_clause(w: &Walk, section: &Section) -> Option<String> {
    let words = &section.header.words;
    let i = words.iter().position(|x| x.raw(w.src) == "from")?;
    w.values(&section.header, i + 1).into_iter().next()
}

/// Reads the lines of a file in order as HAProxy's reader does: each line's words with
/// environment variables expanded (`.LINE`, `.FILE`, `.SECTION` included), the `setenv`
/// family of `global` run as it comes, conditional blocks and messages run
/// ([`Blocks`]). The words of every line read, by line start.
fn read(
    src: &str,
    path: &str,
    env: &Env,
    tree: &SyntaxTree,
) -> (HashMap<u32, Vec<String>>, Blocks) {
    let mut words = HashMap::new();
    let mut blocks = Blocks::default();
    let mut section = String::new();
    let mut global = false;
    let defined = |name: &str| env.get(name).is_some();
    let line_words = |line: &Line, section: &str| {
        let lookup = |name: &str| match name {
            ".LINE" => {
                let before = &src.as_bytes()[..line.range.start as usize];
                Some((before.iter().filter(|&&b| b == b'\n').count() + 1).to_string())
            }
            ".FILE" => Some(path.to_string()),
            ".SECTION" => Some(section.to_string()),
            _ if name.starts_with('.') => None,
            _ => env.get(name),
        };
        line.expand(src, &lookup)
    };
    for line in &tree.preamble {
        let w = line_words(line, &section);
        if blocks.step(line.range, &w, &defined) {
            words.insert(line.range.start, w);
        }
    }
    for s in &tree.sections {
        let header = line_words(&s.header, &section);
        let read = blocks.step(s.header.range, &header, &defined);
        if read {
            // HAProxy's `.SECTION`: the section's name, else its keyword.
            section = header
                .get(1)
                .or(header.first())
                .cloned()
                .unwrap_or_default();
            global = header.first().is_some_and(|k| k == "global");
            words.insert(s.header.range.start, header);
        }
        for line in &s.lines {
            let w = line_words(line, &section);
            if blocks.step(line.range, &w, &defined) {
                if !(global && env.run(&w)) {
                    words.insert(line.range.start, w);
                } else {
                    blocks.skipped.insert(line.range.start);
                }
            }
        }
    }
    blocks.finish();
    (words, blocks)
}

/// Sets `Action::Proxy::pool` where a service of this file names a pool that exists.
fn link_backends(ir: &mut Ir, file: FileId) {
    use crate::ir::{Action, Route};
    let names: std::collections::HashSet<String> = ir
        .pools
        .iter()
        .filter(|p| p.origin.file == file.0)
        .map(|p| p.name.clone())
        .collect();
    let link = |a: &mut Option<Action>| {
        if let Some(Action::Proxy { target, pool, .. }) = a {
            if names.contains(target.as_str()) {
                *pool = Some(target.clone());
            }
        }
    };
    for s in ir.services.iter_mut().filter(|s| s.origin.file == file.0) {
        link(&mut s.action);
        let routes: &mut Vec<Route> = &mut s.routes;
        for r in routes {
            link(&mut r.action);
        }
    }
}

/// The `global` section: process settings the IR models, the rest kept opaque.
fn global(w: &Walk, section: &Section, ir: &mut Ir) {
    let p = &mut ir.process;
    let mut rest = Vec::new();
    for line in section.lines.iter().filter(|l| !w.skips(l)) {
        let words = w.values(line, 0);
        let Some(kw) = words.first().cloned() else {
            continue;
        };
        let arg = words.get(1).cloned();
        let origin = w.origin(line.range);
        let num = || arg.as_deref().and_then(|a| a.parse::<u64>().ok());
        match (kw.as_str(), words.len()) {
            ("maxconn", 2) if num().is_some() => {
                p.worker_connections = num().map(|n| Setting::new(n, origin));
            }
            ("ulimit-n", 2) if num().is_some() => {
                p.rlimit_nofile = num().map(|n| Setting::new(n, origin));
            }
            ("nbthread", 2) if num().is_some() => {
                p.workers = num().map(|n| Setting::new(Workers::Count(n as u32), origin));
            }
            ("user", 2) => p.user = arg.map(|a| Setting::new(a, origin)),
            ("pidfile", 2) => p.pid_file = arg.map(|a| Setting::new(a, origin)),
            _ => rest.push(w.opaque_line(line)),
        }
    }
    let mut o = opaque_section(w, section);
    o.children = rest;
    ir.opaque.push(o);
}

/// A section the IR does not model, kept whole.
fn opaque_section(w: &Walk, section: &Section) -> Opaque {
    Opaque {
        name: section.kind(w.src).to_string(),
        args: w.values(&section.header, 1),
        children: section
            .lines
            .iter()
            .filter(|l| !w.skips(l))
            .map(|l| w.opaque_line(l))
            .collect(),
        context: None,
        block: true,
        origin: w.origin(section.range()),
    }
}

impl Walk<'_> {
    pub fn origin(&self, r: TextRange) -> Origin {
        Origin {
            file: self.file.0,
            start: r.start,
            end: r.end,
        }
    }

    pub fn opaque_line(&self, line: &Line) -> Opaque {
        let mut words = self.values(line, 0);
        let name = if words.is_empty() {
            line.words[0].value(self.src)
        } else {
            words.remove(0)
        };
        Opaque {
            name,
            args: words,
            origin: self.origin(line.range),
            ..Default::default()
        }
    }

    /// The words of `line` from `from` on as HAProxy reads them (environment variables
    /// expanded).
    pub fn values(&self, line: &Line, from: usize) -> Vec<String> {
        match self.words.get(&line.range.start) {
            Some(w) => w.get(from..).unwrap_or_default().to_vec(),
            None => line.values(self.src, from),
        }
    }

    /// Whether HAProxy's reader skips `line` (a `.if` directive, or a branch not taken).
    pub fn skips(&self, line: &Line) -> bool {
        self.skipped.contains(&line.range.start)
    }
}
