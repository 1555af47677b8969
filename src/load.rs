//! Loading a run's inputs: reads each file, picks its front-end (by `--from`, extension or
//! content) and lowers everything into one IR, keeping front-end diagnostics.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::ir::{Action, Format, Ir, SourceRef, SCHEMA_VERSION};
use crate::source::{FileId, SourceMap};
use crate::syntax::nginx::{self, directives::Ctx};
use crate::syntax::{haproxy, keepalived, lvs};

/// What to load and how.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub from: Option<Format>,
    pub prefix: Option<PathBuf>,
    pub context: Option<Ctx>,
    pub root: Option<PathBuf>,
    /// Load for `lbc check` only: leave `Action::Proxy::pool` unset ([`link_pools`]; the rules
    /// resolve proxy targets themselves, and it is serial work on a large config), and keep no
    /// trivia tokens in the nginx syntax trees (no rule reads them).
    pub check_only: bool,
}

/// Everything a run knows: sources, the IR, front-end views and front-end diagnostics.
#[derive(Default)]
pub struct Loaded {
    pub sources: SourceMap,
    pub ir: Ir,
    pub nginx: Vec<nginx::Lowered>,
    pub haproxy: Vec<haproxy::Lowered>,
    pub keepalived: Vec<keepalived::Lowered>,
    pub lvs: Vec<lvs::Lowered>,
    pub diagnostics: Vec<Diagnostic>,
    /// Files named on the command line (not counting includes).
    pub inputs: usize,
}

/// A failure that stops the run (exit code 2): an unreadable file, an invalid IR document.
#[derive(Debug)]
pub struct LoadError(pub String);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The format of a file: YAML/JSON by extension, then by content (section keywords of HAProxy,
/// keepalived blocks, ipvsadm commands or listings), then by name, nginx otherwise.
pub fn detect(path: &Path, text: &str) -> Format {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match path.extension().and_then(|e| e.to_str()) {
        Some("yaml" | "yml") => return Format::Yaml,
        Some("json") => return Format::Json,
        _ => {}
    }
    let t = text.trim_start_matches('\u{FEFF}').trim_start();
    if t.starts_with("schema_version:") || t.starts_with("---\nschema_version:") {
        return Format::Yaml;
    }
    if t.starts_with('{') && t.contains("\"schema_version\"") {
        return Format::Json;
    }
    if let Some(f) = detect_content(text) {
        return f;
    }
    if name.contains("keepalived") {
        Format::Keepalived
    } else if name.contains("haproxy") || name.ends_with(".cfg") {
        Format::Haproxy
    } else if name.contains("ipvsadm") || name.contains("lvs") || name.ends_with(".sh") {
        Format::Ipvsadm
    } else {
        Format::Nginx
    }
}

fn detect_content(text: &str) -> Option<Format> {
    const KEEPALIVED: &[&str] = &[
        "global_defs",
        "vrrp_instance",
        "vrrp_script",
        "vrrp_sync_group",
        "virtual_server",
        "virtual_server_group",
        "static_ipaddress",
        "static_routes",
        "vrrp_track_process",
    ];
    const HAPROXY: &[&str] = &[
        "global",
        "defaults",
        "frontend",
        "backend",
        "listen",
        "userlist",
        "resolvers",
        "peers",
        "cache",
        "program",
        "http-errors",
        "ring",
        "mailers",
    ];
    let (mut keepalived, mut haproxy, mut ipvs) = (0, 0, 0);
    // Every format shows itself in its first lines; a large file is not read to the end.
    for line in text.lines().take(400) {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') || l.starts_with('!') {
            continue;
        }
        let first = l.split_whitespace().next().unwrap_or("");
        if l.starts_with("IP Virtual Server version")
            || l.starts_with("-A -")
            || l.starts_with("-a -")
        {
            ipvs += 2;
        }
        if l.contains("ipvsadm ") || l.contains("ipvsadm\t") || l.contains("$ipv ") {
            ipvs += 1;
        }
        if KEEPALIVED.contains(&first) && l.contains('{') {
            keepalived += 2;
        }
        // HAProxy sections start at column 0 and have no braces.
        if !line.starts_with([' ', '\t'])
            && HAPROXY.contains(&first)
            && !l.contains('{')
            && !l.ends_with(';')
        {
            haproxy += 2;
        }
    }
    [
        (keepalived, Format::Keepalived),
        (haproxy, Format::Haproxy),
        (ipvs, Format::Ipvsadm),
    ]
    .into_iter()
    .filter(|(n, _)| *n >= 2)
    .max_by_key(|(n, _)| *n)
    .map(|(_, f)| f)
}

