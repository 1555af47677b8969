//! Loading a run's inputs: reads each file, picks its front-end (by `--from`, extension or
//! content) and lowers everything into one IR, keeping front-end diagnostics.

use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::ir::{Action, Format, Ir, SourceRef, SCHEMA_VERSION};
use crate::source::SourceMap;
use crate::syntax::nginx::{self, directives::Ctx, Lowered};

/// What to load and how.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub from: Option<Format>,
    pub prefix: Option<PathBuf>,
    pub context: Option<Ctx>,
    pub root: Option<PathBuf>,
}

/// Everything a run knows: sources, the IR, front-end views and front-end diagnostics.
#[derive(Default)]
pub struct Loaded {
    pub sources: SourceMap,
    pub ir: Ir,
    pub nginx: Vec<Lowered>,
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

/// The format of a file, from its name first, then its content.
pub fn detect(path: &Path, text: &str) -> Format {
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
    Format::Nginx
}

/// Expands directories into the files they hold (sorted; hidden files skipped).
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, LoadError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let rd =
                std::fs::read_dir(p).map_err(|e| LoadError(format!("{}: {e}", p.display())))?;
            let mut files: Vec<PathBuf> = rd
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|f| {
                    f.is_file()
                        && !f
                            .file_name()
                            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                })
                .collect();
            files.sort();
            out.extend(files);
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
    for path in &files {
        // A file already pulled in by an include of an earlier input is not lowered twice.
        if l.sources.find(path).is_some() {
            continue;
        }
        let id = l
            .sources
            .load(path)
            .map_err(|e| LoadError(format!("cannot read {}: {e}", path.display())))?;
        let format = opts
            .from
            .unwrap_or_else(|| detect(path, &l.sources.get(id).text));
        match format {
            Format::Yaml | Format::Json => {
                let text = &l.sources.get(id).text;
                let ir: Ir = if format == Format::Yaml {
                    serde_yaml::from_str(text)
                        .map_err(|e| LoadError(format!("{}: {e}", path.display())))?
                } else {
                    serde_json::from_str(text)
                        .map_err(|e| LoadError(format!("{}: {e}", path.display())))?
                };
                if ir.schema_version != SCHEMA_VERSION {
                    return Err(LoadError(format!(
                        "{}: schema_version {} is not supported (this lbc reads {SCHEMA_VERSION})",
                        path.display(),
                        ir.schema_version
                    )));
                }
                if files.len() > 1 {
                    return Err(LoadError(
                        "an IR document must be converted on its own".into(),
                    ));
                }
                l.ir = ir;
                return Ok(l);
            }
            Format::Nginx => {
                let nopts = nginx::Options {
                    prefix: opts.prefix.clone(),
                    context: opts.context,
                    root: opts.root.clone(),
                };
                let lowered = nginx::lower(&mut l.sources, id, &nopts, &mut l.ir);
                l.diagnostics.extend(lowered.diagnostics.iter().cloned());
                l.nginx.push(lowered);
            }
            other => {
                return Err(LoadError(format!(
                    "{}: the {other:?} front-end is not available yet; use --from nginx|yaml|json",
                    path.display()
                )))
            }
        }
    }
    l.ir.sources = l
        .sources
        .ids()
        .map(|id| SourceRef {
            path: l.sources.get(id).name(),
            format: Format::Nginx,
        })
        .collect();
    link_pools(&mut l.ir);
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
            if let Some((host, has_port)) = crate::rules::nginx::target_host(target) {
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
