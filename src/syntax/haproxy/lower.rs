//! Lowering HAProxy trees to the IR: `global` to the process settings, `defaults` to
//! [`Defaults`], frontends and listens to services, backends and listens to pools, everything
//! else kept as [`Opaque`]. Defaults inheritance (the last `defaults` before a proxy, or the one
//! its `from` names) is applied here: every service and pool carries its effective mode and the
//! timeouts, retries and stats it inherits, with origins pointing at the `defaults` lines.

use std::collections::HashMap;

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
    /// The defaults section it inherits from (its header), if any.
    pub inherits: Option<TextRange>,
}

/// Parses `file` and lowers it into `ir`.
pub fn lower(sources: &mut SourceMap, file: FileId, ir: &mut Ir) -> Lowered {
    let src = sources.get(file).text.clone();
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
    let w = Walk { src: &src, file };
    let mut proxies = Vec::new();
    // Defaults sections by name, and the last one seen (what a proxy without `from` uses).
    let mut named: HashMap<String, (ProxyState, TextRange)> = HashMap::new();
    let mut last: Option<(ProxyState, TextRange)> = None;
    for section in &tree.sections {
        let kind = section.kind(&src);
        let origin = w.origin(section.range());
        match kind {
            "global" => global(&w, section, ir),
            "defaults" | "frontend" | "backend" | "listen" => {
                let name = section.name(&src);
                let from = from_clause(&w, section);
                let parent = match &from {
                    Some(f) => named.get(f).cloned(),
                    None if kind == "defaults" => None,
                    None => last.clone(),
                };
                let mut state = parent
                    .as_ref()
                    .map(|(p, _)| p.inherit())
                    .unwrap_or_default();
                state.defaults_name = match &from {
                    Some(f) => Some(f.clone()),
                    None if kind != "defaults" => parent.as_ref().and_then(|(p, _)| p.name.clone()),
                    None => None,
                };
                state.name.clone_from(&name);
                w.proxy_lines(kind, section, &mut state);
                proxies.push(ProxyInfo {
                    kind: kind.to_string(),
                    name: name.clone(),
                    header: section.header.range,
                    protocol: state.protocol(),
                    inherits: parent.as_ref().map(|(_, r)| *r),
                });
                if kind == "defaults" {
                    ir.defaults.push(Defaults {
                        protocol: state.protocol(),
                        name: name.clone(),
                        from: from.clone(),
                        settings: state.defaults_settings(),
                        origin,
                    });
                    if let Some(n) = &name {
                        named.insert(n.clone(), (state.clone(), section.header.range));
                    }
                    last = Some((state, section.header.range));
                } else {
                    state.finish(&w, kind, origin, ir);
                }
            }
            _ => ir.opaque.push(opaque_section(&w, section)),
        }
    }
    link_backends(ir, file);
    Lowered {
        file,
        diagnostics,
        tree,
        proxies,
    }
}

/// `defaults NAME from OTHER`, `frontend NAME from OTHER`: the defaults section named.
fn from_clause(w: &Walk, section: &Section) -> Option<String> {
    let words = &section.header.words;
    let i = words.iter().position(|x| x.raw(w.src) == "from")?;
    words.get(i + 1).map(|x| x.value(w.src))
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
    for line in &section.lines {
        let kw = line.words[0].value(w.src);
        let arg = line.words.get(1).map(|a| a.value(w.src));
        let origin = w.origin(line.range);
        let num = || arg.as_deref().and_then(|a| a.parse::<u64>().ok());
        match (kw.as_str(), line.words.len()) {
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
        args: section.header.values(w.src, 1),
        children: section.lines.iter().map(|l| w.opaque_line(l)).collect(),
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
        Opaque {
            name: line.words[0].value(self.src),
            args: line.values(self.src, 1),
            origin: self.origin(line.range),
            ..Default::default()
        }
    }
}