/// Whether an nginx file is a whole configuration (has `http`/`events`/`stream` at the top).
fn looks_like_main(text: &str) -> bool {
    text.lines().any(|l| {
        let mut words = l.split(|c: char| c.is_whitespace() || c == '{');
        matches!(words.next(), Some("http" | "events" | "stream")) && l.contains('{')
    })
}

/// Reads an IR document. Its origins name the files it was made from: those are loaded (or
/// stand in empty when absent) at the same indices, so diagnostics point into them.
fn load_ir(path: &Path, format: Format, text: &str) -> Result<Loaded, LoadError> {
    let ir: Ir = if format == Format::Yaml {
        serde_yaml::from_str(text).map_err(|e| LoadError(format!("{}: {e}", path.display())))?
    } else {
        serde_json::from_str(text).map_err(|e| LoadError(format!("{}: {e}", path.display())))?
    };
    if ir.schema_version != SCHEMA_VERSION {
        return Err(LoadError(format!(
            "{}: schema_version {} is not supported (this lbc reads {SCHEMA_VERSION})",
            path.display(),
            ir.schema_version
        )));
    }
    let mut sources = SourceMap::new();
    for s in &ir.sources {
        let p = PathBuf::from(&s.path);
        if sources.load(&p).is_err() {
            sources.add(p, String::new());
        }
    }
    Ok(Loaded {
        sources,
        ir,
        inputs: 1,
        ..Loaded::default()
    })
}

/// Expands directories into the files they hold, recursively (sorted; hidden entries skipped).
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, LoadError> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
        let rd =
            std::fs::read_dir(dir).map_err(|e| LoadError(format!("{}: {e}", dir.display())))?;
        let mut entries: Vec<PathBuf> = rd
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|f| {
                !f.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        entries.sort();
        for e in entries {
            if e.is_dir() {
                walk(&e, out)?;
            } else if e.is_file() {
                out.push(e);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let before = out.len();
            walk(p, &mut out)?;
            if out.len() == before {
                return Err(LoadError(format!(
                    "{}: no files in this directory",
                    p.display()
                )));
            }
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Loads the given files as one deployment.
pub fn load(paths: &[PathBuf], opts: &LoadOptions) -> Result<Loaded, LoadError> {
    let mut l = Loaded {
        ir: Ir {
            schema_version: SCHEMA_VERSION,
            ..Ir::default()
        },
        ..Loaded::default()
    };
    let files = expand(paths)?;
    l.inputs = files.len();
    // Read every input first, so that a file one input includes is recognized when it is also
    // named on the command line, and lowered once, in its real context.
    let mut inputs: Vec<(FileId, Format)> = Vec::new();
    for path in &files {
        if l.sources.find(path).is_some() {
            continue; // named twice
        }
        let id = l
            .sources
            .load(path)
            .map_err(|e| LoadError(format!("cannot read {}: {e}", path.display())))?;
        let format = opts
            .from
            .unwrap_or_else(|| detect(path, &l.sources.get(id).text));
        inputs.push((id, format));
    }
    crate::timings::mark("read the inputs");
    // Whole nginx configurations first: what they include is then lowered where it belongs.
    inputs
        .sort_by_key(|&(id, f)| !(f == Format::Nginx && looks_like_main(&l.sources.get(id).text)));
    // The format of every file: its own for inputs, its includer's for included files.
    let mut formats: HashMap<FileId, Format> = inputs.iter().copied().collect();
    let mut lowered_files: HashSet<FileId> = Default::default();
    // HAProxy files are read as `haproxy -f A -f B` reads them: one environment.
    let haproxy_files: Vec<String> = inputs
        .iter()
        .filter(|(_, f)| *f == Format::Haproxy)
        .map(|&(id, _)| l.sources.get(id).path.display().to_string())
        .collect();
    let haproxy_env = haproxy::Env::process(&haproxy_files);
    for (id, format) in inputs {
        if lowered_files.contains(&id) {
            continue;
        }
        let path = l.sources.get(id).path.clone();
        let known = l.sources.len();
        match format {
            Format::Yaml | Format::Json => {
                if files.len() > 1 {
                    return Err(LoadError(
                        "an IR document must be converted on its own".into(),
                    ));
                }
                return load_ir(&path, format, &l.sources.get(id).text.clone());
            }
            Format::Nginx => {
                let nopts = nginx::Options {
                    prefix: opts.prefix.clone(),
                    context: opts.context,
                    root: opts.root.clone(),
                    single_thread: false,
                    trivia: !opts.check_only,
                };
                let lowered = nginx::lower(&mut l.sources, id, &nopts, &mut l.ir);
                lowered_files.extend(lowered.trees.keys().copied());
                l.diagnostics.extend(lowered.diagnostics.iter().cloned());
                l.nginx.push(lowered);
            }
            Format::Haproxy if haproxy::AVAILABLE => {
                let lowered = haproxy::lower(&mut l.sources, id, &mut l.ir, &haproxy_env);
                l.diagnostics.extend(lowered.diagnostics.iter().cloned());
                l.haproxy.push(lowered);
            }
            Format::Keepalived if keepalived::AVAILABLE => {
                let lowered = keepalived::lower(&mut l.sources, id, &mut l.ir);
                l.diagnostics.extend(lowered.diagnostics.iter().cloned());
                l.keepalived.push(lowered);
            }
            Format::Ipvsadm if lvs::AVAILABLE => {
                let lowered = lvs::lower(&mut l.sources, id, &mut l.ir);
                l.diagnostics.extend(lowered.diagnostics.iter().cloned());
                l.lvs.push(lowered);
            }
            other => {
                return Err(LoadError(format!(
                    "{}: this looks like a {other} file, which lbc cannot read yet; use --from to say what it is",
                    path.display()
                )))
            }
        }
        for new in (known..l.sources.len()).map(|i| FileId(i as u32)) {
            formats.insert(new, format);
        }
        lowered_files.insert(id);
    }
    l.ir.sources = l
        .sources
        .ids()
        .map(|id| SourceRef {
            path: l.sources.get(id).name(),
            format: formats.get(&id).copied().unwrap_or(Format::Nginx),
        })
        .collect();
    crate::timings::mark("lowered every input");
    if !opts.check_only {
        link_pools(&mut l.ir);
    }
    Ok(l)
}

/// Fills in `Action::Proxy::pool` where the target names a pool of the same family. nginx
/// matches an upstream block only when the URL has no port.
pub fn link_pools(ir: &mut Ir) {
    use crate::ir::{Protocol, Route};
    let fam = |p: Protocol| p == Protocol::Http;
    let pools: std::collections::HashSet<(bool, String)> = ir
        .pools
        .iter()
        .map(|p| (fam(p.protocol), p.name.clone()))
        .collect();
    let resolve = |http: bool, a: &mut Option<Action>| {
        if let Some(Action::Proxy { target, pool, .. }) = a {
            if let Some((host, has_port)) = nginx::target_host(target) {
                if !has_port && pools.contains(&(http, host.clone())) {
                    *pool = Some(host);
                }
            }
        }
    };
    fn walk(routes: &mut [Route], http: bool, f: &dyn Fn(bool, &mut Option<Action>)) {
        for r in routes {
            f(http, &mut r.action);
            walk(&mut r.routes, http, f);
        }
    }
    for s in &mut ir.services {
        let http = fam(s.protocol);
        resolve(http, &mut s.action);
        walk(&mut s.routes, http, &resolve);
    }
}

impl Loaded {
    /// What rules read.
    pub fn rule_context(&self) -> crate::rules::RuleContext<'_> {
        crate::rules::RuleContext {
            sources: &self.sources,
            ir: &self.ir,
            nginx: &self.nginx,
            haproxy: &self.haproxy,
            keepalived: &self.keepalived,
            lvs: &self.lvs,
        }
    }

    /// Front-end diagnostics plus every rule's, sorted: what `lbc check` reports.
    pub fn check(&self) -> Vec<Diagnostic> {
        let mut diags = self.diagnostics.clone();
        diags.extend(crate::rules::run(&self.rule_context()));
        crate::diagnostic::sort(&mut diags);
        diags
    }
}
